"""Turn what h5py-like objects return into plain values that compare equal across APIs."""

from __future__ import annotations

import math
from typing import Any

import h5py
import numpy as np


def normalized(f: Any, value: Any) -> Any:
    """``value`` as plain Python data; references become ``("ref", target name)``, numpy
    values carry their dtype, NaN becomes the string ``"nan"``."""
    if isinstance(value, h5py.h5r.Reference):
        return ("ref", f[value].name)
    if isinstance(value, np.ndarray):
        if value.dtype.names is not None:
            return (
                "struct",
                tuple(value.dtype.names),
                value.shape,
                [normalized(f, v) for v in value.reshape(-1)],
            )
        if value.dtype.kind == "O":
            return ("object", value.shape, [normalized(f, v) for v in value.reshape(-1)])
        return ("array", value.dtype.str, value.shape, [_plain(v) for v in value.reshape(-1)])
    if isinstance(value, np.void) and value.dtype.names is not None:
        return ("row", tuple(normalized(f, value[n]) for n in value.dtype.names))
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, _plain(value))
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [normalized(f, v) for v in value]
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value
    return value


def _plain(value: Any) -> Any:
    item = value.item() if isinstance(value, np.generic) else value
    if isinstance(item, float) and math.isnan(item):
        return "nan"
    return item


def kind(obj: Any) -> str:
    """``"group"``, ``"dataset"`` or the type name."""
    if isinstance(obj, h5py.Group):
        return "group"
    if isinstance(obj, h5py.Dataset):
        return "dataset"
    return type(obj).__name__


def attr_normalized(f: Any, value: Any) -> Any:
    """Like :func:`normalized`, for attribute values: LINDI keeps attributes as JSON, so a
    number comes back as the widest numpy type of its kind (int64, float64), as in lindi
    0.4.6; numbers are compared by kind and value."""
    if isinstance(value, np.generic) and value.dtype.kind in "iuf":
        return ("number", value.dtype.kind.replace("u", "i"), value.item())
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return ("numbers", value.dtype.kind.replace("u", "i"), normalized(f, value)[2:])
    return normalized(f, value)
