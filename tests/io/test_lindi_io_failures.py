"""LindiIO keeps the old file when the ``with`` block fails, before or while writing."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pynwb import NWBFile, TimeSeries

from hdmf_lindi.io import LindiIO

NAMES = ["x.nwb.lindi.json", "x.nwb.lindi.tar", "x.nwb.lindi.d"]


class _Boom(Exception):
    pass


def _nwbfile(identifier: str) -> NWBFile:
    nwbfile = NWBFile(
        session_description="a test file",
        identifier=identifier,
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    nwbfile.add_acquisition(
        TimeSeries(name="ts", data=np.arange(50, dtype=np.int32), unit="m", rate=10.0)
    )
    return nwbfile


def _identifier(path: Path) -> str:
    with LindiIO(path, "r") as io:
        return str(io.read().identifier)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("when", ["before-write", "after-write"])
def test_exception_in_with_w_keeps_the_old_file(tmp_path: Path, name: str, when: str) -> None:
    path = tmp_path / name
    with LindiIO(path, "w") as io:
        io.write(_nwbfile("old"))
    with pytest.raises(_Boom), LindiIO(path, "w") as io:
        if when == "after-write":
            io.write(_nwbfile("new"))
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
        io.write(_nwbfile("old"))
    with pytest.raises(_Boom), LindiIO(path, "r+") as io:
        nwbfile = io.read()
        nwbfile.add_acquisition(
            TimeSeries(name="more", data=np.arange(5, dtype=np.int32), unit="m", rate=1.0)
        )
        io.write(nwbfile)
        raise _Boom
    with LindiIO(path, "r") as io:
        assert list(io.read().acquisition) == ["ts"]
