"""``LocalCache``: get/put/clear, size cap, whole objects, pickling, several processes."""

from __future__ import annotations

import multiprocessing
import pickle
import sqlite3
from pathlib import Path

import pytest

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.cache import LocalCache, default_cache_dir

URL = "https://example.org/file.nwb"


def test_put_get_roundtrip(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path)
    assert cache.get(URL, 0, 4) is None
    cache.put(URL, 0, 4, b"abcd")
    cache.put(URL, 4, 2, b"ef")
    assert cache.get(URL, 0, 4) == b"abcd"
    assert cache.get(URL, 4, 2) == b"ef"
    assert cache.get(URL, 0, 3) is None  # keyed by offset and size
    assert cache.get(URL + "x", 0, 4) is None
    assert cache.get_many([(URL, 0, 4), (URL, 1, 1), (URL, 4, 2)]) == [b"abcd", None, b"ef"]
    assert len(cache) == 2
    assert cache.total_bytes == 6


def test_whole_object_entries(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path)
    cache.put(URL, 0, None, b"whole")
    assert cache.get(URL, 0, None) == b"whole"
    assert cache.get(URL, 0, 5) is None


def test_overwrite_updates_total(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path)
    cache.put(URL, 0, None, b"12345")
    cache.put(URL, 0, None, b"12")
    assert cache.get(URL, 0, None) == b"12"
    assert cache.total_bytes == 2


def test_size_mismatch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="3 bytes given for a range of size 4"):
        LocalCache(cache_dir=tmp_path).put(URL, 0, 4, b"abc")


def test_persistent_across_instances(tmp_path: Path) -> None:
    LocalCache(cache_dir=tmp_path).put(URL, 10, 3, b"xyz")
    assert LocalCache(cache_dir=tmp_path).get(URL, 10, 3) == b"xyz"


def test_clear(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path)
    cache.put(URL, 0, 1, b"a")
    cache.clear()
    assert cache.get(URL, 0, 1) is None
    assert len(cache) == 0
    assert cache.total_bytes == 0


def test_eviction_keeps_under_cap_and_drops_least_recent(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path, max_size_bytes=1000, max_item_bytes=1000)
    for i in range(10):
        cache.put(URL, i * 100, 100, bytes([i]) * 100)
    assert cache.total_bytes == 1000
    cache.put(URL, 5000, 100, b"n" * 100)
    assert cache.total_bytes <= 900
    assert cache.get(URL, 0, 100) is None  # the oldest went first
    assert cache.get(URL, 5000, 100) == b"n" * 100  # the newest stays
    assert cache.get(URL, 900, 100) == bytes([9]) * 100


def test_items_over_max_item_bytes_are_skipped(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path, max_size_bytes=1000)
    cache.put(URL, 0, 300, b"x" * 300)  # over the default item cap of 250
    assert cache.get(URL, 0, 300) is None
    cache.put(URL, 0, 200, b"x" * 200)
    assert cache.get(URL, 0, 200) == b"x" * 200


def test_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path)
    cache.put(URL, 0, 4, b"abcd")
    with sqlite3.connect(cache.database_path) as connection:
        connection.execute("UPDATE ranges SET data = ? WHERE url = ?", (b"ab", URL))
    assert cache.get(URL, 0, 4) is None
    assert len(cache) == 0


def test_pickle_reopens(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path, max_size_bytes=12345)
    cache.put(URL, 0, 1, b"z")
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.max_size_bytes == 12345
    assert clone.get(URL, 0, 1) == b"z"


def test_default_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "hdmf_lindi"
    assert LocalCache().cache_dir == tmp_path / "hdmf_lindi"


def test_invalid_max_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_size_bytes"):
        LocalCache(cache_dir=tmp_path, max_size_bytes=0)


def _worker(cache_dir: str, worker: int, count: int) -> int:
    cache = LocalCache(cache_dir=cache_dir)
    misses = 0
    for i in range(count):
        cache.put(URL, worker * 10_000 + i, 8, f"{worker:04d}{i:04d}".encode())
        # Everyone also reads and writes a shared key.
        cache.put(URL + "/shared", 0, 8, b"shared!!")
        if cache.get(URL + "/shared", 0, 8) != b"shared!!":
            misses += 1
    return misses


