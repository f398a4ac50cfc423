"""Zarr v2 ``fill_value`` encoding, as zarr 2 writes it and lindi 0.4.6 stores it.

* floats: a number, or ``"NaN"``, ``"Infinity"``, ``"-Infinity"``;
* complex: ``[real, imag]`` with the same float rules;
* ints and bools: JSON integers and booleans;
* ``|S<n>``: the bytes base64-encoded (``""`` for empty bytes);
* ``<U<n>``: the string itself;
* object arrays: any JSON value (lindi writes ``0`` for ``json2`` arrays); ``null`` means no fill.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from hdmf_lindi.conventions.values import decode_float, encode_float
from hdmf_lindi.errors import LindiFormatError

__all__ = ["decode_fill_value", "encode_fill_value"]


def encode_fill_value(dtype: np.dtype[Any], value: Any) -> Any:
    """The ``.zarray`` ``fill_value`` JSON for ``value`` in an array of ``dtype``."""
    if value is None:
        return None
    kind = dtype.kind
    if kind == "f":
        return encode_float(float(value))
    if kind == "c":
        number = complex(value)
        return [encode_float(number.real), encode_float(number.imag)]
    if kind in "iu":
        return int(value)
    if kind == "b":
        return bool(value)
    if kind == "S":
        raw = value if isinstance(value, bytes) else bytes(np.bytes_(value))
        return base64.standard_b64encode(raw).decode("ascii")
    if kind == "U":
        return str(value)
    if kind == "O":
        return value.item() if isinstance(value, np.generic) else value
    raise LindiFormatError(f"no Zarr v2 fill value encoding for dtype {dtype}")


def decode_fill_value(dtype: np.dtype[Any], value: Any, *, where: str = "?") -> Any:
    """The fill value of a ``.zarray`` as a numpy scalar of ``dtype`` (object arrays: as stored).

    ``None`` (JSON ``null``) stays ``None``.
    """
    if value is None:
        return None
    kind = dtype.kind
    try:
        if kind == "f":
            return dtype.type(decode_float(value, where=where))
        if kind == "c":
            if not isinstance(value, list) or len(value) != 2:
                raise LindiFormatError(f"{where}: complex fill_value must be [real, imag]")
            return dtype.type(
                complex(decode_float(value[0], where=where), decode_float(value[1], where=where))
            )
        if kind in "iu":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise LindiFormatError(f"{where}: integer fill_value expected, got {value!r}")
            return dtype.type(value)
        if kind == "b":
            if not isinstance(value, bool | int):
                raise LindiFormatError(f"{where}: boolean fill_value expected, got {value!r}")
            return np.bool_(bool(value))
        if kind == "S":
            if not isinstance(value, str):
                raise LindiFormatError(f"{where}: base64 fill_value expected, got {value!r}")
            return dtype.type(base64.standard_b64decode(value.encode("ascii")))
        if kind == "U":
            return dtype.type(str(value))
        if kind == "O":
            return value
    except (OverflowError, binascii.Error, ValueError) as exc:
        if isinstance(exc, LindiFormatError):
            raise
        raise LindiFormatError(
            f"{where}: invalid fill_value {value!r} for {dtype} ({exc})"
        ) from exc
    raise LindiFormatError(f"{where}: no Zarr v2 fill value decoding for dtype {dtype}")
