"""Values of the unified Zarr v3 flavour: dataset elements and attributes.

Dataset elements (h5py-facing <-> stored):

=============  ====================================  ==========================================
kind           h5py-facing                           stored (what zarr returns)
=============  ====================================  ==========================================
NUMERIC        the dtype's values                    the same (enum: the base integers)
VLEN_STRING    object array of ``str``               ``string`` elements
VLEN_BYTES     object array of ``bytes``             ``variable_length_bytes`` elements
REFERENCE      object array of :class:`Reference`    the target's absolute path; ``""`` for a
                                                     null reference; a reference into another
                                                     store as the JSON text
                                                     ``{"source": ..., "path": ...}`` (which
                                                     hdmf-zarr also reads)
COMPOUND       structured array; reference fields    a packed structured array; reference and
               hold :class:`Reference`               text fields as ``<U512`` (paths, text)
=============  ====================================  ==========================================

A scalar dataset is a 0-d array.

Attributes are JSON as in LINDI v1, except that non-finite floats are the bare tokens ``NaN``,
``Infinity``, ``-Infinity`` (as zarr-python writes them; a string ``"NaN"`` stays a string), and a
reference is ``{"_REFERENCE": {"source": ".", "path": "/a/b"}}`` (plus ``object_id`` and
``source_object_id`` when known, which hdmf-zarr ignores).
"""

from __future__ import annotations

import math
from typing import Any

import h5py
import numpy as np

from hdmf_lindi import _json
from hdmf_lindi.conventions.dataset_values import (
    _as_object_array,
    _elements,
    _is_structured,
    _object_array,
    _plain_dtype,
    _to_bytes,
    _to_str,
)
from hdmf_lindi.conventions.keys import REFERENCE
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Reference
from hdmf_lindi.conventions.references import is_reference_json, reference_from_json
from hdmf_lindi.conventions.v3_metadata import COMPOUND_STRING_LENGTH, compound_stored_dtype
from hdmf_lindi.conventions.values import (
    SPECIAL_FLOAT_STRINGS,
    _leaves,
    _list_shape,
    _map_nested,
    _string_array,
    bytes_to_text,
    decode_attr_value,
    encode_attr_value,
)
from hdmf_lindi.errors import LindiFormatError, LindiShapeError, LindiUnsupportedError

__all__ = [
    "decode_attr_value_v3",
    "decode_values_v3",
    "encode_attr_value_v3",
    "encode_values_v3",
    "reference_from_path",
    "reference_to_path",
]


# ------------------------------------------------------------------------------ references
def reference_to_path(value: Any, where: str) -> str:
    """A dataset element's stored form of a reference (see the module docstring)."""
    if value is None:
        return ""
    if is_reference_json(value):
        value = reference_from_json(value, where=where)
    if not isinstance(value, Reference):
        raise LindiFormatError(f"{where}: expected a Reference, got {type(value).__name__}")
    if value.source in (".", ""):
        return value.path
    return _json.dumps({"path": value.path, "source": value.source}).decode("utf-8")


