"""The ``_ATTRIBUTE_DTYPES`` record: every numeric, boolean and fixed-width bytes attribute
reads back with h5py's exact type and dtype; a record is applied only where exact; attributes
without one keep JSON's natural types and are named in ``Node.inferred_dtypes``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.attribute_dtypes import attribute_dtype, exact_cast, user_value
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import DatasetInfo, Node, Reference
from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.storage.reference_map import ReferenceMap

CONV = LindiV1Conventions()


def reread(meta: ReferenceMap, path: str = "/g") -> Node:
    """The node at ``path`` after the map went through its JSON text."""
    node = CONV.read_node(ReferenceMap.from_bytes(meta.dumps()), path)
    assert node is not None
    return node


def same(actual: Any, expected: Any) -> bool:
    """Equal value, type and dtype (NaN equal to NaN)."""
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, np.ndarray | np.generic):
        if actual.dtype != expected.dtype or np.shape(actual) != np.shape(expected):
            return False
        if expected.dtype.kind == "f":
            return bool(np.array_equal(actual, expected, equal_nan=True))
        return bool(np.array_equal(actual, expected))
    return bool(actual == expected)


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (np.uint8(200), "uint8"),
        (np.uint16(65535), "uint16"),
        (np.uint32(4_000_000_000), "uint32"),
        (np.uint64(5), "uint64"),
        (np.uint64(2**64 - 1), "uint64"),
        (np.int8(-3), "int8"),
        (np.int16(-5), "int16"),
        (np.int32(7), "int32"),
        (np.int64(7), "int64"),
        (np.float16(0.5), "float16"),
        (np.float32(0.077), "float32"),
        (np.float32(math.nan), "float32"),
        (np.float32(-math.inf), "float32"),
        (np.float64(0.077), "float64"),
        (np.bool_(True), "bool"),
        (np.bytes_(b"abc"), "|S3"),
        (np.bytes_(b"h\xc3\xa9"), "|S3"),
        (np.bytes_(b"\xb5V"), "|S2:latin-1"),
        (np.array([b"\xb5V", b"ok", b"h\xc3\xa9"], dtype="S4"), "|S4:latin-1"),
        (np.array([b"a", b"bc"]), "|S2"),
        (np.array([[1, 2], [3, 4]], dtype=np.int16), "int16"),
        (np.array([1, 2], dtype=">i4"), ">i4"),
        (np.array([0.5, math.nan], dtype=np.float32), "float32"),
        (np.array([True, False]), "bool"),
        (np.array([], dtype=np.int32), "int32"),
        (np.array([], dtype="S3"), "|S3"),
    ],
)
def test_numpy_attributes_read_back_with_their_dtype(value: Any, dtype: str) -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", {"a": value})
    assert meta.get_json("g/.zattrs")[keys.ATTRIBUTE_DTYPES] == [["a", dtype]]
    node = reread(meta)
    assert same(user_value(node.attrs["a"]), value), (node.attrs["a"], value)
    assert node.inferred_dtypes == frozenset()


def test_a_scalar_bytes_attribute_keeps_its_recorded_width() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", {"a": np.array(b"a", dtype="S3")})
    node = reread(meta)
    assert node.attrs["a"].dtype == np.dtype("S3")
    assert node.attrs["a"].shape == ()
    assert user_value(node.attrs["a"]) == np.bytes_(b"a")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, np.int64(5)),
        (2**63, np.uint64(2**63)),
        (0.5, np.float64(0.5)),
        (True, np.bool_(True)),
        ([1, 2], np.array([1, 2])),
        ([1, 2.5], np.array([1.0, 2.5])),
        ([np.float32(0.5), np.float32(1.5)], np.array([0.5, 1.5], dtype=np.float32)),
    ],
)
def test_python_numbers_get_the_dtype_h5py_gives_them(value: Any, expected: Any) -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", {"a": value})
    node = reread(meta)
    assert same(node.attrs["a"], expected)
    assert node.inferred_dtypes == frozenset()


@pytest.mark.parametrize(
    "value",
    ["text", b"python bytes are variable-length strings to h5py", Reference("/g")],
)
def test_strings_and_references_have_no_record(value: Any) -> None:
    assert attribute_dtype(value) is None
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", {"a": value})
    assert keys.ATTRIBUTE_DTYPES not in meta.get_json("g/.zattrs")
    assert attribute_dtype(np.array(["a", "b"], dtype=object)) is None


def test_record_follows_writes_replacements_and_deletions() -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", {"a": np.uint8(1), "b": np.float32(0.5), "s": "x"})
    CONV.write_attrs(meta, "/g", {"a": "now text", "c": np.int16(3)})
    assert meta.get_json("g/.zattrs")[keys.ATTRIBUTE_DTYPES] == [["b", "float32"], ["c", "int16"]]
    CONV.delete_attr(meta, "/g", "b")
    assert meta.get_json("g/.zattrs")[keys.ATTRIBUTE_DTYPES] == [["c", "int16"]]
    CONV.delete_attr(meta, "/g", "c")
    assert keys.ATTRIBUTE_DTYPES not in meta.get_json("g/.zattrs")
    CONV.write_attrs(meta, "/g", {"d": np.uint32(9)}, replace=True)
    assert meta.get_json("g/.zattrs") == {"d": 9, keys.ATTRIBUTE_DTYPES: [["d", "uint32"]]}
    with pytest.raises(LindiFormatError, match="reserved"):
        CONV.write_attrs(meta, "/g", {keys.ATTRIBUTE_DTYPES: [["d", "int8"]]})


def test_dataset_rewrite_keeps_the_record_of_kept_attributes() -> None:
    meta = ReferenceMap()
    info = DatasetInfo(shape=(2,), dtype=np.dtype("<f8"))
    CONV.write_dataset(meta, "/g", info, {"conversion": np.float32(0.5), "unit": "m"})
    CONV.write_dataset(meta, "/g", info, {"rate": np.float32(2.0)})
    node = reread(meta)
    assert same(node.attrs["conversion"], np.float32(0.5))
    assert same(node.attrs["rate"], np.float32(2.0))
    assert node.attrs["unit"] == "m"


@pytest.mark.parametrize(
    ("stored", "dtype", "expected"),
    [
        # written over by a tool that keeps the record (lindi 0.4.6): never round to fit it
        (0.077, "float32", np.float64(0.077)),
        (300, "uint8", np.int64(300)),
        (-1, "uint32", np.int64(-1)),
        (0.5, "int32", np.float64(0.5)),
        (2, "bool", np.int64(2)),
        (2**53 + 1, "float64", np.int64(2**53 + 1)),
        ("text", "int32", "text"),
        ("toolong", "|S3", "toolong"),
        ("é", "|S1:latin-1", np.bytes_(b"\xe9")),
        ("€", "|S4:latin-1", "€"),
        ([1, 300], "uint8", np.array([1, 300])),
        # exact: applied
        (5, "float32", np.float32(5.0)),
        (1, "bool", np.bool_(True)),
        ("NaN", "float32", np.float32(math.nan)),
        ([1, 2], "uint8", np.array([1, 2], dtype=np.uint8)),
    ],
)
def test_a_record_applies_only_where_exact(stored: Any, dtype: str, expected: Any) -> None:
    meta = ReferenceMap()
    meta.set_json(".zgroup", {"zarr_format": 2})
    meta.set_json("g/.zgroup", {"zarr_format": 2})
    meta.set_json("g/.zattrs", {"a": stored, keys.ATTRIBUTE_DTYPES: [["a", dtype]]})
    node = reread(meta)
    assert same(user_value(node.attrs["a"]), expected), (node.attrs["a"], expected)
    numeric = isinstance(expected, np.generic | np.ndarray) and expected.dtype.kind in "biuf"
    applied = np.dtype(dtype.split(":")[0]) == getattr(expected, "dtype", None)
    assert (node.inferred_dtypes == {"a"}) == (numeric and not applied)


def test_attributes_without_a_record_are_inferred() -> None:
    meta = ReferenceMap()
    meta.set_json(".zgroup", {"zarr_format": 2})
    meta.set_json("g/.zgroup", {"zarr_format": 2})
    meta.set_json(
        "g/.zattrs",
        {"n": 5, "x": 0.5, "b": True, "arr": [1, 2], "s": "text", "gone": [["x", "int8"]]},
    )
    node = reread(meta)
    assert node.inferred_dtypes == {"n", "x", "b", "arr"}
    assert same(node.attrs["n"], np.int64(5)) and same(node.attrs["x"], np.float64(0.5))


@pytest.mark.parametrize(
    "record",
    [{"a": "int8"}, [["a"]], [["a", 8]], "int8", [["a", "not-a-dtype"]]],
)
def test_malformed_records_are_format_errors(record: Any) -> None:
    meta = ReferenceMap()
    meta.set_json(".zgroup", {"zarr_format": 2})
    meta.set_json("g/.zgroup", {"zarr_format": 2})
    meta.set_json("g/.zattrs", {"a": 1, keys.ATTRIBUTE_DTYPES: record})
    with pytest.raises(LindiFormatError, match=keys.ATTRIBUTE_DTYPES):
        CONV.read_node(meta, "/g")


def test_records_of_other_kinds_and_missing_attributes_are_ignored() -> None:
    meta = ReferenceMap()
    meta.set_json(".zgroup", {"zarr_format": 2})
    meta.set_json("g/.zgroup", {"zarr_format": 2})
    meta.set_json(
        "g/.zattrs",
        {"a": "x", keys.ATTRIBUTE_DTYPES: [["a", "object"], ["missing", "int8"]]},
    )
    assert reread(meta).attrs == {"a": "x"}


@pytest.mark.parametrize(
    ("value", "dtype", "expected"),
    [
        (np.int64(5), "uint32", np.uint32(5)),
        (np.float64(0.077), "float32", None),
        (np.float64(0.5), "float32", np.float32(0.5)),
        (np.int64(300), "uint8", None),
        (np.int64(-1), "uint64", None),
        (np.uint64(2**64 - 1), "int64", None),
        (np.float64(2.0**64), "uint64", None),
        (np.float64(-1.0), "uint8", None),
        (np.float64(math.nan), "float32", np.float32(math.nan)),
        (np.float64(1e300), "float32", None),
        (np.int64(2**53 + 1), "float64", None),
        (np.bool_(True), "int8", np.int8(1)),
        ("5", "int32", None),
        (np.array([1, 2]), "int16", np.array([1, 2], dtype=np.int16)),
        (np.array([1.0, 0.1]), "float32", None),
    ],
)
def test_exact_cast(value: Any, dtype: str, expected: Any) -> None:
    cast = exact_cast(value, np.dtype(dtype))
    if expected is None:
        assert cast is None
    else:
        assert same(cast, expected)


_numeric_dtypes = st.sampled_from(
    [
        *("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
        *("float16", "float32", "float64", "bool", ">i2", ">f4"),
    ]
)


@st.composite
def numpy_attributes(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["numeric", "bytes"]))
    # JSON keeps no dimension after a zero-length one (docs/conventions.md)
    shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=0).filter(lambda s: 0 not in s[:-1])
    shape = draw(st.one_of(st.just(()), shapes))
    if kind == "bytes":
        width = draw(st.integers(min_value=1, max_value=6))
        elements = st.binary(min_size=0, max_size=width).filter(
            lambda b: (
                not b.endswith(b"\x00")
                and b.decode("latin-1") not in ("NaN", "Infinity", "-Infinity")
            )
        )
        array = draw(hnp.arrays(np.dtype(f"S{width}"), shape, elements=elements))
    else:
        array = draw(hnp.arrays(np.dtype(draw(_numeric_dtypes)), shape))
    # a scalar fixed-width bytes value stays a 0-d array, which holds its width
    return array[()] if shape == () and array.dtype.kind != "S" else array


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value=numpy_attributes())
def test_numpy_attributes_round_trip_exactly(value: Any) -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/g", {"a": value})
    assert same(reread(meta).attrs["a"], value)
