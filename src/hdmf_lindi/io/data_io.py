"""Dataset storage settings: :class:`LindiDataIO`, and the translation of every backend's
``DataIO`` (hdmf's ``H5DataIO``, hdmf-zarr's ``ZarrDataIO``, ours) into one
:class:`StorageSettings`, so that pipelines configured for either backend can write to LINDI.

Compression is expressed as numcodecs codec configurations (what a Zarr v2 ``.zarray`` holds):
``compressor`` is one config dict (or ``None``), ``filters`` a tuple of config dicts applied
before it. HDF5's gzip becomes ``zlib`` (the same bytes HDF5 would write), shuffle the numcodecs
``shuffle`` filter. Settings with no lossless equivalent (HDF5 ``lzf``/``szip``, unknown plugin
filter ids) raise :class:`~hdmf_lindi.errors.LindiUnsupportedError`; ``fletcher32`` becomes the
numcodecs ``fletcher32`` filter applied *before* the compression (HDF5 checksums the compressed
chunk, but lindi 0.4.6 pads short compressed chunks with zeros).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numcodecs
import numpy as np
from hdmf.data_utils import DataIO
from hdmf.utils import docval, popargs
from numcodecs.abc import Codec

from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.h5py_compat._filters import h5py_filter_codecs

__all__ = ["LindiDataIO", "StorageSettings", "default_chunks", "storage_settings"]

type CodecConfig = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """How one dataset is to be stored, whichever ``DataIO`` described it.

    ``chunks`` is ``True`` when the caller asked for chunking without a shape; ``shape`` and
    ``dtype`` are set only for datasets created empty (``DataIO(shape=..., dtype=...)``).
    """

    chunks: tuple[int, ...] | bool | None = None
    maxshape: tuple[int | None, ...] | None = None
    fillvalue: Any = None
    compressor: CodecConfig | None = None
    filters: tuple[CodecConfig, ...] = ()
    shape: tuple[int, ...] | None = None
    dtype: Any = None
    link_data: bool = True
    codecs_given: bool = False
    """Whether the caller chose the codecs (possibly none at all); else LINDI's default."""

    @property
    def codecs(self) -> dict[str, Any] | None:
        """``{"filters": [...], "compressor": {...}}`` for the ``.zarray``, or ``None`` for the
        default codecs."""
        if not self.codecs_given:
            return None
        return {"filters": [dict(f) for f in self.filters] or None, "compressor": self.compressor}

    @property
    def compression(self) -> str | None:
        """h5py-style compression name (``"gzip"`` for zlib/gzip, else the codec id)."""
        if self.compressor is None:
            return None
        codec_id = str(self.compressor["id"])
        return "gzip" if codec_id in ("zlib", "gzip") else codec_id

    @property
    def compression_opts(self) -> Any:
        """h5py-style compression options (the gzip level, else the codec configuration)."""
        if self.compressor is None:
            return None
        if self.compression == "gzip":
            return self.compressor.get("level", 4)
        return dict(self.compressor)


