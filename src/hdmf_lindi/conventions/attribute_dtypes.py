"""The dtypes of attributes, which JSON does not carry: the ``_ATTRIBUTE_DTYPES`` record.

A JSON number has no width (``uint8`` and ``int64`` are both ``5``, ``float32`` and ``float64``
both ``0.5``) and JSON text is not bytes, so :func:`~hdmf_lindi.conventions.values.
decode_attr_value` returns JSON's natural types (``int64``, ``float64``, ``str``). Files we write
list, in the special attribute ``_ATTRIBUTE_DTYPES`` of each object, ``[name, dtype]`` for every
attribute whose value h5py stores with a numeric, boolean or fixed-width bytes dtype::

    "_ATTRIBUTE_DTYPES": [["conversion", "float32"], ["id", "uint8"], ["label", "|S4"]]

``dtype`` is ``str(numpy.dtype)`` (``"int16"``, ``">i4"``, ``"bool"``, ``"|S4"``), or
``"object"`` for an empty array of variable-length strings (JSON's ``[]`` is ``float64``).
A fixed-width bytes attribute is stored as its UTF-8 text; when its bytes are not valid UTF-8
the JSON holds their Latin-1 text and the dtype ends in ``:latin-1`` (``"|S2:latin-1"`` for
``b"\\xb5V"``, shown as ``"µV"``). A variable-length string attribute written from bytes that
are not valid UTF-8 (h5py stores them as they are and returns them decoded with
``surrogateescape``: ``b"\\x80"`` reads as ``"\\udc80"``) is stored the same way, as the Latin-1
text of every item's bytes, listed as ``"object:latin-1"``; JSON holds no lone surrogates.

On reading, a listed attribute gets its recorded dtype only when the cast keeps its value
exactly (:func:`exact_cast`): another writer (lindi 0.4.6 shows the record as an ordinary
attribute and keeps it when it rewrites a value) may have changed the value since, and a value
is never rounded to fit a record. An attribute not listed keeps JSON's natural type; such
attributes are reported by name (``Node.inferred_dtypes``) so that LindiIO may give them the
dtype their spec declares, again only where exact.

Both flavours keep the record the same way (lindi-v1 in ``.zattrs``, unified Zarr v3 in the
``"attributes"`` of ``zarr.json``), through the per-object helpers below: they differ only in
how one value is encoded and decoded (``encode``/``decode``) and in which attribute names are
their own (``reserved``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any, Final, Protocol

import h5py
import numpy as np

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.values import (
    _leaves,
    _list_shape,
    _map_nested,
    decode_attr_value,
    encode_attr_value,
)
from hdmf_lindi.errors import LindiFormatError

__all__ = [
    "LATIN1_SUFFIX",
    "AttributeCodec",
    "attribute_dtype",
    "decode_attributes",
    "encode_attribute",
    "exact_cast",
    "merge_attributes",
    "read_record",
    "record_json",
    "recorded_dtypes",
    "typed_attribute",
    "user_value",
    "with_record",
]

LATIN1_SUFFIX: Final = ":latin-1"
_EMPTY_STRINGS: Final = "object"
_VLEN_LATIN1: Final = _EMPTY_STRINGS + LATIN1_SUFFIX
_RECORDED_KINDS: Final = "biufS"


class AttributeCodec(Protocol):
    """A flavour's encoder (h5py-facing value -> JSON) or decoder (JSON -> h5py-facing value)
    of one attribute value, e.g. :func:`~hdmf_lindi.conventions.values.encode_attr_value`."""

    def __call__(self, value: Any, *, where: str = ...) -> Any: ...


# ---------------------------------------------------------------------------------- writing
def attribute_dtype(value: Any) -> str | None:
    """The dtype string to record for an h5py-facing attribute value, or ``None``.

    The dtype is the one h5py would store ``value`` with: a numpy value's own dtype, ``int64``
    / ``float64`` / ``bool`` for Python numbers and lists of them. Strings (``str``, Python
    ``bytes``, which h5py stores as variable-length strings), references and object arrays have
    none: JSON carries them; an empty string array has ``"object"``, and variable-length strings
    that are not valid UTF-8 (``bytes``, or ``str`` holding the lone surrogates h5py decodes
    such bytes to) have ``"object:latin-1"``.
    """
    if not _vlen_utf8(value):
        return _VLEN_LATIN1
    dtype = _h5py_dtype(value)
    if dtype is not None and dtype.kind == "O" and _is_empty_string_array(value):
        return _EMPTY_STRINGS  # JSON's [] would read back as float64
    if dtype is None or dtype.kind not in _RECORDED_KINDS:
        return None
    if dtype.kind == "S" and not _all_utf8(value):
        return str(dtype) + LATIN1_SUFFIX
    return str(dtype)


def encode_attribute(
    value: Any, *, where: str = "?", encode: AttributeCodec = encode_attr_value
) -> tuple[Any, str | None]:
    """The JSON of an attribute value and the dtype to record for it (``None``: none).

    Fixed-width bytes whose items are not all valid UTF-8 are stored as Latin-1 text (every
    item, so that the ``:latin-1`` record gives back each item's bytes). ``encode`` is the
    flavour's encoder of one value (default: lindi-v1's). Variable-length strings that are not
    valid UTF-8 are stored so too (each item's bytes, ``str`` items encoded with
    ``surrogateescape``).
    """
    dtype = attribute_dtype(value)
    if dtype == _VLEN_LATIN1:
        items = value.tolist() if isinstance(value, np.ndarray) else value
        text = _map_nested(items, lambda item: _vlen_bytes(item).decode("latin-1"))
        return encode(text, where=where), dtype
    if dtype is not None and dtype.endswith(LATIN1_SUFFIX):
        items = value.tolist() if isinstance(value, np.ndarray) else bytes(value)
        text = _map_nested(items, lambda item: bytes(item).decode("latin-1"))
        return encode(text, where=where), dtype
    return encode(value, where=where), dtype


def record_json(dtypes: Mapping[str, str], names: Any) -> list[list[str]] | None:
    """The ``_ATTRIBUTE_DTYPES`` value for the attributes ``names`` (sorted by name), or
    ``None`` when none of them has a recorded dtype."""
    pairs = [[name, dtypes[name]] for name in sorted(set(names)) if name in dtypes]
    return pairs or None


def recorded_dtypes(attributes: Mapping[str, Any], *, where: str = "?") -> dict[str, str]:
    """The dtypes the record among ``attributes`` (an object's stored attributes, reserved
    names included) gives for the attributes ``attributes`` still holds.

    Raises
    ------
    LindiFormatError
        When the record is malformed (see :func:`read_record`).
    """
    if keys.ATTRIBUTE_DTYPES not in attributes:
        return {}
    recorded = read_record(attributes[keys.ATTRIBUTE_DTYPES], where=where)
    return {name: dtype for name, dtype in recorded.items() if name in attributes}


def merge_attributes(
    merged: dict[str, Any],
    dtypes: dict[str, str],
    attrs: Mapping[str, Any],
    *,
    encode: AttributeCodec,
    reserved: Collection[str],
    inferred_dtypes: Collection[str] = (),
    where: str = "?",
) -> None:
    """Encode the h5py-facing ``attrs`` into the stored attributes ``merged`` and their dtypes
    into ``dtypes`` (an attribute that needs no record loses its entry, and so does one named
    in ``inferred_dtypes``: its dtype is JSON's natural one, read from a file without a record
    for it, not one it was written with).

    Raises
    ------
    LindiFormatError
        When a name is ``reserved`` (one of the flavour's own attributes).
    LindiUnsupportedError
        When ``encode`` cannot represent a value.
    """
    for name, value in attrs.items():
        if name in reserved:
            raise LindiFormatError(f"{where}: {name!r} is a reserved attribute name")
        encoded, dtype = encode_attribute(
            value, where=f"{where}: attribute {name!r}", encode=encode
        )
        merged[str(name)] = encoded
        if dtype is None or name in inferred_dtypes:
            dtypes.pop(str(name), None)
        else:
            dtypes[str(name)] = dtype


def with_record(
    attributes: dict[str, Any], dtypes: Mapping[str, str], *, reserved: Collection[str]
) -> dict[str, Any]:
    """``attributes`` (modified in place and returned) with the record of ``dtypes`` for its
    user attributes (the names not ``reserved``), last; without one when none is listed."""
    attributes.pop(keys.ATTRIBUTE_DTYPES, None)
    record = record_json(dtypes, (name for name in attributes if name not in reserved))
    if record is not None:
        attributes[keys.ATTRIBUTE_DTYPES] = record
    return attributes


def _h5py_dtype(value: Any) -> np.dtype[Any] | None:
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype
    if isinstance(value, bool | int | float):
        return _numeric_dtype(value)
    if isinstance(value, list | tuple):
        leaves = _leaves(value)
        if all(
            isinstance(x, bool | int | float | np.bool_ | np.integer | np.floating) for x in leaves
        ):
            return _numeric_dtype(value)
    return None


def _is_empty_string_array(value: Any) -> bool:
    """An empty object array that is not one of references (h5py stores it as strings)."""
    return (
        isinstance(value, np.ndarray)
        and value.size == 0
        and h5py.check_ref_dtype(value.dtype) is None
    )


def _numeric_dtype(value: Any) -> np.dtype[Any] | None:
    try:
        return np.asarray(value).dtype
    except (ValueError, OverflowError):
        return None


def _all_utf8(value: Any) -> bool:
    items = value.reshape(-1).tolist() if isinstance(value, np.ndarray) else [bytes(value)]
    try:
        for item in items:
            bytes(item).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _vlen_bytes(item: Any) -> bytes:
    if isinstance(item, str):
        return item.encode("utf-8", errors="surrogateescape")
    return bytes(item)


def _vlen_utf8(value: Any) -> bool:
    """Whether ``value``, when a variable-length string value (``bytes``, ``str``, or an
    object array, list or tuple of them), is valid UTF-8; ``True`` for anything else, and for
    text that is not the ``surrogateescape`` decoding of any bytes (such as ``"\\ud800"``: the
    JSON encoder refuses it)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind != "O":
            return True
        items: list[Any] = value.reshape(-1).tolist()
    elif isinstance(value, list | tuple):
        items = _leaves(value)
    elif isinstance(value, np.bytes_):
        return True  # a fixed-width bytes scalar, not a variable-length string
    else:
        items = [value]
    utf8 = True
    for item in items:
        if isinstance(item, bytes):
            try:
                item.decode("utf-8")
            except UnicodeDecodeError:
                utf8 = False
        elif isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                try:
                    item.encode("utf-8", errors="surrogateescape")
                except UnicodeEncodeError:
                    return True
                utf8 = False
    return utf8


# ---------------------------------------------------------------------------------- reading
def read_record(value: Any, *, where: str = "?") -> dict[str, str]:
    """The ``_ATTRIBUTE_DTYPES`` value as ``{attribute name: dtype string}``.

    Raises
    ------
    LindiFormatError
        When it is not a list of ``[name, dtype]`` string pairs.
    """
    if not isinstance(value, list) or not all(
        isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
        for entry in value
    ):
        raise LindiFormatError(
            f"{where}: {keys.ATTRIBUTE_DTYPES} must be a list of [attribute name, dtype] "
            f"string pairs, got {value!r:.200}"
        )
    return {name: dtype for name, dtype in value}


def decode_attributes(
    attributes: Mapping[str, Any],
    *,
    reserved: Collection[str],
    decode: AttributeCodec = decode_attr_value,
    where: str = "?",
) -> tuple[dict[str, Any], frozenset[str]]:
    """An object's user attributes (the stored ``attributes`` but the ``reserved`` names) as
    h5py returns them, with their recorded dtypes where exact, and the names of the numeric and
    boolean ones without a record that applies (``Node.inferred_dtypes``).

    Parameters
    ----------
    attributes
        The stored attributes (JSON), the record included.
    reserved
        The flavour's own attribute names, never shown.
    decode
        The flavour's decoder of one value (default: lindi-v1's).
    where
        The file and object, for error messages.

    Raises
    ------
    LindiFormatError
        When the record or a value is malformed.
    """
    dtypes: dict[str, str] = {}
    if keys.ATTRIBUTE_DTYPES in attributes:
        dtypes = read_record(attributes[keys.ATTRIBUTE_DTYPES], where=where)
    attrs: dict[str, Any] = {}
    inferred: list[str] = []
    for name, value in attributes.items():
        if name in reserved:
            continue
        label = f"{where}: attribute {name!r}"
        decoded = decode(value, where=label)
        dtype = dtypes.get(name)
        if dtype is not None:
            typed = typed_attribute(value, decoded, dtype, where=label)
            if typed is not None:
                attrs[name] = typed
                continue
        attrs[name] = decoded
        if _is_numeric(decoded):
            inferred.append(name)
    return attrs, frozenset(inferred)


def _is_numeric(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    return isinstance(value, np.bool_ | np.integer | np.floating)


def typed_attribute(json_value: Any, decoded: Any, dtype: str, *, where: str = "?") -> Any:
    """An attribute with its recorded dtype, or ``None`` when the record does not apply exactly
    (the value does not fit the dtype, or is of another kind). A scalar fixed-width bytes
    attribute is a 0-d array, which keeps its width (:func:`user_value` gives the scalar).

    Parameters
    ----------
    json_value
        The attribute's JSON.
    decoded
        Its natural decoding (:func:`~hdmf_lindi.conventions.values.decode_attr_value`).
    dtype
        The recorded dtype string.
    where
        The object and attribute, for error messages.

    Raises
    ------
    LindiFormatError
        When ``dtype`` is not a numpy dtype string.
    """
    parsed, latin1 = _parse_dtype(dtype)
    if parsed is None:
        raise LindiFormatError(f"{where}: {keys.ATTRIBUTE_DTYPES} names an invalid dtype {dtype!r}")
    if parsed.kind == "S":
        return _fixed_bytes(json_value, parsed, "latin-1" if latin1 else "utf-8")
    if parsed.kind == "O" and latin1:
        return _surrogate_text(json_value)
    if parsed.kind == "O":
        if isinstance(decoded, np.ndarray) and decoded.size == 0:
            return np.empty(decoded.shape, dtype=h5py.string_dtype())
        return None
    if parsed.kind in "biuf":
        return exact_cast(decoded, parsed)
    return None


def exact_cast(value: Any, dtype: np.dtype[Any]) -> Any:
    """``value`` (a number, a bool or a numeric array) cast to the numeric ``dtype`` when the
    cast keeps every value exactly (``5`` -> ``uint32`` yes; ``0.077`` -> ``float32``,
    ``300`` -> ``uint8``, ``0.5`` -> ``int32`` no); ``None`` otherwise. NaN casts to NaN."""
    if isinstance(value, np.ndarray):
        array, scalar = value, False
    elif isinstance(value, bool | int | float | np.bool_ | np.integer | np.floating):
        array, scalar = np.asarray(value), True
    else:
        return None
    if array.dtype.kind not in "biuf" or dtype.kind not in "biuf":
        return None
    if array.dtype == dtype:
        return value
    if dtype.kind in "iu" and array.size:
        # integer casts wrap around (-1 -> uint64 -> -1 would look exact): check the range
        limits = np.iinfo(dtype)
        low, high = array.min(), array.max()
        if array.dtype.kind in "iu":
            if int(low) < limits.min or int(high) > limits.max:
                return None
        elif not (low >= limits.min and high <= limits.max):  # floats; NaN fails too
            return None
    with np.errstate(all="ignore"):
        cast = array.astype(dtype)
        back = cast.astype(array.dtype)
    if not np.array_equal(back, array, equal_nan=array.dtype.kind == "f"):
        return None
    return cast[()] if scalar else cast


@functools.lru_cache(maxsize=256)
def _parse_dtype(text: str) -> tuple[np.dtype[Any] | None, bool]:
    latin1 = text.endswith(LATIN1_SUFFIX)
    name = text[: -len(LATIN1_SUFFIX)] if latin1 else text
    try:
        dtype = np.dtype(name)
    except (TypeError, ValueError):
        return None, False
    return dtype, latin1 and dtype.kind in "SO"


def _surrogate_text(json_value: Any) -> Any:
    """Latin-1 text (a string or nested lists of them) as the strings h5py returns for those
    bytes (decoded as UTF-8 with ``surrogateescape``), or ``None`` when it is not that."""

    def text(item: Any) -> str | None:
        if not isinstance(item, str):
            return None
        try:
            data = item.encode("latin-1")
        except UnicodeEncodeError:
            return None
        return data.decode("utf-8", errors="surrogateescape")

    if not isinstance(json_value, list):
        return text(json_value)
    try:
        shape, leaves = _list_shape(json_value, "")
    except LindiFormatError:
        return None
    items = [text(x) for x in leaves]
    if any(item is None for item in items):
        return None
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


def _fixed_bytes(json_value: Any, dtype: np.dtype[Any], encoding: str) -> Any:
    if isinstance(json_value, str):
        data = _encoded(json_value, dtype, encoding)
        # a 0-d array: a numpy bytes scalar would lose the width (b"a" of "|S3" is "|S1")
        return None if data is None else np.array(data, dtype=dtype)
    if not isinstance(json_value, list):
        return None
    try:
        shape, leaves = _list_shape(json_value, "")
    except LindiFormatError:
        return None
    items = [_encoded(x, dtype, encoding) for x in leaves]
    if any(item is None for item in items):
        return None
    return np.array(items, dtype=dtype).reshape(shape)


def _encoded(text: Any, dtype: np.dtype[Any], encoding: str) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return None
    return data if len(data) <= dtype.itemsize else None


def user_value(value: Any) -> Any:
    """An attribute value of :attr:`~hdmf_lindi.conventions.model.Node.attrs` as h5py returns
    it: a 0-d fixed-width bytes array (kept so to hold its width) as a numpy bytes scalar."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "S":
        return value[()]
    return value
