"""Download / materialize remote LINDI files (served by the project's HTTP test server)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
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


def _linked_h5(path: Path) -> dict[str, np.ndarray]:
    """An HDF5 file with chunked datasets (gzip and shuffle, a 3-d one with edge chunks, a
    string one), the values each holds."""
    import h5py

    values = {
        "many": np.arange(4000, dtype="<i4").reshape(400, 10),
        "cube": np.random.default_rng(0).random((37, 9, 5)),
    }
    with h5py.File(path, "w") as f:
        f.create_dataset("many", data=values["many"], chunks=(20, 10), compression="gzip")
        f.create_dataset("g/cube", data=values["cube"], chunks=(4, 4, 5), shuffle=True)
    return values


def _linked_attributes(document: ReferenceMap) -> list[str]:
    found = []
    for key in document:
        if key.endswith(".zattrs"):
            attributes = document.get_json(key)
        elif key.endswith("zarr.json"):
            attributes = document.get_json(key).get("attributes", {})
        else:
            continue
        if "_EXTERNAL_ARRAY_LINK" in attributes:
            found.append(key)
    return found


@pytest.mark.parametrize(
    ("name", "conventions"),
    [
        ("copy.lindi.tar", "lindi-v1"),
        ("copy.lindi.d", "lindi-v1"),
        ("copy.lindi.tar", "unified-zarr-v3"),
    ],
)
def test_external_array_links_are_materialized(
    tmp_path: Path, http_server: ServedDirectory, name: str, conventions: str
) -> None:
    """Datasets linked to a remote HDF5 dataset (_EXTERNAL_ARRAY_LINK) are read and stored:
    the copy reads back equal once the server is gone."""
    from hdmf_lindi import LindiH5pyFile

    values = _linked_h5(http_server.root / "x.h5")
    document = tmp_path / "x.lindi.json"
    convert(
        http_server.url_for("/x.h5"),
        document,
        num_chunks_threshold=5,
        inline_threshold=0,
        conventions=conventions,
    )
    assert len(_linked_attributes(ReferenceMap.load(document))) == 2
    shutil.copy(document, http_server.root / "x.lindi.json")
    with LindiH5pyFile.from_lindi_file(str(document)) as f:
        layout = {
            p: (f[p].chunks, f[p].compression, f[p].shuffle, f[p].dtype) for p in ("many", "g/cube")
        }
    dest = tmp_path / name
    result = download(http_server.url_for("/x.lindi.json"), dest, progress=False)
    assert result.chunks >= 20 * 1 + 10 * 3 * 1
    assert not (tmp_path / (name + ".download")).exists()
    http_server.stop()
    store = LindiStore.open(str(dest))
    try:
        assert not _linked_attributes(store.reference_map)
        assert all(u.startswith("./blobs/") for u in _url_refs(store.reference_map))
    finally:
        store.close()
    with LindiH5pyFile.from_lindi_file(str(dest)) as f:
        np.testing.assert_array_equal(f["many"][...], values["many"])
        np.testing.assert_array_equal(f["g/cube"][...], values["cube"])
        for p, expected in layout.items():
            assert (f[p].chunks, f[p].compression, f[p].shuffle, f[p].dtype) == expected


def test_external_array_link_download_resumes(tmp_path: Path, http_server: ServedDirectory) -> None:
    """Linked blocks stored by an interrupted run are not read again."""
    import h5py

    values = np.arange(3 * 1024 * 1024, dtype="<i8").reshape(-1, 1024)  # 24 MiB: 1 block
    with h5py.File(http_server.root / "x.h5", "w") as f:
        f.create_dataset("a", data=values, chunks=(64, 1024))
        f.create_dataset("b", data=values[:100] * 2, chunks=(10, 1024))
    document = tmp_path / "x.lindi.json"
    convert(http_server.url_for("/x.h5"), document, num_chunks_threshold=5, inline_threshold=0)
    shutil.copy(document, http_server.root / "x.lindi.json")
    url = http_server.url_for("/x.lindi.json")
    dest = tmp_path / "copy.lindi.tar"
    first = download(url, dest, progress=False)
    assert first.packs_fetched == first.packs == 2
    dest.unlink()
    from hdmf_lindi.transfer import download as download_module

    kept: list[str] = []
    original = download_module._materialize_block

    def once(hierarchy: Any, block: Any) -> Any:
        if block.path == "/b":
            raise LindiSourceError("interrupted")
        kept.append(block.path)
        return original(hierarchy, block)

    download_module._materialize_block = once  # type: ignore[assignment]
    try:
        with pytest.raises(LindiSourceError, match="interrupted"):
            download(url, dest, progress=False)
    finally:
        download_module._materialize_block = original  # type: ignore[assignment]
    assert kept == ["/a"] and (tmp_path / "copy.lindi.tar.download").is_dir()
    assert not dest.exists()
    second = download(url, dest, progress=False)
    assert second.packs_fetched == 1 < second.packs
    http_server.stop()
    from hdmf_lindi import LindiH5pyFile

    with LindiH5pyFile.from_lindi_file(str(dest)) as f:
        np.testing.assert_array_equal(f["a"][...], values)
        np.testing.assert_array_equal(f["b"][...], values[:100] * 2)


def test_external_array_links_of_a_remote_document_stay_remote(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    """A remote document's link to a local file is refused (docs/security.md) unless
    allow_local is given; nothing is left behind."""
    from hdmf_lindi import LindiH5pyFile
    from hdmf_lindi.errors import LindiSecurityError

    values = _linked_h5(tmp_path / "local.h5")
    document = tmp_path / "x.lindi.json"
    convert(tmp_path / "local.h5", document, num_chunks_threshold=5, inline_threshold=0)
    assert str(tmp_path / "local.h5") in document.read_text()
    shutil.copy(document, http_server.root / "x.lindi.json")
    url = http_server.url_for("/x.lindi.json")
    dest = tmp_path / "copy.lindi.tar"
    with pytest.raises(LindiSecurityError, match="local"):
        download(url, dest, progress=False)
    assert not dest.exists()
    download(url, dest, progress=False, allow_local=True)
    with LindiH5pyFile.from_lindi_file(str(dest)) as f:
        np.testing.assert_array_equal(f["many"][...], values["many"])


@pytest.mark.parametrize("shape", [[10**15, 10], [400, 11], [10]])
def test_external_array_link_with_a_false_shape_is_refused(
    tmp_path: Path, http_server: ServedDirectory, shape: list[int]
) -> None:
    """A document declaring another shape than its linked dataset has (10**15 rows would plan
    10**14 packs) fails before anything is fetched, naming the dataset; h5py-view reads of it
    fail the same way instead of returning the linked dataset's values under the false shape."""
    from hdmf_lindi import LindiH5pyFile
    from hdmf_lindi.errors import LindiFormatError

    _linked_h5(http_server.root / "x.h5")
    document = tmp_path / "x.lindi.json"
    convert(http_server.url_for("/x.h5"), document, num_chunks_threshold=5, inline_threshold=0)
    reference_map = ReferenceMap.load(document)
    zarray = dict(reference_map.get_json("many/.zarray"))
    zarray["shape"] = shape
    zarray["chunks"] = [1] * len(shape)
    reference_map.set_json("many/.zarray", zarray)
    reference_map.write(http_server.root / "x.lindi.json")
    dest = tmp_path / "copy.lindi.tar"
    with pytest.raises(LindiFormatError, match=r"/many: .*has shape \(400, 10\), the document"):
        download(http_server.url_for("/x.lindi.json"), dest, progress=False)
    assert not dest.exists() and not (tmp_path / "copy.lindi.tar.download").exists()
    with (
        LindiH5pyFile.from_lindi_file(http_server.url_for("/x.lindi.json")) as f,
        pytest.raises(LindiFormatError, match="has shape"),
    ):
        f["many"][:2]


