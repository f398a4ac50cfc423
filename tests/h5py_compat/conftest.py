"""Fixtures: the same content as an HDF5 file and as LINDI files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import h5py
import pytest

from hdmf_lindi.h5py_compat import LindiH5pyFile
from tests.h5py_compat.content import write_content


@pytest.fixture
def h5_path(tmp_path: Path) -> Path:
    path = tmp_path / "content.h5"
    with h5py.File(path, "w") as f:
        write_content(f)
    return path


@pytest.fixture
def h5_file(h5_path: Path) -> Iterator[h5py.File]:
    with h5py.File(h5_path, "r") as f:
        yield f


@pytest.fixture
def written_lindi_path(tmp_path: Path) -> Path:
    """The content written through LindiH5pyFile's h5py API to a .lindi.json."""
    path = tmp_path / "written.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        write_content(f)
    return path


@pytest.fixture(params=["translated", "written", "rfs_dict"])
def lindi_file(request: pytest.FixtureRequest) -> Iterator[LindiH5pyFile]:
    """The content as LINDI: translated from the HDF5 file, written through our API, or
    the translated file's reference file system dict opened again."""
    if request.param == "translated":
        f = LindiH5pyFile.from_hdf5_file(request.getfixturevalue("h5_path"))
    elif request.param == "written":
        f = LindiH5pyFile.from_lindi_file(request.getfixturevalue("written_lindi_path"))
    else:
        with LindiH5pyFile.from_hdf5_file(request.getfixturevalue("h5_path")) as translated:
            rfs = translated.to_reference_file_system()
        f = LindiH5pyFile.from_reference_file_system(rfs)
    with f:
        yield f
