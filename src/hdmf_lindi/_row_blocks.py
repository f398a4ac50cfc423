"""Iterating a dataset row by row, reading it a block of whole chunks at a time.

``h5py.Dataset.__iter__`` reads one row per call, which is cheap in HDF5; a LINDI read decodes a
whole chunk, so a row at a time decodes each chunk once per row (hdmf's ``DataChunkIterator``
over a written dataset did exactly that). Reading blocks of whole chunks keeps each chunk decoded
once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["BLOCK_BYTES", "block_rows", "iter_rows"]

BLOCK_BYTES = 8 * 1024 * 1024
"""About how many bytes of decoded values one block holds (at least one chunk's rows)."""


def block_rows(shape: tuple[int, ...], chunks: tuple[int, ...] | None, itemsize: int) -> int:
    """How many rows of the first axis one block reads: whole chunks along it, about
    :data:`BLOCK_BYTES` of values, at least one chunk (or one row)."""
    row_bytes = max(1, itemsize) * int(np.prod(shape[1:], dtype=np.int64))
    chunk_rows = chunks[0] if chunks else 1
    chunks_per_block = max(1, BLOCK_BYTES // max(1, row_bytes * chunk_rows))
    return max(1, chunk_rows * chunks_per_block)


def iter_rows(
    length: int, rows_per_block: int, read_block: Callable[[slice], Any]
) -> Iterator[Any]:
    """Yield the rows ``0 .. length - 1``, reading ``rows_per_block`` of them at a time with
    ``read_block(slice(start, stop))``. Rows of more than one dimension are handed out as copies,
    as a per-row read would return them."""
    for start in range(0, length, rows_per_block):
        block = read_block(slice(start, min(start + rows_per_block, length)))
        for row in block:
            yield row.copy() if isinstance(row, np.ndarray) else row