def test_several_processes_share_one_cache(tmp_path: Path) -> None:
    workers, count = 4, 50
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        misses = pool.starmap(_worker, [(str(tmp_path), w, count) for w in range(workers)])
    assert misses == [0] * workers
    cache = LocalCache(cache_dir=tmp_path)
    for worker in range(workers):
        for i in range(count):
            expected = f"{worker:04d}{i:04d}".encode()
            assert cache.get(URL, worker * 10_000 + i, 8) == expected
    assert len(cache) == workers * count + 1
    assert cache.total_bytes == (workers * count + 1) * 8


def _reader_writer(cache_dir: str, worker: int, rounds: int) -> tuple[int, int]:
    """Writes its own ranges and reads everyone's under a small cap (constant eviction);
    returns (hits, wrong bytes)."""
    cache = LocalCache(cache_dir=cache_dir, max_size_bytes=64 * 1024, max_item_bytes=4096)
    hits = wrong = 0
    for i in range(rounds):
        cache.put(URL, worker * 100_000 + i, 1000, bytes([worker]) * 1000)
        for other in range(8):
            got = cache.get(URL, other * 100_000 + i, 1000)
            if got is not None:
                hits += 1
                wrong += got != bytes([other]) * 1000
    return hits, wrong


def test_eight_processes_with_eviction_no_corruption(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(8) as pool:
        results = pool.starmap(_reader_writer, [(str(tmp_path), w, 30) for w in range(8)])
    assert sum(wrong for _hits, wrong in results) == 0
    assert sum(hits for hits, _wrong in results) > 0
    cache = LocalCache(cache_dir=tmp_path, max_size_bytes=64 * 1024)
    assert cache.total_bytes == 1000 * len(cache) <= 64 * 1024
    check = sqlite3.connect(cache.database_path).execute("PRAGMA integrity_check").fetchone()
    assert check == ("ok",)


def test_cli_cache_info_and_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hdmf_lindi.cli.main import main

    cache = LocalCache(cache_dir=tmp_path)
    cache.put(URL, 0, 5, b"hello")
    cache.close()
    assert main(["cache", "info", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "entries: 1" in out and "(5 bytes)" in out
    assert main(["cache", "clear", "--cache-dir", str(tmp_path)]) == 0
    assert len(LocalCache(cache_dir=tmp_path)) == 0


def _corrupt_database(directory: Path) -> LocalCache:
    directory.mkdir(exist_ok=True)
    (directory / "byte_ranges.sqlite").write_bytes(b"this is not a SQLite database" * 100)
    return LocalCache(cache_dir=directory)


def test_corrupt_database_errors_are_lindi_errors(tmp_path: Path) -> None:
    cache = _corrupt_database(tmp_path / "c")
    for read in (lambda: cache.get(URL, 0, 4), lambda: cache.total_bytes, lambda: len(cache)):
        with pytest.raises(LindiSourceError, match=r"byte_ranges\.sqlite"):
            read()


def test_clear_recreates_a_corrupt_database(tmp_path: Path) -> None:
    cache = _corrupt_database(tmp_path / "c")
    cache.clear()
    assert len(cache) == 0
    cache.put(URL, 0, 4, b"abcd")
    assert cache.get(URL, 0, 4) == b"abcd"


def test_cli_cache_clear_recovers_a_corrupt_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hdmf_lindi.cli.main import main

    _corrupt_database(tmp_path / "c").close()
    assert main(["cache", "clear", "--cache-dir", str(tmp_path / "c")]) == 0
    assert "unreadable database" in capsys.readouterr().out
    assert main(["cache", "info", "--cache-dir", str(tmp_path / "c")]) == 0
    assert "entries: 0" in capsys.readouterr().out


def test_full_database_reports_the_cause(tmp_path: Path) -> None:
    cache = LocalCache(cache_dir=tmp_path, max_size_bytes=1 << 30)
    cache.put(URL, 0, 4, b"abcd")
    pages = cache._connect().execute("PRAGMA page_count").fetchone()[0]
    cache._connect().execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(LindiSourceError, match="full"):
        cache.put(URL, 4, 1 << 20, b"x" * (1 << 20))
    assert cache.get(URL, 0, 4) == b"abcd"
    assert cache.total_bytes == 4
