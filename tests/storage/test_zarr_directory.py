"""A plain Zarr v3 directory as a read-only reference map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize("compressor", ["gzip", "zstd"])
def test_a_bomb_in_a_zarr_directory_is_refused(tmp_path: Path, compressor: str) -> None:
    """A chunk file replaced by one declaring or decoding to far more than the chunk holds is
    refused before it is decoded, through zarr over the store and through the h5py view."""
    import zlib

    import hdmf_lindi as lindi
    from hdmf_lindi.errors import LindiLimitError
    from tests.adversarial.hostile_files import BOMB_BYTES, _zstd_lie

    root = tmp_path / "x.nwb.zarr"
    group = zarr.open_group(zarr.storage.LocalStore(root), mode="w", zarr_format=3)
    codec: dict[str, Any] = {"name": compressor, "configuration": {"level": 1}}
    if compressor == "zstd":
        codec["configuration"]["checksum"] = False
    array = group.create_array("d", shape=(1000,), chunks=(1000,), dtype="u1", compressors=[codec])
    array[:] = 7
    chunk = root / "d" / "c" / "0"
    if compressor == "gzip":
        packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        chunk.write_bytes(packer.compress(bytes(BOMB_BYTES)) + packer.flush())
    else:
        chunk.write_bytes(_zstd_lie())
    store = LindiStore(load_zarr_directory(root), read_only=True, allow_local=True)
    with pytest.raises(LindiLimitError, match=r"d/c/0"):
        zarr.open_array(store, path="d", mode="r", zarr_format=3)[:]
    with (
        lindi.LindiH5pyFile.from_lindi_file(str(root)) as f,
        pytest.raises(LindiLimitError, match=r"d/c/0"),
    ):
        f["d"][:]
