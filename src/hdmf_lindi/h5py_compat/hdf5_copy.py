"""Copying a LINDI dataset into an HDF5 file with ``h5py.Group.copy``.

HDF5IO (``NWBHDF5IO``) copies an ``h5py.Dataset`` it is asked not to link
(``link_data=False``, which ``export`` from a non-HDF5 source requires) with
``parent.copy(source=dataset, ...)``, which hands ``dataset.id`` to HDF5's ``H5Ocopy``. The
datasets of the h5py view and of LindiIO are ``h5py.Dataset`` instances without an HDF5
identifier behind them, so that failed with a ``TypeError``. :func:`install` wraps
``h5py.Group.copy`` so that a LINDI dataset as ``source`` is copied by value instead (block by
block, with its dtype, shape, chunking, maxshape and gzip/lzf compression); every other call
goes to h5py's own ``copy`` unchanged.
"""

from __future__ import annotations

import functools
import posixpath
from typing import Any

import h5py
import numpy as np

from hdmf_lindi._row_blocks import block_rows
from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.h5py_compat.attributes import surrogates_as_bytes
from hdmf_lindi.h5py_compat.objectid import LindiObjectId

__all__ = ["install"]

_HDF5_COMPRESSION = ("gzip", "lzf")


def install() -> None:
    """Wrap ``h5py.Group.copy`` (once) so that it copies LINDI datasets by value."""
    if getattr(h5py.Group.copy, "_lindi_wrapped", False):
        return
    original = h5py.Group.copy

    @functools.wraps(original)
    def copy(
        self: h5py.Group, source: Any, dest: Any, name: str | None = None, **kwargs: Any
    ) -> Any:
        if (
            isinstance(source, h5py.Dataset)
            and isinstance(source.id, LindiObjectId)
            and not isinstance(self.id, LindiObjectId)
        ):
            return _copy_by_value(self, source, dest, name, **kwargs)
        return original(self, source, dest, name, **kwargs)

    copy._lindi_wrapped = True  # type: ignore[attr-defined]
    h5py.Group.copy = copy


def _copy_by_value(
    group: h5py.Group,
    source: h5py.Dataset,
    dest: Any,
    name: str | None,
    *,
    shallow: bool = False,
    expand_soft: bool = False,
    expand_external: bool = False,
    expand_refs: bool = False,
    without_attrs: bool = False,
) -> None:
    if isinstance(dest, h5py.Group):
        target_group, target_name = dest, name or posixpath.basename(source.name)
    elif isinstance(dest, h5py.HLObject):
        raise TypeError("Destination must be path or Group object")
    else:
        target_group, target_name = group, str(dest)
    view = source.file[source.name]  # the h5py view's dataset: h5py's values and settings
    where = f"{source.file.filename}:{source.name}"
    if _has_references(view.dtype):
        raise LindiUnsupportedError(
            f"{where}: a dataset of references cannot be copied from a LINDI file into an HDF5 file"
        )
    shape = tuple(view.shape)
    if not shape:
        copied = target_group.create_dataset(target_name, data=view[()], dtype=view.dtype)
    else:
        chunks = view.chunks
        compression = view.compression if view.compression in _HDF5_COMPRESSION else None
        copied = target_group.create_dataset(
            target_name,
            shape=shape,
            dtype=view.dtype,
            chunks=chunks,
            maxshape=view.maxshape if chunks is not None else None,
            compression=compression,
            compression_opts=view.compression_opts if compression == "gzip" else None,
            shuffle=bool(view.shuffle) and chunks is not None,
            fletcher32=bool(view.fletcher32) and chunks is not None,
        )
        rows = block_rows(shape, chunks, view.dtype.itemsize)
        for start in range(0, shape[0], rows):
            block = slice(start, min(start + rows, shape[0]))
            copied[block] = view[block]
    if not without_attrs:
        stored = view.attrs._current()
        for key, value in view.attrs.items():
            width_kept = stored.get(key)
            if isinstance(width_kept, np.ndarray) and width_kept.dtype.kind == "S":
                # a scalar reads back as bytes of its content's width; the array keeps its own
                value = width_kept
            copied.attrs[key] = surrogates_as_bytes(value)


def _has_references(dtype: np.dtype[Any]) -> bool:
    if dtype.names is not None:
        return any(_has_references(dtype[field]) for field in dtype.names)
    return h5py.check_ref_dtype(dtype) is not None
