"""Zarr v3 ``data_type`` values as numpy dtypes: shared by the unified Zarr v3 flavour
(``conventions/v3_metadata.py``) and the chunk size limits (``storage/chunk_limits.py``), which
need a chunk's decoded size before any conventions are involved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import numpy as np

from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError

__all__ = ["NUMERIC_NAMES", "named", "numpy_dtype_from_data_type"]

NUMERIC_NAMES: Final = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    }
)


def named(spec: Any) -> tuple[str, Mapping[str, Any]]:
    """``(name, configuration)`` of a Zarr v3 named value (a data type, a codec): a string,
    or an object with a string ``name`` and an optional ``configuration`` object."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
        config = spec.get("configuration") or {}
        if not isinstance(config, Mapping):
            raise LindiFormatError(f"data type {spec!r}: 'configuration' must be an object")
        return spec["name"], config
    raise LindiFormatError(f"invalid Zarr v3 data_type {spec!r}")


def numpy_dtype_from_data_type(spec: Any, endian: str = "little") -> np.dtype[Any]:
    """The numpy dtype of a fixed-size Zarr v3 ``data_type`` (``string`` and
    ``variable_length_bytes`` give object).

    Raises
    ------
    LindiFormatError
        For unknown or malformed data types.
    """
    name, config = named(spec)
    order: Literal[">", "<"] = ">" if endian == "big" else "<"
    if name in NUMERIC_NAMES:
        dtype = np.dtype(name)
        return dtype.newbyteorder(order) if dtype.itemsize > 1 else dtype
    if name in ("string", "variable_length_bytes"):
        return np.dtype(object)
    if name == "fixed_length_utf32":
        return np.dtype(f"{order}U{_length_bytes(spec, config) // 4}")
    if name == "null_terminated_bytes":
        return np.dtype(f"S{_length_bytes(spec, config)}")
    if name in ("struct", "structured"):
        fields = config.get("fields")
        if not isinstance(fields, list) or not fields:
            raise LindiFormatError(f"struct data type needs a list of fields: {spec!r}")
        out: list[tuple[str, np.dtype[Any]]] = []
        for field in fields:
            if isinstance(field, Mapping):
                fname, ftype = field.get("name"), field.get("data_type")
            elif isinstance(field, list | tuple) and len(field) == 2:
                fname, ftype = field
            else:
                raise LindiFormatError(f"invalid struct field {field!r}")
            if not isinstance(fname, str):
                raise LindiFormatError(f"struct field name must be a string: {field!r}")
            out.append((fname, numpy_dtype_from_data_type(ftype, endian)))
        return np.dtype(out)
    raise LindiUnsupportedError(f"Zarr v3 data type {name!r} is not supported")


def _length_bytes(spec: Any, config: Mapping[str, Any]) -> int:
    value = config.get("length_bytes", 0)
    if type(value) is not int or not 0 <= value < 1 << 31:  # numpy's limit on an itemsize
        raise LindiFormatError(f"data type {spec!r}: 'length_bytes' must be an integer >= 0")
    return value
