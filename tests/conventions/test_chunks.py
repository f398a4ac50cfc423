"""encode_chunk / decode_chunk against the lindi 0.4.6 fixtures and against zarr's own encoding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from zarr.storage import MemoryStore

from hdmf_lindi.conventions.chunks import decode_chunk, encode_chunk, encode_region_chunks
from hdmf_lindi.conventions.datasets import DEFAULT_COMPRESSOR, JSON2_FILTER
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError
from tests.conventions.conftest import json2_dtype, load_map, ref_bytes

REF_GRP = {
    "_REFERENCE": {"object_id": None, "path": "/grp", "source": ".", "source_object_id": None}
}
REF_SCALAR = {
    "_REFERENCE": {"object_id": None, "path": "/scalar", "source": ".", "source_object_id": None}
}

# what the fixture README says features.h5 holds
EXPECTED_FEATURES: dict[str, Any] = {
    "bools/0": [True, False],
    "fixstr/0": [b"ab", b"cd"],
    "scalar/0": [3.14],
    "strscalar/0": ["a string"],
    "vlenstr/0": ["x", "yy", "zzz"],
    "refs/0": [REF_SCALAR, REF_GRP],
    "compound/0": [[1, 2.0, REF_GRP], [2, 3.0, REF_SCALAR]],
    "contig/0": np.arange(50000, dtype=np.float32).tolist(),
}


def _zarray(meta: Any, key: str) -> dict[str, Any]:
    return meta.get_json(key.rsplit("/", 1)[0] + "/.zarray")


@pytest.mark.parametrize("key", sorted(EXPECTED_FEATURES))
def test_decode_features_chunks(upstream_dir: Path, key: str) -> None:
    meta = load_map("features.lindi.json")
    data = ref_bytes(meta, key)
    assert data is not None
    decoded = decode_chunk(_zarray(meta, key), data, key=key)
    assert decoded.tolist() == EXPECTED_FEATURES[key]


def test_decode_chunked_gzip_shuffle(upstream_dir: Path) -> None:
    meta = load_map("features.lindi.json")
    zarray = meta.get_json("chunked/.zarray")
    # features.h5: chunked int16 1000x100 (arange wrapped to int16), chunks 100x100
    expected = np.arange(100_000).astype(np.int16).reshape(1000, 100)
    for i in range(10):
        data = ref_bytes(meta, f"chunked/{i}.0")
        assert data is not None
        chunk = decode_chunk(zarray, data)
        assert chunk.dtype == np.int16
        np.testing.assert_array_equal(chunk, expected[i * 100 : (i + 1) * 100])


@pytest.mark.parametrize(
    "name", ["features.lindi.json", "pynwb_written.nwb.lindi.json", "written.lindi.d"]
)
def test_every_fixture_chunk_reencodes_to_the_same_bytes(upstream_dir: Path, name: str) -> None:
    meta = load_map(name)
    base = upstream_dir / name if (upstream_dir / name).is_dir() else upstream_dir
    checked = 0
    for key in meta:
        if key.endswith("/.zarray"):
            prefix = key[: -len("/.zarray")]
            zarray = meta.get_json(key)
            for child in meta.list_dir(prefix):
                if child.startswith("."):
                    continue
                data = ref_bytes(meta, f"{prefix}/{child}", base)
                assert data is not None
                values = decode_chunk(zarray, data)
                assert values.shape == tuple(zarray["chunks"])
                assert encode_chunk(zarray, values) == data
                checked += 1
    assert checked >= 4


def test_written_d_blob_chunks(upstream_dir: Path) -> None:
    meta = load_map("written.lindi.d")
    zarray = meta.get_json("dataset1/.zarray")
    for key in ("dataset1/0.0", "dataset1/1.0", "dataset1/2.0"):
        data = ref_bytes(meta, key, upstream_dir / "written.lindi.d")
        assert data is not None
        chunk = decode_chunk(zarray, data)
        assert chunk.shape == (100, 100)
        assert chunk.dtype == np.float32
    small = decode_chunk(meta.get_json("small/.zarray"), ref_bytes(meta, "small/0") or b"")
    np.testing.assert_array_equal(small, np.arange(10))


def _v2_zarray(
    dtype: str, chunks: list[int], filters: Any = None, compressor: Any = None, fill: Any = 0
) -> dict[str, Any]:
    return {
        "chunks": chunks,
        "compressor": compressor,
        "dtype": dtype,
        "fill_value": fill,
        "filters": filters,
        "order": "C",
        "shape": chunks,
        "zarr_format": 2,
    }


CODEC_CASES = [
    (None, None),
    (None, dict(DEFAULT_COMPRESSOR)),
    ([{"id": "shuffle", "elementsize": 8}], {"id": "zlib", "level": 4}),
    (None, {"id": "zstd", "level": 1}),
    (None, {"id": "gzip", "level": 5}),
]


@pytest.mark.parametrize(("filters", "compressor"), CODEC_CASES)
@pytest.mark.parametrize("dtype", ["<f8", "<i8", "|b1", "|S3", "<U4", ">i4", "<c16", "|u1"])
def test_same_bytes_as_zarr(filters: Any, compressor: Any, dtype: str) -> None:
    rng = np.random.default_rng(0)
    np_dtype = np.dtype(dtype)
    values = rng.integers(0, 100, size=(4, 5)).astype(np_dtype)
    if filters and filters[0]["id"] == "shuffle":
        filters = [{"id": "shuffle", "elementsize": np_dtype.itemsize}]
    store = MemoryStore()
    array = zarr.create_array(
        store,
        shape=values.shape,
        chunks=values.shape,
        dtype=np_dtype,
        filters=[numcodecs.get_codec(dict(f)) for f in filters] if filters else None,
        compressors=numcodecs.get_codec(dict(compressor)) if compressor else None,
        zarr_format=2,
        fill_value=None,
    )
    array[...] = values
    stored = store._store_dict["0.0"].to_bytes()
    zarray = _v2_zarray(dtype, [4, 5], filters, compressor)
    assert encode_chunk(zarray, values) == stored
    np.testing.assert_array_equal(decode_chunk(zarray, stored), values)


@pytest.mark.parametrize("compressor", [None, dict(DEFAULT_COMPRESSOR)])
def test_json2_same_bytes_as_zarr(compressor: Any) -> None:
    values = np.empty((2, 3), dtype=object)
    values[0] = ["a", "b", "c"]
    values[1] = [{"k": 1}, [1, 2], "é"]
    store = MemoryStore()
    array = zarr.create_array(
        store,
        shape=(2, 3),
        chunks=(2, 3),
        dtype=json2_dtype(),
        filters=[numcodecs.get_codec(dict(JSON2_FILTER))],
        compressors=numcodecs.get_codec(dict(compressor)) if compressor else None,
        zarr_format=2,
        fill_value=0,
    )
    array[...] = values
    stored = store._store_dict["0.0"].to_bytes()
    zarray = _v2_zarray("|O", [2, 3], [dict(JSON2_FILTER)], compressor)
    assert encode_chunk(zarray, values) == stored
    decoded = decode_chunk(zarray, stored)
    assert decoded.dtype == object
    assert decoded.tolist() == values.tolist()


def test_json2_payload_has_dtype_and_shape_trailer() -> None:
    values = np.array(["x", "yy", "zzz"], dtype=object)
    data = encode_chunk(_v2_zarray("|O", [3], [dict(JSON2_FILTER)]), values)
    assert data == b'["x","yy","zzz","|O",[3]]'


def test_compound_rows_round_trip() -> None:
    rows = np.empty(2, dtype=object)
    rows[0] = [1, 2.0, REF_GRP]
    rows[1] = [2, float("nan"), REF_SCALAR]
    zarray = _v2_zarray("|O", [2], [dict(JSON2_FILTER)], dict(DEFAULT_COMPRESSOR))
    decoded = decode_chunk(zarray, encode_chunk(zarray, rows))
    assert decoded[0] == [1, 2.0, REF_GRP]
    assert decoded[1][0] == 2 and np.isnan(decoded[1][1]) and decoded[1][2] == REF_SCALAR


def test_vlen_utf8_and_bytes() -> None:
    strings = np.array(["a", "ßß", ""], dtype=object)
    zarray = _v2_zarray("|O", [3], [{"id": "vlen-utf8"}])
    assert decode_chunk(zarray, encode_chunk(zarray, strings)).tolist() == ["a", "ßß", ""]
    blobs = np.array([b"\x00\xff", b""], dtype=object)
    zarray = _v2_zarray("|O", [2], [{"id": "vlen-bytes"}], fill=None)
    assert decode_chunk(zarray, encode_chunk(zarray, blobs)).tolist() == [b"\x00\xff", b""]


def test_edge_chunk_is_padded_with_fill_value() -> None:
    zarray = _v2_zarray("<f8", [4], fill="NaN")
    decoded = decode_chunk(zarray, encode_chunk(zarray, np.array([1.0, 2.0])))
    assert decoded[:2].tolist() == [1.0, 2.0]
    assert np.isnan(decoded[2:]).all()
    zarray = _v2_zarray("|O", [3], [dict(JSON2_FILTER)], fill=0)
    assert encode_chunk(zarray, np.array(["a"], dtype=object)) == b'["a",0,0,"|O",[3]]'


def test_fortran_order() -> None:
    values = np.arange(6, dtype="<i4").reshape(2, 3)
    zarray = {**_v2_zarray("<i4", [2, 3]), "order": "F"}
    data = encode_chunk(zarray, values)
    assert data == np.asfortranarray(values).tobytes(order="F")
    np.testing.assert_array_equal(decode_chunk(zarray, data), values)


def test_decoded_chunk_is_writable() -> None:
    zarray = _v2_zarray("<i2", [3])
    chunk = decode_chunk(zarray, np.arange(3, dtype="<i2").tobytes())
    chunk[0] = 9
    assert chunk.tolist() == [9, 1, 2]


def test_wrong_size_is_a_format_error() -> None:
    with pytest.raises(LindiFormatError, match="ds/0"):
        decode_chunk(_v2_zarray("<f8", [4]), b"\x00" * 8, key="ds/0")
    with pytest.raises(LindiFormatError, match="ds/0"):
        decode_chunk(_v2_zarray("|O", [4], [dict(JSON2_FILTER)]), b'["a","|O",[1]]', key="ds/0")


def test_corrupt_data_is_a_format_error() -> None:
    with pytest.raises(LindiFormatError, match="ds/1"):
        decode_chunk(_v2_zarray("<f8", [4], None, {"id": "zlib", "level": 1}), b"junk", key="ds/1")


def test_pickle_and_unknown_codecs_are_refused() -> None:
    with pytest.raises(LindiUnsupportedError, match="pickle"):
        decode_chunk(_v2_zarray("|O", [1], [{"id": "pickle"}]), b"")
    with pytest.raises(LindiUnsupportedError, match="no-such-codec"):
        decode_chunk(_v2_zarray("<f8", [1], [{"id": "no-such-codec"}]), b"")


def test_object_array_without_object_codec_is_refused() -> None:
    with pytest.raises(LindiFormatError, match="object codec"):
        encode_chunk(_v2_zarray("|O", [1]), np.array(["a"], dtype=object))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(
    hnp.arrays(
        st.sampled_from([np.dtype(d) for d in ("<f4", "<f8", "<i2", "<u8", "|b1", ">f8")]),
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
    ),
    st.sampled_from(CODEC_CASES[:2] + CODEC_CASES[3:]),
)
def test_numeric_round_trip(values: np.ndarray, codecs: tuple[Any, Any]) -> None:
    zarray = _v2_zarray(values.dtype.str, list(values.shape), codecs[0], codecs[1])
    decoded = decode_chunk(zarray, encode_chunk(zarray, values))
    assert decoded.dtype == values.dtype
    np.testing.assert_array_equal(decoded, values)


def test_too_long_strings_are_refused_not_cut() -> None:
    with pytest.raises(LindiFormatError, match="<U3"):
        encode_chunk(_v2_zarray("<U3", [1]), np.array(["abcd"], dtype=object))
    with pytest.raises(LindiFormatError, match=r"\|S2"):
        encode_chunk(_v2_zarray("|S2", [1]), np.array([b"abc"]))
    assert encode_chunk(_v2_zarray("|S3", [2], fill=""), np.array([b"ab", b"abc"])) == b"ab\0abc"
    assert decode_chunk(
        _v2_zarray("<U2", [1]), encode_chunk(_v2_zarray("<U2", [1]), np.array(["é"]))
    ).tolist() == ["é"]


# ---------------------------------------------------------------------- blocks of chunks
@st.composite
def _aligned_blocks(
    draw: st.DrawFn,
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(array shape, chunk shape, block start, block shape) with the block on the chunk grid."""
    ndim = draw(st.integers(1, 3))
    chunks = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    shape = tuple(draw(st.integers(1, 12)) for _ in range(ndim))
    start: list[int] = []
    size: list[int] = []
    for n, c in zip(shape, chunks, strict=True):
        first = c * draw(st.integers(0, (n - 1) // c))
        ends = [e for e in range(first + c, n, c)] + [n]
        stop = draw(st.sampled_from(ends))
        start.append(first)
        size.append(stop - first)
    return shape, chunks, tuple(start), tuple(size)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=80)
@given(_aligned_blocks(), st.sampled_from([None, dict(DEFAULT_COMPRESSOR)]))
def test_region_chunks_are_the_bytes_zarr_writes(
    case: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]],
    compressor: Any,
) -> None:
    """A block on the chunk grid, encoded by us, gives the very chunks zarr stores for it."""
    shape, chunks, start, size = case
    values = np.arange(int(np.prod(size)), dtype="<i4").reshape(size) + 1
    store = MemoryStore()
    array = zarr.create_array(
        store,
        shape=shape,
        chunks=chunks,
        dtype="<i4",
        compressors=numcodecs.get_codec(dict(compressor)) if compressor else None,
        zarr_format=2,
        fill_value=0,
        config={"write_empty_chunks": True},
    )
    array[tuple(slice(a, a + n) for a, n in zip(start, size, strict=True))] = values
    zarray = {**_v2_zarray("<i4", list(chunks), None, compressor), "shape": list(shape)}
    ours = encode_region_chunks(zarray, "", start, values)
    assert ours is not None
    encoded = dict(ours)
    assert set(encoded) == {k for k in store._store_dict if not k.startswith(".")}
    for key, data in encoded.items():
        assert data == store._store_dict[key].to_bytes(), key


