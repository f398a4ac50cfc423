"""HDF5 filter pipelines as numcodecs codec configurations (Zarr v2 ``filters``).

HDF5 applies its filters in pipeline order when writing a chunk and in reverse order when
reading it; Zarr v2 does the same with ``filters`` followed by ``compressor``. A pipeline is
therefore written as the Zarr ``filters`` list in the same order, with ``compressor: null``
(as lindi 0.4.6 does).

Mapped filters (each checked by decoding real chunks, see ``tests/hdf5/test_filters.py``):

========================  =============================================================
HDF5 filter               numcodecs codec
========================  =============================================================
1 deflate (gzip)          ``zlib`` (same zlib stream)
2 shuffle                 ``shuffle`` with the element size from the filter's settings
3 fletcher32              ``fletcher32`` (numcodecs appends/strips the same 4-byte sum)
32001 blosc               ``blosc`` (the plugin stores plain blosc frames)
32015 zstd                ``zstd`` (the plugin stores plain zstd frames)
========================  =============================================================

Refused (no numcodecs codec reads the same bytes): szip (4), nbit (5), scale-offset (6),
lzf (32000), the HDF5 lz4 plugin (32004, its own block framing), bitshuffle (32008) and every
other plugin. These raise :class:`~hdmf_lindi.errors.LindiUnsupportedError` naming the file,
dataset and filter; the translator can instead keep such datasets readable through an
``_EXTERNAL_ARRAY_LINK`` (``TranslateOptions.unsupported="external_link"``).
"""

from __future__ import annotations

from typing import Any

import h5py

from hdmf_lindi.errors import LindiUnsupportedError

__all__ = ["FilterSpec", "filter_pipeline", "pipeline_to_codecs"]

type FilterSpec = tuple[int, tuple[int, ...], str]
"""One HDF5 filter: ``(filter id, client data values, name)``."""

_BLOSC_COMPRESSORS = {0: "blosclz", 1: "lz4", 2: "lz4hc", 3: "snappy", 4: "zlib", 5: "zstd"}
_KNOWN_NAMES = {
    4: "szip",
    5: "nbit",
    6: "scaleoffset",
    32000: "lzf",
    32004: "lz4 (HDF5 plugin framing)",
    32008: "bitshuffle",
}


def filter_pipeline(dataset: h5py.Dataset) -> list[FilterSpec]:
    """The filters of ``dataset``'s creation property list, in pipeline order."""
    plist = dataset.id.get_create_plist()
    specs: list[FilterSpec] = []
    for index in range(plist.get_nfilters()):
        filter_id, _flags, values, name = plist.get_filter(index)
        label = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        specs.append((int(filter_id), tuple(int(v) for v in values), label))
    return specs


def pipeline_to_codecs(
    pipeline: list[FilterSpec], *, itemsize: int, where: str
) -> list[dict[str, Any]]:
    """Numcodecs configurations for an HDF5 filter pipeline, in the same order.

    Parameters
    ----------
    pipeline
        As returned by :func:`filter_pipeline`.
    itemsize
        The dataset's element size in bytes (the shuffle default).
    where
        ``"<file>:<dataset path>"`` for error messages.

    Raises
    ------
    LindiUnsupportedError
        A filter has no numcodecs equivalent with the same byte format.
    """
    codecs: list[dict[str, Any]] = []
    for filter_id, values, name in pipeline:
        codecs.append(_codec_for(filter_id, values, name, itemsize=itemsize, where=where))
    return codecs


def _codec_for(
    filter_id: int, values: tuple[int, ...], name: str, *, itemsize: int, where: str
) -> dict[str, Any]:
    if filter_id == 1:
        level = values[0] if values else 6
        return {"id": "zlib", "level": level}
    if filter_id == 2:
        elementsize = values[0] if values and values[0] > 0 else itemsize
        return {"id": "shuffle", "elementsize": elementsize}
    if filter_id == 3:
        return {"id": "fletcher32"}
    if filter_id == 32001:
        # cd_values: [filter rev, blosc version, typesize, chunk bytes, clevel, shuffle, compcode]
        clevel = values[4] if len(values) > 4 else 5
        shuffle = values[5] if len(values) > 5 else 1
        cname = _BLOSC_COMPRESSORS.get(values[6] if len(values) > 6 else 0, "blosclz")
        return {"id": "blosc", "cname": cname, "clevel": clevel, "shuffle": shuffle, "blocksize": 0}
    if filter_id == 32015:
        level = values[0] if values else 3
        return {"id": "zstd", "level": level}
    label = _KNOWN_NAMES.get(filter_id, name or "unnamed")
    raise LindiUnsupportedError(
        f"{where}: HDF5 filter {filter_id} ({label}) has no numcodecs codec with the same byte "
        "format; it cannot be referenced from LINDI"
    )
