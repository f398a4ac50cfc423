"""Dataset selections checked by h5py's rules (``h5py._hl.selections`` and ``_selector.pyx``),
with the exceptions h5py raises, in the order it checks: the axes one after another."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Literal

import h5py
import numpy as np

from hdmf_lindi.errors import LindiIndexError, LindiShapeError

__all__ = ["H5Selection", "select", "values_for_selection"]


@dataclass(frozen=True)
class H5Selection:
    """A selection of a dataset, checked as h5py checks it.

    ``kind`` is h5py's selection class: ``"simple"`` (integers and slices), ``"fancy"`` (one
    index list or per-axis mask) or ``"points"`` (a boolean mask of the dataset's shape).
    ``selection`` is what the hierarchy reads or writes: ``Ellipsis`` for everything, ``()``
    for the value of a scalar dataset, a full-shape boolean mask (more than one axis), or one
    entry per axis (integers, step-1-or-more slices, increasing index arrays: at most one from
    an index list, any from ``MultiBlockSlice`` blocks).
    ``counts`` and ``scalar`` are, per axis, the number of elements selected and whether the
    axis is indexed by an integer (and so dropped from the result); ``outside`` is whether an
    index list names an axis length, which h5py lets through and HDF5 refuses once elements
    are selected there."""

    kind: Literal["simple", "fancy", "points"]
    selection: Any
    counts: tuple[int, ...]
    scalar: tuple[bool, ...]
    outside: bool = False

    @property
    def nselect(self) -> int:
        """The number of elements selected."""
        return math.prod(self.counts)

    @property
    def array_shape(self) -> tuple[int, ...]:
        """The shape h5py reads the selection as (and needs written values to fit)."""
        if self.kind == "points":
            return (self.nselect,)
        return tuple(n for n, dropped in zip(self.counts, self.scalar, strict=True) if not dropped)


def select(args: Any, shape: tuple[int, ...], *, where: str, reading: bool) -> H5Selection:
    """``args`` of ``dataset[args]`` on a dataset of ``shape``, checked as h5py checks them
    for a read (``reading``) or a write; ``where`` names the dataset in errors.

    Raises
    ------
    LindiIndexError
        An integer or index list is out of range (h5py raises ``IndexError``).
    LindiShapeError
        Any other selection h5py refuses (``ValueError``: too many indices, two Ellipses, a
        slice step below 1; ``TypeError``: a mask of the wrong length, an index list that is
        not increasing or not integers, a second index list).
    """
    args = args if isinstance(args, tuple) else (args,)
    if reading and any(arg is None for arg in args):
        raise LindiShapeError(f"{where}: Indexing with None (or np.newaxis) is not supported")
    if not shape and reading:
        # h5py reads scalar datasets through its own selection class
        if args == ():
            return H5Selection("simple", (), (), ())
        if len(args) == 1 and args[0] is Ellipsis:
            return H5Selection("simple", Ellipsis, (), ())
        raise LindiShapeError(f"{where}: Illegal slicing argument for scalar dataspace")
    if len(args) == 1 and isinstance(args[0], np.ndarray) and args[0].dtype.kind == "b":
        mask = args[0]
        if mask.shape == shape:
            if not shape:
                raise LindiShapeError(f"{where}: a boolean mask cannot select a scalar dataset")
            counts = (int(np.count_nonzero(mask)),)
            selection = mask if mask.ndim > 1 else (np.flatnonzero(mask),)
            return H5Selection("points", selection, counts, (False,))
        if mask.shape != shape[:1]:
            raise LindiShapeError(
                f"{where}: Boolean indexing array has incompatible shape {mask.shape} for "
                f"dataset shape {shape}"
            )
    return _apply_args(args, shape, where)


def _apply_args(args: tuple[Any, ...], shape: tuple[int, ...], where: str) -> H5Selection:
    """h5py's ``Selector.apply_args``: each argument checked against its axis, in order."""
    rank = len(shape)
    nargs = len(args)
    seen_ellipsis = False
    items: list[Any] = [slice(None)] * rank
    counts = list(shape)
    scalar = [False] * rank
    array_axis: int | None = None
    outside = False
    axis = -1
    for arg in args:
        axis += 1
        if arg is Ellipsis:
            if seen_ellipsis:
                raise LindiShapeError(f"{where}: Only one ellipsis may be used.")
            seen_ellipsis = True
            nargs -= 1
            if nargs > rank:
                raise LindiShapeError(f"{where}: {nargs} indexing arguments for {rank} dimensions")
            axis += rank - nargs - 1
            continue
        if axis >= rank:
            raise LindiShapeError(f"{where}: {nargs} indexing arguments for {rank} dimensions")
        length = shape[axis]
        if isinstance(arg, h5py.MultiBlockSlice):
            try:
                start, stride, count, block = arg.indices(length)
            except ValueError as exc:
                raise LindiShapeError(f"{where}: {exc}") from None
            items[axis] = _blocks(start, stride, count, block)
            counts[axis] = count * block
            continue
        if isinstance(arg, slice):
            try:
                start, stop, step = arg.indices(length)
            except ValueError as exc:
                raise LindiShapeError(f"{where}: {exc}") from None
            if step < 1:
                raise LindiShapeError(f"{where}: Step must be >= 1 (got {step})")
            count = 0 if stop < start else 1 + (stop - start - 1) // step
            last = start + (count - 1) * step
            items[axis] = slice(start, last + 1, step) if count else slice(0, 0)
            counts[axis] = count
            continue
        try:
            index = operator.index(arg)
        except TypeError:
            pass
        else:
            resolved = index + length if index < 0 else index
            if not 0 <= resolved < length:
                raise LindiIndexError(
                    f"{where}: Index ({index}) out of range for "
                    + (f"(0-{length - 1})" if length else "empty dimension")
                )
            items[axis] = resolved
            counts[axis] = 1
            scalar[axis] = True
            continue
        indices = _index_list(arg, rank, length, where)
        if array_axis is not None:
            raise LindiShapeError(
                f"{where}: Only one indexing vector or array is currently allowed for fancy "
                "indexing"
            )
        indices = np.where(indices < 0, indices + length, indices)
        # h5py's bounds check lets the axis length itself through
        if np.any((indices < 0) | (indices > length)):
            raise LindiIndexError(
                f"{where}: Fancy indexing out of range for "
                + (f"(0-{length - 1})" if length else "empty dimension")
            )
        if np.any(np.diff(indices) <= 0):
            raise LindiShapeError(f"{where}: Indexing elements must be in increasing order")
        array_axis = axis
        outside = bool(np.any(indices == length))
        items[axis] = indices.astype(np.intp, copy=False)
        counts[axis] = len(indices)
    if nargs == 0:
        return H5Selection("simple", Ellipsis, tuple(shape), (False,) * rank)
    return H5Selection(
        "simple" if array_axis is None else "fancy",
        tuple(items),
        tuple(counts),
        tuple(scalar),
        outside,
    )


def _blocks(start: int, stride: int, count: int, block: int) -> slice | np.ndarray:
    """The elements of a checked ``MultiBlockSlice`` (``count`` blocks of ``block`` elements,
    ``stride`` apart): a slice where one says it, else their indices."""
    if block == 1:
        return slice(start, start + (count - 1) * stride + 1, stride)
    if count == 1 or stride == block:
        return slice(start, start + (count - 1) * stride + block)
    firsts = start + stride * np.arange(count, dtype=np.intp)
    return (firsts[:, np.newaxis] + np.arange(block, dtype=np.intp)).reshape(-1)


def _index_list(arg: Any, rank: int, length: int, where: str) -> np.ndarray:
    """An index list or per-axis mask as the integer indices it selects (not yet checked
    against the axis)."""
    if isinstance(arg, np.ndarray):
        if arg.ndim != 1:
            raise LindiShapeError(f"{where}: Only 1D arrays allowed for fancy indexing")
        indices = arg
    else:
        indices = np.asarray(arg)
        if indices.ndim != 1:
            raise LindiShapeError(f"{where}: Selection can't process {arg!r}")
        if indices.size == 0:
            indices = indices.astype(np.intp)
    if indices.dtype.kind == "b":
        if rank == 1:
            # h5py reads a one-dimensional dataset's mask only when it is the whole selection
            raise LindiShapeError(
                f"{where}: a boolean mask on a one-dimensional dataset must be the only index"
            )
        if indices.size != length:
            raise LindiShapeError(
                f"{where}: boolean index of length {indices.size} did not match the axis "
                f"of length {length}"
            )
        indices = np.flatnonzero(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise LindiShapeError(f"{where}: Indexing arrays must have integer dtypes")
    return indices


def values_for_selection(
    values: np.ndarray,
    selection: H5Selection,
    chunks: tuple[int, ...] | None,
    *,
    where: str,
) -> np.ndarray:
    """``values`` written to ``selection`` as h5py writes them, in the shape the selection
    reads as (``array_shape``): broadcast where h5py broadcasts (a scalar value, and simple
    selections as numpy does, extra leading axes of length 1 allowed), refused with
    ``LindiShapeError`` (h5py's ``TypeError``) where it does not. ``chunks`` are the dataset's
    (h5py broadcasts a scalar value to an index-list selection only in one go, when the
    selection fits in a chunk, or else row by row, which works only for one axis)."""
    source = values.shape
    target = selection.array_shape
    if not selection.counts and not selection.scalar:
        if math.prod(source) != 1:
            raise LindiShapeError(f"{where}: can't broadcast {source} to scalar")
        return values.reshape(())
    if source == () and target != ():
        fits_chunk = chunks is not None and math.prod(chunks) >= math.prod(target)
        source = target if fits_chunk or selection.kind != "fancy" else target[-1:]
        values = np.broadcast_to(values, source)
    if selection.kind == "points":
        if math.prod(source) != selection.nselect:
            raise LindiShapeError(
                f"{where}: Broadcasting is not supported for point-wise selections "
                f"({source} -> {target})"
            )
        return values.reshape(target)
    if selection.kind == "fancy":
        if source != target:
            raise LindiShapeError(
                f"{where}: Broadcasting is not supported for complex selections "
                f"({source} -> {target})"
            )
        return values
    return _broadcast_simple(values, selection, where)


def _broadcast_simple(values: np.ndarray, selection: H5Selection, where: str) -> np.ndarray:
    """h5py's ``SimpleSelection.expand_shape``: the value's axes matched from the last one,
    skipping integer-indexed axes; an axis of length 1 repeats."""
    remaining = list(values.shape)
    expanded: list[int] = []
    for count, dropped in zip(reversed(selection.counts), reversed(selection.scalar), strict=True):
        if not remaining or dropped:
            expanded.append(1)
            continue
        n = remaining.pop()
        if n not in (1, count):
            raise LindiShapeError(
                f"{where}: can't broadcast {values.shape} -> {selection.array_shape}"
            )
        expanded.append(n)
    if any(n > 1 for n in remaining):
        raise LindiShapeError(f"{where}: can't broadcast {values.shape} -> {selection.array_shape}")
    expanded.reverse()
    if math.prod(expanded) != values.size:
        raise LindiShapeError(f"{where}: can't broadcast {values.shape} -> {selection.array_shape}")
    full = np.broadcast_to(values.reshape(expanded), selection.counts)
    return full.reshape(selection.array_shape)
