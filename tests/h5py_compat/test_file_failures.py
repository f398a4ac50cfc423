"""LindiH5pyFile: an exception in the ``with`` block keeps the old file, and a failed
``create_dataset`` leaves no trace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hdmf_lindi.errors import LindiShapeError, LindiSourceError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.storage.store import LindiStore

NAMES = ["x.lindi.json", "x.lindi.tar", "x.lindi.d"]


class _Boom(Exception):
    pass


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("mode", ["w", "r+", "a"])
def test_exception_in_with_keeps_the_old_file(tmp_path: Path, name: str, mode: str) -> None:
    path = tmp_path / name
    with LindiH5pyFile.from_lindi_file(path, "w") as f:
        f.attrs["v"] = "old"
    with pytest.raises(_Boom), LindiH5pyFile.from_lindi_file(path, mode) as f:  # type: ignore[arg-type]
        f.attrs["v"] = "new"
        f.create_dataset("d", data=np.arange(3))
        raise _Boom
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert f.attrs["v"] == "old"
        assert "d" not in f
    assert sorted(os.listdir(tmp_path)) == [name]


def test_exception_in_with_w_of_a_new_file_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(_Boom), LindiH5pyFile.from_lindi_file(tmp_path / "n.lindi.tar", "w"):
        raise _Boom
    assert os.listdir(tmp_path) == []


@pytest.fixture
def failing_chunk_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing a chunk of a dataset named ``too_big`` fails (a full disk, a lost connection)
    after its metadata was written."""
    original = LindiStore.set_many_sync

    def set_many_sync(self: LindiStore, items: Any, *args: Any, **kwargs: Any) -> Any:
        items = list(items)
        if any("too_big/" in item[0] and "/." not in item[0] for item in items):
            raise LindiSourceError("disk full")
        return original(self, items, *args, **kwargs)

    monkeypatch.setattr(LindiStore, "set_many_sync", set_many_sync)


def test_failed_create_dataset_leaves_no_trace(tmp_path: Path, failing_chunk_writes: None) -> None:
    path = tmp_path / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, "w") as f:
        f.create_dataset("kept", data=[1, 2])
        with pytest.raises(LindiSourceError, match="disk full"):
            f.create_dataset("new/parents/too_big", data=np.random.default_rng(0).random(5000))
        with pytest.raises(LindiShapeError):
            f.create_dataset("new/bad_shape", shape=(3,), data=[1, 2])
        # the datasets leave nothing; their parent groups stay, as h5py makes them first
        assert sorted(f) == ["kept", "new"]
        assert list(f["new"]) == ["parents"] and list(f["new/parents"]) == []
        f.create_dataset("new/parents/big", data=np.arange(3))  # the names are free again
    with LindiH5pyFile.from_lindi_file(path) as f:
        keys = sorted(f.store.reference_map)
        assert [k for k in keys if k.startswith("new/")] == [
            "new/.zgroup",
            "new/parents/.zgroup",
            "new/parents/big/.zarray",
            "new/parents/big/.zattrs",  # _HDF5_LAYOUT: contiguous, as h5py would store it
            "new/parents/big/0",
        ]
        np.testing.assert_array_equal(f["new/parents/big"][:], np.arange(3))


def test_failed_create_dataset_in_an_existing_group_keeps_the_group(
    tmp_path: Path, failing_chunk_writes: None
) -> None:
    path = tmp_path / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, "w") as f:
        f.create_group("g").attrs["a"] = 1
        with pytest.raises(LindiSourceError, match="disk full"):
            f.create_dataset("g/too_big", data=np.random.default_rng(0).random(5000))
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert list(f["g"]) == []
        assert f["g"].attrs["a"] == 1
