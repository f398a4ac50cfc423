"""Plain Zarr v3 stores written by NWBZarrIO read by LindiIO / LindiH5pyFile, and NWB files
written in the unified Zarr v3 flavour by LindiIO / LindiH5pyFile, read back by LindiIO and by
NWBZarrIO; every container field is compared with what NWBHDF5IO reads."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import fsspec
import pynwb
import pytest
import zarr
from hdmf_zarr.nwb import NWBZarrIO

from hdmf_lindi.cli.main import main as cli_main
from hdmf_lindi.errors import LindiReadOnlyError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiIO
from hdmf_lindi.storage.store import DEFAULT_INLINE_THRESHOLD
from tests.conventions.nwb_rich import assert_same, snapshot
from tests.h5py_compat.nwb_content import make_nwbfile

V3 = "unified-zarr-v3"


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """What NWBHDF5IO reads back from ``make_nwbfile()`` written to HDF5."""
    path = tmp_path_factory.mktemp("h5") / "reference.nwb"
    with pynwb.NWBHDF5IO(path, "w") as io:
        io.write(make_nwbfile())
    with pynwb.NWBHDF5IO(path, "r") as io:
        return snapshot(io.read())


@pytest.fixture(scope="module")
def zarr_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make_nwbfile()`` written by hdmf-zarr 0.14's NWBZarrIO."""
    path = tmp_path_factory.mktemp("zarr") / "written.nwb.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBZarrIO(str(path), "w") as io:
            io.write(make_nwbfile())
    return path


