"""LindiIO's API against NWBHDF5IO's: signature, ``can_read``, ``read`` errors and messages,
``read_nwb``, ``file=``, ``close(close_links=...)``, ``container_kind=``."""

from __future__ import annotations

import inspect
import warnings
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pynwb
import pytest
from hdmf.backends.errors import UnsupportedOperation
from hdmf.utils import get_docval
from pynwb import NWBFile, TimeSeries

from hdmf_lindi.errors import LindiError, LindiReadOnlyError, LindiUnsupportedError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiIO

SUFFIXES = [".lindi.json", ".lindi.tar", ".lindi.d"]
NO_VERSION = (
    "Cannot read because missing NWB version in the HDF5 file. The file is not a valid NWB file."
)
OLD_VERSION = "Cannot read because PyNWB supports NWB files version 2 and above."


def make_nwbfile() -> NWBFile:
    nwbfile = NWBFile(
        session_description="api test",
        identifier="lindi-io-api",
        session_start_time=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )
    nwbfile.add_acquisition(TimeSeries(name="ts", data=np.arange(20.0), unit="m", rate=2.0))
    return nwbfile


@pytest.fixture(params=SUFFIXES)
def written(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"file.nwb{request.param}"
    with LindiIO(path, "w") as io:
        io.write(make_nwbfile())
    return path


def set_root_attr(path: Path, value: str | None) -> None:
    with LindiH5pyFile.from_lindi_file(path, "r+") as f:
        if value is None:
            del f.attrs["nwb_version"]
        else:
            f.attrs["nwb_version"] = value


# ----------------------------------------------------------------------------- signature
def test_parameters_shared_with_nwbhdf5io_come_first_in_its_order() -> None:
    theirs = [arg["name"] for arg in get_docval(pynwb.NWBHDF5IO.__init__)]
    parameters = list(inspect.signature(LindiIO.__init__).parameters.values())[1:]
    positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == theirs
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters[len(theirs) :])
    assert [p.default for p in parameters[:3]] == [None, "r", True]


