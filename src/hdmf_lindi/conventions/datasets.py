"""Dataset metadata: ``.zarray`` + special attributes <-> :class:`DatasetInfo` (LINDI v1).

Reading maps what zarr stores to what h5py would report:

=================================  ================================================  ============
``.zarray`` dtype / attributes     h5py-facing dtype                                 kind
=================================  ================================================  ============
numeric, ``|b1``, ``|S<n>``        the same numpy dtype                              NUMERIC
int + ``_ENUM_NAMES/VALUES``       ``h5py.enum_dtype(mapping, basetype)``            NUMERIC
``<U<n>`` (lindi's scalar str)     ``h5py.string_dtype()``                           VLEN_STRING
``|O`` + ``vlen-utf8``             ``h5py.string_dtype()``                           VLEN_STRING
``|O`` + ``vlen-bytes``            ``h5py.vlen_dtype(bytes)``                        VLEN_BYTES
``|O`` + ``json2``                 ``h5py.string_dtype()``, or ``h5py.ref_dtype``    VLEN_STRING or
                                   with ``_DTYPE: "object_reference"`` or when the   REFERENCE
                                   first element is a ``_REFERENCE``
``|O`` + ``json2`` +               structured dtype; ``"<REFERENCE>"`` fields as     COMPOUND
``_COMPOUND_DTYPE``                ``h5py.ref_dtype``, ``"object"`` fields as
                                   ``h5py.string_dtype()``
=================================  ================================================  ============
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import h5py
import numpy as np

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.chunks import chunk_dtype
from hdmf_lindi.conventions.dataset_info import (
    dataset_attributes,
    dataset_info,
    new_array_filters,
)
from hdmf_lindi.conventions.fill_values import decode_fill_value, encode_fill_value
from hdmf_lindi.conventions.model import DataKind, DatasetInfo
from hdmf_lindi.conventions.string_encoding import encode_string_encoding, vlen_string_dtype
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError
from hdmf_lindi.storage.chunk_limits import check_codec_configs

__all__ = [
    "DEFAULT_COMPRESSOR",
    "JSON2_FILTER",
    "OBJECT_CODEC_IDS",
    "VLEN_BYTES_FILTER",
    "compound_dtype_from_fields",
    "compound_fields_from_dtype",
    "data_kind_of",
    "dataset_info_from_zarray",
    "object_codec_id",
    "zarray_from_dataset_info",
]

DEFAULT_COMPRESSOR: Final[Mapping[str, Any]] = {
    "blocksize": 0,
    "clevel": 5,
    "cname": "lz4",
    "id": "blosc",
    "shuffle": 1,
}
"""The compressor of new arrays when no codecs are given: zarr 2's default, as lindi writes."""

JSON2_FILTER: Final[Mapping[str, Any]] = {
    "allow_nan": True,
    "check_circular": True,
    "encoding": "utf-8",
    "ensure_ascii": True,
    "id": "json2",
    "indent": None,
    "separators": [",", ":"],
    "skipkeys": False,
    "sort_keys": True,
    "strict": True,
}
"""numcodecs' ``JSON()`` configuration exactly as lindi 0.4.6 writes it."""

VLEN_BYTES_FILTER: Final[Mapping[str, Any]] = {"id": "vlen-bytes"}
OBJECT_CODEC_IDS: Final = ("json2", "vlen-utf8", "vlen-bytes", "vlen-array", "msgpack2", "pickle")
_COMPOUND_OBJECT_FIELD: Final = "object"
_JSON2_FILL_VALUE: Final = 0


def object_codec_id(zarray: Mapping[str, Any]) -> str | None:
    """The id of the first object codec among the filters and the compressor, if any."""
    filters = zarray.get("filters")
    codecs = [*(filters if isinstance(filters, list) else []), zarray.get("compressor")]
    for codec in codecs:
        if isinstance(codec, Mapping) and codec.get("id") in OBJECT_CODEC_IDS:
            return str(codec["id"])
    return None


