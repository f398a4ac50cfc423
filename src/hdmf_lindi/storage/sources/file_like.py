"""``RangeFile``: a read-only, seekable file object over a URL, for h5py to open remote HDF5.

Reads are served from fixed-size blocks kept in an LRU; missing blocks are fetched through the
``SourceRouter`` (so adjacent blocks travel in one coalesced request, and remote blocks go
through the ``LocalCache`` when the router has one). Sequential reading grows a readahead
window, random access fetches only what it needs.

Example::

    with h5py.File(RangeFile(url, router), "r") as f:
        ...
"""

from __future__ import annotations

import io
import itertools
import threading
from collections import OrderedDict
from collections.abc import Buffer

from hdmf_lindi.storage.sources.router import SourceRouter

__all__ = ["RangeFile"]

DEFAULT_BLOCK_SIZE = 64 * 1024
DEFAULT_MAX_CACHED_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_READAHEAD = 8 * 1024 * 1024


class RangeFile(io.RawIOBase):
    """A read-only, seekable binary file over ``url``.

    Parameters
    ----------
    url
        The file's URL or path (anything the router reads).
    router
        The ``SourceRouter`` to read with; a default one when None.
    block_size
        Bytes per cached block (the unit of every fetch).
    max_cached_bytes
        Upper bound on the bytes of blocks kept in memory.
    max_readahead
        Upper bound on the bytes fetched beyond a sequential read.
    size
        The file's size, when already known (saves a request).

    Attributes
    ----------
    request_count
        Number of range requests issued to the router (contiguous runs of missing blocks; the
        router may coalesce nearby runs further).
    bytes_fetched
        Number of bytes fetched.
    """

    def __init__(
        self,
        url: str,
        router: SourceRouter | None = None,
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        max_cached_bytes: int = DEFAULT_MAX_CACHED_BYTES,
        max_readahead: int = DEFAULT_MAX_READAHEAD,
        size: int | None = None,
    ) -> None:
        super().__init__()
        if block_size <= 0:
            raise ValueError(f"block_size must be positive, got {block_size}")
        self.url = url
        self.router = router if router is not None else SourceRouter()
        self.block_size = block_size
        self.max_cached_blocks = max(1, max_cached_bytes // block_size)
        self.max_readahead = max_readahead
        self.request_count = 0
        self.bytes_fetched = 0
        self._size = size
        self._position = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._sequential_end = -1
        self._readahead = 0
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"RangeFile({self.url!r})"

    @property
    def name(self) -> str:
        """The URL (h5py and others show it)."""
        return self.url

    @property
    def size(self) -> int:
        """The size of the file in bytes."""
        if self._size is None:
            self._size = self.router.size_blocking(self.url)
        return self._size

    # -- io.RawIOBase --------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        self._check_open()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self.size + offset
        else:
            raise ValueError(f"{self.url}: invalid whence {whence}")
        if position < 0:
            raise ValueError(f"{self.url}: negative seek position {position}")
        self._position = position
        return position

    def readinto(self, buffer: Buffer) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        with self._lock:
            data = self._read_at(self._position, len(view))
            view[: len(data)] = data
            self._position += len(data)
            return len(data)

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        with self._lock:
            if size is None or size < 0:
                size = max(0, self.size - self._position)
            data = self._read_at(self._position, size)
            self._position += len(data)
            return data

    def readall(self) -> bytes:
        return self.read(-1)

    def close(self) -> None:
        self._blocks.clear()
        super().close()

    # -- blocks --------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"{self.url}: I/O operation on a closed RangeFile")

    def _read_at(self, offset: int, length: int) -> bytes:
        end = min(offset + length, self.size)
        if end <= offset:
            return b""
        self._update_readahead(offset, end)
        first = offset // self.block_size
        last = (end - 1) // self.block_size
        if last - first + 1 > self.max_cached_blocks:
            # Larger than the block cache: read it straight through.
            self.request_count += 1
            data = self.router.read_blocking(self.url, offset, end - offset)
            self.bytes_fetched += len(data)
            return data
        if all(index in self._blocks for index in range(first, last + 1)):
            fetch_last = last  # readahead only on a miss: no trickle of small requests
        else:
            fetch_last = min(
                (min(end + self._readahead, self.size) - 1) // self.block_size,
                first + self.max_cached_blocks - 1,
            )
        self._fetch_missing(first, max(last, fetch_last))
        parts = []
        for index in range(first, last + 1):
            block = self._blocks[index]
            self._blocks.move_to_end(index)
            block_start = index * self.block_size
            parts.append(block[max(0, offset - block_start) : end - block_start])
        return b"".join(parts)

    def _update_readahead(self, offset: int, end: int) -> None:
        if offset == self._sequential_end:
            grown = max(self.block_size, 2 * self._readahead)
            self._readahead = min(self.max_readahead, grown)
        else:
            self._readahead = 0
        self._sequential_end = end

    def _fetch_missing(self, first: int, last: int) -> None:
        missing = []
        for index in range(first, last + 1):
            if index in self._blocks:
                self._blocks.move_to_end(index)
            else:
                missing.append(index)
        if not missing:
            return
        requests: list[tuple[str, int | None, int | None]] = []
        for index in missing:
            start = index * self.block_size
            requests.append((self.url, start, min(self.block_size, self.size - start)))
        runs = 1 + sum(1 for a, b in itertools.pairwise(missing) if b != a + 1)
        blocks = self.router.read_many_blocking(requests)
        self.request_count += runs
        for index, block in zip(missing, blocks, strict=True):
            self.bytes_fetched += len(block)
            self._blocks[index] = block
        while len(self._blocks) > self.max_cached_blocks:
            self._blocks.popitem(last=False)
