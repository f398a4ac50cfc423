"""``hdmf-lindi inspect`` finds what nwbinspector finds on the HDF5 original."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from nwbinspector import inspect_nwbfile
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.testing.mock.file import mock_NWBFile

from hdmf_lindi.cli.inspect_nwb import inspect_messages
from hdmf_lindi.hdf5 import convert


def _key(message: object) -> tuple[str, str, str | None]:
    return (
        str(message.importance),  # type: ignore[attr-defined]
        message.check_function_name,  # type: ignore[attr-defined]
        message.location,  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.tar"])
def test_same_findings_as_nwbinspector(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "file.nwb"
    nwbfile = mock_NWBFile()
    nwbfile.add_acquisition(TimeSeries(name="ts", data=np.arange(10.0), unit="m", rate=0.0))
    with NWBHDF5IO(source, "w") as io:
        io.write(nwbfile)
    with h5py.File(source, "r+") as f:
        del f["acquisition/ts/data"].attrs["unit"]  # a schema violation too
    lindi_path = tmp_path / f"file.nwb{suffix}"
    convert(source, lindi_path)

    expected = {_key(m) for m in inspect_nwbfile(nwbfile_path=source)}
    got = {_key(m) for m in inspect_messages(str(lindi_path))}
    assert got - {k for k in got if k[1] == "check_file_extension"} == expected
    assert any(k[1] == "check_rate_is_not_zero" for k in got)
    assert any(k[0] == "Importance.PYNWB_VALIDATION" for k in got)


def test_command_prints_the_report(tmp_path: Path) -> None:
    source = tmp_path / "file.nwb"
    with NWBHDF5IO(source, "w") as io:
        io.write(mock_NWBFile())
    lindi_path = tmp_path / "file.nwb.lindi.json"
    convert(source, lindi_path)
    result = subprocess.run(
        [sys.executable, "-m", "hdmf_lindi.cli.main", "inspect", str(lindi_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "NWBInspector Report Summary" in result.stdout
    assert "check_subject_exists" in result.stdout
