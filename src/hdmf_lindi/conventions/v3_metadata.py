"""Dataset metadata of the unified Zarr v3 flavour: ``zarr.json`` <-> :class:`DatasetInfo`.

================================================  ==========================  ===========
``data_type`` (+ attributes)                      h5py-facing dtype           kind
================================================  ==========================  ===========
``int8`` ... ``float64``, ``complex*``, ``bool``  the numpy dtype (byte       NUMERIC
                                                  order from ``bytes``)
int + ``_ENUM_NAMES``/``_ENUM_VALUES`` (ours)     ``h5py.enum_dtype``         NUMERIC
``null_terminated_bytes``                         ``|S<n>``                   NUMERIC
``string`` + ``_DTYPE: "object_reference"``       ``h5py.ref_dtype``          REFERENCE
``string``, ``fixed_length_utf32``                ``h5py.string_dtype()``     VLEN_STRING
``variable_length_bytes``                         ``h5py.vlen_dtype(bytes)``  VLEN_BYTES
``struct`` (``_REFERENCE_FIELDS`` name the        structured; reference       COMPOUND
reference fields; other ``fixed_length_utf32``    fields ``ref_dtype``, text
fields are text)                                  fields ``string_dtype()``
================================================  ==========================  ===========

A scalar dataset has ``"shape": []`` (no marker attribute). New arrays get the ``bytes`` (or
``vlen-utf8`` / ``vlen-bytes``) codec followed by the bytes-to-bytes codecs: the numcodecs
configurations LINDI v1 would have written (``{"id": "zlib", "level": 4}`` ->
``{"name": "numcodecs.zlib", "configuration": {"level": 4}}``), or ``zstd`` level 0 as hdmf-zarr
writes by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import h5py
import numpy as np

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.dataset_info import (
    dataset_attributes,
    dataset_info,
    new_array_filters,
)
from hdmf_lindi.conventions.datasets import _int_list, compound_fields_from_dtype
from hdmf_lindi.conventions.fill_values import decode_fill_value, encode_fill_value
from hdmf_lindi.conventions.model import DataKind, DatasetInfo
from hdmf_lindi.conventions.string_encoding import encode_string_encoding, vlen_string_dtype
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError
from hdmf_lindi.storage.v3_data_types import NUMERIC_NAMES as _NUMERIC_NAMES
from hdmf_lindi.storage.v3_data_types import named as _named
from hdmf_lindi.storage.v3_data_types import numpy_dtype_from_data_type

__all__ = [
    "ARRAY_DIMENSIONS",
    "COMPOUND_STRING_LENGTH",
    "DTYPE",
    "HIDDEN_ATTRIBUTES",
    "LINKS",
    "OBJECT_REFERENCE",
    "REFERENCE_FIELDS",
    "array_metadata_from_info",
    "chunk_separator",
    "chunk_shape_of",
    "codec_names",
    "compound_stored_dtype",
    "dataset_info_from_array_metadata",
    "numpy_dtype_from_data_type",
]

DTYPE: Final = keys.DTYPE
LINKS: Final = "_LINKS"
REFERENCE_FIELDS: Final = "_REFERENCE_FIELDS"
ARRAY_DIMENSIONS: Final = "_ARRAY_DIMENSIONS"
OBJECT_REFERENCE: Final = keys.OBJECT_REFERENCE
COMPOUND_STRING_LENGTH: Final = 512
"""Characters of a text or reference field of a compound (hdmf-zarr's minimum width)."""

HIDDEN_ATTRIBUTES: Final = frozenset(
    {DTYPE, LINKS, REFERENCE_FIELDS, ARRAY_DIMENSIONS, "zarr_dtype", "zarr_link"}
    | keys.SPECIAL_ATTRIBUTE_KEYS
)
"""Attributes of the convention (and ours) that are never shown as user attributes."""

_ARRAY_TO_BYTES: Final = frozenset({"bytes", "vlen-utf8", "vlen-bytes"})
_DEFAULT_COMPRESSOR: Final[Mapping[str, Any]] = {
    "name": "zstd",
    "configuration": {"level": 0, "checksum": False},
}
_OBJECT_CODEC_IDS: Final = frozenset({"json2", "vlen-utf8", "vlen-bytes", "vlen-array"})


# ------------------------------------------------------------------------------- data types
def _data_type_json(dtype: np.dtype[Any], where: str) -> Any:
    if dtype.names is not None:
        fields = [
            {"name": name, "data_type": _data_type_json(dtype.fields[name][0], where)}  # type: ignore[index]
            for name in dtype.names
        ]
        return {"name": "struct", "configuration": {"fields": fields}}
    kind = dtype.kind
    if kind == "U":
        return {"name": "fixed_length_utf32", "configuration": {"length_bytes": dtype.itemsize}}
    if kind == "S":
        return {"name": "null_terminated_bytes", "configuration": {"length_bytes": dtype.itemsize}}
    name = np.dtype(dtype.str).name
    if name not in _NUMERIC_NAMES:
        raise LindiUnsupportedError(f"{where}: dtype {dtype} has no Zarr v3 data type")
    return name


def compound_stored_dtype(dtype: np.dtype[Any], *, where: str = "?") -> np.dtype[Any]:
    """The packed structured dtype a ``struct`` array stores for an h5py compound dtype:
    reference and variable-length text fields become ``<U512``."""
    out: list[tuple[str, np.dtype[Any]]] = []
    for name in dtype.names or ():
        field = dtype.fields[name][0]  # type: ignore[index]
        if field.kind == "O":
            out.append((name, np.dtype(f"<U{COMPOUND_STRING_LENGTH}")))
        elif field.names is not None or field.subdtype is not None:
            raise LindiUnsupportedError(f"{where}: nested or array compound field {name!r}")
        else:
            out.append((name, np.dtype(field.str)))
    return np.dtype(out)


def _fill_json(dtype: np.dtype[Any], value: Any) -> Any:
    if dtype.names is not None:
        return {name: _fill_json(dtype.fields[name][0], None) for name in dtype.names}  # type: ignore[index]
    if value is None:
        value = b"" if dtype.kind == "S" else "" if dtype.kind == "U" else 0
    if dtype.kind == "b":
        return bool(value)
    return encode_fill_value(dtype, value)


def _endian(dtype: np.dtype[Any]) -> str:
    if dtype.names is not None:
        orders = {_endian(dtype.fields[n][0]) for n in dtype.names}  # type: ignore[index]
        return "big" if orders == {"big"} else "little"
    return "big" if dtype.byteorder == ">" else "little"


def _codec_from_numcodecs(config: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    if "name" in config:  # already a v3 codec
        return dict(config)
    codec_id = config.get("id")
    if not isinstance(codec_id, str):
        raise LindiFormatError(f"{where}: a codec configuration needs a string 'id': {config!r}")
    if codec_id in _OBJECT_CODEC_IDS:
        return None
    if codec_id == "pickle":
        raise LindiUnsupportedError(f"{where}: the pickle codec is refused")
    rest = {k: v for k, v in config.items() if k != "id"}
    return {"name": f"numcodecs.{codec_id}", "configuration": rest}


def _bytes_codecs(
    info: DatasetInfo, codecs: Mapping[str, Any] | None, where: str
) -> list[dict[str, Any]]:
    if codecs is not None:
        if isinstance(codecs.get("codecs"), list):
            return [dict(c) for c in codecs["codecs"] if _named(c)[0] not in _ARRAY_TO_BYTES]
        given = [*(codecs.get("filters") or []), codecs.get("compressor")]
        out = [_codec_from_numcodecs(c, where) for c in given if isinstance(c, Mapping)]
        return [c for c in out if c is not None]
    filters = new_array_filters(info, where=where)
    if not filters:
        return [dict(_DEFAULT_COMPRESSOR)]
    return [c for c in (_codec_from_numcodecs(f, where) for f in filters) if c is not None]


def array_metadata_from_info(
    info: DatasetInfo, *, codecs: Mapping[str, Any] | None = None, where: str = "?"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The array ``zarr.json`` (without ``attributes``) and the special attributes for ``info``.

    Parameters
    ----------
    info
        The dataset (h5py-facing shape and dtype).
    codecs
        LINDI v1 style ``{"filters": [...], "compressor": {...}}`` numcodecs configurations
        (become ``numcodecs.<id>`` codecs), or ``{"codecs": [...]}`` Zarr v3 codecs; the
        array-to-bytes codec is always chosen here. Default: from ``info.compression``, else
        ``zstd`` level 0.
    where
        The file and path, for error messages.
    """
    shape = [int(n) for n in info.shape]
    if info.is_scalar:
        chunk_shape: list[int] = []
    else:
        chunks = info.chunks if info.chunks is not None else info.shape
        if len(chunks) != len(shape):
            raise LindiFormatError(f"{where}: chunks {chunks} do not match shape {info.shape}")
        chunk_shape = [max(1, int(c)) for c in chunks]
    special: dict[str, Any] = {}
    kind = info.kind
    bytes_codecs = _bytes_codecs(info, codecs, where)
    if kind in (DataKind.VLEN_STRING, DataKind.REFERENCE):
        data_type: Any = "string"
        fill: Any = ""
        array_to_bytes: dict[str, Any] = {"name": "vlen-utf8", "configuration": {}}
        special[DTYPE] = OBJECT_REFERENCE if kind is DataKind.REFERENCE else "str"
        if kind is DataKind.VLEN_STRING:
            encode_string_encoding(info.dtype, special)
    elif kind is DataKind.VLEN_BYTES:
        data_type, fill = "variable_length_bytes", ""
        array_to_bytes = {"name": "vlen-bytes", "configuration": {}}
        special[DTYPE] = "bytes"
    elif kind is DataKind.COMPOUND:
        stored = compound_stored_dtype(info.dtype, where=where)
        compound_fields_from_dtype(info.dtype, where=where)  # refuses unsupported fields
        data_type = _data_type_json(stored, where)
        fill = _fill_json(stored, None)
        array_to_bytes = {"name": "bytes", "configuration": {"endian": "little"}}
        references = [
            name
            for name in info.dtype.names or ()
            if h5py.check_ref_dtype(info.dtype.fields[name][0]) is not None  # type: ignore[index]
        ]
        if references:
            special[REFERENCE_FIELDS] = references
    else:
        base = np.dtype(info.dtype.str)
        if base.kind in "OV" or base.names is not None:
            raise LindiUnsupportedError(
                f"{where}: dtype {info.dtype} is not a NUMERIC dtype (use COMPOUND/VLEN kinds)"
            )
        data_type = _data_type_json(base, where)
        fill = _fill_json(base, info.fillvalue)
        array_to_bytes = {"name": "bytes"}
        if base.itemsize > 1:
            array_to_bytes["configuration"] = {"endian": _endian(base)}
        special[DTYPE] = "bytes" if base.kind == "S" else base.type.__name__
    special.update(dataset_attributes(info, where=where))
    metadata: dict[str, Any] = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": data_type,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk_shape}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill,
        "codecs": [array_to_bytes, *bytes_codecs],
        "storage_transformers": [],
    }
    return metadata, special


# ---------------------------------------------------------------------------------- reading
def codec_names(metadata: Mapping[str, Any]) -> list[str]:
    """The ``name`` of each codec of an array ``zarr.json``, in encoding order."""
    codecs = metadata.get("codecs") or []
    if not isinstance(codecs, list):
        raise LindiFormatError("'codecs' must be a list")
    return [_named(c)[0] for c in codecs]


def _array_endian(metadata: Mapping[str, Any]) -> str:
    for codec in metadata.get("codecs") or []:
        name, config = _named(codec)
        if name == "bytes":
            return str(config.get("endian") or "little")
    return "little"


def _numcodecs_ids(metadata: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The codecs of an array ``zarr.json`` as ``(numcodecs id, configuration)``
    (``numcodecs.zlib`` -> ``zlib``; core codecs keep their name)."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    for codec in metadata.get("codecs") or []:
        name, config = _named(codec)
        out.append((name.removeprefix("numcodecs."), config))
    return out


def chunk_shape_of(metadata: Mapping[str, Any], where: str = "?") -> tuple[int, ...]:
    """The regular grid's ``chunk_shape`` of an array ``zarr.json``."""
    grid = metadata.get("chunk_grid")
    if not isinstance(grid, Mapping):
        raise LindiFormatError(f"{where}: an array zarr.json needs a 'chunk_grid' object")
    if grid.get("name") != "regular":
        raise LindiUnsupportedError(f"{where}: only regular chunk grids are supported")
    config = grid.get("configuration") or {}
    return _int_list(config.get("chunk_shape"), "chunk_shape", where)


def chunk_separator(metadata: Mapping[str, Any]) -> tuple[str, str]:
    """``(prefix, separator)`` of the chunk key encoding: ``("c/", "/")`` by default,
    ``("", ".")`` for the ``v2`` encoding."""
    encoding = metadata.get("chunk_key_encoding") or {}
    name = encoding.get("name", "default") if isinstance(encoding, Mapping) else "default"
    config = (encoding.get("configuration") or {}) if isinstance(encoding, Mapping) else {}
    if name == "v2":
        return "", str(config.get("separator", "."))
    return "c/", str(config.get("separator", "/"))


def dataset_info_from_array_metadata(
    metadata: Any, attributes: Mapping[str, Any], *, where: str = "?"
) -> DatasetInfo:
    """Build the h5py-facing :class:`DatasetInfo` of an array ``zarr.json``.

    Parameters
    ----------
    metadata
        The parsed ``zarr.json`` (``node_type`` ``"array"``).
    attributes
        Its ``attributes`` (special keys included).
    where
        The file and key, for error messages.
    """
    if not isinstance(metadata, Mapping) or metadata.get("zarr_format") != 3:
        raise LindiFormatError(f"{where}: not a Zarr v3 array zarr.json")
    shape = _int_list(metadata.get("shape"), "shape", where)
    chunks = chunk_shape_of(metadata, where)
    if len(chunks) != len(shape):
        raise LindiFormatError(f"{where}: 'chunk_shape' and 'shape' have different lengths")
    spec = metadata.get("data_type")
    name, _config = _named(spec)
    compound_fields: tuple[tuple[str, str], ...] | None = None
    fillvalue: Any = None
    if name == "string":
        if attributes.get(DTYPE) == OBJECT_REFERENCE:
            dtype, kind = h5py.ref_dtype, DataKind.REFERENCE
        else:
            dtype, kind = vlen_string_dtype(attributes, where=where), DataKind.VLEN_STRING
    elif name == "variable_length_bytes":
        dtype, kind = h5py.vlen_dtype(bytes), DataKind.VLEN_BYTES
    elif name == "fixed_length_utf32":
        dtype, kind = vlen_string_dtype(attributes, where=where), DataKind.VLEN_STRING
    elif name in ("struct", "structured"):
        stored = numpy_dtype_from_data_type(spec, _array_endian(metadata))
        references = attributes.get(REFERENCE_FIELDS) or []
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            raise LindiFormatError(f"{where}: {REFERENCE_FIELDS} must be a list of field names")
        fields: list[tuple[str, np.dtype[Any]]] = []
        specs: list[tuple[str, str]] = []
        for field in stored.names or ():
            field_dtype = stored.fields[field][0]  # type: ignore[index]
            if field in references:
                fields.append((field, h5py.ref_dtype))
                specs.append((field, keys.REFERENCE_DTYPE_NAME))
            elif field_dtype.kind == "U":
                fields.append((field, h5py.string_dtype()))
                specs.append((field, "object"))
            elif field_dtype.names is not None:
                raise LindiUnsupportedError(f"{where}: nested struct field {field!r}")
            else:
                fields.append((field, field_dtype))
                specs.append((field, str(np.dtype(field_dtype.str))))
        dtype, kind = np.dtype(fields), DataKind.COMPOUND
        compound_fields = tuple(specs)
    else:
        stored = numpy_dtype_from_data_type(spec, _array_endian(metadata))
        kind, dtype = DataKind.NUMERIC, stored
        fillvalue = decode_fill_value(stored, metadata.get("fill_value"), where=where)
    return dataset_info(
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        kind=kind,
        fillvalue=fillvalue,
        attributes=attributes,
        codecs=_numcodecs_ids(metadata),
        compound_fields=compound_fields,
        where=where,
    )
