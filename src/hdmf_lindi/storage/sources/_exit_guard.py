"""Keeps a process that used obstore's async API from aborting at exit.

obstore completes an awaited call from one of its (Rust) tokio threads, which runs Python
(``loop.call_soon_threadsafe``) and releases the GIL while it wakes the loop. If the program
ends in that instant, the thread asks for the GIL back after CPython 3.12 began finalizing;
CPython then ends the thread with ``pthread_exit``, whose unwinding through Rust frames aborts
the whole process (SIGABRT, exit status -6; seen in about one run in ten of a script whose
last act was a remote read). Releasing the GIL briefly at exit, before finalization, lets
such a thread finish first.
"""

from __future__ import annotations

import atexit
import threading
import time

__all__ = ["guard_exit"]

_SETTLE_SECONDS = 0.05
_lock = threading.Lock()
_registered = False


def _settle() -> None:
    time.sleep(_SETTLE_SECONDS)


def guard_exit() -> None:
    """Call before using obstore's async API (cheap after the first call)."""
    global _registered
    if _registered:
        return
    with _lock:
        if not _registered:
            atexit.register(_settle)
            _registered = True
