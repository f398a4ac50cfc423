"""Download / materialize remote LINDI files (served by the project's HTTP test server)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from hdmf_lindi.cli.main import main as cli_main
from hdmf_lindi.errors import LindiSourceError, LindiUnsupportedError
from hdmf_lindi.hdf5 import convert
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import LindiStore
from hdmf_lindi.transfer.download import download
from tests.helpers.http_server import ServedDirectory
from tests.helpers.s3_server import S3Bucket
from tests.transfer.conftest import check_sample, expected_series, write_sample


def _url_refs(document: ReferenceMap) -> list[str]:
    urls = []
    for key in document:
        value = document.get_raw(key)
        if isinstance(value, list) and value and isinstance(value[0], str):
            urls.append(value[0])
    return urls


def _served_lindi_d(http_server: ServedDirectory, series: int = 3) -> str:
    write_sample(http_server.root / "x.nwb.lindi.d", series=series)
    return http_server.url_for("/x.nwb.lindi.d")


def _blob_gets(http_server: ServedDirectory) -> list[str]:
    return [
        r.path
        for r in http_server.requests
        if r.method == "GET" and "/blobs/" in r.path and r.status in (200, 206)
    ]


def test_lindi_d_to_self_contained_tar(tmp_path: Path, http_server: ServedDirectory) -> None:
    url = _served_lindi_d(http_server)
    dest = tmp_path / "copy.nwb.lindi.tar"
    result = download(url, dest, progress=False)
    assert result.chunks >= 12 and result.packs_fetched == result.packs
    assert not (tmp_path / "copy.nwb.lindi.tar.download").exists()
    store = LindiStore.open(str(dest))
    try:
        assert all(u.startswith("./blobs/") for u in _url_refs(store.reference_map))
    finally:
        store.close()
    shutil.rmtree(http_server.root / "x.nwb.lindi.d")  # self-contained: no remote left
    check_sample(str(dest), series=3)


def test_converted_remote_nwb_to_lindi_d(tmp_path: Path, http_server: ServedDirectory) -> None:
    """A .lindi.json whose refs point into a remote .nwb: every chunk is fetched."""
    local_json = tmp_path / "src.nwb.lindi.json"
    write_sample(local_json, staging_dir=tmp_path / "staging", series=2)
    from hdmf_lindi.io import LindiIO

    nwb = http_server.root / "x.nwb"
    with LindiIO(str(local_json)) as source, NWBHDF5IO(str(nwb), "w") as out:
        out.export(src_io=source, write_args={"link_data": False})
    convert(http_server.url_for("/x.nwb"), tmp_path / "remote.nwb.lindi.json", inline_threshold=0)
    remote_json = json.loads((tmp_path / "remote.nwb.lindi.json").read_text())
    assert any(isinstance(v, list) for v in remote_json["refs"].values())
    (http_server.root / "remote.nwb.lindi.json").write_text(json.dumps(remote_json))
    dest = tmp_path / "local.nwb.lindi.d"
    download(http_server.url_for("/remote.nwb.lindi.json"), dest, progress=False)
    nwb.unlink()
    check_sample(str(dest), series=2)


def test_interrupted_download_resumes(tmp_path: Path, http_server: ServedDirectory) -> None:
    url = _served_lindi_d(http_server, series=4)
    blobs = sorted(
        "/" + str(p.relative_to(http_server.root))
        for p in (http_server.root / "x.nwb.lindi.d" / "blobs").rglob("*")
        if p.is_file()
    )
    assert len(blobs) == 4
    http_server.fail(blobs[2], 404)
    dest = tmp_path / "copy.nwb.lindi.tar"
    with pytest.raises(LindiSourceError, match="404"):
        download(url, dest, concurrency=1, progress=False)
    assert not dest.exists()
    first = set(_blob_gets(http_server))
    assert first and blobs[2] not in first
    http_server.clear_faults()
    http_server.requests.clear()
    result = download(url, dest, concurrency=1, progress=False)
    second = set(_blob_gets(http_server))
    assert blobs[2] in second
    assert not first & second  # what the first run stored is not fetched again
    assert first | second == set(blobs)
    assert result.packs_fetched == len(second) < result.packs
    check_sample(str(dest), series=4)


def test_json_with_mirror_and_document_only(tmp_path: Path, http_server: ServedDirectory) -> None:
    url = _served_lindi_d(http_server, series=2)
    mirror = tmp_path / "mirror"
    dest = tmp_path / "m.nwb.lindi.json"
    result = download(url, dest, mirror=mirror, progress=False)
    document = ReferenceMap.load(dest)
    assert all(u.startswith(str(mirror)) for u in _url_refs(document))
    assert result.packs == len(list(mirror.glob("pack-*.json")))
    check_sample(str(dest), series=2)
    # without a mirror: refs re-pointed at the original's absolute URLs
    only = tmp_path / "only.nwb.lindi.json"
    download(url, only, progress=False)
    urls = _url_refs(ReferenceMap.load(only))
    assert urls and all(u.startswith(http_server.url + "/x.nwb.lindi.d/blobs/") for u in urls)
    check_sample(str(only), series=2)


def test_tar_members_need_a_mirror_for_json(tmp_path: Path, http_server: ServedDirectory) -> None:
    write_sample(http_server.root / "x.nwb.lindi.tar", series=1)
    url = http_server.url_for("/x.nwb.lindi.tar")
    with pytest.raises(LindiUnsupportedError, match="mirror"):
        download(url, tmp_path / "x.nwb.lindi.json", progress=False)
    download(url, tmp_path / "x.nwb.lindi.d", progress=False)
    check_sample(str(tmp_path / "x.nwb.lindi.d"), series=1)
    with pytest.raises(LindiUnsupportedError, match="unknown destination"):
        download(url, tmp_path / "x.zip", progress=False)


def test_export_to_nwb(tmp_path: Path, http_server: ServedDirectory) -> None:
    url = _served_lindi_d(http_server, series=2)
    dest = tmp_path / "x.nwb"
    download(url, dest, progress=False)
    with NWBHDF5IO(str(dest), "r") as io:
        nwbfile = io.read()
        for index in range(2):
            np.testing.assert_array_equal(
                nwbfile.acquisition[f"ts{index}"].data[:], expected_series(index)
            )


def test_cli_download(
    tmp_path: Path, http_server: ServedDirectory, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _served_lindi_d(http_server, series=1)
    dest = tmp_path / "c.nwb.lindi.tar"
    assert cli_main(["download", url, str(dest), "-q"]) == 0
    out: Any = capsys.readouterr().out
    assert str(dest) in out
    check_sample(str(dest), series=1)
    assert cli_main(["download", http_server.url_for("/missing.lindi.json"), str(dest)]) == 1
    assert "missing.lindi.json" in capsys.readouterr().err
    assert os.path.exists(dest)


def test_destination_that_is_not_ours_is_refused(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    """A directory of other files at DEST is never removed: refused before any fetch."""
    url = _served_lindi_d(http_server, series=1)
    for name in ("results.lindi.d", "results.lindi.tar", "results.lindi.json"):
        dest = tmp_path / name
        dest.mkdir()
        (dest / "keep.txt").write_text("mine")
        http_server.requests.clear()
        with pytest.raises(LindiSourceError, match="refusing"):
            download(url, dest, progress=False)
        assert (dest / "keep.txt").read_text() == "mine"
        assert not _blob_gets(http_server)
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    # a work directory of the same name that is not ours is not removed either
    work = tmp_path / "w.lindi.tar.download"
    work.mkdir()
    (work / "keep.txt").write_text("mine")
    with pytest.raises(LindiSourceError, match="not made by a download"):
        download(url, tmp_path / "w.lindi.tar", progress=False)
    assert (work / "keep.txt").read_text() == "mine"


def test_existing_lindi_d_is_replaced(tmp_path: Path, http_server: ServedDirectory) -> None:
    url = _served_lindi_d(http_server, series=2)
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "copy.nwb.lindi.d"
    write_sample(dest, series=1)
    download(url, dest, progress=False)
    check_sample(str(dest), series=2)
    assert sorted(p.name for p in out.iterdir()) == ["copy.nwb.lindi.d"]


def test_external_array_links_are_refused_for_self_contained_kinds(tmp_path: Path) -> None:
    """A dataset linked to an HDF5 dataset elsewhere has no chunk refs to fetch: a .lindi.tar
    or .lindi.d of it would silently depend on that file; refused before any fetch."""
    import h5py

    source = tmp_path / "x.h5"
    values = np.arange(4000, dtype="<i4").reshape(400, 10)
    with h5py.File(source, "w") as f:
        f.create_dataset("many", data=values, chunks=(20, 10))
    document = tmp_path / "x.lindi.json"
    convert(source, document, num_chunks_threshold=5, inline_threshold=0)
    for name in ("copy.lindi.tar", "copy.lindi.d"):
        with pytest.raises(LindiUnsupportedError, match="/many"):
            download(str(document), tmp_path / name, progress=False)
        assert not (tmp_path / name).exists()
        assert not (tmp_path / (name + ".download")).exists()
    # a .lindi.json keeps the link and reads it
    mirrored = tmp_path / "m.lindi.json"
    download(str(document), mirrored, mirror=tmp_path / "mirror", progress=False)
    from hdmf_lindi import LindiH5pyFile

    with LindiH5pyFile.from_lindi_file(str(mirrored)) as f:
        np.testing.assert_array_equal(f["many"][...], values)


def test_nwb_export_uses_the_callers_options(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    """s3_options (credentials, endpoint) reach the reads of an .nwb download too."""
    from hdmf_lindi.transfer import upload

    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=2)
    options = dict(s3_bucket.store_options)
    url = s3_bucket.url("d/x.nwb.lindi.json")
    upload(source, url, s3_options=options, progress=False)
    dest = tmp_path / "x.nwb"
    download(url, dest, progress=False, s3_options=options)
    with NWBHDF5IO(str(dest), "r") as io:
        nwbfile = io.read()
        for index in range(2):
            np.testing.assert_array_equal(
                nwbfile.acquisition[f"ts{index}"].data[:], expected_series(index)
            )
