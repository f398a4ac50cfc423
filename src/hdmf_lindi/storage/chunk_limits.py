"""Size limits of Zarr chunks, checked before and while their bytes are decoded.

An array's metadata (a Zarr v2 ``.zarray``, a Zarr v3 ``zarr.json``) says how many bytes a chunk
decodes to (``prod(chunks) * itemsize``); a document may say anything else about the bytes it
names. So, before a chunk is read or decoded:

* a ``[url, offset, size]`` ref may not name more bytes than the chunk can need when stored
  (:func:`ChunkLimits.max_stored`: the decoded size plus the worst expansion of any compressor);
* a compressor whose format declares the decoded size (blosc, lz4, zstd) may not declare more
  than the chunk needs;
* a compressor whose format does not (zlib, gzip, bz2, lzma) is run with a bounded output
  (:func:`bounded_decompress`) and refused as soon as it produces more than the chunk needs.

Arrays whose decoded size is not fixed (object dtypes, arrays with filters, which may change
the size) get :data:`UNKNOWN_SIZE_LIMIT` instead. In Zarr v3 the compressor is the last codec of
the pipeline; variable-length data types, codecs other than ``bytes`` (and ``transpose``) before
it and more than one bytes-to-bytes codec count as filters.
"""

from __future__ import annotations

import bz2
import lzma
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hdmf_lindi.errors import LindiFormatError, LindiLimitError, LindiUnsupportedError
from hdmf_lindi.storage.v3_data_types import named, numpy_dtype_from_data_type

if TYPE_CHECKING:
    from hdmf_lindi.storage.reference_map import ReferenceMap

__all__ = [
    "MAX_CHUNK_BYTES",
    "UNKNOWN_SIZE_LIMIT",
    "ChunkLimitCache",
    "ChunkLimits",
    "bounded_decompress",
    "check_codec_configs",
    "chunk_limits",
    "chunk_limits_v3",
]

MAX_CHUNK_BYTES = 4 << 30
"""The largest decoded chunk accepted (HDF5's own limit on a chunk is 4 GiB)."""

UNKNOWN_SIZE_LIMIT = 256 << 20
"""The decoded-size bound of a chunk whose size the ``.zarray`` does not fix (object dtypes,
filters), when that is larger than 16 times the chunk's element count times its itemsize."""

_STORED_SLACK = 1 << 16
_STREAMED_CODECS = frozenset({"zlib", "gzip", "bz2", "lzma"})


@dataclass(frozen=True, slots=True)
class ChunkLimits:
    """What a chunk of one array may be.

    Attributes
    ----------
    decoded
        The most bytes the compressor may produce (exact when ``exact``).
    exact
        Whether the compressor's output must be exactly ``decoded`` bytes (no filters, fixed
        itemsize).
    compressor
        The compressor's ``id`` (``None``: none).
    compressor_config
        The compressor's configuration.
    checksum_bytes
        Bytes of checksums after the compressor's output (Zarr v3 ``crc32c`` codecs last in
        the pipeline: 4 bytes each), not checked.
    """

    decoded: int
    exact: bool
    compressor: str | None
    compressor_config: Mapping[str, Any] | None
    checksum_bytes: int = 0

    @property
    def max_stored(self) -> int:
        """The most bytes a stored chunk may have: the decoded size, plus the worst case
        growth of incompressible data under any compressor (under 1/8 + 64 KiB)."""
        if self.compressor is None and self.exact:
            return self.decoded + self.checksum_bytes
        return self.decoded + self.decoded // 8 + _STORED_SLACK + self.checksum_bytes

    def check_stored(self, size: int, *, where: str) -> None:
        """Refuse a ref naming more bytes than a stored chunk can have."""
        if size > self.max_stored:
            raise LindiLimitError(
                f"{where}: the ref names {size} bytes; a chunk of this array is at most "
                f"{self.max_stored} bytes stored"
            )

    def check_encoded(self, data: bytes | memoryview, *, where: str) -> bytes | None:
        """Check the stored bytes of a chunk before they are decoded.

        Returns the compressor's output when finding the size meant decoding (zlib, gzip,
        bz2, lzma), so that the caller need not decode twice; ``None`` otherwise.

        Raises
        ------
        LindiLimitError
            When the bytes declare or decode to more than the chunk needs.
        """
        codec = self.compressor
        if self.checksum_bytes:
            if len(data) < self.checksum_bytes:
                raise LindiFormatError(f"{where}: chunk of {len(data)} bytes has no checksum")
            data = memoryview(data)[: len(data) - self.checksum_bytes]
        size = len(data)
        if codec is None:
            if size > self.decoded:
                raise LindiLimitError(
                    f"{where}: uncompressed chunk of {size} bytes; expected at most {self.decoded}"
                )
            if self.exact and size != self.decoded:
                raise LindiFormatError(
                    f"{where}: uncompressed chunk of {size} bytes; expected {self.decoded}"
                )
            return None
        declared: int | None = None
        if codec == "blosc":
            if size < 16:
                raise LindiFormatError(f"{where}: blosc chunk of {size} bytes has no header")
            header = bytes(data[:16])
            declared = int.from_bytes(header[4:8], "little")
            if int.from_bytes(header[12:16], "little") != size:
                raise LindiFormatError(
                    f"{where}: blosc header says {int.from_bytes(header[12:16], 'little')} "
                    f"compressed bytes; the chunk has {size}"
                )
        elif codec == "lz4":
            if size < 4:
                raise LindiFormatError(f"{where}: lz4 chunk of {size} bytes has no header")
            declared = int.from_bytes(bytes(data[:4]), "little")
        elif codec == "zstd":
            declared = _zstd_content_size(bytes(data[:18]), where)
        elif codec in _STREAMED_CODECS:
            return bounded_decompress(
                codec, data, self.decoded, where=where, config=self.compressor_config
            )
        if declared is not None and declared > self.decoded:
            raise LindiLimitError(
                f"{where}: the {codec} chunk declares {declared} decoded bytes; a chunk of "
                f"this array holds at most {self.decoded}"
            )
        return None


