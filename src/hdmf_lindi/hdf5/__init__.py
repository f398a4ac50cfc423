"""hdmf_lindi.hdf5."""
