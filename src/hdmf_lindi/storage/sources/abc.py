"""The byte-source interface: everything that reads bytes by URL implements it.

OWNED BY the byte-sources work (helper "sources"). Other parts only use what is declared here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["ByteSource", "ContainerMember"]

_closing: set[Any] = set()


class ContainerMember(NamedTuple):
    """Where a member of a single-file container (``.lindi.tar``) is: the container's location,
    the byte offset of the member's data in it, and the member's size."""

    location: str
    offset: int
    size: int


class ByteSource(ABC):
    """Reads (and, where the backend allows, writes) whole objects or byte ranges by URL.

    One instance serves one backend (local files, HTTP(S), an object store) and may hold
    connections; it is safe to call from many tasks at once.
    """

    @abstractmethod
    async def get_range(self, url: str, offset: int, size: int) -> bytes:
        """``size`` bytes of ``url`` starting at ``offset``. Fewer bytes is an error."""

    @abstractmethod
    async def get(self, url: str) -> bytes:
        """The whole object at ``url``."""

    async def get_ranges(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """Many ``(offset, size)`` ranges of one object, in the order given. Backends override
        this to coalesce adjacent ranges and keep many requests in flight."""
        import asyncio

        return list(await asyncio.gather(*(self.get_range(url, o, s) for o, s in ranges)))

    @abstractmethod
    async def size(self, url: str) -> int:
        """The size in bytes of the object at ``url``."""

    def get_ranges_blocking(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """:meth:`get_ranges` done in the calling thread, without waiting on another Python
        thread.

        For callers that hold a lock other Python threads may need: h5py holds its global
        lock while it reads through a file-like object, and a garbage collection in any Python
        thread that frees an h5py object waits for that lock; a read that waited on such a
        thread could wait forever. Backends override this (local files read in place, HTTP
        and object stores through obstore's blocking calls, whose I/O threads run no Python);
        the default runs :meth:`get_ranges` on the background event loop.
        """
        from hdmf_lindi.storage.sources._background_loop import run_sync

        return run_sync(self.get_ranges(url, ranges))

    def size_blocking(self, url: str) -> int:
        """:meth:`size` in the calling thread (see :meth:`get_ranges_blocking`)."""
        from hdmf_lindi.storage.sources._background_loop import run_sync

        return run_sync(self.size(url))

    async def put(self, url: str, data: bytes) -> None:
        """Write a whole object (backends that cannot write raise ``LindiSourceError``)."""
        from hdmf_lindi.errors import LindiSourceError

        raise LindiSourceError(f"{url}: {type(self).__name__} cannot write")

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def close_blocking(self, *, timeout: float = 5.0) -> None:
        """:meth:`close` in the calling thread, never waiting on another thread's event loop
        (which may be gone: at interpreter exit zarr's atexit handler stops its loop before
        hdmf's closes the files left open).

        Backends whose :meth:`close` does nothing return at once. Otherwise the coroutine runs
        on a private loop in this thread for at most ``timeout`` seconds, or, when this thread
        already runs a loop, is scheduled there without waiting.
        """
        if type(self).close is ByteSource.close:
            return
        import asyncio

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            task = running.create_task(self.close())
            _closing.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(_closing.discard)
            return
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(asyncio.wait_for(self.close(), timeout))
        except TimeoutError:
            pass
        finally:
            loop.close()
