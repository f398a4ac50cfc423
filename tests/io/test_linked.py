"""Objects of another file reached through external links: their references resolve in that
file (attributes, reference columns, compound columns), their datasets name that file, and
datasets of another file given as data are linked, as NWBHDF5IO does for HDF5 files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hdmf.backends.hdf5 import H5DataIO
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.ecephys import ElectricalSeries

from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiIO

CONTAINERS = [".lindi.tar", ".lindi.d"]


def _nwbfile(identifier: str) -> NWBFile:
    return NWBFile(
        session_description="links",
        identifier=identifier,
        session_start_time=datetime(2024, 1, 2, tzinfo=UTC),
    )


def _source_file() -> NWBFile:
    nwbfile = _nwbfile("source")
    device = nwbfile.create_device("probe")
    group = nwbfile.create_electrode_group("shank", description="", location="", device=device)
    for location in ("CA1", "CA3", "DG"):
        nwbfile.add_electrode(group=group, location=location)
    region = nwbfile.create_electrode_table_region([0, 2], "two electrodes")
    nwbfile.add_acquisition(
        ElectricalSeries(
            name="es", data=np.arange(20.0).reshape(10, 2), electrodes=region, rate=1.0
        )
    )
    ts = TimeSeries(name="ts", data=np.arange(10.0), unit="m", rate=1.0)
    nwbfile.add_acquisition(ts)
    nwbfile.add_epoch(0.0, 1.0, timeseries=[ts])
    nwbfile.add_epoch(1.0, 2.0, timeseries=[ts])
    return nwbfile


def _linking_file(source: NWBFile, data: Any) -> NWBFile:
    """Links the ElectricalSeries and the epochs of ``source``; ``data`` for a new series."""
    nwbfile = _nwbfile("linking")
    nwbfile.add_acquisition(source.acquisition["es"])
    nwbfile.add_time_intervals(source.epochs)
    nwbfile.add_acquisition(TimeSeries(name="reused", data=data, unit="m", rate=1.0))
    return nwbfile


@dataclass
class Files:
    source: Path
    linking: Path


def _write_pair(tmp_path: Path, suffix: str, io_class: Any, wrap: Any) -> Files:
    source, linking = tmp_path / f"source{suffix}", tmp_path / f"linking{suffix}"
    with io_class(str(source), mode="w") as io:
        io.write(_source_file())
    with io_class(str(source), mode="r") as read_io:
        read = read_io.read()
        nwbfile = _linking_file(read, wrap(read.acquisition["ts"].data))
        with io_class(str(linking), mode="w", manager=read_io.manager) as io:
            io.write(nwbfile)
    return Files(source, linking)


def _summary(nwbfile: NWBFile) -> dict[str, Any]:
    """What both backends can read of the linking file (NWBHDF5IO cannot resolve the
    references of the electrode table's ``group`` column and of the epochs' ``timeseries``
    column through a link: their targets were never built)."""
    electrodes = nwbfile.acquisition["es"].electrodes
    epochs = nwbfile.intervals["epochs"]
    return {
        "table": electrodes.table.name,
        "rows": np.asarray(electrodes.data[:]).tolist(),
        "locations": list(electrodes.table["location"][:]),
        "es": np.asarray(nwbfile.acquisition["es"].data[:]).tolist(),
        "epochs": np.asarray(epochs["start_time"][:]).tolist(),
        "reused": np.asarray(nwbfile.acquisition["reused"].data[:]).tolist(),
    }


def _epoch_refs(nwbfile: NWBFile) -> list[tuple[int, int, str, list[float]]]:
    epochs = nwbfile.intervals["epochs"]
    refs = [ref for i in range(len(epochs)) for ref in epochs["timeseries"][i]]
    return [
        (int(r.idx_start), int(r.count), r.timeseries.name, list(r.timeseries.data[:]))
        for r in refs
    ]


@pytest.fixture(scope="module")
def nwb_files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return _write_pair(tmp_path_factory.mktemp("nwb"), ".nwb", NWBHDF5IO, lambda d: d)


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_references_of_a_linked_file_resolve_in_it(
    tmp_path: Path, suffix: str, nwb_files: Files
) -> None:
    files = _write_pair(tmp_path, suffix, LindiIO, lambda d: d)
    with NWBHDF5IO(str(nwb_files.linking), mode="r") as io:
        expected = _summary(io.read())
    with NWBHDF5IO(str(nwb_files.source), mode="r") as io:
        expected_refs = _epoch_refs(io.read())
    with LindiIO(str(files.linking), mode="r") as io:
        nwbfile = io.read()
        assert _summary(nwbfile) == expected
        # compound column of the linked file: references into it, resolved there
        assert _epoch_refs(nwbfile) == expected_refs
        assert [ref[:3] for ref in expected_refs] == [(0, 1, "ts"), (1, 1, "ts")]
        # a dataset read through a link belongs to the file it is in
        reused = nwbfile.acquisition["reused"].data
        assert Path(reused.source) == files.source
    with LindiH5pyFile.from_lindi_file(files.linking) as f, NWBHDF5IO(file=f, mode="r") as io:
        assert _summary(io.read()) == expected


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_h5py_view_of_a_linked_file_is_the_target(
    tmp_path: Path, suffix: str, nwb_files: Files
) -> None:
    files = _write_pair(tmp_path, suffix, LindiIO, lambda d: d)
    with (
        h5py.File(nwb_files.linking, "r") as theirs,
        LindiH5pyFile.from_lindi_file(files.linking) as ours,
    ):
        for path in ("acquisition/es/electrodes", "intervals/epochs/timeseries"):
            assert ours[path].name == theirs[path].name
            assert Path(ours[path].file.filename).name == f"source{suffix}"
            assert Path(theirs[path].file.filename).name == "source.nwb"
        table_ref = ours["acquisition/es/electrodes"].attrs["table"]
        table = ours["acquisition/es/electrodes"].file[table_ref]
        assert table.name == "/general/extracellular_ephys/electrodes"
        assert Path(table.file.filename).name == f"source{suffix}"
        column = ours["intervals/epochs/timeseries"]
        row = column[0]
        target = column.file[row["timeseries"]]
        expected = theirs["intervals/epochs/timeseries"].file[
            theirs["intervals/epochs/timeseries"][0]["timeseries"]
        ]
        assert target.name == expected.name == "/acquisition/ts"
        np.testing.assert_array_equal(target["data"][()], expected["data"][()])
        with pytest.raises(KeyError, match="no object"):
            ours["acquisition/es/missing"]


def _link_of(path: Path, dataset: str) -> Any:
    with LindiH5pyFile.from_lindi_file(path) as f:
        return f.get(dataset, getlink=True)


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda d: H5DataIO(d, link_data=True), id="H5DataIO-link_data"),
        pytest.param(lambda d: d, id="dataset"),
    ],
)
@pytest.mark.parametrize("writer", ["LindiIO", "NWBHDF5IO-file"])
def test_h5py_view_dataset_of_another_file_is_linked(
    tmp_path: Path, wrap: Any, writer: str
) -> None:
    """``H5DataIO(<dataset of another LINDI file>, link_data=True)`` and the dataset itself
    link, through LindiIO and through ``NWBHDF5IO(file=LindiH5pyFile)``; ``link_data=False``
    copies."""
    source = tmp_path / "source.lindi.tar"
    with LindiIO(str(source), mode="w") as io:
        io.write(_source_file())
    target = tmp_path / "new.lindi.tar"
    with LindiH5pyFile.from_lindi_file(source) as other:
        data = other["acquisition/ts/data"]
        nwbfile = _nwbfile("new")
        nwbfile.add_acquisition(TimeSeries(name="linked", data=wrap(data), unit="m", rate=1.0))
        copied = H5DataIO(data, link_data=False)
        nwbfile.add_acquisition(TimeSeries(name="copied", data=copied, unit="m", rate=1.0))
        if writer == "LindiIO":
            with LindiIO(str(target), mode="w") as io:
                io.write(nwbfile)
        else:
            with (
                LindiH5pyFile.from_lindi_file(target, mode="w") as f,
                NWBHDF5IO(file=f, mode="w") as io,
            ):
                io.write(nwbfile)
    link = _link_of(target, "acquisition/linked/data")
    assert isinstance(link, h5py.ExternalLink)
    assert (Path(link.filename).name, link.path) == ("source.lindi.tar", "/acquisition/ts/data")
    assert not isinstance(_link_of(target, "acquisition/copied/data"), h5py.ExternalLink)
    with LindiIO(str(target), mode="r") as io:
        read = io.read()
        np.testing.assert_array_equal(read.acquisition["linked"].data[:], np.arange(10.0))
        np.testing.assert_array_equal(read.acquisition["copied"].data[:], np.arange(10.0))


def test_dataset_read_through_a_link_is_linked_to_its_file(tmp_path: Path) -> None:
    """A dataset LindiIO read through an external link, written to a third file, links to
    the file it is in (not to the file that linked it)."""
    files = _write_pair(tmp_path, ".lindi.tar", LindiIO, lambda d: d)
    third = tmp_path / "third.lindi.tar"
    with LindiIO(str(files.linking), mode="r") as read_io:
        data = read_io.read().acquisition["reused"].data
        nwbfile = _nwbfile("third")
        nwbfile.add_acquisition(TimeSeries(name="again", data=data, unit="m", rate=1.0))
        with LindiIO(str(third), mode="w", manager=read_io.manager) as io:
            io.write(nwbfile)
    link = _link_of(third, "acquisition/again/data")
    assert isinstance(link, h5py.ExternalLink)
    assert (Path(link.filename).name, link.path) == ("source.lindi.tar", "/acquisition/ts/data")
    with LindiIO(str(third), mode="r") as io:
        np.testing.assert_array_equal(io.read().acquisition["again"].data[:], np.arange(10.0))


def test_links_of_a_linked_file_are_relative_to_it(tmp_path: Path) -> None:
    """A link to an object of another file that is itself an external link (relative to
    that file's directory) is followed to the last file, as h5py does."""
    sub = tmp_path / "sub"
    sub.mkdir()
    files = _write_pair(sub, ".lindi.tar", LindiIO, lambda d: d)
    outer = tmp_path / "outer.lindi.tar"
    with LindiIO(str(files.linking), mode="r") as read_io:
        nwbfile = _nwbfile("outer")
        nwbfile.add_acquisition(read_io.read().acquisition["es"])
        with LindiIO(str(outer), mode="w", manager=read_io.manager) as io:
            io.write(nwbfile)
    link = _link_of(outer, "acquisition/es")
    assert isinstance(link, h5py.ExternalLink)
    assert (link.filename, link.path) == ("sub/source.lindi.tar", "/acquisition/es")
    # the same object, reached through a chain of links: B's link to A, from `outer`
    with LindiH5pyFile.from_lindi_file(outer, mode="r+") as f:
        del f["acquisition/es"]
        f["acquisition/es"] = h5py.ExternalLink("sub/linking.lindi.tar", "/acquisition/es")
    with LindiIO(str(outer), mode="r") as io:
        es = io.read().acquisition["es"]
        assert es.electrodes.table.name == "electrodes"
        np.testing.assert_array_equal(es.data[:], np.arange(20.0).reshape(10, 2))
    with LindiH5pyFile.from_lindi_file(outer) as f:
        electrodes = f["acquisition/es/electrodes"]
        assert Path(electrodes.file.filename) == files.source
        assert electrodes.file[electrodes.attrs["table"]].name == (
            "/general/extracellular_ephys/electrodes"
        )
