"""The ``_ATTRIBUTE_DTYPES`` record in the unified Zarr v3 flavour: attributes read back with the
dtype h5py gives them, the record is hidden and kept through writes and transcoding, and files
without one (hdmf-zarr's) keep JSON's natural types."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import zarr

import hdmf_lindi
from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.attribute_dtypes import user_value
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Node
from hdmf_lindi.conventions.unified_v3 import UnifiedZarrV3Conventions
from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.opening import open_hierarchy
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import LindiStore
from hdmf_lindi.transcode import transcode

CONV = UnifiedZarrV3Conventions()
V3 = "unified-zarr-v3"

VALUES: dict[str, Any] = {
    "u8": np.uint8(200),
    "u32": np.uint32(4_000_000_000),
    "i16": np.int16(-5),
    "f32": np.float32(0.077),
    "f32_nan": np.float32(math.nan),
    "flag": np.bool_(True),
    "fixed": np.bytes_(b"abc"),
    "latin1": np.bytes_(b"\xb5V"),
    "i16_array": np.array([[1, 2], [3, 4]], dtype=np.int16),
    "f32_array": np.array([0.5, math.inf], dtype=np.float32),
    "fixed_array": np.array([b"a", b"bc"], dtype="S2"),
    "python_int": 7,
    "text": "hello",
}


def _h5py_attrs(values: dict[str, Any]) -> dict[str, Any]:
    """What h5py reads back after writing ``values`` as attributes of an HDF5 group."""
    with h5py.File("mem.h5", "w", driver="core", backing_store=False) as f:
        group = f.create_group("g")
        for name, value in values.items():
            group.attrs[name] = value
        return {name: group.attrs[name] for name in values}


def _same(actual: Any, expected: Any) -> bool:
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, np.ndarray | np.generic):
        if actual.dtype != expected.dtype or np.shape(actual) != np.shape(expected):
            return False
        return bool(np.array_equal(actual, expected, equal_nan=expected.dtype.kind == "f"))
    return bool(actual == expected)


def _reread(meta: ReferenceMap, path: str = "/g") -> Node:
    node = CONV.read_node(ReferenceMap.from_bytes(meta.dumps()), path)
    assert node is not None
    return node


def _attributes(meta: ReferenceMap, key: str = "g/zarr.json") -> dict[str, Any]:
    document = meta.get_json(key)
    if isinstance(document, str):  # a zarr.json holding NaN is stored as its text
        document = json.loads(document)
    return dict(document["attributes"])


def test_v3_attributes_read_back_as_h5py_reads_them() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", VALUES)
    node = _reread(meta)
    expected = _h5py_attrs(VALUES)
    for name in VALUES:
        actual = user_value(node.attrs[name])
        assert _same(actual, expected[name]), (name, actual, expected[name])
    assert keys.ATTRIBUTE_DTYPES not in node.attrs  # hidden
    assert node.inferred_dtypes == frozenset()
    record = dict(_attributes(meta)[keys.ATTRIBUTE_DTYPES])
    assert record["u32"] == "uint32" and record["fixed"] == "|S3"
    assert record["latin1"] == "|S2:latin-1" and record["python_int"] == "int64"
    assert "text" not in record
    # zarr itself reads the attributes (the record is an ordinary list of string pairs)
    group = zarr.open_group(LindiStore(meta), path="g", mode="r", zarr_format=3)
    assert group.attrs["u32"] == 4_000_000_000 and group.attrs["latin1"] == "\u00b5V"


def test_v3_dataset_attributes_and_updates_keep_the_record() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/")
    info = DatasetInfo(shape=(3,), dtype=np.dtype("<f4"), kind=DataKind.NUMERIC)
    CONV.write_dataset(meta, "/g", info, {"sweep_number": np.uint32(3), "gain": np.float32(0.5)})
    assert type(_reread(meta).attrs["sweep_number"]) is np.uint32
    # rewriting the dataset's metadata keeps its attributes and their dtypes
    CONV.write_dataset(meta, "/g", info, {"rate": np.float32(30.0)})
    node = _reread(meta)
    assert {name: type(v) for name, v in node.attrs.items()} == {
        "sweep_number": np.uint32,
        "gain": np.float32,
        "rate": np.float32,
    }
    CONV.write_attrs(meta, "/g", {"gain": 2.5})  # a Python float: float64
    CONV.delete_attr(meta, "/g", "rate")
    assert dict(_attributes(meta)[keys.ATTRIBUTE_DTYPES]) == {
        "gain": "float64",
        "sweep_number": "uint32",
    }
    CONV.write_attrs(meta, "/g", {"label": "x"}, replace=True)
    attributes = _attributes(meta)
    assert keys.ATTRIBUTE_DTYPES not in attributes and attributes["_DTYPE"] == "float32"
    with pytest.raises(LindiFormatError, match="reserved"):
        CONV.write_attrs(meta, "/g", {keys.ATTRIBUTE_DTYPES: [["a", "int8"]]})


def _group_document(attributes: dict[str, Any]) -> ReferenceMap:
    meta = ReferenceMap()
    meta.set_json("zarr.json", {"zarr_format": 3, "node_type": "group", "attributes": {}})
    meta.set_json("g/zarr.json", {"zarr_format": 3, "node_type": "group", "attributes": attributes})
    return meta


def test_v3_file_without_record_keeps_json_types() -> None:
    meta = _group_document({"n": 5, "x": 0.5, "b": True, "s": "abc", "arr": [1, 2]})
    node = _reread(meta)
    assert _same(node.attrs["n"], np.int64(5)) and _same(node.attrs["x"], np.float64(0.5))
    assert _same(node.attrs["b"], np.bool_(True)) and node.attrs["s"] == "abc"
    assert _same(node.attrs["arr"], np.array([1, 2], dtype=np.int64))
    assert node.inferred_dtypes == {"n", "x", "b", "arr"}


def test_v3_record_applies_only_where_exact() -> None:
    record = [["big", "uint8"], ["x", "float32"], ["ok", "uint16"], ["s", "int8"]]
    meta = _group_document(
        {keys.ATTRIBUTE_DTYPES: record, "big": 300, "x": 0.077, "ok": 7, "s": "abc"}
    )
    node = _reread(meta)
    assert _same(node.attrs["big"], np.int64(300)) and _same(node.attrs["x"], np.float64(0.077))
    assert _same(node.attrs["ok"], np.uint16(7)) and node.attrs["s"] == "abc"
    assert node.inferred_dtypes == {"big", "x"}
    with pytest.raises(LindiFormatError, match=keys.ATTRIBUTE_DTYPES):
        _reread(_group_document({keys.ATTRIBUTE_DTYPES: {"a": "int8"}, "a": 1}))


def _write_hdf5(path: Path) -> None:
    with h5py.File(path, "w") as f:
        group = f.create_group("g")
        for name, value in VALUES.items():
            group.attrs[name] = value
        ds = f.create_dataset("g/d", data=np.arange(4, dtype="<i2"))
        ds.attrs["sweep_number"] = np.uint32(12)


def _typed_attrs(path: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    opened = open_hierarchy(str(path), "r")
    try:
        hierarchy = opened.hierarchy
        out = {}
        for where in ("/g", "/g/d"):
            node = hierarchy.node(where)
            assert node is not None and not node.inferred_dtypes
            out[where] = {name: user_value(value) for name, value in node.attrs.items()}
        return hierarchy.conventions.name, out
    finally:
        opened.close(commit=False)


def test_transcode_keeps_the_record_both_ways(tmp_path: Path) -> None:
    source = tmp_path / "a.h5"
    _write_hdf5(source)
    v1, v3, back = (tmp_path / f"{n}.lindi.json" for n in ("v1", "v3", "back"))
    hdmf_lindi.convert(source, v1)
    transcode(v1, v3, conventions=V3)
    transcode(v3, back, conventions="lindi-v1")
    with h5py.File(source, "r") as f:
        expected = {"/g": dict(f["g"].attrs), "/g/d": dict(f["g/d"].attrs)}
    for path, flavour in ((v1, "lindi-v1"), (v3, V3), (back, "lindi-v1")):
        name, attrs = _typed_attrs(path)
        assert name == flavour
        for where, values in expected.items():
            assert attrs[where].keys() == values.keys()
            for key, value in values.items():
                assert _same(attrs[where][key], value), (path.name, where, key)
    v3_refs = json.loads(v3.read_text())["refs"]
    d_attributes = v3_refs["g/d/zarr.json"]["attributes"]
    assert d_attributes[keys.ATTRIBUTE_DTYPES] == [["sweep_number", "uint32"]]
    v1_record = json.loads(v1.read_text())["refs"]["g/.zattrs"][keys.ATTRIBUTE_DTYPES]
    back_record = json.loads(back.read_text())["refs"]["g/.zattrs"][keys.ATTRIBUTE_DTYPES]
    assert back_record == v1_record
