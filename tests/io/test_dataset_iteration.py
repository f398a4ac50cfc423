"""Iterating a LindiIO dataset reads it in blocks of whole chunks, not a chunk decode per row;
hdmf's ``DataChunkIterator`` over one reads it a buffer at a time, as it reads an h5py
dataset (LindiIO's datasets are ``h5py.Dataset`` instances)."""

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
    # hdmf slices an h5py.Dataset one buffer at a time (whole chunks here), never by row
    assert reads == [
        (slice(start, start + 5_000), slice(None)) for start in range(0, 20_000, 5_000)
    ]


def test_iterating_a_dataset_reads_blocks_of_whole_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "iter.lindi.json")
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
        rows = list(data)
    np.testing.assert_array_equal(np.asarray(rows), values)
    assert len(reads) == 1  # 320 KB: one block of whole chunks