def chunk_limits(zarray: Mapping[str, Any], *, where: str) -> ChunkLimits:
    """The limits of the chunks of the array described by ``zarray`` (a Zarr v2 ``.zarray``).

    Raises
    ------
    LindiFormatError
        When ``zarray`` is malformed (not an object; ``chunks`` not a list of positive
        integers; an invalid dtype or compressor).
    LindiLimitError
        When one chunk would decode to more than :data:`MAX_CHUNK_BYTES`.
    """
    if not isinstance(zarray, Mapping):
        raise LindiFormatError(f"{where}: .zarray must be a JSON object")
    chunks = zarray.get("chunks")
    if not isinstance(chunks, list) or not all(
        type(c) is int and c > 0
        for c in chunks  # a JSON bool is not an int here
    ):
        raise LindiFormatError(f"{where}: 'chunks' must be a list of positive integers: {chunks!r}")
    spec = zarray.get("dtype")
    try:
        dtype = np.dtype([tuple(f) for f in spec] if isinstance(spec, list) else spec)
    except (TypeError, ValueError) as exc:
        raise LindiFormatError(f"{where}: invalid dtype {spec!r} ({exc})") from None
    check_codec_configs(zarray, where=where)
    compressor = zarray.get("compressor")
    exact = not zarray.get("filters") and dtype.kind != "O"
    return _limits(
        chunks,
        dtype.itemsize,
        str(dtype),
        exact=exact,
        compressor=compressor["id"] if compressor else None,
        config=compressor,
        where=where,
    )


def check_codec_configs(zarray: Mapping[str, Any], *, where: str) -> None:
    """Refuse a ``.zarray`` whose ``filters`` is not null or a list of codecs, or whose
    ``compressor`` is not null or a codec (a JSON object with a string ``id``).

    Raises
    ------
    LindiFormatError
        When either is malformed.
    """
    filters, compressor = zarray.get("filters"), zarray.get("compressor")
    if not (
        (filters is None or isinstance(filters, list))
        and all(_is_codec_config(c) for c in filters or ())
        and (compressor is None or _is_codec_config(compressor))
    ):
        raise LindiFormatError(
            f"{where}: 'filters' must be null or a list of codecs and 'compressor' null or a "
            "codec (a JSON object with a string 'id')"
        )


def _is_codec_config(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("id"), str)


def _limits(
    chunks: list[int],
    itemsize: int,
    type_name: str,
    *,
    exact: bool,
    compressor: str | None,
    config: Mapping[str, Any] | None,
    where: str,
    checksum_bytes: int = 0,
) -> ChunkLimits:
    decoded = math.prod(chunks) * itemsize
    if decoded > MAX_CHUNK_BYTES:
        raise LindiLimitError(
            f"{where}: one chunk of {chunks} x {type_name} is {decoded} bytes; at most "
            f"{MAX_CHUNK_BYTES} are accepted"
        )
    if not exact:
        decoded = max(UNKNOWN_SIZE_LIMIT, 16 * decoded)
    return ChunkLimits(
        decoded=decoded,
        exact=exact,
        compressor=compressor,
        compressor_config=config,
        checksum_bytes=checksum_bytes,
    )


