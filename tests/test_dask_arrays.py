"""``as_dask_array`` without a cluster: datasets linked to an HDF5 dataset elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from hdmf_lindi import LindiH5pyFile
from hdmf_lindi.dask_arrays import as_dask_array
from hdmf_lindi.hdf5 import convert


def test_external_array_link_is_read_not_filled(tmp_path: Path) -> None:
    """zarr sees no chunk refs in an _EXTERNAL_ARRAY_LINK dataset: the dask array must read
    the linked HDF5 dataset, not the fill value."""
    source = tmp_path / "x.h5"
    values = np.arange(1, 4001, dtype="<f8").reshape(400, 10)
    with h5py.File(source, "w") as f:
        f.create_dataset("many", data=values, chunks=(20, 10), compression="gzip")
        f.create_dataset("few", data=values[:40], chunks=(20, 10))
    dest = tmp_path / "x.lindi.json"
    convert(source, dest, num_chunks_threshold=5, inline_threshold=0)
    refs = json.loads(dest.read_text())["refs"]
    assert "_EXTERNAL_ARRAY_LINK" in refs["many/.zattrs"]
    assert "_EXTERNAL_ARRAY_LINK" not in refs.get("few/.zattrs", {})
    with LindiH5pyFile.from_lindi_file(str(dest)) as f:
        many = as_dask_array(f["many"])
        assert many.chunks[0][0] == 20
        np.testing.assert_array_equal(many.compute(), values)
        np.testing.assert_array_equal(many[390:, 3].compute(), values[390:, 3])
        np.testing.assert_array_equal(as_dask_array(f["few"]).compute(), values[:40])
