"""Fuzzing (hypothesis) of what parses input: the reference-map parser, the ``.lindi.tar``
index reader and the conventions' chunk, dataset and attribute decoders. Any exception other
than a ``LindiError`` fails. Bounded for CI: 30 to 120 examples per parser, about 10 s in all
on a quiet 2-core machine (the budget is 60 s); raise ``max_examples`` for a longer hunt."""

from __future__ import annotations

import copy
from typing import Any

import numcodecs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hdmf_lindi import _json
from hdmf_lindi.conventions.chunks import ChunkCodec
from hdmf_lindi.conventions.datasets import dataset_info_from_zarray
from hdmf_lindi.conventions.values import decode_attr_value
from hdmf_lindi.errors import LindiError
from hdmf_lindi.storage import reference_map as reference_map_module
from hdmf_lindi.storage.containers.tar_format import (
    parse_entry,
    parse_index,
    validate_members,
)
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.adversarial.hostile_files import TAR_CASES, zarr_json, zarray

fuzz = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
)

_json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=12)
_json_values = st.recursive(
    _json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["x/0", "x/0.1", ".zgroup", "x/.zarray", "x/.zattrs", "", "/x/0", "a//b", "a\nb/.zattrs", "k"]
) | st.text(min_size=0, max_size=10)
_urls = st.sampled_from(
    ["{{u1}}", "{{u2}}", "https://h/a.nwb", "./blobs/x", "{{ u1 }}/x", "{{nope}}", "{{u1}}{{u2}}"]
) | st.text(max_size=8)
_ref_values = (
    st.tuples(
        _urls, st.integers(-5, 2**40) | st.booleans() | st.floats(), st.integers(-5, 2**40)
    ).map(list)
    | st.tuples(_urls).map(list)
    | st.text(max_size=10)
    | st.sampled_from(["base64:AAAA", "base64:!!", "base64:"])
    | _json_values
)
_documents = st.fixed_dictionaries(
    {"refs": st.dictionaries(_keys, _ref_values, max_size=8)},
    optional={
        "version": st.sampled_from([1, 0, 2, "1"]),
        "templates": st.dictionaries(
            st.sampled_from(["u1", "u2", "x"]), st.text(max_size=6), max_size=2
        )
        | _json_values,
        "generationMetadata": _json_values,
    },
)


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except LindiError as exc:
        return "error", type(exc)
    except Exception as exc:  # the property: nothing else escapes
        raise AssertionError(f"{type(exc).__name__} escaped: {exc}") from exc


# ------------------------------------------------------------------------- reference map
@fuzz
@given(st.binary(max_size=200))
def test_reference_map_from_arbitrary_bytes(data: bytes) -> None:
    _outcome(lambda: ReferenceMap.from_bytes(data, source="fuzz"))


@fuzz
@given(_documents)
def test_reference_map_from_documents(document: dict[str, Any]) -> None:
    """Opened, then every key read: refs are checked when read (lazily), so each read and the
    check of all refs (validate, dumps) fails with a LindiError or not at all; the check of all
    refs at once fails exactly when reading some ref does, and changes no ref as read."""
    kind, result = _outcome(lambda: ReferenceMap.from_bytes(_json.dumps(document), source="f"))
    if kind != "ok":
        return
    assert sorted(result.list_prefix("")) == sorted(result)  # listing keys never fails
    reads = {key: _outcome(lambda key=key: result.get_raw(key)) for key in result}
    for key in result:
        _outcome(lambda key=key: result.resolve(key))
        _outcome(lambda key=key: result.get_json(key))
    validated, _ = _outcome(result.validate)
    assert (validated == "ok") == all(read[0] == "ok" for read in reads.values())
    if validated == "ok":
        assert {key: result.get_raw(key) for key in result} == {
            key: value for key, (_, value) in reads.items()
        }
    _outcome(result.dumps)


