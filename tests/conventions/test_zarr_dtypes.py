"""The json2 object data type registered in zarr-python 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from zarr.core.dtype import data_type_registry, get_data_type_from_json
from zarr.storage import MemoryStore

from hdmf_lindi.conventions.chunks import decode_chunk
from hdmf_lindi.conventions.datasets import JSON2_FILTER
from hdmf_lindi.conventions.zarr_dtypes import JSONObject, register_zarr_dtypes
from tests.conventions.conftest import (
    array_in,
    json2_dtype,
    load_map,
    open_fixture_group,
    values_of,
)

REF = {"_REFERENCE": {"object_id": None, "path": "/grp", "source": ".", "source_object_id": None}}
REF_SCALAR = {
    "_REFERENCE": {"object_id": None, "path": "/scalar", "source": ".", "source_object_id": None}
}


def test_registration_is_idempotent() -> None:
    register_zarr_dtypes()
    register_zarr_dtypes()
    matches = [cls for cls in data_type_registry.contents.values() if cls is JSONObject]
    assert len(matches) == 1
    dtype = get_data_type_from_json({"name": "|O", "object_codec_id": "json2"}, zarr_format=2)
    assert isinstance(dtype, JSONObject)
    assert dtype.to_json(zarr_format=2) == {"name": "|O", "object_codec_id": "json2"}


def test_other_object_codecs_still_resolve_to_zarr_types() -> None:
    dtype = get_data_type_from_json({"name": "|O", "object_codec_id": "vlen-utf8"}, zarr_format=2)
    assert not isinstance(dtype, JSONObject)


FEATURES_EXPECTED: dict[str, list[Any]] = {
    "bools": [True, False],
    "fixstr": [b"ab", b"cd"],
    "scalar": [3.14],
    "strscalar": ["a string"],
    "vlenstr": ["x", "yy", "zzz"],
    "refs": [REF_SCALAR, REF],
    "compound": [[1, 2.0, REF], [2, 3.0, REF_SCALAR]],
    "empty": [],
}


def test_zarr_reads_every_features_array(upstream_dir: Path) -> None:
    group = open_fixture_group("features.lindi.json")
    names = sorted(name for name, _ in group.arrays())
    assert names == sorted([*FEATURES_EXPECTED, "chunked", "contig"])
    for name, expected in FEATURES_EXPECTED.items():
        assert values_of(array_in(group, name)).tolist() == expected, name
    chunked = values_of(array_in(group, "chunked"))
    np.testing.assert_array_equal(chunked, np.arange(100_000).astype(np.int16).reshape(1000, 100))
    contig = values_of(array_in(group, "contig"))
    np.testing.assert_array_equal(contig, np.arange(50000, dtype=np.float32))
    assert array_in(group, "vlenstr").fill_value == 0


@pytest.mark.parametrize("name", ["pynwb_written.nwb.lindi.json", "written.lindi.d"])
def test_zarr_reads_every_array_of(upstream_dir: Path, name: str) -> None:
    group = open_fixture_group(name)
    arrays = list(group.arrays())
    count = 0
    for _, array in group.members(max_depth=None):
        if isinstance(array, zarr.Array):
            values = values_of(array)
            assert values.shape == array.shape
            count += 1
    assert count >= len(arrays)
    if name.startswith("pynwb"):
        created = values_of(array_in(group, "file_create_date"))
        assert created.dtype == object and isinstance(created[0], str)
        assert values_of(array_in(group, "general/subject/species"))[0] == "Mus musculus"


def _create_json2_array(store: MemoryStore, shape: tuple[int, ...], chunks: tuple[int, ...]) -> Any:
    return zarr.create_array(
        store,
        name="obj",
        shape=shape,
        chunks=chunks,
        dtype=json2_dtype(),
        filters=[numcodecs.get_codec(dict(JSON2_FILTER))],
        compressors=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1),
        zarr_format=2,
        fill_value=0,
    )


def test_write_and_read_back_through_zarr(upstream_dir: Path) -> None:
    store = MemoryStore()
    array = _create_json2_array(store, (5,), (2,))
    values = np.empty(5, dtype=object)
    values[:] = ["s", {"a": [1, 2]}, [1, "x", REF], REF, 3.5]
    array[...] = values
    reopened = zarr.open_array(store, path="obj", mode="r", zarr_format=2)
    assert values_of(reopened).tolist() == values.tolist()
    assert values_of(reopened, slice(1, 3)).tolist() == values[1:3].tolist()

    # the .zarray has the shape of lindi 0.4.6's json2 arrays (readable by zarr 2)
    zarray = json.loads(store._store_dict["obj/.zarray"].to_bytes())
    fixture = load_map("features.lindi.json").get_json("vlenstr/.zarray")
    assert zarray["dtype"] == fixture["dtype"] == "|O"
    assert zarray["filters"] == fixture["filters"]
    assert zarray["compressor"] == fixture["compressor"]
    assert zarray["fill_value"] == fixture["fill_value"] == 0
    assert zarray["order"] == "C" and zarray["zarr_format"] == 2

    # chunk payloads are json2 lists with the "|O", shape trailer (decode with our codec path)
    last = store._store_dict["obj/2"].to_bytes()
    decoded = decode_chunk(zarray, last)
    assert decoded.tolist() == [3.5, 0]


def test_partial_writes_leave_fill_value() -> None:
    store = MemoryStore()
    array = _create_json2_array(store, (4,), (2,))
    array[0:2] = np.array(["a", "b"], dtype=object)
    assert values_of(array).tolist() == ["a", "b", 0, 0]


def test_two_dimensional_object_array() -> None:
    store = MemoryStore()
    array = _create_json2_array(store, (2, 3), (2, 2))
    values = np.empty((2, 3), dtype=object)
    values[...] = [["a", "b", "c"], [[1, 2], {"k": "v"}, None]]
    array[...] = values
    assert values_of(zarr.open_array(store, path="obj", mode="r")).tolist() == values.tolist()


def test_compound_rows_through_zarr() -> None:
    store = MemoryStore()
    array = _create_json2_array(store, (3,), (3,))
    rows = np.empty(3, dtype=object)
    rows[:] = [[1, 2.0, REF], [2, 3.0, REF_SCALAR], [3, -1.5, REF]]
    array[...] = rows
    back = values_of(zarr.open_array(store, path="obj", mode="r"))
    assert back.tolist() == rows.tolist()
    # zarr's integer indexing of object arrays wraps the element twice; slices are plain
    reopened = zarr.open_array(store, path="obj", mode="r")
    assert values_of(reopened, slice(1, 2))[0] == [2, 3.0, REF_SCALAR]


def test_scalar_checks() -> None:
    dtype = JSONObject()
    assert dtype.cast_scalar(np.int64(3)) == 3
    assert type(dtype.cast_scalar(np.int64(3))) is int
    assert dtype.cast_scalar({"a": np.float64(1.5)}) == {"a": 1.5}
    assert dtype.to_json_scalar(np.array([1, 2]), zarr_format=2) == [1, 2]
    assert dtype.from_json_scalar(0, zarr_format=2) == 0
    with pytest.raises(TypeError):
        dtype.cast_scalar(object())