# ------------------------------------------------------------------------------------ dtypes
def data_kind_of(dtype: np.dtype[Any], *, where: str = "?") -> DataKind:
    """The :class:`DataKind` of a dataset whose h5py-facing dtype is ``dtype``.

    The one rule shared by the HDF5 translator, the h5py-compatible writer and LindiIO:

    * structured dtypes -> ``COMPOUND`` (fields must be plain numeric/fixed-length, object
      references or variable-length strings);
    * ``h5py.ref_dtype`` -> ``REFERENCE`` (region references are refused);
    * variable-length strings -> ``VLEN_STRING``, *whatever their encoding*: an ASCII
      ``h5py.string_dtype("ascii")`` (which is also ``h5py.vlen_dtype(bytes)``; h5py cannot
      tell them apart) is stored as JSON text like a UTF-8 one, as lindi 0.4.6 does;
      ``VLEN_BYTES`` is only ever read from arrays already stored with ``vlen-bytes``;
    * fixed-length strings ``|S<n>``, enums and every other fixed-size dtype -> ``NUMERIC``.

    Parameters
    ----------
    dtype
        The h5py-facing dtype.
    where
        The file and path, for error messages.

    Raises
    ------
    LindiUnsupportedError
        For dtypes LINDI cannot hold: region references, ragged (non-string) variable-length
        data, array/opaque/datetime dtypes, nested or ragged compound fields, or an object
        dtype without h5py metadata.
    """
    if dtype.names is not None:
        for name in dtype.names:
            _check_compound_field(name, dtype.fields[name][0], where)  # type: ignore[index]
        return DataKind.COMPOUND
    if dtype.kind == "O":
        ref = h5py.check_ref_dtype(dtype)
        if ref is h5py.Reference:
            return DataKind.REFERENCE
        if ref is h5py.RegionReference:
            raise LindiUnsupportedError(
                f"{where}: region references are not supported (LINDI cannot represent "
                "dataspace selections)"
            )
        if h5py.check_string_dtype(dtype) is not None:
            return DataKind.VLEN_STRING
        vlen = h5py.check_vlen_dtype(dtype)
        if vlen is None:
            raise LindiUnsupportedError(
                f"{where}: object dtype without h5py string/reference metadata is not supported"
            )
        raise LindiUnsupportedError(
            f"{where}: variable-length (ragged) {vlen} data is not supported"
        )
    if dtype.subdtype is not None:
        raise LindiUnsupportedError(f"{where}: array dtype {dtype} is not supported")
    if dtype.kind == "V":
        raise LindiUnsupportedError(f"{where}: opaque dtype {dtype} is not supported")
    if dtype.kind in "Mm":
        raise LindiUnsupportedError(f"{where}: {dtype} (an HDF5 opaque type) is not supported")
    return DataKind.NUMERIC


def _check_compound_field(name: str, field_dtype: np.dtype[Any], where: str) -> None:
    if field_dtype.subdtype is not None or field_dtype.names:
        raise LindiUnsupportedError(
            f"{where}: compound field {name!r} has dtype {field_dtype}; not supported"
        )
    if field_dtype.kind == "O" and not (
        h5py.check_ref_dtype(field_dtype) is h5py.Reference
        or h5py.check_string_dtype(field_dtype) is not None
    ):
        raise LindiUnsupportedError(
            f"{where}: compound field {name!r} is a variable-length sequence or region "
            "reference; not supported"
        )


