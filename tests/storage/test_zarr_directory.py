"""A plain Zarr v3 directory as a read-only reference map."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from hdmf_lindi.errors import LindiFormatError, LindiSourceError
from hdmf_lindi.storage.reference_map import InlineRef, UrlRef
from hdmf_lindi.storage.store import LindiStore
from hdmf_lindi.storage.zarr_directory import is_zarr_directory, load_zarr_directory


def _write(path: Path) -> None:
    group = zarr.open_group(zarr.storage.LocalStore(path), mode="w", zarr_format=3)
    group.attrs["x"] = float("nan")
    array = group.create_array("a/d", shape=(5,), chunks=(2,), dtype="<i4")
    array[:] = np.arange(5)
    zarr.consolidate_metadata(zarr.storage.LocalStore(path))


def test_load_reads_metadata_and_refs_chunk_files(tmp_path: Path) -> None:
    root = tmp_path / "x.nwb.zarr"
    _write(root)
    assert is_zarr_directory(root)
    assert json.loads((root / "zarr.json").read_text()).get("consolidated_metadata")
    meta = load_zarr_directory(root)
    assert "consolidated_metadata" not in meta.get_json("zarr.json")
    assert np.isnan(meta.get_json("zarr.json")["attributes"]["x"])
    assert isinstance(meta.resolve("a/d/zarr.json"), InlineRef)
    chunk = meta.resolve("a/d/c/1")
    assert isinstance(chunk, UrlRef) and chunk.url == str(root / "a" / "d" / "c" / "1")
    store = LindiStore(meta, read_only=True, allow_local=True)
    assert zarr.open_array(store, path="a/d", mode="r", zarr_format=3)[:].tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_not_a_zarr_directory(tmp_path: Path) -> None:
    assert not is_zarr_directory(tmp_path)
    (tmp_path / "lindi.json").write_text("{}")
    (tmp_path / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    assert not is_zarr_directory(tmp_path)  # a .lindi.d
    with pytest.raises(LindiSourceError, match="not a directory"):
        load_zarr_directory(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "zarr.json").write_text('{"zarr_format": 2}')
    with pytest.raises(LindiFormatError, match="not Zarr v3"):
        load_zarr_directory(broken)
    (broken / "zarr.json").write_text("not json")
    with pytest.raises(LindiFormatError, match="not JSON"):
        load_zarr_directory(broken)