def reference_from_path(value: Any, where: str) -> Reference | None:
    """The :class:`Reference` a stored reference element names (``None`` for ``""``)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if is_reference_json(value):
        return reference_from_json(value, where=where)
    if not isinstance(value, str):
        raise LindiFormatError(f"{where}: reference element is {type(value).__name__} {value!r}")
    if value == "":
        return None
    if value.startswith("{"):
        try:
            body = _json.loads(value)
        except ValueError as exc:
            raise LindiFormatError(f"{where}: invalid reference {value!r} ({exc})") from exc
        return reference_from_json({REFERENCE: body}, where=where)
    return Reference(path=value if value.startswith("/") else "/" + value)


# -------------------------------------------------------------------------- dataset values
def encode_values_v3(info: DatasetInfo, values: Any, *, where: str = "?") -> np.ndarray:
    """Turn h5py-facing values into what the Zarr v3 array stores (a scalar stays 0-d)."""
    kind = info.kind
    if kind is DataKind.COMPOUND:
        array = values if _is_structured(values) else np.asarray(values, dtype=info.dtype)
        array = np.asarray(array)
    elif kind is DataKind.NUMERIC:
        array = np.asarray(values, dtype=_plain_dtype(info.dtype))
    else:
        array = _as_object_array(values)
    if info.is_scalar:
        if array.size != 1:
            raise LindiShapeError(f"{where}: a scalar dataset takes one value, got {array.shape}")
        array = array.reshape(())
    if kind is DataKind.NUMERIC:
        return array
    shape = array.shape
    if kind is DataKind.VLEN_STRING:
        return _object_array([_to_str(x, where) for x in _elements(array)], shape)
    if kind is DataKind.VLEN_BYTES:
        return _object_array([_to_bytes(x, where) for x in _elements(array)], shape)
    if kind is DataKind.REFERENCE:
        return _object_array([reference_to_path(x, where) for x in _elements(array)], shape)
    return _encode_compound(info, array, where)


def _encode_compound(info: DatasetInfo, array: np.ndarray, where: str) -> np.ndarray:
    stored_dtype = compound_stored_dtype(info.dtype, where=where)
    out = np.zeros(array.shape, dtype=stored_dtype)
    for name in info.dtype.names or ():
        field = info.dtype.fields[name][0]  # type: ignore[index]
        column = array[name]
        if field.kind != "O":
            out[name] = column
            continue
        is_ref = h5py.check_ref_dtype(field) is not None
        texts = [
            reference_to_path(x, f"{where}: field {name!r}")
            if is_ref
            else _to_str(x, f"{where}: field {name!r}")
            for x in _elements(column)
        ]
        longest = max((len(t) for t in texts), default=0)
        if longest > COMPOUND_STRING_LENGTH:
            raise LindiUnsupportedError(
                f"{where}: compound field {name!r} holds a value of {longest} characters; the "
                f"unified Zarr v3 flavour stores at most {COMPOUND_STRING_LENGTH}"
            )
        out[name] = np.array(texts, dtype=stored_dtype.fields[name][0]).reshape(array.shape)  # type: ignore[index]
    return out


def decode_values_v3(info: DatasetInfo, stored: np.ndarray, *, where: str = "?") -> np.ndarray:
    """Turn values read from the Zarr v3 array into h5py-facing values (a scalar: 0-d)."""
    array = np.asarray(stored)
    if info.is_scalar:
        if array.size != 1:
            raise LindiFormatError(f"{where}: scalar dataset holds {array.size} elements")
        array = array.reshape(())
    kind = info.kind
    if kind is DataKind.NUMERIC:
        target = _plain_dtype(info.dtype)
        return array if array.dtype == target else array.astype(target)
    shape = array.shape
    if kind is DataKind.COMPOUND:
        return _decode_compound(info, array, where)
    items = _elements(array)
    if kind is DataKind.VLEN_STRING:
        return _object_array([_decode_text(x) for x in items], shape)
    if kind is DataKind.VLEN_BYTES:
        return _object_array(
            [bytes(x) if isinstance(x, bytes) else str(x or "").encode() for x in items], shape
        )
    return _object_array([reference_from_path(x, where) for x in items], shape)


def _decode_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return "" if value is None else str(value)


def _decode_compound(info: DatasetInfo, array: np.ndarray, where: str) -> np.ndarray:
    dtype = info.dtype
    out = np.zeros(array.shape, dtype=dtype)
    if array.size == 0 or array.dtype.names is None:
        return out
    for name in dtype.names or ():
        field = dtype.fields[name][0]  # type: ignore[index]
        column = array[name]
        if field.kind != "O":
            out[name] = column
        elif h5py.check_ref_dtype(field) is not None:
            refs = [reference_from_path(x, f"{where}: field {name!r}") for x in _elements(column)]
            out[name] = _object_array(refs, column.shape)
        else:
            out[name] = _object_array([_decode_text(x) for x in _elements(column)], column.shape)
    return out


# ------------------------------------------------------------------------------ attributes
def _is_text(value: Any) -> bool:
    return isinstance(value, str | bytes | np.str_ | np.bytes_)


def _all_text(value: Any) -> bool:
    if _is_text(value):
        return True
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "UST":
            return True
        if value.dtype.kind != "O" or value.size == 0:
            return False
        value = value.tolist()
    if isinstance(value, list | tuple):
        leaves = _leaves(value)
        return bool(leaves) and all(_is_text(x) for x in leaves)
    return False


def _text(value: Any) -> str:
    return bytes_to_text(bytes(value)) if isinstance(value, bytes | np.bytes_) else str(value)


def _v3_reference(body: dict[str, Any]) -> dict[str, Any]:
    inner = body[REFERENCE]
    out = {"path": inner["path"], "source": inner.get("source") or "."}
    for name in ("object_id", "source_object_id"):
        if inner.get(name) is not None:
            out[name] = inner[name]
    return {REFERENCE: out}


def _v3_leaf(value: Any) -> Any:
    if isinstance(value, str) and value in SPECIAL_FLOAT_STRINGS:
        return SPECIAL_FLOAT_STRINGS[value]
    if is_reference_json(value):
        return _v3_reference(value)
    return value


def encode_attr_value_v3(value: Any, *, where: str = "?") -> Any:
    """An attribute value as Zarr v3 JSON (non-finite floats as Python floats, which the
    flavour writes as bare ``NaN``/``Infinity`` tokens).

    Raises
    ------
    LindiUnsupportedError
        When the value cannot be represented (as in LINDI v1, strings excepted).
    """
    if _all_text(value):
        if isinstance(value, np.ndarray):
            value = value.astype(object).tolist() if value.ndim else value[()]
        if not isinstance(value, list | tuple):
            return _text(value)
        try:
            _list_shape(value, where)
        except LindiFormatError as exc:
            raise LindiUnsupportedError(str(exc)) from None
        return _map_nested(value, _text)
    # no strings below: every "NaN"/"Infinity" string the v1 encoder writes is a float
    return _map_nested(encode_attr_value(value, where=where), _v3_leaf)


def decode_attr_value_v3(value: Any, *, where: str = "?") -> Any:
    """A Zarr v3 JSON attribute value back as what h5py would return (strings stay strings)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return np.float64(value)
    if isinstance(value, list):
        shape, leaves = _list_shape(value, where)
        if leaves and all(isinstance(x, str) for x in leaves):
            return _string_array(leaves, shape)
    return decode_attr_value(value, where=where)
