"""Every example of the original lindi README, as written, with ``import hdmf_lindi as lindi``
and the DANDI URLs replaced by files served on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pynwb
import pytest

import hdmf_lindi as lindi
from tests.h5py_compat.nwb_content import make_nwbfile
from tests.helpers.http_server import ServedDirectory


@pytest.fixture
def served_nwb(http_server: ServedDirectory) -> str:
    """The URL of an NWB (HDF5) file served on 127.0.0.1."""
    path = http_server.root / "asset.nwb"
    with pynwb.NWBHDF5IO(path, mode="w") as io:
        io.write(make_nwbfile())
    return f"{http_server.url}/asset.nwb"


@pytest.fixture
def served_lindi_json(http_server: ServedDirectory, served_nwb: str, tmp_path: Path) -> str:
    """The URL of a .nwb.lindi.json (chunks referenced in the served NWB file)."""
    client = lindi.LindiH5pyFile.from_hdf5_file(served_nwb)
    rfs = client.to_reference_file_system()
    client.close()
    (http_server.root / "zarr.json").write_text(json.dumps(rfs))
    return f"{http_server.url}/zarr.json"


def test_lazy_load_remote_hdf5(
    served_nwb: str, http_server: ServedDirectory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    h5_url = served_nwb

    def read_once() -> tuple[str, int]:
        before = len(http_server.requests)
        local_cache = lindi.LocalCache(cache_dir="lindi_cache")
        client = lindi.LindiH5pyFile.from_hdf5_file(h5_url, local_cache=local_cache)
        with pynwb.NWBHDF5IO(file=client, mode="r") as io:
            nwbfile = io.read()
            text = str(nwbfile).split("\n", 1)[1]  # after the line with the memory address
            values = nwbfile.acquisition["raw"].data[:10, 1]
            assert values.shape == (10,)
        return text, len(http_server.requests) - before

    first_text, first_requests = read_once()
    assert "round trip" in first_text
    assert first_requests > 0
    second_text, second_requests = read_once()
    assert second_text == first_text
    assert second_requests < first_requests  # the downloaded data was cached locally


def test_represent_remote_hdf5_as_lindi_json(
    served_nwb: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    h5_url = served_nwb
    client = lindi.LindiH5pyFile.from_hdf5_file(h5_url)
    rfs = client.to_reference_file_system()
    with open("example.lindi.json", "w") as f:
        json.dump(rfs, f, indent=2)

    saved = json.loads((tmp_path / "example.lindi.json").read_text())
    assert saved["version"] == 1
    assert any(h5_url in v for v in saved.get("templates", {}).values()) or any(
        isinstance(v, list) and v[0] == h5_url for v in saved["refs"].values()
    )
    with (
        lindi.LindiH5pyFile.from_lindi_file("example.lindi.json") as reread,
        pynwb.NWBHDF5IO(file=reread, mode="r") as io,
    ):
        assert io.read().identifier == "lindi-roundtrip"


def test_read_remote_lindi_json_with_pynwb(served_lindi_json: str) -> None:
    url = served_lindi_json
    client = lindi.LindiH5pyFile.from_lindi_file(url)
    with pynwb.NWBHDF5IO(file=client, mode="r") as io:
        nwbfile = io.read()
        print(nwbfile)
        assert nwbfile.session_description == "round trip"
        assert nwbfile.units["spike_times"][2].shape == (12,)


def test_edit_remote_lindi_json(
    served_lindi_json: str,
    http_server: ServedDirectory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    original = (http_server.root / "zarr.json").read_bytes()
    url = served_lindi_json
    client = lindi.LindiH5pyFile.from_reference_file_system(url, mode="r+")
    client.attrs["new_attribute"] = "new_value"
    rfs_new = client.to_reference_file_system()
    with open("new.nwb.lindi.json", "w") as f:
        f.write(json.dumps(rfs_new, indent=2, sort_keys=True))

    assert (http_server.root / "zarr.json").read_bytes() == original
    with (
        lindi.LindiH5pyFile.from_lindi_file("new.nwb.lindi.json") as reread,
        pynwb.NWBHDF5IO(file=reread, mode="r") as io,
    ):
        assert reread.attrs["new_attribute"] == "new_value"
        assert io.read().identifier == "lindi-roundtrip"


def test_add_datasets_with_a_staging_area(
    served_lindi_json: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = served_lindi_json
    added = np.linspace(0, 1, 5000)
    with lindi.StagingArea.create(base_dir="lindi_staging") as staging_area:
        client = lindi.LindiH5pyFile.from_lindi_file(url, mode="r+", staging_area=staging_area)
        # add datasets to client using pynwb or other tools
        with pynwb.NWBHDF5IO(file=client, mode="a") as io:
            nwbfile = io.read()
            nwbfile.add_acquisition(
                pynwb.TimeSeries(name="staged", data=added, unit="V", rate=10.0)
            )
            io.write(nwbfile)
        staged = staging_area.staged_files()
        assert staged, "the large new chunks went to the staging area"
        assert sum(f.size for f in staged) >= added.nbytes // 4
        client.write_lindi_file("with_staged.nwb.lindi.json")
        with (
            lindi.LindiH5pyFile.from_lindi_file("with_staged.nwb.lindi.json") as reread,
            pynwb.NWBHDF5IO(file=reread, mode="r") as io,
        ):
            nwbfile = io.read()
            assert np.array_equal(nwbfile.acquisition["staged"].data[:], added)
            assert nwbfile.acquisition["raw"].data.shape == (500, 3)