@fuzz
@given(
    st.dictionaries(_keys, _ref_values, max_size=8),
    st.dictionaries(
        st.sampled_from(["u1", "u2"]),
        st.sampled_from(["https://a", "s3://b/c", "{{u1}}"]),
        max_size=2,
    ),
)
def test_bulk_validation_agrees_with_ref_by_ref(
    refs: dict[str, Any], templates: dict[str, str]
) -> None:
    """The fast path (bulk checks in C, in place or copied) accepts and rejects what the
    per-ref validator does, and gives the same refs once its template expansions (which it
    leaves out of the refs) are applied."""

    def expanded(result: tuple[dict[str, Any], dict[str, str]]) -> dict[str, Any]:
        refs, expansions = result
        return {
            key: (
                [expansions.get(value[0], value[0]), *value[1:]]
                if type(value) is list
                and value
                and type(value[0]) is str
                and not reference_map_module.is_metadata_key(key)
                else value
            )
            for key, value in refs.items()
        }

    def one_by_one() -> dict[str, Any]:
        return {k: reference_map_module._validated(k, v, templates, "f") for k, v in refs.items()}

    expected = _outcome(one_by_one)
    for in_place in (False, True):
        mine = copy.deepcopy(refs)
        got = _outcome(
            lambda mine=mine, in_place=in_place: reference_map_module._validated_refs(
                mine, templates, "f", in_place=in_place
            )
        )
        assert got[0] == expected[0], (in_place, got, expected)
        if got[0] == "ok":
            assert expanded(got[1]) == expected[1]


# ---------------------------------------------------------------------------- tar index
_member_json = st.fixed_dictionaries(
    {},
    optional={
        "n": st.sampled_from(["lindi.json", "blobs/a", "../a", "/a", "a//b", "", ".tar_index.json"])
        | st.integers(-(2**63), 2**63 - 1),
        "o": st.integers(-1024, 1 << 40) | st.text(max_size=3),
        "d": st.integers(-1024, 1 << 40) | st.none(),
        "s": st.integers(-1024, 1 << 40) | st.floats(),
    },
)


@fuzz
@given(
    st.binary(max_size=300)
    | st.builds(
        lambda v: _json.dumps({"files": v}), st.lists(_member_json | _json_values, max_size=5)
    )
)
def test_tar_index_reader(data: bytes) -> None:
    kind, members = _outcome(lambda: parse_index(data, source="fuzz"))
    if kind == "ok":
        _outcome(lambda: validate_members(members, file_size=1 << 20, source="fuzz"))


@fuzz
@given(
    st.binary(max_size=1024)
    | st.builds(lambda v: _json.dumps({"index": v}), _member_json | _json_values)
)
def test_tar_entry_reader(data: bytes) -> None:
    _outcome(lambda: parse_entry(data, source="fuzz"))


