"""Dtypes and values of what LindiIO writes: hdmf spec dtypes to numpy/h5py dtypes, builder
data to the numpy arrays the hierarchy stores, and the DatasetInfo of new datasets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import h5py
import numpy as np
from hdmf.build import Builder, ReferenceBuilder
from hdmf.container import Container
from hdmf.spec import DtypeSpec, RefSpec

from hdmf_lindi.conventions.datasets import data_kind_of
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, HDF5Layout
from hdmf_lindi.conventions.values import refuse_embedded_nul
from hdmf_lindi.errors import LindiError
from hdmf_lindi.io.data_io import StorageSettings, default_chunks

__all__ = [
    "BINARY",
    "REF",
    "SPEC_DTYPES",
    "TEXT",
    "as_values",
    "attribute_value",
    "bytes_as_text",
    "compound_dtype",
    "field_specs",
    "infer_dtype",
    "info_for",
    "is_ref",
    "is_reference_value",
    "iterator_chunks",
    "object_array",
    "resolve_dtype",
    "row_items",
    "source_dtype",
    "to_bytes",
    "to_str",
]

TEXT = h5py.string_dtype()
BINARY = h5py.special_dtype(vlen=bytes)
REF = h5py.ref_dtype

SPEC_DTYPES: dict[str, Any] = {
    "float": np.float32,
    "float32": np.float32,
    "double": np.float64,
    "float64": np.float64,
    "long": np.int64,
    "int64": np.int64,
    "int": np.int32,
    "int32": np.int32,
    "short": np.int16,
    "int16": np.int16,
    "int8": np.int8,
    "uint64": np.uint64,
    "uint": np.uint32,
    "uint32": np.uint32,
    "uint16": np.uint16,
    "uint8": np.uint8,
    "bool": np.bool_,
    "text": TEXT,
    "utf": TEXT,
    "utf8": TEXT,
    "utf-8": TEXT,
    "ascii": BINARY,
    "bytes": BINARY,
    "isodatetime": TEXT,
    "datetime": TEXT,
}


def field_specs(dtype: list[Any]) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for field in dtype:
        if isinstance(field, DtypeSpec):
            specs.append({"name": field.name, "dtype": field.dtype})
        else:
            specs.append({"name": field["name"], "dtype": field["dtype"]})
    return specs


def is_ref(dtype: Any) -> bool:
    if isinstance(dtype, DtypeSpec):
        return is_ref(dtype.dtype)
    if isinstance(dtype, RefSpec):
        return True
    if isinstance(dtype, dict):
        return "reftype" in dtype or is_ref(dtype.get("dtype"))
    if isinstance(dtype, str):
        return dtype in ("object", "ref", "reference", "region")
    if isinstance(dtype, np.dtype):
        return h5py.check_dtype(ref=dtype) is not None
    return False


def resolve_dtype(dtype: Any, data: Any) -> np.dtype[Any]:
    """The numpy dtype to store: from the spec dtype when given, else from the data."""
    if isinstance(dtype, DtypeSpec):
        dtype = dtype.dtype
    if isinstance(dtype, str):
        if dtype == "numeric":
            dtype = None
        elif dtype in SPEC_DTYPES:
            return np.dtype(SPEC_DTYPES[dtype])
        else:
            dtype = np.dtype(dtype)
    if isinstance(dtype, (np.dtype, type)):
        resolved = np.dtype(dtype)
        if resolved.kind in "UT":  # unicode, numpy 2 StringDType
            return TEXT
        if resolved.kind == "O" and h5py.check_string_dtype(resolved) is not None:
            return resolved  # an h5py string dtype (a builder read from HDF5): its encoding
        if resolved.kind == "O" and data is not None:
            return infer_dtype(data)
        return resolved
    if data is None:
        raise LindiError("cannot determine the dtype of a dataset without data")
    return infer_dtype(data)


def infer_dtype(data: Any) -> np.dtype[Any]:
    if isinstance(data, str):
        return TEXT
    if isinstance(data, bytes):
        return BINARY
    if hasattr(data, "dtype") and not isinstance(data, np.generic | np.ndarray):
        dtype = np.dtype(data.dtype) if not isinstance(data.dtype, (list, str)) else None
        if dtype is not None and dtype.kind not in "OUT":
            return dtype
        if dtype is not None and h5py.check_string_dtype(dtype) is not None:
            return dtype
        shape = tuple(getattr(data, "shape", ()) or ())
        if dtype is not None and shape and all(shape):
            first = data[(0,) * len(shape)]
            return infer_dtype(first.item() if isinstance(first, np.generic) else first)
        if dtype is not None and dtype.kind in "UT":
            return TEXT
    if isinstance(data, np.ndarray | np.generic):
        if data.dtype.kind in "UT":
            return TEXT
        if data.dtype.kind != "O":
            return data.dtype
        first = next(iter(data.ravel()), None) if isinstance(data, np.ndarray) else data
        return infer_dtype(first) if first is not None else TEXT
    if isinstance(data, (list, tuple)):
        flat: Any = data
        while isinstance(flat, (list, tuple)) and flat:
            if isinstance(flat[0], (list, tuple, np.ndarray)) and not isinstance(flat[0], str):
                flat = flat[0]
            else:
                break
        if isinstance(flat, np.ndarray):
            return infer_dtype(flat)
        if not flat:
            return np.dtype(np.float64)
        first = flat[0]
        if isinstance(first, str):
            return TEXT
        if isinstance(first, bytes):
            return BINARY
        return np.asarray(data).dtype
    if isinstance(data, bool):
        return np.dtype(np.bool_)
    if isinstance(data, int):
        return np.dtype(np.int64)
    if isinstance(data, float):
        return np.dtype(np.float64)
    inferred = np.asarray(data).dtype
    return TEXT if inferred.kind in "UT" else inferred


def as_values(data: Any, dtype: np.dtype[Any], path: str) -> np.ndarray:
    """``data`` as a numpy array of what the hierarchy stores (strings as ``str``/``bytes``
    objects, numbers in ``dtype``)."""
    kind = data_kind_of(dtype, where=path)
    if kind in (DataKind.VLEN_STRING, DataKind.VLEN_BYTES):
        strings = object_array(data, to_str if kind is DataKind.VLEN_STRING else to_bytes)
        refuse_embedded_nul(strings, where=path)
        return strings
    if isinstance(data, (str, bytes)) and dtype.kind not in "SU":
        raise LindiError(f"cannot store the string {data!r} in the {dtype} dataset {path!r}")
    try:
        values = np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise LindiError(f"cannot store the data of {path!r} as {dtype}: {exc}") from exc
    refuse_embedded_nul(values, where=path)  # the string fields of compound rows
    return values


def object_array(data: Any, convert: Callable[[Any], Any]) -> np.ndarray:
    if isinstance(data, (str, bytes)) or np.ndim(data) == 0:
        value = data[()] if isinstance(data, np.ndarray) else data
        out = np.empty((), dtype=object)
        out[()] = convert(value)
        return out
    source = np.asarray(data[...] if hasattr(data, "dtype") and hasattr(data, "shape") else data)
    if source.dtype.kind != "O":
        source = source.astype(object)
    items = [convert(item) for item in source.ravel()]
    converted = np.empty(len(items), dtype=object)
    converted[:] = items
    return converted.reshape(source.shape)


def to_str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.str_):
        return str(value)
    if not isinstance(value, str):
        return str(value)
    return value


def to_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value)
    if not isinstance(value, bytes):
        raise LindiError(f"expected bytes, got {value!r}")
    return value


def source_dtype(data: Any) -> np.dtype[Any]:
    dtype = data.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O" and type(data).__name__ == "StrDataset":
            return TEXT
        return dtype
    return infer_dtype(data[...])


def compound_dtype(fields: list[tuple[str, Any]]) -> np.dtype[Any]:
    return np.dtype(
        [
            (name, REF if is_ref(field_dtype) else resolve_dtype(field_dtype, None))
            for name, field_dtype in fields
        ]
    )


def iterator_chunks(shape: tuple[int, ...], maxshape: Any, dtype: np.dtype[Any]) -> tuple[int, ...]:
    """Chunks for an iterative write that neither the caller nor the iterator sizes: about
    4 MiB, from the maximum shape. The iterator's buffer size does not matter: the blocks it
    yields are gathered into whole chunks before they are written (``io.chunk_aligner``)."""
    if not shape:
        return ()
    full = tuple(
        (m if m is not None else max(s, 2**40))
        for s, m in zip(shape, maxshape or shape, strict=False)
    )
    return default_chunks(full, dtype)


def row_items(row: Any) -> list[Any]:
    """The fields of one compound row (np.void, 0-d structured array, tuple or list)."""
    if isinstance(row, np.ndarray) and row.ndim == 0:
        row = row[()]
    if isinstance(row, np.void):
        return [row[i] for i in range(len(row.dtype.names or ()))]
    return list(row)


def bytes_as_text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def info_for(
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    settings: StorageSettings,
    kind: DataKind | None = None,
    *,
    where: str,
) -> DatasetInfo:
    """The DatasetInfo of a dataset to create: chunks chosen when not given (one chunk for
    small data; about 4 MiB otherwise, and for resizable datasets). A dataset HDF5IO would
    store contiguous (no chunks, maxshape or filters asked for) records so (``_HDF5_LAYOUT``):
    the h5py view then reports ``chunks`` ``None``, as h5py does for NWBHDF5IO's file."""
    kind = kind if kind is not None else data_kind_of(dtype, where=where)
    chunks: tuple[int, ...] | None
    if shape == ():
        chunks = None
    elif isinstance(settings.chunks, tuple):
        chunks = tuple(int(c) for c in settings.chunks)
    else:
        chunks = default_chunks(shape, dtype)
    maxshape = settings.maxshape
    contiguous = (
        shape != () and settings.chunks is None and maxshape is None and not settings.codecs_given
    )
    if maxshape is not None and tuple(maxshape) == tuple(shape):
        maxshape = None
    return DatasetInfo(
        shape=tuple(int(s) for s in shape),
        dtype=dtype,
        kind=kind,
        chunks=chunks,
        maxshape=tuple(maxshape) if maxshape is not None else None,
        fillvalue=settings.fillvalue,
        hdf5_layout=HDF5Layout() if contiguous else None,
    )


