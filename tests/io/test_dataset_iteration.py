"""Iterating a LindiIO dataset (what hdmf's ``DataChunkIterator`` does with a written dataset)
reads it in blocks of whole chunks, not a chunk decode per row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hdmf.backends.hdf5 import H5DataIO
from hdmf.data_utils import DataChunkIterator
from pynwb import TimeSeries

from hdmf_lindi.io import LindiIO
from hdmf_lindi.io.datasets import LindiDataset
from tests.io.test_lindi_io import make_nwbfile


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.d"])
def test_data_chunk_iterator_over_a_written_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    path = str(tmp_path / f"iter{suffix}")
    values = np.random.default_rng(0).normal(size=(20_000, 2))
    nwbfile = make_nwbfile()
    nwbfile.add_acquisition(
        TimeSeries(name="x", data=H5DataIO(values, chunks=(1_000, 2)), unit="u", rate=1.0)
    )
    with LindiIO(path, "w") as io:
        io.write(nwbfile)
    reads: list[Any] = []
    original = LindiDataset.__getitem__

    def counting(self: LindiDataset, selection: Any) -> Any:
        reads.append(selection)
        return original(self, selection)

    monkeypatch.setattr(LindiDataset, "__getitem__", counting)
    with LindiIO(path) as io:
        data = io.read().acquisition["x"].data
        reads.clear()
        blocks = [chunk.data for chunk in DataChunkIterator(data=data, buffer_size=5_000)]
    np.testing.assert_array_equal(np.concatenate(blocks), values)
    assert len(reads) == 1  # 320 KB: one block of whole chunks
