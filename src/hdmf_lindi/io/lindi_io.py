"""``LindiIO``: an hdmf backend that reads and writes NWB (or any hdmf) files as LINDI.

Used like ``NWBHDF5IO``::

    with LindiIO("session.lindi.tar", mode="w") as io:
        io.write(nwbfile)
    with LindiIO("session.lindi.tar") as io:
        nwbfile = io.read()

Reads ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` files (local or URL) and, read-only,
HDF5/NWB files (local or URL, through the HDF5 translator: a remote ``.nwb`` opens lazily).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
from hdmf.backends.errors import UnsupportedOperation
from hdmf.backends.io import HDMFIO
from hdmf.backends.utils import WriteStatusTracker
from hdmf.build import Builder, BuildManager, GroupBuilder, ObjectMapper, TypeMap
from hdmf.container import Container
from hdmf.spec import NamespaceCatalog

from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.errors import LindiError, LindiUnsupportedError
from hdmf_lindi.io.datasets import LindiArrayDataset, LindiDataset
from hdmf_lindi.io.errors import (
    LindiFileModeError,
    LindiIOReadOnlyError,
    LindiNotNWBError,
    LindiUnsupportedOperation,
)
from hdmf_lindi.io.h5py_view import H5pyFileView
from hdmf_lindi.io.linked import LinkedFile, reference_target
from hdmf_lindi.io.read import BuilderReader, cast_inferred_attributes
from hdmf_lindi.io.specs import (
    cache_spec,
    cached_namespace_versions,
    load_cached_namespaces,
    spec_location,
)
from hdmf_lindi.io.write import BuilderWriter
from hdmf_lindi.opening import (
    ContainerKind,
    FileKind,
    OpenedHierarchy,
    check_link_target,
    local_path,
    open_hierarchy,
    open_linked_file,
)
from hdmf_lindi.storage.sources import is_remote_url
from hdmf_lindi.storage.store import (
    CREATING_MODES,
    DEFAULT_INLINE_THRESHOLD,
    EXCLUSIVE_MODES,
    MODES,
)

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat import LindiH5pyFile
    from hdmf_lindi.hierarchy import Hierarchy

__all__ = ["LindiIO", "read_nwb"]

_EXPANDABLE = ("VectorData", "ElementIdentifiers")


class LindiIO(HDMFIO):
    """Read and write hdmf/NWB containers as LINDI.

    The parameters shared with ``pynwb.NWBHDF5IO`` come first, in its order; the others are
    keyword-only.

    Parameters
    ----------
    path
        A ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` path or URL; for reading also an
        HDF5/NWB path or URL. Existing files are recognised by their content.
    mode
        ``"r"`` read; ``"r+"`` read and modify; ``"a"`` modify, created when missing; ``"w"``
        create (an existing file is replaced when the new one is complete); ``"w-"``/``"x"``
        create, fail if it exists.
    load_namespaces
        Load the namespaces cached in the file (ignored when creating a file or when
        ``manager`` is given), as ``NWBHDF5IO`` does.
    manager
        A ``BuildManager`` or ``TypeMap``; pynwb's by default.
    file
        An open :class:`~hdmf_lindi.LindiH5pyFile` to read or write instead of ``path``
        (closed by :meth:`close`, as ``NWBHDF5IO`` closes the ``h5py.File`` it is given).
    comm
        MPI communicator: not supported (must be ``None``).
    driver
        ``None``, or ``"ros3"`` (accepted for parity: URLs are read natively).
    aws_region
        Not supported (must be ``None``); object store URLs use the default credentials chain.
    herd_path
        Path of a HERD zip to read/write alongside, as in hdmf.
    extensions
        Namespace YAML path(s) or a ``TypeMap`` of extensions to add to pynwb's type map.
    local_cache
        A ``LocalCache`` for remote byte ranges.
    inline_threshold
        Chunks smaller than this many bytes are kept in the JSON; larger ones go to the
        ``.lindi.d``/``.lindi.tar`` blobs or the staging area (a plain ``.lindi.json`` without
        one keeps them inline too, as lindi 0.4.6 does). Chunks of strings, references and
        compound rows are always kept in the JSON. ``None`` keeps everything in the JSON.
    staging_area
        A ``StagingArea`` receiving large chunks.
    container_kind
        The container of a new file whose name has no LINDI suffix (``"json"``, ``"tar"``
        or ``"directory"``); by default the suffix decides.
    conventions
        The layout of a new file: ``"lindi-v1"`` (the default; what lindi 0.4.6 and
        neurosift read) or ``"unified-zarr-v3"`` (Zarr v3 keys, what hdmf-zarr 0.14's
        ``NWBZarrIO`` reads). Existing files keep theirs. ``path`` may also name a plain Zarr
        v3 directory written by ``NWBZarrIO`` (read-only).
    allow_local
        Whether chunk refs and external links may name local files (default: only when the
        file itself is local; a file read from a URL may reference remote files only).

    Raises
    ------
    hdmf.backends.errors.UnsupportedOperation
        (:class:`~hdmf_lindi.io.errors.LindiFileModeError`) The file is missing in mode
        ``"r"``/``"r+"`` or exists in mode ``"w-"``/``"x"``; same message as ``NWBHDF5IO``.
    ValueError
        Neither or both of ``path`` and ``file`` (naming different files), or a bad mode.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        mode: str = "r",
        load_namespaces: bool = True,
        manager: BuildManager | TypeMap | None = None,
        file: LindiH5pyFile | None = None,
        comm: Any = None,
        driver: str | None = None,
        aws_region: str | None = None,
        herd_path: str | None = None,
        *,
        extensions: str | Iterable[str] | TypeMap | None = None,
        local_cache: Any = None,
        inline_threshold: int | None = DEFAULT_INLINE_THRESHOLD,
        staging_area: Any = None,
        container_kind: ContainerKind | None = None,
        conventions: str | None = None,
        allow_local: bool | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        _check_unsupported_options(comm, driver, aws_region)
        self._path = _check_path_file(path, file)
        self._mode = mode
        self._local_cache = local_cache
        self._inline_threshold = inline_threshold
        self._staging_area = staging_area
        self._container_kind = container_kind
        self._file_object = file
        self._conventions = conventions
        self._allow_local = allow_local
        self._opened: OpenedHierarchy | None = None
        self._reader: BuilderReader | None = None
        self._root_builder: GroupBuilder | None = None
        self._external: dict[str, tuple[OpenedHierarchy, BuilderReader, LinkedFile]] = {}
        self._h5py_view: H5pyFileView | None = None
        self._written = WriteStatusTracker()
        self._failed = False
        ObjectMapper.no_convert(LindiDataset)
        ObjectMapper.no_convert(LindiArrayDataset)
        if file is None:
            _check_exists(self._path, mode)

        if mode in CREATING_MODES or manager is not None:
            load_namespaces = False
        if load_namespaces:
            self.open()
            assert self._opened is not None
            try:
                type_map = _nwb_type_map(extensions)
                load_cached_namespaces(self._opened.hierarchy, type_map)
            except BaseException:
                self._release(commit=False)
                raise
            manager = BuildManager(type_map)
        elif manager is None:
            manager = BuildManager(_nwb_type_map(extensions))
        elif isinstance(manager, TypeMap):
            manager = BuildManager(manager)
        source = self._path if is_remote_url(self._path) else os.path.abspath(self._path)
        try:
            super().__init__(manager=manager, source=source, herd_path=herd_path)
        except BaseException:
            self._release(commit=False)  # the writer lock self.open() took
            raise

    # ------------------------------------------------------------------ opening and closing
    def open(self) -> None:
        """Open the file (done by the constructor)."""
        if self._opened is not None:
            return
        if self._file_object is not None:
            self._opened = _opened_from_file(self._file_object, self._mode)
            return
        opened = open_hierarchy(
            self._path,
            self._mode,
            local_cache=self._local_cache,
            staging_area=self._staging_area,
            inline_threshold=self._inline_threshold,
            container_kind=self._container_kind,
            conventions=self._conventions,
            allow_local=self._allow_local,
        )
        if opened.kind is FileKind.HDF5 and self._mode != "r":
            opened.close(commit=False)
            raise LindiUnsupportedError(
                f"{self._path}: an HDF5 file is opened read-only by LindiIO (mode "
                f"{self._mode!r}); use NWBHDF5IO to modify it, or export it to LINDI"
            )
        self._opened = opened
        source = self._path if is_remote_url(self._path) else os.path.abspath(self._path)
        self._h5py_view = H5pyFileView(opened.hierarchy, source, self.close)

    def h5py_file(self) -> LindiH5pyFile:
        """The open file as a :class:`~hdmf_lindi.LindiH5pyFile` (the ``file`` of the datasets
        read from it, as HDF5IO's datasets have its ``h5py.File``): the ``file=`` given to the
        constructor, else a view of the file this IO opened (closed with it); closing it
        closes this IO's file."""
        if self._file_object is not None:
            return self._file_object
        if self._h5py_view is None:
            raise UnsupportedOperation(f"{self.source}: the file is not open")
        return self._h5py_view.file

    def close(self, close_links: bool = True) -> None:
        """Close the file: save the changes of a successful write (a new file appears under its
        name only now); after a failed write, discard them.

        Parameters
        ----------
        close_links
            Also close the files that external links of this file opened (as
            ``NWBHDF5IO.close``); with ``False`` they stay open for the containers read from
            them until :meth:`close_linked_files`.
        """
        try:
            self._release(commit=not self._failed)
        finally:
            if close_links:
                self.close_linked_files()

    def close_linked_files(self) -> None:
        """Close the files that external links of this file opened."""
        externals = list(self._external.values())
        self._external.clear()
        for external, _, linked in externals:
            linked.detach_h5py_file()
            external.close(commit=False)

    def _release(self, *, commit: bool) -> None:
        opened, self._opened = self._opened, None
        if opened is None:
            return
        if self._h5py_view is not None:
            self._h5py_view.detach()
        file_object = self._file_object
        if file_object is not None:
            # the file given to us is closed as NWBHDF5IO closes its h5py.File: saved after a
            # successful write; after a failed one its unsaved changes are discarded
            file_object._close(commit=commit)
        else:
            opened.close(commit=commit)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close; an exception in the ``with`` block discards the changes (a new file is not
        created, an existing one keeps its last saved state)."""
        if exc_type is not None:
            self._failed = True
        self.close()

    def is_open(self) -> bool:
        """Whether the file is open."""
        return self._opened is not None

    @property
    def mode(self) -> str:
        """The mode the file was opened in."""
        return self._mode

    @property
    def _file(self) -> Any:
        """The open hierarchy (what ``pynwb.validate(io=...)`` hands back to
        :meth:`load_namespaces` as ``file=``)."""
        return self._open_file().hierarchy

    @property
    def hierarchy(self) -> Any:
        """The open file's :class:`~hdmf_lindi.hierarchy.Hierarchy`."""
        return self._open_file().hierarchy

    def _open_file(self) -> OpenedHierarchy:
        if self._opened is None:
            raise UnsupportedOperation(f"{self.source}: the file is closed")
        return self._opened

    def __repr__(self) -> str:
        state = "open" if self.is_open() else "closed"
        return f"<LindiIO {self._path!r} mode={self._mode!r} ({state})>"

    # ------------------------------------------------------------------ namespaces
    @classmethod
    def can_read(cls, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is an NWB file (LINDI or HDF5, local or URL) LindiIO can read.

        As ``NWBHDF5IO.can_read``: ``False`` for what cannot be opened, and ``False`` with a
        ``UserWarning`` for a file without ``nwb_version`` (non-NWB HDF5 included) or with a
        version below 2.
        """
        try:
            opened = open_hierarchy(os.fspath(path), "r")
        except (LindiError, OSError):
            return False
        try:
            _text, version = _nwb_version(opened.hierarchy)
        finally:
            opened.close(commit=False)
        if version is None:
            warnings.warn(
                "Cannot read because missing NWB version in the HDF5 file. The file is not a "
                "valid NWB file.",
                stacklevel=2,
            )
            return False
        if isinstance(version[0], int) and version[0] < 2:
            warnings.warn(
                "Cannot read because PyNWB supports NWB files version 2 and above.", stacklevel=2
            )
            return False
        return True

    @classmethod
    def load_namespaces(
        cls,
        namespace_catalog: NamespaceCatalog | TypeMap,
        path: str | os.PathLike[str] | None = None,
        namespaces: list[str] | None = None,
        io: LindiIO | None = None,
        local_cache: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Load the namespaces cached in a file into ``namespace_catalog``.

        Parameters
        ----------
        namespace_catalog
            Where to load them (a ``NamespaceCatalog`` or ``TypeMap``).
        path
            The file, when no open ``io`` is given.
        namespaces
            The namespaces to load (default: all cached).
        io
            An open LindiIO to read them from.
        local_cache
            A ``LocalCache`` for remote byte ranges.
        **kwargs
            ``file=``: an open hierarchy (as ``pynwb.validate`` passes it).

        Returns
        -------
        dict
            Namespace name -> the types it includes, as hdmf's ``load_namespaces``.
        """
        if io is not None:
            return io.load_namespaces_io(namespace_catalog, namespaces)
        hierarchy = kwargs.get("file")
        if hierarchy is not None:
            # pynwb.validate passes ``file=io._file``: the open file's hierarchy
            return load_cached_namespaces(hierarchy, namespace_catalog, namespaces)
        if path is None:
            raise ValueError("load_namespaces needs a path or an open LindiIO (io=)")
        opened = open_hierarchy(os.fspath(path), "r", local_cache=local_cache)
        try:
            return load_cached_namespaces(opened.hierarchy, namespace_catalog, namespaces)
        finally:
            opened.close(commit=False)

    def load_namespaces_io(
        self,
        namespace_catalog: NamespaceCatalog | TypeMap,
        namespaces: list[str] | None = None,
    ) -> dict[str, Any]:
        """Load the namespaces cached in this open file into ``namespace_catalog``."""
        return load_cached_namespaces(self._open_file().hierarchy, namespace_catalog, namespaces)

    @classmethod
    def get_namespaces(
        cls, path: str | os.PathLike[str], local_cache: Any = None
    ) -> dict[str, str]:
        """Names and versions of the namespaces cached in a file."""
        opened = open_hierarchy(os.fspath(path), "r", local_cache=local_cache)
        try:
            return cached_namespace_versions(opened.hierarchy)
        finally:
            opened.close(commit=False)

    @property
    def nwb_version(self) -> tuple[str | None, tuple[int | str, ...] | None]:
        """The file's NWB version as ``(string, parsed tuple)``; ``(None, None)`` if absent."""
        return _nwb_version(self._open_file().hierarchy)

    # ------------------------------------------------------------------ reading
    def read(self, skip_version_check: bool = False, **kwargs: Any) -> Container:
        """Read the file's root container (an ``NWBFile`` for NWB files).

        Parameters
        ----------
        skip_version_check
            Read files without (or with an old) ``nwb_version``.
        **kwargs
            Passed to ``HDMFIO.read``.

        Returns
        -------
        hdmf.container.Container
            The root container.

        Raises
        ------
        UnsupportedOperation
            The file was opened in a creating mode, or is empty.
        TypeError
            The NWB version is missing or older than 2 (unless ``skip_version_check``).

        Notes
        -----
        The exceptions and their messages are those of ``NWBHDF5IO.read``.
        """
        if self._mode in CREATING_MODES:
            raise LindiUnsupportedOperation(
                f"Cannot read from file {self.source} in mode '{self._mode}'. Please use mode "
                "'r', 'r+', or 'a'."
            )
        if not skip_version_check:
            version_text, version = self.nwb_version
            if version is None:
                raise LindiNotNWBError(
                    "Missing NWB version in file. The file is not a valid NWB file."
                )
            if isinstance(version[0], int) and version[0] < 2:
                raise LindiNotNWBError(
                    f"NWB version {version_text} not supported. PyNWB supports NWB files version "
                    "2 and above."
                )
        container: Container = super().read(**kwargs)
        return container

    def read_builder(self) -> GroupBuilder:
        """The builder of the whole file (read once, then cached)."""
        if self._root_builder is None:
            hierarchy = self._open_file().hierarchy
            ignore: set[str] = set()
            location = spec_location(hierarchy)
            if location is not None:
                ignore.add(location)
            reader = self._builder_reader()
            root = reader.read_root(frozenset(ignore))
            cast_inferred_attributes(root, self.manager.namespace_catalog, reader.inferred_dtypes)
            self._root_builder = root
        return self._root_builder

    def _builder_reader(self) -> BuilderReader:
        if self._reader is None:
            self._reader = BuilderReader(
                self._open_file().hierarchy,
                self,
                self.source,
                self._written.set_written,
                self._external_builder,
            )
        return self._reader

    def get_builder(self, path: str | LindiDataset) -> Builder:
        """The builder of the object at ``path`` (or of a dataset read from this file)."""
        if isinstance(path, LindiDataset):
            path = path.path
        return self._builder_reader().builder_at(path)

    def get_container(self, path: str | LindiDataset) -> Container:
        """The container of the object at ``path``."""
        container: Container = self.manager.construct(self.get_builder(path))
        return container

    def _reference_target(self, reference: Reference, *, where: str) -> str:
        """The path of the object a reference of this file points to, after
        :meth:`~hdmf_lindi.hierarchy.Hierarchy.dereference` checked that it is still the
        object the reference was made to."""
        return reference_target(self._open_file().hierarchy, reference, where=where)

    def _external_builder(self, filename: str, path: str, base: str | None = None) -> Builder:
        """The builder of ``path`` in the file an external link names (``filename`` relative
        to ``base``, the linking file: this one by default); its references and lazy datasets
        belong to that file (:class:`~hdmf_lindi.io.linked.LinkedFile`). The link target obeys
        the chunk-ref policy (:func:`~hdmf_lindi.opening.check_link_target`)."""
        base = base or self.source or self._path
        location = check_link_target(base, filename, allow_local=self._allow_local)
        entry = self._external.get(location)
        if entry is None:
            opened = open_linked_file(
                base, filename, local_cache=self._local_cache, allow_local=self._allow_local
            )
            linked = LinkedFile(
                self.manager,
                opened.hierarchy,
                location,
                functools.partial(self._close_linked_file, location),
            )
            reader = BuilderReader(
                opened.hierarchy,
                linked,
                location,
                self._written.set_written,
                functools.partial(self._external_builder, base=location),
            )
            linked.reader = reader
            entry = (opened, reader, linked)
            self._external[location] = entry
        return entry[1].builder_at(path)

    def _close_linked_file(self, location: str) -> None:
        """Close one file an external link opened (``dataset.file.close()`` on a dataset read
        from it)."""
        entry = self._external.pop(location, None)
        if entry is not None:
            opened, _, linked = entry
            linked.detach_h5py_file()
            opened.close(commit=False)

    # ------------------------------------------------------------------ writing
    def write(
        self,
        container: Container,
        cache_spec: bool = True,
        link_data: bool = True,
        exhaust_dci: bool = True,
        herd: Any = None,
        expandable: Iterable[str] = _EXPANDABLE,
    ) -> None:
        """Write ``container`` (the file's root, e.g. an ``NWBFile``) to the file.

        Parameters
        ----------
        container
            The root container.
        cache_spec
            Cache the namespaces used in the file (as ``NWBHDF5IO`` does).
        link_data
            Link datasets of other files instead of copying them.
        exhaust_dci
            Write ``DataChunkIterator`` data in full now.
        herd
            A HERD object to write alongside.
        expandable
            Type names whose datasets are made resizable along their first axis.

        Raises
        ------
        hdmf.backends.errors.UnsupportedOperation
            (:class:`~hdmf_lindi.io.errors.LindiIOReadOnlyError`) The file was opened in mode
            ``"r"`` (or is an HDF5 file).
        """
        self._check_writable()
        try:
            super().write(
                container=container,
                herd=herd,
                link_data=link_data,
                exhaust_dci=exhaust_dci,
                expandable=tuple(expandable),
            )
            if cache_spec:
                self._cache_spec()
        except BaseException:
            self._failed = True
            raise

    def write_builder(
        self,
        builder: GroupBuilder,
        link_data: bool = True,
        exhaust_dci: bool = True,
        export_source: str | None = None,
        expandable: Iterable[str] = _EXPANDABLE,
    ) -> None:
        """Write a root ``GroupBuilder``.

        Parameters
        ----------
        builder
            The root builder.
        link_data
            Link datasets of other files instead of copying them.
        exhaust_dci
            Write ``DataChunkIterator`` data in full now.
        export_source
            The file the builders were read from, when exporting.
        expandable
            Type names whose datasets are made resizable along their first axis.
        """
        self._check_writable()
        try:
            writer = BuilderWriter(
                self._open_file().hierarchy,
                self.manager,
                self.source,
                self._written.get_written,
                self._written.set_written,
            )
            writer.write_root(
                builder,
                link_data=link_data,
                exhaust_dci=exhaust_dci,
                export_source=export_source,
                expandable=expandable,
            )
        except BaseException:
            self._failed = True
            raise

    def _check_writable(self) -> None:
        opened = self._open_file()
        if not opened.writable:
            raise LindiIOReadOnlyError(
                f"Cannot write to file {self.source} in mode '{self._mode}'. Please use mode "
                "'r+', 'w', 'w-', 'x', or 'a'"
            )

    def _cache_spec(self, extra: NamespaceCatalog | None = None) -> None:
        catalog = self.manager.namespace_catalog
        if extra is not None:
            for name in extra.namespaces:
                if name not in catalog.namespaces:
                    catalog.add_namespace(name=name, namespace=extra.get_namespace(name))
        hierarchy = self._open_file().hierarchy
        root = hierarchy.node("/")
        cache_spec(hierarchy, catalog, root.object_id if root is not None else None)

    def _write_to_dataset(self, dataset: LindiDataset, selection: Any, values: Any) -> None:
        """``dataset[selection] = values`` (files opened in mode ``r+``/``a``)."""
        self._check_writable()
        dtype = dataset.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            values = np.asarray(values, dtype=object)
        self._open_file().hierarchy.write(dataset.path, selection, values)

    def _resize_dataset(self, dataset: LindiDataset, shape: tuple[int, ...]) -> None:
        """Change the shape of ``dataset`` (files opened in mode ``r+``/``a``)."""
        self._check_writable()
        self._open_file().hierarchy.resize(dataset.path, shape)

    def _append_to_dataset(self, dataset: LindiDataset, value: Any) -> None:
        """Grow ``dataset`` by one element along its first axis (``append_data``)."""
        self._check_writable()
        hierarchy = self._open_file().hierarchy
        shape = tuple(dataset.shape)
        if not shape:
            raise LindiError(f"{self.source}: cannot append to the scalar dataset {dataset.path}")
        if isinstance(value, (Container, Builder)):
            builder = value if isinstance(value, Builder) else self.manager.get_builder(value)
            if builder is None:
                raise LindiError(
                    f"{self.source}: cannot append a reference to {value!r} to {dataset.path}: "
                    "it has not been written to the file"
                )
            writer = BuilderWriter(
                hierarchy,
                self.manager,
                self.source,
                self._written.get_written,
                self._written.set_written,
            )
            value = writer.reference_to(builder)
        hierarchy.resize(dataset.path, (shape[0] + 1, *shape[1:]))
        dtype = dataset.dtype
        if not isinstance(dtype, np.dtype) or dtype.kind == "O":
            wrapped = np.empty((1, *shape[1:]), dtype=object)
            wrapped[0] = value
            hierarchy.write(dataset.path, slice(shape[0], shape[0] + 1), wrapped)
        else:
            hierarchy.write(dataset.path, shape[0], value)

    # ------------------------------------------------------------------ export
    def export(
        self,
        src_io: HDMFIO,
        container: Container | None = None,
        write_args: dict[str, Any] | None = None,
        cache_spec: bool = True,
        nwbfile: Container | None = None,
    ) -> None:
        """Export what ``src_io`` (any hdmf backend) read into this new LINDI file.

        Parameters
        ----------
        src_io
            The IO the container was read with.
        container
            The root container read (and maybe modified) through ``src_io``; ``None``
            exports the file as read.
        write_args
            Arguments of :meth:`write_builder` (``link_data=False`` copies datasets of other
            files instead of linking them).
        cache_spec
            Cache the namespaces (those of ``src_io``'s manager included).
        nwbfile
            Alias of ``container``.
        """
        if self._mode not in CREATING_MODES:
            raise LindiUnsupportedOperation(
                f"Cannot export to file {self.source} in mode '{self._mode}'. Please use mode 'w'."
            )
        self._check_writable()
        if container is None:
            container = nwbfile
        args = dict(write_args or {})
        source = src_io.source
        if source is not None and not is_remote_url(str(source)):
            source = os.path.abspath(str(source))
        args["export_source"] = source
        clear_cache = not args.get("link_data", True)
        try:
            super().export(
                src_io=src_io,
                container=container,
                write_args=args,
                clear_cache=clear_cache,
            )
            if cache_spec:
                source_manager = src_io.manager
                extra = source_manager.namespace_catalog if source_manager is not None else None
                self._cache_spec(extra)
        except BaseException:
            self._failed = True
            raise

    @classmethod
    def export_io(
        cls,
        path: str | os.PathLike[str],
        src_io: HDMFIO,
        container: Container | None = None,
        write_args: dict[str, Any] | None = None,
        cache_spec: bool = True,
        **open_options: Any,
    ) -> None:
        """Export ``src_io`` to a new LINDI file at ``path`` (mode ``"w"``).

        Parameters
        ----------
        path
            The new ``.lindi.json`` / ``.lindi.tar`` / ``.lindi.d``.
        src_io, container, write_args, cache_spec
            As in :meth:`export`.
        **open_options
            Passed to :class:`LindiIO` (``inline_threshold``, ``staging_area``...).
        """
        with cls(path, mode="w", **open_options) as io:
            io.export(src_io, container=container, write_args=write_args, cache_spec=cache_spec)

    # ------------------------------------------------------------------ convenience
    @classmethod
    def read_nwb(
        cls,
        path: str | os.PathLike[str] | None = None,
        file: LindiH5pyFile | None = None,
        *,
        local_cache: Any = None,
        allow_local: bool | None = None,
    ) -> Container:
        """Read an NWB file and return its ``NWBFile``, as ``NWBHDF5IO.read_nwb``.

        The file stays open while the NWBFile is in use: ``nwbfile.get_read_io().close()``
        releases it.

        Parameters
        ----------
        path
            A ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` or HDF5/NWB path or URL.
        file
            An open :class:`~hdmf_lindi.LindiH5pyFile` instead of ``path``.
        local_cache
            A ``LocalCache`` for remote byte ranges.
        allow_local
            Whether chunk refs and external links may name local files (default: only when
            the file itself is local).

        Returns
        -------
        pynwb.NWBFile
            The file's root container.
        """
        io = cls(path, mode="r", file=file, local_cache=local_cache, allow_local=allow_local)
        try:
            container: Container = io.read()
        except BaseException:
            io.close()
            raise
        return container

    @property
    def file_kind(self) -> str:
        """``"lindi"`` or ``"hdf5"``: what the file is."""
        return self._open_file().kind.value

    @property
    def is_hdf5(self) -> bool:
        """Whether the file is an HDF5 file viewed through the translator."""
        return self._open_file().kind is FileKind.HDF5


def read_nwb(
    path_or_url: str | os.PathLike[str],
    local_cache: Any = None,
    *,
    allow_local: bool | None = None,
) -> Container:
    """Read an NWB file (LINDI or HDF5, local or URL) and return the NWBFile.

    The file stays open while the NWBFile is in use: ``nwbfile.read_io.close()`` releases it.

    Parameters
    ----------
    path_or_url
        A ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` or HDF5/NWB path or URL.
    local_cache
        A ``LocalCache`` for remote byte ranges.
    allow_local
        Whether chunk refs and external links may name local files (default: only when the
        file itself is local).

    Returns
    -------
    pynwb.NWBFile
        The file's root container.

    Examples
    --------
    >>> nwbfile = read_nwb("https://example.org/session.lindi.json")  # doctest: +SKIP
    """
    return LindiIO.read_nwb(path_or_url, local_cache=local_cache, allow_local=allow_local)


def _nwb_type_map(extensions: str | Iterable[str] | TypeMap | None) -> TypeMap:
    from pynwb import get_type_map

    type_map: TypeMap = get_type_map()
    if extensions is None:
        return type_map
    if isinstance(extensions, TypeMap):
        type_map.merge(extensions, ns_catalog=True)
        return type_map
    paths = [extensions] if isinstance(extensions, (str, Path)) else list(extensions)
    for namespace_path in paths:
        type_map.load_namespaces(os.fspath(namespace_path))
    return type_map


def _nwb_version(hierarchy: Hierarchy) -> tuple[str | None, tuple[int | str, ...] | None]:
    """``(text, parsed)`` of the root's ``nwb_version``, parsed as pynwb's
    ``get_nwbfile_version``; ``(None, None)`` when absent."""
    root = hierarchy.node("/")
    version = root.attrs.get("nwb_version") if root is not None else None
    if version is None:
        return None, None
    if isinstance(version, np.ndarray):
        version = version.reshape(-1)[0] if version.size else None
    if isinstance(version, bytes):
        version = version.decode("utf-8")
    text = str(version)
    parts = text.replace("NWB-", "").replace("-", ".").replace("_", ".").split(".")
    return text, tuple(int(p) if p.isnumeric() else p for p in parts)


def _check_unsupported_options(comm: Any, driver: str | None, aws_region: str | None) -> None:
    if comm is not None:
        raise LindiUnsupportedError("LindiIO: MPI (comm=) is not supported")
    if driver not in (None, "ros3"):
        raise LindiUnsupportedError(
            f"LindiIO: driver {driver!r} is an HDF5 driver; LindiIO reads local paths and URLs "
            "itself (driver=None)"
        )
    if aws_region is not None:
        raise LindiUnsupportedError(
            "LindiIO: aws_region is not supported; object store URLs use the default "
            "credentials chain"
        )


def _check_path_file(path: str | os.PathLike[str] | None, file: LindiH5pyFile | None) -> str:
    """The path to open: ``path``, or the filename of ``file`` (with hdmf's ``HDF5IO``
    checks and messages)."""
    if path is None and file is None:
        raise ValueError("Either the 'path' or 'file' argument must be supplied.")
    if file is not None:
        from hdmf_lindi.h5py_compat import LindiH5pyFile

        if not isinstance(file, LindiH5pyFile):
            raise LindiUnsupportedError(
                f"LindiIO(file=...) takes a LindiH5pyFile, not {type(file).__name__}; open an "
                "h5py.File with NWBHDF5IO, or pass its path to LindiIO"
            )
        if path is not None and not _same_location(os.fspath(path), file.filename):
            raise ValueError(
                f"You argued '{os.fspath(path)}' as this object's path, but supplied a file with "
                f"filename: {file.filename}"
            )
        return file.filename
    assert path is not None
    return os.fspath(path)


def _same_location(a: str, b: str) -> bool:
    if is_remote_url(a) or is_remote_url(b):
        return a == b
    return os.path.abspath(a) == os.path.abspath(b)


def _check_exists(path: str, mode: str) -> None:
    """``NWBHDF5IO``'s errors for a missing file (``"r"``, ``"r+"``) or an existing one
    (``"w-"``, ``"x"``); URLs are checked when opened."""
    if is_remote_url(path):
        return
    exists = os.path.lexists(local_path(path))
    if mode in ("r", "r+") and not exists:
        raise LindiFileModeError(
            f"Unable to open file {path} in '{mode}' mode. File does not exist."
        )
    if mode in EXCLUSIVE_MODES and exists:
        raise LindiFileModeError(
            f"Unable to open file {path} in '{mode}' mode. File already exists."
        )


def _opened_from_file(file: LindiH5pyFile, mode: str) -> OpenedHierarchy:
    """An :class:`OpenedHierarchy` over an open ``LindiH5pyFile`` (closing it stays the
    file's business)."""
    hierarchy = file.hierarchy
    writable = mode != "r" and hierarchy.writable
    return OpenedHierarchy(hierarchy, file.store, file._kind, file.filename, writable)
