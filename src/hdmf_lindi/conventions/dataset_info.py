"""The dataset description both flavours share: one :class:`DatasetInfo` builder and one writer
of the attributes beside a dataset's Zarr metadata, so that lindi-v1 and unified-zarr-v3 report
the same ``chunks``, ``compression``, ``shuffle``, ... for the same dataset.

A flavour decodes what only it knows (shape, chunk shape, data type and fill value from its
``.zarray`` or ``zarr.json``) and names its codecs as numcodecs ids (``zlib``, ``shuffle``,
``fletcher32``, ...); the rest comes from here:

* ``compression``/``compression_opts`` (``zlib`` or ``gzip`` -> ``"gzip"`` and its level),
  ``shuffle`` and ``fletcher32`` from those codecs, as h5py reports HDF5's filters;
* ``_ENUM_NAMES``/``_ENUM_VALUES``, ``_MAXSHAPE``, ``_EXTERNAL_ARRAY_LINK`` and ``_HDF5_LAYOUT``
  (the source HDF5 file's layout, which the h5py view reports instead of the Zarr array's),
  read by :func:`dataset_info` and written by :func:`dataset_attributes`;
* the filters of new arrays (:func:`new_array_filters`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

import h5py
import numpy as np

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.hdf5_layout import decode_hdf5_layout, encode_hdf5_layout
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, ExternalArrayLink, HDF5Layout
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError

__all__ = [
    "CodecReport",
    "Codecs",
    "codec_report",
    "dataset_attributes",
    "dataset_info",
    "encode_external_array_link",
    "encode_maxshape",
    "new_array_filters",
    "reported_layout",
]

Codecs = Iterable[tuple[str, Mapping[str, Any]]]
"""A flavour's codecs in encoding order, each as ``(numcodecs id, configuration)``."""

_UNLIMITED: Final = -1
_DEFLATE_IDS: Final = frozenset({"zlib", "gzip"})


class CodecReport(NamedTuple):
    """What h5py would report for the filters a set of codecs applies."""

    compression: str | None
    compression_opts: Any
    shuffle: bool
    fletcher32: bool


def codec_report(codecs: Codecs) -> CodecReport:
    """``compression``, ``compression_opts``, ``shuffle`` and ``fletcher32`` of ``codecs``
    (deflate as ``"gzip"`` with its level, as h5py names HDF5's deflate filter)."""
    compression: str | None = None
    compression_opts: Any = None
    shuffle = fletcher32 = False
    for codec_id, config in codecs:
        if codec_id in _DEFLATE_IDS and compression is None:
            compression, compression_opts = "gzip", config.get("level")
        elif codec_id == "shuffle":
            shuffle = True
        elif codec_id == "fletcher32":
            fletcher32 = True
    return CodecReport(compression, compression_opts, shuffle, fletcher32)


def reported_layout(chunks: tuple[int, ...], codecs: Codecs) -> HDF5Layout:
    """The layout the h5py view reports for a chunked array without ``_HDF5_LAYOUT``: the
    HDF5 converter records the source's layout only where it differs from this."""
    report = codec_report(codecs)
    return HDF5Layout(
        layout="chunked",
        chunks=tuple(chunks),
        compression=report.compression,
        compression_opts=report.compression_opts,
        shuffle=report.shuffle,
        fletcher32=report.fletcher32,
    )


# ---------------------------------------------------------------------------------- reading
def _enum_mapping(
    attributes: Mapping[str, Any], stored_dtype: np.dtype[Any], where: str
) -> dict[str, int]:
    names = attributes.get(keys.ENUM_NAMES)
    values = attributes.get(keys.ENUM_VALUES)
    if (
        stored_dtype.kind not in "iu"
        or not isinstance(names, list)
        or not isinstance(values, list)
        or len(names) != len(values)
        or not all(isinstance(n, str) for n in names)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    ):
        raise LindiFormatError(
            f"{where}: {keys.ENUM_NAMES} and {keys.ENUM_VALUES} must be lists of names and "
            "integers of the same length, on an integer array"
        )
    return dict(zip(names, values, strict=True))


def _maxshape(value: Any, shape: tuple[int, ...], where: str) -> tuple[int | None, ...]:
    if (
        not isinstance(value, list)
        or len(value) != len(shape)
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= -1 for v in value)
    ):
        raise LindiFormatError(
            f"{where}: {keys.MAXSHAPE} must list one integer (-1: unlimited) per dimension"
        )
    return tuple(None if v == _UNLIMITED else v for v in value)


def _external_array_link(value: Any, where: str) -> ExternalArrayLink:
    if (
        not isinstance(value, Mapping)
        or not isinstance(value.get("url"), str)
        or not isinstance(value.get("name"), str)
    ):
        raise LindiFormatError(
            f"{where}: {keys.EXTERNAL_ARRAY_LINK} needs string 'url' and 'name', got {value!r}"
        )
    link_type = value.get("link_type", "hdf5_dataset")
    if not isinstance(link_type, str):
        raise LindiFormatError(f"{where}: {keys.EXTERNAL_ARRAY_LINK} 'link_type' must be a string")
    return ExternalArrayLink(url=value["url"], name=value["name"], link_type=link_type)


