"""Every file lindi 0.4.6 wrote (tests/data/upstream-lindi-0.4.6, see its README) opened with
``LindiStore.open`` + ``zarr.open_group(mode="r")``, walked, and checked against known values
(for features.lindi.json: against features.h5 read with h5py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import zarr

from hdmf_lindi.conventions.zarr_dtypes import register_zarr_dtypes
from hdmf_lindi.storage.store import LindiStore
from tests.helpers.http_server import ServedDirectory
from tests.helpers.zarr_values import array_of, values_of

UPSTREAM = Path(__file__).resolve().parent.parent / "data" / "upstream-lindi-0.4.6"


@pytest.fixture(autouse=True, scope="module")
def _object_dtype_registered() -> None:
    # ``|O`` + json2 arrays (vlen strings, references, compounds) need the conventions layer's
    # dtype; ``import hdmf_lindi`` is meant to register it, calling it here is idempotent
    register_zarr_dtypes()


def _walk(group: zarr.Group, prefix: str = "") -> dict[str, Any]:
    """Every array's values and every node's attributes, by path."""
    out: dict[str, Any] = {f"{prefix}@attrs": dict(group.attrs)}
    for name, member in sorted(group.members()):
        path = f"{prefix}{name}"
        if isinstance(member, zarr.Array):
            out[path] = member[...]
            out[f"{path}@attrs"] = dict(member.attrs)
        else:
            out.update(_walk(member, f"{path}/"))
    return out


def _assert_same_tree(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert sorted(a) == sorted(b)
    for key, value in a.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == b[key].dtype, key
            np.testing.assert_array_equal(value, b[key], err_msg=key)
        else:
            assert value == b[key], key


# ---------------------------------------------------------------------- written.lindi.*
@pytest.mark.parametrize("name", ["written.lindi.tar", "written.lindi.d"])
def test_written_by_lindi_writer(name: str) -> None:
    store = LindiStore.open(UPSTREAM / name)
    assert store.read_only
    root = zarr.open_group(store, mode="r", zarr_format=2)
    tree = _walk(root)
    assert tree["@attrs"] == {"attr1": "value1", "attr2": 7}
    assert tree["grp/@attrs"] == {"x": [1, 2, 3]}
    dataset = tree["dataset1"]
    assert dataset.dtype == np.float32 and dataset.shape == (1000, 100)
    # rows 0-199 hold 0..19999 (two blob chunks), rows 200+ 20000..29999 then zeros
    np.testing.assert_array_equal(dataset[:200], np.arange(20000, dtype="f4").reshape(200, 100))
    np.testing.assert_array_equal(
        dataset[200:300], np.arange(20000, 30000, dtype="f4").reshape(100, 100)
    )
    assert not dataset[300:].any()
    np.testing.assert_array_equal(tree["small"], np.arange(10, dtype="i8"))
    assert sorted(k for k in tree if not k.endswith("@attrs")) == ["dataset1", "small"]


def test_written_tar_and_directory_hold_the_same_tree() -> None:
    trees = [
        _walk(zarr.open_group(LindiStore.open(UPSTREAM / n), mode="r", zarr_format=2))
        for n in ("written.lindi.tar", "written.lindi.d")
    ]
    _assert_same_tree(*trees)


def test_written_blobs_are_read_as_range_reads_of_the_archive() -> None:
    store = LindiStore.open(UPSTREAM / "written.lindi.tar")
    assert store.reference_map.get_raw("dataset1/0.0") == ["./blobs/dataset1/0.0", 0, 4041]
    assert store.container is not None
    located = store.container.member_resolver("./blobs/dataset1/0.0")  # type: ignore[misc]
    assert located == (str(UPSTREAM / "written.lindi.tar"), 19456, 4041)


# ---------------------------------------------------------------------- pynwb_written
def test_pynwb_written_json_and_tar_match() -> None:
    trees = []
    for name in ("pynwb_written.nwb.lindi.json", "pynwb_written.nwb.lindi.tar"):
        root = zarr.open_group(LindiStore.open(UPSTREAM / name), mode="r", zarr_format=2)
        trees.append(_walk(root))
    _assert_same_tree(*trees)
    tree = trees[1]
    assert tree["@attrs"]["neurodata_type"] == "NWBFile"
    assert tree["@attrs"]["nwb_version"] == "2.11.0"
    np.testing.assert_array_equal(tree["acquisition/ts/data"], np.arange(1000, dtype="f8"))
    assert tree["general/subject/species"].tolist() == ["Mus musculus"]
    assert tree["identifier"].tolist() == ["id1"]
    assert tree["session_start_time"].tolist() == ["2024-01-01T00:00:00+00:00"]
    assert tree["file_create_date"].dtype == object
    assert str(tree["file_create_date"][0]).startswith("2026-")
    # the linked TimeSeries: its data is a soft link group, not an array
    assert "acquisition/ts_linked/data" not in tree
    assert tree["acquisition/ts_linked/data/@attrs"] == {
        "_SOFT_LINK": {"path": "/acquisition/ts/data"}
    }
    # a spec blob (a tar member past the trashed first lindi.json) decodes to the spec JSON
    spec = json.loads(tree["specifications/core/2.11.0/namespace"][0])
    assert spec["namespaces"][0]["name"] == "core"


def test_pynwb_tar_reads_the_live_lindi_json_not_the_trashed_one() -> None:
    store = LindiStore.open(UPSTREAM / "pynwb_written.nwb.lindi.tar")
    assert store.reference_map.get_json(".zattrs")["neurodata_type"] == "NWBFile"
    json_store = LindiStore.open(UPSTREAM / "pynwb_written.nwb.lindi.json")
    assert sorted(store.reference_map.keys()) == sorted(json_store.reference_map.keys())


# ---------------------------------------------------------------------- features.lindi.json
def _features_with_template(tmp_path: Path, url: str) -> Path:
    document = json.loads((UPSTREAM / "features.lindi.json").read_text())
    assert document["templates"] == {"u1": "http://127.0.0.1:8765/features.h5"}
    document["templates"]["u1"] = url
    target = tmp_path / "features.lindi.json"
    target.write_text(json.dumps(document))
    return target


def _check_features(root: zarr.Group) -> None:
    with h5py.File(UPSTREAM / "features.h5", "r") as h5:
        for name in ("chunked", "contig", "bools", "fixstr"):
            expected = h5[name][()]
            actual = values_of(root, name)
            assert actual.dtype == expected.dtype, name
            np.testing.assert_array_equal(actual, expected, err_msg=name)
        assert array_of(root, "scalar").shape == (1,) and root["scalar"].attrs["_SCALAR"] is True
        assert array_of(root, "scalar")[0] == h5["scalar"][()]
        assert array_of(root, "empty").shape == (0,) and array_of(root, "empty").dtype == np.float64
        assert array_of(root, "strscalar")[0] == h5["strscalar"][()].decode()
        assert dict(root["grp"].attrs) == {
            "farr": [1.5, "NaN", "Infinity"],
            "i": 7,
            "ref": {
                "_REFERENCE": {
                    "object_id": None,
                    "path": "/scalar",
                    "source": ".",
                    "source_object_id": None,
                }
            },
            "s": "hello",
        }
    assert dict(root["soft"].attrs) == {"_SOFT_LINK": {"path": "/grp"}}


def _check_features_object_arrays(root: zarr.Group) -> None:
    assert values_of(root, "vlenstr").tolist() == ["x", "yy", "zzz"]
    refs = values_of(root, "refs").tolist()
    assert [r["_REFERENCE"]["path"] for r in refs] == ["/scalar", "/grp"]
    rows = values_of(root, "compound").tolist()
    assert [row[:2] for row in rows] == [[1, 2.0], [2, 3.0]]
    assert rows[0][2]["_REFERENCE"]["path"] == "/grp"
    assert root["compound"].attrs["_COMPOUND_DTYPE"] == [
        ["idx", "int32"],
        ["val", "float64"],
        ["r", "<REFERENCE>"],
    ]


def test_features_local(tmp_path: Path) -> None:
    path = _features_with_template(tmp_path, str(UPSTREAM / "features.h5"))
    store = LindiStore.open(path, allow_local=True)
    root = zarr.open_group(store, mode="r", zarr_format=2)
    _check_features(root)
    _check_features_object_arrays(root)


def test_features_over_http(tmp_path: Path, http_server: ServedDirectory) -> None:
    shutil.copy(UPSTREAM / "features.h5", http_server.root / "features.h5")
    lindi_path = _features_with_template(tmp_path, f"{http_server.url}/features.h5")
    shutil.copy(lindi_path, http_server.root / "features.lindi.json")
    store = LindiStore.open(f"{http_server.url}/features.lindi.json")
    root = zarr.open_group(store, mode="r", zarr_format=2)
    _check_features(root)
    _check_features_object_arrays(root)
    h5_requests = [r for r in http_server.requests if r.path == "/features.h5"]
    assert h5_requests, "chunk refs must be read from the served features.h5"
    # chunks are byte ranges of the HDF5 file, never whole-file downloads
    assert all(r.range is not None for r in h5_requests if r.method == "GET")


def test_remote_lindi_file_may_not_read_local_files(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    from hdmf_lindi.errors import LindiSecurityError

    lindi_path = _features_with_template(tmp_path, str(UPSTREAM / "features.h5"))
    shutil.copy(lindi_path, http_server.root / "features.lindi.json")
    store = LindiStore.open(f"{http_server.url}/features.lindi.json")
    root = zarr.open_group(store, mode="r", zarr_format=2)
    with pytest.raises(LindiSecurityError):
        values_of(root, "contig")
