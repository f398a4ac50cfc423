"""``storage/chunk_limits.py``: what a chunk may declare or decode to. Legitimate chunks of
every codec pass (and the bounded decoders give numcodecs' bytes); one byte more is refused."""

from __future__ import annotations

from typing import Any

import numcodecs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdmf_lindi.errors import LindiFormatError, LindiLimitError
from hdmf_lindi.storage.chunk_limits import (
    MAX_CHUNK_BYTES,
    UNKNOWN_SIZE_LIMIT,
    bounded_decompress,
    chunk_limits,
)

_CODECS: list[dict[str, Any]] = [
    {"id": "zlib", "level": 1},
    {"id": "gzip", "level": 1},
    {"id": "bz2", "level": 1},
    {"id": "lzma"},
    {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1},
    {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2},
    {"id": "lz4"},
    {"id": "zstd", "level": 1},
]


def _zarray(n: int, compressor: dict[str, Any] | None, dtype: str = "<i4") -> dict[str, Any]:
    return {"chunks": [n], "shape": [n], "dtype": dtype, "compressor": compressor, "filters": None}


@pytest.mark.parametrize("config", _CODECS, ids=lambda c: "-".join(map(str, c.values())))
@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=300))
def test_legitimate_chunks_pass_and_decode_as_numcodecs(
    config: dict[str, Any], values: list[int]
) -> None:
    array = np.array(values, dtype="<i4")
    codec = numcodecs.get_codec(config)
    data = bytes(codec.encode(array))
    limits = chunk_limits(_zarray(len(values), config), where="f: x/.zarray")
    assert limits.exact and limits.decoded == array.nbytes
    limits.check_stored(len(data), where="f: x/0")
    decoded = limits.check_encoded(data, where="f: x/0")
    if decoded is not None:
        assert decoded == bytes(codec.decode(data))


@pytest.mark.parametrize("config", _CODECS, ids=lambda c: "-".join(map(str, c.values())))
def test_one_element_more_than_the_chunk_is_refused(config: dict[str, Any]) -> None:
    array = np.arange(101, dtype="<i4")
    data = bytes(numcodecs.get_codec(config).encode(array))
    limits = chunk_limits(_zarray(100, config), where="f: x/.zarray")
    with pytest.raises(LindiLimitError, match="f: x/0"):
        limits.check_encoded(data, where="f: x/0")


def test_uncompressed_chunks_are_exactly_their_size() -> None:
    limits = chunk_limits(_zarray(10, None), where="f")
    assert limits.max_stored == 40
    limits.check_encoded(bytes(40), where="f: x/0")
    with pytest.raises(LindiFormatError, match="expected 40"):
        limits.check_encoded(bytes(39), where="f: x/0")
    with pytest.raises(LindiLimitError):
        limits.check_encoded(bytes(41), where="f: x/0")
    with pytest.raises(LindiLimitError, match="10000000000 bytes"):
        limits.check_stored(10**10, where="f: x/0")


