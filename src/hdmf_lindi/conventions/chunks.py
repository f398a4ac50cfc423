"""Encode and decode one Zarr v2 chunk with numcodecs, without zarr.

The rules are zarr 2's (and zarr-python 3's ``V2Codec``): on write, the chunk is cast to the
array dtype in the array's memory order, passed through each filter in order, then through the
compressor; on read, the reverse, and the result is viewed as the dtype and reshaped to the chunk
shape. Object arrays (``"|O"``) need an object codec among the filters (``json2``,
``vlen-utf8``, ``vlen-bytes``).

This reads small inline arrays straight from a reference map (much faster than a zarr array
per dataset) and lets the HDF5 converter write inline chunks that zarr and lindi 0.4.6 read.
A missing chunk is the caller's business (fill it with the array's fill value).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numcodecs
import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_bytes, ensure_ndarray_like

from hdmf_lindi import _json
from hdmf_lindi.conventions.fill_values import decode_fill_value
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError
from hdmf_lindi.storage.chunk_limits import ChunkLimits, chunk_limits

__all__ = [
    "ChunkCodec",
    "chunk_dtype",
    "decode_chunk",
    "encode_chunk",
    "encode_region_chunks",
    "get_codec",
    "region_chunks",
    "region_grid",
]

_PICKLE_CODEC_IDS = frozenset({"pickle"})


@lru_cache(maxsize=256)
def _codec_from_json(config_json: bytes) -> Codec:
    config = _json.loads(config_json)
    codec_id = config.get("id")
    if codec_id in _PICKLE_CODEC_IDS:
        raise LindiUnsupportedError("the pickle codec is refused: it can run arbitrary code")
    try:
        return numcodecs.get_codec(config)
    except (ValueError, TypeError) as exc:
        raise LindiUnsupportedError(
            f"unknown or invalid numcodecs codec {config!r}: {exc}"
        ) from exc


def get_codec(config: Mapping[str, Any]) -> Codec:
    """A numcodecs codec for a ``.zarray`` filter/compressor entry (cached; pickle refused)."""
    if not isinstance(config, Mapping) or not isinstance(config.get("id"), str):
        raise LindiFormatError(f"a codec configuration needs a string 'id': {config!r}")
    return _codec_from_json(_json.dumps(dict(config)))


def chunk_dtype(zarray: Mapping[str, Any]) -> np.dtype[Any]:
    """The numpy dtype of a ``.zarray`` (structured dtypes given as lists are accepted)."""
    spec = zarray.get("dtype")
    try:
        if isinstance(spec, list):
            return np.dtype([tuple(field) for field in spec])
        return np.dtype(spec)
    except (TypeError, ValueError) as exc:
        raise LindiFormatError(f"invalid Zarr v2 dtype {spec!r} ({exc})") from exc


def _codecs(zarray: Mapping[str, Any]) -> tuple[list[Codec], Codec | None]:
    filters = zarray.get("filters") or []
    if not isinstance(filters, Sequence) or isinstance(filters, str):
        raise LindiFormatError(f"'filters' must be a list or null, got {filters!r}")
    compressor = zarray.get("compressor")
    return [get_codec(f) for f in filters], (get_codec(compressor) if compressor else None)


def _chunk_shape(zarray: Mapping[str, Any]) -> tuple[int, ...]:
    chunks = zarray.get("chunks")
    if not isinstance(chunks, list | tuple) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in chunks
    ):
        raise LindiFormatError(f"'chunks' must be a list of non-negative integers: {chunks!r}")
    return tuple(chunks)


def _order(zarray: Mapping[str, Any]) -> str:
    order = zarray.get("order", "C")
    if order not in ("C", "F"):
        raise LindiFormatError(f"'order' must be 'C' or 'F', got {order!r}")
    return str(order)


class ChunkCodec:
    """Encodes and decodes the chunks of one Zarr v2 array: the ``.zarray`` is read once.

    Parameters
    ----------
    zarray
        The array's ``.zarray`` metadata (``dtype``, ``chunks``, ``order``, ``filters``,
        ``compressor``, ``fill_value``).
    """

    __slots__ = (
        "_compressor",
        "_filters",
        "_limits",
        "_zarray",
        "chunk_shape",
        "dtype",
        "order",
    )

    def __init__(self, zarray: Mapping[str, Any]) -> None:
        self._zarray = zarray
        self.dtype = chunk_dtype(zarray)
        self.chunk_shape = _chunk_shape(zarray)
        self.order = _order(zarray)
        self._filters, self._compressor = _codecs(zarray)
        self._limits: ChunkLimits | None = None

    def encode(self, chunk: np.ndarray) -> bytes:
        """The stored bytes of one chunk. A smaller array (an edge chunk) is padded with the
        fill value to the chunk shape, as zarr stores edge chunks."""
        dtype = self.dtype
        values = np.asarray(chunk)
        if dtype.kind in "SU":
            _check_fixed_length(values, dtype)
        if values.dtype != dtype and (dtype.kind != "O" or values.dtype.kind != "O"):
            values = values.astype(dtype, copy=False)
        if values.shape != self.chunk_shape:
            values = _padded(values, self.chunk_shape, self._zarray, dtype)
        if not self._filters and dtype.kind != "O":
            if self._compressor is None:  # the common case of large numeric arrays
                return values.tobytes(order=self.order)  # type: ignore[arg-type]
            contiguous = np.asarray(values, order=self.order)  # type: ignore[call-overload]
            return ensure_bytes(self._compressor.encode(contiguous))
        values = np.asarray(values, order=self.order)  # type: ignore[call-overload]
        data: Any = values
        for codec in self._filters:
            data = codec.encode(data)
        if ensure_ndarray_like(data).dtype == object:
            raise LindiFormatError(
                f"object array chunks need an object codec (json2, vlen-utf8, vlen-bytes) among "
                f"the filters; got {self._zarray.get('filters')!r}"
            )
        if self._compressor is not None:
            data = self._compressor.encode(data)
        return ensure_bytes(data)

    def decode(self, data: bytes, *, key: str = "?") -> np.ndarray:
        """The values of one chunk (a writable array of the chunk shape) from its stored
        bytes; ``key`` names the chunk in errors."""
        dtype, shape, order = self.dtype, self.chunk_shape, self.order
        filters, compressor = self._filters, self._compressor
        limits = self._limits
        if limits is None:
            limits = self._limits = chunk_limits(self._zarray, where=f"{key} (.zarray)")
        # refused before decoding when the bytes declare (or decode to) more than the chunk
        # holds; zlib & co. are decoded once, by the bounded check
        checked = limits.check_encoded(data, where=key)
        try:
            if checked is not None:
                decoded: Any = checked
            else:
                decoded = compressor.decode(data) if compressor is not None else data
            for codec in reversed(filters):
                decoded = codec.decode(decoded)
        except Exception as exc:
            raise LindiFormatError(f"{key}: chunk could not be decoded ({exc})") from exc
        array = ensure_ndarray_like(decoded)
        if dtype.kind == "O":
            if array.dtype != object:
                raise LindiFormatError(f"{key}: object array chunk decoded to dtype {array.dtype}")
            if array.size != int(np.prod(shape)):
                raise LindiFormatError(
                    f"{key}: chunk holds {array.size} elements, expected {list(shape)}"
                )
            return array.reshape(-1, order="A").reshape(shape, order=order)
        expected = int(np.prod(shape)) * dtype.itemsize
        if array.nbytes != expected:
            raise LindiFormatError(
                f"{key}: chunk decodes to {array.nbytes} bytes, expected {expected} "
                f"({list(shape)} x {dtype})"
            )
        flat = np.frombuffer(
            ensure_bytes(array) if not array.flags.c_contiguous else array, np.uint8
        )
        values = flat.view(dtype).reshape(shape, order=order)  # type: ignore[call-overload]
        return values.copy(order=order) if not values.flags.writeable else values


def encode_chunk(zarray: Mapping[str, Any], chunk: np.ndarray) -> bytes:
    """Encode one chunk as Zarr v2 stores it.

    Parameters
    ----------
    zarray
        The array's ``.zarray`` metadata (``dtype``, ``chunks``, ``order``, ``filters``,
        ``compressor``, ``fill_value``).
    chunk
        The values. A smaller array (an edge chunk) is padded with the fill value to the chunk
        shape, as zarr stores edge chunks.

    Returns
    -------
    bytes
        The stored bytes.
    """
    return ChunkCodec(zarray).encode(chunk)


def encode_region_chunks(
    zarray: Mapping[str, Any], key_prefix: str, start: Sequence[int], values: np.ndarray
) -> Iterator[tuple[str, bytes]] | None:
    """The chunks that the block ``values``, placed at ``start`` in the array, covers whole,
    encoded as ``(key, bytes)`` in chunk order (lazily: one chunk in memory at a time).

    ``None`` when the block is not aligned to the chunk grid: along every axis it must start
    at a multiple of the chunk size and end at one too, or at the array's edge (an edge chunk
    is padded with the fill value, as zarr stores it). The caller then writes through zarr,
    which reads and merges the chunks the block covers in part.
    """
    shape = tuple(int(n) for n in zarray["shape"])
    chunks = _chunk_shape(zarray)
    separator = str(zarray.get("dimension_separator", "."))

    def key_of(index: tuple[int, ...]) -> str:
        return key_prefix + (separator.join(map(str, index)) if index else "0")

    if region_grid(shape, chunks, start, values) is None:
        return None
    return region_chunks(shape, chunks, start, values, ChunkCodec(zarray).encode, key_of)


def region_grid(
    shape: tuple[int, ...], chunks: tuple[int, ...], start: Sequence[int], values: np.ndarray
) -> list[range] | None:
    """The chunk grid ranges the block ``values`` at ``start`` covers, or ``None`` when the
    block is not aligned to the chunk grid (see :func:`encode_region_chunks`)."""
    start = tuple(int(i) for i in start)
    if not (len(start) == len(shape) == len(chunks) == values.ndim):
        return None
    for first, length, chunk, size in zip(start, values.shape, chunks, shape, strict=True):
        stop = first + length
        if chunk <= 0 or first < 0 or stop > size or first % chunk:
            return None
        if stop % chunk and stop != size:
            return None
    return [
        range(first // chunk, -(-(first + length) // chunk))
        for first, length, chunk in zip(start, values.shape, chunks, strict=True)
    ]


def region_chunks(
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    start: Sequence[int],
    values: np.ndarray,
    encode: Callable[[np.ndarray], bytes],
    key_of: Callable[[tuple[int, ...]], str],
) -> Iterator[tuple[str, bytes]] | None:
    """``(key_of(index), encode(chunk values))`` for each chunk an aligned block covers
    (lazily), whatever the flavour's keys and codecs; ``None`` when not aligned."""
    grid = region_grid(shape, chunks, start, values)
    if grid is None:
        return None
    origin = tuple(int(i) for i in start)

    def chunks_of_block() -> Iterator[tuple[str, bytes]]:
        for index in itertools.product(*grid):
            local = tuple(
                slice(i * c - first, min((i + 1) * c, size) - first)
                for i, c, size, first in zip(index, chunks, shape, origin, strict=True)
            )
            yield key_of(index), encode(values[local])

    return chunks_of_block()


