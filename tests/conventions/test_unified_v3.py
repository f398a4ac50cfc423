"""The unified Zarr v3 flavour on its own: keys, nodes, links, attributes, every kind of dataset
written by the flavour and read back both by its zarr-free fast paths and by zarr itself."""

from __future__ import annotations

import json
import math
from typing import Any

import h5py
import numpy as np
import pytest
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

from hdmf_lindi.conventions import detect_conventions, get_conventions
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, NodeKind, Reference, SoftLink
from hdmf_lindi.conventions.unified_v3 import UnifiedZarrV3Conventions
from hdmf_lindi.errors import LindiExistsError, LindiFormatError, LindiUnsupportedError
from hdmf_lindi.hierarchy import Hierarchy
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import LindiStore

CONV = UnifiedZarrV3Conventions()


def _hierarchy() -> Hierarchy:
    meta = ReferenceMap(source="mem.lindi.json")
    CONV.write_group(meta, "/")
    return Hierarchy(LindiStore(meta, inline_threshold=None), CONV)


def _info(shape: tuple[int, ...], dtype: Any, kind: DataKind, **kw: Any) -> DatasetInfo:
    return DatasetInfo(shape=shape, dtype=np.dtype(dtype), kind=kind, **kw)


COMPOUND = np.dtype([("x", "<f8"), ("ref", h5py.ref_dtype), ("label", h5py.string_dtype())])


def _compound_values() -> np.ndarray:
    out = np.zeros(3, dtype=COMPOUND)
    out["x"] = [1.5, math.nan, -2.0]
    out["ref"] = [Reference("/g"), Reference("/g/d"), None]
    out["label"] = ["a", "NaN", "ünï"]
    return out


CASES: list[tuple[str, DatasetInfo, Any]] = [
    ("int16_big", _info((5,), ">i2", DataKind.NUMERIC), np.arange(5, dtype=">i2")),
    (
        "float_chunks",
        _info((7, 3), "<f4", DataKind.NUMERIC, chunks=(3, 2), fillvalue=math.nan),
        np.arange(21, dtype="<f4").reshape(7, 3),
    ),
    ("bools", _info((4,), "|b1", DataKind.NUMERIC), np.array([True, False, True, True])),
    ("fixed_bytes", _info((2,), "|S5", DataKind.NUMERIC), np.array([b"ab", b"hello"])),
    (
        "enum",
        DatasetInfo(
            shape=(3,), dtype=h5py.enum_dtype({"a": 0, "b": 1}, "u1"), kind=DataKind.NUMERIC
        ),
        np.array([0, 1, 1], dtype="u1"),
    ),
    (
        "strings",
        _info((3,), h5py.string_dtype(), DataKind.VLEN_STRING),
        np.array(["x", "", "NaN"], dtype=object),
    ),
    (
        "vlen_bytes",
        _info((2,), h5py.vlen_dtype(bytes), DataKind.VLEN_BYTES),
        np.array([b"\x00\x01", b""], dtype=object),
    ),
    (
        "refs",
        _info((3,), h5py.ref_dtype, DataKind.REFERENCE),
        np.array([Reference("/g"), None, Reference("/g/d", source="other.nwb.zarr")], object),
    ),
    ("compound", _info((3,), COMPOUND, DataKind.COMPOUND), _compound_values()),
    ("scalar_text", _info((), h5py.string_dtype(), DataKind.VLEN_STRING), "identifier"),
    ("scalar_float", _info((), "<f8", DataKind.NUMERIC), np.float64(2.5)),
    ("scalar_ref", _info((), h5py.ref_dtype, DataKind.REFERENCE), Reference("/g")),
    ("gzip", _info((10,), "<i8", DataKind.NUMERIC, compression="gzip"), np.arange(10)),
]


def _same(actual: Any, expected: Any) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    if expected.dtype.names is not None:
        for name in expected.dtype.names:
            _same(actual[name], expected[name])
    elif expected.dtype.kind == "f":
        np.testing.assert_array_equal(actual, expected)
    else:
        assert actual.tolist() == expected.tolist()


