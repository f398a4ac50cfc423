"""Small Zarr v2 arrays decoded straight from a reference map, without zarr.

Most datasets of an NWB file are small and every chunk of theirs is inline in the JSON; decoding
them here costs microseconds where a zarr array costs ~0.14 ms per call.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from hdmf_lindi.conventions.abc import MetadataMap
from hdmf_lindi.conventions.chunks import ChunkCodec, chunk_dtype
from hdmf_lindi.conventions.fill_values import decode_fill_value
from hdmf_lindi.errors import LindiFormatError

__all__ = ["assemble_inline_array", "decode_inline_array"]


def decode_inline_array(
    meta: MetadataMap, key_prefix: str, *, max_bytes: int, where: str = "?"
) -> np.ndarray | None:
    """The whole stored array at ``key_prefix`` (``""`` or ``"a/b/"``) when its ``.zarray`` is
    there, it holds at most ``max_bytes`` and every chunk is inline or missing (fill value);
    ``None`` otherwise (the caller reads it through zarr)."""
    zarray = meta.get_json(f"{key_prefix}.zarray")
    if not isinstance(zarray, dict):
        return None
    shape = tuple(int(n) for n in zarray["shape"])
    chunks = tuple(int(n) for n in zarray["chunks"])
    dtype = chunk_dtype(zarray)
    if dtype.itemsize * math.prod(shape) > max_bytes:
        return None
    separator = zarray.get("dimension_separator", ".")
    codecs: list[ChunkCodec] = []

    def decode(data: bytes, key: str) -> np.ndarray:
        if not codecs:
            try:
                codecs.append(ChunkCodec(zarray))
            except LindiFormatError as exc:
                raise LindiFormatError(f"{where}: {key_prefix}.zarray: {exc}") from None
        return codecs[0].decode(data, key=f"{where}: {key}")

    def key_of(index: tuple[int, ...]) -> str:
        return key_prefix + (separator.join(map(str, index)) if index else "0")

    return assemble_inline_array(
        meta,
        shape,
        chunks,
        lambda: _filled(shape, dtype, zarray.get("fill_value"), where),
        key_of,
        decode,
    )


def assemble_inline_array(
    meta: MetadataMap,
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    filled: Callable[[], np.ndarray],
    key_of: Callable[[tuple[int, ...]], str],
    decode: Callable[[bytes, str], np.ndarray],
) -> np.ndarray | None:
    """The whole array from its chunks when every one is inline or missing (``filled()``
    gives the array of fill values), whatever the flavour's keys and codecs; ``None`` when a
    chunk is not inline (or ``meta`` cannot resolve refs)."""
    grid = [range(math.ceil(s / c)) if c else range(0) for s, c in zip(shape, chunks, strict=True)]
    blocks: list[tuple[tuple[int, ...], str, bytes]] = []
    resolve = getattr(meta, "resolve", None)
    if resolve is None:
        return None
    from hdmf_lindi.storage.reference_map import InlineRef

    for index in itertools.product(*grid):
        key = key_of(index)
        ref = resolve(key)
        if ref is None:
            continue
        if not isinstance(ref, InlineRef):
            return None
        blocks.append((index, key, ref.data))
    out = filled()
    for index, key, data in blocks:
        chunk = decode(data, key)
        region = tuple(
            slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(index, chunks, shape, strict=True)
        )
        crop = tuple(slice(0, r.stop - r.start) for r in region)
        out[region] = chunk.reshape(chunks)[crop] if chunks else chunk[()]
    return out


def _filled(shape: tuple[int, ...], dtype: np.dtype[Any], fill: Any, where: str) -> np.ndarray:
    if dtype == np.dtype(object):
        out = np.empty(shape, dtype=object)
        out[...] = None if fill in (0, None) else fill
        return out
    value = decode_fill_value(dtype, fill, where=where)
    if value is None:
        return np.zeros(shape, dtype=dtype)
    return np.full(shape, value, dtype=dtype)
