"""LindiH5pyFile: an exception in the ``with`` block keeps the old file, and a failed
``create_dataset`` leaves no trace."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hdmf_lindi.errors import LindiShapeError, LindiUnsupportedError
from hdmf_lindi.h5py_compat import LindiH5pyFile

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


def test_failed_create_dataset_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, "w") as f:
        f.create_dataset("kept", data=[1, 2])
        with pytest.raises(LindiUnsupportedError, match="inline_threshold"):
            f.create_dataset("new/parents/too_big", data=np.random.default_rng(0).random(5000))
        with pytest.raises(LindiShapeError):
            f.create_dataset("new/bad_shape", shape=(3,), data=[1, 2])
        assert sorted(f) == ["kept"]
        f.create_dataset("new/parents/too_big", data=np.arange(3))  # the name is free again
    with LindiH5pyFile.from_lindi_file(path) as f:
        keys = sorted(f.store.reference_map)
        assert [k for k in keys if k.startswith("new/")] == [
            "new/.zgroup",
            "new/parents/.zgroup",
            "new/parents/too_big/.zarray",
            "new/parents/too_big/.zattrs",  # _HDF5_LAYOUT: contiguous, as h5py would store it
            "new/parents/too_big/0",
        ]
        np.testing.assert_array_equal(f["new/parents/too_big"][:], np.arange(3))


def test_failed_create_dataset_in_an_existing_group_keeps_the_group(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, "w") as f:
        f.create_group("g").attrs["a"] = 1
        with pytest.raises(LindiUnsupportedError):
            f.create_dataset("g/too_big", data=np.random.default_rng(0).random(5000))
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert list(f["g"]) == []
        assert f["g"].attrs["a"] == 1
