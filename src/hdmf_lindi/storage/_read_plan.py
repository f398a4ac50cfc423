"""Read planning for :class:`~hdmf_lindi.storage.store.LindiStore`: which bytes a ``get`` of a
key (and byte range) needs, before any I/O.

A plan either already holds the bytes (inline refs, empty ranges) or names one router read of
``(url, offset, size)`` followed by an optional slice (for byte ranges of objects whose size
is unknown). Members of a ``.lindi.tar`` are located here, so reads never depend on the router
knowing about archives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zarr.abc.store import ByteRequest, OffsetByteRequest, RangeByteRequest, SuffixByteRequest

from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.storage.chunk_limits import ChunkLimits
from hdmf_lindi.storage.containers import TarContainer
from hdmf_lindi.storage.reference_map import InlineRef, ResolvedRef, UrlRef

if TYPE_CHECKING:
    from hdmf_lindi.storage.containers import Container

__all__ = [
    "ReadPlan",
    "as_slice",
    "check_byte_range",
    "locate",
    "plan_read",
    "plan_url_read",
    "slice_bytes",
]


@dataclass(slots=True)
class ReadPlan:
    """How to get the bytes of one request: ``data`` when known without I/O, else a router
    read of ``(url, offset, size)`` followed by an optional slice."""

    data: bytes | None = None
    url: str = ""
    offset: int | None = None
    size: int | None = None
    post_slice: tuple[int, int | None] | None = None
    limits: ChunkLimits | None = None
    where: str = ""
    """The store's file and the key, for error messages."""

    def finish(self, raw: bytes) -> bytes:
        """The requested bytes, given the bytes the router read for this plan (checked
        against the chunk's limits when it is a whole chunk)."""
        if self.post_slice is not None:
            start, stop = self.post_slice
            raw = raw[start:stop]
        if self.limits is not None:
            self.limits.check_encoded(raw, where=self.where)
        return raw

    def check_limits(self, limits: ChunkLimits, *, where: str) -> None:
        """Refuse a whole-chunk read naming more bytes than the chunk can have (before any
        I/O), and check the stored bytes when they are already known; bytes read later are
        checked by :meth:`finish`."""
        if self.data is not None:
            limits.check_encoded(self.data, where=where)
            return
        if self.size is not None:
            limits.check_stored(self.size, where=where)
        self.limits = limits


def check_byte_range(byte_range: Any) -> None:
    """Raise ``ValueError`` (as zarr's stores do) for anything but zarr's byte requests."""
    if byte_range is not None and not isinstance(
        byte_range, RangeByteRequest | OffsetByteRequest | SuffixByteRequest
    ):
        raise ValueError(f"Unexpected byte_range, got {byte_range}.")


def slice_bytes(data: bytes, byte_range: ByteRequest | None) -> bytes:
    """The part of ``data`` that ``byte_range`` asks for (all of it when None)."""
    if byte_range is None:
        return data
    if isinstance(byte_range, RangeByteRequest):
        return data[byte_range.start : byte_range.end]
    if isinstance(byte_range, OffsetByteRequest):
        return data[byte_range.offset :]
    return data[max(0, len(data) - byte_range.suffix) :]


def as_slice(byte_range: ByteRequest) -> tuple[int, int | None]:
    """``(start, stop)`` slice bounds of ``byte_range`` within an object of unknown size."""
    if isinstance(byte_range, RangeByteRequest):
        return byte_range.start, byte_range.end
    if isinstance(byte_range, OffsetByteRequest):
        return byte_range.offset, None
    return -byte_range.suffix if byte_range.suffix else 0, None if byte_range.suffix else 0


def plan_read(
    key: str, ref: ResolvedRef | None, byte_range: ByteRequest | None, container: Container | None
) -> ReadPlan | None:
    """The plan for ``byte_range`` of ``key`` whose resolved ref is ``ref`` (None: no key)."""
    if ref is None:
        return None
    if isinstance(ref, InlineRef):
        return ReadPlan(data=slice_bytes(ref.data, byte_range))
    return plan_url_read(key, ref, byte_range, container)


def plan_url_read(
    key: str, ref: UrlRef, byte_range: ByteRequest | None, container: Container | None
) -> ReadPlan:
    """The plan for ``byte_range`` of the URL ref ``ref`` of ``key``."""
    url, offset, size = locate(key, ref, container)
    if size is None:
        if byte_range is None:
            return ReadPlan(url=url)
        if isinstance(byte_range, RangeByteRequest):
            length = max(0, byte_range.end - byte_range.start)
            if length == 0:
                return ReadPlan(data=b"")
            return ReadPlan(url=url, offset=offset + byte_range.start, size=length)
        # the object's size is unknown: read it whole, then slice
        return ReadPlan(url=url, post_slice=as_slice(byte_range))
    if byte_range is None:
        start, stop = 0, size
    elif isinstance(byte_range, RangeByteRequest):
        start, stop = min(byte_range.start, size), min(byte_range.end, size)
    elif isinstance(byte_range, OffsetByteRequest):
        start, stop = min(byte_range.offset, size), size
    else:
        start, stop = max(0, size - byte_range.suffix), size
    if stop <= start:
        return ReadPlan(data=b"")
    return ReadPlan(url=url, offset=offset + start, size=stop - start)


def locate(key: str, ref: UrlRef, container: Container | None) -> tuple[str, int, int | None]:
    """(url, offset, size) of a URL ref, with ``.lindi.tar`` members resolved."""
    if isinstance(container, TarContainer) and ref.url.startswith("./"):
        member = container.resolve_member(ref.url)
        if member is None:
            raise LindiFormatError(
                f"{container.location}: ref {key!r} names {ref.url!r}, which is not a "
                "member of the archive"
            )
        size = ref.size if ref.size is not None else member.size
        if ref.offset + size > member.size:
            raise LindiFormatError(
                f"{container.location}: ref {key!r} names {size} bytes at offset {ref.offset} "
                f"of member {ref.url[2:]!r}, which has {member.size}"
            )
        return member.location, member.offset + ref.offset, size
    return ref.url, ref.offset, ref.size
