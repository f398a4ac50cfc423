"""One writer at a time per local LINDI file: an OS lock on a lock file beside it.

Every writer of a ``.lindi.json``, ``.lindi.d`` or ``.lindi.tar`` (``r+``, ``a``, ``w``, ``w-``/
``x``, ``convert``, ``write_lindi_file``) holds :class:`WriterLock` on the file's location
from its open to its close. The lock is ``flock`` on ``.<name>.lindi-lock`` in the same
directory (an exclusive lock of the open file description: two writers in one process exclude
each other as two processes do, and the kernel drops it when the process dies, so a killed
writer leaves no stale lock). A second writer fails with
:class:`~hdmf_lindi.errors.LindiLockedError` once ``timeout`` has passed (default: at once).

The lock file is removed on release, while still locked; a writer that locked a file that has
meanwhile been removed or replaced sees that its inode is no longer the one at the path and
tries again. Readers take no lock. A lock that is dropped without :meth:`WriterLock.release`
(an object graph abandoned by an exception) is released when it is garbage collected.

Where ``fcntl`` is missing (Windows), the lock file is created with ``O_EXCL`` instead: a
writer killed there leaves the file behind, and the error message names it.
"""

from __future__ import annotations

import contextlib
import os
import time
import weakref
from types import TracebackType

from hdmf_lindi.errors import LindiLockedError, LindiSourceError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_LOCK_TIMEOUT", "WriterLock", "lock_path_for"]

DEFAULT_LOCK_TIMEOUT = 0.0
"""Seconds a writer waits for another writer of the same file before failing."""

_POLL_SECONDS = 0.05
LOCK_SUFFIX = ".lindi-lock"


def lock_path_for(location: str) -> str:
    """The lock file of a local LINDI file: ``.<name>.lindi-lock`` beside it."""
    target = os.path.abspath(location).rstrip(os.sep)
    parent, name = os.path.split(target)
    return os.path.join(parent, f".{name}{LOCK_SUFFIX}")


class WriterLock:
    """The writer lock of the LINDI file at ``location`` (see the module notes).

    Parameters
    ----------
    location
        Local path of the ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` (need not exist).
    """

    def __init__(self, location: str) -> None:
        self.location = os.path.abspath(location)
        self.path = lock_path_for(location)
        self._fd: int | None = None
        self._finalizer: weakref.finalize[[int, str], WriterLock] | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> WriterLock:
        """Take the lock, waiting at most ``timeout`` seconds.

        Raises
        ------
        LindiLockedError
            Another writer holds it.
        LindiSourceError
            The lock file cannot be created (e.g. a read-only directory).
        """
        if self._fd is not None:
            raise LindiLockedError(f"{self.location}: this writer already holds the lock")
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            fd = self._try_once()
            if fd is not None:
                self._fd = fd
                # the safety net: a lock nobody references any more is released
                self._finalizer = weakref.finalize(self, _release_fd, fd, self.path)
                return self
            if time.monotonic() >= deadline:
                raise LindiLockedError(
                    f"{self.location}: open for writing by another writer (lock file "
                    f"{self.path}); close it first, or open read-only"
                )
            time.sleep(_POLL_SECONDS)

    def _try_once(self) -> int | None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        if fcntl is None:  # pragma: no cover - Windows
            return self._try_exclusive_create()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise LindiSourceError(f"{self.path}: cannot create the writer lock ({exc})") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as exc:
            os.close(fd)
            raise LindiSourceError(f"{self.path}: cannot lock ({exc})") from exc
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is None or (current.st_dev, current.st_ino) != (mine.st_dev, mine.st_ino):
            # the previous holder removed the file after we opened it: lock the new one
            os.close(fd)
            return self._try_once()
        return fd

    def _try_exclusive_create(self) -> int | None:  # pragma: no cover - Windows
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return None
        except OSError as exc:
            raise LindiSourceError(f"{self.path}: cannot create the writer lock ({exc})") from exc

    def release(self) -> None:
        """Release the lock (idempotent); the lock file is removed while still held."""
        fd, self._fd = self._fd, None
        finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer.detach()
        if fd is None:
            return
        _release_fd(fd, self.path)

    def __enter__(self) -> WriterLock:
        return self.acquire() if self._fd is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "held" if self.held else "not held"
        return f"WriterLock({self.location!r}, {state})"


def _release_fd(fd: int, path: str) -> None:
    """Remove the lock file while still holding it, then drop the lock."""
    with contextlib.suppress(OSError):
        os.unlink(path)
    os.close(fd)
