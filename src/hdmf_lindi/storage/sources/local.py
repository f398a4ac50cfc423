"""Local files as a byte source (paths, not URLs: the router turns ``file://`` into paths)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Sequence

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.reference_map import atomic_write_bytes
from hdmf_lindi.storage.sources._bounded_get import DEFAULT_MAX_OBJECT_BYTES, too_large
from hdmf_lindi.storage.sources.abc import ByteSource

__all__ = ["LocalFileSource"]


def _open_regular(path: str) -> tuple[int, int]:
    """An open descriptor of the regular file ``path`` and its size. Anything else (a
    directory, ``/dev/zero``, a FIFO, a socket) is refused: its reads could block or never
    end. ``O_NONBLOCK`` keeps the open of a FIFO from waiting for a writer."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise LindiSourceError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise LindiSourceError(f"{path}: cannot stat: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise LindiSourceError(f"{path}: not a regular file; refusing to read it")
    return fd, info.st_size


def _read_ranges(path: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    fd, file_size = _open_regular(path)
    try:
        results = []
        for offset, size in ranges:
            if offset < 0 or size < 0:
                raise LindiSourceError(f"{path}: invalid range offset={offset} size={size}")
            if offset + size > file_size:
                # checked before reading: a ref's size is the input's word, not a buffer size
                raise LindiSourceError(
                    f"{path}: expected {size} bytes at offset {offset}, past the end of the "
                    f"file ({file_size} bytes)"
                )
            data = os.pread(fd, size, offset) if size else b""
            while 0 < len(data) < size:
                more = os.pread(fd, size - len(data), offset + len(data))
                if not more:
                    break
                data += more
            if len(data) != size:
                raise LindiSourceError(
                    f"{path}: expected {size} bytes at offset {offset}, got {len(data)} "
                    f"(file size {os.fstat(fd).st_size})"
                )
            results.append(data)
        return results
    finally:
        os.close(fd)


def _read_whole(path: str, limit: int) -> bytes:
    fd, size = _open_regular(path)
    try:
        if size > limit:
            raise too_large(path, size, limit)
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(size)
    except OSError as exc:
        raise LindiSourceError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise LindiSourceError(f"{path}: cannot stat: {exc.strerror or exc}") from exc


def _write(path: str, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise LindiSourceError(f"{path}: cannot write: {exc.strerror or exc}") from exc


_INLINE_READ_MAX_BYTES = 1 << 20


class LocalFileSource(ByteSource):
    """Reads and writes local files with ``pread``; all ranges of one ``get_ranges`` call are
    read through one open file. Small reads (at most 1 MiB in all) run in the event loop
    itself: a ``pread`` from the page cache takes microseconds, less than handing it to a
    worker thread (and it keeps small reads off the executor, where we saw a rare hang
    under zarr's I/O loop); larger reads go to a worker thread. A whole-file read
    (:meth:`get`) stops at ``max_object_bytes`` (default 2 GiB): ``LindiLimitError``."""

    def __init__(self, *, max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES) -> None:
        self.max_object_bytes = max_object_bytes

    async def get_range(self, url: str, offset: int, size: int) -> bytes:
        return (await self.get_ranges(url, [(offset, size)]))[0]

    async def get_ranges(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        ranges = list(ranges)
        if sum(size for _, size in ranges) <= _INLINE_READ_MAX_BYTES:
            return _read_ranges(url, ranges)
        return await asyncio.to_thread(_read_ranges, url, ranges)

    def get_ranges_blocking(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        return _read_ranges(url, list(ranges))

    def size_blocking(self, url: str) -> int:
        return _size(url)

    async def get(self, url: str) -> bytes:
        return await asyncio.to_thread(_read_whole, url, self.max_object_bytes)

    async def size(self, url: str) -> int:
        return await asyncio.to_thread(_size, url)

    async def put(self, url: str, data: bytes) -> None:
        await asyncio.to_thread(_write, url, bytes(data))
