"""Replacing a local LINDI file by a new one: built beside it, moved into place when complete.

A new file (mode ``"w"``, ``"w-"``/``"x"``, ``"a"`` of a missing file) is written in a private
temporary directory beside the target, ``.<name>.tmp-XXXXXXXX/<name>``, which holds a marker
file (:data:`MARKER_NAME`) naming it as ours. :meth:`TemporarySibling.commit` moves it into
place:

* a file (``.lindi.json``, ``.lindi.tar``) with one ``rename``: atomic;
* a ``.lindi.d`` directory over an existing one with ``renameat2(RENAME_EXCHANGE)`` where the
  OS and file system have it (Linux): atomic; elsewhere with two renames (old one aside, new
  one in), after a :data:`COMPLETE_NAME` marker says the new copy is complete. A kill between
  the two leaves nothing at the path; :func:`recover` (run by every open of that path) moves
  the complete new copy into place, or the old one back when the new one was not complete;
* an exclusive one (``"w-"``/``"x"``, ``"a"`` of a missing file) never replaces anything:
  ``renameat2(RENAME_NOREPLACE)`` where the OS has it, else a hard link (a file) or a rename
  onto a directory it has just created (a ``.lindi.d``). When something appeared at the path
  meanwhile, the new file is discarded and :class:`LindiSourceError` raised.

Only what is recognisably ours is replaced (:func:`check_replaceable`): a regular file, an
empty directory, or a ``.lindi.d`` (a directory holding ``lindi.json``). Only temporary
directories holding our marker are ever removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import tempfile

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.writer_lock import WriterLock

__all__ = [
    "COMPLETE_NAME",
    "MARKER_NAME",
    "TemporarySibling",
    "check_replaceable",
    "locked_for_writing",
    "recover",
    "recover_if_interrupted",
]

MARKER_NAME = ".lindi-temporary"
"""Present in every temporary directory this module creates (and only there)."""
COMPLETE_NAME = ".lindi-complete"
"""Written once the new copy is complete, before the target is touched."""
_REPLACED_NAME = ".lindi-replaced"
_DOCUMENT_NAME = "lindi.json"


def check_replaceable(target: str, *, directory: bool) -> None:
    """Refuse to replace what is not recognisably a LINDI file of the kind being written.

    Parameters
    ----------
    target
        The existing path (nothing is checked when it does not exist).
    directory
        Whether the new file is a ``.lindi.d`` directory.

    Raises
    ------
    LindiSourceError
        ``target`` is a directory that is neither empty nor a ``.lindi.d`` (no ``lindi.json``),
        a directory where a file is to be written, or a non-directory where a ``.lindi.d`` is.
    """
    if not os.path.lexists(target) or os.path.islink(target):
        return
    if not os.path.isdir(target):
        if directory:
            raise LindiSourceError(
                f"{target}: exists and is not a directory; refusing to replace it by a .lindi.d"
            )
        return
    if not directory:
        raise LindiSourceError(
            f"{target}: is a directory; refusing to replace it by a LINDI file (remove it first)"
        )
    try:
        entries = os.listdir(target)
    except OSError as exc:
        raise LindiSourceError(f"{target}: cannot be listed ({exc})") from exc
    if entries and not os.path.isfile(os.path.join(target, _DOCUMENT_NAME)):
        raise LindiSourceError(
            f"{target}: refusing to replace a non-empty directory that is not a .lindi.d (no "
            f"{_DOCUMENT_NAME}); remove it first or choose another name"
        )


def _temporary_prefix(target: str) -> str:
    return f".{os.path.basename(target.rstrip(os.sep))}.tmp-"


def _temporaries(target: str) -> list[str]:
    """Our temporary directories for ``target`` (those holding the marker, and empty ones
    named like them: a removal killed after the marker went), oldest first."""
    parent = os.path.dirname(target)
    prefix = _temporary_prefix(target)
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(parent, name)
        if not name.startswith(prefix) or os.path.islink(path) or not os.path.isdir(path):
            continue
        if os.path.isfile(os.path.join(path, MARKER_NAME)) or not os.listdir(path):
            found.append(path)
    return sorted(found, key=_mtime)


def _document_temporaries(target: str) -> list[str]:
    """Temporary files a killed save left: ``.<name>.XXXXXXXX.tmp`` beside a ``.lindi.json``
    or ``.lindi.tar``, ``.lindi.json.XXXXXXXX.tmp`` inside a ``.lindi.d`` (see
    :func:`~hdmf_lindi.storage.reference_map.atomic_write_bytes`)."""
    found = []
    places = [(os.path.dirname(target), os.path.basename(target))]
    if os.path.isdir(target) and not os.path.islink(target):
        places.append((target, _DOCUMENT_NAME))
    for directory, name in places:
        pattern = re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp")
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for entry in names:
            path = os.path.join(directory, entry)
            if pattern.fullmatch(entry) and os.path.isfile(path) and not os.path.islink(path):
                found.append(path)
    return found


def _remove_temporary(directory: str) -> None:
    """Remove one of our temporary directories, its marker last (so that a kill meanwhile
    leaves it recognisable)."""
    try:
        entries = os.listdir(directory)
    except FileNotFoundError:
        return
    for entry in entries:
        if entry == MARKER_NAME:
            continue
        path = os.path.join(directory, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(directory, MARKER_NAME))
    with contextlib.suppress(OSError):
        os.rmdir(directory)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def recover(target: str) -> None:
    """Finish or undo a replacement of ``target`` that a crash interrupted, and remove the
    temporary directories and files of dead writers. Call with the writer lock of ``target``
    held (no live writer then owns any of them)."""
    target = os.path.abspath(target).rstrip(os.sep)
    name = os.path.basename(target)
    for temporary in _temporaries(target):
        if not os.path.lexists(target):
            new = os.path.join(temporary, name)
            old = os.path.join(temporary, _REPLACED_NAME)
            if os.path.exists(os.path.join(temporary, COMPLETE_NAME)) and os.path.lexists(new):
                os.replace(new, target)
            elif os.path.lexists(old):
                os.replace(old, target)
        _remove_temporary(temporary)
    for path in _document_temporaries(target):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def recover_if_interrupted(target: str) -> None:
    """For a reader: when ``target`` is missing because a replacement was interrupted between
    its two renames (a temporary directory of ours holds the complete new copy or the old one
    moved aside), :func:`recover` it, provided no live writer holds the lock. Never waits:
    with the lock held elsewhere the writer is mid-replacement and finishes it itself. A
    temporary directory of a new file being written (or whose writer was killed) is left to
    the next writer."""
    target = os.path.abspath(target).rstrip(os.sep)
    if os.path.lexists(target) or not any(map(_interrupted, _temporaries(target))):
        return
    lock = WriterLock(target)
    try:
        lock.acquire(timeout=0)
    except OSError:  # a live writer (LindiLockedError), or a read-only directory
        return
    try:
        with contextlib.suppress(OSError):  # nothing a reader could repair
            recover(target)
    finally:
        lock.release()


def _interrupted(temporary: str) -> bool:
    return os.path.exists(os.path.join(temporary, COMPLETE_NAME)) or os.path.lexists(
        os.path.join(temporary, _REPLACED_NAME)
    )


def locked_for_writing(target: str, timeout: float | None = None) -> WriterLock:
    """Take the writer lock of ``target`` and :func:`recover` it; the caller releases the lock.

    Raises
    ------
    LindiLockedError
        Another writer holds the lock.
    """
    lock = WriterLock(target)
    lock.acquire() if timeout is None else lock.acquire(timeout)
    try:
        recover(lock.location)
    except BaseException:
        lock.release()
        raise
    return lock


class TemporarySibling:
    """A private temporary directory beside ``target`` holding the new file under the
    target's own name (:attr:`path`) until :meth:`commit` moves it into place; ``exclusive``:
    only where nothing is."""

    def __init__(self, target: str, *, exclusive: bool = False) -> None:
        self.target = os.path.abspath(target).rstrip(os.sep)
        self.exclusive = exclusive
        parent = os.path.dirname(self.target)
        os.makedirs(parent, exist_ok=True)
        self._directory = tempfile.mkdtemp(prefix=_temporary_prefix(self.target), dir=parent)
        with open(os.path.join(self._directory, MARKER_NAME), "wb"):
            pass
        self.path = os.path.join(self._directory, os.path.basename(self.target))

    def commit(self) -> None:
        """Move the new file to the target (see the module notes); the old one is removed only
        once the new one is in place."""
        try:
            if self.exclusive:
                self._move_without_replacing()
                return
            check_replaceable(self.target, directory=os.path.isdir(self.path))
            if os.path.isdir(self.path) and os.path.isdir(self.target):
                self._replace_directory()
            else:
                os.replace(self.path, self.target)
        finally:
            _remove_temporary(self._directory)

    def _move_without_replacing(self) -> None:
        try:
            if _rename_noreplace(self.path, self.target):
                return
            if os.path.isdir(self.path):
                os.mkdir(self.target)  # fails when anything is there
                try:
                    os.rename(self.path, self.target)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.rmdir(self.target)
                    raise
            else:
                try:
                    os.link(self.path, self.target)  # the temporary name goes with its directory
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                        raise
                    # a file system without hard links: checked, then renamed (not atomic)
                    if os.path.lexists(self.target):
                        raise FileExistsError(errno.EEXIST, "exists", self.target) from exc
                    os.rename(self.path, self.target)
        except FileExistsError as exc:
            raise LindiSourceError(
                f"{self.target}: already exists (created meanwhile by another program); the "
                "new file was discarded"
            ) from exc

    def _replace_directory(self) -> None:
        _write_durably(os.path.join(self._directory, COMPLETE_NAME))
        if _exchange(self.path, self.target):
            return
        old = os.path.join(self._directory, _REPLACED_NAME)
        os.replace(self.target, old)
        try:
            os.replace(self.path, self.target)
        except BaseException:
            os.replace(old, self.target)
            raise

    def discard(self) -> None:
        """Delete the new file."""
        _remove_temporary(self._directory)


def _write_durably(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2: object = None


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); ``False`` when the
    OS, C library or file system cannot."""
    return _rename_with_flags(a, b, _RENAME_EXCHANGE)


def _rename_noreplace(a: str, b: str) -> bool:
    """Rename ``a`` to ``b`` unless ``b`` exists (Linux ``renameat2(RENAME_NOREPLACE)``,
    ``FileExistsError`` then); ``False`` when the OS, C library or file system cannot."""
    return _rename_with_flags(a, b, _RENAME_NOREPLACE)


def _rename_with_flags(a: str, b: str, flags: int) -> bool:
    global _renameat2
    if _renameat2 is None:
        _renameat2 = False
        with contextlib.suppress(OSError, AttributeError, TypeError):
            # the symbols of the running process: the C library's, where there is one
            function = ctypes.CDLL(None, use_errno=True).renameat2
            function.argtypes = [
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_uint,
            ]
            function.restype = ctypes.c_int
            _renameat2 = function
    if _renameat2 is False:
        return False
    result = _renameat2(  # type: ignore[operator]
        _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), flags
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), b)
    raise OSError(code, os.strerror(code), b)
