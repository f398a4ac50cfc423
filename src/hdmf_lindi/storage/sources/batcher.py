"""Collects the range reads issued in the same event-loop turn into one ``get_ranges`` call
per (source, URL), so that the backend can coalesce them and keep them in flight together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from hdmf_lindi.storage.sources.abc import ByteSource

__all__ = ["ReadBatcher"]

# Loop turns to wait before sending a batch: reads that reach the source after one extra
# ``await`` of an already-finished future still join the batch.
_FLUSH_DELAY_TURNS = 2


@dataclass(slots=True)
class _Batch:
    source: ByteSource
    url: str
    ranges: list[tuple[int, int]] = field(default_factory=list)
    futures: list[asyncio.Future[bytes]] = field(default_factory=list)


class ReadBatcher:
    """One per event loop. ``await on_fetched(source, url, ranges, results)`` runs after each
    batch succeeds and before its readers resume (e.g. to fill a cache)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_fetched: Callable[
            [ByteSource, str, Sequence[tuple[int, int]], Sequence[bytes]], Awaitable[None]
        ]
        | None = None,
    ) -> None:
        self._loop = loop
        self._on_fetched = on_fetched
        self._pending: dict[tuple[int, str], _Batch] = {}
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, source: ByteSource, url: str, offset: int, size: int) -> asyncio.Future[bytes]:
        """A future for ``size`` bytes of ``url`` at ``offset``, read with the next batch."""
        key = (id(source), url)
        batch = self._pending.get(key)
        if batch is None:
            batch = self._pending[key] = _Batch(source, url)
        future: asyncio.Future[bytes] = self._loop.create_future()
        batch.ranges.append((offset, size))
        batch.futures.append(future)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush_later, _FLUSH_DELAY_TURNS - 1)
        return future

    def _flush_later(self, turns_left: int) -> None:
        if turns_left > 0:
            self._loop.call_soon(self._flush_later, turns_left - 1)
            return
        self._flush_scheduled = False
        pending, self._pending = self._pending, {}
        for batch in pending.values():
            task = self._loop.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: _Batch) -> None:
        try:
            if len(batch.ranges) == 1:
                offset, size = batch.ranges[0]
                results = [await batch.source.get_range(batch.url, offset, size)]
            else:
                results = await batch.source.get_ranges(batch.url, batch.ranges)
        except BaseException as exc:
            for future in batch.futures:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if self._on_fetched is not None:
            await self._on_fetched(batch.source, batch.url, batch.ranges, results)
        for future, data in zip(batch.futures, results, strict=True):
            if not future.done():
                future.set_result(data)
