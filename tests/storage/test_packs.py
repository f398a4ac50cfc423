"""Packs: many chunks written at once become one blob (a tar member, a file, a staged file),
each chunk's ref a byte range of it. Written by ``LindiStore.set_many_sync``; read by us, by
zarr, by Python's tarfile and (tests/compat) by lindi 0.4.6."""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest
import zarr

from hdmf_lindi.storage import store as store_module
from hdmf_lindi.storage.containers.abc import pack_name, pack_refs
from hdmf_lindi.storage.staging import StagingArea
from hdmf_lindi.storage.store import LindiStore
from tests.helpers.zarr_values import values_of

CHUNK_BYTES = 4000  # above the default inline threshold (1000): every chunk goes to a blob


def _zarray(shape: tuple[int, ...], chunks: tuple[int, ...]) -> dict[str, object]:
    return {
        "zarr_format": 2,
        "shape": list(shape),
        "chunks": list(chunks),
        "dtype": "<f8",
        "compressor": None,
        "fill_value": 0.0,
        "filters": None,
        "order": "C",
        "dimension_separator": ".",
    }


def _write_array(store: LindiStore, name: str, values: np.ndarray, rows: int) -> None:
    """``values`` (2-d float64) written as chunks of ``rows`` rows through ``set_many_sync``."""
    from hdmf_lindi import _json

    chunks = (rows, values.shape[1])
    items = [
        (".zgroup", _json.dumps({"zarr_format": 2})),
        (f"{name}/.zarray", _json.dumps(_zarray(values.shape, chunks))),
        (f"{name}/.zattrs", b"{}"),
    ]
    for i in range(-(-values.shape[0] // rows)):
        block = np.zeros(chunks, "<f8")
        part = values[i * rows : (i + 1) * rows]
        block[: len(part)] = part
        items.append((f"{name}/{i}.0", block.tobytes()))
    store.set_many_sync(iter(items))


def _values(rows: int = 100, cols: int = 50) -> np.ndarray:
    return np.arange(rows * cols, dtype="<f8").reshape(rows, cols)


def _read(path: Path, name: str = "x") -> np.ndarray:
    with LindiStore.open(path) as store:
        return values_of(zarr.open_group(store, mode="r", zarr_format=2), name)


def test_pack_name_and_refs() -> None:
    items = [("a/b/3.0", b"xx"), ("a/b/4.0", b"yyy")]
    assert pack_name(items) == "a/b/pack-3.0-2"
    assert pack_name([("0", b"")]) == "pack-0-1"
    assert pack_refs("./blobs/p", items) == [["./blobs/p", 0, 2], ["./blobs/p", 2, 3]]


@pytest.mark.parametrize("suffix", ["lindi.d", "lindi.tar"])
def test_many_chunks_become_one_blob(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"p.{suffix}"
    values = _values()
    with LindiStore.open(path, "w") as store:
        _write_array(store, "x", values, rows=10)  # 10 chunks of 4000 bytes
        refs = [store.reference_map.get_raw(f"x/{i}.0") for i in range(10)]
    assert refs == [["./blobs/x/pack-0.0-10", i * CHUNK_BYTES, CHUNK_BYTES] for i in range(10)]
    assert isinstance(store.reference_map.get_json("x/.zarray"), dict)
    np.testing.assert_array_equal(_read(path), values)
    if suffix == "lindi.tar":
        with tarfile.open(path) as archive:
            member = archive.extractfile("blobs/x/pack-0.0-10")
            assert member is not None
            assert member.read() == values.tobytes()
    else:
        assert (path / "blobs/x/pack-0.0-10").read_bytes() == values.tobytes()


def test_small_chunks_stay_inline_and_object_arrays_never_pack(tmp_path: Path) -> None:
    path = tmp_path / "p.lindi.tar"
    with LindiStore.open(path, "w") as store:
        _write_array(store, "small", _values(4, 10), rows=2)  # 160-byte chunks: inline
        assert all(isinstance(store.reference_map.get_raw(f"small/{i}.0"), str) for i in (0, 1))
    np.testing.assert_array_equal(_read(path, "small"), _values(4, 10))


def test_packs_are_split_at_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "PACK_MAX_BYTES", 3 * CHUNK_BYTES)
    path = tmp_path / "p.lindi.d"
    values = _values()
    with LindiStore.open(path, "w") as store:
        _write_array(store, "x", values, rows=10)
        urls = [store.reference_map.get_raw(f"x/{i}.0")[0] for i in range(10)]
    # 3 + 3 + 3 chunks in packs, the last one alone as an ordinary blob
    assert urls == (
        ["./blobs/x/pack-0.0-3"] * 3
        + ["./blobs/x/pack-3.0-3"] * 3
        + ["./blobs/x/pack-6.0-3"] * 3
        + ["./blobs/x/9.0"]
    )
    np.testing.assert_array_equal(_read(path), values)


def test_directory_keeps_a_pack_while_any_chunk_refers_to_it(tmp_path: Path) -> None:
    path = tmp_path / "p.lindi.d"
    values = _values()
    with LindiStore.open(path, "w") as store:
        _write_array(store, "x", values, rows=10)
    pack = path / "blobs/x/pack-0.0-10"
    with LindiStore.open(path, "r+") as store:
        array = zarr.open_array(store, path="x", mode="r+", zarr_format=2)
        array[:10] = -1.0  # chunk 0.0 rewritten as a blob of its own
        assert store.reference_map.get_raw("x/0.0") == ["./blobs/x/0.0", 0, CHUNK_BYTES]
    assert pack.exists()
    values[:10] = -1.0
    np.testing.assert_array_equal(_read(path), values)
    with LindiStore.open(path, "r+") as store:
        _write_array(store, "x", values * 2, rows=10)  # every chunk in a new pack
        assert store.reference_map.get_raw("x/5.0")[0] == "./blobs/x/pack-0.0-10.v2"
    assert not pack.exists()  # nothing refers to the first pack any more
    np.testing.assert_array_equal(_read(path), values * 2)


def test_tar_rewrite_of_a_packed_chunk(tmp_path: Path) -> None:
    path = tmp_path / "p.lindi.tar"
    values = _values()
    with LindiStore.open(path, "w") as store:
        _write_array(store, "x", values, rows=10)
    with LindiStore.open(path, "r+") as store:
        zarr.open_array(store, path="x", mode="r+", zarr_format=2)[95:] = 7.0
    values[95:] = 7.0
    np.testing.assert_array_equal(_read(path), values)
    with tarfile.open(path) as archive:
        assert {"blobs/x/pack-0.0-10", "blobs/x/9.0"} <= set(archive.getnames())


def test_staging_area_stages_a_pack(tmp_path: Path) -> None:
    area = StagingArea.create(tmp_path / "staging")
    source = tmp_path / "s.lindi.json"
    values = _values()
    with LindiStore.open(source, "w", staging_area=area) as store:
        _write_array(store, "x", values, rows=10)
        refs = [store.reference_map.get_raw(f"x/{i}.0") for i in range(10)]
        assert {ref[0] for ref in refs} == {area.get_full_path("x/pack-0.0-10")}
        np.testing.assert_array_equal(
            values_of(zarr.open_group(store, mode="r", zarr_format=2), "x"), values
        )
