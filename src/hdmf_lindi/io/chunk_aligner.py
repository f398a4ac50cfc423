"""Gathers the blocks a data chunk iterator yields into whole chunks before they are written.

An ``AbstractDataChunkIterator`` hands out blocks of any size (``DataChunkIterator``'s default
is one row at a time). Written as they come, each block that covers part of a chunk makes the
chunk be read, merged and written again: quadratic work for rows that are smaller than a chunk.
Gathered along the iteration axis until they fill whole chunks, each chunk is encoded once and
stored with its neighbours in one pack (:meth:`hdmf_lindi.hierarchy.Hierarchy.write`'s fast
path for blocks on the chunk grid).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ChunkAligner"]

type BlockWriter = Callable[[tuple[slice, ...], np.ndarray], None]


class ChunkAligner:
    """Buffers consecutive blocks along ``axis`` and writes them in whole chunks.

    Parameters
    ----------
    write
        Writes ``values`` at a selection of step-1 slices (e.g. ``Hierarchy.write`` of one
        dataset).
    chunks
        The dataset's chunk shape (``()`` for a scalar).
    axis
        The axis the blocks follow each other along (the iterator's ``iter_axis``).
    dtype
        Numeric blocks are cast to it as they are buffered (so that blocks of different
        dtypes are not promoted together, e.g. int64 and uint64 to float64).

    Notes
    -----
    A block that does not continue the buffered ones, does not cover the other axes whole or
    is not made of step-1 slices is written as it is (after the buffer). At most one chunk's
    worth of rows (plus the block being added) is held in memory, as copies: an iterator may
    refill the array it yielded.
    """

    def __init__(
        self,
        write: BlockWriter,
        chunks: tuple[int, ...],
        axis: int = 0,
        dtype: np.dtype[Any] | None = None,
    ) -> None:
        self._write = write
        self._dtype = dtype
        self._axis = axis
        self._chunk = int(chunks[axis]) if axis < len(chunks) and chunks[axis] > 0 else 1
        self._parts: list[np.ndarray] = []
        self._start = 0
        self._length = 0
        self._others: tuple[slice, ...] = ()

    def add(self, selection: Any, values: np.ndarray, shape: tuple[int, ...]) -> None:
        """Take the block ``values`` meant for ``dataset[selection]`` (``shape`` is the
        dataset's shape now, already grown to hold the block)."""
        slices = _as_slices(selection, shape)
        axis = self._axis
        if (
            slices is None
            or axis >= len(shape)
            or values.shape != tuple(s.stop - s.start for s in slices)
            or not _same_off_axis(slices, tuple(slice(0, n) for n in shape), axis)
        ):
            self.flush()
            self._write(slices if slices is not None else selection, values)
            return
        first, stop = slices[axis].start, slices[axis].stop
        if self._parts and (
            first != self._start + self._length or not _same_off_axis(slices, self._others, axis)
        ):
            self.flush()
        if not self._parts:
            if first % self._chunk:
                self._write(slices, values)
                return
            self._start, self._others = first, slices
        part = values.astype(self._dtype, copy=False) if self._dtype is not None else values
        self._parts.append(part)
        self._length += stop - first
        whole = self._length - self._length % self._chunk
        if whole:
            self._write_rows(whole)
        if self._parts and self._parts[-1] is values:
            self._parts[-1] = values.copy()  # iterators may refill the array they yielded

    def flush(self) -> None:
        """Write whatever is buffered (the last, partial chunk of the data)."""
        if self._parts:
            self._write_rows(self._length)

    def _write_rows(self, count: int) -> None:
        axis = self._axis
        block = self._parts[0] if len(self._parts) == 1 else np.concatenate(self._parts, axis)
        index = [slice(None)] * block.ndim
        index[axis] = slice(0, count)
        selection = list(self._others)
        selection[axis] = slice(self._start, self._start + count)
        self._write(tuple(selection), block[tuple(index)])
        index[axis] = slice(count, None)
        rest = block[tuple(index)]
        self._parts = [rest.copy()] if rest.shape[axis] else []
        self._start += count
        self._length -= count


def _same_off_axis(a: tuple[slice, ...], b: tuple[slice, ...], axis: int) -> bool:
    """Whether two selections agree on every axis but ``axis``."""
    return all(x == y for d, (x, y) in enumerate(zip(a, b, strict=True)) if d != axis)


def _as_slices(selection: Any, shape: tuple[int, ...]) -> tuple[slice, ...] | None:
    """``selection`` as one non-empty step-1 ``slice(start, stop)`` per axis, or ``None``."""
    if not isinstance(selection, tuple):
        selection = (selection,)
    if len(selection) > len(shape) or not all(isinstance(s, slice) for s in selection):
        return None
    out: list[slice] = []
    padded = selection + (slice(None),) * (len(shape) - len(selection))
    for item, n in zip(padded, shape, strict=True):
        start, stop, step = item.indices(n)
        if step != 1 or stop <= start:
            return None
        out.append(slice(start, stop))
    return tuple(out)
