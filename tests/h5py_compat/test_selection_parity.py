"""Dataset selections, reads and writes through them, and scalar dataset creation options give
the same outcome as h5py (values with their dtype, or an exception of h5py's type), including
the order h5py checks a selection in (differential fuzzer findings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import LindiError, LindiH5pyFile
from tests.h5py_compat.test_review_parity import assert_same, files

__all__ = ["files"]  # the fixture, imported for the tests below

Action = Callable[[Any], Any]

T = np.array([True, False, True])
FF = np.array([False, False])
TF = np.array([True, False])


def _datasets(f: Any) -> None:
    f.create_dataset("m", data=np.arange(6.0).reshape((2, 3)))
    f.create_dataset("mc", data=np.arange(6.0).reshape((2, 3)), chunks=(2, 2))
    f.create_dataset("v", data=np.arange(3))
    f.create_dataset("vc", data=np.arange(3), chunks=(1,))
    f.create_dataset("s", data=1.5)
    f.create_dataset("a", shape=(1,), dtype="i1")
    f.create_dataset("u", shape=(1, 1), dtype="i1")
    f.create_dataset("z", shape=(0,), dtype="i1")
    f.create_dataset("e", shape=(0, 0), dtype="i1")
    f.create_dataset("t", shape=(3, 0), dtype="i1")
    f.create_dataset("w", shape=(1, 0), dtype="i1")
    f.create_dataset("b", shape=(1, 0), dtype=bool)
    f.create_dataset("str", data=[b"a", b"b", b"c"], dtype=h5py.string_dtype())
    f.create_dataset("x", data=np.arange(20.0), chunks=(3,))
    f.create_dataset("mx", data=np.arange(60).reshape((4, 15)))
    _compound(f)


def _read(path: str, selection: Any) -> Action:
    return lambda f: f[path][selection]


def _write(path: str, selection: Any, value: Any) -> Action:
    def action(f: Any) -> Any:
        f[path][selection] = value
        return f[path][()]

    return action


def _assert_same(h5: h5py.File, lindi: LindiH5pyFile, action: Action) -> None:
    """``assert_same``, and what LINDI raises is a ``LindiError``."""
    raised: list[Exception] = []

    def recording(f: Any) -> Any:
        try:
            return action(f)
        except Exception as exc:
            if f is lindi:
                raised.append(exc)
            raise

    assert_same(h5, lindi, recording)
    assert all(isinstance(exc, LindiError) for exc in raised), raised


def _check(files: tuple[h5py.File, LindiH5pyFile], action: Action) -> None:
    h5, lindi = files
    _datasets(h5)
    _datasets(lindi)
    _assert_same(h5, lindi, action)


SELECTIONS: dict[str, Action] = {
    # selection-check-order: the axes are checked one after another
    "int-out-of-range-before-negative-step": _read("m", (5, slice(None, None, -1))),
    "int-out-of-range-before-zero-step": _read("m", (5, slice(None, None, 0))),
    "int-out-of-range-before-wrong-length-mask": _read("m", (7, FF)),
    "wrong-length-mask-on-empty-axis": _read("t", (FF, 0)),
    "int-out-of-range-before-negative-step-write": _write("m", (5, slice(None, None, -1)), 0),
    # wrong-length-mask
    "wrong-length-mask-write": _write("m", (slice(None), TF), 0),
    "mask-on-empty-1d": _read("z", np.array([False])),
    # mask-with-ellipsis-1d: a 1-D dataset's mask must be the only index
    "mask-then-ellipsis-1d": _read("v", (T, Ellipsis)),
    "ellipsis-then-mask-1d": _read("v", (Ellipsis, T)),
    "bool-list-1d": _read("v", [True, False, True]),
    # index-list-in-empty-selection: h5py lets an index equal to the axis length through
    "list-at-length-empty-2d": _read("e", [0]),
    "list-at-length-second-axis-empty-2d": _read("e", (slice(None), [0])),
    "list-at-length-empty-columns": _read("t", ([3], slice(None))),
    "list-at-length-empty-slice": _read("u", ([1], slice(1, 2))),
    "list-at-length-selecting-elements": _read("u", [1]),
    "list-at-length-and-int": _read("u", ([1], 0)),
    "list-at-length-after-ellipsis": _read("w", (Ellipsis, [0])),
    "list-at-length-bool-dtype": _read("b", [1]),
    "list-at-length-1d": _read("a", [1]),
    "list-at-length-empty-1d": _read("z", [0]),
    "write-list-at-length-empty-selection": _write("e", [0], np.zeros((1, 0), "i1")),
    "write-list-at-length-1d": _write("a", [1], np.array([0], "i1")),
    # other checks h5py makes
    "too-many-indices": _read("m", (0, 0, 0)),
    "too-many-indices-with-ellipsis": _read("m", (0, Ellipsis, 0, 0)),
    "two-ellipses": _read("m", (Ellipsis, Ellipsis)),
    "too-many-indices-write": _write("m", (0, 0, 0), 1),
    "two-lists": _read("m", ([0], [1])),
    "float-list": _read("m", [1.5]),
    "nested-list": _read("m", [[0]]),
    "none": _read("m", None),
    "int-out-of-range-and-none": _read("m", (5, None)),
}


@pytest.mark.parametrize("action", list(SELECTIONS.values()), ids=list(SELECTIONS))
def test_selection_reads_and_writes_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    _check(files, action)


WRITES: dict[str, Action] = {
    # scalar-dataset-index-write
    "scalar-dataset-index": _write("s", 0, 1),
    "scalar-dataset-step": _write("s", slice(None, None, 2), 1),
    "scalar-dataset-two-ellipses": _write("s", (Ellipsis, Ellipsis), 1),
    "scalar-dataset-read-index": _read("s", 0),
    "scalar-dataset-one-element-list": _write("s", Ellipsis, [1]),
    "scalar-dataset-1x1": _write("s", (), np.ones((1, 1))),
    # scalar-write-out-of-range-list
    "scalar-value-list-at-length": _write("a", [1], np.array(0, "i1")),
    "list-at-length-2d": _write("u", [1], np.zeros((1, 1), "i1")),
    "list-at-length-empty-axis": _write("w", (slice(None), [0]), np.zeros((1, 1), "i1")),
    # broadcast-to-fancy-selection: values must have the selection's shape
    "scalar-to-list-2d": _write("m", (slice(None), [0, 2]), 0),
    "row-to-list-2d": _write("m", (slice(None), [0, 2]), [1, 2]),
    "scalar-to-mask-2d": _write("m", (slice(None), T), 0),
    "one-to-list-in-a-row": _write("m", (0, [0, 2]), [1]),
    "scalar-to-empty-list": _write("m", [], 0),
    "one-to-mask-1d": _write("v", T, [5]),
    "one-to-list-1d": _write("v", [0, 2], [5]),
    "one-to-list-1d-chunked": _write("vc", [0, 2], [5]),
    "reshaped-to-full-mask": _write("m", np.ones((2, 3), bool), np.arange(6.0).reshape((3, 2))),
    "one-to-full-mask": _write("m", np.ones((2, 3), bool), [1]),
    # simple selections broadcast as h5py does (extra leading axes of length 1 too)
    "1x1-to-element": _write("m", (0, 0), np.ones((1, 1))),
    "leading-ones-to-row": _write("m", 0, np.arange(3.0).reshape((1, 1, 3))),
    "row-to-column": _write("m", (slice(None), 0), np.ones((1, 2))),
}


@pytest.mark.parametrize("action", list(WRITES.values()), ids=list(WRITES))
def test_writes_broadcast_as_h5py(files: tuple[h5py.File, LindiH5pyFile], action: Action) -> None:
    _check(files, action)


def _create(**kwargs: Any) -> Action:
    return lambda f: f.create_dataset("x", **kwargs)[()]


CREATES: dict[str, Action] = {
    "scalar-chunks-true": _create(shape=(), dtype="i1", chunks=True),
    "scalar-gzip": _create(shape=(), dtype="i1", compression="gzip"),
    "scalar-gzip-level": _create(shape=(), dtype="i1", compression=0),
    "scalar-compression-false": _create(shape=(), dtype="i1", compression=False),
    "scalar-compression-opts": _create(shape=(), dtype="i1", compression_opts=4),
    "scalar-shuffle": _create(shape=(), dtype="i1", shuffle=True),
    "scalar-fletcher32": _create(shape=(), dtype="i1", fletcher32=True),
    "scalar-scaleoffset": _create(shape=(), dtype="i1", scaleoffset=True),
    "scalar-lzf": _create(shape=(), dtype="i1", compression="lzf"),
    "scalar-data-chunks-true": _create(data=5, chunks=True),
    "scalar-strings-gzip": _create(shape=(), dtype="S3", compression="gzip"),
    "contiguous-gzip": _create(shape=(3,), dtype="i1", chunks=False, compression="gzip"),
    "contiguous-maxshape": _create(shape=(3,), dtype="i1", chunks=False, maxshape=(3,)),
    "contiguous-shuffle": _create(shape=(), dtype="i1", chunks=False, shuffle=True),
    "compression-false-is-gzip-0": lambda f: (
        f.create_dataset("x", shape=(3,), dtype="i1", compression=False).compression_opts
    ),
    "compression-true-is-gzip-4": lambda f: (
        f.create_dataset("x", shape=(3,), dtype="i1", compression=True).compression_opts
    ),
    "gzip-level-and-opts": _create(shape=(3,), dtype="i1", compression=3, compression_opts=3),
    "gzip-level-12": _create(shape=(3,), dtype="i1", compression="gzip", compression_opts=12),
    "opts-without-compression": _create(shape=(3,), dtype="i1", compression_opts=1),
    "contiguous-scaleoffset-0": _create(data=np.arange(3.0), chunks=False, scaleoffset=0),
    "python-int-out-of-range": _create(data=[1000], dtype="i1"),
}


@pytest.mark.parametrize("action", list(CREATES.values()), ids=list(CREATES))
def test_create_dataset_storage_options_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    h5, lindi = files
    _assert_same(h5, lindi, action)
    assert ("x" in lindi) == ("x" in h5)


MB = h5py.MultiBlockSlice

MULTI_BLOCK_SLICES: dict[str, Action] = {
    "blocks": _read("m", (slice(None), MB(start=0, stride=2, count=2, block=1))),
    "blocks-of-two": _read("x", MB(start=1, stride=5, count=3, block=2)),
    "count-from-length": _read("x", MB(start=1, stride=3, block=2)),
    "default-is-everything": _read("m", MB()),
    "touching-blocks": _read("x", MB(start=2, stride=3, count=4, block=3)),
    "one-block": _read("x", MB(start=4, stride=5, count=1, block=5)),
    "start-past-the-end": _read("x", MB(start=25)),
    "block-past-the-end": _read("x", MB(start=18, stride=3, block=3)),
    "on-both-axes": _read("mx", (MB(start=0, stride=2, count=2), MB(start=1, stride=4, block=2))),
    "with-index-list": _read("mx", ([0, 2], MB(start=1, stride=4, count=2, block=2))),
    "with-integer": _read("mx", (1, MB(start=1, stride=4, count=2, block=2))),
    "after-ellipsis": _read("mx", (Ellipsis, MB(start=4, stride=5))),
    "past-the-end": _read("x", MB(start=1, stride=5, count=4, block=2)),
    "on-a-scalar": _read("s", MB()),
    "write": _write("x", MB(start=0, stride=4, count=3, block=2), np.arange(6.0)),
    "write-broadcast": _write("x", MB(start=1, stride=4, count=2, block=2), 7),
    "write-row-broadcast": _write("mx", (slice(None), MB(start=1, stride=4, block=2)), [1, 2] * 2),
    "write-wrong-shape": _write("x", MB(start=0, stride=4, count=3, block=2), [1.0, 2.0]),
}


@pytest.mark.parametrize("action", list(MULTI_BLOCK_SLICES.values()), ids=list(MULTI_BLOCK_SLICES))
def test_multi_block_slices_select_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    _check(files, action)


def test_a_value_broadcast_to_blocks_lands_in_the_blocks(tmp_path: Any) -> None:
    """h5py 3.x writes a scalar broadcast to blocks on the second axis of a 2-D dataset at
    ``start + stride * i`` for every ``i`` that fits (columns 1, 5, 9, 13 of 15 below, outside
    the selection); LINDI writes the selected elements, as numpy would."""
    with LindiH5pyFile.from_lindi_file(tmp_path / "b.lindi.json", mode="w") as f:
        ds = f.create_dataset("mx", data=np.zeros((2, 15), dtype="i4"))
        ds[:, MB(start=1, stride=4, count=2, block=2)] = 7
        expected = np.zeros((2, 15), dtype="i4")
        expected[:, [1, 2, 5, 6]] = 7
        np.testing.assert_array_equal(ds[()], expected)


def _compound(f: Any) -> None:
    rows = [(1, 2.0, b"x"), (3, 4.0, b"y")]
    f.create_dataset("c", data=np.array(rows, dtype=[("a", "i4"), ("b", "f8"), ("s", "S3")]))
    f.create_dataset("c2", data=np.zeros((2, 3), dtype=[("a", "i2"), ("b", "f4")]))
    f.create_dataset("sc", data=np.array((5, 0.5), dtype=[("a", "i4"), ("b", "f8")]))


AB = np.dtype([("a", "i4"), ("b", "f8")])

FIELDS: dict[str, Action] = {
    "read-field": _read("c", "a"),
    "read-fields": _read("c", ("b", "a")),
    "read-field-and-index": _read("c", ("s", 1)),
    "read-missing-field": _read("c", "nope"),
    "read-field-of-plain-dataset": _read("v", "a"),
    "write-field": _write("c", "a", 5),
    "write-field-row": _write("c", ("b", 0), 7.5),
    "write-index-then-field": _write("c", (0, "a"), [9]),
    "write-field-slice": _write("c", ("a", slice(0, 1)), [11]),
    "write-field-list": _write("c", ("a", [0, 1]), [11, 12]),
    "write-field-float-to-int": _write("c", ("a", 0), 1000.7),
    "write-field-bytes": _write("c", "s", "zz"),
    "write-fields-scalar": _write("c", ("a", "b"), 1),
    "write-fields-compound": _write("c", ("a", "b"), np.array([(7, 7.5)], dtype=AB)),
    "write-fields-by-name": _write(
        "c", ("b", "a"), np.array([(7, 7.5), (8, 8.5)], dtype=[("b", "f8"), ("a", "i4")])
    ),
    "write-field-2d": _write("c2", ("b", slice(None), 1), [0.25, 0.5]),
    "write-field-2d-broadcast": _write("c2", "a", [1, 2, 3]),
    "write-field-of-scalar": _write("sc", "b", 2.5),
    "write-missing-field": _write("c", "nope", 1),
    "write-field-of-plain-dataset": _write("v", "a", 1),
    "write-field-overflow": _write("c", ("a", 0), 2**40),
    "write-field-out-of-range": _write("c", ("a", 5), 1),
    "write-field-wrong-shape": _write("c", "a", [1, 2, 3]),
}


@pytest.mark.parametrize("action", list(FIELDS.values()), ids=list(FIELDS))
def test_compound_fields_read_and_write_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    _check(files, action)


@pytest.mark.parametrize("conventions", ["lindi-v1", "unified-zarr-v3"])
def test_compound_fields_written_by_name_persist(tmp_path: Any, conventions: str) -> None:
    """Fields written by name keep the other fields; a variable-length string field, which
    h5py 3.x refuses to write by name (``TypeError``), is written."""
    path = tmp_path / "c.lindi.json"
    text = np.dtype([("a", "i4"), ("s", h5py.string_dtype())])
    with LindiH5pyFile.from_lindi_file(path, mode="w", conventions=conventions) as f:
        _compound(f)
        f["c"]["a", 1] = 42
        f.create_dataset("v", data=np.array([(1, "x"), (3, "y")], dtype=text))
        f["v"]["s", 1] = "q"
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert f["c"]["a"].tolist() == [1, 42]
        assert f["c"]["s"].tolist() == [b"x", b"y"]
        assert f["v"]["s"].tolist() == [b"x", b"q"]
        assert f["v"]["a"].tolist() == [1, 3]


@pytest.mark.parametrize(
    "action",
    [
        lambda f: f.attrs.create("n", 1000, dtype="i1"),
        lambda f: f.attrs.modify("i8", 1000),
        lambda f: f["a"].__setitem__(0, 1000),
    ],
    ids=["attrs-create", "attrs-modify", "dataset-write"],
)
def test_python_integers_out_of_range_raise_overflow_error_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    h5, lindi = files
    for f in files:
        _datasets(f)
        f.attrs["i8"] = np.int8(1)
    _assert_same(h5, lindi, action)