def _check_fixed_length(values: np.ndarray, dtype: np.dtype[Any]) -> None:
    """Refuse strings longer than a fixed-length dtype (numpy would cut them silently)."""
    if values.size == 0 or values.dtype.kind not in "SUO":
        return
    if values.dtype.kind == dtype.kind and values.dtype.itemsize <= dtype.itemsize:
        return
    limit = dtype.itemsize // 4 if dtype.kind == "U" else dtype.itemsize
    lengths = [len(x) for x in values.ravel().tolist() if isinstance(x, str | bytes)]
    if lengths and max(lengths) > limit:
        raise LindiFormatError(
            f"a value of length {max(lengths)} does not fit the array dtype {dtype.str}"
        )


def _padded(
    values: np.ndarray, shape: tuple[int, ...], zarray: Mapping[str, Any], dtype: np.dtype[Any]
) -> np.ndarray:
    if values.ndim != len(shape) or any(v > s for v, s in zip(values.shape, shape, strict=True)):
        raise LindiFormatError(
            f"chunk of shape {values.shape} does not fit the chunk shape {list(shape)}"
        )
    fill = decode_fill_value(dtype, zarray.get("fill_value"))
    out = np.empty(shape, dtype=dtype)
    if dtype.kind == "O":
        out.fill(fill)
    else:
        out[...] = 0 if fill is None else fill
    out[tuple(slice(0, n) for n in values.shape)] = values
    return out


def decode_chunk(zarray: Mapping[str, Any], data: bytes, *, key: str = "?") -> np.ndarray:
    """Decode the stored bytes of one chunk into an array of the chunk shape.

    Parameters
    ----------
    zarray
        The array's ``.zarray`` metadata.
    data
        The stored bytes.
    key
        The chunk key (and file), for error messages.

    Returns
    -------
    numpy.ndarray
        A writable array of the chunk shape and the array's dtype (object for ``"|O"``).

    Raises
    ------
    LindiFormatError
        When the bytes do not decode to the chunk shape.
    """
    return ChunkCodec(zarray).decode(data, key=key)
