"""``hdmf_lindi.neuroconv``: neuroconv's ``backend="lindi"`` for new files, appends and
configured writes."""

from __future__ import annotations

import importlib.util

import pytest

if importlib.util.find_spec("neuroconv") is None:
    pytest.skip(
        "neuroconv is tested in its own environment: bash .ci/neuroconv", allow_module_level=True
    )

import time
from pathlib import Path

import numpy as np
from neuroconv.tools.nwb_helpers import (
    BACKEND_CONFIGURATIONS,
    BACKEND_NWB_IO,
    DATASET_IO_CONFIGURATIONS,
    configure_and_write_nwbfile,
    get_default_backend_configuration,
)
from neuroconv.tools.nwb_helpers._metadata_and_file_helpers import (
    _fetch_backend_from_nwbfile_on_disk,
)
from neuroconv.tools.testing.mock_interfaces import MockTimeSeriesInterface
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.testing.mock.file import mock_NWBFile

from hdmf_lindi import neuroconv as lindi_neuroconv
from hdmf_lindi.io import LindiIO
from hdmf_lindi.storage.store import LindiStore

SUFFIXES = [".nwb.lindi.tar", ".nwb.lindi.d"]


@pytest.fixture(autouse=True)
def registered() -> None:
    lindi_neuroconv.register()


def _zarray(path: Path, key: str) -> dict:
    store = LindiStore.open(str(path), mode="r")
    try:
        return store.reference_map.get_json(key)
    finally:
        store.close()


def _data_refs(path: Path) -> dict:
    store = LindiStore.open(str(path), mode="r")
    try:
        refs = store.reference_map
        return {k: refs.get_raw(k) for k in refs if k.startswith("acquisition/signal/data/")}
    finally:
        store.close()


def _nwbfile_with_series(values: np.ndarray):
    nwbfile = mock_NWBFile()
    nwbfile.add_acquisition(TimeSeries(name="signal", data=values, unit="V", rate=1000.0))
    return nwbfile


def test_register_adds_lindi_to_every_registry_once() -> None:
    lindi_neuroconv.register()
    assert BACKEND_NWB_IO["lindi"] is lindi_neuroconv.NeuroconvLindiIO
    assert BACKEND_CONFIGURATIONS["lindi"].backend == "lindi"
    assert "lindi" in DATASET_IO_CONFIGURATIONS


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_configure_and_write_new_file(tmp_path: Path, suffix: str) -> None:
    values = np.random.default_rng(0).normal(size=(50_000, 3))
    path = tmp_path / f"new{suffix}"
    configure_and_write_nwbfile(_nwbfile_with_series(values), nwbfile_path=path, backend="lindi")
    with LindiIO(path) as io:
        np.testing.assert_array_equal(io.read().acquisition["signal"].data[:], values)
    zarray = _zarray(path, "acquisition/signal/data/.zarray")
    assert zarray["compressor"]["id"] == "gzip"  # neuroconv's default for Zarr-like backends


def test_apply_global_compression(tmp_path: Path) -> None:
    values = np.arange(200_000, dtype="int32").reshape(-1, 4)
    nwbfile = _nwbfile_with_series(values)
    configuration = get_default_backend_configuration(nwbfile, backend="lindi")
    configuration.apply_global_compression(["blosc"], [{"cname": "zstd", "clevel": 5}])
    path = tmp_path / "blosc.nwb.lindi.tar"
    configure_and_write_nwbfile(nwbfile, nwbfile_path=path, backend_configuration=configuration)
    compressor = _zarray(path, "acquisition/signal/data/.zarray")["compressor"]
    assert (compressor["id"], compressor["cname"], compressor["clevel"]) == ("blosc", "zstd", 5)
    with LindiIO(path) as io:
        np.testing.assert_array_equal(io.read().acquisition["signal"].data[:], values)
    with pytest.raises(ValueError, match="not available"):
        configuration.apply_global_compression(["no-such-codec"])


def test_only_lindi_claims_a_lindi_file(tmp_path: Path) -> None:
    nwb_path = tmp_path / "plain.nwb"
    with NWBHDF5IO(nwb_path, "w") as io:
        io.write(mock_NWBFile())
    lindi_path = tmp_path / "plain.nwb.lindi.tar"
    configure_and_write_nwbfile(mock_NWBFile(), nwbfile_path=lindi_path, backend="lindi")
    assert _fetch_backend_from_nwbfile_on_disk(nwbfile_path=nwb_path) == "hdf5"
    assert _fetch_backend_from_nwbfile_on_disk(nwbfile_path=lindi_path) == "lindi"


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_append_keeps_written_datasets_and_adds_new_ones(tmp_path: Path, suffix: str) -> None:
    big = np.random.default_rng(1).normal(size=1_000_000)
    path = tmp_path / f"append{suffix}"
    configure_and_write_nwbfile(_nwbfile_with_series(big), nwbfile_path=path, backend="lindi")
    before = _data_refs(path)

    interface = MockTimeSeriesInterface(num_channels=2, duration=0.5)
    metadata = interface.get_metadata()
    start = time.perf_counter()
    interface.run_conversion(
        nwbfile_path=path, metadata=metadata, append_on_disk_nwbfile=True, backend="lindi"
    )
    # the 1M-float dataset already in the file is recognised as written, not read and rewritten
    assert time.perf_counter() - start < 60
    assert _data_refs(path) == before
    with LindiIO(path) as io:
        nwbfile = io.read()
        np.testing.assert_array_equal(nwbfile.acquisition["signal"].data[:], big)
        added = nwbfile.acquisition["TimeSeries"].data
        assert added.shape == (15_000, 2)


def test_written_lindi_datasets_are_not_reconfigured(tmp_path: Path) -> None:
    """Without the hook neuroconv wraps every written dataset in a DataChunkIterator (which reads
    a buffer of it element by element) and sets new I/O settings that hdmf cannot apply."""
    path = tmp_path / "configured.nwb.lindi.tar"
    configure_and_write_nwbfile(
        _nwbfile_with_series(np.arange(1000.0)), nwbfile_path=path, backend="lindi"
    )
    with lindi_neuroconv.NeuroconvLindiIO(path, "r+") as io:
        nwbfile = io.read()
        nwbfile.add_acquisition(TimeSeries(name="new", data=np.arange(5.0), unit="V", rate=1.0))
        configuration = get_default_backend_configuration(nwbfile, backend="lindi")
        located = {c.location_in_file for c in configuration.dataset_configurations.values()}
    assert located == {"acquisition/new/data"}