class LindiDataIO(DataIO):
    """Wrap data to choose how LindiIO stores it: chunks, numcodecs compression, fill value,
    maximum shape.

    Examples
    --------
    >>> import numcodecs, numpy as np
    >>> data = LindiDataIO(np.arange(10), chunks=(5,), compressor=numcodecs.Zstd(level=3))
    """

    @docval(
        {
            "name": "data",
            "type": None,
            "doc": "the data to be written (array, list, DataChunkIterator, dataset)",
            "default": None,
        },
        {"name": "chunks", "type": (tuple, list, bool), "doc": "chunk shape", "default": None},
        {
            "name": "maxshape",
            "type": (tuple, list),
            "doc": "maximum shape (None for unlimited axes)",
            "default": None,
        },
        {"name": "fillvalue", "type": None, "doc": "value of unwritten elements", "default": None},
        {
            "name": "compressor",
            "type": (Codec, dict, bool),
            "doc": "a numcodecs codec (or its config dict); False for none",
            "default": None,
        },
        {
            "name": "filters",
            "type": (list, tuple),
            "doc": "numcodecs codecs (or config dicts) applied before the compressor",
            "default": None,
        },
        {
            "name": "link_data",
            "type": bool,
            "doc": "link (True) or copy (False) when data is a dataset of another file",
            "default": True,
        },
        {"name": "shape", "type": tuple, "doc": "shape of an empty dataset", "default": None},
        {"name": "dtype", "type": None, "doc": "dtype of an empty dataset", "default": None},
    )
    def __init__(self, **kwargs: Any) -> None:
        chunks, maxshape, fillvalue, compressor, filters, link_data = popargs(
            "chunks", "maxshape", "fillvalue", "compressor", "filters", "link_data", kwargs
        )
        super().__init__(**kwargs)
        self.__settings: dict[str, Any] = {}
        if chunks is not None:
            self.__settings["chunks"] = chunks if isinstance(chunks, bool) else tuple(chunks)
        if maxshape is not None:
            self.__settings["maxshape"] = tuple(maxshape)
        if fillvalue is not None:
            self.__settings["fillvalue"] = fillvalue
        if compressor is not None:
            self.__settings["compressor"] = compressor
        if filters is not None:
            self.__settings["filters"] = list(filters)
        self.__link_data = bool(link_data)

    @property
    def io_settings(self) -> dict[str, Any]:
        """The settings given (only those that were set)."""
        return self.__settings

    @property
    def link_data(self) -> bool:
        """Whether a dataset of another file is linked rather than copied."""
        return self.__link_data

    def get_io_params(self) -> dict[str, Any]:
        """The settings as a dict, like ``H5DataIO.get_io_params``."""
        params = dict(self.__settings)
        params["link_data"] = self.__link_data
        return params


# ---------------------------------------------------------------------------------- settings
def storage_settings(data: Any) -> tuple[Any, StorageSettings]:
    """Unwrap ``data`` and describe how it is to be stored.

    Returns the payload (``DataIO.data``, possibly ``None`` for an empty dataset) and its
    :class:`StorageSettings`. Anything that is not a ``DataIO`` comes back unchanged with
    default settings.
    """
    if not isinstance(data, DataIO):
        return data, StorageSettings()
    payload = data.data
    empty_shape: tuple[int, ...] | None = None
    empty_dtype: Any = None
    if payload is None:
        empty_shape = tuple(data.shape) if data.shape is not None else None
        empty_dtype = data.dtype
    settings = _settings_of(data)
    link_data = bool(getattr(data, "link_data", True))
    maxshape = settings.get("maxshape")
    return payload, StorageSettings(
        chunks=settings.get("chunks"),
        maxshape=tuple(maxshape) if maxshape is not None else None,
        fillvalue=settings.get("fillvalue"),
        compressor=settings.get("compressor"),
        filters=tuple(settings.get("filters", ())),
        shape=empty_shape,
        dtype=empty_dtype,
        link_data=link_data,
        codecs_given="compressor" in settings or "filters" in settings,
    )


def _settings_of(dataio: DataIO) -> dict[str, Any]:
    """Normalise the io settings of any known ``DataIO`` into our keys."""
    kind = type(dataio).__name__
    if isinstance(dataio, LindiDataIO):
        return _from_lindi(dataio.io_settings)
    itemsize = _itemsize_of(dataio.data, getattr(dataio, "dtype", None))
    if kind == "H5DataIO" or "compression" in getattr(dataio, "io_settings", {}):
        return _from_h5(dict(dataio.io_settings), itemsize)
    if kind == "ZarrDataIO":
        return _from_zarr(dict(dataio.io_settings))
    settings = getattr(dataio, "io_settings", None)
    return _from_h5(dict(settings), itemsize) if isinstance(settings, Mapping) else {}


def _from_lindi(io_settings: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: io_settings[k] for k in ("chunks", "maxshape", "fillvalue") if k in io_settings
    }
    compressor = io_settings.get("compressor")
    if compressor is False:
        out["compressor"] = None
    elif compressor is not None and compressor is not True:
        out["compressor"] = _numcodecs_config(compressor)
    filters = io_settings.get("filters")
    if filters:
        out["filters"] = [_numcodecs_config(f) for f in filters]
    return out


def _from_h5(io_settings: Mapping[str, Any], itemsize: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: io_settings[k] for k in ("chunks", "maxshape", "fillvalue") if k in io_settings
    }
    codecs = h5py_filter_codecs(
        shuffle=bool(io_settings.get("shuffle")),
        compression=io_settings.get("compression"),
        compression_opts=io_settings.get("compression_opts"),
        itemsize=itemsize,
        fletcher32=bool(io_settings.get("fletcher32")),
    )
    if codecs and codecs[-1]["id"] == "zlib":
        out["compressor"] = codecs.pop()
    if codecs:
        out["filters"] = codecs
    return out