@pytest.fixture(scope="module")
def valid_tar(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    (valid,) = [c for c in TAR_CASES if c.error == "none"]
    return valid.make(tmp_path_factory.mktemp("tar")).read_bytes()


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    flips=st.lists(st.tuples(st.integers(0, 21000), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_tar_with_flipped_bytes_opens_or_fails_cleanly(
    valid_tar: bytes, flips: list[tuple[int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    import hdmf_lindi as lindi

    data = bytearray(valid_tar)
    for at, value in flips:
        if at < len(data):
            data[at] = value
    path = tmp_path_factory.mktemp("flip") / "f.lindi.tar"
    path.write_bytes(bytes(data))

    def read() -> None:
        with lindi.LindiH5pyFile.from_lindi_file(str(path)) as f:
            for name in f:
                item = f[name]
                if hasattr(item, "shape"):
                    item[()]

    _outcome(read)


# ------------------------------------------------------------------------ conventions
_codecs = st.sampled_from(
    [
        None,
        {"id": "zlib"},
        {"id": "gzip"},
        {"id": "bz2"},
        {"id": "lzma"},
        {"id": "blosc"},
        {"id": "lz4"},
        {"id": "zstd"},
        {"id": "nope"},
        {"id": 5},
        "zlib",
        {"id": "pickle"},
    ]
)
_dtypes = st.sampled_from(
    ["<i4", "<f8", "|u1", "|S4", "<U3", "|O", "|b1", "<q9", 5, [["a", "<i2"]]]
)
_zarrays = st.builds(
    lambda shape, chunks, dtype, comp, filters: {
        **zarray(shape, chunks, dtype=dtype, compressor=comp),
        "filters": filters,
    },
    st.lists(st.integers(0, 6), min_size=0, max_size=2),
    st.lists(st.integers(0, 6), min_size=0, max_size=2),
    _dtypes,
    _codecs,
    st.sampled_from(
        [None, [], [{"id": "vlen-utf8"}], [{"id": "json2"}], [{"id": "delta", "dtype": "<i4"}], 5]
    ),
)


def _encoded(codec: dict[str, Any] | None, raw: bytes) -> bytes:
    if (
        codec is None
        or not isinstance(codec, dict)
        or codec.get("id") not in ("zlib", "gzip", "bz2", "lzma", "blosc", "lz4", "zstd")
    ):
        return raw
    return bytes(numcodecs.get_codec(codec).encode(raw))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(_zarrays, st.binary(max_size=64), st.booleans(), st.lists(st.integers(0, 255), max_size=3))
def test_chunk_decoder(meta: dict[str, Any], raw: bytes, encode: bool, noise: list[int]) -> None:
    kind, codec = _outcome(lambda: ChunkCodec(meta))
    if kind != "ok":
        return
    data = bytearray(_encoded(meta.get("compressor"), raw) if encode else raw)
    for i, value in enumerate(noise):
        if data:
            data[(i * 7919) % len(data)] = value
    _outcome(lambda: codec.decode(bytes(data), key="fuzz/0"))


_v3_codecs = st.sampled_from(
    [
        [],
        [{"name": "zstd", "configuration": {"level": 0, "checksum": False}}],
        [{"name": "gzip", "configuration": {"level": 1}}],
        [{"name": "numcodecs.zlib", "configuration": {"level": 1}}],
        [{"name": "numcodecs.bz2", "configuration": {"level": 1}}],
        [{"name": "numcodecs.lzma", "configuration": {}}],
        [{"name": "numcodecs.blosc", "configuration": {"cname": "lz4"}}],
        [{"name": "numcodecs.lz4", "configuration": {}}],
        [{"name": "numcodecs.shuffle", "configuration": {"elementsize": 4}}],
        [{"name": "nope"}],
        [5],
    ]
)
_v3_arrays = st.builds(
    lambda chunks, data_type, codecs: zarr_json([6], chunks, data_type, codecs),
    st.sampled_from([[3], [6], [0], [True], "6"]),
    st.sampled_from(["int32", "float64", "uint8", "bool", "float8", 5, {"name": "struct"}]),
    _v3_codecs,
)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(_v3_arrays, st.binary(max_size=64), st.booleans(), st.lists(st.integers(0, 255), max_size=3))
def test_v3_chunk_decoder(meta: dict[str, Any], raw: bytes, encode: bool, noise: list[int]) -> None:
    from hdmf_lindi.conventions.v3_chunks import v3_chunk_codec

    kind, codec = _outcome(lambda: v3_chunk_codec(meta))
    if kind != "ok" or codec is None:
        return
    data = bytearray(raw)
    if encode:
        kind, encoded = _outcome(lambda: codec.encode(np.zeros(codec.chunk_shape, codec.dtype)))
        if kind != "ok":
            return
        data = bytearray(encoded)
    for i, value in enumerate(noise):
        if data:
            data[(i * 7919) % len(data)] = value
    _outcome(lambda: codec.decode(bytes(data), key="fuzz/c/0"))


@fuzz
@given(
    _zarrays | _json_values,
    st.dictionaries(
        st.sampled_from(
            ["_SCALAR", "_COMPOUND_DTYPE", "_REFERENCE", "_EXTERNAL_ARRAY_LINK", "_SOFT_LINK", "x"]
        ),
        _json_values,
        max_size=3,
    ),
)
def test_dataset_info_decoder(meta: Any, zattrs: dict[str, Any]) -> None:
    _outcome(lambda: dataset_info_from_zarray(meta, zattrs, where="fuzz"))


@fuzz
@given(
    _json_values
    | st.fixed_dictionaries({"_REFERENCE": _json_values})
    | st.fixed_dictionaries({"_SCALAR": st.booleans(), "value": _json_values})
)
def test_attribute_decoder(value: Any) -> None:
    _outcome(lambda: decode_attr_value(value, where="fuzz"))


def test_fuzzers_can_fail() -> None:
    """The property helper lets a LindiError pass and fails on anything else."""
    assert _outcome(lambda: (_ for _ in ()).throw(LindiError("x")))[0] == "error"
    with pytest.raises(AssertionError, match="ValueError escaped"):
        _outcome(lambda: np.zeros(3).reshape(2))
