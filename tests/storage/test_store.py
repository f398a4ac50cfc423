"""LindiStore behaviour beyond zarr's conformance suite: how refs become reads, metadata
encoding, sync API, pickling, read-only copies."""

from __future__ import annotations

import asyncio
import base64
import pickle
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest
from zarr.core.buffer import cpu, default_buffer_prototype

from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.storage import store as store_module
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.sources.router import SourceRouter
from hdmf_lindi.storage.store import DEFAULT_INLINE_THRESHOLD, LindiStore
from tests.helpers.zarr_values import array_of, values_of

UPSTREAM = Path(__file__).resolve().parent.parent / "data" / "upstream-lindi-0.4.6"
PROTOTYPE = default_buffer_prototype()


class RecordingRouter(SourceRouter):
    """A router that records every read it is asked for."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reads: list[tuple[str, int | None, int | None]] = []
        self.batches: list[list[tuple[str, int | None, int | None]]] = []

    async def read(self, url: str, offset: int | None = None, size: int | None = None) -> bytes:
        self.reads.append((url, offset, size))
        return await super().read(url, offset, size)

    async def read_many(
        self, requests: Sequence[tuple[str, int | None, int | None]]
    ) -> list[bytes]:
        self.batches.append(list(requests))
        return await super().read_many(requests)


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 4)
    return path


@pytest.fixture
def store(data_file: Path) -> tuple[LindiStore, RecordingRouter]:
    url = str(data_file)
    reference_map = ReferenceMap(
        {
            "sized": [url, 100, 50],
            "whole": [url],
            "inline": "hello world",
            "meta/.zattrs": {"a": 1},
        }
    )
    router = RecordingRouter()
    return LindiStore(reference_map, router=router, read_only=True), router


def _get(store: LindiStore, key: str, byte_range: Any = None) -> bytes | None:
    buffer = asyncio.run(store.get(key, PROTOTYPE, byte_range))
    return None if buffer is None else buffer.to_bytes()


EXPECTED = bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("byte_range", "read", "expected"),
    [
        (None, (100, 50), EXPECTED[100:150]),
        (RangeByteRequest(2, 5), (102, 3), EXPECTED[102:105]),
        (RangeByteRequest(40, 80), (140, 10), EXPECTED[140:150]),  # clamped to the ref
        (OffsetByteRequest(45), (145, 5), EXPECTED[145:150]),
        (SuffixByteRequest(7), (143, 7), EXPECTED[143:150]),
        (SuffixByteRequest(70), (100, 50), EXPECTED[100:150]),
    ],
)
def test_sized_ref_ranges_become_narrow_reads(
    store: tuple[LindiStore, RecordingRouter],
    data_file: Path,
    byte_range: Any,
    read: tuple[int, int],
    expected: bytes,
) -> None:
    lindi_store, router = store
    assert _get(lindi_store, "sized", byte_range) == expected
    assert router.reads == [(str(data_file), *read)]


@pytest.mark.parametrize(
    "byte_range", [RangeByteRequest(60, 70), OffsetByteRequest(50), SuffixByteRequest(0)]
)
def test_empty_ranges_read_nothing(
    store: tuple[LindiStore, RecordingRouter], byte_range: Any
) -> None:
    lindi_store, router = store
    assert _get(lindi_store, "sized", byte_range) == b""
    assert router.reads == []


def test_whole_object_refs(store: tuple[LindiStore, RecordingRouter], data_file: Path) -> None:
    lindi_store, router = store
    assert _get(lindi_store, "whole") == EXPECTED
    assert _get(lindi_store, "whole", RangeByteRequest(10, 20)) == EXPECTED[10:20]
    assert _get(lindi_store, "whole", SuffixByteRequest(3)) == EXPECTED[-3:]
    assert _get(lindi_store, "whole", OffsetByteRequest(1020)) == EXPECTED[1020:]
    url = str(data_file)
    # a range of an object of unknown size is still a range read
    assert router.reads == [(url, None, None), (url, 10, 10), (url, None, None), (url, None, None)]


def test_inline_and_metadata(store: tuple[LindiStore, RecordingRouter]) -> None:
    lindi_store, router = store
    assert _get(lindi_store, "inline") == b"hello world"
    assert _get(lindi_store, "inline", RangeByteRequest(6, 11)) == b"world"
    assert _get(lindi_store, "meta/.zattrs") == b'{"a":1}'
    assert _get(lindi_store, "missing") is None
    assert router.reads == []


def test_invalid_byte_range(store: tuple[LindiStore, RecordingRouter]) -> None:
    lindi_store, _ = store
    with pytest.raises(ValueError, match="Unexpected byte_range"):
        _get(lindi_store, "inline", (0, 2))


def test_get_partial_values_is_one_batch(
    store: tuple[LindiStore, RecordingRouter], data_file: Path
) -> None:
    lindi_store, router = store
    results = asyncio.run(
        lindi_store.get_partial_values(
            PROTOTYPE,
            [
                ("sized", RangeByteRequest(0, 4)),
                ("inline", None),
                ("missing", None),
                ("sized", SuffixByteRequest(2)),
                ("whole", RangeByteRequest(0, 1)),
            ],
        )
    )
    values = [None if r is None else r.to_bytes() for r in results]
    assert values == [EXPECTED[100:104], b"hello world", None, EXPECTED[148:150], EXPECTED[0:1]]
    url = str(data_file)
    assert router.batches == [[(url, 100, 4), (url, 148, 2), (url, 0, 1)]]


def test_getsize_does_not_read_sized_refs(store: tuple[LindiStore, RecordingRouter]) -> None:
    lindi_store, router = store
    assert asyncio.run(lindi_store.getsize("sized")) == 50
    assert asyncio.run(lindi_store.getsize("inline")) == 11
    assert router.reads == []
    assert asyncio.run(lindi_store.getsize("whole")) == 1024
    with pytest.raises(FileNotFoundError):
        asyncio.run(lindi_store.getsize("missing"))


def test_get_sync_reads_url_refs(store: tuple[LindiStore, RecordingRouter]) -> None:
    lindi_store, _ = store
    buffer = lindi_store.get_sync("sized", byte_range=RangeByteRequest(0, 3))
    assert buffer is not None and buffer.to_bytes() == EXPECTED[100:103]
    assert lindi_store.get_sync("missing") is None


def test_listing(store: tuple[LindiStore, RecordingRouter]) -> None:
    lindi_store, _ = store

    async def collect() -> tuple[list[str], list[str], list[str]]:
        keys = [k async for k in lindi_store.list()]
        under = [k async for k in lindi_store.list_prefix("meta/")]
        top = [k async for k in lindi_store.list_dir("")]
        return keys, under, top

    keys, under, top = asyncio.run(collect())
    assert sorted(keys) == ["inline", "meta/.zattrs", "sized", "whole"]
    assert under == ["meta/.zattrs"]
    assert sorted(top) == ["inline", "meta", "sized", "whole"]


# ---------------------------------------------------------------------- writes
def _set(store: LindiStore, key: str, data: bytes) -> None:
    asyncio.run(store.set(key, cpu.Buffer.from_bytes(data)))


def test_metadata_is_stored_as_json_objects() -> None:
    store = LindiStore()
    _set(store, "g/.zattrs", b'{"b": [1, 2], "a": "x"}')
    _set(store, "g/zarr.json", b"not json at all")
    _set(store, "g/.zarray", b'{"fill_value": NaN}')
    _set(store, "g/.zgroup", b"5")
    reference_map = store.reference_map
    assert reference_map.get_raw("g/.zattrs") == {"b": [1, 2], "a": "x"}
    assert reference_map.get_raw("g/zarr.json") == "not json at all"
    # NaN literals are not strict JSON: kept byte for byte rather than turned into null
    assert _get(store, "g/.zarray") == b'{"fill_value": NaN}'
    assert reference_map.get_raw("g/.zgroup") == "5"


def test_inline_threshold_default_matches_lindi_046() -> None:
    assert DEFAULT_INLINE_THRESHOLD == 1000
    store = LindiStore()
    _set(store, "a/0", b"x" * 999)
    assert store.reference_map.get_raw("a/0") == "x" * 999
    # an in-memory store has no place for blobs: a large chunk stays inline too
    _set(store, "a/1", b"\xff" * 1000)
    assert (
        store.reference_map.get_raw("a/1") == "base64:" + base64.b64encode(b"\xff" * 1000).decode()
    )
    LindiStore(inline_threshold=None).set_sync("a/1", cpu.Buffer.from_bytes(b"x" * 5000))
    with pytest.raises(ValueError, match="inline_threshold"):
        LindiStore(inline_threshold=-1)


def test_object_array_chunks_stay_inline_whatever_their_size() -> None:
    store = LindiStore()
    _set(store, "g/strings/.zarray", b'{"dtype": "|O", "shape": [2], "chunks": [2]}')
    _set(store, "g/numbers/.zarray", b'{"dtype": "<i8", "shape": [2], "chunks": [2]}')
    _set(store, "g/strings/0", b"s" * 5000)
    assert store.reference_map.resolve("g/strings/0") is not None
    assert store.reference_map.get_raw("g/strings/0") is not None
    _set(store, "g/numbers/0", b"n" * 5000)  # no place for blobs in memory: inline too
    assert store.reference_map.get_raw("g/numbers/0") == "n" * 5000


def test_object_array_chunk_with_slash_separator_stays_inline() -> None:
    store = LindiStore()
    _set(store, ".zarray", b'{"dtype": "|O", "shape": [2, 2], "chunks": [1, 1]}')
    _set(store, "0/1", b"s" * 5000)
    assert isinstance(store.reference_map.get_raw("0/1"), str)


def test_large_inline_json_warns_once_naming_the_display_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "LARGE_INLINE_WARNING_BYTES", 10_000)
    hidden = tmp_path / ".tmp" / "x.lindi.json"
    hidden.parent.mkdir()
    with LindiStore.open(hidden, "w", display_name="/data/target.lindi.json") as store:
        assert store.display_name == "/data/target.lindi.json"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _set(store, "a/0", b"x" * 5000)  # 6,668 bytes of base64: below the limit
            assert caught == []
            _set(store, "a/1", b"x" * 5000)
            _set(store, "a/2", b"x" * 5000)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert caught[0].category is UserWarning
    assert "/data/target.lindi.json" in message and ".lindi.tar" in message
    assert ".tmp" not in message


def test_overwrite_and_delete_mark_dirty(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    store = LindiStore.open(path, "w")
    assert not store.is_dirty
    _set(store, "a/0", b"1")
    assert store.is_dirty
    store.flush()
    assert not store.is_dirty
    asyncio.run(store.delete("a/0"))
    asyncio.run(store.delete("a/0"))  # missing: no error
    store.close()
    assert "a/0" not in LindiStore.open(path).reference_map


def test_forget_changes_keeps_the_saved_state(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    LindiStore.open(path, "w").close()
    saved = path.read_bytes()
    store = LindiStore.open(path, "r+")
    _set(store, "a/0", b"1")
    store.forget_changes()
    store.close()
    assert path.read_bytes() == saved


def test_with_read_only_shares_the_map() -> None:
    store = LindiStore()
    reader = store.with_read_only(True)
    _set(store, "k", b"v")
    assert _get(reader, "k") == b"v"
    with pytest.raises(ValueError, match="read-only"):
        _set(reader, "k", b"w")
    assert reader.reference_map is store.reference_map
    writer = reader.with_read_only(False)
    _set(writer, "k", b"w")
    assert _get(store, "k") == b"w"


def test_pickled_tar_store_reads(tmp_path: Path) -> None:
    store = LindiStore.open(UPSTREAM / "written.lindi.tar")
    clone = pickle.loads(pickle.dumps(store))
    assert clone == store
    root = zarr.open_group(clone, mode="r", zarr_format=2)
    np.testing.assert_array_equal(values_of(root, "small"), np.arange(10))
    assert array_of(root, "dataset1")[0, 5] == 5.0


def test_equality() -> None:
    tar = LindiStore.open(UPSTREAM / "written.lindi.tar")
    assert tar == LindiStore.open(UPSTREAM / "written.lindi.tar")
    assert tar != LindiStore.open(UPSTREAM / "written.lindi.d")
    assert tar != tar.with_read_only(False)
    memory = LindiStore()
    assert memory == memory.with_read_only(False)
    assert memory != LindiStore()


def test_zarr_style_async_open() -> None:
    reference_map = ReferenceMap({".zgroup": {"zarr_format": 2}})

    async def go() -> LindiStore:
        return await LindiStore.open(reference_map=reference_map, read_only=True)

    store = asyncio.run(go())
    assert store.read_only and store._is_open
    assert store.reference_map is reference_map
    with pytest.raises(TypeError, match="unexpected arguments"):
        LindiStore.open(UPSTREAM / "written.lindi.tar", "r", reference_map=reference_map)  # type: ignore[call-overload]


def test_missing_tar_member_is_a_clear_error(tmp_path: Path) -> None:
    store = LindiStore.open(UPSTREAM / "written.lindi.tar")
    store.reference_map.set_raw("dataset1/0.0", ["./blobs/nope", 0, 10])
    with pytest.raises(LindiFormatError, match="not a member of the archive"):
        _get(store, "dataset1/0.0")


def test_zarr_sync_pipeline_over_blobs(tmp_path: Path) -> None:
    path = tmp_path / "s.lindi.d"
    with LindiStore.open(path, "w", inline_threshold=0) as store:
        root = zarr.open_group(store, mode="r+", zarr_format=2)
        array = root.create_array("a", shape=(40,), chunks=(8,), dtype="i2")
        array[...] = np.arange(40)
    reader = LindiStore.open(path)
    root = zarr.open_group(reader, mode="r", zarr_format=2)
    np.testing.assert_array_equal(array_of(root, "a")[5:33], np.arange(5, 33))


@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.d", ".lindi.tar"])
def test_close_does_not_wait_on_zarr_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """At interpreter exit hdmf closes the files left open after zarr's atexit handler has
    stopped zarr's loop: a close that waited on that loop hung forever (issue 9, item 0)."""
    import hdmf_lindi.storage.store as store_module

    path = str(tmp_path / f"f{suffix}")
    LindiStore.open(path, mode="w").close()
    store = LindiStore.open(path, mode="r")

    def stopped_loop(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("close waited on zarr's event loop")

    monkeypatch.setattr(store_module, "sync", stopped_loop)
    store.close()
