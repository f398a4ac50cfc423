"""The LINDI conventions: HDF5 features Zarr lacks, as special attributes and value encodings."""
