"""A private event loop on a daemon thread, so that sync callers can run the async sources
whether or not an event loop is already running in their own thread (like zarr's ``sync``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

__all__ = ["run_sync"]

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _get_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="hdmf_lindi-io", daemon=True)
            thread.start()
            _loop, _thread = loop, thread
        return _loop


def run_sync[T](coroutine: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
    """Run ``coroutine`` on the background loop and wait for its result; past ``timeout``
    seconds (if given) cancel it and raise ``TimeoutError``."""
    try:
        loop = _get_loop()
    except BaseException:
        coroutine.close()  # e.g. no new thread at interpreter shutdown: no "never awaited"
        raise
    if threading.current_thread() is _thread:
        coroutine.close()
        raise RuntimeError(
            "hdmf_lindi: a sync read was called from the I/O thread itself; use the async API"
        )
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise
