"""Builders from a hierarchy: the read half of LindiIO.

The walk reads only metadata (nodes, attributes, links come from the reference map's JSON) and
scalar values; every non-scalar dataset comes back lazy (a
:class:`~hdmf_lindi.io.datasets.LindiDataset` or a reference-resolving flavour). Each object is
read once: a path read through a link or a reference before the walk reaches it gets the same
builder, as in HDF5IO.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from hdmf.backends.warnings import BrokenLinkWarning
from hdmf.build import Builder, DatasetBuilder, GroupBuilder, LinkBuilder, ReferenceBuilder

from hdmf_lindi._paths import basename, normalize_path, parent_path
from hdmf_lindi.conventions.attribute_dtypes import exact_cast, user_value
from hdmf_lindi.conventions.model import DataKind, ExternalLink, Node, NodeKind, Reference
from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.io.datasets import (
    BuilderLindiReferenceDataset,
    BuilderLindiTableDataset,
    LindiArrayDataset,
    _type_name,
)
from hdmf_lindi.io.specs import SPEC_LOC_ATTR

if TYPE_CHECKING:
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.io.lindi_io import LindiIO
    from hdmf_lindi.io.linked import LinkedFile

__all__ = ["ROOT_NAME", "BuilderReader", "cast_inferred_attributes"]

ROOT_NAME = "root"

type ExternalOpener = Callable[[str, str], Builder]
"""(filename as stored in the link, path in that file) -> the target's builder."""


