"""``.lindi.d`` writers: never write or delete through a symbolic link out of the container,
and never delete a blob a reader's map may still name before the writer closes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import zarr

from hdmf_lindi.errors import LindiSecurityError
from hdmf_lindi.storage.store import LindiStore
from tests.helpers.zarr_values import array_of, values_of


def _write_big(path: Path, value: float) -> None:
    store = LindiStore.open(path, "a")
    try:
        root = zarr.open_group(store, mode="a", zarr_format=2)
        if "big" not in root:
            root.create_array("big", shape=(400,), chunks=(400,), dtype="f8", compressors=None)
        array_of(root, "big")[...] = value
    finally:
        store.close()


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    return outside


def test_blob_write_through_a_symlinked_directory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.d"
    outside = _outside(tmp_path)
    LindiStore.open(path, "w").close()
    (path / "blobs").mkdir()
    os.symlink(outside, path / "blobs" / "big")
    with pytest.raises(LindiSecurityError, match="symbolic link"):
        _write_big(path, 1.0)
    assert sorted(os.listdir(outside)) == ["precious.txt"]


def test_symlinked_blobs_root_is_never_written_or_emptied(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.d"
    outside = _outside(tmp_path)
    LindiStore.open(path, "w").close()
    os.symlink(outside, path / "blobs")
    with pytest.raises(LindiSecurityError):
        _write_big(path, 1.0)
    LindiStore.open(path, "w").close()  # replaces in place: would remove stale "blobs"
    assert sorted(os.listdir(outside)) == ["precious.txt"]


def test_superseded_blob_is_not_deleted_through_a_symlink(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.d"
    outside = _outside(tmp_path)
    (outside / "0").write_text("not a blob")
    _write_big(path, 1.0)
    writer = LindiStore.open(path, "r+")
    array_of(zarr.open_group(writer, mode="r+", zarr_format=2), "big")[...] = 2.0
    writer.flush()  # blobs/big/0 is superseded by blobs/big/0.v2: deleted on close
    os.replace(path / "blobs" / "big", tmp_path / "moved")
    os.symlink(outside, path / "blobs" / "big")
    writer.close()
    assert (outside / "0").read_text() == "not a blob"


def test_reader_keeps_reading_while_a_writer_replaces_blobs(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.d"
    _write_big(path, 1.0)
    reader = LindiStore.open(path, "r")
    writer = LindiStore.open(path, "r+")
    array_of(zarr.open_group(writer, mode="r+", zarr_format=2), "big")[...] = 2.0
    writer.flush()
    assert (path / "blobs" / "big" / "0").exists()  # saved, but the old blob stays ...
    np.testing.assert_array_equal(
        values_of(zarr.open_group(reader, mode="r", zarr_format=2), "big"), np.full(400, 1.0)
    )
    writer.close()
    assert not (path / "blobs" / "big" / "0").exists()  # ... until the writer closes
    reader.close()
    check = LindiStore.open(path, "r")
    np.testing.assert_array_equal(
        values_of(zarr.open_group(check, mode="r", zarr_format=2), "big"), np.full(400, 2.0)
    )
    check.close()
