"""LindiIO keeps the old file when the ``with`` block fails, before or while writing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from pynwb import TimeSeries

from hdmf_lindi.errors import LindiLockedError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiIO
from hdmf_lindi.storage.writer_lock import WriterLock
from tests.io.test_lindi_io import make_nwbfile

NAMES = ["x.nwb.lindi.json", "x.nwb.lindi.tar", "x.nwb.lindi.d"]


class _Boom(Exception):
    pass


def _identifier(path: Path) -> str:
    with LindiIO(path, "r") as io:
        return str(io.read().identifier)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("when", ["before-write", "after-write"])
def test_exception_in_with_w_keeps_the_old_file(tmp_path: Path, name: str, when: str) -> None:
    path = tmp_path / name
    with LindiIO(path, "w") as io:
        io.write(make_nwbfile("old"))
    with pytest.raises(_Boom), LindiIO(path, "w") as io:
        if when == "after-write":
            io.write(make_nwbfile("new"))
        raise _Boom
    assert _identifier(path) == "old"
    assert sorted(os.listdir(tmp_path)) == [name]


@pytest.mark.parametrize("name", NAMES)
def test_exception_in_with_w_creates_nothing(tmp_path: Path, name: str) -> None:
    with pytest.raises(_Boom), LindiIO(tmp_path / name, "w"):
        raise _Boom
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", NAMES)
def test_exception_in_with_r_plus_keeps_the_last_saved_state(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with LindiIO(path, "w") as io:
        io.write(make_nwbfile("old"))
    with pytest.raises(_Boom), LindiIO(path, "r+") as io:
        nwbfile = io.read()
        nwbfile.add_acquisition(
            TimeSeries(name="more", data=np.arange(5, dtype=np.int32), unit="m", rate=1.0)
        )
        io.write(nwbfile)
        raise _Boom
    with LindiIO(path, "r") as io:
        assert list(io.read().acquisition) == ["ts"]


@pytest.mark.parametrize("name", NAMES)
def test_failed_constructor_releases_the_writer_lock(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with LindiIO(path, "w") as io:
        io.write(make_nwbfile("old"))
    with pytest.raises(TypeError):
        LindiIO(path, "r+", herd_path=123)  # type: ignore[arg-type]  # hdmf refuses it
    lock = WriterLock(str(path)).acquire()  # no LindiLockedError: the lock was released
    lock.release()
    with LindiIO(path, "r+") as io:
        assert io.read().identifier == "old"
    with pytest.raises(LindiLockedError), LindiIO(path, "r+"), LindiIO(path, "r+"):
        pass


@pytest.mark.parametrize("name", NAMES)
def test_exception_in_with_a_given_file_saves_nothing(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with (
        pytest.raises(_Boom),
        LindiIO(file=LindiH5pyFile.from_lindi_file(path, "w"), mode="w") as io,
    ):
        io.write(make_nwbfile("new"))
        raise _Boom
    assert os.listdir(tmp_path) == []
    with LindiIO(path, "w") as io:
        io.write(make_nwbfile("old"))
    with (
        pytest.raises(_Boom),
        LindiIO(file=LindiH5pyFile.from_lindi_file(path, "w"), mode="w") as io,
    ):
        io.write(make_nwbfile("new"))
        raise _Boom
    assert _identifier(path) == "old"
    assert sorted(os.listdir(tmp_path)) == [name]
    with LindiIO(file=LindiH5pyFile.from_lindi_file(path, "w"), mode="w") as io:
        io.write(make_nwbfile("new"))
    assert _identifier(path) == "new"
