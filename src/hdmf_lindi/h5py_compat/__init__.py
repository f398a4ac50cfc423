"""hdmf_lindi.h5py_compat."""