def with_source_filters(info: DatasetInfo, source: Any, settings: StorageSettings) -> DatasetInfo:
    """``info`` of a dataset copied from ``source`` (an h5py or LINDI dataset) with the
    source's gzip compression, shuffle, Fletcher-32 and fill value, as h5py's copy (and so
    ``NWBHDF5IO.export``) keeps them, where ``settings`` chose no codecs or fill value. A
    compression without a numcodecs equivalent lindi reads (lzf, szip, HDF5 plugins) takes
    LINDI's default codec."""
    changes: dict[str, Any] = {}
    numeric = info.kind is DataKind.NUMERIC and info.dtype.names is None
    if settings.fillvalue is None and numeric:
        fill = getattr(source, "fillvalue", None)
        if fill is not None and np.any(np.asarray(fill) != np.zeros((), dtype=info.dtype)):
            changes["fillvalue"] = fill
    if not settings.codecs_given and getattr(source, "chunks", None) is not None:
        if getattr(source, "compression", None) == "gzip":
            level = getattr(source, "compression_opts", None)
            changes["compression"] = "gzip"
            changes["compression_opts"] = int(level) if level is not None else None
        changes["shuffle"] = numeric and bool(getattr(source, "shuffle", False))
        changes["fletcher32"] = bool(getattr(source, "fletcher32", False))
    return replace(info, **changes) if changes else info


def is_reference_value(value: Any) -> bool:
    if isinstance(value, (Container, Builder, ReferenceBuilder)):
        return True
    if isinstance(value, (list, tuple)) and value:
        return isinstance(value[0], (Container, Builder, ReferenceBuilder))
    return False


def attribute_value(value: Any) -> Any:
    """An attribute value as the hierarchy takes it (numpy scalars/arrays, str, bytes)."""
    if isinstance(value, (set, frozenset)):
        value = sorted(value)
    if isinstance(value, (list, tuple)):
        items = list(value)
        if items and isinstance(items[0], (str, bytes)):
            return np.array([to_str(item) for item in items], dtype=object)
        return np.array(items)
    if isinstance(value, np.ndarray) and value.dtype.kind in "UT":
        return value.astype(object)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value
