"""Encode and decode one chunk of a Zarr v3 array without zarr (the fast paths of the unified
Zarr v3 flavour: inline reads, block writes, the HDF5 converter's inline chunks).

Supported pipelines: one array-to-bytes codec (``bytes`` with its ``endian``, ``vlen-utf8``,
``vlen-bytes``) followed by bytes-to-bytes codecs that numcodecs implements with the same
bytes (``zstd``, ``gzip`` and every ``numcodecs.<id>``). :func:`v3_chunk_codec` returns
``None`` for anything else (``transpose``, ``sharding_indexed``, ``blosc``, ``crc32c``, ...):
the caller goes through zarr. Edge chunks are stored whole, padded with the fill value. Chunks
are checked against the array's limits (``storage/chunk_limits.py``) before they are decoded.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numcodecs
import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_bytes, ensure_ndarray_like

from hdmf_lindi.conventions.chunks import _check_fixed_length, get_codec
from hdmf_lindi.conventions.fill_values import decode_fill_value
from hdmf_lindi.conventions.v3_metadata import (
    _named,
    chunk_separator,
    chunk_shape_of,
    numpy_dtype_from_data_type,
)
from hdmf_lindi.errors import LindiError, LindiFormatError
from hdmf_lindi.storage.chunk_limits import ChunkLimits, chunk_limits_v3

__all__ = ["V3ChunkCodec", "v3_chunk_codec"]


def _bytes_codec(name: str, config: Mapping[str, Any]) -> Codec | None:
    if name.startswith("numcodecs."):
        return get_codec({"id": name.removeprefix("numcodecs."), **config})
    if name == "zstd":
        return numcodecs.Zstd(
            level=int(config.get("level", 0)), checksum=bool(config.get("checksum", False))
        )
    if name == "gzip":
        return numcodecs.GZip(level=int(config.get("level", 5)))
    return None


class V3ChunkCodec:
    """The codec pipeline of one Zarr v3 array (build with :func:`v3_chunk_codec`)."""

    __slots__ = (
        "_bytes_codecs",
        "_kind",
        "_limits",
        "_metadata",
        "chunk_shape",
        "dtype",
        "fill",
        "key_prefix",
        "sep",
    )

    def __init__(
        self,
        *,
        kind: str,
        dtype: np.dtype[Any],
        chunk_shape: tuple[int, ...],
        bytes_codecs: list[Codec],
        fill: Any,
        key_prefix: str,
        sep: str,
        metadata: Mapping[str, Any],
    ) -> None:
        self._metadata = metadata
        self._limits: ChunkLimits | None = None
        self._kind = kind
        self.dtype = dtype
        self.chunk_shape = chunk_shape
        self._bytes_codecs = bytes_codecs
        self.fill = fill
        self.key_prefix = key_prefix
        self.sep = sep

    def key(self, array_prefix: str, index: tuple[int, ...]) -> str:
        """The chunk key of grid position ``index`` under ``array_prefix`` (``""`` or ``"a/"``)."""
        if not index:
            return array_prefix + (self.key_prefix.rstrip("/") or "0")
        return array_prefix + self.key_prefix + self.sep.join(map(str, index))

    def filled(self, shape: tuple[int, ...]) -> np.ndarray:
        """An array of ``shape`` holding the fill value."""
        if self._kind != "bytes":
            out = np.empty(shape, dtype=object)
            out[...] = self.fill
            return out
        out = np.zeros(shape, dtype=self.dtype)
        if self.dtype.names is None and self.fill is not None:
            out[...] = self.fill
        return out

    def encode(self, chunk: np.ndarray) -> bytes:
        """The stored bytes of one chunk (an edge chunk is padded with the fill value)."""
        values = np.asarray(chunk)
        if values.shape != self.chunk_shape:
            padded = self.filled(self.chunk_shape)
            padded[tuple(slice(0, n) for n in values.shape)] = values
            values = padded
        data: Any
        if self._kind == "vlen-utf8":
            data = numcodecs.VLenUTF8().encode(np.asarray(values, dtype=object).ravel())
        elif self._kind == "vlen-bytes":
            data = numcodecs.VLenBytes().encode(np.asarray(values, dtype=object).ravel())
        else:
            if values.dtype != self.dtype:
                _check_fits(values, self.dtype)
                values = values.astype(self.dtype)
            data = np.ascontiguousarray(values).tobytes()
        try:
            for codec in self._bytes_codecs:
                data = codec.encode(data)
        except Exception as exc:
            # the pipeline cannot take this chunk (a shuffle element size that does not
            # divide the chunk's bytes, ...): the array's zarr.json is at fault
            raise LindiFormatError(f"a chunk could not be encoded ({exc})") from exc
        return ensure_bytes(data)

    def decode(self, data: bytes, *, key: str = "?") -> np.ndarray:
        """The values of one chunk (a writable array of the chunk shape)."""
        limits = self._limits
        if limits is None:
            limits = self._limits = chunk_limits_v3(self._metadata, where=f"{key} (zarr.json)")
        # refused before decoding when the bytes declare (or decode to) more than the chunk
        # holds; zlib & co. are decoded once, by the bounded check
        checked = limits.check_encoded(data, where=key)
        codecs = self._bytes_codecs
        try:
            decoded: Any = data
            if checked is not None:  # the output of the last codec
                decoded, codecs = checked, codecs[:-1]
            for codec in reversed(codecs):
                decoded = codec.decode(decoded)
            if self._kind == "vlen-utf8":
                array = numcodecs.VLenUTF8().decode(ensure_bytes(decoded))
            elif self._kind == "vlen-bytes":
                array = numcodecs.VLenBytes().decode(ensure_bytes(decoded))
            else:
                raw = ensure_bytes(ensure_ndarray_like(decoded))
                array = np.frombuffer(raw, dtype=self.dtype).copy()
        except Exception as exc:
            raise LindiFormatError(f"{key}: chunk could not be decoded ({exc})") from exc
        size = int(np.prod(self.chunk_shape))
        if array.size != size:
            raise LindiFormatError(
                f"{key}: chunk holds {array.size} elements, expected {list(self.chunk_shape)}"
            )
        return array.reshape(self.chunk_shape)


def _check_fits(values: np.ndarray, dtype: np.dtype[Any]) -> None:
    """Refuse text longer than a fixed-length field or dtype (numpy would cut it)."""
    if dtype.names is None:
        _check_fixed_length(values, dtype)
        return
    if values.dtype.names is None:
        return
    for name in dtype.names:
        if name in values.dtype.names:
            _check_fixed_length(values[name], dtype.fields[name][0])  # type: ignore[index]


def _fill(dtype: np.dtype[Any], kind: str, value: Any) -> Any:
    if kind == "vlen-utf8":
        return value if isinstance(value, str) else ""
    if kind == "vlen-bytes":
        return base64.standard_b64decode(value) if isinstance(value, str) else b""
    if dtype.names is not None:
        return None
    return decode_fill_value(dtype, value)


def v3_chunk_codec(metadata: Mapping[str, Any]) -> V3ChunkCodec | None:
    """The chunk codec of an array ``zarr.json``, or ``None`` when its pipeline (or data
    type) has no zarr-free implementation here."""
    try:
        codecs = [_named(c) for c in metadata.get("codecs") or []]
        if not codecs:
            return None
        (first, first_config), rest = codecs[0], codecs[1:]
        endian = str(first_config.get("endian") or "little")
        dtype = numpy_dtype_from_data_type(metadata.get("data_type"), endian)
        if first == "bytes":
            kind = "bytes"
        elif first in ("vlen-utf8", "vlen-bytes"):
            kind = first
        else:
            return None
        bytes_codecs: list[Codec] = []
        for name, config in rest:
            codec = _bytes_codec(name, config)
            if codec is None:
                return None
            bytes_codecs.append(codec)
        key_prefix, sep = chunk_separator(metadata)
        return V3ChunkCodec(
            kind=kind,
            dtype=dtype,
            chunk_shape=chunk_shape_of(metadata),
            bytes_codecs=bytes_codecs,
            fill=_fill(dtype, kind, metadata.get("fill_value")),
            key_prefix=key_prefix,
            sep=sep,
            metadata=metadata,
        )
    except LindiError:
        return None
