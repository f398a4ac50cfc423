"""Opening what LindiIO is given: a LINDI file (``.lindi.json``, ``.lindi.d``, ``.lindi.tar``,
local or URL) for reading or writing, or an HDF5/NWB file (local or URL) for reading through
the HDF5 translator.

New files (modes ``w``, ``w-``, ``x``) are written under a temporary name beside the target and
renamed into place only when LindiIO closes after a successful write, so a failed write leaves
no half-written file and an existing file is replaced only by a complete one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from hdmf_lindi.errors import LindiFormatError, LindiSourceError, LindiUnsupportedError

if TYPE_CHECKING:
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.store import LindiStore

__all__ = ["FileKind", "OpenedFile", "file_kind", "is_url", "open_file"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HDF5_USERBLOCK_OFFSETS = (0, 512, 1024, 2048, 4096)
_LINDI_SUFFIXES = (".lindi.json", ".lindi.tar", ".lindi.d", ".json", ".tar", ".d")
_HDF5_SUFFIXES = (".nwb", ".h5", ".hdf5", ".hdf")


class FileKind(Enum):
    """What a path or URL holds."""

    LINDI = "lindi"
    HDF5 = "hdf5"


def is_url(path: str) -> bool:
    """Whether ``path`` is a URL (``http(s)://``, ``s3://``, ...) rather than a local path."""
    return "://" in path and not path.startswith("file://")


def _lindi_suffix(path: str) -> str | None:
    name = path.split("?", 1)[0].rstrip("/").lower()
    return next((suffix for suffix in _LINDI_SUFFIXES if name.endswith(suffix)), None)


def _sniff(head: bytes, where: str) -> FileKind:
    if head[:8] == _HDF5_SIGNATURE:
        return FileKind.HDF5
    if head[257:262] == b"ustar" or head.lstrip()[:1] == b"{":
        return FileKind.LINDI
    raise LindiFormatError(
        f"{where}: unknown file type: neither a LINDI file (.lindi.json/.lindi.d/.lindi.tar) "
        "nor an HDF5/NWB file"
    )


def file_kind(path: str) -> FileKind:
    """Whether ``path`` (an existing local path or a URL) is a LINDI or an HDF5 file.

    Raises
    ------
    LindiSourceError
        The path does not exist / the URL cannot be read.
    LindiFormatError
        The content is neither.
    """
    if is_url(path):
        if _lindi_suffix(path) is not None:
            return FileKind.LINDI
        from hdmf_lindi.storage.sources.router import SourceRouter

        router = SourceRouter()
        try:
            head = router.read_sync(path, 0, 512)
        except OSError as exc:
            raise LindiSourceError(f"{path}: cannot be read ({exc})") from exc
        finally:
            _close_router(router)
        return _sniff(head, path)
    local = path.removeprefix("file://")
    if os.path.isdir(local):
        return FileKind.LINDI
    try:
        with open(local, "rb") as f:
            head = f.read(4096 + 8)
    except FileNotFoundError as exc:
        raise LindiSourceError(f"{local}: no such file") from exc
    except OSError as exc:
        raise LindiSourceError(f"{local}: cannot be read ({exc.strerror or exc})") from exc
    for offset in _HDF5_USERBLOCK_OFFSETS:
        if head[offset : offset + 8] == _HDF5_SIGNATURE:
            return FileKind.HDF5
    return _sniff(head, local)


def _close_router(router: Any) -> None:
    from zarr.core.sync import sync

    sync(router.close())


@dataclass
class OpenedFile:
    """An open file: its hierarchy, and what closing it has to do."""

    hierarchy: Hierarchy
    store: LindiStore
    kind: FileKind
    path: str
    writable: bool
    temporary: str | None = None
    """For new files: where the file is written until it is renamed to ``path``."""
    closers: list[Any] = field(default_factory=list)

    def close(self, *, commit: bool = True) -> None:
        """Close; with ``commit`` save the changes (renaming a new file into place), else
        discard them (a new file is deleted, an existing one keeps its last saved state)."""
        try:
            self.hierarchy.close()
            if not commit:
                _discard_changes(self.store)
            self.store.close()
        finally:
            for closer in self.closers:
                closer()
            self.closers.clear()
        if self.temporary is None:
            return
        if commit:
            _replace(self.temporary, self.path)
        else:
            _remove(self.temporary)
        self.temporary = None


def _discard_changes(store: LindiStore) -> None:
    """Make ``store.close()`` not save: the file keeps its last saved state."""
    store.forget_changes()


def _replace(temporary: str, path: str) -> None:
    if os.path.isdir(temporary):
        if os.path.isdir(path):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.old-", dir=_parent(path))
            os.rmdir(old)
            os.replace(path, old)
            os.replace(temporary, path)
            shutil.rmtree(old, ignore_errors=True)
            return
        if os.path.exists(path):
            os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)
    os.replace(temporary, path)


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.unlink(path)


