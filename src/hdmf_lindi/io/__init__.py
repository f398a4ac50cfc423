"""hdmf_lindi.io: LindiIO, an hdmf backend reading and writing NWB files as LINDI."""

from hdmf_lindi.conventions.zarr_dtypes import register_zarr_dtypes
from hdmf_lindi.h5py_compat.hdf5_copy import install as _install_hdf5_copy
from hdmf_lindi.io.data_io import LindiDataIO
from hdmf_lindi.io.lindi_io import LindiIO, read_nwb

register_zarr_dtypes()
_install_hdf5_copy()  # NWBHDF5IO copies LindiIO's datasets (h5py.Dataset) with Group.copy

__all__ = ["LindiDataIO", "LindiIO", "read_nwb"]
