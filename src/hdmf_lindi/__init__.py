"""hdmf_lindi: HDF5 as Zarr as JSON for NWB.

The public surface is what this module exports; everything else is internal.
"""

from hdmf_lindi._version import __version__
from hdmf_lindi.errors import (
    LindiError,
    LindiFormatError,
    LindiReadOnlyError,
    LindiSecurityError,
    LindiSourceError,
    LindiUnsupportedError,
)
from hdmf_lindi.storage.reference_map import ReferenceMap

__all__ = [
    "LindiError",
    "LindiFormatError",
    "LindiReadOnlyError",
    "LindiSecurityError",
    "LindiSourceError",
    "LindiUnsupportedError",
    "ReferenceMap",
    "__version__",
]
