"""The HDF5-like hierarchy over a LINDI store: what the h5py-compatible view and LindiIO share.

A :class:`Hierarchy` binds a :class:`~hdmf_lindi.storage.store.LindiStore` to a conventions
flavour. Metadata (nodes, attributes, links) is read straight from the store's reference map
through the flavour (no zarr calls); dataset values go through zarr arrays, except small arrays
whose chunks are all inline, which are decoded directly from the map.

Paths are absolute HDF5-style paths (``"/"``, ``"/acquisition/ts/data"``). Links are *not*
followed by :meth:`Hierarchy.node`: it returns the link node; :meth:`Hierarchy.resolve` follows
soft links in every component of a path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hdmf_lindi._paths import join_path, normalize_path, parent_path
from hdmf_lindi.conventions.model import (
    DataKind,
    DatasetInfo,
    Node,
    NodeKind,
    Reference,
    SoftLink,
)
from hdmf_lindi.errors import (
    LindiDanglingLinkError,
    LindiError,
    LindiExistsError,
    LindiFormatError,
    LindiLimitError,
    LindiLinkCycleError,
    LindiMaxshapeError,
    LindiNotAGroupError,
    LindiReadOnlyError,
    LindiSecurityError,
    LindiShapeError,
    LindiTooManyLinksError,
    LindiUnsupportedError,
)

if TYPE_CHECKING:
    import h5py
    import zarr

    from hdmf_lindi.conventions.abc import Conventions
    from hdmf_lindi.storage.reference_map import ReferenceMap
    from hdmf_lindi.storage.store import LindiStore

__all__ = ["DatasetHandle", "Hierarchy", "copy_dataset"]

_MAX_LINK_HOPS = 40

type Selection = Any
"""Anything numpy basic indexing accepts (ints, slices, Ellipsis, tuples of those), plus
integer lists/arrays along axes (orthogonal, as h5py) and a boolean mask of the full shape."""

_MAX_SOFT_LINKS = 16
"""Soft links one traversal of a path follows at most (HDF5's ``H5L_NUM_LINKS``)."""
_DEEP_LINK_ERROR_DEPTH = 11
"""h5py raises ``RuntimeError`` for the link HDF5 cannot follow when it is this many soft links
deep (each followed inside the one before) or deeper, ``KeyError`` otherwise: HDF5's error
stack (32 entries) then no longer holds the "not found" error h5py turns into ``KeyError``."""
_MAX_LINK_DEPTH = 40
"""Links (hard-link marks included) followed one inside the other at most (a malformed cycle)."""
_INLINE_READ_MAX_BYTES = 4 << 20
_ZARR_READ_CONCURRENCY = 64


@dataclasses.dataclass
class _Traversal:
    """Links followed so far while resolving one path."""

    followed: int = 0
    """Soft links followed (HDF5 counts every one)."""
    soft_depth: int = 0
    """Soft links being followed, one inside the other."""
    depth: int = 0
    """Links being followed, one inside the other (hard-link marks included)."""


class Hierarchy:
    """An HDF5-like hierarchy over a LINDI store.

    Parameters
    ----------
    store
        The store; writable when opened in a writable mode.
    conventions
        The flavour; detected from the store's keys when ``None``.
    """

    def __init__(self, store: LindiStore, conventions: Conventions | None = None) -> None:
        from hdmf_lindi.conventions import detect_conventions

        self._store = store
        self._meta: ReferenceMap = store.reference_map
        self._conventions = (
            conventions if conventions is not None else detect_conventions(self._meta)
        )
        self._nodes: dict[str, Node | None] = {}
        self._arrays: dict[str, zarr.Array[Any]] = {}
        self._inline_values: dict[str, np.ndarray | None] = {}
        self._external_files: dict[str, h5py.File] = {}
        # every soft link (path -> target) and every object holding object references: one
        # walk on first use, then kept up to date by this hierarchy's writes (_reindex)
        self._soft_links: dict[str, str] | None = None
        self._reference_holders: set[str] | None = None
        self._slabs: OrderedDict[tuple[str, tuple[slice, ...]], np.ndarray] = OrderedDict()
        self._slabs_lock = threading.Lock()

    # ------------------------------------------------------------------ properties
    @property
    def store(self) -> LindiStore:
        """The underlying store."""
        return self._store

    @property
    def conventions(self) -> Conventions:
        """The conventions flavour in use."""
        return self._conventions

    @property
    def writable(self) -> bool:
        """Whether writes are allowed."""
        return not self._store.read_only

    # ------------------------------------------------------------------ reading
    def node(self, path: str) -> Node | None:
        """The node at ``path`` (links not followed), or ``None``."""
        path = normalize_path(path)
        try:
            return self._nodes[path]
        except KeyError:
            node = self._conventions.read_node(self._meta, path, chunk_reader=self._read_chunk)
            self._nodes[path] = node
            return node

    def dereference(self, reference: Reference) -> Node:
        """The node an object reference points to (links followed), after checking that it
        still is the object the reference was made to.

        Raises
        ------
        LindiUnsupportedError
            For a reference into another file.
        KeyError
            When nothing is at the reference's path.
        LindiFormatError
            When the reference was made in another file (``source_object_id``) or the object at
            its path is not the one it was made to (``object_id``).
        """
        source = self._meta.source
        if reference.source not in (".", ""):
            raise LindiUnsupportedError(
                f"{source}: reference to {reference.path!r} in another file "
                f"({reference.source!r}) is not supported"
            )
        if reference.source_object_id is not None:
            root = self.node("/")
            root_id = root.object_id if root is not None else None
            if root_id is not None and root_id != reference.source_object_id:
                raise LindiFormatError(
                    f"{source}: reference to {reference.path!r} was made in file "
                    f"{reference.source_object_id!r}, not this one ({root_id!r})"
                )
        node = self.resolve(reference.path)
        if node is None:
            raise KeyError(f"{source}: reference to missing object {reference.path!r}")
        if reference.object_id is not None:
            actual = node.object_id
            if actual is not None and actual != reference.object_id:
                raise LindiFormatError(
                    f"{source}: reference to {reference.path!r} expected object_id "
                    f"{reference.object_id!r}, found {actual!r}"
                )
        return node

    def _read_chunk(self, key: str) -> bytes | None:
        """The stored bytes of one chunk key (for a flavour that must look at data to tell a
        dataset's kind)."""
        buffer = self._store.get_sync(key)
        return None if buffer is None else buffer.to_bytes()

    def resolve(self, path: str) -> Node | None:
        """The node at ``path`` with soft links followed (in every component of the path);
        ``None`` when nothing is there. A dangling soft link raises ``KeyError`` naming it;
        more soft links than HDF5 follows in one traversal (16: a cycle, or a long chain)
        raise :class:`~hdmf_lindi.errors.LindiLinkCycleError`."""
        return self._resolve(normalize_path(path), _Traversal())

    def _resolve(self, path: str, traversal: _Traversal) -> Node | None:
        current = "/"
        node = self.node("/")
        for name in path.strip("/").split("/") if path != "/" else []:
            if node is not None and node.kind is not NodeKind.GROUP and current != "/":
                # nothing is below a dataset or an external link here (metadata a document
                # keeps there is out of reach, as in HDF5; an external link's targets are
                # the linked file's)
                return None
            candidate = join_path(current, name)
            node = self.node(candidate)
            if node is None:
                return None
            if node.kind is NodeKind.SOFT_LINK:
                assert isinstance(node.link, SoftLink)
                target = self._follow(candidate, node.link, traversal)
                if target is None:
                    raise LindiDanglingLinkError(
                        f"{self._meta.source}: {candidate}: dangling soft link to {node.link.path}"
                    )
                node = target
                current = target.path
            else:
                current = candidate
        return node

    def _follow(self, path: str, link: SoftLink, traversal: _Traversal) -> Node | None:
        """The target of the link at ``path``, counted as HDF5 counts soft links (a link
        marked hard stands for a second name, which HDF5 does not count)."""
        if not link.hard:
            traversal.followed += 1
            if traversal.followed > _MAX_SOFT_LINKS:
                nested = traversal.soft_depth + 1 >= _DEEP_LINK_ERROR_DEPTH
                error = LindiLinkCycleError if nested else LindiTooManyLinksError
                raise error(
                    f"{self._meta.source}: {path}: too many soft links to follow (more than "
                    f"{_MAX_SOFT_LINKS}: a cycle?)"
                )
        if traversal.depth >= _MAX_LINK_DEPTH:
            raise LindiLinkCycleError(f"{self._meta.source}: {path}: the links form a cycle")
        traversal.depth += 1
        traversal.soft_depth += 0 if link.hard else 1
        try:
            return self._resolve(normalize_path(link.path), traversal)
        finally:
            traversal.depth -= 1
            traversal.soft_depth -= 0 if link.hard else 1

    def children(self, path: str) -> list[str]:
        """Sorted names of the children of the group at ``path`` (links not followed)."""
        return self._conventions.list_children(self._meta, normalize_path(path))

    def walk(self, path: str = "/") -> Iterator[Node]:
        """Every node below ``path`` (depth first, sorted, links not followed), ``path`` first."""
        node = self.node(path)
        if node is None:
            return
        yield node
        if node.kind is NodeKind.GROUP:
            for name in self.children(node.path):
                yield from self.walk(join_path(node.path, name))

    def soft_links(self) -> dict[str, str]:
        """``{link path: target}`` of every soft link in the file (targets normalized). The
        first call walks the file; this hierarchy's own writes keep the answer up to date, so
        that deleting or moving objects one by one does not walk the file each time."""
        if self._soft_links is None:
            self._build_indexes()
        assert self._soft_links is not None
        return dict(self._soft_links)

    def reference_holders(self) -> list[str]:
        """Paths of the objects that may hold object references (in attributes, or as a
        reference or compound-with-reference dataset), sorted; kept up to date as
        :meth:`soft_links` is."""
        if self._reference_holders is None:
            self._build_indexes()
        assert self._reference_holders is not None
        return sorted(self._reference_holders)

    def _build_indexes(self) -> None:
        # kept only once complete: a walk that fails leaves no partial index to be trusted
        soft_links: dict[str, str] = {}
        holders: set[str] = set()
        for node in self.walk("/"):
            _index_node(node, soft_links, holders)
        self._soft_links, self._reference_holders = soft_links, holders

    def _reindex(self, path: str) -> None:
        """Bring the indexes up to date for the object at ``path`` (just written)."""
        if self._soft_links is None or self._reference_holders is None:
            return
        try:
            node = self.node(path)
        except BaseException:
            self._soft_links = self._reference_holders = None
            raise
        if node is not None:
            _index_node(node, self._soft_links, self._reference_holders)

    def dataset(self, path: str) -> DatasetHandle:
        """A lazy handle on the dataset at ``path`` (links followed)."""
        node = self._require_dataset(path)
        assert node.dataset is not None
        return DatasetHandle(self, node.path, node.dataset)

    def read(self, path: str, selection: Selection = Ellipsis) -> Any:
        """Values of the dataset at ``path`` as h5py returns them for ``ds[selection]``
        (a numpy array; a numpy scalar, ``str``, ``bytes`` or Reference for scalar datasets)."""
        node = self._require_dataset(path)
        info = node.dataset
        assert info is not None
        if info.external_array_link is not None:
            return self._read_external_array(node.path, info, selection)
        if info.is_scalar:
            if not _selects_everything(selection, scalar=True):
                raise ValueError(
                    f"{node.path}: a scalar dataset is read with ds[()] or ds[...], "
                    f"not {selection!r}"
                )
            values = self._conventions.decode_values(info, self._read_stored(node.path, info))
            result = np.asarray(values).reshape(())
            if selection is Ellipsis:
                return result
            return result[()]
        stored = self._read_stored_selection(node.path, info, selection)
        values = self._conventions.decode_values(info, stored)
        # h5py gives a numpy scalar (or str/bytes/Reference) when every axis was indexed
        return values[()] if isinstance(values, np.ndarray) and values.ndim == 0 else values

    def _require_dataset(self, path: str) -> Node:
        node = self.resolve(path)
        if node is None:
            raise KeyError(f"{normalize_path(path)}: no such object in {self._meta.source}")
        if node.kind is not NodeKind.DATASET or node.dataset is None:
            raise TypeError(f"{node.path}: not a dataset ({node.kind.value})")
        return node

    def _read_stored(self, path: str, info: DatasetInfo) -> np.ndarray:
        """The whole stored array (stored shape)."""
        inline = self._inline_array(path)
        if inline is not None:
            return inline.copy()
        with _zarr_read_concurrency(), self._decode_errors(path):
            return np.asarray(self._array(path)[...])

    def _read_stored_selection(
        self, path: str, info: DatasetInfo, selection: Selection
    ) -> np.ndarray:
        if math.prod(info.shape) == 0:
            return np.empty(info.shape, dtype=self._stored_dtype(info))[selection]
        kind, normalized = _classify_selection(selection, info.shape, path)
        dropped_axes: tuple[int, ...] = ()
        if info.kind is not DataKind.NUMERIC and kind != "mask":
            # integer indices on object arrays give bare elements (a compound row is a list):
            # read a length-1 block and drop the axis afterwards, so values stay arrays
            normalized, dropped_axes = _integers_as_slices(normalized, info.shape, path)
            kind = "orthogonal"
        inline = self._inline_array(path)
        if inline is not None:
            # a copy: callers own what they read; the cached array must not change
            result = np.array(_apply_selection(inline, kind, normalized), copy=True)
        elif kind == "basic" and (cached := self._read_from_slab(path, normalized)) is not None:
            result = cached
        else:
            array = self._array(path)
            with _zarr_read_concurrency(), self._decode_errors(path):
                if kind == "mask":
                    result = np.asarray(array.vindex[normalized])
                elif kind == "orthogonal":
                    result = np.asarray(array.oindex[normalized])
                else:
                    result = np.asarray(array[normalized])
        if dropped_axes:
            result = result.reshape(
                tuple(n for axis, n in enumerate(result.shape) if axis not in dropped_axes)
            )
        return result

    def _read_from_slab(self, path: str, selection: tuple[Any, ...]) -> np.ndarray | None:
        """A small read of a read-only dataset served from the chunk-aligned block around it,
        read once and kept (a few at a time, as h5py's chunk cache keeps chunks), so that
        reading row after row (hdmf's ``DataChunkIterator`` with its default buffer of one)
        decodes each chunk once instead of once per row. ``None`` when the selection is not
        one this applies to."""
        if not self._store.read_only:
            return None
        array = self._array(path)
        placed = _slab_around(selection, tuple(array.shape), tuple(array.chunks))
        if placed is None:
            return None
        slab_selection, inner = placed
        itemsize = array.dtype.itemsize
        nbytes = itemsize * math.prod(s.stop - s.start for s in slab_selection)
        if nbytes > _SLAB_CACHE_BYTES:
            return None
        key = (path, slab_selection)
        with self._slabs_lock:
            slab = self._slabs.get(key)
            if slab is not None:
                self._slabs.move_to_end(key)
        if slab is None:
            with _zarr_read_concurrency(), self._decode_errors(path):
                slab = np.asarray(array[slab_selection])
            with self._slabs_lock:
                self._slabs[key] = slab
                while len(self._slabs) > _SLAB_CACHE_ENTRIES:
                    self._slabs.popitem(last=False)
        return np.array(slab[inner], copy=True)

    @contextlib.contextmanager
    def _decode_errors(self, path: str) -> Iterator[None]:
        """Errors zarr raises while it decodes chunks (a reshape's ``ValueError``, blosc's
        ``RuntimeError``, numpy's ``MemoryError`` for a shape no memory holds) are caused by
        the file: they become :class:`LindiFormatError` naming the file and the dataset."""
        try:
            yield
        except LindiError:
            raise
        except MemoryError as exc:
            raise LindiLimitError(
                f"{self._meta.source}: {path}: the selection does not fit in memory ({exc})"
            ) from exc
        except (ValueError, RuntimeError, TypeError, OverflowError) as exc:
            raise LindiFormatError(
                f"{self._meta.source}: {path}: the stored chunks could not be decoded "
                f"({type(exc).__name__}: {exc})"
            ) from exc

    @staticmethod
    def _stored_dtype(info: DatasetInfo) -> np.dtype[Any]:
        if info.kind is DataKind.NUMERIC:
            return info.dtype
        return np.dtype(object)

    def _array(self, path: str) -> zarr.Array[Any]:
        try:
            return self._arrays[path]
        except KeyError:
            import zarr

            zarr_path = self._conventions.zarr_path(path)
            mode = "r" if self._store.read_only else "r+"
            array = zarr.open_array(
                store=self._store,
                path=zarr_path,
                mode=mode,
                zarr_format=self._conventions.zarr_format,  # type: ignore[arg-type]
            )
            self._arrays[path] = array
            return array

    def _inline_array(self, path: str) -> np.ndarray | None:
        """The stored array decoded straight from the map when it is small and every chunk is
        inline (read-only, cached); ``None`` otherwise."""
        if path in self._inline_values:
            return self._inline_values[path]
        out = self._conventions.read_inline_array(
            self._meta, path, max_bytes=_INLINE_READ_MAX_BYTES
        )
        if out is not None:
            out.setflags(write=False)
            self._inline_values[path] = out
        elif self._store.read_only:
            self._inline_values[path] = None  # not all inline: a read-only file stays so
        return out

    def _read_external_array(self, path: str, info: DatasetInfo, selection: Selection) -> Any:
        return self.linked_dataset(path, info)[selection]

    def linked_dataset(self, path: str, info: DatasetInfo) -> h5py.Dataset:
        """The HDF5 dataset that the dataset at ``path`` links to (``_EXTERNAL_ARRAY_LINK``),
        opened through the store's router; :class:`LindiFormatError` when its shape is not the
        one the document declares."""
        link = info.external_array_link
        assert link is not None
        h5file = self._external_files.get(link.url)
        if h5file is None:
            import h5py

            from hdmf_lindi.storage.sources.file_like import RangeFile

            # through the store's router, so that its policy applies (a LINDI file read from a
            # URL may not make us open local files)
            h5file = h5py.File(RangeFile(link.url, self._store.router), "r")
            self._external_files[link.url] = h5file
        dataset = self._external_dataset(h5file, link.url, link.name)
        declared = tuple(info.shape)
        if dataset.shape != declared:
            raise LindiFormatError(
                f"{self._meta.source}: {path}: _EXTERNAL_ARRAY_LINK {link.url}:{link.name} has "
                f"shape {dataset.shape}, the document declares {declared}"
            )
        return dataset

    def _external_dataset(self, h5file: h5py.File, url: str, name: str) -> h5py.Dataset:
        """``h5file[name]``, refusing what would make the HDF5 library open local files
        behind the router's back (external links on the way, virtual datasets, external raw
        storage) when the router may not read local files, or when the HDF5 file is remote
        (a file from a URL does not choose local files to read, whatever the document linking
        to it is) and the caller did not pass ``allow_local=True``."""
        import h5py

        router = self._store.router
        if router.allow_local or (
            router.local_allowed and router.resolve_target(url).kind == "local"
        ):
            return h5file[name]
        where = f"{self._meta.source}: _EXTERNAL_ARRAY_LINK {url}:{name}"
        # walk the path link by link (soft links followed by hand, at most 40 hops) so that
        # h5py is only ever asked for paths made of hard links
        resolved: list[str] = []
        pending = [p for p in name.split("/") if p]
        hops = 0
        while pending:
            part = pending.pop(0)
            current: Any = h5file["/" + "/".join(resolved)]
            link = current.get(part, getlink=True) if isinstance(current, h5py.Group) else None
            if isinstance(link, h5py.SoftLink):
                hops += 1
                if hops > _MAX_LINK_HOPS:
                    raise LindiFormatError(f"{where}: too many soft links")
                if link.path.startswith("/"):
                    resolved = []
                pending = [p for p in link.path.split("/") if p] + pending
            elif isinstance(link, h5py.ExternalLink):
                raise LindiSecurityError(
                    f"{where}: passes through an HDF5 external link to {link.filename!r}; "
                    "refusing to open local files for a file that came from a URL (pass "
                    "allow_local=True to allow)"
                )
            elif isinstance(link, h5py.HardLink) and part not in (".", ".."):
                resolved.append(part)
            else:
                raise KeyError(f"{where}: no object {part!r} in /{'/'.join(resolved)}")
        group = h5file["/" + "/".join(resolved)]
        if not isinstance(group, h5py.Dataset):
            raise LindiFormatError(f"{where}: not a dataset")
        if group.is_virtual or group.id.get_create_plist().get_external_count() > 0:
            raise LindiSecurityError(
                f"{where}: a virtual dataset or one with external raw storage reads other "
                "files by name; refusing for a file that came from a URL (pass "
                "allow_local=True to allow)"
            )
        return group

    # ------------------------------------------------------------------ writing
    def _check_writable(self) -> None:
        if self._store.read_only:
            raise LindiReadOnlyError(f"{self._meta.source}: opened read-only; cannot write")

    def _invalidate(self, path: str | None = None) -> None:
        self._nodes.clear()
        if path is None:
            self._soft_links = self._reference_holders = None
            self._arrays.clear()
            self._inline_values.clear()
            return
        for cache in (self._arrays, self._inline_values):
            for key in [k for k in cache if k == path or k.startswith(path.rstrip("/") + "/")]:
                del cache[key]

    def _ensure_parents(self, path: str) -> None:
        parent = path.rsplit("/", 1)[0] or "/"
        if parent == "/":
            if self.node("/") is None:
                self._conventions.write_group(self._meta, "/", {})
                self._invalidate("/")
            return
        node = self.resolve(parent)
        if node is None:
            self._ensure_parents(parent)
            self._conventions.write_group(self._meta, parent, {})
            self._invalidate(parent)
        elif node.kind is not NodeKind.GROUP:
            raise LindiNotAGroupError(
                f"{self._meta.source}: {parent} is not a group; cannot create {path} in it"
            )

    def _real_path(self, path: str) -> str:
        """``path`` with soft links in its parent components followed, also when some of
        them do not exist yet (``/link/new/x`` with ``/link`` -> ``/a`` is ``/a/new/x``, where
        the missing groups are then created, as HDF5 creates intermediate groups)."""
        parts = [part for part in normalize_path(path).split("/") if part]
        real = "/"
        for index, part in enumerate(parts[:-1]):
            resolved = self.resolve(join_path(real, part))
            if resolved is None:
                return normalize_path("/".join([real, *parts[index:]]))
            real = resolved.path
        return join_path(real, parts[-1]) if parts else "/"

    def _check_free(self, path: str) -> None:
        if self.node(path) is not None:
            raise LindiExistsError(f"{path}: an object with that name already exists")

    def create_group(
        self,
        path: str,
        attrs: Mapping[str, Any] | None = None,
        *,
        inferred_dtypes: Collection[str] = (),
    ) -> Node:
        """Create a group (parents created as needed); ``ValueError`` if the name is taken.
        ``inferred_dtypes`` as for :meth:`set_attrs`."""
        self._check_writable()
        path = self._real_path(path)
        if path != "/":
            self._check_free(path)
            self._ensure_parents(path)
        self._conventions.write_group(
            self._meta, path, dict(attrs or {}), inferred_dtypes=inferred_dtypes
        )
        self._invalidate(path)
        self._reindex(path)
        node = self.node(path)
        assert node is not None
        return node

    def create_dataset(
        self,
        path: str,
        info: DatasetInfo,
        data: Any = None,
        attrs: Mapping[str, Any] | None = None,
        *,
        codecs: Mapping[str, Any] | None = None,
        inferred_dtypes: Collection[str] = (),
    ) -> DatasetHandle:
        """Create a dataset with the shape/dtype/chunks/compression/fill of ``info`` and write
        ``data`` (array-like of that shape) when given. Parents are created as needed.
        ``codecs`` (``{"filters": [...], "compressor": {...}}``, numcodecs configs) overrides
        the codecs derived from ``info.compression``; ``inferred_dtypes`` as for
        :meth:`set_attrs`."""
        self._check_writable()
        path = self._real_path(path)
        self._check_free(path)
        created = self._first_missing(path)
        try:
            self._ensure_parents(path)
            self._conventions.write_dataset(
                self._meta,
                path,
                info,
                dict(attrs or {}),
                codecs=codecs,
                inferred_dtypes=inferred_dtypes,
            )
            self._invalidate(path)
            if data is not None and math.prod(info.shape) > 0:
                self._write_values(path, info, Ellipsis, data)
        except BaseException:
            # a failed create leaves no trace: neither the dataset nor the parents it made
            # (nothing is deleted below a dataset: "/d/c" may hold the chunks of "/d")
            parent = self.resolve(parent_path(created))
            if parent is not None and parent.kind is NodeKind.GROUP:
                with contextlib.suppress(KeyError, LindiError):
                    self._conventions.delete_node(self._meta, created)
            self._invalidate()
            raise
        self._reindex(path)
        return self.dataset(path)

    def _first_missing(self, path: str) -> str:
        """The highest of ``path`` and its ancestors that does not exist yet."""
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            prefix = "/" + "/".join(parts[:depth])
            if self.resolve(prefix) is None:
                return prefix
        return path

    def write(self, path: str, selection: Selection, values: Any) -> None:
        """Write ``values`` into ``dataset[selection]``."""
        self._check_writable()
        node = self._require_dataset(path)
        assert node.dataset is not None
        self._write_values(node.path, node.dataset, selection, values)

    def _write_values(
        self, path: str, info: DatasetInfo, selection: Selection, values: Any
    ) -> None:
        if info.external_array_link is not None:
            raise LindiReadOnlyError(
                f"{path}: links to an external HDF5 dataset ({info.external_array_link.url})"
                "; it cannot be written"
            )
        self._inline_values.pop(path, None)
        self._nodes.pop(path, None)
        if info.is_scalar:
            if not _selects_everything(selection, scalar=True):
                raise ValueError(f"{path}: a scalar dataset is written with ds[()] = value")
            # stored shape: (1,) in LINDI v1, () in Zarr v3
            encoded = self._conventions.encode_values(info, _as_array(values, info))
            self._write_whole(path, np.asarray(encoded))
            return
        kind, normalized = _classify_selection(selection, info.shape, path)
        target_shape = _selection_shape(info.shape, kind, normalized)
        values_array = _as_array(values, info)
        if values_array.shape != target_shape:
            try:
                values_array = np.broadcast_to(values_array, target_shape)
            except ValueError as exc:
                raise LindiShapeError(
                    f"{path}: cannot write values of shape {values_array.shape} into a "
                    f"selection of shape {target_shape}"
                ) from exc
        encoded = self._conventions.encode_values(info, values_array)
        if kind == "basic":
            start = _block_start(normalized, info.shape, path)
            if start is not None and self._write_block(path, start, np.asarray(encoded)):
                return
        array = self._array(path)
        if info.kind is not DataKind.NUMERIC and kind != "mask":
            # as for reads: integer indices on object arrays are written as length-1 blocks
            normalized, _ = _integers_as_slices(normalized, info.shape, path)
            kind = "orthogonal"
            encoded = encoded.reshape(_selection_shape(info.shape, kind, normalized))
        if kind == "mask":
            array.vindex[normalized] = encoded
        elif kind == "orthogonal":
            array.oindex[normalized] = encoded
        else:
            array[normalized] = encoded

    def _write_whole(self, path: str, stored: np.ndarray) -> None:
        if not self._write_block(path, (0,) * stored.ndim, stored):
            self._array(path)[...] = stored

    def _write_block(self, path: str, start: tuple[int, ...], stored: np.ndarray) -> bool:
        """Write a block of stored values that is aligned to the chunk grid straight into the
        store, encoded chunk by chunk by the flavour (microseconds a chunk; zarr costs about a
        millisecond). ``False`` when the block is not aligned (or the flavour has no fast
        path): the caller writes through zarr, which merges partly covered chunks."""
        chunks = self._conventions.encode_region(self._meta, path, start, stored)
        if chunks is None:
            return False
        self._store.set_many_sync(chunks)
        return True

    def resize(self, path: str, shape: tuple[int, ...]) -> None:
        """Change a dataset's shape (within its ``maxshape``)."""
        self._check_writable()
        node = self._require_dataset(path)
        info = node.dataset
        assert info is not None
        shape = tuple(int(n) for n in shape)
        if len(shape) != len(info.shape):
            raise LindiShapeError(
                f"{node.path}: new shape {shape} has the wrong rank for {info.shape}"
            )
        maxshape = info.maxshape if info.maxshape is not None else info.shape
        for n, limit in zip(shape, maxshape, strict=True):
            if limit is not None and n > limit:
                raise LindiMaxshapeError(
                    f"{node.path}: new shape {shape} exceeds maxshape {tuple(maxshape)}"
                )
        if all(n >= o for n, o in zip(shape, info.shape, strict=True)):
            # metadata only (zarr's resize walks every chunk of the old shape: an iterator
            # that grows a dataset row by row would take quadratic time)
            self._conventions.grow_dataset(self._meta, node.path, shape)
        else:
            array = self._array(node.path)
            array.resize(shape)  # drops the chunks wholly outside the new shape
            # the limit stays (a dataset made without maxshape keeps its first shape, which
            # no _MAXSHAPE recorded while it was the shape); set after zarr's resize, which
            # rewrites the attributes it read
            self._conventions.set_maxshape(self._meta, node.path, tuple(maxshape))
            self._invalidate(node.path)
            self._refill_edge_chunks(node.path, info.shape, shape, tuple(array.chunks))
        self._invalidate(node.path)

    def _refill_edge_chunks(
        self, path: str, old: tuple[int, ...], new: tuple[int, ...], chunks: tuple[int, ...]
    ) -> None:
        """After a shrink, rewrite the chunks cut by the new edge so that what lies beyond it
        is the fill value again (as HDF5 shows when the dataset grows back), not old data."""
        info = self._require_dataset(path).dataset
        assert info is not None
        for axis, (before, after, chunk) in enumerate(zip(old, new, chunks, strict=True)):
            if after >= before or after % chunk == 0 or math.prod(new) == 0:
                continue
            start = tuple(after - after % chunk if d == axis else 0 for d in range(len(new)))
            slab = tuple(slice(first, n) for first, n in zip(start, new, strict=True))
            self._write_block(path, start, self._read_stored_selection(path, info, slab))

    def set_attrs(
        self, path: str, attrs: Mapping[str, Any], *, inferred_dtypes: Collection[str] = ()
    ) -> None:
        """Set (add or replace) attributes of the object at ``path``.

        The attributes named in ``inferred_dtypes`` are stored without a dtype record: their
        dtype is JSON's natural one, not one they were written with (``Node.inferred_dtypes``
        of a node read from a file without a record, e.g. one of lindi 0.4.6). Copied so, they
        read back as they were read, and LindiIO still gives them their spec's dtype."""
        self._check_writable()
        node = self.resolve(path)
        if node is None:
            raise KeyError(f"{normalize_path(path)}: no such object in {self._meta.source}")
        self._conventions.write_attrs(self._meta, node.path, attrs, inferred_dtypes=inferred_dtypes)
        self._invalidate(node.path)
        self._reindex(node.path)

    def delete_attr(self, path: str, name: str) -> None:
        """Delete one attribute (``KeyError`` naming it when absent)."""
        self._check_writable()
        node = self.resolve(path)
        if node is None:
            raise KeyError(f"{normalize_path(path)}: no such object in {self._meta.source}")
        self._conventions.delete_attr(self._meta, node.path, name)
        self._invalidate(node.path)
        self._reindex(node.path)

    def create_soft_link(self, path: str, target: str, *, hard: bool = False) -> None:
        """Create a soft link at ``path`` to ``target`` (``hard``: standing for a second name
        of the object, see :class:`~.conventions.model.SoftLink`). A relative ``target`` is
        taken from the group the link lands in, as HDF5 reads it (through a soft link on the
        way, that link's target); it is stored absolute."""
        self._check_writable()
        path = self._real_path(path)
        self._check_free(path)
        self._ensure_parents(path)
        target = join_path(parent_path(path), target)
        self._conventions.write_soft_link(self._meta, path, normalize_path(target), hard=hard)
        self._invalidate(path)
        self._reindex(path)

    def create_external_link(self, path: str, filename: str, target: str) -> None:
        """Create an external link at ``path`` to ``target`` in ``filename``."""
        self._check_writable()
        path = self._real_path(path)
        self._check_free(path)
        self._ensure_parents(path)
        self._conventions.write_external_link(self._meta, path, filename, normalize_path(target))
        self._invalidate(path)

    def delete(self, path: str) -> None:
        """Delete the object (or link) at ``path`` and everything below it."""
        self._check_writable()
        path = self._real_path(path)
        if path == "/":
            raise ValueError("the root group cannot be deleted")
        if self.node(path) is None:
            raise KeyError(f"{path}: no such object in {self._meta.source}")
        self._conventions.delete_node(self._meta, path)
        self._invalidate(path)
        if self._soft_links is not None and self._reference_holders is not None:
            below = path.rstrip("/") + "/"
            for link in [p for p in self._soft_links if p == path or p.startswith(below)]:
                del self._soft_links[link]
            self._reference_holders = {
                p for p in self._reference_holders if p != path and not p.startswith(below)
            }

    def flush(self) -> None:
        """Persist pending changes (the store's map and its container)."""
        self._store.flush()

    def close(self) -> None:
        """Close external HDF5 files opened for ``_EXTERNAL_ARRAY_LINK`` datasets."""
        for h5file in self._external_files.values():
            h5file.close()
        self._external_files.clear()


class DatasetHandle:
    """A lazy view of one dataset: numpy-like, reads only what is sliced.

    Supports ``shape``, ``dtype``, ``ndim``, ``size``, ``len()``, iteration over the first axis,
    ``handle[selection]``, ``np.asarray(handle)``, and ``handle[selection] = values`` when the
    hierarchy is writable.
    """

    __slots__ = ("_hierarchy", "_path")

    def __init__(self, hierarchy: Hierarchy, path: str, info: DatasetInfo | None = None) -> None:
        self._hierarchy = hierarchy
        self._path = normalize_path(path)

    @property
    def hierarchy(self) -> Hierarchy:
        """The hierarchy the dataset belongs to."""
        return self._hierarchy

    @property
    def path(self) -> str:
        """Absolute path of the dataset."""
        return self._path

    @property
    def info(self) -> DatasetInfo:
        """Shape, dtype, chunks, compression, ... as h5py would report them (current)."""
        node = self._hierarchy.resolve(self._path)
        if node is None or node.dataset is None:
            raise KeyError(f"{self._path}: the dataset no longer exists")
        return node.dataset

    @property
    def shape(self) -> tuple[int, ...]:
        """The dataset's shape (``()`` for a scalar)."""
        return self.info.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dataset's dtype as h5py reports it."""
        return self.info.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError(f"{self._path}: a scalar dataset has no len()")
        return shape[0]

    def __getitem__(self, selection: Selection) -> Any:
        return self._hierarchy.read(self._path, selection)

    def __setitem__(self, selection: Selection, values: Any) -> None:
        self._hierarchy.write(self._path, selection, values)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values = np.asarray(self._hierarchy.read(self._path, Ellipsis))
        return values.astype(dtype) if dtype is not None else values

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<DatasetHandle {self._path} shape={self.shape} dtype={self.dtype}>"


def copy_dataset(
    source: Hierarchy,
    source_path: str,
    dest: Hierarchy,
    dest_path: str,
    attrs: Mapping[str, Any],
    *,
    inferred_dtypes: Collection[str] = (),
) -> None:
    """Copy the dataset at ``source_path`` to ``dest_path`` of ``dest`` (the same hierarchy or
    another) with ``attrs`` and everything its :class:`DatasetInfo` describes: shape, dtype,
    chunks, maxshape, fill value, codecs (compression, shuffle, fletcher32), the source HDF5
    layout, an external array link. ``inferred_dtypes`` as for :meth:`Hierarchy.set_attrs`.

    Chunks are not re-encoded when the dataset's codecs are portable (numeric data whose codecs
    have numcodecs equivalents): their refs are copied (``[url, offset, size]``, inline chunks
    as they are, blobs of a container read and written again). Everything else is read as
    values and written again."""
    from hdmf_lindi.storage.reference_map import InlineRef, UrlRef

    node = source._require_dataset(source_path)
    info = node.dataset
    assert info is not None
    codecs = None
    if info.kind is DataKind.NUMERIC and info.external_array_link is None:
        codecs = source.conventions.portable_codecs(source.store.reference_map, node.path)
    if codecs is None:
        values = None
        if info.external_array_link is None and all(info.shape):
            values = source.read(node.path)
        dest.create_dataset(dest_path, info, values, attrs, inferred_dtypes=inferred_dtypes)
        return
    created = dest.create_dataset(
        dest_path, info, None, attrs, codecs=codecs, inferred_dtypes=inferred_dtypes
    ).path
    source_map = source.store.reference_map
    dest_map = dest.store.reference_map
    same_file = source.store is dest.store
    # a ref naming a local file is copied only when the source may read local files itself
    # (a remote document's refs never reach local files, here or when the copy is opened)
    local_allowed = source.store.router.local_allowed
    copied: list[tuple[str, bytes]] = []
    for key in source.conventions.stored_chunk_keys(source_map, node.path):
        index = source.conventions.chunk_index(node.path, key)
        if index is None:
            continue
        target = dest.conventions.chunk_key(created, () if info.is_scalar else index)
        ref = source_map.resolve(key)
        if isinstance(ref, UrlRef) and (same_file or _is_absolute_url(ref.url, local_allowed)):
            raw = source_map.get_raw(key)
            assert raw is not None
            dest_map.set_raw(target, raw)
        elif isinstance(ref, InlineRef):
            dest_map.set_inline(target, ref.data)
        elif ref is not None:
            buffer = source.store.get_sync(key)
            if buffer is not None:
                copied.append((target, buffer.to_bytes()))
    if copied:
        dest.store.set_many_sync(copied)
    dest._invalidate(created)


def _is_absolute_url(url: str, local_allowed: bool) -> bool:
    """Whether a ref's URL means the same wherever the new file is: a remote URL, or (when
    local files may be read) an absolute local path."""
    import os

    from hdmf_lindi.storage.sources import is_remote_url

    if is_remote_url(url):
        return True
    return local_allowed and (url.startswith("file://") or os.path.isabs(url))


# ---------------------------------------------------------------------- selection helpers
def _selects_everything(selection: Selection, *, scalar: bool) -> bool:
    if selection is Ellipsis or selection == ():
        return True
    return bool(scalar and isinstance(selection, tuple) and selection == (Ellipsis,))


def _zarr_read_concurrency() -> Any:
    """zarr reads an unsharded array with one ``Store.get`` per chunk, at most
    ``async.concurrency`` (default 10) at a time; the byte sources coalesce the gets in flight
    together, so more in flight means fewer round trips to a remote file
    (``benchmarks/bench_remote_chunks.py``: 32 chunks, 4 round trips at 10, 1 at 64)."""
    import zarr

    return zarr.config.set({"async.concurrency": _ZARR_READ_CONCURRENCY})


def _block_start(
    selection: tuple[Any, ...], shape: tuple[int, ...], path: str
) -> tuple[int, ...] | None:
    """Where a basic selection made only of step-1 slices starts (``None`` for anything else:
    integers, steps, empty selections)."""
    start: list[int] = []
    for item, n in zip(_expand_ellipsis(selection, len(shape), path), shape, strict=True):
        if not isinstance(item, slice):
            return None
        first, stop, step = item.indices(n)
        if step != 1 or stop <= first:
            return None
        start.append(first)
    return tuple(start)


_SLAB_CACHE_BYTES = 1024 * 1024
_SLAB_CACHE_ENTRIES = 8


def _slab_around(
    selection: tuple[Any, ...], shape: tuple[int, ...], chunks: tuple[int, ...]
) -> tuple[tuple[slice, ...], tuple[Any, ...]] | None:
    """``(block, inner)``: the chunk-aligned block holding a basic selection of integers and
    step-1 slices, and the selection within it; ``None`` for any other selection, or when the
    selection already is the whole block."""
    if len(selection) > len(shape) or len(chunks) != len(shape) or not shape:
        return None
    block: list[slice] = []
    inner: list[Any] = []
    padded = (*selection, *(slice(None),) * (len(shape) - len(selection)))
    for item, n, chunk in zip(padded, shape, chunks, strict=True):
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            index = int(item) + n if item < 0 else int(item)
            if not 0 <= index < n:
                return None
            start, stop = index, index + 1
        elif isinstance(item, slice) and item.step in (None, 1):
            start, stop, _step = item.indices(n)
            if stop <= start:
                return None
        else:
            return None
        low = start - start % chunk
        high = min(n, -(-stop // chunk) * chunk)
        block.append(slice(low, high))
        inner.append(
            start - low if isinstance(item, (int, np.integer)) else slice(start - low, stop - low)
        )
    if all(
        isinstance(i, slice) and i.stop - i.start == b.stop - b.start
        for i, b in zip(inner, block, strict=True)
    ):
        return None
    return tuple(block), tuple(inner)


def _classify_selection(selection: Selection, shape: tuple[int, ...], path: str) -> tuple[str, Any]:
    """('basic' | 'orthogonal' | 'mask', normalized selection)."""
    if isinstance(selection, np.ndarray) and selection.dtype == bool:
        if selection.shape == shape:
            return "mask", selection
        selection = (selection,)
    if not isinstance(selection, tuple):
        selection = (selection,)
    fancy = False
    normalized: list[Any] = []
    ellipsis_at = next((i for i, item in enumerate(selection) if item is Ellipsis), None)
    for position, item in enumerate(selection):
        if isinstance(item, (list, np.ndarray)):
            array = np.asarray(item)
            if array.dtype == bool:
                axis = (
                    position
                    if ellipsis_at is None or position < ellipsis_at
                    else len(shape) - (len(selection) - position)
                )
                if array.ndim != 1 or not 0 <= axis < len(shape) or len(array) != shape[axis]:
                    raise LindiShapeError(
                        f"{path}: Boolean indexing array has incompatible shape "
                        f"{array.shape} for axis {axis} of shape {shape}"
                    )
                array = np.flatnonzero(array)
            elif array.dtype.kind not in "iu":
                raise TypeError(f"{path}: cannot index with an array of {array.dtype}")
            fancy = True
            normalized.append(array)
        else:
            normalized.append(item)
    if fancy:
        return "orthogonal", _expand_ellipsis(tuple(normalized), len(shape), path)
    return "basic", tuple(normalized)


def _expand_ellipsis(selection: tuple[Any, ...], ndim: int, path: str) -> tuple[Any, ...]:
    if any(item is Ellipsis for item in selection):
        i = next(i for i, item in enumerate(selection) if item is Ellipsis)
        fill = ndim - (len(selection) - 1)
        selection = selection[:i] + (slice(None),) * fill + selection[i + 1 :]
    if len(selection) > ndim:
        raise IndexError(f"{path}: too many indices ({len(selection)}) for {ndim} dimensions")
    return selection + (slice(None),) * (ndim - len(selection))


def _selection_shape(shape: tuple[int, ...], kind: str, selection: Any) -> tuple[int, ...]:
    """The shape ``dataset[selection]`` has, computed without reading anything."""
    if kind == "mask":
        return (int(np.count_nonzero(selection)),)
    out: list[int] = []
    for n, item in zip(shape, _expand_ellipsis(selection, len(shape), ""), strict=True):
        if isinstance(item, slice):
            out.append(len(range(*item.indices(n))))
        elif isinstance(item, (int, np.integer)):
            if not -n <= int(item) < n:
                raise IndexError(f"index {int(item)} is out of range for an axis of length {n}")
        else:
            out.append(len(np.asarray(item)))
    return tuple(out)


def _apply_selection(values: np.ndarray, kind: str, normalized: Any) -> np.ndarray:
    """``values[selection]`` with h5py's (orthogonal) semantics, in memory."""
    if kind == "orthogonal":
        result = values
        for axis in reversed(range(len(normalized))):
            item = normalized[axis]
            if isinstance(item, (int, np.integer)):
                result = np.take(result, int(item), axis=axis)
            else:
                result = result[(slice(None),) * axis + (item,)]
        return np.asarray(result)
    return np.asarray(values[normalized])


def _integers_as_slices(
    selection: Any, shape: tuple[int, ...], path: str
) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """The selection with every integer index replaced by a length-1 slice, and those axes."""
    expanded = _expand_ellipsis(
        selection if isinstance(selection, tuple) else (selection,), len(shape), path
    )
    out: list[Any] = []
    axes: list[int] = []
    for axis, (item, n) in enumerate(zip(expanded, shape, strict=True)):
        if isinstance(item, (int, np.integer)):
            index = int(item)
            if not -n <= index < n:
                raise IndexError(f"{path}: index {index} is out of range for axis {axis} of {n}")
            index %= n
            out.append(slice(index, index + 1))
            axes.append(axis)
        else:
            out.append(item)
    return tuple(out), tuple(axes)


def _as_array(values: Any, info: DatasetInfo) -> np.ndarray:
    """Values given by a caller as an array of the dataset's h5py-facing type."""
    if isinstance(values, np.ndarray) and info.kind is not DataKind.NUMERIC:
        return values
    if info.kind is DataKind.NUMERIC or info.kind is DataKind.COMPOUND:
        return np.asarray(values, dtype=info.dtype)
    if isinstance(values, (list, tuple)):
        return np.array(values, dtype=object)
    out = np.empty((), dtype=object)
    out[()] = values
    return out


def _index_node(node: Node, soft_links: dict[str, str], holders: set[str]) -> None:
    """Enter ``node`` into the soft-link and reference-holder indexes (replacing what they
    said of its path)."""
    soft_links.pop(node.path, None)
    holders.discard(node.path)
    if node.kind is NodeKind.SOFT_LINK and node.link is not None:
        soft_links[node.path] = normalize_path(node.link.path)
    if _holds_references(node):
        holders.add(node.path)


def _holds_references(node: Node) -> bool:
    """Whether ``node`` may hold object references: in an attribute, or as a reference or
    compound-with-reference dataset."""
    if node.dataset is not None and node.dataset.holds_references:
        return True
    for value in node.attrs.values():
        if isinstance(value, Reference):
            return True
        if (
            isinstance(value, np.ndarray)
            and value.dtype.kind == "O"
            and any(isinstance(item, Reference) for item in value.reshape(-1))
        ):
            return True
    return False
