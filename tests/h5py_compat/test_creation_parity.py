"""Datasets and attributes made from values h5py types on its own (empty bytes, numbers with
bytes, null references first, h5py string dtypes, nested compound rows), reference attributes
modified, ``require_dataset`` with ``maxshape``: as h5py (differential fuzzer findings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import LindiH5pyFile, LindiUnsupportedError
from tests.h5py_compat.test_review_parity import assert_same, files

__all__ = ["files"]  # the fixture, imported for the tests below

Action = Callable[[Any], Any]
COMPOUND = np.dtype([("a", "i4"), ("b", "f8"), ("s", "S3")])


def _made(**kwargs: Any) -> Action:
    def action(f: Any) -> Any:
        ds = f.create_dataset("n", **kwargs)
        return ds[()]

    return action


def _encoding(data: Any) -> Action:
    def action(f: Any) -> Any:
        f["n"] = data
        return h5py.check_string_dtype(f["n"].dtype).encoding

    return action


def _reference_dataset(data: Callable[[Any], Any]) -> Action:
    def action(f: Any) -> Any:
        f["n"] = data(f)
        ds = f["n"]
        assert h5py.check_ref_dtype(ds.dtype) is h5py.Reference
        return [f[r].name if r else None for r in ds[()]]

    return action


def _attr(value: Any) -> Action:
    def action(f: Any) -> Any:
        f.attrs["n"] = value
        return f.attrs["n"]

    return action


def _modified_reference(initial: Callable[[Any], Any], value: Callable[[Any], Any]) -> Action:
    def action(f: Any) -> Any:
        f.attrs["r"] = initial(f)
        f.attrs.modify("r", value(f))
        stored = f.attrs["r"]
        if isinstance(stored, np.ndarray):
            return [f[r].name for r in stored.flat]
        return f[stored].name

    return action


def _required(shape: Any, **kwargs: Any) -> Action:
    def action(f: Any) -> Any:
        f.create_dataset("n", shape=(5,), dtype="i4", maxshape=(None,))
        return f.require_dataset("n", shape, "i4", **kwargs).shape

    return action


CASES: dict[str, Action] = {
    "empty-bytes-scalar": _made(data=np.bytes_(b"")),
    "empty-bytes-array": _made(data=np.array([b"", b""], dtype="S0")),
    "zero-width-dtype": _made(shape=(2,), dtype="S0"),
    "numbers-with-bytes": _made(data=(1, 2.5, b"xa")),
    "nested-numbers-with-bytes": _made(data=[[1, b"x"], [2, b"yy"]]),
    "numbers-with-bytes-attribute": _attr((1, 2.5, b"xa")),
    "nested-numbers-with-bytes-attribute": _attr([[1, b"x"], [2, b"yy"]]),
    "bytes-attribute-list": _attr([b"x", b"yy"]),
    "numbers-with-str": _made(data=[1, "x"]),
    "null-reference-first": _reference_dataset(lambda f: [h5py.Reference(), f.ref]),
    "null-reference-only": _reference_dataset(lambda f: [h5py.Reference()]),
    "null-reference-scalar": lambda f: bool(f.create_dataset("n", data=h5py.Reference())[()]),
    "null-reference-scalar-typed": lambda f: (
        f.create_dataset("n", data=h5py.Reference(), dtype=h5py.ref_dtype).shape
    ),
    "ascii-array-encoding": _encoding(np.array(["x"], dtype=h5py.string_dtype("ascii"))),
    "utf8-array-of-bytes-encoding": _encoding(np.array([b"x"], dtype=h5py.string_dtype())),
    "non-ascii-text-in-ascii-dataset": _made(data=["é"], dtype=h5py.string_dtype("ascii")),
    "utf8-bytes-in-ascii-dataset": _made(data=[b"\xc3\xa9"], dtype=h5py.string_dtype("ascii")),
    "compound-rows-2d": _made(data=[[(1, 2.0, b"x")], [(3, 4.0, b"y")]], dtype=COMPOUND),
    "compound-rows-1d": _made(data=[(1, 2.0, b"x"), (3, 4.0, b"y")], dtype=COMPOUND),
    "modify-reference-with-text": _modified_reference(lambda f: f.ref, lambda f: "yy"),
    "modify-reference-other-shape": _modified_reference(lambda f: f.ref, lambda f: [f.ref] * 2),
    "modify-reference": _modified_reference(lambda f: f.ref, lambda f: f["g"].ref),
    "modify-reference-one-item": _modified_reference(lambda f: f.ref, lambda f: [f["g"].ref]),
    "modify-references": _modified_reference(
        lambda f: [f.ref, f.ref], lambda f: [f["g"].ref, f.ref]
    ),
    "modify-references-with-number": _modified_reference(lambda f: [f.ref], lambda f: 5),
    "require-other-shape-same-maxshape": _required((1,), maxshape=(None,)),
    "require-other-shape-other-maxshape": _required((1,), maxshape=(9,)),
    "require-other-shape": _required((1,)),
}


@pytest.mark.parametrize("action", list(CASES.values()), ids=list(CASES))
def test_values_typed_as_h5py_types_them(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    for f in files:
        f.create_group("g")
    assert_same(*files, action)


def test_a_dataset_whose_text_does_not_encode_stays_empty_as_in_h5py(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """h5py makes the dataset, then fails to encode its values: the dataset stays, empty;
    the storage options are checked first (a scalar with chunks: TypeError)."""
    ascii = h5py.string_dtype("ascii")
    assert_same(
        *files, lambda f: f.create_dataset("n", data=["éa", "x"], dtype=ascii, maxshape=(7,))
    )
    assert_same(*files, lambda f: f["n"][()])
    assert_same(*files, lambda f: f["n"].resize((3,)))
    assert_same(*files, lambda f: f.create_dataset("s", data="é", dtype=ascii, chunks=True))
    assert_same(*files, lambda f: "s" in f)
    assert_same(*files, lambda f: f.__setitem__("x", np.array(["é", b"a"], dtype=ascii)))
    assert_same(*files, lambda f: "x" in f)


def test_ascii_dataset_refuses_non_ascii_text_written_later(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    def action(f: Any) -> Any:
        f.create_dataset("n", data=["x"], dtype=h5py.string_dtype("ascii"))[0] = "é"

    assert_same(*files, action)


@pytest.mark.parametrize(
    "action",
    [
        lambda f: f.create_dataset("n", data=[b"\xf1", b"V"]),
        lambda f: f.create_dataset("n", data=["x"], dtype=h5py.string_dtype()).__setitem__(
            0, b"\xf1"
        ),
        lambda f: f.create_dataset("n", shape=(2,), dtype=h5py.string_dtype(), fillvalue="ab"),
    ],
    ids=["not-utf8-bytes", "not-utf8-bytes-written", "string-fill-value"],
)
def test_what_a_string_dataset_would_not_give_back_is_refused(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    """h5py stores these; LINDI, which stores text and no string fill value, refuses them
    rather than give back other values (listed in the differential test's known differences)."""
    with pytest.raises(LindiUnsupportedError):
        action(files[1])