def _parent(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) or "."


def _temporary_sibling(path: str, suffix: str) -> str:
    parent = _parent(path)
    os.makedirs(parent, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.tmp-", dir=parent)
    os.close(fd)
    os.unlink(name)
    return name + suffix


def open_file(
    path: str,
    mode: str,
    *,
    local_cache: Any = None,
    store_options: dict[str, Any] | None = None,
) -> OpenedFile:
    """Open ``path`` in ``mode`` (``r``, ``r+``, ``a``, ``w``, ``w-``, ``x``).

    Raises
    ------
    LindiSourceError
        ``r``/``r+`` of a missing file; ``w-``/``x`` of an existing one.
    LindiUnsupportedError
        Writing an HDF5 file, or creating a file whose name has no LINDI suffix.
    """
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.store import LindiStore

    options = dict(store_options or {})
    remote = is_url(path)
    local = path.removeprefix("file://")
    exists = True if remote else os.path.exists(local)
    if mode in ("r", "r+") and not exists:
        raise LindiSourceError(f"{path}: no such file (mode {mode!r})")
    if mode in ("w-", "x") and exists:
        raise LindiSourceError(f"{path}: already exists (mode {mode!r})")
    creating = mode in ("w", "w-", "x") or (mode == "a" and not exists)
    if creating:
        suffix = _lindi_suffix(path)
        if remote:
            raise LindiUnsupportedError(f"{path}: LindiIO cannot create a remote file")
        if suffix is None:
            raise LindiUnsupportedError(
                f"{path}: LindiIO writes LINDI files: name it *.lindi.json, *.lindi.tar or "
                "*.lindi.d (use NWBHDF5IO to write HDF5)"
            )
        temporary = _temporary_sibling(local, suffix)
        store = LindiStore.open(temporary, mode="w", local_cache=local_cache, **options)
        hierarchy = Hierarchy(store)
        return OpenedFile(
            hierarchy, store, FileKind.LINDI, local, writable=True, temporary=temporary
        )
    kind = file_kind(path)
    if kind is FileKind.HDF5:
        if mode != "r":
            raise LindiUnsupportedError(
                f"{path}: an HDF5 file is opened read-only by LindiIO (mode {mode!r}); use "
                "NWBHDF5IO to modify it, or export it to LINDI"
            )
        return _open_hdf5(path, local_cache)
    store_mode: Literal["r", "r+"] = "r" if mode == "r" else "r+"
    store = LindiStore.open(
        local if not remote else path, store_mode, local_cache=local_cache, **options
    )
    return OpenedFile(Hierarchy(store), store, FileKind.LINDI, path, writable=mode != "r")


def _open_hdf5(path: str, local_cache: Any) -> OpenedFile:
    from hdmf_lindi.hdf5 import translate_source
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.store import LindiStore

    result = translate_source(path, local_cache=local_cache)
    store = LindiStore(
        result.reference_map,
        read_only=True,
        allow_local=not is_url(path),
        local_cache=local_cache,
    )
    return OpenedFile(Hierarchy(store), store, FileKind.HDF5, path, writable=False)
