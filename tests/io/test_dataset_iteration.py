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


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.json"])
def test_row_by_row_reads_decode_each_chunk_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """hdmf's DataChunkIterator with its default buffer of one reads ``data[i:i+1]`` per row;
    as h5py's chunk cache does, a read-only dataset keeps the chunk-aligned block around such
    reads, so each chunk is fetched and decoded once, not once per row."""
    from hdmf_lindi.storage.store import LindiStore

    path = str(tmp_path / f"rows{suffix}")
    values = np.random.default_rng(1).normal(size=(6_000, 3))
    nwbfile = make_nwbfile()
    nwbfile.add_acquisition(
        TimeSeries(name="x", data=H5DataIO(values, chunks=(1_000, 3)), unit="u", rate=1.0)
    )
    with LindiIO(path, "w") as io:
        io.write(nwbfile)
    fetched: list[str] = []
    original = LindiStore.get

    async def counting(self: LindiStore, key: str, *args: Any, **kwargs: Any) -> Any:
        if "/x/data/" in f"/{key}":
            fetched.append(key)
        return await original(self, key, *args, **kwargs)

    monkeypatch.setattr(LindiStore, "get", counting)
    with LindiIO(path) as io:
        data = io.read().acquisition["x"].data
        rows = [chunk.data for chunk in DataChunkIterator(data=data)]
        np.testing.assert_array_equal(np.concatenate(rows), values)
        chunk_reads = [key for key in fetched if not key.endswith((".zarray", ".zattrs"))]
        # a .lindi.json keeps these chunks in the document: decoded from it, never fetched
        assert len(chunk_reads) == (6 if suffix == ".lindi.tar" else 0), chunk_reads
        # selections that cross chunk edges, integers, negative indices, columns
        for selection in [
            (slice(990, 1010),),
            (-1,),
            (5_999, 2),
            (slice(2_500, 2_501), slice(1, 3)),
            (slice(0, 6_000),),
            (slice(4_000, 4_000),),
            (7,),
        ]:
            np.testing.assert_array_equal(data[selection], values[selection])
        with pytest.raises(IndexError):
            data[6_000]
