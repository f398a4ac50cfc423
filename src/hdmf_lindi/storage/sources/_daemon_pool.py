"""A small pool of daemon worker threads: work that must never keep the interpreter from
exiting (``concurrent.futures`` joins its workers at exit, however long they block)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["DaemonPool"]


class DaemonPool:
    """Runs submitted calls on at most ``max_workers`` daemon threads named ``name-N``."""

    def __init__(self, max_workers: int, name: str) -> None:
        self._max_workers = max_workers
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._idle = 0
        """Workers not running a job (those being started included)."""
        self._pending = 0
        """Jobs submitted and not yet taken by a worker."""

    def submit[T](self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` on a worker; its future. A new worker is started
        unless an idle one is left for this job once the jobs already waiting are served."""
        future: Future[T] = Future()
        with self._lock:
            self._queue.put((future, lambda: fn(*args, **kwargs)))
            self._pending += 1
            self._workers = [t for t in self._workers if t.is_alive()]
            if self._pending > self._idle and len(self._workers) < self._max_workers:
                worker = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._workers)}", daemon=True
                )
                worker.start()  # it takes a job only once this lock is released
                self._idle += 1
                self._workers.append(worker)
        return future

    def _work(self) -> None:
        while True:
            future, call = self._queue.get()
            with self._lock:
                self._idle -= 1
                self._pending -= 1
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:
                    future.set_exception(exc)
            with self._lock:
                self._idle += 1
