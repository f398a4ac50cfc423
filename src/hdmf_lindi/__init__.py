"""hdmf_lindi: HDF5 as Zarr as JSON for NWB.

The public surface is what this module exports; everything else is internal. Heavy parts
(pynwb, hdmf) are imported on first use, so ``import hdmf_lindi`` stays cheap.

Examples
--------
>>> import hdmf_lindi as lindi
>>> client = lindi.LindiH5pyFile.from_hdf5_file("file.nwb")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hdmf_lindi._version import __version__
from hdmf_lindi.conventions.zarr_dtypes import register_zarr_dtypes
from hdmf_lindi.errors import (
    LindiArgumentError,
    LindiConversionError,
    LindiCopyExistsError,
    LindiCopyNotFoundError,
    LindiDanglingLinkError,
    LindiDtypeError,
    LindiError,
    LindiExistsError,
    LindiExtentError,
    LindiFormatError,
    LindiIndexError,
    LindiLimitError,
    LindiLinkCycleError,
    LindiLinkError,
    LindiLinkExistsError,
    LindiLockedError,
    LindiMaxshapeError,
    LindiNotAGroupError,
    LindiNotFoundError,
    LindiOverflowError,
    LindiReadOnlyDeleteError,
    LindiReadOnlyError,
    LindiSecurityError,
    LindiShapeError,
    LindiSourceError,
    LindiTextEncodeError,
    LindiTooManyLinksError,
    LindiUnsupportedError,
)
from hdmf_lindi.storage.reference_map import ReferenceMap

register_zarr_dtypes()

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat import (
        LindiH5pyAttributes,
        LindiH5pyDataset,
        LindiH5pyExternalLink,
        LindiH5pyFile,
        LindiH5pyGroup,
        LindiH5pyHardLink,
        LindiH5pyReference,
        LindiH5pySoftLink,
    )
    from hdmf_lindi.hdf5 import LindiH5ZarrStore
    from hdmf_lindi.hdf5.convert import convert
    from hdmf_lindi.io import LindiDataIO, LindiIO, read_nwb
    from hdmf_lindi.storage.cache import LocalCache
    from hdmf_lindi.storage.staging import StagingArea
    from hdmf_lindi.storage.store import LindiStore
    from hdmf_lindi.transcode import transcode
    from hdmf_lindi.transfer.upload import upload

_LAZY: dict[str, str] = {
    "LindiH5pyAttributes": "hdmf_lindi.h5py_compat",
    "LindiH5pyDataset": "hdmf_lindi.h5py_compat",
    "LindiH5pyExternalLink": "hdmf_lindi.h5py_compat",
    "LindiH5pyFile": "hdmf_lindi.h5py_compat",
    "LindiH5pyGroup": "hdmf_lindi.h5py_compat",
    "LindiH5pyHardLink": "hdmf_lindi.h5py_compat",
    "LindiH5pyReference": "hdmf_lindi.h5py_compat",
    "LindiH5pySoftLink": "hdmf_lindi.h5py_compat",
    "LindiH5ZarrStore": "hdmf_lindi.hdf5",
    "convert": "hdmf_lindi.hdf5",
    "LindiDataIO": "hdmf_lindi.io",
    "LindiIO": "hdmf_lindi.io",
    "read_nwb": "hdmf_lindi.io",
    "LocalCache": "hdmf_lindi.storage.cache",
    "StagingArea": "hdmf_lindi.storage.staging",
    "LindiStore": "hdmf_lindi.storage.store",
    "transcode": "hdmf_lindi.transcode",
    "upload": "hdmf_lindi.transfer.upload",
}

__all__ = [
    "LindiArgumentError",
    "LindiConversionError",
    "LindiCopyExistsError",
    "LindiCopyNotFoundError",
    "LindiDanglingLinkError",
    "LindiDataIO",
    "LindiDtypeError",
    "LindiError",
    "LindiExistsError",
    "LindiExtentError",
    "LindiFormatError",
    "LindiH5ZarrStore",
    "LindiH5pyAttributes",
    "LindiH5pyDataset",
    "LindiH5pyExternalLink",
    "LindiH5pyFile",
    "LindiH5pyGroup",
    "LindiH5pyHardLink",
    "LindiH5pyReference",
    "LindiH5pySoftLink",
    "LindiIO",
    "LindiIndexError",
    "LindiLimitError",
    "LindiLinkCycleError",
    "LindiLinkError",
    "LindiLinkExistsError",
    "LindiLockedError",
    "LindiMaxshapeError",
    "LindiNotAGroupError",
    "LindiNotFoundError",
    "LindiOverflowError",
    "LindiReadOnlyDeleteError",
    "LindiReadOnlyError",
    "LindiSecurityError",
    "LindiShapeError",
    "LindiSourceError",
    "LindiStore",
    "LindiTextEncodeError",
    "LindiTooManyLinksError",
    "LindiUnsupportedError",
    "LocalCache",
    "ReferenceMap",
    "StagingArea",
    "__version__",
    "convert",
    "read_nwb",
    "transcode",
    "upload",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hdmf_lindi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