# ------------------------------------------------------------------------------------ reading
def _int_list(value: Any, name: str, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        raise LindiFormatError(f"{where}: '{name}' must be a list of non-negative integers")
    return tuple(value)


def compound_dtype_from_fields(fields: Any, *, where: str = "?") -> np.dtype[Any]:
    """The structured h5py-facing dtype of a ``_COMPOUND_DTYPE`` value."""
    if not isinstance(fields, list) or not fields:
        raise LindiFormatError(f"{where}: {keys.COMPOUND_DTYPE} must be a non-empty list")
    out: list[tuple[str, np.dtype[Any]]] = []
    for field in fields:
        if (
            not isinstance(field, list | tuple)
            or len(field) != 2
            or not all(isinstance(x, str) for x in field)
        ):
            raise LindiFormatError(
                f"{where}: each {keys.COMPOUND_DTYPE} entry is [name, dtype], got {field!r}"
            )
        name, spec = field
        if spec == keys.REFERENCE_DTYPE_NAME:
            out.append((name, h5py.ref_dtype))
        elif spec == _COMPOUND_OBJECT_FIELD:
            out.append((name, h5py.string_dtype()))
        else:
            try:
                out.append((name, np.dtype(spec)))
            except TypeError as exc:
                raise LindiFormatError(
                    f"{where}: {keys.COMPOUND_DTYPE} field {name!r} has invalid dtype {spec!r}"
                ) from exc
    try:
        return np.dtype(out)
    except ValueError as exc:
        raise LindiFormatError(f"{where}: invalid {keys.COMPOUND_DTYPE} ({exc})") from exc


def compound_fields_from_dtype(dtype: np.dtype[Any], *, where: str = "?") -> list[list[str]]:
    """The ``_COMPOUND_DTYPE`` value for a structured dtype (as lindi 0.4.6 writes it)."""
    if dtype.names is None:
        raise LindiFormatError(f"{where}: a compound dataset needs a structured dtype, got {dtype}")
    out: list[list[str]] = []
    for name in dtype.names:
        field = dtype.fields[name][0]  # type: ignore[index]
        if h5py.check_ref_dtype(field) is not None:
            out.append([name, keys.REFERENCE_DTYPE_NAME])
        elif field.kind == "O":
            if h5py.check_vlen_dtype(field) not in (str, bytes):
                raise LindiUnsupportedError(
                    f"{where}: compound field {name!r} of dtype {field} is not supported"
                )
            out.append([name, _COMPOUND_OBJECT_FIELD])
        elif field.names is not None or field.subdtype is not None:
            raise LindiUnsupportedError(
                f"{where}: nested or array compound field {name!r} is not supported"
            )
        else:
            out.append([name, str(np.dtype(field.str))])
    return out


def _codecs(zarray: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The filters and the compressor of a ``.zarray`` as ``(numcodecs id, configuration)``."""
    return [
        (str(codec.get("id")), codec)
        for codec in [*(zarray.get("filters") or []), zarray.get("compressor")]
        if isinstance(codec, Mapping)
    ]


def dataset_info_from_zarray(
    zarray: Any,
    zattrs: Mapping[str, Any],
    *,
    first_is_reference: bool = False,
    where: str = "?",
) -> DatasetInfo:
    """Build the h5py-facing :class:`DatasetInfo` from a ``.zarray`` and its ``.zattrs``.

    Parameters
    ----------
    zarray
        The parsed ``.zarray``.
    zattrs
        The parsed ``.zattrs`` (special keys included).
    first_is_reference
        For a ``json2`` object array without ``_COMPOUND_DTYPE``: whether its first element is
        a ``_REFERENCE`` (then the dataset is a reference dataset, else a string dataset).
    where
        The file and key, for error messages.
    """
    if not isinstance(zarray, Mapping):
        raise LindiFormatError(f"{where}: .zarray must be a JSON object")
    if zarray.get("zarr_format", 2) != 2:
        raise LindiFormatError(f"{where}: .zarray has zarr_format {zarray.get('zarr_format')!r}")
    stored_shape = _int_list(zarray.get("shape"), "shape", where)
    chunks = _int_list(zarray.get("chunks"), "chunks", where)
    if len(chunks) != len(stored_shape):
        raise LindiFormatError(f"{where}: 'chunks' and 'shape' have different lengths")
    if 0 in chunks:
        raise LindiFormatError(f"{where}: 'chunks' must be positive: {list(chunks)}")
    check_codec_configs(zarray, where=where)
    try:
        stored_dtype = chunk_dtype(zarray)
    except LindiFormatError as exc:
        raise LindiFormatError(f"{where}: {exc}") from None

    is_scalar = zattrs.get(keys.SCALAR) is True
    if is_scalar and stored_shape != (1,):
        raise LindiFormatError(f"{where}: {keys.SCALAR} array must have shape [1]")
    shape = () if is_scalar else stored_shape

    compound_fields: tuple[tuple[str, str], ...] | None = None
    fillvalue: Any = None
    if keys.COMPOUND_DTYPE in zattrs:
        if stored_dtype.kind != "O":
            raise LindiFormatError(f"{where}: {keys.COMPOUND_DTYPE} on a non-object array")
        dtype = compound_dtype_from_fields(zattrs[keys.COMPOUND_DTYPE], where=where)
        compound_fields = tuple((str(n), str(s)) for n, s in zattrs[keys.COMPOUND_DTYPE])
        kind = DataKind.COMPOUND
    elif stored_dtype.kind == "O":
        codec_id = object_codec_id(zarray)
        if codec_id == "vlen-bytes":
            dtype, kind = h5py.vlen_dtype(bytes), DataKind.VLEN_BYTES
        elif codec_id in ("json2", "vlen-utf8"):
            if codec_id == "json2" and (first_is_reference or _marked_reference(zattrs, where)):
                dtype, kind = h5py.ref_dtype, DataKind.REFERENCE
            else:
                dtype, kind = vlen_string_dtype(zattrs, where=where), DataKind.VLEN_STRING
        else:
            raise LindiUnsupportedError(
                f"{where}: object array with object codec {codec_id!r} is not supported"
            )
    elif stored_dtype.kind == "U":
        dtype, kind = vlen_string_dtype(zattrs, where=where), DataKind.VLEN_STRING
    else:
        kind = DataKind.NUMERIC
        dtype = stored_dtype
        fillvalue = decode_fill_value(stored_dtype, zarray.get("fill_value"), where=where)

    return dataset_info(
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        kind=kind,
        fillvalue=fillvalue,
        attributes=zattrs,
        codecs=_codecs(zarray),
        compound_fields=compound_fields,
        where=where,
    )


def _marked_reference(zattrs: Mapping[str, Any], where: str) -> bool:
    """Whether ``zattrs`` carries ``_DTYPE: "object_reference"`` (see :data:`keys.DTYPE`)."""
    marker = zattrs.get(keys.DTYPE)
    if marker is None:
        return False
    if marker != keys.OBJECT_REFERENCE:
        raise LindiFormatError(
            f"{where}: {keys.DTYPE} must be {keys.OBJECT_REFERENCE!r} on a json2 array, "
            f"got {marker!r}"
        )
    return True


# ------------------------------------------------------------------------------------ writing
def _stored_chunks(info: DatasetInfo, stored_shape: tuple[int, ...], where: str) -> list[int]:
    if info.is_scalar:
        return [1]
    chunks = info.chunks if info.chunks is not None else stored_shape
    if len(chunks) != len(stored_shape):
        raise LindiFormatError(f"{where}: chunks {chunks} do not match shape {stored_shape}")
    return [max(1, int(c)) for c in chunks]


def _default_codecs(info: DatasetInfo, where: str) -> tuple[list[Any] | None, Any]:
    filters = new_array_filters(info, where=where)
    compressor: Any = filters.pop() if filters and filters[-1]["id"] == "zlib" else None
    if compressor is None and not filters:
        compressor = dict(DEFAULT_COMPRESSOR)
    return filters or None, compressor


def zarray_from_dataset_info(
    info: DatasetInfo,
    *,
    codecs: Mapping[str, Any] | None = None,
    where: str = "?",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``.zarray`` and the special attributes describing ``info``.

    Parameters
    ----------
    info
        The dataset (h5py-facing shape and dtype).
    codecs
        ``{"filters": [...] | None, "compressor": {...} | None}`` exactly as they should appear
        in ``.zarray`` (e.g. the HDF5 filters of chunks referenced in place). The object codec
        of object arrays is added in front of the filters when missing. Default: from
        ``info.compression`` (``"gzip"`` -> zlib), else blosc lz4 (:data:`DEFAULT_COMPRESSOR`).
    where
        The file and path, for error messages.
    """
    stored_shape = (1,) if info.is_scalar else tuple(int(n) for n in info.shape)
    chunks = _stored_chunks(info, stored_shape, where)
    if codecs is not None:
        filters = list(codecs.get("filters") or []) or None
        compressor = codecs.get("compressor")
    else:
        filters, compressor = _default_codecs(info, where)
    special: dict[str, Any] = {}
    kind = info.kind
    if kind in (DataKind.VLEN_STRING, DataKind.REFERENCE, DataKind.COMPOUND):
        dtype_str = "|O"
        fill_value: Any = _JSON2_FILL_VALUE
        if object_codec_id({"filters": filters}) != "json2":
            filters = [dict(JSON2_FILTER), *(filters or [])]
        if kind == DataKind.VLEN_STRING:
            encode_string_encoding(info.dtype, special)
        if kind == DataKind.REFERENCE:
            special[keys.DTYPE] = keys.OBJECT_REFERENCE
        if kind == DataKind.COMPOUND:
            special[keys.COMPOUND_DTYPE] = (
                [list(f) for f in info.compound_fields]
                if info.compound_fields is not None
                else compound_fields_from_dtype(info.dtype, where=where)
            )
    elif kind == DataKind.VLEN_BYTES:
        dtype_str, fill_value = "|O", None
        if object_codec_id({"filters": filters}) != "vlen-bytes":
            filters = [dict(VLEN_BYTES_FILTER), *(filters or [])]
    else:
        base = np.dtype(info.dtype.str)
        if base.kind in "OV":
            raise LindiUnsupportedError(
                f"{where}: dtype {info.dtype} is not a NUMERIC dtype (use COMPOUND/VLEN kinds)"
            )
        dtype_str = base.str
        default_fill = b"" if base.kind == "S" else "" if base.kind == "U" else 0
        fill_value = encode_fill_value(
            base, default_fill if info.fillvalue is None else info.fillvalue
        )
    if info.is_scalar:
        special[keys.SCALAR] = True
    special.update(dataset_attributes(info, where=where))
    zarray: dict[str, Any] = {
        "chunks": chunks,
        "compressor": dict(compressor) if compressor else None,
        "dtype": dtype_str,
        "fill_value": fill_value,
        "filters": [dict(f) for f in filters] if filters else None,
        "order": "C",
        "shape": list(stored_shape),
        "zarr_format": 2,
    }
    return zarray, special
