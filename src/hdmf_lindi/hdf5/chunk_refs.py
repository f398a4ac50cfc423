"""Byte ranges of an HDF5 dataset's stored data, as Zarr v2 chunk refs.

Chunked datasets: one pass of ``h5py``'s ``DatasetID.chunk_iter`` (never a ``get_chunk_info``
call per chunk); unallocated chunks get no ref and read as the fill value. HDF5 may store a
chunk with some filters skipped (an optional compressor that would have grown it): the Zarr
pipeline follows the mask most chunks share, and the other chunks are re-encoded inline from
h5py's values (see ``translate.py``).

Contiguous datasets are split into chunks of at most ``max_chunk_bytes`` so that no read needs
one huge request. A chunk spans whole trailing dimensions (shape ``(1, ..., 1, n, d_k+1, ...)``),
so each chunk is one contiguous byte range. When ``n`` does not divide the split axis, the edge
chunks are referenced at full chunk size (Zarr v2 stores edge chunks whole; the elements past the
array's end are ignored); if that range would run past the end of the file, the last chunk's
bytes are read and returned for inlining instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import h5py

from hdmf_lindi.errors import LindiUnsupportedError

__all__ = ["ChunkIndex", "ChunkRefs", "chunked_refs", "contiguous_chunk_shape", "contiguous_refs"]


type ChunkIndex = tuple[int, ...]
"""A chunk's position in the Zarr chunk grid."""


@dataclass(slots=True)
class ChunkRefs:
    """The Zarr chunk shape of a referenced dataset and where each chunk's bytes are."""

    chunks: tuple[int, ...]
    ranges: dict[ChunkIndex, tuple[int, int]] = field(default_factory=dict)
    """Chunk grid index (``(0, 3)``) -> ``(byte offset, size)`` in the HDF5 file."""
    inline: dict[ChunkIndex, bytes] = field(default_factory=dict)
    """Chunk grid index -> bytes that must be stored inline (see the module docstring)."""
    filter_masks: dict[ChunkIndex, int] = field(default_factory=dict)
    """Chunk grid index -> HDF5 filter mask, for chunks stored with some filters skipped (bit ``i``
    set: filter ``i`` of the pipeline was not applied, e.g. an optional compressor that would
    have grown the chunk)."""

    def common_filter_mask(self) -> int:
        """The filter mask most chunks were stored with (0 when none were skipped)."""
        if not self.filter_masks:
            return 0
        counts: dict[int, int] = {}
        for mask in self.filter_masks.values():
            counts[mask] = counts.get(mask, 0) + 1
        unmasked = len(self.ranges) - len(self.filter_masks)
        best_mask, best_count = max(counts.items(), key=lambda item: (item[1], -item[0]))
        return best_mask if best_count > unmasked else 0


def chunked_refs(dataset: h5py.Dataset) -> ChunkRefs:
    """Refs of every allocated chunk of a chunked dataset, in one ``chunk_iter`` pass
    (chunks stored with skipped filters are listed in ``filter_masks``)."""
    chunks = tuple(int(c) for c in dataset.chunks)
    refs = ChunkRefs(chunks)

    def visit(info: h5py.h5d.StoreInfo) -> None:
        if info.byte_offset is None:
            return
        indices = tuple(o // c for o, c in zip(info.chunk_offset, chunks, strict=True))
        key = indices
        refs.ranges[key] = (int(info.byte_offset), int(info.size))
        if info.filter_mask:
            refs.filter_masks[key] = int(info.filter_mask)

    dataset.id.chunk_iter(visit)
    return refs


def contiguous_chunk_shape(
    shape: tuple[int, ...], itemsize: int, max_chunk_bytes: int
) -> tuple[int, ...]:
    """The Zarr chunk shape for a contiguous dataset: whole trailing dimensions, at most
    ``max_chunk_bytes`` per chunk (at least one element), preferring a divisor of the split
    axis so that no chunk is partial."""
    if not shape:
        return ()
    total = math.prod(shape) * itemsize
    if total <= max_chunk_bytes:
        return tuple(max(1, n) for n in shape)
    inner = itemsize
    axis = len(shape) - 1
    for axis in range(len(shape) - 1, -1, -1):
        if inner * shape[axis] > max_chunk_bytes:
            break
        inner *= shape[axis]
    count = max(1, max_chunk_bytes // inner)
    for candidate in range(count, max(1, count // 2) - 1, -1):
        if shape[axis] % candidate == 0:
            count = candidate
            break
    return (1,) * axis + (count,) + tuple(shape[axis + 1 :])


def _grid(shape: tuple[int, ...], chunks: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    counts = [math.ceil(n / c) for n, c in zip(shape, chunks, strict=True)]
    total = math.prod(counts)
    for flat in range(total):
        indices = []
        for count in reversed(counts):
            indices.append(flat % count)
            flat //= count
        yield tuple(reversed(indices))


def contiguous_refs(
    dataset: h5py.Dataset, *, max_chunk_bytes: int, file_size: int, where: str
) -> ChunkRefs:
    """Refs of a contiguous dataset split into chunks of at most ``max_chunk_bytes``.

    An unallocated dataset (never written) has no refs: it reads as its fill value.
    """
    shape = tuple(int(n) for n in dataset.shape)
    itemsize = dataset.dtype.itemsize
    chunks = contiguous_chunk_shape(shape, itemsize, max_chunk_bytes)
    refs = ChunkRefs(chunks)
    base = dataset.id.get_offset()
    if base is None or math.prod(shape) == 0:
        return refs
    strides = [itemsize * math.prod(shape[i + 1 :]) for i in range(len(shape))]
    chunk_bytes = itemsize * math.prod(chunks)
    data_end = base + itemsize * math.prod(shape)
    for indices in _grid(shape, chunks):
        start = base + sum(i * c * s for i, c, s in zip(indices, chunks, strides, strict=True))
        if start + chunk_bytes <= file_size:
            refs.ranges[indices] = (start, chunk_bytes)
            continue
        if start + chunk_bytes > data_end and data_end <= file_size:
            refs.inline[indices] = _padded_tail(dataset, indices, chunks, chunk_bytes)
            continue
        raise LindiUnsupportedError(
            f"{where}: contiguous data at bytes {base}..{data_end} lies past the end of the "
            f"file ({file_size} bytes): the file is truncated"
        )
    return refs


def _padded_tail(
    dataset: h5py.Dataset, indices: tuple[int, ...], chunks: tuple[int, ...], chunk_bytes: int
) -> bytes:
    selection = tuple(slice(i * c, (i + 1) * c) for i, c in zip(indices, chunks, strict=True))
    tail = dataset[selection].tobytes()
    return tail + b"\0" * (chunk_bytes - len(tail))
