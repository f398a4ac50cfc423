"""Snapshots of what an hdmf backend reads, keeping every value's type and dtype: the builders
(attributes and datasets of every object) and the containers (every field), for comparing
LindiIO with ``pynwb.NWBHDF5IO`` exactly."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from hdmf.build import Builder, DatasetBuilder, GroupBuilder, LinkBuilder, ReferenceBuilder
from hdmf.container import AbstractContainer

__all__ = ["builder_snapshot", "container_snapshot", "exact"]


def builder_path(builder: Builder) -> str:
    """Absolute path of a builder in its file (from its parents)."""
    names: list[str] = []
    current: Any = builder
    while current is not None and current.parent is not None:
        names.append(current.name)
        current = current.parent
    if current is not None and current.location not in (None, ""):
        return f"{current.location.rstrip('/')}/{current.name}/" + "/".join(reversed(names))
    return "/" + "/".join(reversed(names))


def container_path(container: AbstractContainer) -> str:
    names: list[str] = []
    current: Any = container
    while current is not None and current.parent is not None:
        names.append(current.name)
        current = current.parent
    return "/" + "/".join(reversed(names))


def exact(value: Any, depth: int = 0) -> Any:
    """A comparable form of ``value`` that keeps its type: numpy scalars and arrays with their
    dtype, Python scalars with their type, NaN as a marker, builders and containers by path."""
    if depth > 8:
        return "<deep>"
    if isinstance(value, ReferenceBuilder):
        return ("ref", builder_path(value.builder))
    if isinstance(value, Builder):
        return ("ref", builder_path(value))
    if isinstance(value, AbstractContainer):
        return ("container", type(value).__name__, container_path(value))
    if isinstance(value, np.generic):
        if value.dtype.names is not None:
            return ("row", str(value.dtype), [exact(v, depth + 1) for v in value.tolist()])
        return ("np", str(value.dtype), _plain(value.item()))
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O" or value.dtype.names is not None:
            items = [exact(v, depth + 1) for v in value.reshape(-1)]
            return ("array", str(value.dtype), value.shape, items)
        return ("array", str(value.dtype), value.shape, _plain(value.tolist()))
    if isinstance(value, (str, bytes, bool, int, float, dt.datetime)) or value is None:
        return (type(value).__name__, _plain(value))
    if isinstance(value, dict):
        return {k: exact(v, depth + 1) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [exact(v, depth + 1) for v in value])
    if hasattr(value, "__getitem__") and hasattr(value, "shape"):
        # h5py / LINDI datasets and hdmf's lazy wrappers (references, compound rows, strings)
        dtype = getattr(value, "dtype", None)
        if tuple(value.shape) == ():
            return ("dataset", _dtype_name(dtype), exact(value[()], depth + 1))
        if len(value.shape) == 1 and dtype is not None and not isinstance(dtype, np.dtype):
            rows = [exact(value[i], depth + 1) for i in range(value.shape[0])]
            return ("dataset", _dtype_name(dtype), rows)
        return ("dataset", _dtype_name(dtype), exact(value[:], depth + 1))
    return ("type", type(value).__name__)


def _dtype_name(dtype: Any) -> Any:
    if isinstance(dtype, np.dtype):
        return str(dtype)
    if isinstance(dtype, list):
        return [str(d) for d in dtype]
    return str(dtype)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def builder_snapshot(root: GroupBuilder) -> dict[str, Any]:
    """Every object of a builder tree by path: its attributes, links, and a dataset's dtype
    and values, in :func:`exact` form."""
    out: dict[str, Any] = {}
    stack: list[tuple[str, Builder]] = [("/", root)]
    while stack:
        path, builder = stack.pop()
        entry: dict[str, Any] = {"attributes": exact(dict(builder.attributes))}
        if isinstance(builder, DatasetBuilder):
            entry["dtype"] = _dtype_name(builder.dtype)
            entry["data"] = exact(builder.data)
        elif isinstance(builder, GroupBuilder):
            prefix = path.rstrip("/")
            for name, child in builder.groups.items():
                stack.append((f"{prefix}/{name}", child))
            for name, child in builder.datasets.items():
                stack.append((f"{prefix}/{name}", child))
            entry["links"] = {
                name: builder_path(link.builder)
                for name, link in builder.links.items()
                if isinstance(link, LinkBuilder)
            }
        out[path] = entry
    return out


def container_snapshot(root: AbstractContainer) -> dict[str, Any]:
    """Every container by type and path, with every field in :func:`exact` form."""
    return {
        f"{type(container).__name__}:{container_path(container)}": {
            name: exact(value) for name, value in sorted(container.fields.items())
        }
        for container in [root, *root.all_children()]
        if isinstance(container, AbstractContainer)
    }
