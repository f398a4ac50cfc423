"""Attribute values: h5py-facing Python/numpy values <-> the JSON stored in ``.zattrs``.

Encoding (what :func:`encode_attr_value` accepts):

* ``bool``/``np.bool_`` -> ``true``/``false``;
* integers (any width, signed or not) -> JSON integers;
* floats (any width) -> JSON numbers; NaN, +inf, -inf -> the strings ``"NaN"``, ``"Infinity"``,
  ``"-Infinity"`` (also inside arrays);
* ``str`` -> string; ``bytes``/``np.bytes_`` -> string (decoded as UTF-8, or as Latin-1 when
  not valid UTF-8);
* :class:`~hdmf_lindi.conventions.model.Reference` -> ``{"_REFERENCE": {...}}``;
* numpy arrays, lists and tuples (1-D or n-D, possibly empty) of one of the kinds above ->
  nested JSON lists; a 0-d array is encoded as its scalar.

Refused with :class:`~hdmf_lindi.errors.LindiUnsupportedError`: complex numbers, compound
(structured) values, ``None``, mixed-kind lists, and strings (alone or in arrays) equal to
``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (they read back as floats).

Decoding (what :func:`decode_attr_value` returns, matching h5py where the JSON allows):

* JSON integer -> ``np.int64`` (``np.uint64`` above the int64 range);
* JSON number -> ``np.float64``; ``"NaN"``/``"Infinity"``/``"-Infinity"`` -> ``np.float64``;
* ``true``/``false`` -> ``np.bool_``;
* string -> ``str``;
* ``{"_REFERENCE": ...}`` -> :class:`Reference`;
* a list -> ``np.ndarray``: int64 (or uint64), float64 (numbers mixed with the special float
  strings, or only special float strings), bool, ``object`` of ``str`` (as h5py returns arrays
  of variable-length strings), ``object`` of :class:`Reference`; an empty list -> an empty
  float64 array of the list's shape;
* ``null`` -> ``None``.

The JSON alone loses the width and signedness of integers and floats (h5py would return e.g.
``np.int32`` or ``np.float32``) and bytes versus str, as lindi 0.4.6 stores them; files we write
keep them beside the value (:mod:`hdmf_lindi.conventions.attribute_dtypes`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import h5py
import numpy as np

from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.conventions.references import (
    is_reference_json,
    reference_from_json,
    reference_to_json,
)
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError

__all__ = [
    "SPECIAL_FLOAT_STRINGS",
    "bytes_to_text",
    "decode_attr_value",
    "decode_float",
    "encode_attr_value",
    "encode_float",
    "refuse_embedded_nul",
]

SPECIAL_FLOAT_STRINGS: Final[Mapping[str, float]] = {
    "NaN": math.nan,
    "Infinity": math.inf,
    "-Infinity": -math.inf,
}
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_UINT64_MAX: Final = 2**64 - 1


def encode_float(value: float) -> float | str:
    """A float as JSON: itself, or ``"NaN"``/``"Infinity"``/``"-Infinity"``."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def decode_float(value: Any, *, where: str = "?") -> float:
    """A JSON number or special float string as a Python float."""
    if isinstance(value, str):
        try:
            return SPECIAL_FLOAT_STRINGS[value]
        except KeyError:
            raise LindiFormatError(
                f"{where}: expected a number, got the string {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LindiFormatError(f"{where}: expected a number, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------------- encoding
def refuse_embedded_nul(value: Any, *, where: str = "?") -> None:
    """Raise :class:`LindiFormatError` (a ``ValueError``, as h5py raises) when ``value``, a
    variable-length string or bytes value or an object array of them, holds a NUL character:
    HDF5 cannot store it, so neither do we (a file we write stays exportable to HDF5).
    Fixed-width bytes (``numpy.bytes_``, ``|S`` arrays) are not variable-length and pass."""
    if isinstance(value, str) or (isinstance(value, bytes) and not isinstance(value, np.bytes_)):
        items: Any = (value,)
    elif isinstance(value, np.ndarray | np.void) and value.dtype.names is not None:
        for name in value.dtype.names:  # the variable-length string fields of compound rows
            if value.dtype[name].kind == "O":
                refuse_embedded_nul(np.asarray(value[name]), where=f"{where}: field {name!r}")
        return
    elif isinstance(value, np.ndarray) and value.dtype.kind == "O":
        items = value.ravel()
    else:
        return
    for item in items:
        if (isinstance(item, str) and "\x00" in item) or (
            isinstance(item, bytes) and not isinstance(item, np.bytes_) and b"\x00" in item
        ):
            raise LindiFormatError(f"{where}: VLEN strings do not support embedded NULLs")


def encode_attr_value(value: Any, *, where: str = "?") -> Any:
    """Encode an attribute value as JSON (see the module docstring for the rules).

    Parameters
    ----------
    value
        The h5py-facing value.
    where
        The object and attribute name, for error messages.

    Raises
    ------
    LindiUnsupportedError
        When the value cannot be represented.
    """
    if isinstance(value, np.ndarray):
        return _encode_array(value, where)
    if isinstance(value, list | tuple):
        return _encode_sequence(value, where)
    return _encode_scalar(value, where)


def _encode_scalar(value: Any, where: str) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return encode_float(float(value))
    if isinstance(value, str):
        return _checked_str(value, where)
    if isinstance(value, bytes | np.bytes_):
        return _checked_str(_utf8(bytes(value), where), where)
    if isinstance(value, Reference):
        return reference_to_json(value)
    if isinstance(value, complex | np.complexfloating):
        raise LindiUnsupportedError(f"{where}: complex attribute values are not supported")
    if value is None:
        raise LindiUnsupportedError(f"{where}: an attribute value cannot be None")
    if isinstance(value, np.void):
        raise LindiUnsupportedError(f"{where}: compound attribute values are not supported")
    raise LindiUnsupportedError(
        f"{where}: unsupported attribute value of type {type(value).__name__}"
    )


def _checked_str(value: str, where: str) -> str:
    if value in SPECIAL_FLOAT_STRINGS:
        raise LindiUnsupportedError(
            f"{where}: the string {value!r} cannot be stored as an attribute value: LINDI "
            "stores non-finite floats as this string, so it would read back as a float"
        )
    return value


def _utf8(data: bytes, where: str) -> str:
    return bytes_to_text(data)


def bytes_to_text(data: bytes) -> str:
    """Bytes as text: UTF-8 when valid, else Latin-1 (one character per byte, e.g. the
    ``b"\\xb5V"`` of old files becomes ``"µV"``): JSON holds text only."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _encode_array(value: np.ndarray, where: str) -> Any:
    if value.ndim == 0:
        return _encode_scalar(value[()], where)
    kind = value.dtype.kind
    if kind in "iu" or kind == "b":
        return value.tolist()
    if kind == "f":
        return _map_nested(value.tolist(), encode_float)
    if kind == "U":
        return _encode_strings(value.tolist(), where)
    if kind == "S":
        return _encode_strings(_map_nested(value.tolist(), lambda b: _utf8(b, where)), where)
    if kind == "T":
        return _encode_strings(value.astype(object).tolist(), where)
    if kind == "O":
        return _encode_sequence(value.tolist(), where)
    if kind == "c":
        raise LindiUnsupportedError(f"{where}: complex attribute values are not supported")
    raise LindiUnsupportedError(f"{where}: unsupported attribute array dtype {value.dtype}")


def _encode_sequence(value: list[Any] | tuple[Any, ...], where: str) -> Any:
    try:
        _list_shape(value, where)
    except LindiFormatError as exc:
        raise LindiUnsupportedError(str(exc)) from None
    leaves = _leaves(value)
    if not leaves:
        return _map_nested(value, lambda x: x)
    if all(isinstance(x, Reference) for x in leaves):
        return _map_nested(value, reference_to_json)
    if all(isinstance(x, str | bytes | np.str_ | np.bytes_) for x in leaves):
        as_text = _map_nested(
            value, lambda x: _utf8(bytes(x), where) if isinstance(x, bytes | np.bytes_) else str(x)
        )
        return _encode_strings(as_text, where)
    if all(isinstance(x, bool | np.bool_) for x in leaves):
        return _map_nested(value, bool)
    if all(isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_) for x in leaves):
        return _map_nested(value, int)
    if all(
        isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool | np.bool_)
        for x in leaves
    ):
        return _map_nested(value, lambda x: encode_float(float(x)))
    kinds = sorted({_type_name(x) for x in leaves})
    raise LindiUnsupportedError(
        f"{where}: attribute lists must hold one kind of value (numbers, bools, strings or "
        f"hdmf_lindi References), got {', '.join(kinds)}"
    )


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _encode_strings(value: Any, where: str) -> Any:
    special = sorted({x for x in _leaves(value) if x in SPECIAL_FLOAT_STRINGS})
    if special:
        raise LindiUnsupportedError(
            f"{where}: a string array holding {special} cannot be stored: LINDI stores "
            "non-finite floats as these strings (lindi 0.4.6 reads them as floats)"
        )
    return value


def _leaves(value: Any) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        else:
            out.append(item)
    return out


def _map_nested(value: Any, fn: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_map_nested(v, fn) for v in value]
    return fn(value)


# ---------------------------------------------------------------------------------- decoding
def decode_attr_value(value: Any, *, where: str = "?") -> Any:
    """Decode a JSON attribute value into what h5py would return (see the module docstring).

    Parameters
    ----------
    value
        The parsed JSON value.
    where
        The object and attribute name, for error messages.

    Raises
    ------
    LindiFormatError
        For JSON objects other than references, ragged or mixed-kind lists, and integers
        beyond the 64-bit range.
    """
    if isinstance(value, str):
        special = SPECIAL_FLOAT_STRINGS.get(value)
        return value if special is None else np.float64(special)
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        return _decode_int(value, where)
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, list):
        return _decode_list(value, where)
    if isinstance(value, Mapping):
        if is_reference_json(value):
            return reference_from_json(value, where=where)
        raise LindiFormatError(
            f"{where}: a JSON object attribute value must be a _REFERENCE, got keys "
            f"{sorted(value)[:5]}"
        )
    if value is None:
        return None
    raise LindiFormatError(f"{where}: unexpected attribute value {value!r}")


def _decode_int(value: int, where: str) -> np.int64 | np.uint64:
    if _INT64_MIN <= value <= _INT64_MAX:
        return np.int64(value)
    if 0 <= value <= _UINT64_MAX:
        return np.uint64(value)
    raise LindiFormatError(f"{where}: integer {value} is outside the 64-bit range")


def _list_shape(
    value: list[Any] | tuple[Any, ...], where: str
) -> tuple[tuple[int, ...], list[Any]]:
    """The rectangular shape of nested lists and their leaves in C order."""
    shape: list[int] = []
    level: list[Any] = [value]
    while True:
        lists = [isinstance(item, list | tuple) for item in level]
        if not any(lists):
            return tuple(shape), level
        if not all(lists):
            raise LindiFormatError(f"{where}: attribute list is ragged (mixes lists and values)")
        sizes = {len(item) for item in level}
        if len(sizes) != 1:
            raise LindiFormatError(f"{where}: attribute list is ragged (rows of sizes {sizes})")
        size = sizes.pop()
        shape.append(size)
        if size == 0:
            return tuple(shape), []
        level = [x for item in level for x in item]


def _decode_list(value: list[Any], where: str) -> np.ndarray:
    shape, leaves = _list_shape(value, where)
    if not leaves:
        return np.zeros(shape, dtype=np.float64)
    first = leaves[0]
    if isinstance(first, bool) and all(isinstance(x, bool) for x in leaves):
        return np.array(leaves, dtype=np.bool_).reshape(shape)
    if all(isinstance(x, int) and not isinstance(x, bool) for x in leaves):
        if min(leaves) >= _INT64_MIN and max(leaves) <= _INT64_MAX:
            return np.array(leaves, dtype=np.int64).reshape(shape)
        if min(leaves) >= 0 and max(leaves) <= _UINT64_MAX:
            return np.array(leaves, dtype=np.uint64).reshape(shape)
        raise LindiFormatError(f"{where}: integers outside the 64-bit range")
    if all(_is_number_or_special_float(x) for x in leaves):
        numbers = [SPECIAL_FLOAT_STRINGS[x] if isinstance(x, str) else x for x in leaves]
        return np.array(numbers, dtype=np.float64).reshape(shape)
    if all(isinstance(x, str) for x in leaves):
        return _string_array(leaves, shape)
    if all(is_reference_json(x) for x in leaves):
        return _object_array([reference_from_json(x, where=where) for x in leaves], shape)
    kinds = sorted({type(x).__name__ for x in leaves})
    raise LindiFormatError(f"{where}: attribute list mixes kinds of values ({', '.join(kinds)})")


def _is_number_or_special_float(x: Any) -> bool:
    if isinstance(x, str):
        return x in SPECIAL_FLOAT_STRINGS
    return isinstance(x, int | float) and not isinstance(x, bool)


def _string_array(items: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    """An attribute's strings as h5py returns them: an object array whose dtype
    ``h5py.check_string_dtype`` reports as UTF-8 text."""
    return _object_array(items, shape).view(h5py.string_dtype())


def _object_array(items: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)