def _itemsize_of(payload: Any, dtype: Any) -> int:
    found = dtype if dtype is not None else getattr(payload, "dtype", None)
    if found is None and payload is not None:
        try:
            found = np.asarray(payload).dtype
        except (TypeError, ValueError):
            found = None
    try:
        return max(1, np.dtype(found).itemsize) if found is not None else 1
    except TypeError:
        return 1


def _from_zarr(io_settings: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "chunks" in io_settings:
        out["chunks"] = tuple(io_settings["chunks"])
    if "fill_value" in io_settings:
        out["fillvalue"] = io_settings["fill_value"]
    if "compressors" in io_settings and io_settings["compressors"] is None:
        out["compressor"] = None
    compressors = io_settings.get("compressors")
    if compressors is not None:
        codecs = list(compressors) if isinstance(compressors, Iterable) else [compressors]
        configs = [_numcodecs_config(c) for c in codecs]
        if configs:
            out["compressor"] = configs[-1]
            if len(configs) > 1:
                out.setdefault("filters", []).extend(configs[:-1])
    for codec in io_settings.get("filters") or ():
        out.setdefault("filters", []).append(_numcodecs_config(codec))
    return out


_BLOSC_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


def _numcodecs_config(codec: Any) -> CodecConfig:
    """The numcodecs (Zarr v2) configuration of a numcodecs codec, a config dict, or a zarr 3
    codec (``zarr.codecs.BloscCodec``, ``GzipCodec``, ``ZstdCodec``, ``zarr.codecs.numcodecs``)."""
    if isinstance(codec, Codec):
        return dict(codec.get_config())
    if isinstance(codec, Mapping) and "id" in codec:
        config = dict(codec)
        numcodecs.get_codec(dict(config))  # raises on an unknown id / bad settings
        return config
    to_dict = getattr(codec, "to_dict", None)
    if callable(to_dict):
        described = to_dict()
        name = str(described.get("name", ""))
        configuration = dict(described.get("configuration") or {})
        if name.startswith("numcodecs."):
            config = {"id": name.removeprefix("numcodecs."), **configuration}
        elif name == "gzip":
            config = {"id": "gzip", "level": configuration.get("level", 5)}
        elif name == "zstd":
            config = {"id": "zstd", "level": configuration.get("level", 0)}
            if configuration.get("checksum"):
                config["checksum"] = True
        elif name == "blosc":
            shuffle = configuration.get("shuffle", "shuffle")
            config = {
                "id": "blosc",
                "cname": configuration.get("cname", "lz4"),
                "clevel": configuration.get("clevel", 5),
                "shuffle": _BLOSC_SHUFFLE.get(shuffle, shuffle),
                "blocksize": configuration.get("blocksize", 0),
            }
        else:
            raise LindiUnsupportedError(
                f"codec {name!r} has no Zarr v2 (numcodecs) equivalent that LINDI can store"
            )
        numcodecs.get_codec(dict(config))
        return config
    raise LindiUnsupportedError(f"not a codec: {codec!r}")


def default_chunks(
    shape: tuple[int, ...], dtype: Any, target_bytes: int = 4 * 2**20
) -> tuple[int, ...]:
    """A chunk shape of about ``target_bytes`` (whole trailing axes, first axis cut), as
    HDF5IO picks for cloud access; never a zero-length chunk."""
    if not shape:
        return ()
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = np.dtype(object)
    # object elements (strings, references) are stored as JSON: guess a size per element
    itemsize = 64 if resolved.kind == "O" else max(1, resolved.itemsize)
    row = [max(1, s) for s in shape[1:]]
    row_bytes = int(np.prod(row, dtype=np.int64)) * itemsize if row else itemsize
    if row_bytes > target_bytes:
        chunks = [1, *row]
        while int(np.prod(chunks, dtype=np.int64)) * itemsize > target_bytes:
            axis = 1 + int(np.argmax(chunks[1:]))
            if chunks[axis] <= 1:
                break
            chunks[axis] = max(1, chunks[axis] // 2)
        return tuple(chunks)
    first = max(1, min(target_bytes // row_bytes, max(1, shape[0])))
    return (int(first), *row)
