"""The storage layer: reference maps, byte sources, the zarr store, containers, cache."""
