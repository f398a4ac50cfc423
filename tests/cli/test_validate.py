"""``hdmf-lindi validate`` says what ``pynwb validate`` says about the HDF5 original, with the same
exit code, for LINDI files of every container kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.testing.mock.file import mock_NWBFile

from hdmf_lindi.hdf5 import convert

SUFFIXES = [".lindi.json", ".lindi.tar", ".lindi.d"]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def _nwb(path: Path, *, broken: bool) -> Path:
    nwbfile = mock_NWBFile()
    nwbfile.add_acquisition(TimeSeries(name="ts", data=np.arange(10.0), unit="m", rate=1.0))
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    if broken:
        with h5py.File(path, "r+") as f:
            del f["acquisition/ts/data"].attrs["unit"]  # required by the schema
    return path


def _said(result: subprocess.CompletedProcess[str], path: Path) -> tuple[int, str, str]:
    return (
        result.returncode,
        result.stdout.replace(str(path), "FILE"),
        result.stderr.replace(str(path), "FILE"),
    )


@pytest.mark.parametrize("broken", [False, True], ids=["valid", "invalid"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_same_report_as_pynwb_validate(tmp_path: Path, suffix: str, broken: bool) -> None:
    source = _nwb(tmp_path / "file.nwb", broken=broken)
    lindi_path = tmp_path / f"file.nwb{suffix}"
    convert(source, lindi_path)
    expected = _run(sys.executable, "-m", "pynwb.validation_cli", str(source))
    got = _run(sys.executable, "-m", "hdmf_lindi.cli.main", "validate", str(lindi_path))
    assert _said(got, lindi_path) == _said(expected, source)
    assert got.returncode == (1 if broken else 0)
    if broken:
        assert "unit" in got.stderr


def test_options_before_paths_and_namespace_listing(tmp_path: Path) -> None:
    source = _nwb(tmp_path / "file.nwb", broken=False)
    lindi_path = tmp_path / "file.nwb.lindi.tar"
    convert(source, lindi_path)
    listed = _run(sys.executable, "-m", "hdmf_lindi.cli.main", "validate", "-lns", str(lindi_path))
    assert (listed.returncode, listed.stdout.split()) == (0, ["core"])
    unknown = _run(
        sys.executable, "-m", "hdmf_lindi.cli.main", "validate", "-n", "nope", str(lindi_path)
    )
    expected = _run(sys.executable, "-m", "pynwb.validation_cli", "-n", "nope", str(source))
    assert _said(unknown, lindi_path) == _said(expected, source)
    assert unknown.returncode == 1
