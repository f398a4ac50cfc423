"""``LindiH5pyGroup``: an ``h5py.Group`` over a LINDI hierarchy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from hdmf_lindi._paths import basename, join_path, parent_path
from hdmf_lindi.conventions.model import DataKind, NodeKind
from hdmf_lindi.errors import LindiExistsError, LindiUnsupportedError
from hdmf_lindi.h5py_compat._create import dataset_info_for
from hdmf_lindi.h5py_compat.attributes import LindiH5pyAttributes
from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset
from hdmf_lindi.h5py_compat.links import (
    LindiH5pyExternalLink,
    LindiH5pyHardLink,
    LindiH5pySoftLink,
)
from hdmf_lindi.h5py_compat.objectid import LindiObjectId
from hdmf_lindi.h5py_compat.reference import LindiH5pyReference

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.file import LindiH5pyFile

__all__ = ["LindiH5pyGroup"]


class LindiH5pyGroup(h5py.Group):
    """A group of a LINDI file with h5py's API (``isinstance(g, h5py.Group)`` holds).

    Soft links are followed on access; ``get(name, getlink=True)`` returns the link itself.
    A hard link assigned with ``g["b"] = g["a"]`` is stored as a soft link to ``"/.../a"``:
    LINDI has one key space per object, and a soft link reads back the same object.

    Parameters
    ----------
    file
        The open file.
    name
        The path the group was reached through (what ``.name`` reports).
    target
        The group's real path (soft links resolved).
    """

    def __init__(self, file: LindiH5pyFile, name: str, target: str) -> None:
        # h5py's own __init__ needs an HDF5 identifier; not called on purpose.
        self._file_object = file
        self._name = name
        self._target = target

    # ------------------------------------------------------------------ identity
    @property
    def file(self) -> LindiH5pyFile:
        """The file this group belongs to."""
        return self._file_object

    @property
    def name(self) -> str:
        """The path this group was reached through."""
        return self._name

    @property
    def parent(self) -> LindiH5pyGroup:
        """The group holding this one (the root for the root)."""
        return self._file_object[parent_path(self._name)]

    @property
    def id(self) -> LindiObjectId:
        """An identifier equal for every handle on this group."""
        return LindiObjectId(self._file_object, self._target)

    @property
    def ref(self) -> LindiH5pyReference:
        """An object reference to this group."""
        return self._file_object._reference_to(self._target)

    @property
    def regionref(self) -> Any:
        """Region references are not supported by LINDI."""
        raise LindiUnsupportedError("region references are only defined for datasets")

    @property
    def attrs(self) -> LindiH5pyAttributes:
        """The group's attributes."""
        return LindiH5pyAttributes(self._file_object, self._target)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LindiH5pyGroup):
            return self.id == other.id
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def __bool__(self) -> bool:
        return self._file_object._is_open

    def __repr__(self) -> str:
        if not self._file_object._is_open:
            return "<Closed LINDI group>"
        return f'<LINDI group "{self._name}" ({len(self)} members)>'

    # ------------------------------------------------------------------ reading
    def _path_of(self, name: str | bytes) -> str:
        if isinstance(name, bytes):
            name = name.decode("utf-8")
        if not isinstance(name, str):
            raise TypeError(
                f"Accessing a group is done with bytes or str, not {type(name).__name__}"
            )
        return join_path(self._name, name)

    def __getitem__(self, name: Any) -> Any:
        if isinstance(name, h5py.h5r.Reference):
            return self._file_object._dereference(name)
        return self._file_object._open_path(self._path_of(name))

    def get(
        self,
        name: Any,
        default: Any = None,
        getclass: bool = False,
        getlink: bool = False,
    ) -> Any:
        """The object (or, with ``getlink``, the link) at ``name``, ``default`` when absent.

        With ``getclass`` the class is returned instead (``h5py.Group``/``h5py.Dataset``, or
        ``h5py.SoftLink``/``h5py.HardLink``/``h5py.ExternalLink`` with ``getlink``).
        """
        if not (getclass or getlink):
            try:
                return self[name]
            except KeyError:
                return default
        if isinstance(name, h5py.h5r.Reference):
            if getlink:
                raise TypeError("getlink cannot be used with an object reference")
            obj = self[name]
            return type(obj).__mro__[1] if getclass else obj
        path = self._path_of(name)
        node = self._file_object._link_node(path)
        if node is None:
            return default
        if getlink:
            link: h5py.SoftLink | h5py.ExternalLink | h5py.HardLink
            if node.kind is NodeKind.SOFT_LINK and node.link is not None:
                link = LindiH5pySoftLink(node.link.path)
            elif node.kind is NodeKind.EXTERNAL_LINK and node.link is not None:
                link = LindiH5pyExternalLink(node.link.filename, node.link.path)  # type: ignore[union-attr]
            else:
                link = LindiH5pyHardLink()
            if getclass:
                return type(link).__mro__[1]
            return link
        try:
            obj = self._file_object._open_path(path)
        except KeyError:
            return default
        if isinstance(obj, LindiH5pyDataset):
            return h5py.Dataset
        if isinstance(obj, LindiH5pyGroup):
            return h5py.Group
        return type(obj)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, (str, bytes)):
            return False
        path = self._path_of(name)
        if path == self._name:
            return True
        try:
            return self._file_object._link_node(path) is not None
        except KeyError:
            return False

    def __iter__(self) -> Iterator[str]:
        yield from self._file_object._children(self._target)

    def __reversed__(self) -> Iterator[str]:
        yield from reversed(self._file_object._children(self._target))

    def __len__(self) -> int:
        return len(self._file_object._children(self._target))

    # ------------------------------------------------------------------ visiting
    def _visit_names(self, *, links: bool) -> Iterator[str]:
        prefix = self._target.rstrip("/") + "/"
        for node in self._file_object._hierarchy.walk(self._target):
            if node.path == self._target:
                continue
            if not links and node.kind in (NodeKind.SOFT_LINK, NodeKind.EXTERNAL_LINK):
                continue
            yield node.path[len(prefix) :]

    def visit(self, func: Callable[[str], Any]) -> Any:
        """Call ``func(name)`` for every group and dataset below this group, each once (soft
        links are not followed); stop early and return the first non-``None`` result."""
        for name in list(self._visit_names(links=False)):
            result = func(name)
            if result is not None:
                return result
        return None

    def visititems(self, func: Callable[[str, Any], Any]) -> Any:
        """Like :meth:`visit`, calling ``func(name, obj)``."""
        for name in list(self._visit_names(links=False)):
            result = func(name, self[name])
            if result is not None:
                return result
        return None

    def visit_links(self, func: Callable[[str], Any]) -> Any:
        """Call ``func(name)`` for every link below this group (soft links included, not
        followed)."""
        for name in list(self._visit_names(links=True)):
            result = func(name)
            if result is not None:
                return result
        return None

    def visititems_links(self, func: Callable[[str, Any], Any]) -> Any:
        """Like :meth:`visit_links`, calling ``func(name, link)``."""
        for name in list(self._visit_names(links=True)):
            result = func(name, self.get(name, getlink=True))
            if result is not None:
                return result
        return None

    # ------------------------------------------------------------------ writing
    def _new_path(self, name: str | bytes, action: str) -> str:
        path = join_path(self._target, name.decode() if isinstance(name, bytes) else name)
        self._file_object._check_writable(f"{action} {path!r}")
        if self._file_object._link_node(path) is not None:
            raise LindiExistsError(
                f"{self._file_object.filename}: cannot {action} {path!r}: name already exists"
            )
        return path

    def create_group(self, name: str, track_order: bool | None = None) -> LindiH5pyGroup:
        """Create a group (and missing parents) at ``name``.

        Parameters
        ----------
        name
            The new group's path, relative to this group or absolute.
        track_order
            Accepted for h5py compatibility; LINDI keeps no creation order.

        Returns
        -------
        LindiH5pyGroup
            The new group.
        """
        path = self._new_path(name, "create group")
        self._file_object._hierarchy.create_group(path)
        self._file_object._changed()
        return self._file_object._open_path(path)

    def require_group(self, name: str) -> LindiH5pyGroup:
        """The group at ``name``, created when absent."""
        if name not in self:
            return self.create_group(name)
        obj = self[name]
        if not isinstance(obj, LindiH5pyGroup):
            raise TypeError(
                f"{self._file_object.filename}: incompatible object "
                f"({type(obj).__name__}) already exists at {obj.name!r}"
            )
        return obj

    def create_dataset(
        self,
        name: str | None,
        shape: Any = None,
        dtype: Any = None,
        data: Any = None,
        **kwds: Any,
    ) -> LindiH5pyDataset:
        """Create a dataset, as ``h5py.Group.create_dataset``.

        Parameters
        ----------
        name
            The new dataset's path, relative to this group or absolute.
        shape, dtype, data
            As in h5py: the shape and dtype come from ``data`` when not given.
        **kwds
            ``chunks`` (tuple or ``True``), ``maxshape``, ``compression`` (``"gzip"`` or a
            level 0-9), ``compression_opts``, ``fillvalue``, ``shuffle`` (chunked numeric data;
            stored as a numcodecs ``shuffle`` filter), ``fletcher32`` (a numcodecs
            ``fletcher32`` filter applied *before* the compression, unlike HDF5, which
            checksums the compressed chunk: lindi 0.4.6 pads short compressed chunks with
            zeros); ``track_order``,
            ``track_times`` are accepted and have no effect.

        Returns
        -------
        LindiH5pyDataset
            The new dataset.
        """
        if name is None:
            raise LindiUnsupportedError("anonymous datasets (name=None) are not supported")
        path = self._new_path(name, "create dataset")
        info, values, codecs = dataset_info_for(
            shape=shape,
            dtype=dtype,
            data=data,
            where=f"{self._file_object.filename}:{path}",
            **kwds,
        )
        if info.kind is DataKind.REFERENCE and values is None and 0 not in info.shape:
            self._file_object._add_pending(path, info)
        else:
            self._file_object._hierarchy.create_dataset(path, info, data=values, codecs=codecs)
        self._file_object._changed()
        return self._file_object._open_path(path)

    def require_dataset(
        self, name: str, shape: Any, dtype: Any, exact: bool = False, **kwds: Any
    ) -> LindiH5pyDataset:
        """The dataset at ``name`` when its shape and dtype fit, else created.

        Parameters
        ----------
        name
            The dataset's path.
        shape, dtype
            What the dataset must have (created with them when missing).
        exact
            Require exactly ``dtype`` (else a dtype it can be cast to is enough).
        **kwds
            Passed to :meth:`create_dataset` when creating.

        Returns
        -------
        LindiH5pyDataset
            The existing or new dataset.
        """
        if name not in self:
            return self.create_dataset(name, shape=shape, dtype=dtype, **kwds)
        obj = self[name]
        if not isinstance(obj, LindiH5pyDataset):
            raise TypeError(
                f"{self._file_object.filename}: incompatible object "
                f"({type(obj).__name__}) already exists at {obj.name!r}"
            )
        wanted_shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if tuple(obj.shape) != wanted_shape:
            raise TypeError(
                f"{self._file_object.filename}: shapes do not match for {obj.name!r} "
                f"(existing {obj.shape} vs new {wanted_shape})"
            )
        wanted_dtype = np.dtype(dtype)
        if exact and wanted_dtype != obj.dtype:
            raise TypeError(
                f"{self._file_object.filename}: datatypes do not exactly match for "
                f"{obj.name!r} (existing {obj.dtype} vs new {wanted_dtype})"
            )
        if not np.can_cast(wanted_dtype, obj.dtype):
            raise TypeError(
                f"{self._file_object.filename}: datatypes cannot be safely cast for "
                f"{obj.name!r} (existing {obj.dtype} vs new {wanted_dtype})"
            )
        return obj

    def __setitem__(self, name: str, obj: Any) -> None:
        """Create a link or a dataset at ``name``: ``h5py.SoftLink`` and
        ``h5py.ExternalLink`` make links; a group or dataset of this file makes a soft link
        to it (LINDI's stand-in for a hard link); anything else becomes a new dataset."""
        if isinstance(obj, h5py.SoftLink):
            path = self._new_path(name, "create soft link")
            target = join_path(parent_path(path), obj.path)
            self._file_object._hierarchy.create_soft_link(path, target)
        elif isinstance(obj, h5py.ExternalLink):
            path = self._new_path(name, "create external link")
            self._file_object._hierarchy.create_external_link(path, obj.filename, obj.path)
        elif isinstance(obj, (LindiH5pyGroup, LindiH5pyDataset)) and obj.file is self.file:
            path = self._new_path(name, "create link")
            self._file_object._hierarchy.create_soft_link(path, obj.id.path)
        elif isinstance(obj, (h5py.Group, h5py.Datatype)):
            raise LindiUnsupportedError(
                f"{self._file_object.filename}: cannot link to {obj!r}, which is in another file"
            )
        else:
            self.create_dataset(name, data=obj)
            return
        self._file_object._changed()

    def __delitem__(self, name: str) -> None:
        path = join_path(self._target, name)
        self._file_object._check_writable(f"delete {path!r}")
        if path == "/":
            raise ValueError(f"{self._file_object.filename}: cannot delete the root group")
        if self._file_object._link_node(path) is None:
            raise KeyError(f"{self._file_object.filename}: no object named {path!r} to delete")
        if path in self._file_object._pending:
            del self._file_object._pending[path]
        else:
            self._file_object._hierarchy.delete(path)
        self._file_object._changed()

    def copy(
        self,
        source: Any,
        dest: Any,
        name: str | None = None,
        shallow: bool = False,
        expand_soft: bool = False,
        expand_external: bool = False,
        expand_refs: bool = False,
        without_attrs: bool = False,
    ) -> None:
        """Copy a group or dataset (values, attributes, links) to ``dest[name]``.

        Parameters
        ----------
        source
            The object to copy, or its path relative to this group.
        dest
            The group to copy into (or a path relative to this group: the copy's path when
            ``name`` is not given and nothing is there).
        name
            The copy's name in ``dest`` (default: the source's name).
        shallow
            Copy only the immediate members of a group.
        expand_soft, expand_external, expand_refs
            Accepted for h5py compatibility; links and references are copied as they are.
        without_attrs
            Do not copy attributes.
        """
        if isinstance(source, str):
            source = self[source]
        if isinstance(dest, str):
            if name is None and dest not in self:
                dest, name = (
                    self.require_group(parent_path(join_path(self._name, dest))),
                    basename(join_path(self._name, dest)),
                )
            else:
                dest = self[dest]
        if name is None:
            name = basename(source.name)
            if not name:
                raise ValueError("copying the root group needs a name for the copy")
        _copy_object(source, dest, name, shallow=shallow, without_attrs=without_attrs)

    def move(self, source: str, dest: str) -> None:
        """Move (rename) ``source`` to ``dest`` (values are copied, then the source deleted).

        Parameters
        ----------
        source
            The path of the object to move, relative to this group or absolute.
        dest
            Its new path, relative to this group or absolute.
        """
        src_path = join_path(self._target, source)
        dst_path = join_path(self._target, dest)
        if src_path == dst_path:
            return
        node = self._file_object._link_node(src_path)
        if node is None:
            raise KeyError(f"{self._file_object.filename}: no object named {src_path!r} to move")
        root = self._file_object
        parent = root.require_group(parent_path(dst_path))
        if node.kind is NodeKind.SOFT_LINK and node.link is not None:
            parent[basename(dst_path)] = h5py.SoftLink(node.link.path)
        elif node.kind is NodeKind.EXTERNAL_LINK and node.link is not None:
            link = node.link
            parent[basename(dst_path)] = h5py.ExternalLink(link.filename, link.path)  # type: ignore[union-attr]
        else:
            _copy_object(root[src_path], parent, basename(dst_path))
        del root[src_path]

    def create_virtual_dataset(self, name: str, layout: Any, fillvalue: Any = None) -> Any:
        """Virtual datasets are not supported."""
        raise LindiUnsupportedError("HDF5 virtual datasets are not supported by LINDI")

    def create_dataset_like(self, name: str, other: Any, **kwupdate: Any) -> LindiH5pyDataset:
        """Create an empty dataset with the shape, dtype and chunking of ``other``."""
        kwds: dict[str, Any] = {
            "shape": other.shape,
            "dtype": other.dtype,
            "chunks": other.chunks,
            "maxshape": other.maxshape if other.chunks is not None else None,
            "compression": other.compression,
            "compression_opts": other.compression_opts,
            "fillvalue": other.fillvalue,
        }
        kwds.update(kwupdate)
        return self.create_dataset(name, **kwds)


def _copy_object(
    source: Any, dest: Any, name: str, *, shallow: bool = False, without_attrs: bool = False
) -> None:
    """Copy ``source`` (a group or dataset of any h5py-like file) to ``dest[name]``."""
    if isinstance(source, h5py.Dataset):
        copied = dest.create_dataset(
            name,
            data=source[()],
            dtype=source.dtype,
            chunks=source.chunks,
            maxshape=source.maxshape if source.chunks is not None else None,
            compression=source.compression,
            compression_opts=source.compression_opts,
        )
    else:
        copied = dest.create_group(name)
        for child in source:
            link = source.get(child, getlink=True)
            if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                copied[child] = link
            elif not shallow:
                _copy_object(source[child], copied, child, without_attrs=without_attrs)
    if not without_attrs:
        for key, value in source.attrs.items():
            copied.attrs[key] = value
