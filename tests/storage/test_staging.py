"""StagingArea: staged blobs with absolute-path refs, listing, consolidation into a
``.lindi.d`` / ``.lindi.tar``."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
import zarr

from hdmf_lindi.errors import LindiSecurityError
from hdmf_lindi.storage.containers import DirectoryContainer, TarContainer
from hdmf_lindi.storage.staging import StagingArea
from hdmf_lindi.storage.store import LindiStore
from tests.helpers.http_server import ServedDirectory
from tests.helpers.zarr_values import values_of


def test_create_and_cleanup(tmp_path: Path) -> None:
    with StagingArea.create(base_dir=tmp_path / "staging") as area:
        directory = Path(area.directory)
        assert directory.is_dir() and directory.parent == tmp_path / "staging"
        path = area.store_file("a/b/c", b"123")
        assert Path(path).read_bytes() == b"123"
        assert os.path.isabs(path)
    assert not directory.exists()
    other = StagingArea.create(base_dir=tmp_path / "staging")
    assert other.directory != str(directory)
    other.cleanup()


def test_write_blob_versions_and_listing(tmp_path: Path) -> None:
    area = StagingArea.create(tmp_path)
    first = area.write_blob("x/0.0", b"aa")
    second = area.write_blob("x/0.0", b"bbb")
    assert first == [os.path.join(area.directory, "x", "0.0"), 0, 2]
    assert second == [os.path.join(area.directory, "x", "0.0.v2"), 0, 3]
    staged = area.staged_files()
    assert [(f.relpath, f.size) for f in staged] == [("x/0.0", 2), ("x/0.0.v2", 3)]
    assert area.contains(first[0]) and not area.contains(str(tmp_path / "elsewhere"))


def test_paths_cannot_leave_the_area(tmp_path: Path) -> None:
    area = StagingArea.create(tmp_path / "s")
    with pytest.raises(LindiSecurityError):
        area.store_file("../escape", b"x")
    with pytest.raises(LindiSecurityError):
        area.get_full_path("/etc/passwd")
    assert not (tmp_path / "escape").exists()


def _write_with_staging(path: Path, area: StagingArea) -> np.ndarray:
    values = np.arange(3000, dtype="f8")
    with LindiStore.open(path, "w", staging_area=area) as store:
        root = zarr.open_group(store, mode="r+", zarr_format=2)
        array = root.create_array(
            "big", shape=values.shape, chunks=(1000,), dtype="f8", compressors=None
        )
        array[...] = values
        root.attrs["k"] = "v"
        refs = [store.reference_map.get_raw(f"big/{i}") for i in range(3)]
    for ref in refs:
        assert isinstance(ref, list) and area.contains(ref[0]) and ref[1:] == [0, 8000]
    return values


def test_json_with_staging_area_reads_back(tmp_path: Path) -> None:
    area = StagingArea.create(tmp_path / "staging")
    path = tmp_path / "x.lindi.json"
    values = _write_with_staging(path, area)
    root = zarr.open_group(LindiStore.open(path), mode="r", zarr_format=2)
    np.testing.assert_array_equal(values_of(root, "big"), values)


def test_staging_area_needs_writable_mode(tmp_path: Path) -> None:
    area = StagingArea.create(tmp_path)
    path = tmp_path / "x.lindi.json"
    LindiStore.open(path, "w").close()
    with pytest.raises(ValueError, match="staging area"):
        LindiStore.open(path, "r", staging_area=area)


@pytest.mark.parametrize("kind", ["lindi.d", "lindi.tar"])
def test_consolidate_into_container(tmp_path: Path, kind: str) -> None:
    area = StagingArea.create(tmp_path / "staging")
    source = tmp_path / "staged.lindi.json"
    values = _write_with_staging(source, area)

    target = tmp_path / f"final.{kind}"
    container = DirectoryContainer(target) if kind == "lindi.d" else TarContainer(target)
    store = LindiStore.open(source, "r+")
    reference_map = store.reference_map.copy()
    container.create(reference_map)
    writer = container.blob_writer
    assert writer is not None
    assert area.consolidate(reference_map, writer) == 3
    container.save(reference_map)
    container.close()
    area.cleanup()

    # the three staged chunks are copied as one pack: byte ranges of one blob
    assert [reference_map.get_raw(f"big/{i}") for i in range(3)] == [
        ["./blobs/big/pack-0-3", 8000 * i, 8000] for i in range(3)
    ]
    root = zarr.open_group(LindiStore.open(target), mode="r", zarr_format=2)
    np.testing.assert_array_equal(values_of(root, "big"), values)
    assert root.attrs["k"] == "v"
    if kind == "lindi.tar":
        with tarfile.open(target) as archive:
            assert "blobs/big/pack-0-3" in archive.getnames()


def test_remote_file_edited_with_staging_area(tmp_path: Path, http_server: ServedDirectory) -> None:
    """The seed's use: a remote .lindi.json opened "r+" with a staging area; new chunks are
    staged locally and read back, although the remote document may not name local files."""
    with LindiStore.open(tmp_path / "base.lindi.json", "w") as store:
        zarr.open_group(store, mode="r+", zarr_format=2).attrs["origin"] = "remote"
    (http_server.root / "base.lindi.json").write_bytes((tmp_path / "base.lindi.json").read_bytes())
    with StagingArea.create(base_dir=tmp_path / "staging") as area:
        store = LindiStore.open(f"{http_server.url}/base.lindi.json", "r+", staging_area=area)
        root = zarr.open_group(store, mode="r+", zarr_format=2)
        assert root.attrs["origin"] == "remote"
        array = root.create_array(
            "new", shape=(2000,), chunks=(1000,), dtype="i4", compressors=None
        )
        array[...] = np.arange(2000, dtype="i4")
        np.testing.assert_array_equal(array[...], np.arange(2000, dtype="i4"))
        ref = store.reference_map.get_raw("new/1")
        assert isinstance(ref, list) and area.contains(ref[0])
        assert len(area.staged_files()) == 2
        store.close()
