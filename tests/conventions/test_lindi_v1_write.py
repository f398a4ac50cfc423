"""LindiV1Conventions writing: groups, attributes, links, datasets, values; round trips."""

from __future__ import annotations

import math
from typing import Any

import h5py
import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hdmf_lindi import _json
from hdmf_lindi.conventions.chunks import decode_chunk, encode_chunk
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import (
    DataKind,
    DatasetInfo,
    ExternalArrayLink,
    ExternalLink,
    Node,
    NodeKind,
    Reference,
    SoftLink,
)
from hdmf_lindi.errors import (
    LindiExistsError,
    LindiFormatError,
    LindiShapeError,
    LindiUnsupportedError,
)
from hdmf_lindi.storage.reference_map import InlineRef, ReferenceMap
from tests.conventions.conftest import array_in, memory_store, values_of

CONV = LindiV1Conventions()
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=80)


def reloaded(meta: ReferenceMap) -> ReferenceMap:
    """The map after writing it to JSON and reading it back."""
    return ReferenceMap.from_bytes(meta.dumps())


def write_values(meta: ReferenceMap, path: str, info: DatasetInfo, values: Any) -> dict[str, Any]:
    zarray = CONV.write_dataset(meta, path, info)
    stored = CONV.encode_values(info, values)
    if stored.size:
        prefix = CONV.zarr_path(path)
        meta.set_inline(f"{prefix}/{'.'.join('0' * stored.ndim)}", encode_chunk(zarray, stored))
    return zarray


def node_at(meta: ReferenceMap, path: str) -> Node:
    node = CONV.read_node(meta, path)
    assert node is not None, path
    return node


def read_values(meta: ReferenceMap, path: str) -> np.ndarray:
    node = CONV.read_node(meta, path)
    assert node is not None and node.dataset is not None
    prefix = CONV.zarr_path(path)
    zarray = meta.get_json(f"{prefix}/.zarray")
    key = f"{prefix}/{'.'.join('0' * len(zarray['shape']))}"
    ref = meta.resolve(key)
    if ref is None:
        stored = np.empty(
            zarray["shape"], dtype=object if zarray["dtype"] == "|O" else zarray["dtype"]
        )
    else:
        stored = decode_chunk(zarray, ref.data)  # type: ignore[union-attr]
    return CONV.decode_values(node.dataset, stored)


# ------------------------------------------------------------------------- groups and attrs
def test_groups_attributes_and_listing() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/", {"title": "t"})
    CONV.write_group(meta, "/a/b/c", {"n": np.int32(3), "f": [1.0, math.nan]})
    assert CONV.list_children(meta, "/") == ["a"]
    assert CONV.list_children(meta, "/a") == ["b"]
    meta = reloaded(meta)
    node = CONV.read_node(meta, "/a/b/c")
    assert node is not None and node.kind == NodeKind.GROUP
    assert node.attrs["n"] == 3 and isinstance(node.attrs["n"], np.int32)
    assert node.attrs["f"][0] == 1.0 and np.isnan(node.attrs["f"][1])
    assert meta.get_json("a/b/c/.zattrs") == {
        "f": [1.0, "NaN"],
        "n": 3,
        "_ATTRIBUTE_DTYPES": [["f", "float64"], ["n", "int32"]],
    }
    assert meta.get_json("a/.zgroup") == {"zarr_format": 2}
    assert "a/.zattrs" not in meta
    assert node_at(meta, "/").attrs == {"title": "t"}


def test_attrs_merge_replace_delete() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", {"a": 1, "b": "x"})
    CONV.write_attrs(meta, "/g", {"c": True})
    assert set(node_at(meta, "/g").attrs) == {"a", "b", "c"}
    CONV.write_attrs(meta, "/g", {"z": 0}, replace=True)
    assert dict(node_at(meta, "/g").attrs) == {"z": 0}
    CONV.delete_attr(meta, "/g", "z")
    assert "g/.zattrs" not in meta
    with pytest.raises(KeyError):
        CONV.delete_attr(meta, "/g", "z")
    with pytest.raises(KeyError):
        CONV.write_attrs(meta, "/missing", {"a": 1})
    with pytest.raises(LindiFormatError, match="reserved"):
        CONV.write_attrs(meta, "/g", {"_SCALAR": True})


