"""The shared opener: link targets obey the chunk-ref policy (a file from a URL may reach local
files only with ``allow_local=True``), ``"w"`` replaces only what is ours, one writer at a
time."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hdmf.backends.warnings import BrokenLinkWarning
from pynwb import TimeSeries
from pynwb.testing.mock.file import mock_NWBFile

from hdmf_lindi import LindiH5pyFile, LindiIO, convert
from hdmf_lindi.errors import LindiLockedError, LindiSecurityError, LindiSourceError
from hdmf_lindi.opening import check_link_target, open_hierarchy, resolve_link_location
from hdmf_lindi.storage.store import LindiStore
from tests.helpers.http_server import ServedDirectory

SECRET = 4242


def _secret_files(tmp_path: Path) -> tuple[Path, Path]:
    """A local HDF5 file and a local .lindi.json, each with ``/d`` = [SECRET]."""
    directory = tmp_path / "private"
    directory.mkdir()
    h5 = directory / "secret.h5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("d", data=np.array([SECRET]))
    lindi = directory / "secret.lindi.json"
    with LindiH5pyFile.from_lindi_file(lindi, "w") as f:
        f.create_dataset("d", data=np.array([SECRET]))
    return h5, lindi


def _remote_document(server: ServedDirectory, name: str, refs: dict[str, Any]) -> str:
    document = {"version": 1, "refs": {".zgroup": {"zarr_format": 2}, **refs}}
    (server.root / name).write_text(json.dumps(document))
    return server.url_for(f"/{name}")


def _link_refs(target: str) -> dict[str, Any]:
    return {
        "ext/.zgroup": {"zarr_format": 2},
        "ext/.zattrs": {"_EXTERNAL_LINK": [target, "/d"]},
    }


# ---------------------------------------------------------------------- link policy
def test_resolve_link_location() -> None:
    assert resolve_link_location("https://h/a/x.json", "y.nwb") == "https://h/a/y.nwb"
    assert resolve_link_location("s3://b/a/x.json", "../y.nwb") == "s3://b/y.nwb"
    assert resolve_link_location("https://h/a/x.json", "/abs/y.nwb") == "/abs/y.nwb"
    assert resolve_link_location("https://h/x.json", "file:///abs/y.nwb") == "/abs/y.nwb"
    assert resolve_link_location("/l/x.json", "s3://b/y.nwb") == "s3://b/y.nwb"
    assert resolve_link_location("/l/x.json", "y.nwb") == "/l/y.nwb"


@pytest.mark.parametrize(
    ("base", "target"),
    [
        ("https://h/x.json", "/etc/passwd"),
        ("https://h/x.json", "file:///etc/passwd"),
        ("s3://b/x.json", "file://localhost/etc/passwd"),
    ],
)
def test_remote_base_may_not_link_to_local_files(base: str, target: str) -> None:
    with pytest.raises(LindiSecurityError, match="allow_local=True"):
        check_link_target(base, target)
    assert check_link_target(base, target, allow_local=True).endswith("/etc/passwd")


def test_explicit_allow_local_false_refuses_local_link_targets() -> None:
    for base in ("/l/x.lindi.json", "<reference file system>"):
        with pytest.raises(LindiSecurityError, match="allow_local"):
            check_link_target(base, "/etc/passwd", allow_local=False)
        with pytest.raises(LindiSecurityError, match="allow_local"):
            check_link_target(base, "y.nwb", allow_local=False)
        assert check_link_target(base, "https://h/y.nwb", allow_local=False) == "https://h/y.nwb"
        assert check_link_target(base, "/etc/passwd").endswith("/etc/passwd")


def test_reference_file_system_with_allow_local_false_does_not_open_a_local_link(
    tmp_path: Path,
) -> None:
    h5, _lindi = _secret_files(tmp_path)
    document = {"version": 1, "refs": {".zgroup": {"zarr_format": 2}, **_link_refs(str(h5))}}
    with (
        LindiH5pyFile.from_reference_file_system(document, allow_local=False) as f,
        pytest.raises(LindiSecurityError, match="refusing to open the local file"),
    ):
        f["ext"]
    with LindiH5pyFile.from_reference_file_system(document) as f:
        assert f["ext"][0] == SECRET


@pytest.mark.parametrize("scheme", ["path", "file-url"])
def test_remote_lindi_json_link_to_local_file(
    tmp_path: Path, http_server: ServedDirectory, scheme: str
) -> None:
    _h5, lindi = _secret_files(tmp_path)
    target = str(lindi) if scheme == "path" else f"file://{lindi}"
    url = _remote_document(http_server, "remote.lindi.json", _link_refs(target))
    with (
        LindiH5pyFile.from_lindi_file(url) as f,
        pytest.raises(LindiSecurityError, match="refusing to open the local file"),
    ):
        f["ext"]
    with LindiH5pyFile.from_lindi_file(url, allow_local=True) as f:
        assert f["ext"][0] == SECRET


def test_remote_lindi_json_relative_link_stays_remote(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    with LindiH5pyFile.from_lindi_file(http_server.root / "other.lindi.json", "w") as f:
        f.create_dataset("d", data=np.array([7]))
    (tmp_path / "other.lindi.json").write_text("{}")  # a local file of that name is not used
    url = _remote_document(http_server, "remote.lindi.json", _link_refs("other.lindi.json"))
    with LindiH5pyFile.from_lindi_file(url) as f:
        assert f["ext"][0] == 7
    assert http_server.requests_for("/other.lindi.json")


def test_chain_remote_to_remote_to_local_is_refused(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    _h5, lindi = _secret_files(tmp_path)
    _remote_document(http_server, "middle.lindi.json", _link_refs(str(lindi)))
    local_top = tmp_path / "top.lindi.json"
    local_top.write_text(
        json.dumps(
            {
                "version": 1,
                "refs": {
                    ".zgroup": {"zarr_format": 2},
                    "ext/.zgroup": {"zarr_format": 2},
                    "ext/.zattrs": {
                        "_EXTERNAL_LINK": [http_server.url_for("/middle.lindi.json"), "/ext"]
                    },
                },
            }
        )
    )
    with LindiH5pyFile.from_lindi_file(local_top) as f, pytest.raises(LindiSecurityError):
        f["ext"]


def test_lindi_io_follows_the_policy(tmp_path: Path, http_server: ServedDirectory) -> None:
    _h5, lindi = _secret_files(tmp_path)
    url = _remote_document(http_server, "remote.lindi.json", _link_refs(str(lindi)))
    # LindiIO reads a link it may not follow as a broken one (a warning, no link)
    with LindiIO(url, "r", load_namespaces=False) as io:
        with pytest.warns(BrokenLinkWarning, match="refusing to open the local file"):
            builder = io.read_builder()
        assert "ext" not in builder.links
    with LindiIO(url, "r", load_namespaces=False, allow_local=True) as io:
        builder = io.read_builder()
        assert builder.links["ext"].builder.data[0] == SECRET


def _remote_hdf5(server: ServedDirectory, target: str, name: str = "remote.h5") -> str:
    with h5py.File(server.root / name, "w") as f:
        f["ext"] = h5py.ExternalLink(target, "/d")
    return server.url_for(f"/{name}")


def test_remote_hdf5_external_link_to_local_file(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    h5, _lindi = _secret_files(tmp_path)
    url = _remote_hdf5(http_server, str(h5))
    with LindiH5pyFile.from_hdf5_file(url) as f, pytest.raises(LindiSecurityError):
        f["ext"]
    with LindiH5pyFile.from_hdf5_file(url, allow_local=True) as f:
        assert f["ext"][0] == SECRET
    with (
        LindiIO(url, "r", load_namespaces=False) as io,
        pytest.warns(BrokenLinkWarning, match="refusing to open the local file"),
    ):
        assert "ext" not in io.read_builder().links


def test_convert_of_a_remote_file_with_a_local_link(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    h5, _lindi = _secret_files(tmp_path)
    url = _remote_hdf5(http_server, str(h5))
    dest = tmp_path / "out.lindi.json"
    with pytest.raises(LindiSecurityError, match=r"/ext: .*refusing to open the local file"):
        convert(url, dest)
    assert not dest.exists()
    convert(url, dest, allow_local=True)
    with LindiH5pyFile.from_lindi_file(dest) as f:
        assert f["ext"][0] == SECRET


def test_convert_of_a_remote_file_makes_relative_links_absolute_urls(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    url = _remote_hdf5(http_server, "sibling.h5")
    with h5py.File(http_server.root / "sibling.h5", "w") as f:
        f.create_dataset("d", data=np.array([5]))
    with h5py.File(tmp_path / "sibling.h5", "w") as f:  # beside the output: must not be read
        f.create_dataset("d", data=np.array([SECRET]))
    dest = tmp_path / "out.lindi.json"
    convert(url, dest)
    refs = json.loads(dest.read_text())["refs"]
    assert refs["ext/.zattrs"]["_EXTERNAL_LINK"] == [http_server.url_for("/sibling.h5"), "/d"]
    with LindiH5pyFile.from_lindi_file(dest) as f:
        assert f["ext"][0] == 5


@pytest.mark.parametrize("route", ["external-link", "soft-to-external", "virtual"])
def test_external_array_link_never_opens_local_files_for_a_remote_file(
    tmp_path: Path, http_server: ServedDirectory, route: str
) -> None:
    h5, _lindi = _secret_files(tmp_path)
    with h5py.File(http_server.root / "arrays.h5", "w") as f:
        f["viaext"] = h5py.ExternalLink(str(h5), "/d")
        f["soft"] = h5py.SoftLink("/viaext")
        layout = h5py.VirtualLayout(shape=(1,), dtype="i8")
        layout[:] = h5py.VirtualSource(str(h5), "d", shape=(1,))
        f.create_virtual_dataset("virtual", layout)
    name = {"external-link": "/viaext", "soft-to-external": "/soft", "virtual": "/virtual"}[route]
    zarray = {
        "chunks": [1],
        "compressor": None,
        "dtype": "<i8",
        "fill_value": 0,
        "filters": None,
        "order": "C",
        "shape": [1],
        "zarr_format": 2,
    }
    link = {"link_type": "hdf5_dataset", "url": http_server.url_for("/arrays.h5"), "name": name}
    url = _remote_document(
        http_server,
        "arrays.lindi.json",
        {"a/.zarray": zarray, "a/.zattrs": {"_EXTERNAL_ARRAY_LINK": link}},
    )
    with LindiH5pyFile.from_lindi_file(url) as f, pytest.raises(LindiSecurityError):
        f["a"][:]


# ---------------------------------------------------------------------- "w" and writers
@pytest.mark.parametrize("opener", ["h5py", "io", "store"])
def test_w_refuses_to_replace_a_user_directory(tmp_path: Path, opener: str) -> None:
    user = tmp_path / "results.lindi.d"
    user.mkdir()
    (user / "data.csv").write_text("1,2,3")
    with pytest.raises(LindiSourceError, match=r"not a \.lindi\.d"):
        if opener == "h5py":
            LindiH5pyFile.from_lindi_file(user, mode="w")
        elif opener == "io":
            LindiIO(user, "w")
        else:
            LindiStore.open(user, "w")
    assert (user / "data.csv").read_text() == "1,2,3"
    assert sorted(os.listdir(tmp_path)) == ["results.lindi.d"]


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar"])
def test_w_refuses_to_replace_a_directory_by_a_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).mkdir()
    (tmp_path / name / "lindi.json").write_text("{}")
    with pytest.raises(LindiSourceError, match="is a directory"):
        LindiH5pyFile.from_lindi_file(tmp_path / name, mode="w")
    assert (tmp_path / name / "lindi.json").read_text() == "{}"


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar", "x.lindi.d"])
def test_w_replaces_our_own_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.attrs["v"] = 1
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.attrs["v"] = 2
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert f.attrs["v"] == 2
    assert sorted(os.listdir(tmp_path)) == [name]


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar", "x.lindi.d"])
@pytest.mark.parametrize("second", ["r+", "a", "w", "x"])
def test_second_writer_is_refused(tmp_path: Path, name: str, second: str) -> None:
    path = tmp_path / name
    LindiH5pyFile.from_lindi_file(path, mode="w").close()
    first = open_hierarchy(path, "r+")
    try:
        expected = LindiSourceError if second == "x" else LindiLockedError
        with pytest.raises(expected):
            open_hierarchy(path, second)  # type: ignore[arg-type]
        open_hierarchy(path, "r").close()
    finally:
        first.close()
    open_hierarchy(path, "r+").close()


def test_creating_writer_holds_the_lock_until_committed(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.tar"
    creating = open_hierarchy(path, "w")
    with pytest.raises(LindiLockedError):
        open_hierarchy(path, "w")
    with pytest.raises(LindiLockedError):
        LindiStore.open(path, "r+")
    creating.close()
    open_hierarchy(path, "r+").close()


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar"])
def test_convert_and_store_refuse_to_replace_a_directory_by_a_file(
    tmp_path: Path, name: str
) -> None:
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as f:
        f.create_dataset("d", data=[1])
    (tmp_path / name).mkdir()
    (tmp_path / name / "keep.txt").write_text("keep")
    with pytest.raises(LindiSourceError, match="is a directory"):
        convert(source, tmp_path / name)
    with pytest.raises(LindiSourceError, match="is a directory"):
        LindiStore.open(tmp_path / name, "w")
    assert (tmp_path / name / "keep.txt").read_text() == "keep"


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.json"])
def test_remote_lindi_file_without_a_suffix(
    tmp_path: Path, http_server: ServedDirectory, suffix: str
) -> None:
    """A DANDI asset's download URL names no suffix: the first bytes tell a tar from JSON."""
    nwbfile = mock_NWBFile()
    values = np.arange(5000.0)
    nwbfile.add_acquisition(TimeSeries(name="ts", data=values, unit="m", rate=1.0))
    written = tmp_path / f"written{suffix}"
    with LindiIO(written, "w") as io:
        io.write(nwbfile)
    shutil.copyfile(written, http_server.root / "download")
    url = f"{http_server.url}/download"
    with LindiIO(url) as io:
        np.testing.assert_array_equal(io.read().acquisition["ts"].data[:], values)
    with LindiH5pyFile.from_lindi_file(url) as f:
        np.testing.assert_array_equal(f["acquisition/ts/data"][:], values)


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.json"])
@pytest.mark.parametrize("container_kind", ["json", "tar", "directory"])
def test_container_kind_is_ignored_for_an_existing_local_file(
    tmp_path: Path, suffix: str, container_kind: Any
) -> None:
    written = tmp_path / f"written{suffix}"
    with LindiH5pyFile.from_lindi_file(written, "w") as f:
        f.create_dataset("d", data=np.array([7]))
    plain = tmp_path / "plain"  # no suffix: the content decides
    shutil.copyfile(written, plain)
    for path in (written, plain):
        for mode in ("r", "r+", "a"):
            opened = open_hierarchy(path, mode, container_kind=container_kind)  # type: ignore[arg-type]
            try:
                assert opened.hierarchy.read("/d")[0] == 7
            finally:
                opened.close()
