"""``RangeFile``: file semantics, block caching, readahead, and h5py over HTTP."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.cache import LocalCache
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources.file_like import RangeFile
from tests.helpers.http_server import ServedDirectory
from tests.storage.sources.conftest import FAST_RETRIES, PAYLOAD


@pytest.fixture
def range_file(payload_server: ServedDirectory, router: SourceRouter) -> RangeFile:
    return RangeFile(payload_server.url_for("data.bin"), router, block_size=1024)


def test_read_seek_tell(range_file: RangeFile) -> None:
    assert range_file.size == len(PAYLOAD)
    assert range_file.readable() and range_file.seekable() and not range_file.writable()
    assert range_file.read(10) == PAYLOAD[:10]
    assert range_file.tell() == 10
    assert range_file.seek(1000) == 1000
    assert range_file.read(100) == PAYLOAD[1000:1100]  # crosses a block boundary
    assert range_file.seek(-5, io.SEEK_END) == len(PAYLOAD) - 5
    assert range_file.read() == PAYLOAD[-5:]
    assert range_file.read(10) == b""
    assert range_file.seek(-3, io.SEEK_CUR) == len(PAYLOAD) - 3
    assert range_file.read(100) == PAYLOAD[-3:]
    range_file.seek(len(PAYLOAD) + 100)
    assert range_file.read(4) == b""
    with pytest.raises(ValueError, match="negative"):
        range_file.seek(-1)


def test_readinto(range_file: RangeFile) -> None:
    range_file.seek(2000)
    buffer = bytearray(3000)
    assert range_file.readinto(buffer) == 3000
    assert bytes(buffer) == PAYLOAD[2000:5000]
    array = np.zeros(10, dtype=np.uint8)
    range_file.seek(len(PAYLOAD) - 4)
    assert range_file.readinto(array) == 4
    assert bytes(array[:4]) == PAYLOAD[-4:]


def test_blocks_are_cached(payload_server: ServedDirectory, range_file: RangeFile) -> None:
    range_file.seek(5000)
    range_file.read(10)
    assert range_file.request_count == 1
    range_file.seek(5100)
    assert range_file.read(10) == PAYLOAD[5100:5110]
    range_file.seek(5000)
    assert range_file.read(24) == PAYLOAD[5000:5024]
    assert range_file.request_count == 1
    assert len(payload_server.requests_for("/data.bin", "GET")) == 1
    assert range_file.bytes_fetched == 1024


def test_sequential_reads_grow_readahead(range_file: RangeFile) -> None:
    chunks = [range_file.read(512) for _ in range(128)]
    assert b"".join(chunks) == PAYLOAD[: 128 * 512]
    # 64 blocks read sequentially in far fewer requests than blocks.
    assert range_file.request_count <= 8


def test_random_reads_fetch_only_what_they_need(range_file: RangeFile) -> None:
    for offset in (100_000, 5_000, 200_000, 50_000):
        range_file.seek(offset)
        assert range_file.read(10) == PAYLOAD[offset : offset + 10]
    assert range_file.request_count == 4
    assert range_file.bytes_fetched == 4 * 1024


def test_read_larger_than_the_block_cache(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    small = RangeFile(url, router, block_size=1024, max_cached_bytes=4096)
    assert small.read(100_000) == PAYLOAD[:100_000]
    assert small.read(10) == PAYLOAD[100_000:100_010]


def test_closed_file(range_file: RangeFile) -> None:
    range_file.close()
    with pytest.raises(ValueError, match="closed"):
        range_file.read(1)


def test_missing_url_is_an_error(http_server: ServedDirectory, router: SourceRouter) -> None:
    missing = RangeFile(http_server.url_for("nope.h5"), router)
    with pytest.raises(LindiSourceError, match="404"):
        missing.read(10)


def _write_hdf5(path: Path) -> None:
    with h5py.File(path, "w") as f:
        f.attrs["title"] = "remote"
        f.create_dataset(
            "x", data=np.arange(20_000, dtype="i4"), chunks=(1000,), compression="gzip"
        )
        group = f.create_group("g")
        for i in range(20):
            group.create_dataset(f"d{i}", data=np.full(i + 1, i, dtype="f8"))


def test_h5py_over_http(http_server: ServedDirectory, tmp_path: Path) -> None:
    _write_hdf5(http_server.root / "f.h5")
    cache = LocalCache(cache_dir=tmp_path / "cache")
    router = SourceRouter(local_cache=cache, retry_config=FAST_RETRIES)
    remote = RangeFile(http_server.url_for("f.h5"), router)
    with h5py.File(remote, "r") as f:
        assert f.attrs["title"] == "remote"
        np.testing.assert_array_equal(f["x"][1500:2500], np.arange(1500, 2500))
        assert sorted(f["g"].keys()) == sorted(f"d{i}" for i in range(20))
        np.testing.assert_array_equal(f["g/d7"][()], np.full(8, 7.0))
    first_gets = len(http_server.requests_for("/f.h5", "GET"))
    assert remote.request_count == first_gets
    assert first_gets < 10

    # A second open with the same cache reads nothing from the server.
    http_server.requests.clear()
    again = RangeFile(http_server.url_for("f.h5"), SourceRouter(local_cache=cache))
    with h5py.File(again, "r") as f:
        np.testing.assert_array_equal(f["x"][1500:2500], np.arange(1500, 2500))
    assert http_server.requests_for("/f.h5", "GET") == []


def test_local_file(tmp_path: Path) -> None:
    _write_hdf5(tmp_path / "f.h5")
    with h5py.File(RangeFile(str(tmp_path / "f.h5")), "r") as f:
        assert f["x"][-1] == 19_999


def test_reads_wait_on_no_other_python_thread(
    http_server: ServedDirectory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """h5py holds its global lock while it reads through a RangeFile, and a garbage collection
    in another Python thread that frees an h5py object waits for that lock. So RangeFile reads
    happen in the calling thread (obstore's own I/O threads run no Python): nothing may be
    handed to the background event loop (a deadlock seen in CI before this was so)."""
    from hdmf_lindi.storage.sources import _background_loop

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a RangeFile read waited on the background event loop")

    monkeypatch.setattr(_background_loop, "run_sync", refuse)
    _write_hdf5(http_server.root / "f.h5")
    _write_hdf5(tmp_path / "f.h5")
    cache = LocalCache(cache_dir=tmp_path / "cache")
    router = SourceRouter(local_cache=cache, retry_config=FAST_RETRIES)
    for location in (http_server.url_for("f.h5"), str(tmp_path / "f.h5")):
        with h5py.File(RangeFile(location, router, block_size=4096), "r") as f:
            np.testing.assert_array_equal(f["x"][1500:2500], np.arange(1500, 2500))
            np.testing.assert_array_equal(f["g/d7"][()], np.full(8, 7.0))


def test_garbage_collection_during_a_read_does_not_deadlock(tmp_path: Path) -> None:
    """h5py objects caught in reference cycles are freed by whichever thread the garbage
    collector runs in, and freeing one takes h5py's lock. Here the collection runs wherever the
    bytes of a RangeFile read are fetched, while h5py holds that lock for the read: in the
    reading thread itself, that is fine (the lock is reentrant); in another thread, it would
    wait for the lock forever."""
    import gc

    from hdmf_lindi.storage.sources.local import LocalFileSource

    class CollectingSource(LocalFileSource):
        def get_ranges_blocking(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
            gc.collect()
            return super().get_ranges_blocking(url, ranges)

        async def get_ranges(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
            gc.collect()
            return await super().get_ranges(url, ranges)

    _write_hdf5(tmp_path / "f.h5")
    _write_hdf5(tmp_path / "other.h5")
    router = SourceRouter(sources={"local": CollectingSource()})
    gc.disable()
    try:
        for _ in range(3):
            cycle: list[object] = [h5py.File(tmp_path / "other.h5", "r")]
            cycle.append(cycle)
            del cycle
            with h5py.File(RangeFile(str(tmp_path / "f.h5"), router, block_size=1024), "r") as f:
                np.testing.assert_array_equal(f["g/d7"][()], np.full(8, 7.0))
    finally:
        gc.enable()
