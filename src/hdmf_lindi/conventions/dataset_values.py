"""Dataset element values: h5py-facing arrays <-> what the Zarr array stores (LINDI v1).

=============  ====================================  ==========================================
kind           h5py-facing                           stored
=============  ====================================  ==========================================
NUMERIC        the dtype's values                    the same (enum: the base integers)
VLEN_STRING    object array of ``str``               object array of ``str`` (json2), or the
                                                     ``<U<n>`` / vlen-utf8 arrays of others
VLEN_BYTES     object array of ``bytes``             object array of ``bytes`` (vlen-bytes)
REFERENCE      object array of :class:`Reference`    object array of ``{"_REFERENCE": ...}``;
               (``None``: a null reference)          ``null`` for a null reference
COMPOUND       structured array; reference fields    object array of JSON lists, one per row
               hold :class:`Reference` or ``None``   (bytes fields as UTF-8 strings)
=============  ====================================  ==========================================

Bytes given for strings are decoded as UTF-8, or Latin-1 when not valid UTF-8 (bytes in a
fixed-width field of a compound row must be UTF-8: they are read back encoded). A scalar dataset
(h5py shape ``()``) is stored with shape ``(1,)``. Elements that were never
written (a string or reference array's fill value, ``0`` or ``null``) read as ``""``, ``b""``,
``None`` (references) or a zero row (compound).
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Reference
from hdmf_lindi.conventions.references import (
    is_reference_json,
    reference_from_json,
    reference_to_json,
)
from hdmf_lindi.conventions.values import bytes_to_text, decode_float
from hdmf_lindi.errors import LindiFormatError, LindiShapeError, LindiUnsupportedError

__all__ = ["decode_values", "encode_values"]


def _plain_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """``dtype`` without h5py metadata (an enum's base integer type); structured kept."""
    return dtype if dtype.names is not None else np.dtype(dtype.str)


def _object_array(items: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


def _elements(values: np.ndarray) -> list[Any]:
    if values.dtype.kind == "T":
        values = values.astype(object)
    return values.ravel().tolist() if values.ndim else [values[()]]


# ---------------------------------------------------------------------------------- encoding
def encode_values(info: DatasetInfo, values: Any, *, where: str = "?") -> np.ndarray:
    """Turn h5py-facing values into what the Zarr array stores.

    ``values`` may be a selection of the dataset (any shape); for a scalar dataset it must hold
    one element and comes back with shape ``(1,)``.
    """
    if info.kind == DataKind.COMPOUND:
        array = np.asarray(values, dtype=info.dtype) if not _is_structured(values) else values
    elif info.kind == DataKind.NUMERIC:
        array = np.asarray(values, dtype=_plain_dtype(info.dtype))
    else:
        array = _as_object_array(values)
    if info.is_scalar:
        if array.size != 1:
            raise LindiShapeError(f"{where}: a scalar dataset takes one value, got {array.shape}")
        array = array.reshape(1)
    kind = info.kind
    if kind == DataKind.NUMERIC:
        return array
    shape = array.shape
    if kind == DataKind.VLEN_STRING:
        return _object_array([_to_str(x, where) for x in _elements(array)], shape)
    if kind == DataKind.VLEN_BYTES:
        return _object_array([_to_bytes(x, where) for x in _elements(array)], shape)
    if kind == DataKind.REFERENCE:
        return _object_array([_to_reference_json(x, where) for x in _elements(array)], shape)
    return _encode_compound(info, array, where)


def _is_structured(values: Any) -> bool:
    return isinstance(values, np.ndarray | np.void) and values.dtype.names is not None


def _as_object_array(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, str | bytes | Reference | dict):
        return _object_array([values], ())
    array = np.asarray(values, dtype=object)
    return array


def _to_str(value: Any, where: str) -> str:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes_to_text(value)
    raise LindiFormatError(f"{where}: expected a string, got {type(value).__name__}")


def _to_bytes(value: Any, where: str) -> bytes:
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise LindiFormatError(f"{where}: expected bytes, got {type(value).__name__}")


def _to_reference_json(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Reference):
        return reference_to_json(value)
    if is_reference_json(value):
        return reference_to_json(reference_from_json(value, where=where))
    raise LindiFormatError(f"{where}: expected a Reference, got {type(value).__name__}")


def _field_where(where: str, name: str) -> str:
    return f"field {name!r}" if where == "?" else f"{where}: field {name!r}"


def _fixed_bytes_to_text(value: bytes, where: str) -> str:
    """A fixed-width bytes field as the JSON string it is stored as (read back as its UTF-8
    encoding): bytes that are not UTF-8 text would not read back as they were."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise LindiUnsupportedError(
            f"{where}: holds {value!r}, which is not UTF-8 text; LINDI stores the text fields "
            "of compound rows as JSON strings"
        ) from None


def _field_encoder(field: np.dtype[Any], name: str, where: str) -> Any:
    if h5py.check_ref_dtype(field) is not None:
        return lambda x: _to_reference_json(x, _field_where(where, name))
    if field.kind == "O":
        return lambda x: _to_str(x, _field_where(where, name))
    if field.kind == "S":
        return lambda x: _fixed_bytes_to_text(bytes(x), _field_where(where, name))
    if field.kind == "f":
        return float
    if field.kind in "iu":
        return int
    if field.kind == "b":
        return bool
    if field.kind == "U":
        return str
    raise LindiUnsupportedError(f"{where}: compound field {name!r} of dtype {field}")


def _encode_compound(info: DatasetInfo, array: np.ndarray, where: str) -> np.ndarray:
    dtype = info.dtype
    names = dtype.names or ()
    encoders = [_field_encoder(dtype.fields[n][0], n, where) for n in names]  # type: ignore[index]
    rows = [
        [encode(row[i]) for i, encode in enumerate(encoders)]
        for row in (array.ravel() if array.ndim else [array[()]])
    ]
    return _object_array(rows, array.shape)


# ---------------------------------------------------------------------------------- decoding
def decode_values(info: DatasetInfo, stored: np.ndarray, *, where: str = "?") -> np.ndarray:
    """Turn values read from the Zarr array into h5py-facing values.

    For a scalar dataset the single stored element comes back as a 0-d array.
    """
    array = np.asarray(stored)
    if info.is_scalar:
        if array.size != 1:
            raise LindiFormatError(f"{where}: scalar dataset holds {array.size} elements")
        array = array.reshape(())
    kind = info.kind
    if kind == DataKind.NUMERIC:
        target = _plain_dtype(info.dtype)
        return array if array.dtype == target else array.astype(target)
    shape = array.shape
    items = _elements(array)
    if kind == DataKind.VLEN_STRING:
        return _object_array([_decode_str(x, where) for x in items], shape)
    if kind == DataKind.VLEN_BYTES:
        return _object_array([_decode_bytes(x) for x in items], shape)
    if kind == DataKind.REFERENCE:
        return _object_array([_decode_reference(x, where) for x in items], shape)
    return _decode_compound(info, items, shape, where)


def _decode_str(value: Any, where: str) -> Any:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    if is_reference_json(value):
        return reference_from_json(value, where=where)
    if value is None or value == 0:
        return ""
    raise LindiFormatError(f"{where}: string dataset holds {type(value).__name__} {value!r}")


def _decode_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return b""


def _decode_reference(value: Any, where: str) -> Reference | None:
    if is_reference_json(value):
        return reference_from_json(value, where=where)
    if isinstance(value, Reference):
        return value
    if value is None or value == 0:
        return None
    raise LindiFormatError(f"{where}: reference dataset holds {type(value).__name__} {value!r}")


def _field_decoder(field: np.dtype[Any], name: str, where: str) -> Any:
    if h5py.check_ref_dtype(field) is not None:
        return lambda x: _decode_reference(x, _field_where(where, name))
    if field.kind == "O":
        return lambda x: _decode_str(x, _field_where(where, name))
    if field.kind == "S":
        return lambda x: x.encode("utf-8") if isinstance(x, str) else x
    if field.kind == "f":
        return lambda x: decode_float(x, where=_field_where(where, name))
    return lambda x: x


def _decode_compound(
    info: DatasetInfo, items: list[Any], shape: tuple[int, ...], where: str
) -> np.ndarray:
    dtype = info.dtype
    names = dtype.names or ()
    decoders = [_field_decoder(dtype.fields[n][0], n, where) for n in names]  # type: ignore[index]
    out = np.zeros(len(items), dtype=dtype)
    for index, row in enumerate(items):
        if isinstance(row, list | tuple):
            if len(row) != len(names):
                raise LindiFormatError(
                    f"{where}: compound row {index} has {len(row)} fields, expected {len(names)}"
                )
            out[index] = tuple(decode(x) for decode, x in zip(decoders, row, strict=True))
        elif row is None or row == 0:
            continue
        else:
            raise LindiFormatError(f"{where}: compound row {index} is {row!r}, not a list")
    for name in names:
        if dtype.fields[name][0].kind == "O":  # type: ignore[index]
            column = out[name]
            if h5py.check_ref_dtype(dtype.fields[name][0]) is None:  # type: ignore[index]
                column[column == 0] = ""
            else:
                column[column == 0] = None
    return out.reshape(shape)