@pytest.mark.parametrize(("name", "info", "values"), CASES, ids=[c[0] for c in CASES])
def test_dataset_round_trip_fast_path_and_zarr(name: str, info: DatasetInfo, values: Any) -> None:
    hierarchy = _hierarchy()
    hierarchy.create_group("/g")
    hierarchy.create_dataset("/g/d", _info((1,), "<i4", DataKind.NUMERIC), np.array([1]))
    path = f"/data/{name}"
    hierarchy.create_dataset(path, info, values, {"unit": "s"})
    node = hierarchy.node(path)
    assert node is not None and node.dataset is not None
    read_info = node.dataset
    assert read_info.shape == info.shape
    assert read_info.kind is info.kind
    assert read_info.dtype == info.dtype or info.kind is DataKind.COMPOUND
    assert node.attrs == {"unit": "s"}
    fast = hierarchy.read(path)
    # the same stored chunks, read by zarr itself
    array = zarr.open_array(hierarchy.store, path=CONV.zarr_path(path), mode="r", zarr_format=3)
    through_zarr = CONV.decode_values(read_info, np.asarray(array[...]))
    for got in (fast, through_zarr):
        if info.is_scalar:
            assert np.asarray(got).shape == ()
            item = np.asarray(got)[()]
            assert not isinstance(item, np.ndarray)
            assert item == values or (isinstance(values, float) and math.isnan(values))
        else:
            _same(got, values)
    if name == "gzip":
        assert read_info.compression == "gzip"
        assert CONV.codec_ids(hierarchy.store.reference_map, path) == ["zlib"]
    if info.is_scalar:
        assert CONV.stored_chunk_keys(hierarchy.store.reference_map, path) == [f"data/{name}/c"]


def test_block_writes_take_the_fast_path_and_match_zarr() -> None:
    hierarchy = _hierarchy()
    info = _info((10, 4), "<i2", DataKind.NUMERIC, chunks=(4, 4), maxshape=(None, 4))
    hierarchy.create_dataset("/d", info)
    meta = hierarchy.store.reference_map
    stored = np.arange(16, dtype="<i2").reshape(4, 4)
    chunks = CONV.encode_region(meta, "/d", (4, 0), stored)
    assert chunks is not None
    assert [key for key, _ in chunks] == ["d/c/1/0"]
    assert CONV.encode_region(meta, "/d", (1, 0), stored) is None  # off the grid
    hierarchy.write("/d", (slice(4, 8), slice(None)), stored)
    hierarchy.write("/d", (slice(8, 10), slice(None)), stored[:2])  # the edge chunk
    assert CONV.stored_chunk_keys(meta, "/d") == ["d/c/1/0", "d/c/2/0"]
    array = zarr.open_array(hierarchy.store, path="d", mode="r", zarr_format=3)
    assert array[4:8].tolist() == stored.tolist()
    assert array[8:10].tolist() == stored[:2].tolist()
    assert array[0:4].tolist() == np.zeros((4, 4)).tolist()
    hierarchy.resize("/d", (12, 4))
    assert meta.get_json("d/zarr.json")["shape"] == [12, 4]
    assert hierarchy.node("/d").dataset.maxshape == (None, 4)  # type: ignore[union-attr]


def test_links_groups_and_deletion() -> None:
    hierarchy = _hierarchy()
    hierarchy.create_group("/a/b", {"x": 1})
    hierarchy.create_soft_link("/a/link", "/a/b")
    hierarchy.create_external_link("/a/ext", "other.nwb", "/acquisition/x")
    meta = hierarchy.store.reference_map
    assert "a/link/zarr.json" not in meta
    assert meta.get_json("a/zarr.json")["attributes"]["_LINKS"] == [
        {"name": "link", "path": "/a/b", "source": "."},
        {"name": "ext", "path": "/acquisition/x", "source": "other.nwb"},
    ]
    assert CONV.list_children(meta, "/a") == ["b", "ext", "link"]
    link = CONV.read_node(meta, "/a/link")
    assert link is not None and link.kind is NodeKind.SOFT_LINK and link.link == SoftLink("/a/b")
    ext = CONV.read_node(meta, "/a/ext")
    assert ext is not None and ext.kind is NodeKind.EXTERNAL_LINK
    assert hierarchy.resolve("/a/link/").attrs == {"x": 1}  # type: ignore[union-attr]
    assert hierarchy.node("/a").attrs == {}  # type: ignore[union-attr]  # _LINKS is hidden
    with pytest.raises(LindiExistsError):
        CONV.write_soft_link(meta, "/a/link", "/a")
    with pytest.raises(LindiExistsError):
        CONV.write_group(meta, "/a/link")
    hierarchy.delete("/a/link")
    hierarchy.delete("/a/ext")
    assert "_LINKS" not in meta.get_json("a/zarr.json")["attributes"]
    hierarchy.delete("/a/b")
    assert CONV.list_children(meta, "/a") == []


