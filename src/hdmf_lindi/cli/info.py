"""``hdmf-lindi info``: the tree of an HDF5/NWB or LINDI file with shapes, dtypes and chunks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hdmf_lindi.storage.reference_map import ReferenceMap, UrlRef, is_metadata_key

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


def _key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _dataset_description(ref_map: ReferenceMap, prefix: str) -> str:
    zarray = ref_map.get_json(_key(prefix, ".zarray"))
    zattrs = ref_map.get_json(_key(prefix, ".zattrs")) or {}
    shape = () if zattrs.get("_SCALAR") else tuple(zarray["shape"])
    dtype = zarray["dtype"]
    if "_COMPOUND_DTYPE" in zattrs:
        dtype = "compound(" + ", ".join(f"{n}: {t}" for n, t in zattrs["_COMPOUND_DTYPE"]) + ")"
    parts = [f"shape {shape}", f"dtype {dtype}"]
    if "_EXTERNAL_ARRAY_LINK" in zattrs:
        parts.append(f"external array link to {zattrs['_EXTERNAL_ARRAY_LINK'].get('url')}")
        return ", ".join(parts)
    total_chunks = math.prod(
        math.ceil(n / c) for n, c in zip(zarray["shape"], zarray["chunks"], strict=True)
    )
    inline = referenced = 0
    stored = 0
    for name in ref_map.list_dir(prefix):
        key = _key(prefix, name)
        if is_metadata_key(key) or ref_map.has_dir(key):
            continue
        ref = ref_map.resolve(key)
        if isinstance(ref, UrlRef):
            referenced += 1
            stored += ref.size or 0
        elif ref is not None:
            inline += 1
            stored += len(ref.data)
    parts.append(f"chunks {tuple(zarray['chunks'])}: {inline + referenced}/{total_chunks} stored")
    if inline:
        parts.append(f"{inline} inline")
    parts.append(format_size(stored))
    codecs = [c.get("id") for c in zarray.get("filters") or []]
    if zarray.get("compressor"):
        codecs.append(zarray["compressor"].get("id"))
    if codecs:
        parts.append("codecs " + "+".join(str(c) for c in codecs))
    return ", ".join(parts)


def describe_tree(ref_map: ReferenceMap, prefix: str = "", depth: int = 0) -> Iterator[TreeLine]:
    """Walk a LINDI v1 map from ``prefix`` and describe each group, dataset and link."""
    for name in ref_map.list_dir(prefix):
        key = _key(prefix, name)
        if not ref_map.has_dir(key):
            continue
        zattrs: Any = ref_map.get_json(_key(key, ".zattrs")) or {}
        if _key(key, ".zarray") in ref_map:
            yield TreeLine(depth, name, _dataset_description(ref_map, key))
        elif "_SOFT_LINK" in zattrs:
            yield TreeLine(depth, name, f"-> {zattrs['_SOFT_LINK'].get('path')} (soft link)")
        elif "_EXTERNAL_LINK" in zattrs:
            link = zattrs["_EXTERNAL_LINK"]
            target = link.get("file", link.get("filename"))
            yield TreeLine(depth, name, f"-> {target}:{link.get('path')} (external link)")
        elif _key(key, ".zgroup") in ref_map:
            attributes = sum(1 for k in zattrs if not k.startswith("_"))
            yield TreeLine(depth, name + "/", f"group, {attributes} attributes")
            yield from describe_tree(ref_map, key, depth + 1)
