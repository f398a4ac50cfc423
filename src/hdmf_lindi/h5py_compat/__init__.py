"""An h5py-compatible view of LINDI files: ``LindiH5pyFile`` and the classes it returns.

``isinstance`` checks against ``h5py.File``/``Group``/``Dataset``/``Reference`` pass, so pynwb
and hdmf (``NWBHDF5IO(file=...)``) and plain h5py code work on LINDI data.
"""

from hdmf_lindi.h5py_compat.attributes import LindiH5pyAttributes
from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset
from hdmf_lindi.h5py_compat.file import LindiH5pyFile
from hdmf_lindi.h5py_compat.group import LindiH5pyGroup
from hdmf_lindi.h5py_compat.hdf5_copy import install as _install_hdf5_copy
from hdmf_lindi.h5py_compat.links import (
    LindiH5pyExternalLink,
    LindiH5pyHardLink,
    LindiH5pySoftLink,
)
from hdmf_lindi.h5py_compat.reference import LindiH5pyReference

_install_hdf5_copy()

__all__ = [
    "LindiH5pyAttributes",
    "LindiH5pyDataset",
    "LindiH5pyExternalLink",
    "LindiH5pyFile",
    "LindiH5pyGroup",
    "LindiH5pyHardLink",
    "LindiH5pyReference",
    "LindiH5pySoftLink",
]
