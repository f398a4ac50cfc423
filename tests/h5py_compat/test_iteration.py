"""Iterating a dataset of the h5py view reads each chunk once, and yields what h5py yields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import LindiH5pyFile
from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset


@pytest.mark.parametrize(
    ("data", "chunks"),
    [
        (np.arange(10_000, dtype="f8"), (100,)),
        (np.arange(3_000, dtype="i2").reshape(1_000, 3), (64, 3)),
        (np.array([b"a", b"bc", b"def"] * 50, dtype="S3"), (16,)),
    ],
)
def test_iteration_matches_h5py_in_few_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: np.ndarray, chunks: tuple[int, ...]
) -> None:
    source = tmp_path / "iter.h5"
    with h5py.File(source, "w") as f:
        f.create_dataset("x", data=data, chunks=chunks)
    with h5py.File(source, "r") as f:
        expected = list(f["x"])
    reads: list[Any] = []
    original = LindiH5pyDataset.__getitem__

    def counting(self: LindiH5pyDataset, args: Any, new_dtype: Any = None) -> Any:
        reads.append(args)
        return original(self, args, new_dtype)

    monkeypatch.setattr(LindiH5pyDataset, "__getitem__", counting)
    with LindiH5pyFile.from_hdf5_file(source) as f:
        rows = list(f["x"])
    assert len(reads) == 1  # a few thousand rows: one block of whole chunks
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert type(row) is type(want)
        np.testing.assert_array_equal(row, want)
        if isinstance(want, np.ndarray):
            assert row.dtype == want.dtype