def test_special_attributes_survive_user_attribute_changes() -> None:
    meta = ReferenceMap()
    info = DatasetInfo(shape=(), dtype=np.dtype("<f8"))
    CONV.write_dataset(meta, "/s", info, {"u": "v"})
    CONV.write_attrs(meta, "/s", {"w": 1}, replace=True)
    assert meta.get_json("s/.zattrs") == {
        "_SCALAR": True,
        "w": 1,
        "_ATTRIBUTE_DTYPES": [["w", "int64"]],
    }
    node = CONV.read_node(meta, "/s")
    assert node is not None and node.dataset is not None and node.dataset.is_scalar
    with pytest.raises(KeyError):
        CONV.delete_attr(meta, "/s", "_SCALAR")


def test_links() -> None:
    meta = ReferenceMap()
    CONV.write_soft_link(meta, "/x/soft", "/target")
    CONV.write_external_link(meta, "/x/ext", "other.nwb", "/acquisition/ts")
    assert meta.get_json("x/soft/.zattrs") == {"_SOFT_LINK": {"path": "/target"}}
    assert meta.get_json("x/ext/.zattrs") == {"_EXTERNAL_LINK": ["other.nwb", "/acquisition/ts"]}
    meta = reloaded(meta)
    assert CONV.read_node(meta, "/x/soft") == Node(
        path="/x/soft", kind=NodeKind.SOFT_LINK, link=SoftLink("/target")
    )
    assert CONV.read_node(meta, "/x/ext") == Node(
        path="/x/ext",
        kind=NodeKind.EXTERNAL_LINK,
        link=ExternalLink(filename="other.nwb", path="/acquisition/ts"),
    )
    assert CONV.list_children(meta, "/x") == ["ext", "soft"]
    with pytest.raises(LindiExistsError, match="already exists"):
        CONV.write_soft_link(meta, "/x/soft", "/other")
    with pytest.raises(LindiFormatError, match="absolute"):
        CONV.write_soft_link(meta, "/x/rel", "relative")


def test_delete_node() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/a/b", {"k": 1})
    write_values(meta, "/a/b/ds", DatasetInfo(shape=(3,), dtype=np.dtype("<i4")), [1, 2, 3])
    CONV.write_group(meta, "/ab")
    CONV.delete_node(meta, "/a")
    assert sorted(meta) == [".zgroup", "ab/.zgroup"]
    with pytest.raises(KeyError):
        CONV.delete_node(meta, "/a")
    with pytest.raises(LindiFormatError):
        CONV.delete_node(meta, "/")


def test_paths() -> None:
    assert CONV.zarr_path("/") == ""
    assert CONV.zarr_path("/a/b/") == "a/b"
    assert CONV.zarr_path("a//b") == "a/b"
    for bad in ("/a/../b", "/./a", "/a/.zattrs"):
        with pytest.raises(LindiFormatError):
            CONV.zarr_path(bad)


def test_dataset_and_group_conflicts() -> None:
    meta = ReferenceMap()
    write_values(meta, "/d", DatasetInfo(shape=(1,), dtype=np.dtype("<i4")), [1])
    with pytest.raises(LindiFormatError, match="is a dataset"):
        CONV.write_group(meta, "/d/child")
    with pytest.raises(LindiExistsError, match="is a dataset"):
        CONV.write_group(meta, "/d")
    CONV.write_group(meta, "/g")
    with pytest.raises(LindiExistsError, match="group already exists"):
        CONV.write_dataset(meta, "/g", DatasetInfo(shape=(1,), dtype=np.dtype("<i4")))