def test_stored_size_allows_compressor_growth() -> None:
    limits = chunk_limits(_zarray(1000, {"id": "zlib"}), where="f")
    noise = np.random.default_rng(0).integers(0, 2**31, 1000, dtype="<i4")
    limits.check_stored(len(numcodecs.Zlib(9).encode(noise)), where="f")
    limits.check_stored(4000 + 4000 // 8 + (1 << 16), where="f")
    with pytest.raises(LindiLimitError):
        limits.check_stored(4000 + 4000 // 8 + (1 << 16) + 1, where="f")


def test_object_and_filtered_arrays_get_the_unknown_size_bound() -> None:
    assert chunk_limits(_zarray(10, None, "|O"), where="f").decoded == UNKNOWN_SIZE_LIMIT
    filtered = {**_zarray(10, {"id": "zlib"}), "filters": [{"id": "delta", "dtype": "<i4"}]}
    limits = chunk_limits(filtered, where="f")
    assert not limits.exact and limits.decoded == UNKNOWN_SIZE_LIMIT


@pytest.mark.parametrize(
    ("zarray", "message"),
    [
        ([1], "must be a JSON object"),
        ({**_zarray(1, None), "chunks": [0]}, "positive integers"),
        ({**_zarray(1, None), "chunks": [True]}, "positive integers"),
        ({**_zarray(1, None), "chunks": "1"}, "positive integers"),
        ({**_zarray(1, None), "dtype": "<q9"}, "invalid dtype"),
        ({**_zarray(1, None), "compressor": "zlib"}, "'compressor'"),
        ({**_zarray(1, None), "filters": 5}, "'filters'"),
    ],
)
def test_malformed_zarray(zarray: Any, message: str) -> None:
    with pytest.raises(LindiFormatError, match=message):
        chunk_limits(zarray, where="f: x/.zarray")


def test_chunks_over_the_maximum_are_refused() -> None:
    n = MAX_CHUNK_BYTES // 4 + 1
    with pytest.raises(LindiLimitError, match=r"x/\.zarray"):
        chunk_limits(_zarray(n, None), where="f: x/.zarray")


def test_zstd_frame_without_a_declared_size_is_refused() -> None:
    # descriptor 0x00: no content size field, a window descriptor follows
    frame = b"\x28\xb5\x2f\xfd\x00\x58" + bytes(10)
    limits = chunk_limits(_zarray(10, {"id": "zstd"}), where="f")
    with pytest.raises(LindiLimitError, match="does not declare"):
        limits.check_encoded(frame, where="f: x/0")
    with pytest.raises(LindiFormatError, match="not a zstd frame"):
        limits.check_encoded(b"junk", where="f: x/0")


@pytest.mark.parametrize("codec", ["zlib", "gzip", "bz2", "lzma"])
def test_bounded_decompress_refuses_truncated_and_invalid_streams(codec: str) -> None:
    data = bytes(numcodecs.get_codec({"id": codec}).encode(np.arange(1000, dtype="<i4")))
    assert len(bounded_decompress(codec, data, 4000, where="f")) == 4000
    with pytest.raises(LindiFormatError, match=r"truncated|invalid"):
        bounded_decompress(codec, data[: len(data) // 2], 4000, where="f")
    with pytest.raises(LindiFormatError):
        bounded_decompress(codec, b"\xff" * 20, 4000, where="f")
    with pytest.raises(LindiLimitError):
        bounded_decompress(codec, data, 3999, where="f")


# ------------------------------------------------------------------------------------ Zarr v3
def _named(name: str, **configuration: Any) -> dict[str, Any]:
    return {"name": name, "configuration": configuration}


_V3_PIPELINES: list[tuple[str, dict[str, Any]]] = [
    ("bytes", {"compressors": None}),
    ("zstd", {"compressors": [_named("zstd", level=1, checksum=False)]}),
    ("gzip", {"compressors": [_named("gzip", level=1)]}),
    (
        "blosc",
        {
            "compressors": [
                _named("blosc", cname="lz4", clevel=5, shuffle="shuffle", typesize=4, blocksize=0)
            ]
        },
    ),
    *(
        (f"numcodecs.{codec}", {"compressors": [_named(f"numcodecs.{codec}", **config)]})
        for codec, config in [
            ("zlib", {"level": 1}),
            ("gzip", {"level": 1}),
            ("bz2", {"level": 1}),
            ("lzma", {}),
            ("blosc", {"cname": "zstd", "clevel": 3, "shuffle": 2}),
            ("lz4", {}),
            ("zstd", {"level": 1}),
        ]
    ),
    (
        "shuffle-then-zlib",
        {"compressors": [_named("numcodecs.shuffle", elementsize=4), _named("numcodecs.zlib")]},
    ),
    ("zstd-crc32c", {"compressors": [_named("zstd", level=1, checksum=False), _named("crc32c")]}),
    ("transpose", {"filters": [_named("transpose", order=[1, 0])], "compressors": None}),
]


@pytest.mark.parametrize(("name", "codecs"), _V3_PIPELINES, ids=[n for n, _ in _V3_PIPELINES])
def test_legitimate_v3_chunks_of_each_codec_read(name: str, codecs: dict[str, Any]) -> None:
    """Written by zarr, read back through zarr over the store (which checks every chunk) and
    by the zarr-free decoder where it applies, after the limits passed every chunk."""
    import zarr

    from hdmf_lindi.conventions.v3_chunks import v3_chunk_codec
    from hdmf_lindi.storage.chunk_limits import ChunkLimitCache
    from hdmf_lindi.storage.reference_map import ReferenceMap
    from hdmf_lindi.storage.store import LindiStore

    meta = ReferenceMap(source="mem.lindi.json")
    values = np.random.default_rng(1).integers(0, 50, (30, 20), dtype="<i4")
    array = zarr.create_array(
        LindiStore(meta, inline_threshold=None),
        name="x",
        shape=values.shape,
        chunks=(16, 8),
        dtype="<i4",
        zarr_format=3,
        **codecs,
    )
    array[:] = values
    metadata = meta.get_json("x/zarr.json")
    chunk_keys = sorted(k for k in meta if k.startswith("x/c/"))
    assert len(chunk_keys) == 6
    limits = ChunkLimitCache().for_key(meta, chunk_keys[0], where="mem: ")
    assert limits is not None
    exact = name in ("bytes", "zstd", "gzip", "blosc", "zstd-crc32c", "transpose") or (
        name.startswith("numcodecs.")
    )
    assert limits.exact is exact
    assert limits.decoded == (16 * 8 * 4 if exact else UNKNOWN_SIZE_LIMIT)
    store = LindiStore(meta, read_only=True)
    assert np.array_equal(zarr.open_array(store, path="x", mode="r")[:], values)
    codec = v3_chunk_codec(metadata)
    if name in ("blosc", "zstd-crc32c", "transpose"):
        assert codec is None  # zarr's business
        return
    assert codec is not None
    for key in chunk_keys:
        i, j = (int(n) for n in key.split("/")[2:])
        expected = values[16 * i : 16 * i + 16, 8 * j : 8 * j + 8]
        chunk = codec.decode(meta.resolve(key).data, key=key)  # type: ignore[union-attr]
        assert np.array_equal(chunk[: expected.shape[0], : expected.shape[1]], expected)


@pytest.mark.parametrize("data_type", ["string", "variable_length_bytes"])
def test_variable_length_v3_arrays_get_the_unknown_size_bound(data_type: str) -> None:
    from hdmf_lindi.storage.chunk_limits import chunk_limits_v3
    from tests.adversarial.hostile_files import zarr_json

    serializer = "vlen-utf8" if data_type == "string" else "vlen-bytes"
    metadata = {**zarr_json([10], [10], data_type), "codecs": [_named(serializer)]}
    limits = chunk_limits_v3(metadata, where="f")
    assert not limits.exact and limits.compressor is None
    assert limits.decoded == UNKNOWN_SIZE_LIMIT


def test_v3_string_chunks_read(tmp_path: Any) -> None:
    import zarr

    from hdmf_lindi.storage.reference_map import ReferenceMap
    from hdmf_lindi.storage.store import LindiStore

    meta = ReferenceMap(source="mem.lindi.json")
    text = ["x" * 5000, "", "ünï"] * 4
    array = zarr.create_array(
        LindiStore(meta, inline_threshold=None), name="s", shape=(12,), chunks=(5,), dtype=str
    )
    array[:] = text
    store = LindiStore(meta, read_only=True)
    assert zarr.open_array(store, path="s", mode="r")[:].tolist() == text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [0]}}}, "positive"),
        ({"chunk_grid": "regular"}, "chunk_shape"),
        ({"codecs": []}, "'codecs'"),
        ({"codecs": [5]}, "invalid"),
        (
            {
                "data_type": {
                    "name": "null_terminated_bytes",
                    "configuration": {"length_bytes": "x"},
                }
            },
            "length_bytes",
        ),
    ],
)
def test_malformed_v3_metadata(change: dict[str, Any], message: str) -> None:
    from hdmf_lindi.storage.chunk_limits import chunk_limits_v3
    from tests.adversarial.hostile_files import zarr_json

    with pytest.raises(LindiFormatError, match=message):
        chunk_limits_v3({**zarr_json([10], [10]), **change}, where="f: x/zarr.json")


