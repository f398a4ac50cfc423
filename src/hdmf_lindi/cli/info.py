"""``hdmf-lindi info``: the tree of an HDF5/NWB or LINDI file with shapes, dtypes and chunks.

The tree is read through a conventions flavour (``read_node``/``list_children``), so this module
knows nothing of how groups, links or dataset types are spelled in the reference map.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import h5py

from hdmf_lindi.conventions import detect_conventions
from hdmf_lindi.conventions.abc import Conventions
from hdmf_lindi.conventions.model import (
    DataKind,
    DatasetInfo,
    ExternalLink,
    Node,
    NodeKind,
    SoftLink,
)
from hdmf_lindi.storage.reference_map import ReferenceMap, UrlRef

__all__ = ["TreeLine", "describe_tree", "format_size"]


@dataclass(frozen=True, slots=True)
class TreeLine:
    """One object of the tree."""

    depth: int
    name: str
    description: str


def format_size(size: int) -> str:
    """``1234567`` -> ``"1.2 MB"``."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def describe_tree(
    ref_map: ReferenceMap, path: str = "/", *, conventions: Conventions | None = None
) -> Iterator[TreeLine]:
    """Describe each group, dataset and link below the group at ``path``, depth first, sorted.

    Parameters
    ----------
    ref_map
        The reference map (metadata only is read; chunks are counted, not fetched).
    path
        The group to start from; its children are at depth 0.
    conventions
        The flavour the map is written in (default: detected from its keys).
    """
    conv = conventions if conventions is not None else detect_conventions(ref_map)
    yield from _describe_children(ref_map, conv, path, 0)


def _describe_children(
    ref_map: ReferenceMap, conv: Conventions, path: str, depth: int
) -> Iterator[TreeLine]:
    for name in conv.list_children(ref_map, path):
        child_path = f"{path.rstrip('/')}/{name}"
        node = conv.read_node(ref_map, child_path)
        if node is None:
            continue
        if node.kind is NodeKind.GROUP:
            yield TreeLine(depth, name + "/", f"group, {len(node.attrs)} attributes")
            yield from _describe_children(ref_map, conv, child_path, depth + 1)
        else:
            yield TreeLine(depth, name, _describe_leaf(ref_map, conv, node))


def _describe_leaf(ref_map: ReferenceMap, conv: Conventions, node: Node) -> str:
    if isinstance(node.link, SoftLink):
        return f"-> {node.link.path} (soft link)"
    if isinstance(node.link, ExternalLink):
        return f"-> {node.link.filename}:{node.link.path} (external link)"
    if node.dataset is None:
        raise AssertionError(f"{node.path}: a {node.kind.value} node without dataset info")
    return _describe_dataset(ref_map, conv, node.path, node.dataset)


def _dtype_label(info: DatasetInfo) -> str:
    match info.kind:
        case DataKind.VLEN_STRING:
            return "str (variable length)"
        case DataKind.VLEN_BYTES:
            return "bytes (variable length)"
        case DataKind.REFERENCE:
            return "object reference"
        case DataKind.COMPOUND:
            fields = info.compound_fields or tuple(
                (str(name), str(info.dtype.fields[name][0]))  # type: ignore[index]
                for name in info.dtype.names or ()
            )
            return "compound(" + ", ".join(f"{n}: {t}" for n, t in fields) + ")"
        case _:
            enum = h5py.check_enum_dtype(info.dtype)
            if enum is not None:
                return f"enum({info.dtype.str}: {', '.join(enum)})"
            return info.dtype.str


def _describe_dataset(
    ref_map: ReferenceMap, conv: Conventions, path: str, info: DatasetInfo
) -> str:
    parts = [f"shape {info.shape}", f"dtype {_dtype_label(info)}"]
    link = info.external_array_link
    if link is not None:
        parts.append(f"external array link to {link.url}:{link.name}")
        return ", ".join(parts)
    stored_shape = info.shape or (1,)
    chunks = info.chunks or stored_shape
    total_chunks = math.prod(math.ceil(n / c) for n, c in zip(stored_shape, chunks, strict=True))
    inline = referenced = stored_bytes = 0
    for key in conv.stored_chunk_keys(ref_map, path):
        ref = ref_map.resolve(key)
        if isinstance(ref, UrlRef):
            referenced += 1
            stored_bytes += ref.size or 0
        elif ref is not None:
            inline += 1
            stored_bytes += len(ref.data)
    parts.append(f"chunks {tuple(chunks)}: {inline + referenced}/{total_chunks} stored")
    if inline:
        parts.append(f"{inline} inline")
    parts.append(format_size(stored_bytes))
    codecs = conv.codec_ids(ref_map, path)
    if codecs:
        parts.append("codecs " + "+".join(codecs))
    return ", ".join(parts)
