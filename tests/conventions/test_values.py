"""Attribute values: encoding to JSON and decoding as h5py returns them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hdmf_lindi import _json
from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.conventions.references import reference_from_json, reference_to_json
from hdmf_lindi.conventions.values import (
    SPECIAL_FLOAT_STRINGS,
    decode_attr_value,
    encode_attr_value,
)
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError

REF = Reference(path="/grp", source=".", object_id="abc", source_object_id=None)
REF_JSON = {
    "_REFERENCE": {"object_id": "abc", "path": "/grp", "source": ".", "source_object_id": None}
}


def through_json(value: Any) -> Any:
    """What a value looks like after being written to and read from a .lindi.json."""
    return _json.loads(_json.dumps(value))


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (7, 7),
        (np.int8(-3), -3),
        (np.uint64(2**64 - 1), 2**64 - 1),
        (1.5, 1.5),
        (np.float32(0.5), 0.5),
        (math.nan, "NaN"),
        (np.float64(math.inf), "Infinity"),
        (-math.inf, "-Infinity"),
        (True, True),
        (np.bool_(False), False),
        ("hello", "hello"),
        (np.str_("x"), "x"),
        (b"bytes", "bytes"),
        (np.bytes_(b"ab"), "ab"),
        (np.bytes_(b"\xb5V"), "µV"),
        (np.array([b"\xb5V", b"ok"]), ["µV", "ok"]),
        (REF, REF_JSON),
        (np.array([1, 2, 3], dtype=np.int16), [1, 2, 3]),
        (np.array([[1.5, np.nan], [np.inf, -np.inf]]), [[1.5, "NaN"], ["Infinity", "-Infinity"]]),
        (np.array([True, False]), [True, False]),
        (np.array(["a", "bc"]), ["a", "bc"]),
        (np.array([b"a", b"bc"]), ["a", "bc"]),
        (np.array(["a", "b"], dtype=object), ["a", "b"]),
        (np.array(5), 5),
        (np.zeros((0,)), []),
        (np.zeros((2, 0)), [[], []]),
        ([1, 2], [1, 2]),
        ([1, 2.5], [1.0, 2.5]),
        ((REF, REF), [REF_JSON, REF_JSON]),
        (np.array([REF], dtype=object), [REF_JSON]),
        ([], []),
    ],
)
def test_encode_attr_value(value: Any, encoded: Any) -> None:
    assert encode_attr_value(value) == encoded


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (7, np.int64(7)),
        (2**63, np.uint64(2**63)),
        (1.5, np.float64(1.5)),
        (True, np.bool_(True)),
        ("hello", "hello"),
        ("Infinity", np.float64(math.inf)),
        ("-Infinity", np.float64(-math.inf)),
        (REF_JSON, REF),
        (None, None),
    ],
)
def test_decode_scalar(encoded: Any, expected: Any) -> None:
    decoded = decode_attr_value(encoded)
    assert type(decoded) is type(expected)
    assert decoded == expected


def test_decode_nan_string_is_float() -> None:
    decoded = decode_attr_value("NaN")
    assert isinstance(decoded, np.float64)
    assert math.isnan(decoded)


@pytest.mark.parametrize(
    ("encoded", "dtype", "expected"),
    [
        ([1, 2, 3], np.int64, [1, 2, 3]),
        ([[1, 2], [3, 4]], np.int64, [[1, 2], [3, 4]]),
        ([0, 2**64 - 1], np.uint64, [0, 2**64 - 1]),
        ([1.5, 2], np.float64, [1.5, 2.0]),
        ([1.5, "NaN", "Infinity"], np.float64, [1.5, math.nan, math.inf]),
        (["NaN", "-Infinity"], np.float64, [math.nan, -math.inf]),
        ([True, False], np.bool_, [True, False]),
        (["a", "NaN"], object, ["a", "NaN"]),
        ([["a", "b"], ["c", "d"]], object, [["a", "b"], ["c", "d"]]),
        ([], np.float64, []),
    ],
)
def test_decode_list(encoded: Any, dtype: Any, expected: Any) -> None:
    decoded = decode_attr_value(encoded)
    assert isinstance(decoded, np.ndarray)
    assert decoded.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(decoded, np.array(expected, dtype=dtype))


def test_decode_list_of_references() -> None:
    decoded = decode_attr_value([REF_JSON, REF_JSON])
    assert decoded.dtype == object
    assert decoded.shape == (2,)
    assert list(decoded) == [REF, REF]


def test_decode_empty_nd_list_keeps_shape() -> None:
    decoded = decode_attr_value([[], [], []])
    assert decoded.shape == (3, 0)
    assert decoded.dtype == np.float64


@pytest.mark.parametrize(
    "value",
    [
        1 + 2j,
        np.array([1j]),
        None,
        "NaN",
        "Infinity",
        b"-Infinity",
        np.array(["NaN", "Infinity"]),
        ["x", "NaN"],
        np.array([["a"], ["-Infinity"]], dtype=object),
        [1, "a"],
        [REF, "a"],
        [[1, 2], [3]],
        np.array([np.array([REF]), np.array([REF, REF])], dtype=object),
        [np.array([1, 2])],
        np.zeros(2, dtype=[("a", "i4")]),
        object(),
    ],
)
def test_encode_refuses(value: Any) -> None:
    with pytest.raises(LindiUnsupportedError):
        encode_attr_value(value, where="f.lindi.json: /grp attribute 'x'")


def test_encode_error_names_the_attribute() -> None:
    with pytest.raises(LindiUnsupportedError, match=r"f\.lindi\.json: /grp attribute 'x'"):
        encode_attr_value(1j, where="f.lindi.json: /grp attribute 'x'")


@pytest.mark.parametrize(
    "encoded",
    [
        {"a": 1},
        [[1, 2], [3]],
        [[1], 2],
        [1, "a"],
        [True, 1],
        2**64,
        -(2**63) - 1,
        {"_REFERENCE": {"path": 3}},
        {"_REFERENCE": "x"},
    ],
)
def test_decode_refuses(encoded: Any) -> None:
    with pytest.raises(LindiFormatError, match="where-it-is"):
        decode_attr_value(encoded, where="where-it-is")


def test_reference_defaults() -> None:
    minimal = {"_REFERENCE": {"path": "/a"}}
    assert reference_from_json(minimal) == Reference(path="/a")
    assert reference_to_json(Reference(path="/a")) == {
        "_REFERENCE": {"object_id": None, "path": "/a", "source": ".", "source_object_id": None}
    }


# ------------------------------------------------------------------------------ hypothesis
def _same(expected: Any, actual: Any) -> None:
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray)
        assert actual.shape == expected.shape
        assert actual.dtype == expected.dtype
        if expected.dtype.kind == "f":
            np.testing.assert_array_equal(actual, expected)  # NaNs compare equal here
        else:
            assert actual.tolist() == expected.tolist()
    elif isinstance(expected, float | np.floating) and math.isnan(expected):
        assert isinstance(actual, np.float64)
        assert math.isnan(actual)
    else:
        assert type(actual) is type(expected)
        assert actual == expected


texts = st.text(max_size=12).filter(lambda s: s not in SPECIAL_FLOAT_STRINGS)
references = st.builds(
    Reference,
    path=st.text(min_size=1, max_size=10).map(lambda s: "/" + s),
    source=st.sampled_from([".", "other.nwb"]),
    object_id=st.none() | st.uuids().map(str),
    source_object_id=st.none() | st.uuids().map(str),
)
int64s = st.integers(min_value=-(2**63), max_value=2**63 - 1)
floats = st.floats(allow_nan=True, allow_infinity=True)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def attribute_values(draw: st.DrawFn) -> tuple[Any, Any]:
    """(value given to encode, value decode must return)."""
    kind = draw(
        st.sampled_from(
            ["int", "float", "bool", "str", "bytes", "ref", "iarr", "farr", "barr", "sarr", "rarr"]
        )
    )
    if kind == "int":
        v = draw(int64s)
        return v, np.int64(v)
    if kind == "float":
        f = draw(floats)
        return f, np.float64(f)
    if kind == "bool":
        b = draw(st.booleans())
        return b, np.bool_(b)
    if kind == "str":
        s = draw(texts)
        return s, s
    if kind == "bytes":
        s = draw(texts)
        return s.encode("utf-8"), s
    if kind == "ref":
        r = draw(references)
        return r, r
    shape = draw(shapes)
    nonempty = int(np.prod(shape)) > 0
    # nested JSON lists cannot say what follows a zero-length dimension
    empty = np.zeros(shape[: shape.index(0) + 1] if 0 in shape else shape)
    if kind == "iarr":
        dtype = draw(st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32]))
        a = draw(hnp.arrays(dtype, shape))
        return a, (a.astype(np.int64) if nonempty else empty)
    if kind == "farr":
        a = draw(hnp.arrays(draw(st.sampled_from([np.float32, np.float64])), shape))
        return a, (a.astype(np.float64) if nonempty else empty)
    if kind == "barr":
        a = draw(hnp.arrays(np.bool_, shape))
        return a, (a if nonempty else empty)
    if kind == "sarr":
        items = draw(st.lists(texts, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        a = np.empty(len(items), dtype=object)
        a[:] = items
        a = a.reshape(shape)
        return a, (a if nonempty else empty)
    refs = draw(st.lists(references, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    a = np.empty(len(refs), dtype=object)
    a[:] = refs
    a = a.reshape(shape)
    return a, (a if nonempty else empty)


@relaxed
@given(attribute_values())
def test_round_trip_through_json(case: tuple[Any, Any]) -> None:
    value, expected = case
    stored = through_json(encode_attr_value(value))
    _same(expected, decode_attr_value(stored))


@relaxed
@given(attribute_values())
def test_encoded_values_are_plain_json(case: tuple[Any, Any]) -> None:
    encoded = encode_attr_value(case[0])
    # orjson writes NaN/inf floats as null silently; the encoder must never produce them
    assert not _has_nan(encoded)
    assert through_json(encoded) == encoded


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    return False


@given(st.lists(floats, min_size=1, max_size=6))
def test_non_finite_floats_become_strings(values: list[float]) -> None:
    encoded = encode_attr_value(np.array(values))
    assert not _has_nan(encoded)
    for value, item in zip(values, encoded, strict=True):
        if math.isnan(value):
            assert item == "NaN"
        elif math.isinf(value):
            assert item == ("Infinity" if value > 0 else "-Infinity")
        else:
            assert item == value
