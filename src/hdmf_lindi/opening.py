"""Opening a file as a :class:`~hdmf_lindi.hierarchy.Hierarchy`: the one opener behind both
front ends (``LindiH5pyFile`` and ``LindiIO``).

:func:`open_hierarchy` takes a LINDI file (``.lindi.json``, ``.lindi.d``, ``.lindi.tar``, local
or URL), an HDF5/NWB file (local or URL, translated on the fly) or a reference file system
dict. New files (mode ``"w"``, ``"w-"``/``"x"``, ``"a"`` of a missing file) are written by
:meth:`LindiStore.open <hdmf_lindi.storage.store.LindiStore.open>` under a temporary name
beside the target and renamed into place by :meth:`OpenedHierarchy.close` with
``commit=True``: a failed write leaves no half-written file, an existing file is replaced only
by a complete one, and only when it is recognisably a LINDI file
(:mod:`hdmf_lindi.storage.replacing`). Every writer holds the file's writer lock
(:mod:`hdmf_lindi.storage.writer_lock`) until it is closed.

External links obey the policy chunk refs do (:func:`check_link_target`): a file that came from
a URL links only to remote files unless the caller passes ``allow_local=True``; with
``allow_local=False`` no file links to local files.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

from hdmf_lindi.errors import (
    LindiFormatError,
    LindiSecurityError,
    LindiSourceError,
    LindiUnsupportedError,
)
from hdmf_lindi.storage.containers import container_kind_from_suffix
from hdmf_lindi.storage.replacing import recover_if_interrupted
from hdmf_lindi.storage.sources import is_remote_url
from hdmf_lindi.storage.sources.router import _local_path_of
from hdmf_lindi.storage.store import (
    CREATING_MODES,
    DEFAULT_INLINE_THRESHOLD,
    EXCLUSIVE_MODES,
    MODES,
    OpenMode,
)

if TYPE_CHECKING:
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.staging import StagingArea
    from hdmf_lindi.storage.store import LindiStore

__all__ = [
    "ContainerKind",
    "FileKind",
    "OpenMode",
    "OpenedHierarchy",
    "check_link_target",
    "file_kind",
    "local_path",
    "open_hierarchy",
    "open_linked_file",
    "resolve_link_location",
]

type ContainerKind = Literal["json", "tar", "directory"]
_CONTAINER_KINDS = ("json", "tar", "directory")

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HDF5_USERBLOCK_OFFSETS = (0, 512, 1024, 2048, 4096)
_RFS_NAME = "<reference file system>"


class FileKind(Enum):
    """What a source holds."""

    LINDI = "lindi"
    HDF5 = "hdf5"
    ZARR = "zarr"
    """A plain Zarr v3 directory or zip (e.g. written by hdmf-zarr's ``NWBZarrIO``), read-only."""


def local_path(source: str) -> str:
    """The local path of a path or ``file://`` URL."""
    return _local_path_of(source)


def _sniff(head: bytes, where: str) -> FileKind:
    for offset in _HDF5_USERBLOCK_OFFSETS:
        if head[offset : offset + 8] == _HDF5_SIGNATURE:
            return FileKind.HDF5
    if head[257:262] == b"ustar" or head.lstrip()[:1] == b"{":
        return FileKind.LINDI
    raise LindiFormatError(
        f"{where}: unknown file type: neither a LINDI file (.lindi.json/.lindi.d/.lindi.tar) "
        "nor an HDF5/NWB file"
    )


def _remote_head(source: str, local_cache: Any) -> bytes:
    """The first 512 bytes of a URL (what tells HDF5, a tar archive and JSON apart)."""
    from hdmf_lindi.storage.sources.router import SourceRouter

    router = SourceRouter(local_cache=local_cache)
    try:
        return router.read_sync(source, 0, 512)
    except OSError as exc:
        raise LindiSourceError(f"{source}: cannot be read ({exc})") from exc
    finally:
        router.close_blocking()


def _container_of(head: bytes) -> ContainerKind:
    """The container a LINDI file's first bytes show: a tar archive (``ustar`` magic) or JSON."""
    return "tar" if head[257:262] == b"ustar" else "json"


def file_kind(source: str, *, local_cache: Any = None) -> FileKind:
    """Whether ``source`` (an existing local path or a URL) holds a LINDI or an HDF5 file: a
    LINDI suffix or a directory says LINDI, else the first bytes decide.

    Raises
    ------
    LindiSourceError
        The path does not exist / the URL cannot be read.
    LindiFormatError
        The content is neither.
    """
    if is_remote_url(source):
        if container_kind_from_suffix(source) is not None:
            return FileKind.LINDI
        return _sniff(_remote_head(source, local_cache), source)
    path = local_path(source)
    if os.path.isdir(path):
        return FileKind.LINDI
    if os.path.exists(path) and not os.path.isfile(path):
        # a FIFO would block the open below, a device never end the read
        raise LindiSourceError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as f:
            head = f.read(_HDF5_USERBLOCK_OFFSETS[-1] + 8)
    except FileNotFoundError as exc:
        raise LindiSourceError(f"{path}: no such file") from exc
    except OSError as exc:
        raise LindiSourceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return _sniff(head, path)


@dataclass
class OpenedHierarchy:
    """An open file: its hierarchy and store, and what closing it has to do.

    Attributes
    ----------
    hierarchy
        The file's hierarchy.
    store
        The store under it.
    kind
        What the file is.
    location
        The path or URL the user named (a temporary file stands in for it while creating).
    writable
        Whether writes are allowed.
    closers
        Called by :meth:`close` after the store is closed (release what the file needs).
    """

    hierarchy: Hierarchy
    store: LindiStore
    kind: FileKind
    location: str
    writable: bool
    closers: list[Callable[[], None]] = field(default_factory=list)
    _closed: bool = False

    def close(self, *, commit: bool = True) -> None:
        """Close (idempotent). With ``commit`` save the changes (a new file is renamed into
        place); else discard them (a new file is deleted, an existing one keeps its last
        saved state)."""
        if self._closed:
            return
        self._closed = True
        try:
            try:
                self.hierarchy.close()
            except BaseException:
                commit = False
                raise
            finally:
                # the store puts a new file in place, or deletes it, and releases the lock
                self.store.close(commit=commit)
        finally:
            for closer in self.closers:
                closer()
            self.closers.clear()


def open_hierarchy(
    source: str | os.PathLike[str] | Mapping[str, Any],
    mode: OpenMode = "r",
    *,
    local_cache: Any = None,
    staging_area: StagingArea | None = None,
    inline_threshold: int | None = DEFAULT_INLINE_THRESHOLD,
    allow_local: bool | None = None,
    kind: FileKind | None = None,
    conventions: str | None = None,
    container_kind: ContainerKind | None = None,
) -> OpenedHierarchy:
    """Open ``source`` as a hierarchy.

    Parameters
    ----------
    source
        A ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` or HDF5/NWB path or URL, or a
        reference file system dict (``{"version": 1, "refs": ...}``; edits stay in memory).
    mode
        ``"r"`` read; ``"r+"`` read/write, must exist; ``"a"`` read/write, created when
        missing; ``"w"`` create (replacing what is there once complete); ``"w-"``/``"x"``
        create, fail if it exists. An HDF5 file opens ``"r"`` or ``"r+"`` (edits in memory:
        the HDF5 file is never modified).
    local_cache
        A ``LocalCache`` for remote byte ranges.
    staging_area
        Where large new chunks are written (writable modes only).
    inline_threshold
        New chunks shorter than this many bytes are stored in the document; larger ones go to
        the staging area or the container's blobs (a bare ``.lindi.json`` keeps them inline
        as base64, as lindi 0.4.6 does).
        Chunks of object-dtype arrays are always inline. ``None`` keeps every chunk inline.
    allow_local
        Whether refs and external links may name local files (default: only when the file
        is local).
    kind
        What an existing ``source`` holds, when known (else sniffed by :func:`file_kind`).
    conventions
        The flavour of a new file: ``"lindi-v1"`` (default) or ``"unified-zarr-v3"``. An
        existing file keeps its own (detected from its keys).
    container_kind
        The container of a new file (``"json"``, ``"tar"`` or ``"directory"``), for a name
        without a LINDI suffix; default: from the suffix. Existing local files are recognised
        by their content whatever their name (``container_kind`` is ignored); so is a URL
        without a suffix, unless ``container_kind`` names its container.

    Returns
    -------
    OpenedHierarchy
        Close it with :meth:`OpenedHierarchy.close`.

    Raises
    ------
    LindiSourceError
        ``"r"``/``"r+"`` of a missing file; ``"w-"``/``"x"`` of an existing one; ``"w"`` over
        something that is not a LINDI file of that kind (a directory without ``lindi.json``).
    LindiLockedError
        A writable mode while another writer has the file open.
    LindiUnsupportedError
        Creating a remote file or one whose name has no LINDI suffix; writing an HDF5 file in
        another mode than ``"r+"``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if staging_area is not None and mode == "r":
        raise ValueError("a staging area needs a writable mode ('r+', 'a', 'w', 'w-', 'x')")
    store_options: dict[str, Any] = {
        "local_cache": local_cache,
        "staging_area": staging_area,
        "inline_threshold": inline_threshold,
        "allow_local": allow_local,
    }
    if isinstance(source, Mapping):
        return _open_reference_file_system(source, mode, store_options)
    text = os.fspath(source)
    remote = is_remote_url(text)
    location = text if remote else local_path(text)
    if not remote:
        recover_if_interrupted(location)
    exists = remote or os.path.lexists(location)
    if mode in ("r", "r+") and not exists:
        raise LindiSourceError(f"{location}: no such file (mode {mode!r})")
    if mode in EXCLUSIVE_MODES and exists:
        raise LindiSourceError(f"{location}: already exists (mode {mode!r})")
    if container_kind is not None and container_kind not in _CONTAINER_KINDS:
        raise ValueError(
            f"container_kind must be one of {_CONTAINER_KINDS}, got {container_kind!r}"
        )
    if kind is not FileKind.HDF5 and (mode in CREATING_MODES or not exists):
        return _create(location, mode, remote, store_options, conventions, container_kind)
    if kind is None and not remote and _is_zarr_directory(location):
        kind = FileKind.ZARR
    if kind is FileKind.ZARR:
        return _open_zarr_directory(location, mode, store_options)
    if not remote or container_kind_from_suffix(location) is not None:
        container_kind = None  # an existing local file or suffixed URL: its content decides
    elif kind is None:
        # a URL without a LINDI suffix (a DANDI asset's download URL): the first bytes tell
        # HDF5 from LINDI, and a tar archive from a JSON document
        head = _remote_head(text, local_cache)
        kind = _sniff(head, text)
        container_kind = container_kind or _container_of(head)
    if kind is None:
        kind = file_kind(text, local_cache=local_cache)
    if kind is FileKind.HDF5:
        return _open_hdf5(text, mode, store_options)
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.containers import container_for
    from hdmf_lindi.storage.store import LindiStore

    store = LindiStore.open(
        container_for(location, kind=container_kind) if container_kind else location,
        "r" if mode == "r" else "r+",
        **store_options,
    )
    return OpenedHierarchy(Hierarchy(store), store, FileKind.LINDI, location, mode != "r")


def _is_zarr_directory(location: str) -> bool:
    from hdmf_lindi.storage.zarr_directory import is_zarr_directory, is_zarr_zip

    return is_zarr_directory(location) or is_zarr_zip(location)


def _open_zarr_directory(
    location: str, mode: OpenMode, store_options: dict[str, Any]
) -> OpenedHierarchy:
    from hdmf_lindi.errors import LindiReadOnlyError
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.store import LindiStore
    from hdmf_lindi.storage.zarr_directory import load_zarr_directory, load_zarr_zip

    if mode != "r":
        raise LindiReadOnlyError(
            f"{location}: a plain Zarr store opens read-only (mode 'r', not {mode!r}); "
            "convert it to a .lindi.tar / .lindi.d to edit it"
        )
    options = dict(store_options)
    if options["allow_local"] is None:
        options["allow_local"] = True
    load = load_zarr_directory if os.path.isdir(location) else load_zarr_zip
    store = LindiStore(load(location), read_only=True, **options)
    return OpenedHierarchy(Hierarchy(store), store, FileKind.ZARR, location, False)


def _create(
    location: str,
    mode: OpenMode,
    remote: bool,
    store_options: dict[str, Any],
    conventions: str | None = None,
    container_kind: ContainerKind | None = None,
) -> OpenedHierarchy:
    from hdmf_lindi.conventions import DEFAULT_CONVENTIONS, get_conventions
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.containers import container_for
    from hdmf_lindi.storage.store import LindiStore

    if remote:
        raise LindiUnsupportedError(f"{location}: cannot create a remote file")
    if container_kind is None and container_kind_from_suffix(location) is None:
        raise LindiUnsupportedError(
            f"{location}: new LINDI files are named *.lindi.json, *.lindi.tar or *.lindi.d "
            "(use h5py / NWBHDF5IO to write HDF5)"
        )
    flavour = get_conventions(conventions or DEFAULT_CONVENTIONS)
    store = LindiStore.open(
        container_for(location, kind=container_kind) if container_kind else location,
        mode,
        **store_options,
    )
    try:
        if flavour.zarr_format != 2 and store.is_new:
            # the store starts a new file with a Zarr v2 root group
            for key in list(store.reference_map.keys()):
                store.reference_map.delete(key)
            flavour.write_group(store.reference_map, "/", {})
    except BaseException:
        store.close(commit=False)
        raise
    # a file another writer created meanwhile ("a") keeps its own flavour
    hierarchy = Hierarchy(store, flavour) if store.is_new else Hierarchy(store)
    return OpenedHierarchy(hierarchy, store, FileKind.LINDI, location, True)


def _open_hdf5(source: str, mode: OpenMode, store_options: dict[str, Any]) -> OpenedHierarchy:
    from hdmf_lindi.hdf5 import translate_source
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.store import LindiStore

    if mode not in ("r", "r+"):
        raise LindiUnsupportedError(
            f"{source}: an HDF5 file opens read-only or 'r+' with edits kept in memory, not "
            f"{mode!r}; write LINDI to a *.lindi.json / *.lindi.tar / *.lindi.d"
        )
    options = dict(store_options)
    if options["allow_local"] is None:
        options["allow_local"] = not is_remote_url(source)
    result = translate_source(source, local_cache=options["local_cache"])
    store = LindiStore(result.reference_map, read_only=mode == "r", **options)
    return OpenedHierarchy(Hierarchy(store), store, FileKind.HDF5, source, mode == "r+")


def _open_reference_file_system(
    document: Mapping[str, Any], mode: OpenMode, store_options: dict[str, Any]
) -> OpenedHierarchy:
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.reference_map import ReferenceMap
    from hdmf_lindi.storage.store import LindiStore

    if mode not in ("r", "r+", "a"):
        raise ValueError(f"a reference file system dict opens 'r', 'r+' or 'a', not {mode!r}")
    reference_map = ReferenceMap.from_dict(document, source=_RFS_NAME)
    store = LindiStore(reference_map, read_only=mode == "r", **store_options)
    return OpenedHierarchy(Hierarchy(store), store, FileKind.LINDI, _RFS_NAME, mode != "r")


def resolve_link_location(base: str, filename: str) -> str:
    """Where the file an external link names is: ``filename`` when it is absolute or a URL,
    else relative to the directory of ``base`` (the linking file's path or URL)."""
    if filename.startswith("file://"):
        return local_path(filename)
    if is_remote_url(filename) or os.path.isabs(filename):
        return filename
    if is_remote_url(base):
        if base.startswith(("http://", "https://")):
            return urljoin(base, filename)
        parts = urlsplit(base)
        directory = posixpath.dirname(parts.path)
        path = posixpath.normpath(posixpath.join(directory, filename))
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(base)), filename))