def test_region_chunks_refuse_blocks_off_the_grid() -> None:
    zarray = {**_v2_zarray("<f8", [4, 4]), "shape": [10, 8]}
    block = np.zeros((4, 4))
    assert encode_region_chunks(zarray, "a/", (0, 0), block) is not None
    assert encode_region_chunks(zarray, "a/", (2, 0), block) is None  # starts mid-chunk
    assert encode_region_chunks(zarray, "a/", (0, 0), np.zeros((3, 4))) is None  # ends mid-chunk
    assert encode_region_chunks(zarray, "a/", (8, 4), np.zeros((2, 4))) is not None  # array edge
    assert encode_region_chunks(zarray, "a/", (8, 4), np.zeros((4, 4))) is None  # past the edge
    assert encode_region_chunks(zarray, "a/", (0,), block) is None  # wrong rank


def test_region_chunk_keys_and_edge_padding() -> None:
    zarray = {**_v2_zarray("<i2", [2, 3], fill=-1), "shape": [3, 3], "dimension_separator": "/"}
    chunks = encode_region_chunks(zarray, "g/d/", (0, 0), np.arange(9, dtype="<i2").reshape(3, 3))
    assert chunks is not None
    encoded = dict(chunks)
    assert list(encoded) == ["g/d/0/0", "g/d/1/0"]
    edge = decode_chunk(zarray, encoded["g/d/1/0"])
    np.testing.assert_array_equal(edge, [[6, 7, 8], [-1, -1, -1]])


def test_region_chunks_of_a_scalar() -> None:
    zarray = {**_v2_zarray("<f8", []), "shape": []}
    chunks = encode_region_chunks(zarray, "s/", (), np.asarray(2.5))
    assert chunks is not None
    assert [(k, decode_chunk(zarray, v).tolist()) for k, v in chunks] == [("s/0", 2.5)]
