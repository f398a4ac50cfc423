"""Attributes as h5py writes and reads them, compared with h5py on an HDF5 file, after the
write and after the LINDI file is closed and opened again (``"r+"`` and ``"r"``), in both
flavours: bytes that are not valid UTF-8 (h5py returns them decoded with
``surrogateescape``), and ``attrs.modify`` converting a value to the existing attribute's
type (HDF5's conversion paths, the fixed-width bytes' itemsize)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdmf_lindi import LindiH5pyFile
from hdmf_lindi.errors import LindiError
from hdmf_lindi.hdf5 import convert
from tests.h5py_compat.test_review_parity import assert_same, files, outcome

__all__ = ["files"]  # the fixture, imported to be used here

Files = tuple[h5py.File, LindiH5pyFile]


def _reopened(lindi: LindiH5pyFile, mode: str) -> LindiH5pyFile:
    path = lindi.filename
    lindi.close()
    return LindiH5pyFile.from_lindi_file(path, mode=mode)


def assert_same_after_reopen(files: Files, action: Callable[[Any], Any]) -> None:
    """``action`` has the same outcome on the HDF5 file and on the LINDI file opened again
    read-write and read-only."""
    h5, lindi = files
    for mode in ("r+", "r"):
        lindi = _reopened(lindi, mode)
        try:
            assert_same(h5, lindi, action)
        finally:
            lindi.close()


def _get(f: Any) -> Any:
    return f.attrs["x"]


def _set(value: Any) -> Callable[[Any], Any]:
    return lambda f: f.attrs.__setitem__("x", value)


def _modify(value: Any) -> Callable[[Any], Any]:
    return lambda f: f.attrs.modify("x", value)


# ---------------------------------------------------------------------- non-UTF-8 bytes
NON_UTF8 = [
    pytest.param(b"\x80", id="bytes"),
    pytest.param([b"\x80"], id="list"),
    pytest.param([[b"\x80", b"a"], [b"b", b"\xc3\xa9"]], id="nested-list"),
    pytest.param(np.array([b"\x80", b"ab"], dtype=object), id="object-array"),
    pytest.param(b"a\xc3\xa9\xff", id="utf8-and-not"),
    pytest.param(np.array([b"\x80"]), id="fixed-array"),
    pytest.param(np.bytes_(b"\x80"), id="fixed-scalar"),
]


@pytest.mark.parametrize("value", NON_UTF8)
def test_non_utf8_bytes_read_back_as_h5py_returns_them(files: Files, value: Any) -> None:
    h5, lindi = files
    for f in files:
        f.attrs["x"] = value
    assert_same(h5, lindi, _get)
    assert_same_after_reopen(files, _get)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"\xff", id="bytes"),
        pytest.param([b"\xff"], id="list"),
        pytest.param(np.bytes_(b"\xff"), id="fixed-scalar"),
        pytest.param(np.array([b"\xff"]), id="fixed-array"),
        pytest.param(np.array([b"\xff"], dtype=object), id="object-array"),
    ],
)
@pytest.mark.parametrize("initial", [pytest.param("abc", id="str"), pytest.param(["abc"], id="1")])
def test_modify_a_string_to_non_utf8_bytes_as_h5py(files: Files, initial: Any, value: Any) -> None:
    h5, lindi = files
    for f in files:
        f.attrs["x"] = initial
    assert_same(h5, lindi, _modify(value))
    assert_same(h5, lindi, _get)
    assert_same_after_reopen(files, _get)


@pytest.mark.parametrize(
    "value",
    [pytest.param("\udc80", id="str"), pytest.param(["a", "\udc80"], id="list")],
)
def test_text_with_lone_surrogates_is_refused_as_h5py(files: Files, value: Any) -> None:
    h5, lindi = files
    assert_same(h5, lindi, _set(value))  # UnicodeEncodeError
    assert outcome(lindi, _set(value))[1].__mro__[1] is LindiError
    assert "x" not in lindi.attrs


def test_copy_keeps_non_utf8_bytes(files: Files) -> None:
    """A copy (within a file, and between the HDF5 and the LINDI file) keeps the bytes, though
    the value read (``"\\udc80"``) could not be written as text."""
    h5, lindi = files
    for f in files:
        f.create_group("g").attrs["x"] = [b"\x80", b"a"]
        f.create_dataset("d", data=[1]).attrs["x"] = b"\xff"
        f.copy("g", "k")
    lindi.copy(h5["g"], lindi, "from_h5")  # HDF5 into LINDI
    h5.copy("g", "from_h5")
    h5.copy(lindi["d"], h5, "from_lindi")  # LINDI into HDF5
    lindi.copy("d", "from_lindi")
    names = ("k", "from_h5", "from_lindi")
    for name in names:
        assert_same(h5, lindi, lambda f, name=name: f[name].attrs["x"])
    for mode in ("r+", "r"):
        with _reopened(lindi, mode) as lindi:
            for name in names:
                assert_same(h5, lindi, lambda f, name=name: f[name].attrs["x"])


def test_the_stored_json_is_valid_unicode_and_lossless(files: Files) -> None:
    """JSON cannot hold the bytes: the stored text is their Latin-1 text (what lindi 0.4.6
    shows), and the ``object:latin-1`` dtype record gives back the bytes."""
    _, lindi = files
    lindi.attrs["x"] = [b"\x80", b"\xc3\xa9"]
    path = lindi.filename
    lindi.close()
    with open(path, encoding="utf-8") as stream:
        refs = json.load(stream)["refs"]
    stored = refs[".zattrs"] if ".zattrs" in refs else refs["zarr.json"]["attributes"]
    assert stored["x"] == ["\x80", "\xc3\xa9"]
    assert stored["_ATTRIBUTE_DTYPES"] == [["x", "object:latin-1"]]


# ---------------------------------------------------------------------- modify's conversions
INITIAL = [
    pytest.param(0, id="int64"),
    pytest.param(np.array(False), id="bool"),
    pytest.param(np.array([True]), id="bool-array"),
    pytest.param(np.int8(3), id="int8"),
    pytest.param(np.array([1, 2], "u2"), id="uint16-array"),
    pytest.param(1.5, id="float64"),
    pytest.param(np.float32(2.5), id="float32"),
    pytest.param(np.array([b"ab"]), id="S2-array"),
    pytest.param(np.array([b"ab", b"c"]), id="S2-array-2"),
    pytest.param(np.bytes_(b"ab"), id="S2"),
    pytest.param("abc", id="str"),
    pytest.param(["a", "b"], id="str-array"),
]
NEW = [
    pytest.param(0, id="0"),
    pytest.param(300, id="300"),
    pytest.param(-1, id="-1"),
    pytest.param(2**70, id="2**70"),
    pytest.param(1.5, id="1.5"),
    pytest.param(np.float32(0.0), id="float32"),
    pytest.param(np.array(0.0, "f4"), id="float32-0d"),
    pytest.param(np.array([1.0], "f8"), id="float64-array"),
    pytest.param(True, id="True"),
    pytest.param(np.array(True), id="bool-0d"),
    pytest.param(np.array([True, False]), id="bool-array"),
    pytest.param(b"ab", id="bytes"),
    pytest.param("xy", id="str"),
    pytest.param("12", id="str-number"),
    pytest.param(np.array([b"ab"]), id="S2-array"),
    pytest.param(np.array([b"12"]), id="S2-number"),
    pytest.param([1, 2], id="list"),
    pytest.param(np.array([1, 2], "i8"), id="int64-array"),
    pytest.param(np.array([5], "i1"), id="int8-array"),
    pytest.param(b"\xff", id="non-utf8"),
    pytest.param("é", id="non-ascii"),
    pytest.param(np.array(["a"], dtype=object), id="object-array"),
]


@pytest.mark.parametrize("value", NEW)
@pytest.mark.parametrize("initial", INITIAL)
def test_modify_converts_as_h5py(files: Files, initial: Any, value: Any) -> None:
    """Every (existing type, new value) pair: the value h5py stores (the existing dtype and
    shape), or an exception of the type h5py raises (``OSError`` for no conversion path,
    ``TypeError`` for another shape)."""
    h5, lindi = files
    for f in files:
        f.attrs["x"] = initial
    assert_same(h5, lindi, _modify(value))
    assert_same(h5, lindi, _get)
    assert_same_after_reopen(files, _get)


@pytest.mark.parametrize(
    ("initial", "value"),
    [
        pytest.param(0, np.array([b"ab"]), id="int-from-bytes-array"),
        pytest.param(np.array(False), np.array(0.0, dtype="f4"), id="bool-from-float-array"),
    ],
)
def test_modify_without_conversion_path_raises_lindi_error(
    files: Files, initial: Any, value: Any
) -> None:
    h5, lindi = files
    for f in files:
        f.attrs["x"] = initial
    assert_same(h5, lindi, _modify(value))
    with pytest.raises(LindiError, match="attribute 'x'"):
        lindi.attrs.modify("x", value)


def test_modify_keeps_the_itemsize_of_fixed_bytes(files: Files) -> None:
    h5, lindi = files
    for f in files:
        f.attrs["x"] = np.array([b"ab"])
    for value in (0, 10, b"abc", "é"):
        assert_same(h5, lindi, _modify(value))
        assert_same(h5, lindi, _get)
    assert_same_after_reopen(files, _get)


_VALUES = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, width=32),
    st.booleans(),
    st.binary(min_size=1, max_size=3).filter(lambda b: b"\x00" not in b),
    # ASCII only: h5py stores bytes as ASCII strings and refuses other text in them later
    st.text(st.characters(min_codepoint=1, max_codepoint=127), min_size=1, max_size=3),
    st.sampled_from(["i1", "u2", "i8", "f4", "f8", "?", "S3"]).flatmap(
        lambda dtype: st.lists(st.integers(0, 100), min_size=1, max_size=1).map(
            lambda v, dtype=dtype: np.array(v).astype(dtype)
        )
    ),
)


@pytest.mark.parametrize("flavour", ["lindi-v1", "unified-zarr-v3"])
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(initial=_VALUES, value=_VALUES)
def test_modify_round_trips_as_h5py(flavour: str, initial: Any, value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        h5 = h5py.File(Path(tmp) / "expected.h5", "w")
        lindi = LindiH5pyFile.from_lindi_file(
            Path(tmp) / "actual.lindi.json", mode="w", conventions=flavour
        )
        try:
            for f in (h5, lindi):
                f.attrs["x"] = initial
            assert_same(h5, lindi, _modify(value))
            assert_same(h5, lindi, _get)
            assert_same_after_reopen((h5, lindi), _get)
        finally:
            h5.close()
            lindi.close()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([b"ab", "cd"], id="mixed-str-bytes"),
        pytest.param([b"\x80", "ab"], id="mixed-non-ascii-bytes"),
        pytest.param([1, "a"], id="mixed-number-str"),
        pytest.param([["a"], [b"b"]], id="nested-mixed"),
        pytest.param(np.array([], dtype=object), id="empty-object-array"),
        pytest.param(np.array([1, 2], dtype=object), id="object-array-of-ints"),
        pytest.param(np.array(["a", b"b"], dtype=object), id="object-array-mixed"),
        pytest.param(np.array(["a", "b"], dtype=object), id="object-array-of-str"),
        pytest.param(np.array([b"a"], dtype=object), id="object-array-of-bytes"),
        pytest.param(np.array([], dtype=h5py.string_dtype()), id="empty-string-array"),
        pytest.param([], id="empty-list"),
        pytest.param([1, 2.5], id="mixed-numbers"),
        pytest.param(["a", "b"], id="list-of-str"),
    ],
)
def test_values_without_an_hdf5_type_are_refused_as_h5py_refuses_them(
    files: tuple[h5py.File, LindiH5pyFile], data: Any
) -> None:
    """An object array whose items are not all strings (or all bytes), and a list mixing
    strings with other items, have no HDF5 type: h5py raises ``TypeError`` (numpy's
    ``UnicodeDecodeError`` for non-ASCII bytes among strings); LINDI stored them."""
    assert_same(*files, lambda f: f.attrs.__setitem__("x", data))
    assert_same(*files, lambda f: sorted(f.attrs))


@pytest.mark.parametrize("reopen", [False, True])
def test_a_scalar_fixed_width_attribute_keeps_its_width(
    files: tuple[h5py.File, LindiH5pyFile], reopen: bool, tmp_path: Path
) -> None:
    """``attrs.create("s", b"a", dtype="S3")`` reads back ``b"a"`` as in h5py and keeps the
    width: a later ``modify("s", b"abc")`` stores ``b"abc"`` (it was cut to ``b"a"``)."""
    h5, lindi = files
    for f in files:
        f.attrs.create("s", b"a", dtype="S3")
        f.attrs["t"] = np.bytes_(b"ab")
    if reopen:
        name = lindi.filename
        lindi.close()
        lindi = LindiH5pyFile.from_lindi_file(name, mode="r+")
    for f in (h5, lindi):
        f.attrs.modify("s", b"abc")
        f.attrs.modify("t", 10)
    assert_same(h5, lindi, lambda f: f.attrs["s"])
    assert_same(h5, lindi, lambda f: f.attrs["t"])
    assert_same(h5, lindi, lambda f: f.attrs.get("s"))
    assert_same(h5, lindi, lambda f: dict(f.attrs.items())["s"])
    lindi.close()


def test_a_converted_scalar_fixed_width_attribute_keeps_its_width(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f.attrs.create("s", b"a", dtype="S3")
    convert(tmp_path / "w.h5", tmp_path / "w.lindi.json")
    with LindiH5pyFile.from_lindi_file(tmp_path / "w.lindi.json", mode="r+") as f:
        assert f.attrs["s"] == b"a" and isinstance(f.attrs["s"], np.bytes_)
        f.attrs.modify("s", b"abc")
        assert f.attrs["s"] == b"abc"