def dataset_info(
    *,
    shape: tuple[int, ...],
    chunks: tuple[int, ...] | None,
    dtype: np.dtype[Any],
    kind: DataKind,
    fillvalue: Any,
    attributes: Mapping[str, Any],
    codecs: Codecs,
    compound_fields: tuple[tuple[str, str], ...] | None = None,
    where: str = "?",
) -> DatasetInfo:
    """The h5py-facing :class:`DatasetInfo` of a dataset, from what its flavour decoded.

    Parameters
    ----------
    shape
        The h5py-facing shape (``()`` for a scalar).
    chunks
        The Zarr array's chunk shape (ignored for a scalar, which h5py reports unchunked).
    dtype
        The h5py-facing dtype; for ``NUMERIC``, the stored integer dtype of an enum, which
        ``_ENUM_NAMES``/``_ENUM_VALUES`` turn into ``h5py.enum_dtype``.
    kind
        How the elements are stored.
    fillvalue
        The decoded fill value (``None`` for object kinds).
    attributes
        The array's attributes, special keys included.
    codecs
        The array's codecs, ``(numcodecs id, configuration)`` in encoding order.
    compound_fields
        For ``COMPOUND``: ``(name, dtype string or "<REFERENCE>")`` per field.
    where
        The file and path, for error messages.

    Raises
    ------
    LindiFormatError
        A special attribute is malformed.
    """
    is_scalar = shape == ()
    if kind is DataKind.NUMERIC and (
        keys.ENUM_NAMES in attributes or keys.ENUM_VALUES in attributes
    ):
        dtype = h5py.enum_dtype(_enum_mapping(attributes, dtype, where), dtype)
    maxshape: tuple[int | None, ...] = shape
    if keys.MAXSHAPE in attributes and not is_scalar:
        maxshape = _maxshape(attributes[keys.MAXSHAPE], shape, where)
    link = None
    if keys.EXTERNAL_ARRAY_LINK in attributes:
        link = _external_array_link(attributes[keys.EXTERNAL_ARRAY_LINK], where)
    hdf5_layout = None
    if keys.HDF5_LAYOUT in attributes:
        hdf5_layout = decode_hdf5_layout(attributes[keys.HDF5_LAYOUT], where=where)
    report = codec_report(codecs)
    return DatasetInfo(
        shape=shape,
        dtype=dtype,
        kind=kind,
        chunks=None if is_scalar else chunks,
        maxshape=maxshape,
        fillvalue=fillvalue,
        compression=report.compression,
        compression_opts=report.compression_opts,
        compound_fields=compound_fields,
        external_array_link=link,
        shuffle=report.shuffle,
        fletcher32=report.fletcher32,
        hdf5_layout=hdf5_layout,
    )


# ---------------------------------------------------------------------------------- writing
def encode_external_array_link(link: ExternalArrayLink) -> dict[str, str]:
    """``_EXTERNAL_ARRAY_LINK`` of ``link``."""
    return {"link_type": link.link_type, "name": link.name, "url": link.url}


def encode_maxshape(maxshape: tuple[int | None, ...]) -> list[int]:
    """``_MAXSHAPE`` of ``maxshape``: ``-1`` for unlimited (``None``)."""
    return [_UNLIMITED if m is None else int(m) for m in maxshape]


def dataset_attributes(info: DatasetInfo, *, where: str = "?") -> dict[str, Any]:
    """The special attributes of ``info`` both flavours write beside the Zarr metadata:
    ``_ENUM_NAMES``/``_ENUM_VALUES``, ``_MAXSHAPE`` (when it differs from the shape),
    ``_EXTERNAL_ARRAY_LINK`` and ``_HDF5_LAYOUT``."""
    special: dict[str, Any] = {}
    if info.kind is DataKind.NUMERIC:
        enum = h5py.check_enum_dtype(info.dtype)
        if enum is not None:
            special[keys.ENUM_NAMES] = [str(k) for k in enum]
            special[keys.ENUM_VALUES] = [int(v) for v in enum.values()]
    if not info.is_scalar and info.maxshape is not None and tuple(info.maxshape) != info.shape:
        if len(info.maxshape) != len(info.shape):
            raise LindiFormatError(f"{where}: maxshape {info.maxshape} does not match the shape")
        special[keys.MAXSHAPE] = encode_maxshape(info.maxshape)
    if info.external_array_link is not None:
        link = info.external_array_link
        special[keys.EXTERNAL_ARRAY_LINK] = encode_external_array_link(link)
    if info.hdf5_layout is not None:
        special[keys.HDF5_LAYOUT] = encode_hdf5_layout(info.hdf5_layout)
    return special


def new_array_filters(info: DatasetInfo, *, where: str = "?") -> list[dict[str, Any]]:
    """The numcodecs configurations of a new array's filters, from ``info.shuffle``,
    ``info.fletcher32`` and ``info.compression`` (``"gzip"`` -> zlib, level 4 by default), in
    encoding order; empty when none is asked for (each flavour then has its default codec).

    The checksum comes before the compression: lindi 0.4.6 pads short (compressed) chunks with
    zeros, so it cannot be the last bytes of a compressed chunk.

    Raises
    ------
    LindiUnsupportedError
        For another compression than gzip.
    """
    filters: list[dict[str, Any]] = []
    if info.shuffle:
        filters.append({"id": "shuffle", "elementsize": max(1, info.dtype.itemsize)})
    if info.fletcher32:
        filters.append({"id": "fletcher32"})
    if info.compression is None:
        return filters
    if info.compression in _DEFLATE_IDS:
        level = 4 if info.compression_opts is None else int(info.compression_opts)
        return [*filters, {"id": "zlib", "level": level}]
    raise LindiUnsupportedError(
        f"{where}: compression {info.compression!r} is not supported for new arrays "
        "(give the codecs explicitly)"
    )
