"""Local files as a byte source."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hdmf_lindi.errors import LindiLimitError, LindiSourceError
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources.local import LocalFileSource

DATA = bytes(range(256)) * 8


@pytest.fixture
def data_file(tmp_path: Path) -> str:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    return str(path)


def test_ranges(data_file: str) -> None:
    source = LocalFileSource()
    assert asyncio.run(source.get_range(data_file, 0, 4)) == DATA[:4]
    assert asyncio.run(source.get_range(data_file, len(DATA) - 1, 1)) == DATA[-1:]
    assert asyncio.run(source.get_range(data_file, 100, 0)) == b""
    ranges = [(0, 1), (2047, 1), (10, 100), (5, 0)]
    assert asyncio.run(source.get_ranges(data_file, ranges)) == [DATA[o : o + s] for o, s in ranges]
    assert asyncio.run(source.get(data_file)) == DATA
    assert asyncio.run(source.size(data_file)) == len(DATA)


def test_short_read_is_an_error(data_file: str) -> None:
    with pytest.raises(LindiSourceError, match=r"data\.bin: expected 10 bytes at offset 2040"):
        asyncio.run(LocalFileSource().get_range(data_file, 2040, 10))


def test_missing_file_names_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.bin")
    for call in (
        LocalFileSource().get_range(missing, 0, 1),
        LocalFileSource().get(missing),
        LocalFileSource().size(missing),
    ):
        with pytest.raises(LindiSourceError, match=r"missing\.bin"):
            asyncio.run(call)


def test_negative_range(data_file: str) -> None:
    with pytest.raises(LindiSourceError, match="invalid range"):
        asyncio.run(LocalFileSource().get_range(data_file, -1, 2))


def test_put_is_atomic_and_creates_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "blob"
    asyncio.run(LocalFileSource().put(str(target), b"xyz"))
    assert target.read_bytes() == b"xyz"
    asyncio.run(LocalFileSource().put(str(target), b"new"))
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["blob"]


def test_whole_object_limit_applies_to_local_files(tmp_path: Path) -> None:
    path = tmp_path / "doc.lindi.json"
    path.write_bytes(b"x" * 100)
    with pytest.raises(LindiLimitError, match="max_object_bytes") as info:
        SourceRouter(max_object_bytes=99).read_sync(str(path))
    assert str(path) in str(info.value)
    assert SourceRouter(max_object_bytes=100).read_sync(str(path)) == b"x" * 100
