"""``LindiH5pyFile``: an ``h5py.File`` over a LINDI file (``.lindi.json``/``.lindi.tar``/
``.lindi.d``, a reference file system dict, or an HDF5 file translated on the fly)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import h5py
from h5py._hl.files import libver_dict_r

from hdmf_lindi import _json
from hdmf_lindi._paths import basename, join_path, normalize_path, parent_path
from hdmf_lindi.conventions.model import NodeKind, Reference, SoftLink
from hdmf_lindi.errors import (
    LindiArgumentError,
    LindiDanglingLinkError,
    LindiFormatError,
    LindiNotFoundError,
    LindiReadOnlyError,
    LindiSourceError,
    LindiUnsupportedError,
)
from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset
from hdmf_lindi.h5py_compat.group import LindiH5pyGroup
from hdmf_lindi.h5py_compat.reference import LindiH5pyReference
from hdmf_lindi.opening import (
    ContainerKind,
    FileKind,
    OpenedHierarchy,
    check_link_target,
    open_hierarchy,
    open_linked_file,
)
from hdmf_lindi.storage.store import DEFAULT_INLINE_THRESHOLD, OpenMode

if TYPE_CHECKING:
    from hdmf_lindi.conventions.model import DatasetInfo, Node
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.reference_map import ReferenceMap
    from hdmf_lindi.storage.staging import StagingArea
    from hdmf_lindi.storage.store import LindiStore

__all__ = ["LindiH5pyFile"]

type FileMode = OpenMode


class LindiH5pyFile(LindiH5pyGroup, h5py.File):
    """A LINDI file with h5py's API: ``isinstance(f, h5py.File)`` holds, so
    ``pynwb.NWBHDF5IO(file=f, mode=...)`` reads, appends to and writes it.

    Open one with :meth:`from_lindi_file`, :meth:`from_reference_file_system`,
    :meth:`from_hdf5_file` or :meth:`from_zarr_store`; the constructor is internal.

    Parameters
    ----------
    hierarchy
        The hierarchy (store + conventions) to present.
    filename
        What :attr:`filename` reports (the path or URL it was opened from).
    on_close
        Called once by :meth:`close` after the hierarchy is flushed (releases stores).
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        *,
        filename: str,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        # h5py's own __init__ opens an HDF5 file; not called on purpose.
        self._hierarchy_object: Hierarchy | None = hierarchy
        self._filename = filename
        self._on_close = on_close
        self._opened: OpenedHierarchy | None = None
        self._allow_local: bool | None = None
        self._writable = hierarchy.writable
        self._final_map: ReferenceMap | None = None
        self._final_staging_area: StagingArea | None = None
        self._external: dict[str, LindiH5pyFile] = {}
        # what the file was opened from (LindiIO(file=...) needs it)
        self._kind = FileKind.LINDI
        super().__init__(self, "/", "/")

    # ------------------------------------------------------------------ opening
    @classmethod
    def from_lindi_file(
        cls,
        url_or_path: str | os.PathLike[str],
        mode: FileMode = "r",
        local_cache: Any = None,
        staging_area: StagingArea | None = None,
        inline_threshold: int | None = DEFAULT_INLINE_THRESHOLD,
        conventions: str | None = None,
        *,
        allow_local: bool | None = None,
        container_kind: ContainerKind | None = None,
    ) -> LindiH5pyFile:
        """Open a ``.lindi.json``, ``.lindi.tar`` or ``.lindi.d`` (local path or URL), or a
        plain Zarr v3 directory written by hdmf-zarr's ``NWBZarrIO`` (read-only).

        Parameters
        ----------
        url_or_path
            The LINDI file.
        mode
            ``"r"`` read; ``"r+"`` read/write (must exist); ``"a"`` read/write, created when
            missing; ``"w"`` create or replace; ``"w-"``/``"x"`` create, fail if it exists.
            Changes are saved on :meth:`flush`/:meth:`close` (a new file appears under its name
            on :meth:`close`; a remote file's edits stay in memory: save them with
            :meth:`write_lindi_file`).
        local_cache
            A ``LocalCache`` for remote byte ranges.
        staging_area
            Where large new chunks are written (writable modes only).
        inline_threshold
            New chunks shorter than this many bytes are stored in the document, longer ones
            in the staging area or the container's blobs (a ``.lindi.json`` without a staging
            area keeps them inline as base64); chunks of strings, references and compound rows
            are always inline. ``None`` keeps every chunk inline.
        conventions
            The layout of a new file: ``"lindi-v1"`` (default) or ``"unified-zarr-v3"``;
            an existing file keeps its own.
        allow_local
            Whether chunk refs and external links may name local files (default: only when
            the file itself is local; a file read from a URL may reference remote files only).
        container_kind
            The container of a new file whose name has no LINDI suffix (``"json"``,
            ``"tar"``, ``"directory"``); existing files are recognised by their content.

        Returns
        -------
        LindiH5pyFile
            The open file.
        """
        opened = open_hierarchy(
            url_or_path,
            mode,
            local_cache=local_cache,
            staging_area=staging_area,
            inline_threshold=inline_threshold,
            conventions=conventions,
            allow_local=allow_local,
            container_kind=container_kind,
        )
        return cls._from_opened(opened, filename=os.fspath(url_or_path), allow_local=allow_local)

    @classmethod
    def from_reference_file_system(
        cls,
        rfs: dict[str, Any] | str | os.PathLike[str],
        mode: FileMode = "r",
        staging_area: StagingArea | None = None,
        local_cache: Any = None,
        *,
        allow_local: bool | None = None,
    ) -> LindiH5pyFile:
        """Open a reference file system: a ``.lindi.json``-style dict, or the path/URL of
        one. Edits (modes ``"r+"``, ``"a"``) stay in memory: export them with
        :meth:`to_reference_file_system` or :meth:`write_lindi_file`.

        Parameters
        ----------
        rfs
            The reference file system dict, or the path or URL of a LINDI file.
        mode
            ``"r"``, ``"r+"`` or ``"a"``.
        staging_area
            Where large new chunks are written (writable modes only).
        local_cache
            A ``LocalCache`` for remote byte ranges.
        allow_local
            Whether chunk refs and external links may name local files (default: only when
            the file itself is local; a file read from a URL may reference remote files only).

        Returns
        -------
        LindiH5pyFile
            The open file.
        """
        from hdmf_lindi.hierarchy import Hierarchy
        from hdmf_lindi.storage.store import LindiStore

        if mode not in ("r", "r+", "a"):
            raise ValueError(
                f"from_reference_file_system: mode must be 'r', 'r+' or 'a', got {mode!r}"
            )
        if isinstance(rfs, dict):
            opened = open_hierarchy(
                rfs,
                mode,
                staging_area=staging_area,
                local_cache=local_cache,
                allow_local=allow_local,
            )
            return cls._from_opened(opened, filename=opened.location, allow_local=allow_local)
        if not isinstance(rfs, (str, os.PathLike)):
            raise TypeError(
                f"from_reference_file_system: expected a dict, path or URL, got {type(rfs)}"
            )
        if staging_area is not None and mode == "r":
            raise ValueError("a staging area needs a writable mode ('r+' or 'a')")
        source = open_hierarchy(rfs, "r", local_cache=local_cache, allow_local=allow_local)
        try:
            store = LindiStore(
                source.store.reference_map.copy(),
                router=source.store.router,
                staging_area=staging_area,
                read_only=mode == "r",
            )
        except BaseException:
            source.close(commit=False)
            raise
        opened = OpenedHierarchy(Hierarchy(store), store, source.kind, source.location, mode != "r")
        opened.closers.append(lambda: source.close(commit=False))
        return cls._from_opened(opened, filename=os.fspath(rfs), allow_local=allow_local)

    @classmethod
    def from_hdf5_file(
        cls,
        url_or_path: str | os.PathLike[str],
        local_cache: Any = None,
        mode: Literal["r", "r+"] = "r",
        staging_area: StagingArea | None = None,
        *,
        allow_local: bool | None = None,
    ) -> LindiH5pyFile:
        """Open an HDF5 file (local path or URL) as LINDI: its metadata is translated once,
        its chunks are read from the HDF5 file by byte range.

        Parameters
        ----------
        url_or_path
            The HDF5/NWB file.
        local_cache
            A ``LocalCache`` for remote byte ranges.
        mode
            ``"r"``, or ``"r+"`` to add objects in memory (the HDF5 file is never modified);
            save the result with :meth:`write_lindi_file`.
        staging_area
            Where large new chunks are written (mode ``"r+"`` only).
        allow_local
            Whether chunk refs and external links may name local files (default: only when
            the file itself is local; a file read from a URL may reference remote files only).

        Returns
        -------
        LindiH5pyFile
            The open file.
        """
        if mode not in ("r", "r+"):
            raise ValueError(f"from_hdf5_file: mode must be 'r' or 'r+', got {mode!r}")
        opened = open_hierarchy(
            url_or_path,
            mode,
            local_cache=local_cache,
            staging_area=staging_area,
            kind=FileKind.HDF5,
            allow_local=allow_local,
        )
        return cls._from_opened(opened, filename=os.fspath(url_or_path), allow_local=allow_local)

    @classmethod
    def from_zarr_store(cls, store: Any, mode: Literal["r", "r+"] | None = None) -> LindiH5pyFile:
        """Present a :class:`~hdmf_lindi.storage.store.LindiStore` as a file, or open a plain
        Zarr v3 directory (its path, or a ``zarr.storage.LocalStore`` on it) read-only.

        Parameters
        ----------
        store
            The store; it stays open when the file closes (the caller closes it). A path or a
            ``LocalStore`` names a Zarr v3 directory (e.g. written by ``NWBZarrIO``).
        mode
            ``"r"`` read-only; ``"r+"`` writable (the store must be); ``None``: writable when
            the store is.

        Returns
        -------
        LindiH5pyFile
            The file.
        """
        from hdmf_lindi.hierarchy import Hierarchy
        from hdmf_lindi.storage.store import LindiStore

        root = _zarr_directory_of(store)
        if root is not None:
            if mode not in (None, "r"):
                raise LindiReadOnlyError(f"{root}: a plain Zarr directory opens read-only")
            return cls._from_opened(open_hierarchy(root, "r"), filename=root)
        if not isinstance(store, LindiStore):
            raise LindiUnsupportedError(
                f"from_zarr_store needs a hdmf_lindi LindiStore, got {type(store).__name__}"
            )
        if mode == "r" and not store.read_only:
            store = store.with_read_only(True)
        elif mode == "r+" and store.read_only:
            raise LindiReadOnlyError(f"{store}: the store is read-only; cannot open with 'r+'")
        hierarchy = Hierarchy(store)
        return cls(hierarchy, filename=store.display_name, on_close=hierarchy.close)

    @classmethod
    def _from_opened(
        cls, opened: OpenedHierarchy, *, filename: str, allow_local: bool | None = None
    ) -> LindiH5pyFile:
        file = cls(opened.hierarchy, filename=filename, on_close=opened.close)
        file._opened = opened
        file._allow_local = allow_local
        file._kind = opened.kind
        return file

    # ------------------------------------------------------------------ exporting
    def to_reference_file_system(self) -> dict[str, Any]:
        """The file as a reference file system dict (a deep copy, ``.lindi.json`` layout);
        also available after :meth:`close`.

        Returns
        -------
        dict
            ``{"version": 1, "refs": {...}, ...}``.
        """
        document = self._reference_map().to_dict()
        return _json.loads(_json.dumps(document))

    def write_lindi_file(
        self,
        path: str | os.PathLike[str],
        *,
        generation_metadata: dict[str, Any] | None = None,
    ) -> None:
        """Write the file's current content to ``path``: ``*.lindi.json``, ``*.lindi.tar`` or
        ``*.lindi.d`` (chosen by suffix; replaced atomically). Chunk refs keep pointing where
        they point; inline chunks stay in the document; chunks in the file's staging area
        are copied into a ``.lindi.tar`` / ``.lindi.d`` (a ``.lindi.json`` keeps naming
        them). Also available after :meth:`close`.

        Parameters
        ----------
        path
            Where to write; its suffix chooses the layout.
        generation_metadata
            Stored as the document's ``generationMetadata``.

        Raises
        ------
        LindiUnsupportedError
            When chunks live in this file's own container (``./blobs/...`` of a ``.lindi.tar``
            or ``.lindi.d``): such refs would dangle next to ``path``.
        """
        from hdmf_lindi.hdf5.convert import write_reference_map

        reference_map = self._reference_map().copy()
        relative = [
            key
            for key in reference_map
            if isinstance(value := reference_map.get_raw(key), list)
            and value
            and isinstance(value[0], str)
            and value[0].startswith("./")
        ]
        if relative:
            raise LindiUnsupportedError(
                f"{self._filename}: {len(relative)} chunks (e.g. {relative[0]!r}) are blobs of "
                f"this container; writing them by reference to {os.fspath(path)!r} would leave "
                "dangling refs (copy the container instead)"
            )
        if generation_metadata is not None:
            reference_map.generation_metadata = dict(generation_metadata)
        write_reference_map(reference_map, path, staging_area=self._staging_area())

    def upload(
        self,
        *,
        on_upload_blob: Callable[[str], str] | None = None,
        on_upload_main: Callable[[str], str] | None = None,
        on_store_blob: Callable[[str], str] | None = None,
        on_store_main: Callable[[str], str] | None = None,
    ) -> str:
        """Upload the file through caller-supplied functions (lindi 0.4's ``upload``; lindi
        0.3's ``on_store_blob`` / ``on_store_main`` names are accepted too).

        Every local blob the file needs (staged chunks, blobs of a local ``.lindi.d`` /
        ``.lindi.tar``, other local files) is passed to ``on_upload_blob`` as a local path;
        it returns the blob's new URL. Then the document, its refs rewritten to those URLs,
        is written to a temporary ``.lindi.json`` and passed to ``on_upload_main``, whose
        return value is returned. Refs to remote URLs are kept.

        Parameters
        ----------
        on_upload_blob, on_upload_main
            ``fn(local_path) -> url``.
        on_store_blob, on_store_main
            The same, under lindi 0.3's names.

        Returns
        -------
        str
            What ``on_upload_main`` returned.

        Raises
        ------
        TypeError
            When a blob or main hook is missing.
        """
        from hdmf_lindi.transfer.blobs import lindi_source_from_map
        from hdmf_lindi.transfer.upload import upload_with_hooks

        blob_hook = on_upload_blob or on_store_blob
        main_hook = on_upload_main or on_store_main
        if blob_hook is None or main_hook is None:
            raise TypeError("upload needs on_upload_blob and on_upload_main")
        source = lindi_source_from_map(self._reference_map(), self._filename)
        return upload_with_hooks(source, on_upload_blob=blob_hook, on_upload_main=main_hook)

    # ------------------------------------------------------------------ h5py.File API
    @property
    def filename(self) -> str:
        """The path or URL the file was opened from."""
        return self._filename

    @property
    def mode(self) -> str:
        """``"r"`` or ``"r+"``, as h5py reports it (files opened ``"w"``/``"a"`` are ``"r+"``)."""
        return "r+" if self._writable else "r"

    @property
    def driver(self) -> str:
        """The low-level driver (``"lindi"``: not an HDF5 driver)."""
        return "lindi"

    @property
    def libver(self) -> tuple[str, str]:
        """HDF5 library version bounds (not applicable): what h5py reports for a file opened
        with its default bounds (``("earliest", "v200")`` with HDF5 2.0)."""
        return ("earliest", libver_dict_r[h5py.h5f.LIBVER_LATEST])

    @property
    def userblock_size(self) -> int:
        """HDF5 user block size (none)."""
        return 0

    @property
    def meta_block_size(self) -> int:
        """HDF5 metadata block size (not applicable): HDF5's default, 2048, as h5py reports
        for a file opened with default settings."""
        return 2048

    @property
    def swmr_mode(self) -> bool:
        """HDF5 single-writer/multiple-reader mode (never)."""
        return False

    @swmr_mode.setter
    def swmr_mode(self, value: bool) -> None:
        if not value:
            raise LindiArgumentError(
                f"{self._filename}: It is not possible to forcibly switch SWMR mode off."
            )
        raise LindiUnsupportedError(
            f"{self._filename}: HDF5 SWMR mode is not supported by LINDI files"
        )

    @classmethod
    def in_memory(cls, file_image: Any = None, **kwargs: Any) -> LindiH5pyFile:
        """In-memory HDF5 files are not LINDI files (use ``h5py.File.in_memory``, or
        :meth:`from_lindi_file` with a ``.lindi.json`` path).

        Raises
        ------
        LindiUnsupportedError
            Always.
        """
        raise LindiUnsupportedError(
            "LindiH5pyFile.in_memory: in-memory HDF5 files are not supported (open a LINDI "
            "file with LindiH5pyFile.from_lindi_file)"
        )

    @property
    def store(self) -> LindiStore:
        """The underlying LINDI store."""
        return self._hierarchy.store

    @property
    def hierarchy(self) -> Hierarchy:
        """The hierarchy (store + conventions) this file presents."""
        return self._hierarchy

    def flush(self) -> None:
        """Save pending changes to a local LINDI file (a remote one keeps them in memory)."""
        if self._writable and not self._is_remote_container():
            self._hierarchy.flush()

    def close(self) -> None:
        """Save pending changes (see :meth:`flush`) and release the store; idempotent."""
        self._close(commit=True)

    def _close(self, *, commit: bool) -> None:
        """Close; without ``commit`` nothing unsaved is saved (a new file is not created)."""
        if self._hierarchy_object is None:
            return
        try:
            if commit:
                self.flush()
        finally:
            self._final_map = self._hierarchy_object.store.reference_map
            self._final_staging_area = self._hierarchy_object.store.staging_area
            self._hierarchy_object = None
            on_close, self._on_close = self._on_close, None
            opened, self._opened = self._opened, None
            externals = list(self._external.values())
            self._external.clear()
            try:
                if opened is not None:
                    opened.close(commit=commit)
                elif on_close is not None:
                    on_close()
            finally:
                for external in externals:
                    external.close()

    def __enter__(self) -> LindiH5pyFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close; an exception in the ``with`` block discards what was not saved yet (a new
        file is not created; an existing one keeps its last saved state)."""
        self._close(commit=exc_type is None)

    def __repr__(self) -> str:
        if not self._is_open:
            return "<Closed LindiH5pyFile>"
        return f'<LindiH5pyFile "{self._filename}" (mode {self.mode})>'

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LindiH5pyGroup):
            return self.id == other.id
        return NotImplemented

    def __bool__(self) -> bool:
        return self._is_open

    # ------------------------------------------------------------------ internals
    @property
    def _is_open(self) -> bool:
        return self._hierarchy_object is not None

    @property
    def _hierarchy(self) -> Hierarchy:
        hierarchy = self._hierarchy_object
        if hierarchy is None:
            raise ValueError(f"{self._filename}: the LINDI file is closed")
        return hierarchy

    def _reference_map(self) -> ReferenceMap:
        """The current map; after :meth:`close`, the map as it was then (so that, as with
        lindi 0.4.6, a file closed by ``NWBHDF5IO`` can still be exported)."""
        if self._hierarchy_object is None and self._final_map is not None:
            return self._final_map
        return self._hierarchy.store.reference_map

    def _staging_area(self) -> StagingArea | None:
        """The store's staging area; after :meth:`close`, the one it had then."""
        if self._hierarchy_object is None:
            return self._final_staging_area
        return self._hierarchy.store.staging_area

    def _is_remote_container(self) -> bool:
        container = self._hierarchy.store.container
        return container is not None and bool(container.is_remote)

    def _check_writable(self, action: str) -> None:
        if not self._writable:
            raise LindiReadOnlyError(
                f"{self._filename}: opened read-only (mode 'r'); cannot {action}"
            )
        self._hierarchy  # noqa: B018 - raises when closed

    def _changed(self) -> None:
        """Hook called after every write (metadata is re-read from the map on access)."""

    def _children(self, target: str) -> list[str]:
        return self._hierarchy.children(target)

    def _node_attrs(self, target: str) -> dict[str, Any]:
        node = self._hierarchy.node(target)
        if node is None:
            raise KeyError(f"{self._filename}: no object at {target!r}")
        return dict(node.attrs)

    def _set_attrs(self, target: str, attrs: dict[str, Any]) -> None:
        self._hierarchy.set_attrs(target, attrs)

    def _delete_attr(self, target: str, name: str) -> None:
        self._hierarchy.delete_attr(target, name)

    def _dataset_info(self, target: str) -> DatasetInfo:
        node = self._hierarchy.node(target)
        if node is None or node.dataset is None:
            raise KeyError(f"{self._filename}: dataset {target!r} no longer exists")
        return node.dataset

    def _link_node(self, path: str) -> Node | None:
        """The node named by ``path`` (its last component not followed), ``None`` when absent;
        soft links in the parent components are followed."""
        path = normalize_path(path)
        hierarchy = self._hierarchy
        if path == "/":
            return hierarchy.node("/")
        parent = hierarchy.resolve(parent_path(path))
        if parent is None or parent.kind is not NodeKind.GROUP:
            return None
        return hierarchy.node(join_path(parent.path, basename(path)))

    def _link_exists(self, path: str) -> bool:
        """Whether a link is named ``path`` (its last component not followed), as h5py's
        ``name in group`` answers: ``False`` when a component on the way is missing, a
        dataset, or a soft link to a missing object; a soft link on the way whose target's
        group cannot be reached raises :class:`LindiDanglingLinkError` (a ``RuntimeError``,
        as h5py's) and a soft link cycle raises :class:`LindiLinkCycleError`."""
        hierarchy = self._hierarchy
        parts = [part for part in normalize_path(path).split("/") if part]
        current = "/"
        for index, part in enumerate(parts):
            candidate = join_path(current, part)
            node = hierarchy.node(candidate)
            if node is None:
                return False
            if index == len(parts) - 1:
                return True
            if node.kind is NodeKind.SOFT_LINK and isinstance(node.link, SoftLink):
                followed = node
                while followed.kind is NodeKind.SOFT_LINK and isinstance(followed.link, SoftLink):
                    target = followed.link.path
                    try:
                        group = hierarchy.resolve(parent_path(target))
                    except LindiDanglingLinkError:
                        group = None
                    if group is None or group.kind is not NodeKind.GROUP:
                        raise LindiDanglingLinkError(
                            f"{self._filename}: Unable to determine if {candidate!r} exists "
                            f"(the target {target!r} of a link on the way is in no group)"
                        )
                    linked = hierarchy.node(join_path(group.path, basename(target)))
                    if linked is None:
                        return False
                    with contextlib.suppress(LindiDanglingLinkError):
                        hierarchy.resolve(linked.path)  # a cycle raises
                    followed = linked
                try:
                    node = hierarchy.resolve(followed.path)
                except LindiDanglingLinkError:
                    return False
                if node is None:
                    return False
            if node.kind is not NodeKind.GROUP:
                return False
            current = node.path
        return True

    def _open_path(self, path: str) -> LindiH5pyGroup | LindiH5pyDataset | Any:
        """The group or dataset at ``path`` (soft links followed)."""
        path = normalize_path(path)
        node = self._hierarchy.resolve(path)
        if node is None:
            linked = self._open_through_external_link(path)
            if linked is not None:
                return linked
            raise LindiNotFoundError(f"{self._filename}: no object named {path!r}")
        if node.kind is NodeKind.GROUP:
            return LindiH5pyGroup(self, path, node.path)
        if node.kind is NodeKind.DATASET:
            return LindiH5pyDataset(self, path, node.path)
        if node.kind is NodeKind.EXTERNAL_LINK and node.link is not None:
            return self._open_external(path, node.link.filename, node.link.path)  # type: ignore[union-attr]
        raise KeyError(f"{self._filename}: cannot open {path!r} ({node.kind.value})")

    def _open_through_external_link(self, path: str) -> Any:
        """The object at ``path`` when one of its parent components is an external link (as
        h5py, the object of the target file: its ``file``, ``name`` and references are the
        target's), else ``None``."""
        names = path.strip("/").split("/")
        for i in range(1, len(names)):
            prefix = "/" + "/".join(names[:i])
            try:
                node = self._hierarchy.resolve(prefix)
            except KeyError:
                return None
            if node is None:
                return None
            if node.kind is NodeKind.EXTERNAL_LINK and node.link is not None:
                linked = self._open_external(prefix, node.link.filename, node.link.path)  # type: ignore[union-attr]
                return linked["/".join(names[i:])]
            if node.kind is not NodeKind.GROUP:
                return None
        return None

    def _open_external(self, path: str, filename: str, target: str) -> Any:
        """Follow an external link: open ``filename`` (relative to this file's directory;
        LINDI or HDF5), kept open until this file closes."""
        location = check_link_target(self._filename, filename, allow_local=self._allow_local)
        other = self._external.get(location)
        if other is None:
            try:
                opened = open_linked_file(self._filename, filename, allow_local=self._allow_local)
            except LindiSourceError as exc:
                raise LindiDanglingLinkError(
                    f"{self._filename}: external link {path!r} names a file that cannot be "
                    f"opened ({exc})"
                ) from exc
            other = LindiH5pyFile._from_opened(
                opened, filename=location, allow_local=self._allow_local
            )
            self._external[location] = other
        try:
            return other[target]
        except KeyError:
            raise LindiDanglingLinkError(
                f"{self._filename}: external link {path!r}: no object {target!r} in {location!r}"
            ) from None

    def _reference_to(self, target: str) -> LindiH5pyReference:
        hierarchy = self._hierarchy
        node = self._link_node(target)
        root = hierarchy.node("/")
        return LindiH5pyReference(
            Reference(
                path=target,
                source=".",
                object_id=node.object_id if node is not None else None,
                source_object_id=root.object_id if root is not None else None,
            )
        )

    def _dereference(self, ref: h5py.h5r.Reference) -> Any:
        if not ref:
            raise LindiFormatError(
                f"{self._filename}: Invalid HDF5 object reference (a null reference)"
            )
        if not isinstance(ref, LindiH5pyReference):
            raise LindiUnsupportedError(
                f"{self._filename}: cannot dereference {ref!r}: not a reference read from a "
                "LINDI file"
            )
        node = self._hierarchy.dereference(ref.reference)
        return self._open_path(node.path)


def _zarr_directory_of(store: Any) -> str | None:
    """The directory a path or a zarr ``LocalStore`` names, when it holds a Zarr v3 hierarchy."""
    from zarr.storage import LocalStore

    from hdmf_lindi.storage.zarr_directory import is_zarr_directory

    if isinstance(store, LocalStore):
        root = str(store.root)
    elif isinstance(store, str | os.PathLike):
        root = os.fspath(store)
    else:
        return None
    return root if is_zarr_directory(root) else None
