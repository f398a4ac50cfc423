"""Names of the special LINDI attributes (all start with an underscore).

The first five are written and read by lindi 0.4.6; the others are hdmf_lindi additions
(see ``docs/conventions.md``). Special attributes are never shown to users as attributes.
The additions hold only values lindi 0.4.6 can decode as ordinary attributes (lists of strings
or of integers, never JSON objects or nulls), because it shows them as such.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ATTRIBUTE_DTYPES",
    "COMPOUND_DTYPE",
    "DTYPE",
    "ENUM_NAMES",
    "ENUM_VALUES",
    "EXTERNAL_ARRAY_LINK",
    "EXTERNAL_LINK",
    "HDF5_LAYOUT",
    "MAXSHAPE",
    "OBJECT_REFERENCE",
    "REFERENCE",
    "REFERENCE_DTYPE_NAME",
    "SCALAR",
    "SOFT_LINK",
    "SPECIAL_ATTRIBUTE_KEYS",
    "STRING_ENCODING",
]

SCALAR: Final = "_SCALAR"
COMPOUND_DTYPE: Final = "_COMPOUND_DTYPE"
REFERENCE: Final = "_REFERENCE"
EXTERNAL_ARRAY_LINK: Final = "_EXTERNAL_ARRAY_LINK"
SOFT_LINK: Final = "_SOFT_LINK"

EXTERNAL_LINK: Final = "_EXTERNAL_LINK"
ENUM_NAMES: Final = "_ENUM_NAMES"
ENUM_VALUES: Final = "_ENUM_VALUES"
MAXSHAPE: Final = "_MAXSHAPE"
HDF5_LAYOUT: Final = "_HDF5_LAYOUT"
ATTRIBUTE_DTYPES: Final = "_ATTRIBUTE_DTYPES"
"""``[[attribute name, numpy dtype string], ...]``: the dtypes JSON does not carry (see
:mod:`hdmf_lindi.conventions.attribute_dtypes`)."""

DTYPE: Final = "_DTYPE"
"""``"object_reference"`` (:data:`OBJECT_REFERENCE`) on a ``json2`` array: a reference dataset.
Its elements are ``_REFERENCE`` objects or ``null`` (a null reference). lindi 0.4.6 tells a
reference dataset by its first element. That fails for a dataset whose first element is null
and for one with no elements, so every reference dataset we write carries this marker. The
unified Zarr v3 flavour uses the same attribute (hdmf-zarr's convention)."""

OBJECT_REFERENCE: Final = "object_reference"

STRING_ENCODING: Final = "_STRING_ENCODING"
"""``"ascii"`` on a variable-length string dataset stored as ASCII in HDF5 (see
:mod:`hdmf_lindi.conventions.string_encoding`)."""

REFERENCE_DTYPE_NAME: Final = "<REFERENCE>"
"""The dtype string of a reference field in ``_COMPOUND_DTYPE``."""

SPECIAL_ATTRIBUTE_KEYS: Final = frozenset(
    {
        SCALAR,
        COMPOUND_DTYPE,
        REFERENCE,
        EXTERNAL_ARRAY_LINK,
        SOFT_LINK,
        EXTERNAL_LINK,
        ENUM_NAMES,
        ENUM_VALUES,
        MAXSHAPE,
        HDF5_LAYOUT,
        ATTRIBUTE_DTYPES,
        STRING_ENCODING,
        DTYPE,
    }
)
