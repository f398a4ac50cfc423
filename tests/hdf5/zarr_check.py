"""Test helper: read a translated map back through ``zarr.open_group(LindiStore(...))`` and the
conventions' ``read_node``/``decode_values``/attribute decoding, compared with h5py."""

from __future__ import annotations

import math
from typing import Any

import h5py
import numpy as np
import zarr

from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import NodeKind, Reference
from hdmf_lindi.conventions.zarr_dtypes import register_zarr_dtypes
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import LindiStore


def _plain(h5file: h5py.File, value: Any) -> Any:
    """h5py or decoded LINDI values as comparable Python values."""
    if isinstance(value, Reference):
        return ("REF", value.path)
    if isinstance(value, h5py.Reference):
        return ("REF", h5file[value].name) if value else None
    if isinstance(value, np.void) and value.dtype.names:
        return [_plain(h5file, v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        if value.dtype.names:
            return [_plain(h5file, v) for v in value.reshape(-1)]
        if value.ndim == 0:
            return _plain(h5file, value[()])
        return [_plain(h5file, v) for v in value]
    if isinstance(value, (list, tuple)):
        return [_plain(h5file, v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _same_paths(h5file: h5py.File, a: Any, b: Any) -> bool:
    """Like _same, but two reference paths to the same object (hard-link aliases) match."""
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "REF":
        return (
            a == b
            or h5py.h5o.get_info(h5file[a[1]].id).addr == h5py.h5o.get_info(h5file[b[1]].id).addr
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            _same_paths(h5file, x, y) for x, y in zip(a, b, strict=True)
        )
    return _same(a, b)


def check_via_zarr(ref_map: ReferenceMap, h5file: h5py.File) -> int:
    """Compare every dataset and attribute; returns the number of values compared."""
    register_zarr_dtypes()
    conv = LindiV1Conventions()
    store = LindiStore(ref_map, read_only=True)
    root = zarr.open_group(store, mode="r", zarr_format=2)
    compared = 0

    def visit(path: str, obj: Any) -> None:
        nonlocal compared
        node = conv.read_node(ref_map, path)
        assert node is not None, path
        if node.kind is NodeKind.SOFT_LINK:
            return
        for name in obj.attrs:
            expected = _plain(h5file, obj.attrs[name])
            got = _plain(h5file, node.attrs[name])
            assert _same_paths(h5file, got, expected), (
                f"{path} attr {name}: {got!r} != {expected!r}"
            )
            compared += 1
        if not isinstance(obj, h5py.Dataset):
            return
        info = node.dataset
        assert info is not None, path
        assert info.shape == obj.shape, f"{path}: {info.shape} != {obj.shape}"
        if info.external_array_link is not None:
            return
        stored = root[conv.zarr_path(path)][...]
        values = conv.decode_values(info, np.asarray(stored))
        if h5py.check_string_dtype(obj.dtype) is not None and obj.dtype.kind == "O":
            expected = _plain(h5file, np.asarray(obj.asstr()[()], dtype=object))
        else:
            expected = _plain(h5file, obj[()])
        got = _plain(h5file, values)
        assert _same_paths(h5file, got, expected), (
            f"{path}: {str(got)[:200]} != {str(expected)[:200]}"
        )
        compared += 1

    visit("/", h5file)
    # collect first, compare afterwards: h5py holds its global lock during visititems, and zarr
    # reads wait on zarr's I/O thread, where a garbage collection that frees an h5py object
    # would wait for that lock (a deadlock seen in CI)
    objects: list[tuple[str, Any]] = []
    h5file.visititems(lambda name, obj: objects.append((name, obj)))
    for name, obj in objects:
        visit("/" + name, obj)
    return compared