def test_unsupported_nwbhdf5io_options_raise(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    with pytest.raises(LindiUnsupportedError, match="MPI"):
        LindiIO(path, "w", comm=object())
    with pytest.raises(LindiUnsupportedError, match="aws_region"):
        LindiIO(path, "w", aws_region="us-east-1")
    with pytest.raises(LindiUnsupportedError, match="driver 'core'"):
        LindiIO(path, "w", driver="core")


# ----------------------------------------------------------------------------- can_read
def test_can_read_a_current_file(written: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert LindiIO.can_read(written)
        assert LindiIO.can_read(str(written))


def test_can_read_missing_or_foreign_files(tmp_path: Path) -> None:
    assert not LindiIO.can_read(tmp_path / "missing.nwb.lindi.json")
    text = tmp_path / "notes.txt"
    text.write_text("not a file LindiIO reads\n")
    assert not LindiIO.can_read(text)


def test_can_read_false_and_warns_without_nwb_version(written: Path) -> None:
    set_root_attr(written, None)
    with pytest.warns(UserWarning) as record:
        assert LindiIO.can_read(written) is False
    assert [str(w.message) for w in record] == [NO_VERSION]


def test_can_read_false_and_warns_for_version_1(written: Path) -> None:
    set_root_attr(written, "1.0.5")
    with pytest.warns(UserWarning) as record:
        assert LindiIO.can_read(written) is False
    assert [str(w.message) for w in record] == [OLD_VERSION]


def test_can_read_false_for_non_nwb_hdf5_as_nwbhdf5io(tmp_path: Path) -> None:
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    for reader in (pynwb.NWBHDF5IO, LindiIO):
        with pytest.warns(UserWarning) as record:
            assert reader.can_read(str(path)) is False
        assert [str(w.message) for w in record] == [NO_VERSION]


def test_can_read_an_nwb_hdf5_file(tmp_path: Path) -> None:
    path = tmp_path / "file.nwb"
    with pynwb.NWBHDF5IO(path, "w") as io:
        io.write(make_nwbfile())
    assert LindiIO.can_read(path)


# ----------------------------------------------------------------------------- read errors
def test_read_without_version_raises_nwbhdf5io_error(written: Path) -> None:
    set_root_attr(written, None)
    with LindiIO(written) as io:
        with pytest.raises(TypeError) as excinfo:
            io.read()
        assert str(excinfo.value) == (
            "Missing NWB version in file. The file is not a valid NWB file."
        )
    with LindiIO(written) as io:
        assert io.read(skip_version_check=True).identifier == "lindi-io-api"


def test_read_of_version_1_raises_nwbhdf5io_error(written: Path) -> None:
    set_root_attr(written, "1.0.5")
    with LindiIO(written) as io, pytest.raises(TypeError) as excinfo:
        io.read()
    assert str(excinfo.value) == (
        "NWB version 1.0.5 not supported. PyNWB supports NWB files version 2 and above."
    )


def test_mode_errors_are_nwbhdf5io_errors(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.nwb.lindi.tar")
    for mode in ("r", "r+"):
        with pytest.raises(UnsupportedOperation) as excinfo:
            LindiIO(missing, mode)
        assert str(excinfo.value) == (
            f"Unable to open file {missing} in '{mode}' mode. File does not exist."
        )
        assert isinstance(excinfo.value, LindiError)
    path = tmp_path / "file.nwb.lindi.tar"
    with LindiIO(path, "w") as io:
        with pytest.raises(UnsupportedOperation) as excinfo:
            io.read()
        assert str(excinfo.value) == (
            f"Cannot read from file {path} in mode 'w'. Please use mode 'r', 'r+', or 'a'."
        )
        io.write(make_nwbfile())
    for mode in ("w-", "x"):
        with pytest.raises(UnsupportedOperation) as excinfo:
            LindiIO(str(path), mode)
        assert str(excinfo.value) == (
            f"Unable to open file {path} in '{mode}' mode. File already exists."
        )
    with LindiIO(path, "r") as io:
        with pytest.raises(UnsupportedOperation) as excinfo:
            io.write(make_nwbfile())
        assert isinstance(excinfo.value, LindiReadOnlyError)
        assert str(excinfo.value) == (
            f"Cannot write to file {path} in mode 'r'. Please use mode 'r+', 'w', 'w-', 'x', or 'a'"
        )


# ----------------------------------------------------------------------------- read_nwb, file=
def test_read_nwb_with_path_and_with_file(written: Path) -> None:
    nwbfile = LindiIO.read_nwb(path=written)
    assert nwbfile.identifier == "lindi-io-api"
    np.testing.assert_array_equal(nwbfile.acquisition["ts"].data[:], np.arange(20.0))
    nwbfile.get_read_io().close()

    client = LindiH5pyFile.from_lindi_file(written)
    nwbfile = LindiIO.read_nwb(file=client)
    assert nwbfile.acquisition["ts"].rate == 2.0
    nwbfile.get_read_io().close()
    assert not client  # closed with the io, as NWBHDF5IO closes its h5py.File


def test_io_on_an_open_lindi_h5py_file(tmp_path: Path) -> None:
    path = tmp_path / "file.nwb.lindi.tar"
    with LindiH5pyFile.from_lindi_file(path, "w") as client, LindiIO(file=client, mode="w") as io:
        io.write(make_nwbfile())
    with LindiIO(path=str(path), file=LindiH5pyFile.from_lindi_file(path)) as io:
        assert io.read().identifier == "lindi-io-api"
        assert io.source == str(path)


def test_path_and_file_checks(written: Path, tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"Either the 'path' or 'file' argument must be supplied\."
    ):
        LindiIO()
    with LindiH5pyFile.from_lindi_file(written) as client:
        other = str(tmp_path / "other.nwb.lindi.json")
        with pytest.raises(ValueError) as excinfo:
            LindiIO(other, file=client)
        assert str(excinfo.value) == (
            f"You argued '{other}' as this object's path, but supplied a file with filename: "
            f"{written}"
        )
    with h5py.File(tmp_path / "plain.h5", "w") as f, pytest.raises(LindiUnsupportedError):
        LindiIO(file=f)


# ----------------------------------------------------------------------------- close_links
def test_close_links_false_keeps_linked_files_open(tmp_path: Path) -> None:
    data_path = tmp_path / "data.nwb.lindi.tar"
    link_path = tmp_path / "link.nwb.lindi.tar"
    with LindiIO(data_path, "w") as io:
        io.write(make_nwbfile())
    with LindiIO(data_path) as data_io:
        linking = NWBFile(
            session_description="links",
            identifier="link",
            session_start_time=datetime(2024, 5, 6, tzinfo=UTC),
        )
        source = data_io.read().acquisition["ts"]
        linking.add_acquisition(TimeSeries(name="linked", data=source.data, unit="m", rate=2.0))
        with LindiIO(link_path, "w") as io:
            io.write(linking, link_data=True)
    io = LindiIO(link_path)
    data = io.read().acquisition["linked"].data
    np.testing.assert_array_equal(data[:], np.arange(20.0))
    assert io._external  # the data file was opened through the link
    io.close(close_links=False)
    assert io._external
    np.testing.assert_array_equal(data[:5], np.arange(5.0))
    io.close_linked_files()
    assert not io._external


# ----------------------------------------------------------------------------- container_kind
@pytest.mark.parametrize("kind", ["json", "tar", "directory"])
def test_container_kind_for_a_name_without_lindi_suffix(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "session.nwb"
    with LindiIO(path, "w", container_kind=kind) as io:  # type: ignore[arg-type]
        io.write(make_nwbfile())
    assert path.is_dir() is (kind == "directory")
    assert LindiIO.can_read(path)
    with LindiIO(path, "a") as io:
        nwbfile = io.read()
        nwbfile.add_acquisition(TimeSeries(name="more", data=[1.0, 2.0], unit="m", rate=1.0))
        io.write(nwbfile)
    with LindiIO(path) as io:
        assert sorted(io.read().acquisition) == ["more", "ts"]
    with pytest.raises(ValueError, match="container_kind"):
        LindiIO(tmp_path / "x.nwb", "w", container_kind="zip")  # type: ignore[arg-type]