def test_nwbzarrio_directory_read_by_lindiio(
    zarr_dir: Path, expected: dict[str, dict[str, Any]]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBZarrIO(str(zarr_dir), "r") as io:
            assert_same(snapshot(io.read()), expected)  # the baseline: NWBZarrIO itself
    with LindiIO(str(zarr_dir), "r") as io:
        assert io.hierarchy.conventions.name == V3
        assert io.hierarchy.store.read_only
        assert_same(snapshot(io.read()), expected)
    with pytest.raises(LindiReadOnlyError, match="read-only"):
        LindiIO(str(zarr_dir), "r+")


@pytest.mark.parametrize("as_local_store", [False, True])
def test_nwbzarrio_directory_through_h5py_view(
    zarr_dir: Path, expected: dict[str, dict[str, Any]], as_local_store: bool
) -> None:
    source: Any = zarr.storage.LocalStore(zarr_dir, read_only=True) if as_local_store else zarr_dir
    client = LindiH5pyFile.from_zarr_store(source)
    with client, pynwb.NWBHDF5IO(file=client, mode="r") as io:
        assert_same(snapshot(io.read()), expected)
        assert client["acquisition/raw/data"].shape == (500, 3)
        assert client.get("acquisition/shares_timestamps/timestamps", getlink=True).path == (
            "/acquisition/with_timestamps/timestamps"
        )


@pytest.mark.parametrize("dest_conventions", ["lindi-v1", V3])
def test_cli_convert_and_info_of_zarr_directory(
    zarr_dir: Path,
    expected: dict[str, dict[str, Any]],
    tmp_path: Path,
    dest_conventions: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dest = tmp_path / "from-zarr.nwb.lindi.tar"
    args = ["convert", str(zarr_dir), str(dest), "--conventions", dest_conventions, "-q"]
    assert cli_main(args) == 0
    with LindiIO(str(dest), "r") as io:
        assert io.hierarchy.conventions.name == dest_conventions
        assert_same(snapshot(io.read()), expected)
    assert cli_main(["info", str(zarr_dir)]) == 0
    out = capsys.readouterr().out
    assert "(Zarr" in out and "raw/" in out and "shape (500, 3)" in out


@pytest.mark.parametrize("suffix", [".nwb.lindi.json", ".nwb.lindi.tar", ".nwb.lindi.d"])
def test_lindiio_writes_v3(
    suffix: str, tmp_path: Path, expected: dict[str, dict[str, Any]]
) -> None:
    path = tmp_path / f"written{suffix}"
    threshold = None if suffix.endswith(".json") else DEFAULT_INLINE_THRESHOLD
    with LindiIO(str(path), "w", conventions=V3, inline_threshold=threshold) as io:
        io.write(make_nwbfile())
    with LindiIO(str(path), "r") as io:
        assert io.hierarchy.conventions.name == V3
        assert_same(snapshot(io.read()), expected)
    if suffix.endswith(".json"):
        document = json.loads(path.read_text())
        assert "zarr.json" in document["refs"] and ".zgroup" not in document["refs"]
        fs = fsspec.filesystem("reference", fo=document, asynchronous=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store = zarr.storage.FsspecStore(fs, read_only=True, path="")
            with NWBZarrIO(store, mode="r") as io:
                assert_same(snapshot(io.read()), expected)


def test_h5py_view_writes_v3(tmp_path: Path, expected: dict[str, dict[str, Any]]) -> None:
    path = tmp_path / "h5py.nwb.lindi.tar"
    with (
        LindiH5pyFile.from_lindi_file(path, mode="w", conventions=V3) as client,
        pynwb.NWBHDF5IO(file=client, mode="w") as io,
    ):
        io.write(make_nwbfile())
    with (
        LindiH5pyFile.from_lindi_file(path) as client,
        pynwb.NWBHDF5IO(file=client, mode="r") as io,
    ):
        assert client._hierarchy_object is not None
        assert client._hierarchy_object.conventions.name == V3
        assert_same(snapshot(io.read()), expected)


def test_append_to_v3_file(tmp_path: Path) -> None:
    path = tmp_path / "appendable.nwb.lindi.tar"
    with (
        LindiH5pyFile.from_lindi_file(path, mode="w", conventions=V3) as client,
        pynwb.NWBHDF5IO(file=client, mode="w") as io,
    ):
        io.write(make_nwbfile())
    with (
        LindiH5pyFile.from_lindi_file(path, mode="r+") as client,
        pynwb.NWBHDF5IO(file=client, mode="a") as io,
    ):
        nwbfile = io.read()
        nwbfile.add_trial(start_time=10.0, stop_time=11.0, correct=True)
        nwbfile.add_acquisition(pynwb.TimeSeries(name="late", data=[1.0, 2.0], unit="V", rate=1.0))
        io.write(nwbfile)
    with LindiIO(str(path), "r") as io:
        assert io.hierarchy.conventions.name == V3
        nwbfile = io.read()
        assert nwbfile.trials["correct"][:].tolist() == [False, True, False, True]
        assert nwbfile.acquisition["late"].data[:].tolist() == [1.0, 2.0]


def test_zip_of_nwbzarrio_store(
    zarr_dir: Path,
    expected: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """zarr's ZipStore layout (members named by their keys, stored uncompressed): read in
    place by byte ranges; a deflated member is read whole."""
    import zipfile

    from hdmf_lindi.storage.reference_map import InlineRef, UrlRef
    from hdmf_lindi.storage.zarr_directory import load_zarr_zip

    archive = tmp_path / "written.nwb.zarr.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(zarr_dir.rglob("*")):
            if file.is_file():
                name = file.relative_to(zarr_dir).as_posix()
                deflate = name == "acquisition/raw/data/c/0/0"
                out.write(file, name, zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
    meta = load_zarr_zip(archive)
    ref = meta.resolve("acquisition/with_timestamps/data/c/0")
    assert isinstance(ref, UrlRef) and ref.url == str(archive)
    assert isinstance(meta.resolve("acquisition/raw/data/c/0/0"), InlineRef)
    with LindiIO(str(archive), "r") as io:
        assert_same(snapshot(io.read()), expected)
    assert cli_main(["info", str(archive)]) == 0
    assert "Zarr v3 zip" in capsys.readouterr().out
    dest = tmp_path / "from-zip.nwb.lindi.json"
    assert cli_main(["convert", str(archive), str(dest), "--conventions", V3, "-q"]) == 0
    with LindiIO(str(dest), "r") as io:
        assert_same(snapshot(io.read()), expected)