class BuilderReader:
    """Reads builders from one hierarchy.

    Parameters
    ----------
    hierarchy
        The file's hierarchy.
    io
        The LindiIO the lazy datasets belong to (reference resolution, appends).
    source
        The file's path or URL, set as every builder's ``source``.
    mark_read
        Called with each builder read (LindiIO tracks them as written, like HDF5IO).
    open_external
        Resolves an HDF5 external link to a builder of the other file.
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        io: LindiIO | LinkedFile,
        source: str,
        mark_read: Callable[[Builder], None],
        open_external: ExternalOpener,
    ) -> None:
        self._hierarchy = hierarchy
        self._io = io
        self._source = source
        self._mark_read = mark_read
        self._open_external = open_external
        self._built: dict[str, Builder] = {}
        self._inferred: dict[int, frozenset[str]] = {}

    # ------------------------------------------------------------------ entry points
    def read_root(self, ignore: frozenset[str] = frozenset()) -> GroupBuilder:
        """The builder of the whole file (``ignore``: absolute paths to leave out)."""
        root = self._hierarchy.node("/")
        if root is None or root.kind is not NodeKind.GROUP:
            raise LindiFormatError(f"{self._source}: no root group")
        builder = self._read_group(root, ROOT_NAME, ignore)
        return builder

    def builder_at(self, path: str) -> Builder:
        """The builder of the object at ``path`` (links followed), read if not yet built."""
        path = normalize_path(path)
        built = self._built.get(path)
        if built is not None:
            return built
        node = self._hierarchy.resolve(path)
        if node is None:
            raise KeyError(f"{self._source}: no object at {path!r}")
        built = self._built.get(node.path)
        if built is not None:
            return built
        if node.kind is NodeKind.EXTERNAL_LINK and isinstance(node.link, ExternalLink):
            return self._open_external(node.link.filename, node.link.path)
        return self._read_object(node)

    def built_paths(self) -> Mapping[str, Builder]:
        """Every builder read so far, by path."""
        return self._built

    def inferred_dtypes(self, builder: Builder) -> frozenset[str]:
        """Names of the numeric attributes of ``builder`` whose dtype the file does not record
        (see :attr:`~hdmf_lindi.conventions.model.Node.inferred_dtypes`)."""
        return self._inferred.get(id(builder), frozenset())

    # ------------------------------------------------------------------ objects
    def _read_object(self, node: Node, name: str | None = None) -> Builder:
        if node.kind is NodeKind.DATASET:
            return self._read_dataset(node, name)
        if node.kind is NodeKind.GROUP:
            return self._read_group(node, name, frozenset())
        raise LindiFormatError(f"{self._source}: {node.path!r} is a link, not an object")

    def _read_group(self, node: Node, name: str | None, ignore: frozenset[str]) -> GroupBuilder:
        groups: list[GroupBuilder] = []
        datasets: list[DatasetBuilder] = []
        links: list[LinkBuilder] = []
        base = "" if node.path == "/" else node.path
        for child_name in self._hierarchy.children(node.path):
            child_path = f"{base}/{child_name}"
            if child_path in ignore:
                continue
            child = self._hierarchy.node(child_path)
            if child is None:
                continue
            if child.kind in (NodeKind.SOFT_LINK, NodeKind.EXTERNAL_LINK):
                link = self._read_link(child, child_name, node.path)
                if link is not None:
                    links.append(link)
                continue
            built = self._built.get(child_path)
            if built is None:
                built = self._read_object(child)
            if isinstance(built, GroupBuilder):
                groups.append(built)
            elif isinstance(built, DatasetBuilder):
                datasets.append(built)
        builder = GroupBuilder(
            name or basename(node.path),
            groups=groups,
            datasets=datasets,
            links=links,
            attributes=self._read_attrs(node),
            source=self._source,
        )
        builder.location = parent_path(node.path)
        self._remember(node, builder)
        return builder

    def _read_link(self, node: Node, name: str, parent_path: str) -> LinkBuilder | None:
        link = node.link
        target: Builder
        try:
            if isinstance(link, ExternalLink):
                target = self._open_external(link.filename, link.path)
            elif link is not None:
                target = self.builder_at(link.path)
            else:
                raise LindiFormatError(f"{self._source}: link {node.path!r} has no target")
        except (KeyError, OSError) as exc:
            warnings.warn(
                f"{self._source}: broken link {node.path!r} ({exc})",
                BrokenLinkWarning,
                stacklevel=2,
            )
            return None
        builder = LinkBuilder(builder=target, name=name, source=self._source)
        builder.location = parent_path
        self._mark_read(builder)
        return builder

    def _read_dataset(self, node: Node, name: str | None = None) -> DatasetBuilder:
        info = node.dataset
        if info is None:
            raise LindiFormatError(f"{self._source}: dataset {node.path!r} has no array metadata")
        kwargs: dict[str, Any] = {
            "attributes": self._read_attrs(node),
            "dtype": info.dtype,
            "maxshape": tuple(info.maxshape) if info.maxshape is not None else tuple(info.shape),
            "source": self._source,
        }
        if info.is_scalar:
            value = self._hierarchy.read(node.path)
            if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.names is None:
                value = value[()]
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            if isinstance(value, Reference):
                kwargs["data"] = ReferenceBuilder(self._target_builder(value, node.path))
                kwargs["dtype"] = "object"
            elif info.kind is DataKind.COMPOUND:
                kwargs["data"] = np.array(value, dtype=info.dtype)
                kwargs["dtype"] = [
                    {"name": field, "dtype": _type_name(info.dtype[field])}
                    for field in info.dtype.names or ()
                ]
            else:
                kwargs["data"] = value
        else:
            handle = self._hierarchy.dataset(node.path)
            if info.kind is DataKind.REFERENCE:
                references = BuilderLindiReferenceDataset(handle, self._io)
                kwargs["data"] = references
                kwargs["dtype"] = references.dtype
            elif info.kind is DataKind.COMPOUND:
                table = BuilderLindiTableDataset(handle, self._io)
                kwargs["data"] = table
                kwargs["dtype"] = [
                    {"name": field, "dtype": dtype}
                    for field, dtype in zip(table.field_names, table.dtype, strict=True)
                ]
            else:
                kwargs["data"] = LindiArrayDataset(handle, self._io)
        builder = DatasetBuilder(name or basename(node.path), **kwargs)
        builder.location = parent_path(node.path)
        self._remember(node, builder)
        return builder

    def _read_attrs(self, node: Node) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for key, value in node.attrs.items():
            if key == SPEC_LOC_ATTR and node.path == "/":
                continue
            attributes[key] = self._attr_value(value, node.path, key)
        return attributes

    def _attr_value(self, value: Any, path: str, key: str) -> Any:
        value = user_value(value)
        if isinstance(value, bytes):
            return value.decode("utf-8")
        if isinstance(value, Reference):
            return self._target_builder(value, f"{path} attribute {key!r}")
        if isinstance(value, (list, tuple)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "O"
        ):
            items = list(value.ravel()) if isinstance(value, np.ndarray) else list(value)
            if items and all(isinstance(item, Reference) for item in items):
                return [self._target_builder(item, f"{path} attribute {key!r}") for item in items]
        return value

    def _target_builder(self, reference: Reference, where: str) -> Builder:
        path = self._io._reference_target(reference, where=where)
        builder = self.builder_at(path)
        if isinstance(builder, LinkBuilder):
            return builder.builder
        return builder

    def _remember(self, node: Node, builder: Builder) -> None:
        self._built[node.path] = builder
        if node.inferred_dtypes:
            self._inferred[id(builder)] = node.inferred_dtypes
        self._mark_read(builder)


# ----------------------------------------------------------------------------- attribute dtypes
_NUMERIC_SPEC_DTYPES: dict[str, str] = {
    "float": "float32",
    "float32": "float32",
    "double": "float64",
    "float64": "float64",
    "long": "int64",
    "int64": "int64",
    "int": "int32",
    "int32": "int32",
    "short": "int16",
    "int16": "int16",
    "int8": "int8",
    "uint64": "uint64",
    "uint": "uint32",
    "uint32": "uint32",
    "uint16": "uint16",
    "uint8": "uint8",
    "bool": "bool",
}


def cast_inferred_attributes(
    root: GroupBuilder, catalog: Any, inferred: Callable[[Builder], frozenset[str]]
) -> None:
    """Give the numeric attributes whose dtype the file does not record (``inferred``: their
    names, per builder) the dtype their spec declares, where that cast keeps the value exactly.

    Files of lindi 0.4.6 store attribute numbers as bare JSON numbers, read as ``int64`` /
    ``float64``; HDF5IO would have stored the spec's dtype (the ObjectMapper converted them on
    write). ``5`` becomes ``uint32(5)`` when the spec says ``uint32``; ``0.077`` stays
    ``float64`` when it says ``float32`` (the writer may have stored a float64: never round).
    Attributes with a recorded dtype, and every attribute of an HDF5 file, keep theirs.
    """
    seen: set[int] = set()
    stack: list[Builder] = [root]
    while stack:
        builder = stack.pop()
        if id(builder) in seen:
            continue
        seen.add(id(builder))
        spec = _spec_of(builder, catalog)
        if spec is not None:
            _apply_spec(builder, spec, inferred)
        if isinstance(builder, GroupBuilder):
            stack.extend(builder.groups.values())
            stack.extend(builder.datasets.values())


def _spec_of(builder: Builder, catalog: Any) -> Any:
    data_type = builder.attributes.get("neurodata_type") or builder.attributes.get("data_type")
    namespace = builder.attributes.get("namespace")
    if not isinstance(data_type, str) or not isinstance(namespace, str):
        return None
    try:
        return catalog.get_spec(namespace, data_type)
    except (KeyError, ValueError):
        return None


def _apply_spec(builder: Builder, spec: Any, inferred: Callable[[Builder], frozenset[str]]) -> None:
    names = inferred(builder)
    for attribute_spec in getattr(spec, "attributes", ()) if names else ():
        name = attribute_spec.name
        if name not in names or name not in builder.attributes:
            continue
        target = (
            _NUMERIC_SPEC_DTYPES.get(attribute_spec.dtype)
            if isinstance(attribute_spec.dtype, str)
            else None
        )
        if target is None:
            continue
        cast = exact_cast(builder.attributes[name], np.dtype(target))
        if cast is not None:
            builder.attributes[name] = cast
    if not isinstance(builder, GroupBuilder):
        return
    for sub_spec in (*getattr(spec, "groups", ()), *getattr(spec, "datasets", ())):
        if sub_spec.name is None or sub_spec.data_type_def is not None:
            continue
        if sub_spec.data_type_inc is not None:
            continue
        child = builder.groups.get(sub_spec.name) or builder.datasets.get(sub_spec.name)
        if child is not None:
            _apply_spec(child, sub_spec, inferred)
