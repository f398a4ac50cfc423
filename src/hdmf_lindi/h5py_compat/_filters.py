"""h5py's ``shuffle`` / ``compression`` / ``compression_opts`` / ``fletcher32`` dataset
options as numcodecs configurations (shared by ``create_dataset`` and LindiIO's ``H5DataIO``
support)."""

from __future__ import annotations

from typing import Any

from hdmf_lindi.errors import LindiArgumentError, LindiUnsupportedError
from hdmf_lindi.hdf5.filters import FilterSpec, pipeline_to_codecs

__all__ = ["h5py_filter_codecs", "hdf5_filters"]

_H5PY_COMPRESSION_FILTERS = {"gzip": 1, "lzf": 32000, "szip": 4}
_H5PY_DEFAULT_GZIP_LEVEL = 4
# HDF5's filter ids and the names it stores for them, as h5py's ``filter_ids``/``filter_names``
_HDF5_FILTER_NAMES = {"gzip": (1, "deflate"), "lzf": (32000, "lzf"), "szip": (4, "szip")}


def hdf5_filters(
    *, scaleoffset: int | None, shuffle: bool, compression: str | None, fletcher32: bool
) -> list[tuple[int, str]]:
    """``(id, name)`` of the HDF5 filters a dataset with these h5py properties has, in the
    order h5py sets them up (scale-offset, shuffle, the compression, Fletcher-32)."""
    filters: list[tuple[int, str]] = []
    if scaleoffset is not None:
        filters.append((6, "scaleoffset"))
    if shuffle:
        filters.append((2, "shuffle"))
    if compression is not None and compression in _HDF5_FILTER_NAMES:
        filters.append(_HDF5_FILTER_NAMES[compression])
    if fletcher32:
        filters.append((3, "fletcher32"))
    return filters


def h5py_filter_codecs(
    *,
    shuffle: bool,
    compression: Any,
    compression_opts: Any,
    itemsize: int,
    fletcher32: bool = False,
    where: str = "H5DataIO",
) -> list[dict[str, Any]]:
    """Numcodecs configs for h5py's ``shuffle``/``compression``/``compression_opts``/
    ``fletcher32``, in pipeline order, via the HDF5 filter mapping of
    :mod:`hdmf_lindi.hdf5.filters`: shuffle, fletcher32, then the compression.

    HDF5 puts the checksum after the compression; here it comes before, because lindi 0.4.6
    pads every numeric chunk shorter than its raw size with zeros (for HDF5's short last
    contiguous chunk) before decoding, so a checksum at the end of a compressed chunk would
    not be found. Compressed streams ignore the padding.

    As in h5py, ``compression`` is ``"gzip"``/``"lzf"``/``"szip"``, a gzip level 0-9, or the
    id of an HDF5 filter plugin (``compression_opts``: its settings).

    Raises
    ------
    LindiUnsupportedError
        A filter without a numcodecs equivalent (lzf, szip, unknown plugins).
    """
    pipeline: list[FilterSpec] = []
    if shuffle:
        pipeline.append((2, (), "shuffle"))
    if fletcher32:
        pipeline.append((3, (), "fletcher32"))
    if compression is not None and compression is not False:
        pipeline.append(_compression_filter(compression, compression_opts, where))
    return pipeline_to_codecs(pipeline, itemsize=itemsize, where=where)


def _compression_filter(compression: Any, compression_opts: Any, where: str) -> FilterSpec:
    if isinstance(compression, int) and not isinstance(compression, bool):
        if compression in range(10):
            return (1, (compression,), "deflate")
        opts = () if compression_opts is None else tuple(int(v) for v in compression_opts)
        return (compression, opts, f"plugin {compression}")
    filter_id = _H5PY_COMPRESSION_FILTERS.get(str(compression))
    if filter_id is None:
        raise LindiUnsupportedError(
            f"{where}: compression {compression!r} has no lossless numcodecs equivalent that "
            "LINDI can store; use 'gzip' or LindiDataIO(compressor=<numcodecs codec>)"
        )
    if filter_id != 1:
        return (filter_id, (), str(compression))
    level = _H5PY_DEFAULT_GZIP_LEVEL if compression_opts is None else int(compression_opts)
    if not 0 <= level <= 9:
        raise LindiArgumentError(f"{where}: GZIP setting must be an integer from 0-9, not {level}")
    return (1, (level,), "deflate")
