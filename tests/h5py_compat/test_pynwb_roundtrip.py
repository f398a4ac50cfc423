"""pynwb writes NWB files through LindiH5pyFile and reads them back; every container field and
array equals what the same NWB file gives when written to and read from HDF5."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pynwb
import pytest
from hdmf.container import AbstractContainer

from hdmf_lindi.h5py_compat import LindiH5pyDataset, LindiH5pyFile
from hdmf_lindi.storage.store import DEFAULT_INLINE_THRESHOLD
from tests.h5py_compat.nwb_content import container_path, make_nwbfile


def canonical(value: Any, depth: int = 0) -> Any:
    """A plain, comparable form of a container field (containers by their path)."""
    if depth > 6:
        return "<deep>"
    if isinstance(value, AbstractContainer):
        return ("container", type(value).__name__, container_path(value))
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (str, bool, int, dt.datetime)) or value is None:
        return value
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value
    if isinstance(value, np.generic):
        return canonical(value.item(), depth + 1)
    if isinstance(value, np.ndarray):
        if value.dtype.names is not None:
            return [canonical(row, depth + 1) for row in value.tolist()]
        if value.dtype.kind in "biuf":
            return (
                "array",
                value.dtype.kind,
                value.shape,
                np.where(np.isnan(value), -999.0, value).tolist()
                if value.dtype.kind == "f"
                else value.tolist(),
            )
        return [canonical(v, depth + 1) for v in value.reshape(-1)]
    if isinstance(value, dict):
        return {k: canonical(v, depth + 1) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [canonical(v, depth + 1) for v in value]
    if type(value) in (h5py.Dataset, LindiH5pyDataset):
        return canonical(value[()], depth + 1)
    if hasattr(value, "__getitem__") and hasattr(value, "__len__"):
        # h5py datasets and hdmf's lazy wrappers (references, compound rows, strings)
        if getattr(value, "shape", None) == ():
            return canonical(value[()], depth + 1)
        return canonical([value[i] for i in range(len(value))], depth + 1)
    return repr(type(value))


def snapshot(nwbfile: pynwb.NWBFile) -> dict[str, dict[str, Any]]:
    """Every container (by path) with every field, canonicalized."""
    out: dict[str, dict[str, Any]] = {}
    for container in nwbfile.all_children():
        fields = {name: canonical(value) for name, value in container.fields.items()}
        out[f"{type(container).__name__}:{container_path(container)}"] = fields
    return out


@pytest.fixture(scope="module")
def hdf5_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    path = tmp_path_factory.mktemp("nwb") / "reference.nwb"
    with pynwb.NWBHDF5IO(path, mode="w") as io:
        io.write(make_nwbfile())
    with pynwb.NWBHDF5IO(path, mode="r") as io:
        return snapshot(io.read())


@pytest.mark.parametrize("suffix", [".nwb.lindi.json", ".nwb.lindi.tar", ".nwb.lindi.d"])
def test_pynwb_write_then_read(
    suffix: str, tmp_path: Path, hdf5_snapshot: dict[str, dict[str, Any]]
) -> None:
    path = tmp_path / f"written{suffix}"
    # a bare .lindi.json has no blobs: large numeric chunks are inlined only on request
    threshold = None if suffix.endswith(".json") else DEFAULT_INLINE_THRESHOLD
    with (
        LindiH5pyFile.from_lindi_file(path, mode="w", inline_threshold=threshold) as client,
        pynwb.NWBHDF5IO(file=client, mode="w") as io,
    ):
        io.write(make_nwbfile())
    with (
        LindiH5pyFile.from_lindi_file(path) as client,
        pynwb.NWBHDF5IO(file=client, mode="r") as io,
    ):
        nwbfile = io.read()
        actual = snapshot(nwbfile)
        assert sorted(actual) == sorted(hdf5_snapshot)
        for key, fields in hdf5_snapshot.items():
            assert actual[key] == fields, key
        # spot checks with values known from the builder
        assert nwbfile.trials["correct"][:].tolist() == [False, True, False]
        assert [len(s) for s in nwbfile.units["spike_times"][:]] == [5, 0, 12]
        assert nwbfile.acquisition["shares_timestamps"].timestamps is (
            nwbfile.acquisition["with_timestamps"].timestamps
        ) or np.array_equal(
            nwbfile.acquisition["shares_timestamps"].timestamps[:],
            nwbfile.acquisition["with_timestamps"].timestamps[:],
        )
        link = client.get("acquisition/shares_timestamps/timestamps", getlink=True)
        assert isinstance(link, h5py.SoftLink)
        assert link.path == "/acquisition/with_timestamps/timestamps"
        raw = client["acquisition/raw/data"]
        assert raw.compression == "gzip"
        assert raw.maxshape == (500, 3)
        assert raw.chunks is not None
        lfp = nwbfile.processing["ecephys"]["LFP"]["lfp"]
        assert lfp.data.shape == (50, 3)
        assert client["general/extracellular_ephys/electrodes/id"].maxshape == (None,)


def test_pynwb_append_to_translated_remote_hdf5(tmp_path: Path, http_server: Any) -> None:
    """The amend use case: open a remote HDF5 NWB file as LINDI, add a container with pynwb,
    save a LINDI file holding the new data plus refs into the original."""
    nwb_path = http_server.root / "original.nwb"
    with pynwb.NWBHDF5IO(nwb_path, mode="w") as io:
        io.write(make_nwbfile())
    url = f"{http_server.url}/original.nwb"
    client = LindiH5pyFile.from_hdf5_file(url, mode="r+")
    with pynwb.NWBHDF5IO(file=client, mode="a") as io:
        nwbfile = io.read()
        nwbfile.add_analysis(
            pynwb.TimeSeries(name="added", data=np.arange(10.0), unit="s", rate=2.0)
        )
        io.write(nwbfile)
    output = tmp_path / "amended.nwb.lindi.json"
    client.write_lindi_file(output)
    client.close()
    document = output.read_text()
    assert url in document  # chunks of the original are referenced, not copied
    with (
        LindiH5pyFile.from_lindi_file(output) as reread,
        pynwb.NWBHDF5IO(file=reread, mode="r") as io,
    ):
        nwbfile = io.read()
        assert nwbfile.analysis["added"].data[:].tolist() == list(np.arange(10.0))
        assert nwbfile.acquisition["raw"].data.shape == (500, 3)
        assert nwbfile.trials["correct"][:].tolist() == [False, True, False]
        with pynwb.NWBHDF5IO(nwb_path, mode="r") as original_io:
            original = original_io.read()
            assert np.array_equal(
                nwbfile.acquisition["raw"].data[:], original.acquisition["raw"].data[:]
            )


def test_pynwb_append_to_lindi_file(tmp_path: Path) -> None:
    path = tmp_path / "appendable.nwb.lindi.tar"
    with (
        LindiH5pyFile.from_lindi_file(path, mode="w") as client,
        pynwb.NWBHDF5IO(file=client, mode="w") as io,
    ):
        io.write(make_nwbfile())
    with (
        LindiH5pyFile.from_lindi_file(path, mode="r+") as client,
        pynwb.NWBHDF5IO(file=client, mode="a") as io,
    ):
        nwbfile = io.read()
        nwbfile.add_trial(start_time=10.0, stop_time=11.0, correct=True)
        nwbfile.add_acquisition(pynwb.TimeSeries(name="late", data=np.ones(4), unit="V", rate=1.0))
        io.write(nwbfile)
    with (
        LindiH5pyFile.from_lindi_file(path) as client,
        pynwb.NWBHDF5IO(file=client, mode="r") as io,
    ):
        nwbfile = io.read()
        assert nwbfile.acquisition["late"].data[:].tolist() == [1.0, 1.0, 1.0, 1.0]
        assert len(nwbfile.units) == 3


def test_pynwb_export_hdf5_to_lindi(
    tmp_path: Path, hdf5_snapshot: dict[str, dict[str, Any]]
) -> None:
    source = tmp_path / "source.nwb"
    with pynwb.NWBHDF5IO(source, mode="w") as io:
        io.write(make_nwbfile())
    output = tmp_path / "exported.nwb.lindi.tar"
    with (
        pynwb.NWBHDF5IO(source, mode="r") as read_io,
        LindiH5pyFile.from_lindi_file(output, mode="w") as client,
        pynwb.NWBHDF5IO(file=client, mode="w") as export_io,
    ):
        export_io.export(src_io=read_io)
    with (
        LindiH5pyFile.from_lindi_file(output) as client,
        pynwb.NWBHDF5IO(file=client, mode="r") as io,
    ):
        assert snapshot(io.read()) == hdf5_snapshot
