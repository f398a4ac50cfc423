"""``LindiH5pyGroup``: an ``h5py.Group`` over a LINDI hierarchy."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from hdmf_lindi._paths import basename, join_path, normalize_path, parent_path
from hdmf_lindi.conventions.model import DataKind, Node, NodeKind, Reference, SoftLink
from hdmf_lindi.errors import (
    LindiArgumentError,
    LindiCopyExistsError,
    LindiCopyNotFoundError,
    LindiDanglingLinkError,
    LindiExistsError,
    LindiLinkError,
    LindiLinkExistsError,
    LindiNotAGroupError,
    LindiNotFoundError,
    LindiReadOnlyDeleteError,
    LindiTextEncodeError,
    LindiUnsupportedError,
)
from hdmf_lindi.h5py_compat._create import dataset_info_for, nonzero_compound_fill
from hdmf_lindi.h5py_compat._values import refuse_text_lindi_changes
from hdmf_lindi.h5py_compat.attributes import LindiH5pyAttributes, surrogates_as_bytes
from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset
from hdmf_lindi.h5py_compat.links import (
    LindiH5pyExternalLink,
    LindiH5pyHardLink,
    LindiH5pySoftLink,
)
from hdmf_lindi.h5py_compat.objectid import LindiObjectId
from hdmf_lindi.h5py_compat.reference import LindiH5pyReference
from hdmf_lindi.hierarchy import copy_dataset

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.file import LindiH5pyFile
    from hdmf_lindi.hierarchy import Hierarchy

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
        raise LindiUnsupportedError(
            f"{self._file_object.filename}: region references are not supported ({self._name!r})"
        )

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
            raise LindiArgumentError(
                f"{self._file_object.filename}: Accessing a group is done with bytes or str, "
                f"not {type(name)}"
            )
        if name == "" or ".." in name.split("/"):
            # HDF5 has no empty names and no parent links: ".." is a name nothing has
            raise LindiNotFoundError(
                f"{self._file_object.filename}: Unable to open object ({name!r} doesn't exist "
                f"in {self._name!r})"
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
            # h5py looks the reference up as a name (``name in group``) and refuses it
            raise LindiArgumentError(
                f"{self._file_object.filename}: get() with getclass or getlink needs a name "
                f"(string or bytes), not {type(name)}"
            )
        try:
            path = self._path_of(name)
        except KeyError:
            return default
        if not self._file_object._link_exists(path):
            return default
        node = self._file_object._link_node(path)
        if node is None:
            return default
        if getlink:
            link: h5py.SoftLink | h5py.ExternalLink | h5py.HardLink
            if (
                node.kind is NodeKind.SOFT_LINK
                and isinstance(node.link, SoftLink)
                and not node.link.hard
            ):
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
            if node.kind is NodeKind.EXTERNAL_LINK:
                # h5py cannot tell the class of what it cannot open (RuntimeError)
                raise
            return default
        if isinstance(obj, LindiH5pyDataset):
            return h5py.Dataset
        if isinstance(obj, LindiH5pyGroup):
            return h5py.Group
        return type(obj)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, (str, bytes)):
            raise LindiArgumentError(
                f"{self._file_object.filename}: A name should be string or bytes, not {type(name)}"
            )
        try:
            path = self._path_of(name)
        except KeyError:
            return False
        return path == self._name or self._file_object._link_exists(path)

    def __iter__(self) -> Iterator[str]:
        yield from self._file_object._children(self._target)

    def __reversed__(self) -> Iterator[str]:
        yield from reversed(self._file_object._children(self._target))

    def __len__(self) -> int:
        return len(self._file_object._children(self._target))

    # ------------------------------------------------------------------ visiting
    def _visit_names(self, *, links: bool) -> Iterator[str]:
        """Names below this group in lexicographic order, as ``H5Ovisit`` (``links=False``:
        each group and dataset once, under the first of its names met) or ``H5Lvisit``
        (``links=True``: every link, each group's members listed once) give them.

        As HDF5: no group is entered twice, this one included; this group is reported again
        when a cycle leads back to it, unless it has a second (hard link) name."""
        hierarchy = self._file_object._hierarchy
        entered = {self._target}
        reported = {self._target} if self._has_second_name() else set()

        def members(group: str, prefix: str) -> Iterator[str]:
            for name in hierarchy.children(group):
                node = hierarchy.node(join_path(group, name))
                if node is None:
                    continue
                if node.kind is NodeKind.SOFT_LINK and isinstance(node.link, SoftLink):
                    if not node.link.hard:
                        if links:
                            yield prefix + name
                        continue
                    node = hierarchy.node(node.link.path)
                    if node is None:
                        continue
                elif node.kind is NodeKind.EXTERNAL_LINK:
                    if links:
                        yield prefix + name
                    continue
                if links:
                    yield prefix + name
                elif node.path not in reported:
                    reported.add(node.path)
                    yield prefix + name
                if node.path in entered:
                    continue
                entered.add(node.path)
                if node.kind is NodeKind.GROUP:
                    yield from members(node.path, prefix + name + "/")

        return members(self._target, "")

    def _has_second_name(self) -> bool:
        """Whether a hard link elsewhere names this group too (its HDF5 reference count is
        above 1)."""
        hierarchy = self._file_object._hierarchy
        for link_path, target in hierarchy.soft_links().items():
            if target == self._target:
                node = hierarchy.node(link_path)
                if node is not None and isinstance(node.link, SoftLink) and node.link.hard:
                    return True
        return False

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
    def _path_for(self, name: str | bytes) -> str:
        """The absolute path of ``name`` (relative to this group or absolute)."""
        if not isinstance(name, (str, bytes)):
            raise LindiArgumentError(
                f"{self._file_object.filename}: A name should be string or bytes, not {type(name)}"
            )
        return join_path(self._target, name.decode() if isinstance(name, bytes) else name)

    def _new_path(self, name: str | bytes, action: str, *, link: bool = False) -> str:
        """The absolute path of a new object ``name``; ``link``: a link is made there (h5py
        raises ``OSError`` for a taken name then, ``ValueError`` for a new group or dataset)."""
        path = self._path_for(name)
        self._file_object._check_writable(f"{action} {path!r}")
        node = self._file_object._link_node(path)
        if node is not None:
            self._refuse_link_cycle(node)
            error = LindiLinkExistsError if link else LindiExistsError
            raise error(
                f"{self._file_object.filename}: cannot {action} {path!r}: name already exists"
            )
        return path

    def _refuse_link_cycle(self, node: Node) -> None:
        """Raise :class:`~hdmf_lindi.errors.LindiLinkCycleError` when ``node``, a name about to
        be refused as taken, is a soft link in a cycle: HDF5 follows the link there first."""
        if node.kind is NodeKind.SOFT_LINK:
            with contextlib.suppress(LindiDanglingLinkError):
                self._file_object._hierarchy.resolve(node.path)

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
        # named as h5py names it: by the path it was created through (links not followed)
        return self._file_object._open_path(self._path_of(name))

    def require_group(self, name: str) -> LindiH5pyGroup:
        """The group at ``name``, created when absent."""
        if name not in self:
            return self.create_group(name)
        obj = self[name]
        if not isinstance(obj, LindiH5pyGroup):
            raise LindiNotAGroupError(
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
            self._file_object._check_writable("create an anonymous dataset")
            raise LindiUnsupportedError(
                f"{self._file_object.filename}: anonymous datasets (name=None) are not supported"
            )
        text = name.decode() if isinstance(name, bytes) else name
        if isinstance(text, str) and "/" in text.lstrip("/"):
            # as h5py: the parent group first (it stays when the dataset is refused)
            parent, _, leaf = text.rpartition("/")
            group = self.require_group(parent)
            return group._create_dataset_here(leaf, shape, dtype, data, **kwds)
        return self._create_dataset_here(name, shape, dtype, data, **kwds)

    def _create_dataset_here(
        self,
        name: str | bytes,
        shape: Any,
        dtype: Any,
        data: Any,
        *,
        as_link: bool = False,
        **kwds: Any,
    ) -> LindiH5pyDataset:
        """:meth:`create_dataset` without making the parent group first (the hierarchy makes
        missing groups once the dataset is accepted); the arguments are checked before the
        name, as h5py checks them. ``as_link``: a taken name raises as for a new link
        (``group[name] = data``)."""
        try:
            info, values, codecs = dataset_info_for(
                shape=shape,
                dtype=dtype,
                data=data,
                where=f"{self._file_object.filename}:{self._path_for(name)}",
                **kwds,
            )
        except LindiUnsupportedError:
            # h5py could create it, in a writable file: a read-only one refuses it first
            self._file_object._check_writable(f"create dataset {self._path_for(name)!r}")
            raise
        encode_error: LindiTextEncodeError | None = None
        if values is not None and info.kind is DataKind.VLEN_STRING:
            where = f"{self._file_object.filename}:{self._path_for(name)}"
            try:
                refuse_text_lindi_changes(values, info.dtype, where=where)
            except LindiTextEncodeError as exc:
                if as_link:
                    raise  # h5py's group[name] = data links the dataset only once written
                # h5py makes the dataset, then fails to encode its values: it stays, empty
                encode_error, values = exc, None
        path = self._new_path(name, "create link" if as_link else "create dataset", link=as_link)
        self._file_object._hierarchy.create_dataset(path, info, data=values, codecs=codecs)
        self._file_object._changed()
        if encode_error is not None:
            raise encode_error
        return self._file_object._open_path(self._path_of(name))

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
            raise LindiArgumentError(
                f"{self._file_object.filename}: incompatible object "
                f"({type(obj).__name__}) already exists at {obj.name!r}"
            )
        wanted_shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if tuple(obj.shape) != wanted_shape:
            # as h5py: another shape is accepted when the same maxshape is asked for
            if "maxshape" not in kwds:
                raise LindiArgumentError(
                    f"{self._file_object.filename}: shapes do not match for {obj.name!r} "
                    f"(existing {obj.shape} vs new {wanted_shape})"
                )
            if kwds["maxshape"] != obj.maxshape:
                raise LindiArgumentError(
                    f"{self._file_object.filename}: max shapes do not match for {obj.name!r} "
                    f"(existing {obj.maxshape} vs new {kwds['maxshape']})"
                )
        wanted_dtype = np.dtype(dtype)
        if exact and wanted_dtype != obj.dtype:
            raise LindiArgumentError(
                f"{self._file_object.filename}: datatypes do not exactly match for "
                f"{obj.name!r} (existing {obj.dtype} vs new {wanted_dtype})"
            )
        if not np.can_cast(wanted_dtype, obj.dtype):
            raise LindiArgumentError(
                f"{self._file_object.filename}: datatypes cannot be safely cast for "
                f"{obj.name!r} (existing {obj.dtype} vs new {wanted_dtype})"
            )
        return obj

    def __setitem__(self, name: str, obj: Any) -> None:
        """Create a link or a dataset at ``name``: ``h5py.SoftLink`` and
        ``h5py.ExternalLink`` make links; a group or dataset of this file makes a soft link
        to it (LINDI's stand-in for a hard link); anything else becomes a new dataset."""
        if isinstance(obj, h5py.SoftLink):
            path = self._new_path(name, "create soft link", link=True)
            self._file_object._hierarchy.create_soft_link(path, obj.path)
        elif isinstance(obj, h5py.ExternalLink):
            path = self._new_path(name, "create external link", link=True)
            self._file_object._hierarchy.create_external_link(path, obj.filename, obj.path)
        elif isinstance(obj, (LindiH5pyGroup, LindiH5pyDataset)) and obj.file is self.file:
            path = self._new_path(name, "create link", link=True)
            self._file_object._hierarchy.create_soft_link(path, obj.id.path, hard=True)
        elif isinstance(obj, (h5py.Group, h5py.Datatype)):
            raise LindiUnsupportedError(
                f"{self._file_object.filename}: cannot link to {obj!r}, which is in another file"
            )
        elif isinstance(obj, np.dtype):
            raise LindiUnsupportedError(
                f"{self._file_object.filename}: cannot store {obj!r} at {self._path_for(name)!r}: "
                "named (committed) HDF5 datatypes are not supported by LINDI"
            )
        else:
            self._create_dataset_here(name, None, None, obj, as_link=True)
            return
        self._file_object._changed()

    def __delitem__(self, name: str) -> None:
        """Delete the link ``name``. LINDI keeps an object under one name and makes its other
        names (hard links in the HDF5 file, ``g["b"] = g["a"]``) soft links to it; when soft
        links outside the deleted object point to it or into it, the object is first moved to
        the first of them (by name) and the others are repointed, so that it stays reachable
        under its remaining names, as in HDF5 (and object references follow it)."""
        path = join_path(self._target, name)
        root = self._file_object
        if path == "/":
            # h5py: KeyError ("Couldn't delete link")
            raise LindiNotFoundError(f"{root.filename}: cannot delete the root group")
        node = root._link_node(path)
        if node is None:
            raise LindiNotFoundError(f"{root.filename}: no object named {path!r} to delete")
        if not root._writable:
            raise LindiReadOnlyDeleteError(
                f"{root.filename}: opened read-only (mode 'r'); cannot delete {path!r}"
            )
        root._check_writable(f"delete {path!r}")
        if node.kind in (NodeKind.GROUP, NodeKind.DATASET):
            _delete_rehoming(root, node.path)
        else:
            root._hierarchy.delete(node.path)
        root._changed()

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
        """Copy a group or dataset (values, attributes, links, every dataset property) to
        ``dest[name]``, as ``h5py.Group.copy``.

        Parameters
        ----------
        source
            The object to copy, or its path relative to this group.
        dest
            The group to copy into (the copy is ``dest[name]``), or the copy's path relative to
            this group (``name`` is then ignored, as in h5py; missing groups on the way are
            created).
        name
            The copy's name in ``dest`` when ``dest`` is a group (default: the source's name).
        shallow
            Copy only the immediate members of a group (subgroups without their members).
        expand_soft, expand_external, expand_refs
            Accepted for h5py compatibility; links and references are copied as they are.
            Soft links inside the copied group that point into it point into the copy (as
            relative links and hard links do in HDF5).
        without_attrs
            Do not copy attributes.

        Raises
        ------
        LindiCopyExistsError
            When something already exists at the destination (a ``RuntimeError``, as h5py's).
        TypeError
            When ``dest`` is a dataset.
        """
        where = self._file_object.filename
        if isinstance(source, (str, bytes)):
            try:
                source = self[source]
            except KeyError as exc:
                if isinstance(exc, LindiDanglingLinkError):
                    raise
                raise LindiCopyNotFoundError(
                    f"{where}: Unable to copy object ({self._path_of(source)!r} doesn't exist)"
                ) from None
        if isinstance(dest, h5py.Group):
            dest_name = name if name is not None else basename(source.name)
            if not dest_name:
                raise ValueError("copying the root group needs a name for the copy")
            dest_group = dest
            if isinstance(dest, LindiH5pyGroup):
                dest._refuse_copy_through_soft_link(dest_name)
        elif isinstance(dest, h5py.HLObject):
            raise TypeError("Destination must be path or Group object")
        else:
            self._refuse_copy_through_soft_link(dest)
            dest_path = self._path_of(dest)
            dest_name = basename(dest_path)
            dest_group = None
        # what is copied is the source as it is before the destination's groups are made
        # (copying "/a" to "/a/c/c" does not copy the new "/a/c")
        nodes = (
            list(source.file._hierarchy.walk(source.id.path))
            if isinstance(source, (LindiH5pyGroup, LindiH5pyDataset))
            else None
        )
        if dest_group is None:
            if self._file_object._link_node(dest_path) is not None:
                raise LindiCopyExistsError(
                    f"{where}: Unable to copy object (destination object {dest_path!r} "
                    "already exists)"
                )
            dest_group = self._file_object.require_group(parent_path(dest_path))
        elif dest_name in dest_group:
            raise LindiCopyExistsError(
                f"{where}: Unable to copy object (destination object "
                f"{join_path(dest_group.name, dest_name)!r} already exists)"
            )
        if isinstance(source, (LindiH5pyGroup, LindiH5pyDataset)) and isinstance(
            dest_group, LindiH5pyGroup
        ):
            dest_group.file._check_writable(f"copy {source.name!r}")
            _copy_tree(
                source.file,
                source.id.path,
                dest_group.file,
                join_path(dest_group.id.path, dest_name),
                shallow=shallow,
                without_attrs=without_attrs,
                copy_linked_objects=True,
                nodes=nodes,
            )
            dest_group.file._changed()
            return
        _copy_object(source, dest_group, dest_name, shallow=shallow, without_attrs=without_attrs)

    def _refuse_copy_through_soft_link(self, name: str | bytes) -> None:
        """Refuse a copy to ``name`` (below this group) when a soft link is on the way there:
        HDF5's ``H5Ocopy`` cannot copy to such a path and h5py raises ``RuntimeError``."""
        text = name.decode() if isinstance(name, bytes) else name
        hierarchy = self._file_object._hierarchy
        current = "/" if text.startswith("/") else self._target
        for part in [p for p in text.split("/") if p][:-1]:
            node = hierarchy.node(join_path(current, part))
            if node is None:
                return
            if node.kind is NodeKind.SOFT_LINK and isinstance(node.link, SoftLink):
                if not node.link.hard:
                    raise LindiUnsupportedError(
                        f"{self._file_object.filename}: Unable to copy object to {text!r}: "
                        f"{node.path!r} on the way is a soft link (HDF5 cannot copy through "
                        "one; copy into the group it names instead)"
                    )
                current = node.link.path
            elif node.kind is NodeKind.GROUP:
                current = node.path
            else:
                return

    def move(self, source: str, dest: str) -> None:
        """Move (rename) ``source`` to ``dest``, as ``h5py.Group.move``: a soft or external
        link is moved as it is; a group or dataset is copied to ``dest`` (chunk refs, not
        values, where the codecs allow) and then deleted. Soft links and object references
        that pointed to the object or into it are repointed to its new place (HDF5 object
        references follow a moved object; see ``docs/conventions.md`` for soft links).

        Parameters
        ----------
        source
            The path of the object to move, relative to this group or absolute.
        dest
            Its new path, relative to this group or absolute (missing groups on the way are
            created).

        Raises
        ------
        LindiNotFoundError
            When nothing is at ``source`` (a ``ValueError``, as h5py's, and a ``KeyError``).
        LindiExistsError
            When something is already at ``dest``.
        LindiLinkError
            When ``dest`` is inside ``source``.
        """
        src_path = join_path(self._target, source)
        dst_path = join_path(self._target, dest)
        if src_path == dst_path:
            return
        root = self._file_object
        where = root.filename
        root._check_writable(f"move {src_path!r}")
        node = root._link_node(src_path)
        if node is None:
            raise LindiNotFoundError(f"{where}: Unable to move link (no object named {src_path!r})")
        taken = root._link_node(dst_path)
        if taken is not None:
            self._refuse_link_cycle(taken)
            raise LindiExistsError(
                f"{where}: Unable to move link (an object named {dst_path!r} already exists)"
            )
        if node.kind in (NodeKind.GROUP, NodeKind.DATASET) and _inside(dst_path, src_path):
            raise LindiLinkError(f"{where}: Unable to move {src_path!r} into itself ({dst_path!r})")
        parent = root.require_group(parent_path(dst_path))
        dst_real = join_path(parent.id.path, basename(dst_path))
        if node.kind is NodeKind.SOFT_LINK and isinstance(node.link, SoftLink):
            root._hierarchy.create_soft_link(dst_real, node.link.path, hard=node.link.hard)
            root._hierarchy.delete(node.path)
        elif node.kind is NodeKind.EXTERNAL_LINK and node.link is not None:
            link = node.link
            root._hierarchy.create_external_link(dst_real, link.filename, link.path)  # type: ignore[union-attr]
            root._hierarchy.delete(node.path)
        else:
            if _inside(dst_real, node.path):
                raise LindiLinkError(
                    f"{where}: Unable to move {src_path!r} into itself ({dst_path!r})"
                )
            _move_object(root, node.path, dst_real)
        root._changed()

    def create_virtual_dataset(self, name: str, layout: Any, fillvalue: Any = None) -> Any:
        """Virtual datasets are not supported.

        Raises
        ------
        LindiUnsupportedError
            Always.
        """
        self._file_object._check_writable(f"create virtual dataset {name!r}")
        raise LindiUnsupportedError(
            f"{self._file_object.filename}: cannot create {name!r} in {self._name!r}: HDF5 "
            "virtual datasets are not supported by LINDI"
        )

    def build_virtual_dataset(
        self,
        name: str,
        shape: Any,
        dtype: Any,
        maxshape: Any = None,
        fillvalue: Any = None,
    ) -> Any:
        """Virtual datasets are not supported (refused here, not when the ``with`` block
        ends as h5py would create it).

        Raises
        ------
        LindiUnsupportedError
            Always.
        """
        raise LindiUnsupportedError(
            f"{self._file_object.filename}: cannot build {name!r} in {self._name!r}: HDF5 "
            "virtual datasets are not supported by LINDI"
        )

    def create_dataset_like(self, name: str, other: Any, **kwupdate: Any) -> LindiH5pyDataset:
        """Create an empty dataset like ``other`` (an h5py or LINDI dataset), as h5py: its
        shape, dtype, chunks, filters and fill value, and its ``maxshape`` when that differs
        from its shape; ``kwupdate`` (any :meth:`create_dataset` keyword) takes precedence."""
        for key in (
            "shape",
            "dtype",
            "chunks",
            "compression",
            "compression_opts",
            "scaleoffset",
            "shuffle",
            "fletcher32",
            "fillvalue",
        ):
            kwupdate.setdefault(key, getattr(other, key))
        if other.maxshape != other.shape:
            kwupdate.setdefault("maxshape", other.maxshape)
        return self.create_dataset(name, **kwupdate)


def _copy_object(
    source: Any, dest: Any, name: str, *, shallow: bool = False, without_attrs: bool = False
) -> None:
    """Copy ``source`` (a group or dataset of any h5py-like file) to ``dest[name]`` through
    the h5py API (a copy between a LINDI file and an HDF5 file)."""
    if isinstance(source, h5py.Dataset):
        chunked = source.chunks is not None
        copied = dest.create_dataset(
            name,
            data=source[()],
            dtype=source.dtype,
            chunks=source.chunks,
            maxshape=source.maxshape if chunked else None,
            compression=source.compression,
            compression_opts=source.compression_opts,
            fillvalue=source.fillvalue if _has_fillvalue(source) else None,
            shuffle=bool(source.shuffle) and chunked,
            fletcher32=bool(source.fletcher32) and chunked,
        )
    else:
        copied = dest.create_group(name)
        for child in source:
            link = source.get(child, getlink=True)
            if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                copied[child] = link
            elif not shallow or isinstance(source[child], h5py.Dataset):
                _copy_object(source[child], copied, child, without_attrs=without_attrs)
            else:
                member = copied.create_group(child)
                if not without_attrs:
                    for key, value in source[child].attrs.items():
                        member.attrs[key] = surrogates_as_bytes(value)
    if not without_attrs:
        for key, value in source.attrs.items():
            copied.attrs[key] = surrogates_as_bytes(value)


def _has_fillvalue(dataset: h5py.Dataset) -> bool:
    """Whether ``dataset`` has a fill value other than the default (zero, empty)."""
    fill = dataset.fillvalue
    if fill is None or dataset.dtype.kind == "O":
        return False
    if dataset.dtype.names is not None:
        return nonzero_compound_fill(fill, dataset.dtype)
    return bool(np.any(np.asarray(fill) != np.zeros((), dtype=dataset.dtype)))


def _inside(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or below it."""
    return path == root or root == "/" or path.startswith(root.rstrip("/") + "/")


def _moved(path: str, moves: list[tuple[str, str]]) -> str | None:
    """``path`` after the moves ``(old, new)`` (the first that contains it), or ``None`` when
    none does."""
    for old, new in moves:
        if path == old:
            return new
        if _inside(path, old):
            return join_path(new, path[len(old.rstrip("/")) + 1 :])
    return None


def _copy_tree(
    source: LindiH5pyFile,
    source_root: str,
    dest: LindiH5pyFile,
    dest_root: str,
    *,
    shallow: bool = False,
    without_attrs: bool = False,
    copy_linked_objects: bool = False,
    nodes: list[Node] | None = None,
) -> None:
    """Copy the object at ``source_root`` of ``source`` (links resolved) to ``dest_root`` of
    ``dest`` through the hierarchies: every dataset property is kept, chunk refs are copied
    where the codecs allow, and soft links inside the copy that pointed into the source
    object point into the copy.

    ``copy_linked_objects``: a second name of an object outside ``source_root`` (a hard link
    in HDF5) is copied as the object, as ``H5Ocopy`` does: once per object, its other names
    in the copy (cycles included) link to that copy; otherwise it stays a link to the object
    (a move). ``nodes``: the source's nodes, walked before the destination's parent groups
    were made. Everything copied is read before anything is written, so a copy into the
    source, or into an object it reaches, copies the source as it was."""
    source_hierarchy = source._hierarchy
    snapshots = {
        source_root: nodes if nodes is not None else list(source_hierarchy.walk(source_root))
    }
    if copy_linked_objects:
        pending = [source_root]
        while pending:
            for node in snapshots[pending.pop()]:
                link = node.link
                if (
                    node.kind is NodeKind.SOFT_LINK
                    and isinstance(link, SoftLink)
                    and link.hard
                    and link.path not in snapshots
                ):
                    snapshots[link.path] = list(source_hierarchy.walk(link.path))
                    pending.append(link.path)
    _write_copy(
        source,
        source_root,
        dest,
        dest_root,
        snapshots,
        copied={},
        shallow=shallow,
        without_attrs=without_attrs,
        copy_linked_objects=copy_linked_objects,
    )


def _write_copy(
    source: LindiH5pyFile,
    source_root: str,
    dest: LindiH5pyFile,
    dest_root: str,
    snapshots: dict[str, list[Node]],
    *,
    copied: dict[str, str],
    shallow: bool,
    without_attrs: bool,
    copy_linked_objects: bool,
) -> None:
    """Write the copy :func:`_copy_tree` planned: ``snapshots[source_root]`` to
    ``dest_root``; ``copied`` maps the source objects copied so far to their copies."""
    source_hierarchy = source._hierarchy
    dest_hierarchy = dest._hierarchy
    copied[source_root] = dest_root
    prefix_length = len(source_root.rstrip("/")) + 1
    linked_subtree: str | None = None
    for node in snapshots[source_root]:
        if linked_subtree is not None and _inside(node.path, linked_subtree):
            continue
        relative = node.path[prefix_length:] if node.path != source_root else ""
        if shallow and "/" in relative:
            continue
        path = join_path(dest_root, relative) if relative else dest_root
        if relative and node.path in copied:
            # an object this copy holds again (a hard link cycle): a second name of its copy
            dest_hierarchy.create_soft_link(path, copied[node.path], hard=True)
            linked_subtree = node.path
            continue
        attrs = {} if without_attrs else dict(node.attrs)
        if node.kind is NodeKind.GROUP:
            dest_hierarchy.create_group(path, attrs)
        elif node.kind is NodeKind.SOFT_LINK and isinstance(node.link, SoftLink):
            target = node.link.path
            hard = node.link.hard
            moved = _moved(target, list(copied.items()) if hard else [(source_root, dest_root)])
            if moved is not None:
                dest_hierarchy.create_soft_link(path, moved, hard=hard)
            elif hard and copy_linked_objects and target in snapshots:
                _write_copy(
                    source,
                    target,
                    dest,
                    path,
                    snapshots,
                    copied=copied,
                    shallow=False,
                    without_attrs=without_attrs,
                    copy_linked_objects=True,
                )
            else:
                dest_hierarchy.create_soft_link(path, target, hard=hard)
        elif node.kind is NodeKind.EXTERNAL_LINK and node.link is not None:
            link = node.link
            dest_hierarchy.create_external_link(path, link.filename, link.path)  # type: ignore[union-attr]
        elif node.kind is NodeKind.DATASET:
            copy_dataset(source_hierarchy, node.path, dest_hierarchy, path, attrs)


def _move_object(file: LindiH5pyFile, source: str, dest: str) -> None:
    """Move the group or dataset at ``source`` to ``dest`` (both real paths): copy, delete,
    then repoint soft links and object references that pointed into it."""
    hierarchy = file._hierarchy
    outside_links = _links_into(hierarchy, source)
    _copy_tree(file, source, file, dest)
    hierarchy.delete(source)
    moves = [(source, dest)]
    _repoint_links(hierarchy, outside_links, moves)
    _repoint_references(hierarchy, moves)


def _links_into(hierarchy: Hierarchy, root: str) -> list[tuple[str, str]]:
    """``(link path, target)`` of every soft link outside ``root`` that points to it or into
    it."""
    return [
        (path, target)
        for path, target in sorted(hierarchy.soft_links().items())
        if _inside(target, root) and not _inside(path, root)
    ]


def _repoint_links(
    hierarchy: Hierarchy, links: list[tuple[str, str]], moves: list[tuple[str, str]]
) -> None:
    for link_path, target in links:
        new_target = _moved(target, moves)
        node = hierarchy.node(link_path)
        if new_target is None or node is None:
            continue
        hard = isinstance(node.link, SoftLink) and node.link.hard
        hierarchy.delete(link_path)
        hierarchy.create_soft_link(link_path, new_target, hard=hard)


def _repoint_references(hierarchy: Hierarchy, moves: list[tuple[str, str]]) -> None:
    """Rewrite the object references (in attributes, reference datasets and reference fields
    of compound datasets) that point into a moved object."""

    def moved_reference(value: Any) -> Any:
        if isinstance(value, Reference) and value.source in (".", ""):
            new_path = _moved(normalize_path(value.path), moves)
            if new_path is not None:
                return dataclasses.replace(value, path=new_path)
        return value

    def moved_values(values: Any) -> tuple[Any, bool]:
        if isinstance(values, Reference):
            moved = moved_reference(values)
            return moved, moved is not values
        if not isinstance(values, np.ndarray):
            return values, False
        if values.dtype.names is not None:
            out = values.copy()
            changed = False
            for field in values.dtype.names:
                if values.dtype[field].kind == "O":
                    out[field], field_changed = moved_values(values[field])
                    changed = changed or field_changed
            return out, changed
        if values.dtype.kind != "O":
            return values, False
        out = values.copy()
        flat = out.reshape(-1)
        changed = False
        for i in range(flat.size):
            moved = moved_reference(flat[i])
            if moved is not flat[i]:
                flat[i] = moved
                changed = True
        return out, changed

    for path in hierarchy.reference_holders():
        node = hierarchy.node(path)
        if node is None:
            continue
        changed_attrs: dict[str, Any] = {}
        for key, value in node.attrs.items():
            moved, changed = moved_values(value)
            if changed:
                changed_attrs[key] = moved
        if changed_attrs:
            hierarchy.set_attrs(node.path, changed_attrs)
        info = node.dataset
        if (
            info is not None
            and info.external_array_link is None
            and all(info.shape)
            and info.holds_references
        ):
            stored = hierarchy.read(node.path, Ellipsis)
            moved, changed = moved_values(stored if info.shape else np.asarray(stored))
            if changed:
                hierarchy.write(node.path, Ellipsis, moved)


def _delete_rehoming(file: LindiH5pyFile, path: str) -> None:
    """Delete the group or dataset at ``path`` (a real path); soft links from outside that
    point into it first get the objects they name moved to them (see ``__delitem__``)."""
    hierarchy = file._hierarchy
    # a link to a name that does not exist stays as it is (dangling, as in HDF5)
    links = [
        (link, target)
        for link, target in _links_into(hierarchy, path)
        if hierarchy.node(target) is not None
    ]
    if not links:
        hierarchy.delete(path)
        return
    moves: list[tuple[str, str]] = []
    for link_path, target in sorted(links, key=lambda item: (len(item[1]), item[0])):
        if _moved(target, moves) is not None or hierarchy.node(link_path) is None:
            continue
        hierarchy.delete(link_path)
        _copy_tree(file, target, file, link_path)
        moves.append((target, link_path))
    hierarchy.delete(path)
    _repoint_links(hierarchy, [(p, t) for p, t in links if p not in dict(moves).values()], moves)
    _repoint_references(hierarchy, moves)