def test_external_array_links_exported_to_nwb(tmp_path: Path, http_server: ServedDirectory) -> None:
    """An .nwb download reads linked datasets and stores their values: no external link or
    external storage in the HDF5 file, readable once the server is gone."""
    import h5py
    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBFile, TimeSeries

    nwbfile = NWBFile(
        session_description="transfer test",
        identifier="transfer",
        session_start_time=datetime(2024, 1, 2, tzinfo=UTC),
    )
    for index in range(2):
        data = H5DataIO(expected_series(index), chunks=(100, 4), compression="gzip")
        nwbfile.add_acquisition(TimeSeries(name=f"ts{index}", data=data, unit="V", rate=1.0))
    with NWBHDF5IO(str(http_server.root / "x.nwb"), "w") as out:
        out.write(nwbfile)
    document = tmp_path / "x.nwb.lindi.json"
    convert(http_server.url_for("/x.nwb"), document, num_chunks_threshold=2, inline_threshold=0)
    assert len(_linked_attributes(ReferenceMap.load(document))) == 2
    shutil.copy(document, http_server.root / "x.nwb.lindi.json")
    url = http_server.url_for("/x.nwb.lindi.json")
    download(url, tmp_path / "copy.nwb", progress=False)
    download(url, tmp_path / "copy.nwb.lindi.tar", progress=False)
    http_server.stop()
    with h5py.File(tmp_path / "copy.nwb", "r") as f:
        links: list[str] = []

        def visit(name: str, link: Any) -> None:
            if isinstance(link, h5py.ExternalLink):
                links.append(name)

        f.visititems_links(visit)
        assert not links
        assert f["acquisition/ts0/data"].id.get_create_plist().get_external_count() == 0
    for copy in ("copy.nwb", "copy.nwb.lindi.tar"):
        check_sample(str(tmp_path / copy), series=2)


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
