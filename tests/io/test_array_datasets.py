"""LindiIO's datasets of plain values are ``h5py.Dataset`` instances, as HDF5IO's are: hdmf's
``H5DataIO(dataset, link_data=True)`` keeps the link (an external link to another LINDI file,
a soft link within the file), ``link_data=False`` copies, and ``file``/``name``/``id`` behave
as h5py's (``dataset.file.close()`` closes the file)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from hdmf.backends.hdf5 import H5DataIO
from hdmf.data_utils import extend_data
from pynwb import NWBHDF5IO, NWBFile, TimeSeries

from hdmf_lindi.errors import LindiReadOnlyError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiIO

CONTAINERS = [".lindi.json", ".lindi.tar", ".lindi.d"]
VALUES = np.arange(12.0).reshape(6, 2)


def _nwbfile(identifier: str, data: object) -> NWBFile:
    nwbfile = NWBFile(
        session_description="array datasets",
        identifier=identifier,
        session_start_time=datetime(2024, 1, 2, tzinfo=UTC),
    )
    nwbfile.add_acquisition(TimeSeries(name="ts", data=data, unit="m", rate=1.0))
    return nwbfile


def _write(path: str, nwbfile: NWBFile) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "link_data ... will be ignored" among them
        with LindiIO(path, mode="w") as io:
            io.write(nwbfile)


@pytest.fixture(params=CONTAINERS)
def source(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    path = str(tmp_path / f"source{request.param}")
    _write(path, _nwbfile("source", VALUES))
    return path


def test_a_dataset_is_an_h5py_dataset_of_its_file(source: str) -> None:
    io = LindiIO(source)
    data = io.read().acquisition["ts"].data
    assert isinstance(data, h5py.Dataset)
    assert isinstance(data.file, LindiH5pyFile)
    assert data.file.filename == source
    assert data.name == "/acquisition/ts/data"
    assert data.parent.name == "/acquisition/ts"
    assert data.attrs["unit"] == "m"
    assert data.id.valid and bool(data)
    assert data == io.read().acquisition["ts"].data
    np.testing.assert_array_equal(data.file[data.name][:], VALUES)
    io.close()
    assert not data.id.valid and not bool(data)


def test_a_dataset_of_a_closed_file_is_invalid(source: str) -> None:
    with LindiIO(source) as io:
        data = io.read().acquisition["ts"].data
    assert not data.id.valid and not bool(data)  # as h5py's, whether or not used before


def test_closing_the_file_of_a_dataset_closes_the_io(source: str) -> None:
    io = LindiIO(source)
    data = io.read().acquisition["ts"].data
    data.file.close()
    assert not io.is_open()
    assert not data.id.valid


@pytest.mark.parametrize("suffix", CONTAINERS)
@pytest.mark.parametrize("link_data", [True, False])
def test_h5dataio_links_or_copies_a_dataset_of_another_file(
    source: str, tmp_path: Path, suffix: str, link_data: bool
) -> None:
    target = str(tmp_path / f"target{suffix}")
    with LindiIO(source) as source_io:
        data = source_io.read().acquisition["ts"].data
        _write(target, _nwbfile("target", H5DataIO(data, link_data=link_data)))
    with LindiIO(target) as io:
        node = io.hierarchy.node("/acquisition/ts/data")
        assert node.kind.value == ("external_link" if link_data else "dataset")
        read = io.read().acquisition["ts"].data
        np.testing.assert_array_equal(read[:], VALUES)
        assert read.file.filename == (source if link_data else target)
        assert read.name == "/acquisition/ts/data"
        read.file.close()  # the file the dataset is in: the linked one, or the IO's own
        assert not read.id.valid
        assert io.is_open() is link_data


def test_h5dataio_soft_links_a_dataset_of_the_same_file(source: str) -> None:
    with LindiIO(source, mode="a") as io:
        nwbfile = io.read()
        data = nwbfile.acquisition["ts"].data
        nwbfile.add_acquisition(
            TimeSeries(name="again", data=H5DataIO(data, link_data=True), unit="m", rate=1.0)
        )
        io.write(nwbfile)
    with LindiIO(source) as io:
        node = io.hierarchy.node("/acquisition/again/data")
        assert node.kind.value == "soft_link"
        again = io.read().acquisition["again"].data
        np.testing.assert_array_equal(again[:], VALUES)
        assert again.name == "/acquisition/ts/data"


@pytest.mark.parametrize("link_data", [True, False])
def test_an_hdf5_dataset_is_linked_or_copied(tmp_path: Path, link_data: bool) -> None:
    """As NWBHDF5IO: an external link to the HDF5 file (read by hdmf_lindi), or a copy."""
    hdf5 = str(tmp_path / "source.nwb")
    with NWBHDF5IO(hdf5, mode="w") as io:
        io.write(_nwbfile("source", VALUES))
    target = str(tmp_path / "target.lindi.json")
    with NWBHDF5IO(hdf5, mode="r") as io:
        data = io.read().acquisition["ts"].data
        _write(target, _nwbfile("target", H5DataIO(data, link_data=link_data)))
    with LindiIO(target) as io:
        node = io.hierarchy.node("/acquisition/ts/data")
        assert node.kind.value == ("external_link" if link_data else "dataset")
        read = io.read().acquisition["ts"].data
        np.testing.assert_array_equal(read[:], VALUES)
        assert read.file.filename == (hdf5 if link_data else target)


def test_h5py_settings_and_views(tmp_path: Path) -> None:
    path = str(tmp_path / "settings.lindi.json")
    _write(path, _nwbfile("s", H5DataIO(VALUES, chunks=(2, 2), compression="gzip")))
    with LindiIO(path) as io, h5py.File(_hdf5_copy(tmp_path), "r") as h5:
        data = io.read().acquisition["ts"].data
        original = h5["/acquisition/ts/data"]
        for name in ("chunks", "compression", "compression_opts", "shuffle", "fletcher32"):
            assert getattr(data, name) == getattr(original, name), name
        assert data.fillvalue == original.fillvalue
        assert data.maxshape == original.maxshape
        np.testing.assert_array_equal(data.astype("i4")[1:3], original.astype("i4")[1:3])
        assert list(data.iter_chunks()) == list(original.iter_chunks())


def _hdf5_copy(tmp_path: Path) -> str:
    path = str(tmp_path / "settings.nwb")
    with NWBHDF5IO(path, mode="w") as io:
        io.write(_nwbfile("s", H5DataIO(VALUES, chunks=(2, 2), compression="gzip")))
    return path


def test_extend_data_grows_a_dataset(tmp_path: Path) -> None:
    path = str(tmp_path / "grow.lindi.tar")
    _write(path, _nwbfile("g", H5DataIO(np.arange(4.0), maxshape=(None,), chunks=(2,))))
    with LindiIO(path, mode="a") as io:
        data = io.read().acquisition["ts"].data
        extend_data(data, [4.0, 5.0])  # hdmf's h5py.Dataset branch: resize, then assign
    with LindiIO(path) as io:
        np.testing.assert_array_equal(io.read().acquisition["ts"].data[:], np.arange(6.0))


def test_a_linked_file_is_read_only(source: str, tmp_path: Path) -> None:
    target = str(tmp_path / "target.lindi.json")
    with LindiIO(source) as source_io:
        data = source_io.read().acquisition["ts"].data
        _write(target, _nwbfile("target", H5DataIO(data, link_data=True)))
    with LindiIO(target, mode="a") as io:
        linked = io.read().acquisition["ts"].data
        with pytest.raises(LindiReadOnlyError, match="external link, read-only"):
            linked[0] = 1.0
        with pytest.raises(LindiReadOnlyError, match="external link, read-only"):
            linked.resize((7, 2))