def test_v3_chunks_over_the_maximum_are_refused_and_unknown_types_bounded() -> None:
    from hdmf_lindi.storage.chunk_limits import chunk_limits_v3
    from tests.adversarial.hostile_files import zarr_json

    n = MAX_CHUNK_BYTES // 4 + 1
    with pytest.raises(LindiLimitError, match=r"x/zarr\.json"):
        chunk_limits_v3(zarr_json([n], [n]), where="f: x/zarr.json")
    limits = chunk_limits_v3(zarr_json([10], [10], "float8_e4m3"), where="f")
    assert not limits.exact and limits.decoded == UNKNOWN_SIZE_LIMIT


def test_a_crc32c_checksum_does_not_hide_a_zstd_frame() -> None:
    from hdmf_lindi.storage.chunk_limits import chunk_limits_v3
    from tests.adversarial.hostile_files import _zstd_lie, zarr_json

    codecs = [_named("zstd", level=0, checksum=False), {"name": "crc32c"}]
    limits = chunk_limits_v3(zarr_json([10], [10], codecs=codecs), where="f")
    assert limits.checksum_bytes == 4 and limits.compressor == "zstd"
    with pytest.raises(LindiLimitError, match="declares"):
        limits.check_encoded(_zstd_lie() + bytes(4), where="f: x/c/0")
