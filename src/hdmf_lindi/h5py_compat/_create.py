"""``create_dataset`` arguments (h5py's conventions) turned into a DatasetInfo and values."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from hdmf_lindi.conventions.datasets import data_kind_of
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, HDF5Layout, Reference
from hdmf_lindi.errors import LindiArgumentError, LindiShapeError, LindiUnsupportedError
from hdmf_lindi.h5py_compat._filters import h5py_filter_codecs
from hdmf_lindi.h5py_compat._values import (
    coerce_values,
    hdf5_converted,
    refuse_items_without_hdf5_type,
)
from hdmf_lindi.h5py_compat.reference import to_model_values

__all__ = ["dataset_info_for", "nonzero_compound_fill", "normalized_dtype"]

_IGNORED_KEYWORDS = frozenset(
    {
        "track_order",
        "track_times",
        "dcpl",
        "dapl",
        "efile_prefix",
        "virtual_prefix",
        "allow_unknown_filter",
        "rdcc_nbytes",
        "rdcc_w0",
        "rdcc_nslots",
        "external",
        "scaleoffset",
    }
)
_DEFAULT_GZIP_LEVEL = 4


def normalized_dtype(dtype: Any) -> np.dtype[Any]:
    """``dtype`` as h5py reports it: ``<U`` strings become variable-length UTF-8 strings."""
    dt = np.dtype(dtype)
    if dt.names is not None:
        fields = [(name, normalized_dtype(dt.fields[name][0])) for name in dt.names]
        return np.dtype(fields)
    if dt.kind == "U" or dt.kind == "T":
        return h5py.string_dtype()
    return dt


def _guess_dtype(data: Any) -> np.dtype[Any]:
    """The dtype h5py would give a dataset created from ``data`` alone."""
    if isinstance(data, h5py.Dataset):
        return data.dtype
    if isinstance(data, str):
        return h5py.string_dtype()
    if isinstance(data, np.bytes_):
        # h5py: a numpy bytes scalar is fixed-width (|S3), unlike Python bytes; b"" is |S1
        return data.dtype if data.dtype.itemsize else np.dtype("S1")
    if isinstance(data, bytes):
        return h5py.string_dtype("ascii")
    if isinstance(data, (Reference, h5py.h5r.Reference)):
        return h5py.ref_dtype
    array = data if isinstance(data, np.ndarray) else None
    if array is not None and array.dtype.kind == "S" and array.dtype.itemsize == 0:
        return np.dtype("S1")  # numpy's b"" arrays: h5py stores one byte per element
    if array is not None and array.dtype.kind != "O":
        return normalized_dtype(array.dtype)
    if array is not None and array.dtype.metadata:
        return array.dtype  # h5py's string or reference dtype: its encoding, not the items'
    first = _first_item(data)
    if first is None and _holds_references(data):
        return h5py.ref_dtype  # a null reference (None in the model) first
    if isinstance(first, str):
        return h5py.string_dtype()
    if isinstance(first, bytes):
        return h5py.string_dtype("ascii")
    if isinstance(first, (Reference, h5py.h5r.Reference)):
        return h5py.ref_dtype
    if array is not None:
        if array.dtype.metadata:
            return array.dtype
        raise LindiUnsupportedError("cannot guess an HDF5 type for an object array; give dtype=")
    return normalized_dtype(np.asarray(data).dtype)


def _holds_references(data: Any) -> bool:
    """Whether the nested lists ``data`` hold references (``None`` being a null one)."""
    if isinstance(data, (list, tuple)):
        return any(_holds_references(item) for item in data)
    if isinstance(data, np.ndarray) and data.dtype.kind == "O":
        return any(_holds_references(item) for item in data.flat)
    return isinstance(data, (Reference, h5py.h5r.Reference))


def _first_item(data: Any) -> Any:
    while isinstance(data, (list, tuple, np.ndarray)):
        if isinstance(data, np.ndarray) and data.ndim == 0:
            data = data[()]
            continue
        if len(data) == 0:
            return None
        data = data[0]
    return data


def _shape_of(values: np.ndarray) -> tuple[int, ...]:
    return tuple(int(n) for n in values.shape)


def _as_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(n) for n in shape)


def _compression(compression: Any, compression_opts: Any, where: str) -> tuple[str | None, Any]:
    if compression is None or compression is False:
        if compression_opts is not None:
            raise LindiArgumentError(f"{where}: Compression method must be specified")
        return None, None
    if isinstance(compression, (int, np.integer)) and not isinstance(compression, bool):
        if not 0 <= int(compression) <= 9:
            raise LindiArgumentError(
                f"{where}: GZIP setting must be an integer from 0-9, not {compression}"
            )
        return "gzip", int(compression)
    if compression == "gzip":
        level = _DEFAULT_GZIP_LEVEL if compression_opts is None else int(compression_opts)
        if not 0 <= level <= 9:
            raise LindiArgumentError(
                f"{where}: GZIP setting must be an integer from 0-9, not {level}"
            )
        return "gzip", level
    raise LindiUnsupportedError(
        f"{where}: compression {compression!r} is not supported by LINDI datasets "
        "(use 'gzip' or a gzip level 0-9)"
    )


def _refuse_scaleoffset_and_external(
    scaleoffset: Any, external: Any, dtype: np.dtype[Any], fletcher32: bool, where: str
) -> None:
    """Check ``scaleoffset`` as h5py does, then refuse it and HDF5 external storage, which
    LINDI cannot represent (silently storing the values otherwise would not give what h5py
    gives: the scale-offset filter is lossy for floats)."""
    if scaleoffset is not None:
        if scaleoffset < 0:
            raise LindiArgumentError(f"{where}: scale factor must be >= 0")
        if dtype.kind == "f" and scaleoffset is True:
            raise LindiArgumentError(
                f"{where}: integer scaleoffset must be provided for floating point types"
            )
        if dtype.kind not in "fiu":
            raise LindiArgumentError(
                f"{where}: scale/offset filter only supported for integer and floating-point types"
            )
        if fletcher32:
            raise LindiArgumentError(
                f"{where}: fletcher32 cannot be used with potentially lossy scale/offset filter"
            )
        raise LindiUnsupportedError(
            f"{where}: the HDF5 scale-offset filter (scaleoffset={scaleoffset!r}) is not "
            "supported by LINDI datasets"
        )
    if external:
        raise LindiUnsupportedError(
            f"{where}: HDF5 external storage (external={external!r}) is not supported by LINDI "
            "datasets"
        )


def dataset_info_for(
    *,
    shape: Any,
    dtype: Any,
    data: Any,
    where: str,
    chunks: Any = None,
    maxshape: Any = None,
    compression: Any = None,
    compression_opts: Any = None,
    fillvalue: Any = None,
    shuffle: bool = False,
    fletcher32: bool = False,
    **kwds: Any,
) -> tuple[DatasetInfo, np.ndarray | None, dict[str, Any] | None]:
    """The :class:`DatasetInfo`, the values (or ``None``) and the codecs (``None``: derived
    from the info) of ``create_dataset(...)`` called with h5py's arguments. ``where`` names the
    file and path in error messages."""
    unknown = set(kwds) - _IGNORED_KEYWORDS
    if unknown:
        raise TypeError(f"{where}: unsupported create_dataset arguments {sorted(unknown)}")
    if isinstance(data, h5py.Empty):
        raise LindiUnsupportedError(f"{where}: HDF5 null dataspaces (h5py.Empty) are not supported")
    if dtype is None and data is not None:
        refuse_items_without_hdf5_type(data, where=where)
    # h5py's null references are told from a missing value before they become None
    guessed = _guess_dtype(data) if dtype is None and data is not None else None
    if data is not None:
        data = to_model_values(data)
        if data is None:  # a scalar null reference
            data = np.full((), None, dtype=object)
    if dtype is not None:
        dt = normalized_dtype(dtype)
        if dt.kind in "SU" and dt.itemsize == 0:
            raise LindiArgumentError(f"{where}: Size must be positive (size must be positive)")
    elif guessed is not None:
        dt = guessed
    else:
        dt = np.dtype("f4")
    kind = data_kind_of(dt, where=where)
    values: np.ndarray | None = None
    if data is not None:
        provisional = DatasetInfo(shape=(), dtype=dt, kind=kind)
        # strings are checked by the caller, after the options, as h5py encodes them last
        values = coerce_values(data, provisional, where=where, check_text=False)
        if shape is None:
            shape = _shape_of(values)
        else:
            shape = _as_shape(shape)
            if int(np.prod(shape, dtype=np.int64)) != values.size:
                raise LindiShapeError(
                    f"{where}: shape {shape} is incompatible with data of shape {values.shape}"
                )
            values = values.reshape(shape)
    elif shape is None:
        if dtype is not None:
            # h5py makes a dataset with a null dataspace (no shape, no values)
            raise LindiUnsupportedError(
                f"{where}: HDF5 null dataspaces (a dtype without shape or data) are not supported"
            )
        raise LindiArgumentError(f"{where}: One of data, shape or dtype must be specified")
    else:
        shape = _as_shape(shape)
    scaleoffset = kwds.get("scaleoffset")
    storage = {
        "compression": compression,
        "shuffle": shuffle,
        "fletcher32": fletcher32,
        "maxshape": maxshape,
        "scaleoffset": scaleoffset,
    }
    if chunks is False and any(storage.values()):
        given = ", ".join(name for name, value in storage.items() if value)
        raise LindiShapeError(
            f"{where}: Chunked format required for given storage options ({given}), but "
            "chunks=False"
        )
    if chunks is False and scaleoffset is not None:
        # h5py's check above misses scaleoffset=0; HDF5's chunk setting then refuses False
        raise LindiArgumentError(f"{where}: 'chunks' argument must be None or a sequence object")
    # h5py's legacy spellings of gzip: True (level 4) and a level 0-9 (False counts as 0)
    if compression is True:
        compression, compression_opts = "gzip", 4 if compression_opts is None else compression_opts
    elif isinstance(compression, (int, np.integer)) and compression in range(10):
        if compression_opts is not None:
            raise LindiShapeError(f"{where}: Conflict in compression options")
        compression, compression_opts = "gzip", int(compression)
    if not shape:
        options = (chunks, compression, compression_opts, shuffle, fletcher32)
        if any(options) or scaleoffset is not None:
            raise LindiShapeError(
                f"{where}: Scalar datasets don't support chunk/filter options (chunks, "
                "compression, compression_opts, shuffle, fletcher32, scaleoffset)"
            )

    if maxshape is not None:
        maxshape = (
            (maxshape,)
            if isinstance(maxshape, (int, np.integer))
            else tuple(None if m is None else int(m) for m in maxshape)
        )
        if len(maxshape) != len(shape):
            raise LindiShapeError(f"{where}: maxshape {maxshape} and shape {shape} differ in rank")
        for n, m in zip(shape, maxshape, strict=True):
            if m is not None and m < n:
                raise LindiShapeError(f"{where}: maxshape {maxshape} is smaller than shape {shape}")
    comp, comp_opts = _compression(compression, compression_opts, where)
    _refuse_scaleoffset_and_external(scaleoffset, kwds.get("external"), dt, fletcher32, where)

    if chunks is False:
        chunk_shape = None
    elif chunks is True or (
        chunks is None and (maxshape is not None or comp is not None or shuffle or fletcher32)
    ):
        chunk_shape = (
            None
            if not shape
            else tuple(h5py.filters.guess_chunk(shape, maxshape, max(dt.itemsize, 1)))
        )
    elif chunks is None:
        chunk_shape = None
    else:
        chunk_shape = _as_shape(chunks)
        if len(chunk_shape) != len(shape):
            raise LindiShapeError(
                f"{where}: chunk shape {chunk_shape} and shape {shape} differ in rank"
            )
        if any(c <= 0 for c in chunk_shape):
            raise LindiShapeError(f"{where}: chunk shape {chunk_shape} must be positive")
        limits = maxshape if maxshape is not None else shape
        if any(m is not None and c > m for c, m in zip(chunk_shape, limits, strict=True)):
            raise LindiShapeError(
                f"{where}: Chunk shape must not be greater than data shape in any dimension. "
                f"{chunk_shape} is not compatible with {tuple(limits)}"
            )
    if not shape:
        chunk_shape = None

    codecs: dict[str, Any] | None = None
    if shuffle and (chunk_shape is None or dt.kind not in "biufc"):
        raise LindiUnsupportedError(
            f"{where}: shuffle=True needs a chunked numeric dataset (dtype {dt})"
        )
    if fletcher32 and chunk_shape is None:
        raise LindiUnsupportedError(f"{where}: fletcher32=True needs a chunked dataset")
    if shuffle or fletcher32:
        filters = h5py_filter_codecs(
            shuffle=shuffle,
            compression=comp,
            compression_opts=comp_opts,
            itemsize=dt.itemsize,
            fletcher32=fletcher32,
            where=where,
        )
        compressor = filters.pop() if filters[-1]["id"] == "zlib" else None
        codecs = {"filters": filters, "compressor": compressor}
    if fillvalue is not None and dt.names is not None and nonzero_compound_fill(fillvalue, dt):
        raise LindiUnsupportedError(
            f"{where}: a fill value for a compound dataset cannot be stored in a LINDI file "
            f"(fillvalue={fillvalue!r}); write the values instead"
        )
    if kind in (DataKind.VLEN_STRING, DataKind.VLEN_BYTES) and fillvalue not in (None, "", b""):
        raise LindiUnsupportedError(
            f"{where}: a fill value for a variable-length string dataset cannot be stored in a "
            f"LINDI file (fillvalue={fillvalue!r}); write the values instead"
        )
    if (
        fillvalue is not None
        and dt.names is None
        and dt.kind in "iuf"
        and isinstance(fillvalue, int | float | np.integer | np.floating)
        and not isinstance(fillvalue, bool | np.bool_)
    ):
        # converted as HDF5 converts it (clamped; NaN to an integer type as HDF5 does), so
        # that no fill value is stored that the dtype cannot hold
        source = np.asarray(fillvalue)
        if source.dtype.kind not in "iuf":  # a Python int beyond int64
            source = np.asarray(float(fillvalue))
        fillvalue = hdf5_converted(source, dt)[()]
    info = DatasetInfo(
        shape=tuple(shape),
        dtype=dt,
        kind=kind,
        chunks=chunk_shape,
        maxshape=maxshape,
        fillvalue=fillvalue,
        compression=comp,
        compression_opts=comp_opts,
        shuffle=bool(shuffle),
        fletcher32=bool(fletcher32),
        # h5py reports a contiguous dataset's chunks as None; Zarr stores it as one chunk
        hdf5_layout=HDF5Layout() if chunk_shape is None and shape else None,
    )
    return info, values, codecs


def nonzero_compound_fill(fillvalue: Any, dtype: np.dtype[Any]) -> bool:
    """Whether a compound fill value differs from the default (zeros, empty references)."""
    fill = (
        np.asarray(fillvalue, dtype=dtype) if not isinstance(fillvalue, np.ndarray) else fillvalue
    )
    for name in dtype.names or ():
        field = np.asarray(fill[name])
        if field.dtype.kind == "O":
            if any(item is not None for item in field.reshape(-1)):
                return True
        elif np.any(field != np.zeros((), dtype=field.dtype)):
            return True
    return False
