"""``_STRING_ENCODING``: variable-length strings stored as ASCII in HDF5.

h5py returns ``bytes`` for the elements of a variable-length string dataset and reports its
dtype as ``h5py.string_dtype("ascii")`` or ``h5py.string_dtype("utf-8")`` after the HDF5
character set; ``asstr()`` decodes with it. LINDI stores both as text (``vlen-utf8``/``json2``,
as lindi 0.4.6 does), so the character set would be lost: the attribute ``_STRING_ENCODING:
"ascii"`` records it on an ASCII dataset (UTF-8, the default, is not recorded). It is a plain
string, so lindi 0.4.6 reads it as an ordinary attribute; without it the strings are UTF-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

from hdmf_lindi.conventions import keys
from hdmf_lindi.errors import LindiFormatError

__all__ = ["encode_string_encoding", "vlen_string_dtype"]

ASCII = "ascii"
_ENCODINGS = (ASCII, "utf-8")


def encode_string_encoding(dtype: np.dtype[Any], special: dict[str, Any]) -> None:
    """Add ``_STRING_ENCODING`` to ``special`` when ``dtype`` is an ASCII string dtype."""
    string_info = h5py.check_string_dtype(dtype)
    if string_info is not None and string_info.encoding == ASCII:
        special[keys.STRING_ENCODING] = ASCII


def vlen_string_dtype(attributes: Mapping[str, Any], *, where: str = "?") -> np.dtype[Any]:
    """The h5py dtype of a variable-length string dataset with these attributes."""
    encoding = attributes.get(keys.STRING_ENCODING, "utf-8")
    if encoding not in _ENCODINGS:
        raise LindiFormatError(
            f"{where}: {keys.STRING_ENCODING} must be one of {_ENCODINGS}, got {encoding!r}"
        )
    return h5py.string_dtype(encoding)
