"""The cached specification (``/specifications``) as HDF5IO lays it out.

The root attribute ``.specloc`` references the spec group; below it one group per namespace and
version holds scalar string datasets: ``namespace`` and one per schema source (``nwb.base``...),
each the JSON text of the spec. Written with the same :class:`NamespaceToBuilderHelper` as
HDF5IO, so files cached by either backend look the same.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
from hdmf.backends.utils import NamespaceToBuilderHelper
from hdmf.spec import NamespaceCatalog, SpecReader, SpecWriter

from hdmf_lindi.conventions.attribute_dtypes import user_value
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, NodeKind, Reference
from hdmf_lindi.errors import LindiFormatError

if TYPE_CHECKING:
    from hdmf.build import TypeMap

    from hdmf_lindi.hierarchy import Hierarchy

__all__ = [
    "NAMESPACE_DATASET",
    "SPEC_LOC_ATTR",
    "cache_spec",
    "cached_namespace_versions",
    "load_cached_namespaces",
    "spec_location",
]

SPEC_LOC_ATTR = ".specloc"
NAMESPACE_DATASET = "namespace"
DEFAULT_SPEC_GROUP = "/specifications"
_SPEC_TEXT = DatasetInfo(shape=(), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)


def spec_location(hierarchy: Hierarchy) -> str | None:
    """Absolute path of the spec group named by the root's ``.specloc``, or ``None``."""
    root = hierarchy.node("/")
    if root is None:
        return None
    location = user_value(root.attrs.get(SPEC_LOC_ATTR))
    if location is None:
        return None
    if isinstance(location, Reference):
        return location.path
    if isinstance(location, bytes):
        location = location.decode("utf-8")
    if isinstance(location, str):
        return location if location.startswith("/") else "/" + location
    raise LindiFormatError(f"root attribute {SPEC_LOC_ATTR!r}: unexpected value {location!r}")


def cached_namespace_versions(hierarchy: Hierarchy) -> dict[str, str]:
    """Namespace name -> the version loaded (largest name, ignoring legacy ``unversioned`` /
    ``None`` when a real version exists), like ``HDF5IO.get_namespaces``."""
    location = spec_location(hierarchy)
    if location is None or hierarchy.resolve(location) is None:
        return {}
    versions: dict[str, str] = {}
    for namespace in hierarchy.children(location):
        names = hierarchy.children(f"{location}/{namespace}")
        for legacy in ("unversioned", "None"):
            if len(names) > 1 and legacy in names:
                names.remove(legacy)
        if names:
            versions[namespace] = names[-1]
    return versions


class HierarchySpecReader(SpecReader):
    """Reads the JSON spec datasets of one namespace-version group."""

    def __init__(self, hierarchy: Hierarchy, group: str) -> None:
        super().__init__(source=group)
        self.__hierarchy = hierarchy
        self.__group = group
        self.__namespace: Any = None

    def __read(self, name: str) -> Any:
        path = f"{self.__group}/{name}"
        text = self.__hierarchy.read(path)
        if isinstance(text, np.ndarray):
            text = text.reshape(-1)[0] if text.size == 1 else text
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if not isinstance(text, str):
            raise LindiFormatError(f"{path}: a cached spec must be a JSON string, got {text!r}")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise LindiFormatError(f"{path}: cached spec is not valid JSON ({exc})") from exc

    def read_spec(self, spec_path: str) -> Any:
        """The spec document at ``spec_path`` (e.g. ``"nwb.base"``)."""
        return self.__read(spec_path)

    def read_namespace(self, ns_path: str) -> Any:
        """The namespace list stored at ``ns_path``."""
        if self.__namespace is None:
            self.__namespace = self.__read(ns_path)
        return self.__namespace["namespaces"]


class HierarchySpecWriter(SpecWriter):
    """Writes spec documents as scalar string datasets into one group."""

    def __init__(self, hierarchy: Hierarchy, group: str) -> None:
        self.__hierarchy = hierarchy
        self.__group = group

    def __write(self, document: Any, name: str) -> None:
        text = json.dumps(document, separators=(",", ":"))
        self.__hierarchy.create_dataset(
            f"{self.__group}/{name}", _SPEC_TEXT, data=np.array(text, dtype=object)
        )

    def write_spec(self, spec: Any, path: str) -> None:
        """Write one spec source document."""
        self.__write(spec, path)

    def write_namespace(self, namespace: Any, path: str) -> None:
        """Write the namespace document."""
        self.__write({"namespaces": [namespace]}, path)


def load_cached_namespaces(
    hierarchy: Hierarchy,
    catalog: NamespaceCatalog | TypeMap,
    namespaces: list[str] | None = None,
) -> dict[str, Any]:
    """Load the namespaces cached in the file into ``catalog`` (a NamespaceCatalog or TypeMap);
    return what hdmf's ``load_namespaces`` returns (namespace -> included types)."""
    versions = cached_namespace_versions(hierarchy)
    if not versions:
        return {}
    location = spec_location(hierarchy)
    wanted = list(versions) if namespaces is None else namespaces
    readers: dict[str, SpecReader] = {}
    for name in wanted:
        if name not in versions:
            raise KeyError(
                f"namespace {name!r} is not cached in the file (cached: {sorted(versions)})"
            )
        readers[name] = HierarchySpecReader(hierarchy, f"{location}/{name}/{versions[name]}")
    result: dict[str, Any] = catalog.load_namespaces(NAMESPACE_DATASET, reader=readers)
    return result


def cache_spec(hierarchy: Hierarchy, catalog: NamespaceCatalog, root_object_id: Any) -> None:
    """Write every namespace of ``catalog`` not yet cached, and point ``.specloc`` at the group.

    The spec documents are string datasets, which the store always keeps inline."""
    location = spec_location(hierarchy)
    if location is None:
        location = DEFAULT_SPEC_GROUP
        if hierarchy.node(location) is None:
            hierarchy.create_group(location)
        hierarchy.set_attrs(
            "/",
            {
                SPEC_LOC_ATTR: Reference(
                    path=location,
                    object_id=None,
                    source_object_id=root_object_id if isinstance(root_object_id, str) else None,
                )
            },
        )
    elif hierarchy.node(location) is None:
        hierarchy.create_group(location)
    for name in catalog.namespaces:
        namespace = catalog.get_namespace(name)
        group = f"{location}/{name}/{namespace.version}"
        node = hierarchy.node(group)
        if node is not None and node.kind is NodeKind.GROUP:
            continue
        hierarchy.create_group(group)
        builder = NamespaceToBuilderHelper.convert_namespace(catalog, name)
        builder.export(NAMESPACE_DATASET, writer=HierarchySpecWriter(hierarchy, group))
