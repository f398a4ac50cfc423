"""Export across backends (NWBHDF5IO <-> LindiIO <-> NWBZarrIO), reading HDF5/NWB files (local
and over HTTP) and files written by lindi 0.4.6 through LindiIO, and our files through the
h5py-compatible view with NWBHDF5IO."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hdmf_zarr import NWBZarrIO
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.ecephys import ElectricalSeries

from hdmf_lindi.io import LindiIO
from tests.conftest import SHARED_DIR

UPSTREAM = SHARED_DIR / "fixtures" / "upstream-lindi-0.4.6"


def rich_nwbfile() -> NWBFile:
    """Electrodes table + region, ragged units, trials, epochs with timeseries references,
    a soft-linked TimeSeries, strings."""
    nwbfile = NWBFile(
        session_description="export test",
        identifier="export-1",
        session_start_time=datetime(2023, 3, 4, tzinfo=UTC),
        keywords=["a", "b"],
    )
    device = nwbfile.create_device(name="probe", description="p")
    group = nwbfile.create_electrode_group(name="g", description="g", location="CA1", device=device)
    for i in range(3):
        nwbfile.add_electrode(location="CA1", group=group, x=float(i), y=0.0, z=0.0)
    region = nwbfile.create_electrode_table_region([0, 2], "two")
    series = ElectricalSeries(
        name="es", data=np.arange(40, dtype=np.int16).reshape(20, 2), electrodes=region, rate=1e3
    )
    nwbfile.add_acquisition(series)
    linked = TimeSeries(name="linked", data=series, unit="V", timestamps=np.arange(20.0))
    nwbfile.add_acquisition(linked)
    nwbfile.add_unit(spike_times=[0.1, 0.2], electrodes=[0, 1])
    nwbfile.add_unit(spike_times=[0.3], electrodes=[2])
    nwbfile.add_trial(start_time=0.0, stop_time=1.0)
    nwbfile.add_trial(start_time=1.0, stop_time=2.0)
    nwbfile.add_epoch(start_time=0.0, stop_time=0.01, timeseries=[series])
    return nwbfile


def check_rich(nwbfile: Any) -> None:
    assert nwbfile.identifier == "export-1"
    assert list(nwbfile.keywords[:]) == ["a", "b"]
    series = nwbfile.acquisition["es"]
    np.testing.assert_array_equal(series.data[:], np.arange(40).reshape(20, 2))
    assert list(series.electrodes.data[:]) == [0, 2]
    np.testing.assert_array_equal(series.electrodes.to_dataframe()["x"], [0.0, 2.0])
    np.testing.assert_array_equal(nwbfile.acquisition["linked"].data[:], series.data[:])
    units = nwbfile.units.to_dataframe()
    np.testing.assert_array_equal(units["spike_times"][0], [0.1, 0.2])
    assert len(units["electrodes"][1]) == 1
    np.testing.assert_array_equal(nwbfile.trials["start_time"][:], [0.0, 1.0])
    reference = nwbfile.epochs["timeseries"][0][0]
    assert reference.timeseries is series
    assert (reference.idx_start, reference.count) == (0, 10)


@pytest.fixture
def hdf5_file(tmp_path: Path) -> str:
    path = str(tmp_path / "source.nwb")
    with NWBHDF5IO(path, mode="w") as io:
        io.write(rich_nwbfile())
    return path


def test_hdf5_to_lindi(hdf5_file: str, tmp_path: Path) -> None:
    target = str(tmp_path / "exported.lindi.tar")
    with NWBHDF5IO(hdf5_file, mode="r") as source:
        LindiIO.export_io(target, src_io=source)
    with LindiIO(target) as io:
        check_rich(io.read())
        assert io.hierarchy.node("/acquisition/linked/data").kind.value == "soft_link"


def test_hdf5_to_lindi_modified_container(hdf5_file: str, tmp_path: Path) -> None:
    target = str(tmp_path / "modified.lindi.json")
    with NWBHDF5IO(hdf5_file, mode="r") as source:
        nwbfile = source.read()
        nwbfile.add_acquisition(TimeSeries(name="added", data=[1.0, 2.0], unit="m", rate=1.0))
        with LindiIO(target, mode="w") as io:
            io.export(source, nwbfile=nwbfile)
    with LindiIO(target) as io:
        read = io.read()
        check_rich(read)
        np.testing.assert_array_equal(read.acquisition["added"].data[:], [1.0, 2.0])


def test_lindi_to_hdf5(hdf5_file: str, tmp_path: Path) -> None:
    lindi_path = str(tmp_path / "middle.lindi.d")
    with NWBHDF5IO(hdf5_file, mode="r") as source:
        LindiIO.export_io(lindi_path, src_io=source)
    target = str(tmp_path / "back.nwb")
    with LindiIO(lindi_path) as source, NWBHDF5IO(target, mode="w") as io:
        io.export(src_io=source, write_args={"link_data": False})
    with NWBHDF5IO(target, mode="r") as io:
        check_rich(io.read())


def test_lindi_written_to_hdf5_and_zarr(tmp_path: Path) -> None:
    lindi_path = str(tmp_path / "direct.lindi.tar")
    with LindiIO(lindi_path, mode="w") as io:
        io.write(rich_nwbfile())
    with LindiIO(lindi_path) as io:
        check_rich(io.read())
    zarr_path = str(tmp_path / "copy.nwb.zarr")
    with LindiIO(lindi_path) as source, NWBZarrIO(zarr_path, mode="w") as io:
        io.export(src_io=source, write_args={"link_data": False})
    with NWBZarrIO(zarr_path, mode="r") as io:
        check_rich(io.read())
    back = str(tmp_path / "from-zarr.lindi.json")
    with NWBZarrIO(zarr_path, mode="r") as source:
        LindiIO.export_io(back, src_io=source)
    with LindiIO(back) as io:
        check_rich(io.read())


def test_read_hdf5_file_directly(hdf5_file: str) -> None:
    with LindiIO(hdf5_file) as io:
        assert io.is_hdf5
        check_rich(io.read())


def test_read_remote_hdf5_and_lindi(hdf5_file: str, tmp_path: Path, http_server: Any) -> None:
    shutil.copy(hdf5_file, http_server.root / "remote.nwb")
    lindi_local = str(tmp_path / "remote.lindi.tar")
    with LindiIO(hdf5_file) as source:
        LindiIO.export_io(lindi_local, src_io=source)
    shutil.copy(lindi_local, http_server.root / "remote.lindi.tar")
    with LindiIO(f"{http_server.url}/remote.nwb") as io:
        check_rich(io.read())
    with LindiIO(f"{http_server.url}/remote.lindi.tar") as io:
        check_rich(io.read())
    assert any(request for request in http_server.requests)


@pytest.mark.skipif(not UPSTREAM.exists(), reason="upstream lindi 0.4.6 fixtures not present")
@pytest.mark.parametrize("name", ["pynwb_written.nwb.lindi.json", "pynwb_written.nwb.lindi.tar"])
def test_read_files_written_by_lindi_0_4_6(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    shutil.copy(UPSTREAM / name, path)
    with LindiIO(str(path)) as io:
        nwbfile = io.read()
        assert nwbfile.subject is not None
        assert nwbfile.subject.subject_id
        ts = nwbfile.acquisition["ts"]
        linked = nwbfile.acquisition["ts_linked"]
        assert len(ts.data) > 0
        np.testing.assert_array_equal(linked.data[:], ts.data[:])
        assert io.hierarchy.node("/acquisition/ts_linked/data").kind.value == "soft_link"


def test_our_file_through_h5py_view(tmp_path: Path) -> None:
    h5py_compat = pytest.importorskip("hdmf_lindi.h5py_compat")
    path = str(tmp_path / "view.lindi.tar")
    with LindiIO(path, mode="w") as io:
        io.write(rich_nwbfile())
    h5file = h5py_compat.LindiH5pyFile.from_lindi_file(path)
    try:
        with NWBHDF5IO(file=h5file, mode="r") as io:
            check_rich(io.read())
    finally:
        h5file.close()


def _storage(dataset: Any) -> dict[str, Any]:
    return {
        "chunks": dataset.chunks,
        "compression": dataset.compression,
        "compression_opts": dataset.compression_opts,
        "shuffle": dataset.shuffle,
        "fletcher32": dataset.fletcher32,
        "fillvalue": dataset.fillvalue,
        "maxshape": dataset.maxshape,
        "dtype": dataset.dtype,
    }


def _storage_nwbfile() -> NWBFile:
    from hdmf.backends.hdf5 import H5DataIO

    nwbfile = NWBFile("d", "storage", datetime(2024, 1, 1, tzinfo=UTC))
    data = H5DataIO(
        np.arange(1000, dtype="f4").reshape(100, 10),
        compression="gzip",
        compression_opts=6,
        shuffle=True,
        fletcher32=True,
        chunks=(10, 10),
        fillvalue=-1.0,
        maxshape=(None, 10),
    )
    nwbfile.add_acquisition(TimeSeries(name="ts", data=data, unit="m", rate=1.0))
    nwbfile.add_acquisition(
        TimeSeries(name="plain", data=np.arange(50, dtype="i2"), unit="m", rate=1.0)
    )
    return nwbfile


@pytest.mark.parametrize("source_suffix", [".nwb", ".lindi.json"])
def test_export_keeps_storage_settings_as_nwbhdf5io(tmp_path: Path, source_suffix: str) -> None:
    """Export keeps each dataset's chunks, gzip level, shuffle, Fletcher-32 and fill value as
    NWBHDF5IO.export of the HDF5 file does (it wrote blosc and dropped the fill value); LindiIO
    reports ``chunks`` None for a contiguous dataset, as NWBHDF5IO (it reported one chunk)."""
    import h5py

    from hdmf_lindi import LindiH5pyFile

    with NWBHDF5IO(str(tmp_path / "source.nwb"), "w") as io:
        io.write(_storage_nwbfile())
    with (
        NWBHDF5IO(str(tmp_path / "source.nwb"), "r") as src,
        NWBHDF5IO(str(tmp_path / "exp.nwb"), "w") as io,
    ):
        io.export(src_io=src)
    source = tmp_path / f"source{source_suffix}"
    if source_suffix != ".nwb":
        with LindiIO(str(source), "w") as io:
            io.write(_storage_nwbfile())
    reader: Any = NWBHDF5IO if source_suffix == ".nwb" else LindiIO
    with reader(str(source), "r") as src, LindiIO(str(tmp_path / "exp.lindi.json"), "w") as io:
        io.export(src_io=src)
    with (
        h5py.File(tmp_path / "exp.nwb") as expected,
        LindiH5pyFile.from_lindi_file(tmp_path / "exp.lindi.json") as actual,
    ):
        for name in ("acquisition/ts/data", "acquisition/plain/data"):
            assert _storage(actual[name]) == _storage(expected[name]), name
            np.testing.assert_array_equal(actual[name][()], expected[name][()])
    with (
        NWBHDF5IO(str(tmp_path / "exp.nwb"), "r") as expected_io,
        LindiIO(str(tmp_path / "exp.lindi.json"), "r") as actual_io,
    ):
        expected_file, actual_file = expected_io.read(), actual_io.read()
        for name in ("ts", "plain"):
            expected_data = expected_file.acquisition[name].data
            actual_data = actual_file.acquisition[name].data
            assert _storage(actual_data) == _storage(expected_data), name
