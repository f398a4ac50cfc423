"""HDF5 -> LINDI: translate any local or remote HDF5/NWB file to a LINDI reference map."""

from hdmf_lindi.hdf5.convert import (
    ConversionResult,
    convert,
    translate_source,
    write_reference_map,
)
from hdmf_lindi.hdf5.h5_zarr_store import LindiH5ZarrStore
from hdmf_lindi.hdf5.options import TranslateOptions
from hdmf_lindi.hdf5.translate import translate_hdf5

__all__ = [
    "ConversionResult",
    "LindiH5ZarrStore",
    "TranslateOptions",
    "convert",
    "translate_hdf5",
    "translate_source",
    "write_reference_map",
]
