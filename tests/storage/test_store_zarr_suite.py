"""zarr-python's own store conformance suite (``zarr.testing.store.StoreTests``) run against
``LindiStore`` over each container kind.

* ``.lindi.json``: default inline threshold, so every value lives in the JSON document.
* ``.lindi.d`` and ``.lindi.tar``: ``inline_threshold=0``, so every chunk (even an empty one)
  goes through the container's blob writer and every read through the byte-source router.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from zarr.core.buffer import Buffer, cpu
from zarr.testing.store import StoreTests

from hdmf_lindi.storage.containers import (
    Container,
    DirectoryContainer,
    JsonFileContainer,
    TarContainer,
)
from hdmf_lindi.storage.reference_map import InlineRef, ReferenceMap
from hdmf_lindi.storage.store import LindiStore

# the inherited suite mixes sync and async tests; pytest-asyncio runs the async ones and warns
# about the mark on the sync ones, which is expected here
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings(
        "ignore:The test <Function .* is marked with '@pytest.mark.asyncio'"
    ),
]


def _read_backend(store: LindiStore, key: str) -> bytes:
    """The bytes stored for ``key``, read from the map and the files, not through the store."""
    ref = store.reference_map.resolve(key)
    assert ref is not None, key
    if isinstance(ref, InlineRef):
        return ref.data
    container = store.container
    assert container is not None and ref.size is not None
    if isinstance(container, TarContainer):
        member = container.resolve_member(ref.url)
        assert member is not None
        path, offset = member.location, member.offset + ref.offset
    else:
        assert ref.url.startswith("./")
        path, offset = os.path.join(container.location, ref.url[2:]), ref.offset
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(ref.size)


class _LindiStoreSuite(StoreTests[LindiStore, cpu.Buffer]):
    store_cls = LindiStore
    buffer_cls = cpu.Buffer
    inline_threshold: int | None = None

    def make_container(self, tmp_path: Path) -> Container:
        raise NotImplementedError

    @pytest.fixture
    def store_kwargs(self, tmp_path: Path) -> dict[str, Any]:
        container = self.make_container(tmp_path)
        container.create(ReferenceMap())
        kwargs: dict[str, Any] = {"container": container}
        if self.inline_threshold is not None:
            kwargs["inline_threshold"] = self.inline_threshold
        return kwargs

    # the inherited fixtures are plain async functions, which pytest-asyncio's strict mode
    # does not run; these are the same fixtures declared for pytest-asyncio
    @pytest_asyncio.fixture
    async def store(self, open_kwargs: dict[str, Any]) -> LindiStore:  # type: ignore[override]
        return await self.store_cls.open(**open_kwargs)

    @pytest_asyncio.fixture
    async def store_not_open(  # type: ignore[override]
        self, store_kwargs: dict[str, Any]
    ) -> LindiStore:
        return self.store_cls(**store_kwargs)

    async def set(self, store: LindiStore, key: str, value: Buffer) -> None:
        data = value.to_bytes()
        container = store.container
        writer = container.blob_writer if container is not None else None
        if writer is not None and self.inline_threshold == 0:
            store.reference_map.set_raw(key, writer.write_blob(key, data))
        else:
            store.reference_map.set_inline(key, data)

    async def get(self, store: LindiStore, key: str) -> Buffer:
        return self.buffer_cls.from_bytes(_read_backend(store, key))

    def test_store_repr(self, store: LindiStore) -> None:
        assert store.container is not None
        assert repr(store) == f"LindiStore('lindi://{store.container.location}')"

    def test_store_supports_writes(self, store: LindiStore) -> None:
        assert store.supports_writes

    def test_store_supports_listing(self, store: LindiStore) -> None:
        assert store.supports_listing


class TestJsonFileStore(_LindiStoreSuite):
    def make_container(self, tmp_path: Path) -> Container:
        return JsonFileContainer(tmp_path / "suite.lindi.json")

    async def test_values_are_inline(self, store: LindiStore) -> None:
        await store.set("a/0", self.buffer_cls.from_bytes(b"\xff\x01"))
        assert store.reference_map.get_raw("a/0") == "base64:/wE="


class TestDirectoryStore(_LindiStoreSuite):
    inline_threshold = 0

    def make_container(self, tmp_path: Path) -> Container:
        return DirectoryContainer(tmp_path / "suite.lindi.d")

    async def test_values_are_blobs(self, store: LindiStore) -> None:
        await store.set("a/0", self.buffer_cls.from_bytes(b"\x00\x01"))
        assert store.reference_map.get_raw("a/0") == ["./blobs/a/0", 0, 2]


class TestTarStore(_LindiStoreSuite):
    inline_threshold = 0

    def make_container(self, tmp_path: Path) -> Container:
        return TarContainer(tmp_path / "suite.lindi.tar")

    async def test_values_are_blobs(self, store: LindiStore) -> None:
        await store.set("a/0", self.buffer_cls.from_bytes(b"\x00\x01"))
        assert store.reference_map.get_raw("a/0") == ["./blobs/a/0", 0, 2]