def check_link_target(base: str, filename: str, *, allow_local: bool | None = None) -> str:
    """The location an external link of ``base`` names (:func:`resolve_link_location`),
    checked against the policy refs follow: a local target is allowed when ``allow_local`` is
    true, refused when it is false; by default (``None``) refused only for a file that came
    from a URL.

    Raises
    ------
    LindiSecurityError
        The target is local and ``allow_local`` false, or ``None`` with a remote ``base``.
    """
    location = resolve_link_location(base, filename)
    if is_remote_url(location) or allow_local:
        return location
    if allow_local is False:
        raise LindiSecurityError(
            f"{base}: external link to {filename!r}: refusing to open the local file "
            f"{location!r} (allow_local=False)"
        )
    if is_remote_url(base):
        raise LindiSecurityError(
            f"{base}: external link to {filename!r}: refusing to open the local file "
            f"{location!r} for a file that came from a URL (pass allow_local=True to allow)"
        )
    return location


def open_linked_file(
    base: str, filename: str, *, local_cache: Any = None, allow_local: bool | None = None
) -> OpenedHierarchy:
    """Open, read-only, the file an external link of ``base`` names (see
    :func:`check_link_target`); the caller closes it.

    Parameters
    ----------
    base
        The linking file's path or URL.
    filename
        The file name the link holds.
    local_cache
        A ``LocalCache`` for remote byte ranges.
    allow_local
        The caller's ``allow_local`` (see :func:`open_hierarchy`): also passed on to the
        linked file.

    Raises
    ------
    LindiSourceError
        The file does not exist.
    LindiSecurityError
        A file that came from a URL links to a local file (and ``allow_local`` is not true).
    """
    location = check_link_target(base, filename, allow_local=allow_local)
    try:
        return open_hierarchy(location, "r", local_cache=local_cache, allow_local=allow_local)
    except LindiSourceError as exc:
        raise LindiSourceError(
            f"{base}: external link to {filename!r}: {location!r} cannot be opened ({exc})"
        ) from exc