@pytest.mark.parametrize("name", ["__x", "zarr.json", "...", "."])
def test_reserved_names_are_refused(name: str) -> None:
    with pytest.raises(LindiFormatError, match="not allowed"):
        CONV.zarr_path(f"/a/{name}")


def test_keys() -> None:
    assert CONV.chunk_key("/a/b", (1, 2)) == "a/b/c/1/2"
    assert CONV.chunk_key("/a/b", ()) == "a/b/c"
    assert CONV.chunk_index("/a/b", "a/b/c/1/2") == (1, 2)
    assert CONV.chunk_index("/a/b", "a/b/c") == ()
    assert CONV.chunk_index("/a/b", "a/x/c/0") is None
    assert get_conventions("unified-zarr-v3").name == "unified-zarr-v3"
    with pytest.raises(LindiUnsupportedError, match="unified-zarr-v3"):
        get_conventions("v4")


def test_reserved_attribute_names_and_bad_metadata() -> None:
    hierarchy = _hierarchy()
    hierarchy.create_group("/g")
    with pytest.raises(LindiFormatError, match="reserved"):
        hierarchy.set_attrs("/g", {"_LINKS": []})
    meta = ReferenceMap({"zarr.json": {"zarr_format": 3, "node_type": "group"}}, source="x.json")
    meta.set_json("a/zarr.json", {"zarr_format": 3, "node_type": "array", "shape": [2]})
    with pytest.raises(LindiFormatError, match=r"x\.json"):
        CONV.read_node(meta, "/a")
    meta.set_json("b/zarr.json", {"zarr_format": 2})
    with pytest.raises(LindiFormatError, match=r"x\.json"):
        CONV.read_node(meta, "/b")
    assert detect_conventions(meta).name == "unified-zarr-v3"


# HDF5 strings end at a NUL (h5py cannot store one), and numpy drops trailing NULs from the
# arrays the expected values are compared as; lone surrogates are refused (test below)
_TEXT = st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]))
ATTRIBUTE_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    _TEXT,
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=5),
    st.lists(_TEXT, min_size=1, max_size=5),
    st.lists(st.integers(min_value=-(2**31), max_value=2**31), min_size=1, max_size=5),
    st.builds(Reference, st.just("/a/b"), object_id=st.none() | st.just("id-1")),
)


@settings(max_examples=200, deadline=None)
@given(value=ATTRIBUTE_VALUES)
def test_attribute_round_trip_and_strict_json(value: Any) -> None:
    meta = ReferenceMap(source="mem")
    CONV.write_group(meta, "/")
    CONV.write_group(meta, "/g", {"v": value})
    node = CONV.read_node(meta, "/g")
    assert node is not None
    got = node.attrs["v"]
    if isinstance(value, Reference):
        assert got == value
    elif isinstance(value, list):
        _same(got, np.array(value))
    elif isinstance(value, float) and math.isnan(value):
        assert isinstance(got, np.floating) and math.isnan(got)
    else:
        assert got == value
        assert isinstance(got, str) == isinstance(value, str)  # "NaN" stays a string
    document = meta.dumps()
    json.loads(document, parse_constant=_refuse)  # the map is strict JSON whatever the value
    raw = meta.get_raw("g/zarr.json")
    has_nonfinite = any(
        isinstance(x, float) and not math.isfinite(x)
        for x in (value if isinstance(value, list) else [value])
    )
    assert isinstance(raw, str) == has_nonfinite  # a string-valued zarr.json only when needed


def _refuse(token: str) -> Any:
    raise ValueError(token)