# ------------------------------------------------------------------------------- datasets
def test_scalar_dataset_layout() -> None:
    meta = ReferenceMap()
    zarray = write_values(meta, "/s", DatasetInfo(shape=(), dtype=np.dtype("<f8")), 2.5)
    assert zarray["shape"] == [1] and zarray["chunks"] == [1]
    assert meta.get_json("s/.zattrs") == {"_SCALAR": True}
    values = read_values(reloaded(meta), "/s")
    assert values.shape == () and values[()] == 2.5


def test_vlen_string_dataset_layout_matches_lindi() -> None:
    meta = ReferenceMap()
    info = DatasetInfo(shape=(3,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    zarray = write_values(meta, "/v", info, np.array(["x", b"yy", "zzz"], dtype=object))
    assert zarray["dtype"] == "|O" and zarray["fill_value"] == 0
    assert zarray["filters"][0]["id"] == "json2"
    # decompressed chunk is exactly lindi's payload
    ref = meta.resolve("v/0")
    assert isinstance(ref, InlineRef)
    raw = {**zarray, "filters": None, "dtype": "|u1", "chunks": [25]}
    assert decode_chunk(raw, ref.data).tobytes() == b'["x","yy","zzz","|O",[3]]'
    assert read_values(reloaded(meta), "/v").tolist() == ["x", "yy", "zzz"]


def test_reference_dataset_detected_from_inline_chunk() -> None:
    meta = ReferenceMap()
    refs = np.array([Reference("/a"), Reference("/b", object_id="o")], dtype=object)
    info = DatasetInfo(shape=(2,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE)
    write_values(meta, "/r", info, refs)
    node = CONV.read_node(reloaded(meta), "/r")
    assert node is not None and node.dataset is not None
    assert node.dataset.kind == DataKind.REFERENCE
    assert read_values(meta, "/r").tolist() == list(refs)


def test_reference_dataset_with_chunk_elsewhere_uses_chunk_reader() -> None:
    meta = ReferenceMap()
    info = DatasetInfo(shape=(1,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE)
    zarray = CONV.write_dataset(meta, "/r", info)
    chunk = encode_chunk(zarray, CONV.encode_values(info, np.array([Reference("/a")])))
    meta.set_url("r/0", "https://example.invalid/blob", 0, len(chunk))
    node = CONV.read_node(meta, "/r")
    assert node is not None and node.dataset is not None
    assert node.dataset.kind == DataKind.REFERENCE  # from the _DTYPE marker we write
    # lindi 0.4.6 writes no marker: the first element tells
    assert meta.get_json("r/.zattrs") == {"_DTYPE": "object_reference"}
    meta.delete("r/.zattrs")
    node = CONV.read_node(meta, "/r")
    assert node is not None and node.dataset is not None
    assert node.dataset.kind == DataKind.VLEN_STRING  # unknown without reading the chunk
    node = CONV.read_node(meta, "/r", chunk_reader=lambda key: chunk if key == "r/0" else None)
    assert node is not None and node.dataset is not None
    assert node.dataset.kind == DataKind.REFERENCE
    # decoding as strings still yields References (value-driven, as lindi 0.4.6)
    as_strings = DatasetInfo(shape=(1,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    decoded = CONV.decode_values(as_strings, decode_chunk(zarray, chunk))
    assert decoded.tolist() == [Reference("/a")]


def test_compound_with_reference_field() -> None:
    dtype = np.dtype([("idx", "<i4"), ("val", "<f8"), ("r", h5py.ref_dtype), ("s", "S3")])
    info = DatasetInfo(shape=(2,), dtype=dtype, kind=DataKind.COMPOUND)
    values = np.empty(2, dtype=dtype)
    values[0] = (1, 2.0, Reference("/grp"), b"ab")
    values[1] = (2, math.nan, Reference("/x", object_id="id"), b"cde")
    meta = ReferenceMap()
    write_values(meta, "/c", info, values)
    assert meta.get_json("c/.zattrs") == {
        "_COMPOUND_DTYPE": [
            ["idx", "int32"],
            ["val", "float64"],
            ["r", "<REFERENCE>"],
            ["s", "|S3"],
        ]
    }
    meta = reloaded(meta)
    node = CONV.read_node(meta, "/c")
    assert node is not None and node.dataset is not None
    assert node.dataset.kind == DataKind.COMPOUND
    assert h5py.check_ref_dtype(node.dataset.dtype["r"]) is h5py.Reference
    back = read_values(meta, "/c")
    assert back["idx"].tolist() == [1, 2]
    assert back["val"][0] == 2.0 and math.isnan(back["val"][1])
    assert back["r"].tolist() == [Reference("/grp"), Reference("/x", object_id="id")]
    assert back["s"].tolist() == [b"ab", b"cde"]


def test_enum_maxshape_external_array_link() -> None:
    meta = ReferenceMap()
    enum = h5py.enum_dtype({"OFF": 0, "ON": 1}, basetype="i1")
    info = DatasetInfo(
        shape=(4,),
        dtype=enum,
        chunks=(2,),
        maxshape=(None,),
        external_array_link=ExternalArrayLink(url="http://h/f.nwb", name="/e"),
    )
    write_values(meta, "/e", info, np.array([0, 1, 1, 0], dtype="i1")[:2])
    attrs = meta.get_json("e/.zattrs")
    assert attrs["_ENUM_NAMES"] == ["OFF", "ON"]
    assert attrs["_ENUM_VALUES"] == [0, 1]
    assert attrs["_MAXSHAPE"] == [-1]
    assert attrs["_EXTERNAL_ARRAY_LINK"] == {
        "link_type": "hdf5_dataset",
        "name": "/e",
        "url": "http://h/f.nwb",
    }
    node = CONV.read_node(reloaded(meta), "/e")
    assert node is not None and node.dataset is not None
    assert h5py.check_enum_dtype(node.dataset.dtype) == {"OFF": 0, "ON": 1}
    assert node.dataset.maxshape == (None,)
    assert node.dataset.external_array_link == ExternalArrayLink(url="http://h/f.nwb", name="/e")
    assert dict(node.attrs) == {}


def test_vlen_bytes() -> None:
    meta = ReferenceMap()
    info = DatasetInfo(shape=(2,), dtype=h5py.vlen_dtype(bytes), kind=DataKind.VLEN_BYTES)
    zarray = write_values(meta, "/b", info, np.array([b"\x00\xff", "é"], dtype=object))
    assert zarray["filters"] == [{"id": "vlen-bytes"}] and zarray["fill_value"] is None
    node = CONV.read_node(meta, "/b")
    assert node is not None and node.dataset is not None
    assert node.dataset.kind == DataKind.VLEN_BYTES
    assert read_values(meta, "/b").tolist() == [b"\x00\xff", "é".encode()]


def test_nan_fill_value_and_gzip() -> None:
    meta = ReferenceMap()
    info = DatasetInfo(
        shape=(3,),
        dtype=np.dtype("<f4"),
        fillvalue=math.nan,
        compression="gzip",
        compression_opts=7,
    )
    zarray = CONV.write_dataset(meta, "/f", info)
    assert zarray["fill_value"] == "NaN"
    assert zarray["compressor"] == {"id": "zlib", "level": 7}
    node = CONV.read_node(meta, "/f")
    assert node is not None and node.dataset is not None
    assert np.isnan(node.dataset.fillvalue) and node.dataset.fillvalue.dtype == np.float32
    assert (node.dataset.compression, node.dataset.compression_opts) == ("gzip", 7)
    _json.dumps(meta.get_json("f/.zarray"))  # no bare NaN in the JSON


def test_explicit_codecs_are_kept() -> None:
    meta = ReferenceMap()
    codecs = {
        "filters": [{"id": "shuffle", "elementsize": 2}, {"id": "zlib", "level": 4}],
        "compressor": None,
    }
    zarray = CONV.write_dataset(
        meta, "/c", DatasetInfo(shape=(10,), dtype=np.dtype("<i2")), codecs=codecs
    )
    assert zarray["filters"] == codecs["filters"] and zarray["compressor"] is None
    strings = DatasetInfo(shape=(1,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    zarray = CONV.write_dataset(meta, "/s", strings, codecs={"filters": None, "compressor": None})
    assert [f["id"] for f in zarray["filters"]] == ["json2"]


def test_refused_values() -> None:
    with pytest.raises(LindiUnsupportedError):
        CONV.write_dataset(ReferenceMap(), "/o", DatasetInfo(shape=(1,), dtype=np.dtype(object)))
    with pytest.raises(LindiUnsupportedError):
        CONV.write_dataset(
            ReferenceMap(), "/z", DatasetInfo(shape=(1,), dtype=np.dtype("<f8"), compression="lzf")
        )
    with pytest.raises(LindiShapeError):
        CONV.encode_values(DatasetInfo(shape=(), dtype=np.dtype("<f8")), np.zeros(2))
    info = DatasetInfo(shape=(1,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    with pytest.raises(LindiFormatError):
        CONV.encode_values(info, np.array([3], dtype=object))


def test_written_map_opens_in_zarr() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/", {"a": 1})
    write_values(meta, "/s", DatasetInfo(shape=(), dtype=np.dtype("<i8")), 5)
    write_values(
        meta,
        "/v",
        DatasetInfo(shape=(2,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING),
        np.array(["a", "b"], dtype=object),
    )
    write_values(
        meta,
        "/r",
        DatasetInfo(shape=(1,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE),
        np.array([Reference("/s")], dtype=object),
    )
    write_values(meta, "/m", DatasetInfo(shape=(2, 2), dtype=np.dtype("<f4")), np.eye(2))
    CONV.write_dataset(meta, "/empty", DatasetInfo(shape=(0, 3), dtype=np.dtype("<f8")))
    group = zarr.open_group(memory_store(reloaded(meta)), mode="r", zarr_format=2)
    assert values_of(array_in(group, "s")).tolist() == [5]
    assert values_of(array_in(group, "v")).tolist() == ["a", "b"]
    assert values_of(array_in(group, "r"))[0]["_REFERENCE"]["path"] == "/s"
    np.testing.assert_array_equal(values_of(array_in(group, "m")), np.eye(2))
    assert array_in(group, "empty").shape == (0, 3)
    assert dict(group.attrs) == {"a": 1, "_ATTRIBUTE_DTYPES": [["a", "int64"]]}


# ----------------------------------------------------------------------------- hypothesis
NUMERIC_DTYPES = [
    np.dtype(d)
    for d in ("<i1", "<i2", "<i4", "<i8", "<u1", "<u8", "<f4", "<f8", "|b1", ">i4", "<c16", "|S4")
]
shapes = st.just(()) | hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)
texts = st.text(max_size=8)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[DatasetInfo, np.ndarray]:
    kind = draw(st.sampled_from(list(DataKind)))
    shape = draw(shapes)
    size = int(np.prod(shape))
    chunks = None if not shape else tuple(max(1, n) for n in shape)
    maxshape = draw(st.none() | st.just(tuple(None for _ in shape))) if shape else None
    if kind == DataKind.NUMERIC:
        dtype = draw(st.sampled_from(NUMERIC_DTYPES))
        values = draw(hnp.arrays(dtype, shape))
        return DatasetInfo(shape=shape, dtype=dtype, chunks=chunks, maxshape=maxshape), values
    if kind == DataKind.COMPOUND:
        dtype = np.dtype(
            [("i", "<i4"), ("f", "<f8"), ("r", h5py.ref_dtype), ("s", h5py.string_dtype())]
        )
        values = np.zeros(shape, dtype=dtype)
        for index in np.ndindex(*shape):
            values[index] = (
                draw(st.integers(-(2**31), 2**31 - 1)),
                draw(st.floats()),
                Reference("/" + draw(texts)),
                draw(texts),
            )
        return DatasetInfo(shape=shape, dtype=dtype, kind=kind, chunks=chunks), values
    element = {
        DataKind.VLEN_STRING: texts,
        DataKind.VLEN_BYTES: st.binary(max_size=8),
        DataKind.REFERENCE: st.builds(Reference, path=texts.map(lambda s: "/" + s)),
    }[kind]
    dtype = {
        DataKind.VLEN_STRING: h5py.string_dtype(),
        DataKind.VLEN_BYTES: h5py.vlen_dtype(bytes),
        DataKind.REFERENCE: h5py.ref_dtype,
    }[kind]
    items = draw(st.lists(element, min_size=size, max_size=size))
    values = np.empty(size, dtype=object)
    values[:] = items
    return DatasetInfo(shape=shape, dtype=dtype, kind=kind, chunks=chunks), values.reshape(shape)


def _assert_same_values(info: DatasetInfo, expected: np.ndarray, actual: np.ndarray) -> None:
    assert actual.shape == expected.shape
    if info.kind == DataKind.NUMERIC:
        assert actual.dtype == np.dtype(info.dtype.str)
        np.testing.assert_array_equal(actual, expected)
    elif info.kind == DataKind.COMPOUND:
        for name in info.dtype.names or ():
            if info.dtype[name].kind == "f":
                np.testing.assert_array_equal(actual[name], expected[name])
            else:
                assert actual[name].tolist() == expected[name].tolist()
    else:
        assert actual.tolist() == expected.tolist()


@relaxed
@given(datasets())
def test_dataset_round_trip(case: tuple[DatasetInfo, np.ndarray]) -> None:
    info, values = case
    meta = ReferenceMap()
    write_values(meta, "/g/ds", info, values)
    meta = reloaded(meta)
    node = CONV.read_node(meta, "/g/ds")
    assert node is not None and node.dataset is not None
    back = node.dataset
    assert back.shape == info.shape
    assert back.kind == info.kind or (
        info.kind == DataKind.REFERENCE and values.size == 0 and back.kind == DataKind.VLEN_STRING
    )
    if info.kind in (DataKind.NUMERIC, DataKind.COMPOUND):
        assert back.dtype == info.dtype
    assert back.chunks == info.chunks
    assert back.maxshape == (info.maxshape if info.maxshape is not None else info.shape)
    if values.size:
        _assert_same_values(info, values, read_values(meta, "/g/ds"))


@relaxed
@given(datasets())
def test_encode_decode_values_are_inverse(case: tuple[DatasetInfo, np.ndarray]) -> None:
    info, values = case
    stored = CONV.encode_values(info, values)
    assert stored.shape == ((1,) if info.is_scalar else info.shape)
    _assert_same_values(info, values, CONV.decode_values(info, stored))


def test_decode_numpy_string_arrays() -> None:
    info = DatasetInfo(shape=(2,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    from_zarr = np.array(["a", "bé"], dtype=np.dtypes.StringDType())
    assert CONV.decode_values(info, from_zarr).tolist() == ["a", "bé"]
    assert CONV.decode_values(info, np.array(["a", "bé"])).tolist() == ["a", "bé"]
    assert CONV.decode_values(info, from_zarr).dtype == object


def test_structured_zarr_dtype_reads_as_numeric() -> None:
    meta = ReferenceMap(
        {
            ".zgroup": {"zarr_format": 2},
            "t/.zarray": {
                "chunks": [2], "compressor": None, "dtype": [["a", "<i4"], ["b", "<f8"]],
                "fill_value": None, "filters": None, "order": "C", "shape": [2],
                "zarr_format": 2,
            },
        }
    )  # fmt: skip
    info = node_at(meta, "/t").dataset
    assert info is not None and info.kind == DataKind.NUMERIC
    assert info.dtype.names == ("a", "b")
    rows = np.array([(1, 2.5), (3, 4.5)], dtype=info.dtype)
    assert CONV.decode_values(info, CONV.encode_values(info, rows)).tolist() == rows.tolist()