_V3_ARRAY_TO_BYTES = frozenset({"bytes", "vlen-utf8", "vlen-bytes", "sharding_indexed"})
_V3_COMPRESSORS = {"zstd": "zstd", "gzip": "gzip", "blosc": "blosc"}
_UNKNOWN_ITEMSIZE = 16
"""The itemsize assumed for a data type not known here (the bound is then not exact)."""


def chunk_limits_v3(metadata: Mapping[str, Any], *, where: str) -> ChunkLimits:
    """The limits of the chunks of the array described by ``metadata`` (a Zarr v3 array
    ``zarr.json``): its regular grid's ``chunk_shape``, ``data_type`` and ``codecs``. The
    compressor is the last codec (``zstd``, ``gzip``, ``blosc``, ``numcodecs.<id>``) but for
    ``crc32c`` checksums after it; the bound is exact only for ``[transpose...,] bytes[,
    compressor][, crc32c...]`` and a fixed-size type.

    Raises
    ------
    LindiFormatError
        When ``metadata`` is malformed (not an object; no regular grid whose ``chunk_shape`` is
        a list of positive integers; ``codecs`` not a non-empty list of codecs; a malformed
        ``data_type``).
    LindiLimitError
        When one chunk would decode to more than :data:`MAX_CHUNK_BYTES`.
    """
    if not isinstance(metadata, Mapping):
        raise LindiFormatError(f"{where}: zarr.json must be a JSON object")
    grid = metadata.get("chunk_grid")
    config = grid.get("configuration") if isinstance(grid, Mapping) else None
    chunks = config.get("chunk_shape") if isinstance(config, Mapping) else None
    if not isinstance(chunks, list) or not all(type(c) is int and c > 0 for c in chunks):
        raise LindiFormatError(
            f"{where}: 'chunk_grid' must hold a 'chunk_shape' of positive integers: {grid!r}"
        )
    codecs = metadata.get("codecs")
    if not isinstance(codecs, list) or not codecs:
        raise LindiFormatError(f"{where}: 'codecs' must be a non-empty list")
    try:
        names = [named(c) for c in codecs]
        dtype: np.dtype[Any] | None = numpy_dtype_from_data_type(metadata.get("data_type"))
    except LindiUnsupportedError:
        dtype = None  # a type zarr may know and we do not: bounded, not exact
    except LindiFormatError as exc:
        raise LindiFormatError(f"{where}: {exc}") from None
    checksums = 0
    while len(names) > 1 and names[-1][0] == "crc32c":
        names, checksums = names[:-1], checksums + 4
    last, last_config = names[-1]
    serializer = next((i for i, (n, _) in enumerate(names) if n in _V3_ARRAY_TO_BYTES), None)
    compressor: str | None
    if last in _V3_ARRAY_TO_BYTES:
        compressor = None
    elif last.startswith("numcodecs."):
        compressor = last.removeprefix("numcodecs.")
    else:
        compressor = _V3_COMPRESSORS.get(last, last)
    exact = (
        dtype is not None
        and dtype.kind != "O"
        and serializer is not None
        and names[serializer][0] == "bytes"
        and all(n == "transpose" for n, _ in names[:serializer])
        # nothing between the serializer and the compressor (which would act as a filter)
        and serializer == len(names) - (1 if compressor is None else 2)
    )
    return _limits(
        chunks,
        dtype.itemsize if dtype is not None else _UNKNOWN_ITEMSIZE,
        str(dtype) if dtype is not None else repr(metadata.get("data_type")),
        exact=exact,
        compressor=compressor,
        config=last_config if compressor is not None else None,
        where=where,
        checksum_bytes=checksums,
    )