def test_nonfinite_attributes_are_bare_tokens_for_zarr() -> None:
    hierarchy = _hierarchy()
    hierarchy.create_dataset(
        "/d", _info((2,), "<f8", DataKind.NUMERIC), np.ones(2), {"c": math.nan, "r": -math.inf}
    )
    raw = hierarchy.store.reference_map.get_raw("d/zarr.json")
    assert isinstance(raw, str) and '"c":NaN' in raw and '"r":-Infinity' in raw
    array = zarr.open_array(hierarchy.store, path="d", mode="r", zarr_format=3)
    assert math.isnan(array.attrs["c"]) and array.attrs["r"] == -math.inf


def test_long_compound_text_is_refused() -> None:
    hierarchy = _hierarchy()
    values = np.zeros(1, dtype=COMPOUND)
    values["label"] = ["x" * 600]
    values["ref"] = [Reference("/")]
    with pytest.raises(LindiUnsupportedError, match="600 characters"):
        hierarchy.create_dataset("/c", _info((1,), COMPOUND, DataKind.COMPOUND), values)


def test_large_string_chunks_stay_inline() -> None:
    meta = ReferenceMap(source="mem.lindi.json")
    CONV.write_group(meta, "/")
    hierarchy = Hierarchy(LindiStore(meta), CONV)  # default threshold, nowhere for blobs
    info = _info((3,), h5py.string_dtype(), DataKind.VLEN_STRING)
    values = np.array(["x" * 2000, "y", "z" * 900], dtype=object)
    hierarchy.create_dataset("/s", info, values)  # a 2.9 kB chunk: inline, not refused
    assert hierarchy.read("/s").tolist() == values.tolist()


@st.composite
def _arrays_and_chunks(draw: st.DrawFn) -> tuple[np.ndarray, tuple[int, ...]]:
    from hypothesis.extra import numpy as hnp

    dtype = draw(st.sampled_from(["<i2", ">i4", "<u8", "<f8", ">f4", "|b1", "<c16", "|S3"]))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6))
    values = draw(hnp.arrays(np.dtype(dtype), shape))
    chunks = tuple(draw(st.integers(min_value=1, max_value=n + 1)) for n in shape)
    return values, chunks


@settings(max_examples=60, deadline=None)
@given(case=_arrays_and_chunks(), text=st.lists(st.text(), min_size=1, max_size=4))
def test_values_round_trip_hypothesis(case: tuple[np.ndarray, tuple[int, ...]], text: Any) -> None:
    """Whatever the values and chunking: written by the flavour's fast path, read back
    identical by the flavour and by zarr."""
    values, chunks = case
    hierarchy = _hierarchy()
    info = _info(values.shape, values.dtype, DataKind.NUMERIC, chunks=chunks)
    hierarchy.create_dataset("/n", info, values)
    strings = np.array(text, dtype=object)
    hierarchy.create_dataset(
        "/t", _info(strings.shape, h5py.string_dtype(), DataKind.VLEN_STRING), strings
    )
    for path, expected in (("/n", values), ("/t", strings)):
        node = hierarchy.node(path)
        assert node is not None and node.dataset is not None
        array = zarr.open_array(hierarchy.store, path=path[1:], mode="r", zarr_format=3)
        for got in (hierarchy.read(path), CONV.decode_values(node.dataset, array[...])):
            assert np.asarray(got).dtype == expected.dtype
            if expected.dtype.kind in "fc":
                np.testing.assert_array_equal(got, expected)
            else:
                assert np.asarray(got).tolist() == expected.tolist()


@pytest.mark.parametrize(
    "attrs",
    [{"v": "\ud800"}, {"v": ["ok", "x\udfff"]}, {"k\ud800": 1}],
    ids=["str", "list", "name"],
)
def test_text_that_is_not_unicode_is_refused_when_written(attrs: dict[str, Any]) -> None:
    meta = ReferenceMap(source="mem")
    CONV.write_group(meta, "/")
    with pytest.raises(LindiFormatError, match="not valid Unicode"):
        CONV.write_group(meta, "/g", attrs)
    node = CONV.read_node(meta, "/g")
    assert node is None or not node.attrs
    json.loads(meta.dumps())
