"""Our translation of lindi 0.4.6's ``features.h5`` decodes to the same values as lindi's own
``features.lindi.json``."""

from __future__ import annotations

import json
import math
from typing import Any

import h5py
import pytest

from hdmf_lindi.hdf5 import translate_source
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.conftest import SHARED_DIR
from tests.hdf5.lindi_check import read_stored

FIXTURES = SHARED_DIR / "fixtures" / "upstream-lindi-0.4.6"
pytestmark = pytest.mark.skipif(
    not (FIXTURES / "features.h5").exists(), reason=f"{FIXTURES} is not present"
)


def _upstream_map() -> ReferenceMap:
    document = json.loads((FIXTURES / "features.lindi.json").read_text())
    document["templates"]["u1"] = str(FIXTURES / "features.h5")
    return ReferenceMap.from_dict(document)


def _normalized(value: Any) -> Any:
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, dict) and "_REFERENCE" in value:
        return ("ref", value["_REFERENCE"]["path"], value["_REFERENCE"]["object_id"])
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, bytes):
        return value.decode()
    return value


def _arrays(ref_map: ReferenceMap) -> list[str]:
    return sorted(k[: -len("/.zarray")] for k in ref_map if k.endswith("/.zarray"))


def test_same_arrays_attributes_and_values() -> None:
    upstream = _upstream_map()
    ours = translate_source(FIXTURES / "features.h5").reference_map
    assert _arrays(ours) == _arrays(upstream)
    groups = sorted(k for k in upstream if k.endswith(".zgroup"))
    assert sorted(k for k in ours if k.endswith(".zgroup")) == groups
    with h5py.File(FIXTURES / "features.h5", "r") as h5file:
        for key in sorted(k for k in upstream if k.endswith(".zattrs")):
            attrs = dict(ours.get_json(key))
            # our additions: the source's layout where the Zarr array is laid out otherwise,
            # and the attribute dtypes, exactly as h5py reports them
            attrs.pop("_HDF5_LAYOUT", None)
            record = attrs.pop("_ATTRIBUTE_DTYPES", [])
            assert attrs == upstream.get_json(key), key
            obj = h5file["/" + key[: -len(".zattrs")]]
            for name, dtype in record:
                assert dtype == str(obj.attrs[name].dtype), (key, name)
    for name in _arrays(upstream):
        theirs_meta = upstream.get_json(f"{name}/.zarray")
        ours_meta = ours.get_json(f"{name}/.zarray")
        assert ours_meta["shape"] == theirs_meta["shape"], name
        expected = _normalized(read_stored(upstream, name).tolist())
        got = _normalized(read_stored(ours, name).tolist())
        assert got == expected, name
    # big data is referenced at the same byte ranges as lindi did
    for key in upstream:
        raw = upstream.get_raw(key)
        if isinstance(raw, list) and not key.endswith((".zarray", ".zattrs")):
            assert ours.get_raw(key) == [str((FIXTURES / "features.h5").resolve()), *raw[1:]], key


def test_same_values_through_zarr() -> None:
    """Where zarr can open both stores, the arrays agree (LindiStore, when it exists)."""
    store_module = pytest.importorskip("hdmf_lindi.storage.store")
    import zarr

    from hdmf_lindi.conventions.zarr_dtypes import register_zarr_dtypes

    register_zarr_dtypes()
    upstream = store_module.LindiStore(_upstream_map(), read_only=True)
    ours = store_module.LindiStore(
        translate_source(FIXTURES / "features.h5").reference_map, read_only=True
    )
    theirs_group = zarr.open_group(upstream, mode="r", zarr_format=2)
    ours_group = zarr.open_group(ours, mode="r", zarr_format=2)
    for name in _arrays(upstream.reference_map):
        assert _normalized(ours_group[name][...].tolist()) == _normalized(
            theirs_group[name][...].tolist()
        ), name