def bounded_decompress(
    codec: str,
    data: bytes | memoryview,
    limit: int,
    *,
    where: str,
    config: Mapping[str, Any] | None = None,
) -> bytes:
    """Decompress zlib / gzip / bz2 / lzma ``data`` as numcodecs does (every gzip member,
    bz2 or lzma stream; one zlib stream), refusing as soon as the output passes ``limit``
    bytes. ``config`` is the codec's numcodecs configuration (lzma's ``format`` and
    ``filters``).

    Raises
    ------
    LindiLimitError
        When the output would pass ``limit``.
    LindiFormatError
        When ``data`` is not valid for ``codec``.
    """
    parts: list[bytes] = []
    produced = 0
    rest = bytes(data)
    try:
        while rest:
            decompressor: Any
            if codec == "zlib":
                decompressor = zlib.decompressobj()
            elif codec == "gzip":
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif codec == "bz2":
                decompressor = bz2.BZ2Decompressor()
            else:
                options = config or {}
                decompressor = lzma.LZMADecompressor(
                    format=options.get("format", lzma.FORMAT_XZ), filters=options.get("filters")
                )
            part = decompressor.decompress(rest, limit - produced + 1)
            produced += len(part)
            if produced > limit:
                raise LindiLimitError(
                    f"{where}: the {codec} chunk decodes to more than {limit} bytes, the most "
                    "a chunk of this array holds"
                )
            parts.append(part)
            if not decompressor.eof:
                # the output stopped short of the bound we asked for: the input ran out
                raise LindiFormatError(f"{where}: truncated {codec} chunk")
            rest = decompressor.unused_data
            if codec == "zlib":
                break  # numcodecs' zlib decodes one stream and ignores what follows
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError, TypeError) as exc:
        if isinstance(exc, LindiFormatError):
            raise
        raise LindiFormatError(f"{where}: invalid {codec} chunk ({exc})") from exc
    return b"".join(parts)


def _zstd_content_size(head: bytes, where: str) -> int:
    """The decoded size a zstd frame header declares (RFC 8878, 3.1.1.1)."""
    if len(head) < 5 or head[:4] != b"\x28\xb5\x2f\xfd":
        raise LindiFormatError(f"{where}: not a zstd frame")
    descriptor = head[4]
    size_flag = descriptor >> 6
    single_segment = (descriptor >> 5) & 1
    dict_id_bytes = (0, 1, 2, 4)[descriptor & 3]
    field_bytes = (1 if single_segment else 0, 2, 4, 8)[size_flag]
    if field_bytes == 0:
        raise LindiLimitError(
            f"{where}: the zstd frame does not declare its decoded size; refusing to decode it"
        )
    start = 5 + (0 if single_segment else 1) + dict_id_bytes
    field = head[start : start + field_bytes]
    if len(field) != field_bytes:
        raise LindiFormatError(f"{where}: truncated zstd frame header")
    value = int.from_bytes(field, "little")
    return value + 256 if field_bytes == 2 else value


class ChunkLimitCache:
    """The :class:`ChunkLimits` of the array each chunk key belongs to, found through the
    reference map's ``.zarray`` (Zarr v2) and array ``zarr.json`` (Zarr v3) keys and remembered
    per array (recomputed when its metadata object changes). Malformed metadata gives no
    limits (zarr, and the conventions, refuse it themselves); a chunk over
    :data:`MAX_CHUNK_BYTES` is refused."""

    __slots__ = ("_by_prefix",)

    def __init__(self) -> None:
        self._by_prefix: dict[str, tuple[object, ChunkLimits | None]] = {}

    def for_key(self, reference_map: ReferenceMap, key: str, *, where: str) -> ChunkLimits | None:
        """The limits of the chunk ``key`` (not a metadata key), or ``None`` when no array
        above it holds it."""
        prefix = key
        while "/" in prefix:
            prefix = prefix.rpartition("/")[0]
            for name in (".zarray", "zarr.json"):
                if f"{prefix}/{name}" in reference_map:
                    return self._array_limits(reference_map, prefix, f"{prefix}/{name}", where)
            if prefix + "/.zgroup" in reference_map:
                return None
        for name in (".zarray", "zarr.json"):
            if name in reference_map:
                return self._array_limits(reference_map, "", name, where)
        return None

    def _array_limits(
        self, reference_map: ReferenceMap, prefix: str, metadata_key: str, where: str
    ) -> ChunkLimits | None:
        raw = reference_map.get_raw(metadata_key)
        cached = self._by_prefix.get(prefix)
        if cached is not None and cached[0] is raw:
            return cached[1]
        limits: ChunkLimits | None = None
        try:
            metadata = reference_map.get_json(metadata_key)
            if metadata_key.endswith(".zarray"):
                limits = chunk_limits(metadata, where=f"{where}{metadata_key}")
            elif isinstance(metadata, Mapping) and metadata.get("node_type") == "array":
                limits = chunk_limits_v3(metadata, where=f"{where}{metadata_key}")
        except LindiLimitError:
            raise
        except LindiFormatError:
            # not valid array metadata: zarr refuses it before it asks for a chunk, and a
            # store used as a plain key-value store may hold anything there
            limits = None
        self._by_prefix[prefix] = (raw, limits)
        return limits
