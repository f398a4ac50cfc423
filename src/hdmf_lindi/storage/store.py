"""``LindiStore``: a zarr-python 3 :class:`~zarr.abc.store.Store` over a LINDI reference map.

Keys and their refs live in a :class:`~hdmf_lindi.storage.reference_map.ReferenceMap`; bytes
named by ``[url, offset, size]`` / ``[url]`` refs are read through a
:class:`~hdmf_lindi.storage.sources.router.SourceRouter` (local files, HTTP, object stores,
members of a ``.lindi.tar``). Opened from a container (``.lindi.json``, ``.lindi.d``,
``.lindi.tar``) with :meth:`LindiStore.open`, the store saves the map back on
:meth:`~LindiStore.flush` / :meth:`~LindiStore.close`.

Writes
------
* Metadata keys (``.zgroup``, ``.zarray``, ``.zattrs``, ``zarr.json``) holding a JSON object or
  array are stored as JSON in the document (as lindi 0.4.6 does); other bytes stay inline.
* A chunk shorter than ``inline_threshold`` bytes (default 1000, lindi 0.4.6's rule
  ``size < 1000``) is stored inline; a larger one goes to the staging area when one is given,
  else to the container's blobs (``.lindi.d``, ``.lindi.tar``). A ``.lindi.json`` (or an
  in-memory store) has nowhere else to put a large chunk: it is kept inline as ``base64:``,
  as lindi 0.4.6 does, and a ``UserWarning`` (once per store) suggests a ``.lindi.tar`` when
  such chunks pass :data:`LARGE_INLINE_WARNING_BYTES` of JSON.
* Chunks of object-dtype arrays (``.zarray`` dtype ``"|O"``: strings, references, compound
  rows, cached specs) are always inline, whatever their size, as lindi 0.4.6 does.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import threading
import warnings
from collections.abc import AsyncIterator, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self, overload

import orjson
from zarr.abc.store import (
    ByteRequest,
    Store,
)
from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.core.sync import sync

from hdmf_lindi.errors import (
    LindiError,
    LindiFormatError,
    LindiReadOnlyError,
    LindiSourceError,
)
from hdmf_lindi.storage._read_plan import (
    ReadPlan,
    check_byte_range,
    plan_read,
    plan_url_read,
)
from hdmf_lindi.storage.chunk_limits import ChunkLimitCache
from hdmf_lindi.storage.containers import Container, container_for
from hdmf_lindi.storage.containers.abc import PACK_MAX_BYTES, write_packed
from hdmf_lindi.storage.reference_map import (
    InlineRef,
    ReferenceMap,
    ResolvedRef,
    is_metadata_key,
)
from hdmf_lindi.storage.replacing import (
    TemporarySibling,
    check_replaceable,
    locked_for_writing,
    recover_if_interrupted,
)
from hdmf_lindi.storage.sources.router import SourceRouter

if TYPE_CHECKING:
    from zarr.core.buffer import BufferPrototype

    from hdmf_lindi.storage.containers.abc import BlobWriter
    from hdmf_lindi.storage.staging import StagingArea
    from hdmf_lindi.storage.writer_lock import WriterLock

__all__ = [
    "CREATING_MODES",
    "DEFAULT_INLINE_THRESHOLD",
    "EXCLUSIVE_MODES",
    "MODES",
    "LindiStore",
    "OpenMode",
]

DEFAULT_INLINE_THRESHOLD = 1000
#: JSON size (base64 of chunks inlined only for want of a place for blobs) past which a store
#: warns once that a ``.lindi.tar`` would suit better.
LARGE_INLINE_WARNING_BYTES = 50_000_000
"""Chunks shorter than this many bytes are stored inline (lindi 0.4.6 uses ``size < 1000``)."""

type OpenMode = Literal["r", "r+", "a", "w", "w-", "x"]
MODES: tuple[OpenMode, ...] = ("r", "r+", "a", "w", "w-", "x")
"""The modes of every opener (h5py's): ``"x"`` is ``"w-"``."""
CREATING_MODES: tuple[OpenMode, ...] = ("w", "w-", "x")
"""The modes that always create a new file (``"a"`` creates one only when it is missing)."""
EXCLUSIVE_MODES: tuple[OpenMode, ...] = ("w-", "x")
"""The modes that fail when the file exists."""


class _SharedState:
    """Write bookkeeping shared by a store and its :meth:`LindiStore.with_read_only` copies."""

    __slots__ = ("dirty", "large_inline_bytes", "lock", "saved_revision", "warned_large_inline")

    def __init__(self, saved_revision: int) -> None:
        self.lock = threading.RLock()
        self.dirty = False
        self.saved_revision = saved_revision
        self.large_inline_bytes = 0
        self.warned_large_inline = False


class LindiStore(Store):
    """A Zarr store whose keys are the refs of a LINDI reference map.

    Parameters
    ----------
    reference_map
        The map to serve; a new empty one when ``None``.
    container
        Where the map is saved on :meth:`flush` / :meth:`close` and where blobs go; ``None``
        for a store that lives only in memory.
    router
        Reads the bytes of URL refs; by default one built for ``container``.
    staging_area
        Where chunks of ``inline_threshold`` bytes or more are written (takes precedence over
        the container's blobs).
    inline_threshold
        Chunks shorter than this are stored inline; ``None`` stores every chunk inline.
    allow_local, local_cache
        Passed to the :class:`SourceRouter` built when ``router`` is not given.
    read_only
        Refuse writes.
    display_name
        What error messages call this store's file (default: the container's location); set
        when the container is a temporary file standing in for the user's target.

    Notes
    -----
    Use :meth:`LindiStore.open` to open a ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar``.
    Metadata should be read straight from :attr:`reference_map`: going through the async Zarr
    API costs far more per key.

    zarr reads an unsharded array with one :meth:`get` per chunk, at most
    ``zarr.config["async.concurrency"]`` (default 10) at a time; the gets in flight together
    are coalesced into few requests, so remote reads of many chunks take fewer round trips
    with ``zarr.config.set({"async.concurrency": 64})`` (not set by this package; see
    ``benchmarks/bench_remote_chunks.py``).
    """

    supports_writes: bool = True
    supports_deletes: bool = True
    supports_listing: bool = True
    _supports_sync_io: bool = True

    def __init__(
        self,
        reference_map: ReferenceMap | None = None,
        *,
        container: Container | None = None,
        router: SourceRouter | None = None,
        staging_area: StagingArea | None = None,
        inline_threshold: int | None = DEFAULT_INLINE_THRESHOLD,
        allow_local: bool | None = None,
        local_cache: Any = None,
        read_only: bool = False,
        display_name: str | None = None,
    ) -> None:
        super().__init__(read_only=read_only)
        if inline_threshold is not None and inline_threshold < 0:
            raise ValueError(f"inline_threshold must be >= 0 or None, got {inline_threshold}")
        source = container.location if container is not None else "<memory>"
        self._reference_map = (
            reference_map if reference_map is not None else ReferenceMap(source=source)
        )
        self._container = container
        self._display_name = display_name
        self._staging_area = staging_area
        self._inline_threshold = inline_threshold
        self._router_options: dict[str, Any] = {
            "allow_local": allow_local,
            "local_cache": local_cache,
        }
        self._explicit_router = router is not None
        self._router = router if router is not None else self._build_router()
        self._staged_router: SourceRouter | None = None
        self._shared = _SharedState(self._reference_map.revision)
        self._owns_resources = True
        self._writer_lock: WriterLock | None = None
        self._temporary: TemporarySibling | None = None
        self._chunk_limits = ChunkLimitCache()

    # ------------------------------------------------------------------ opening
    @overload
    @classmethod
    def open(
        cls,
        path_or_url: str | os.PathLike[str] | Container,
        mode: OpenMode = "r",
        local_cache: Any = None,
        *,
        staging_area: StagingArea | None = None,
        inline_threshold: int | None = DEFAULT_INLINE_THRESHOLD,
        allow_local: bool | None = None,
        display_name: str | None = None,
    ) -> Self: ...

    @overload
    @classmethod
    def open(cls, **store_kwargs: Any) -> Coroutine[Any, Any, Self]: ...

    @classmethod
    def open(
        cls,
        path_or_url: str | os.PathLike[str] | Container | None = None,
        mode: OpenMode = "r",
        local_cache: Any = None,
        *,
        staging_area: StagingArea | None = None,
        inline_threshold: int | None = DEFAULT_INLINE_THRESHOLD,
        allow_local: bool | None = None,
        display_name: str | None = None,
        **store_kwargs: Any,
    ) -> Self | Coroutine[Any, Any, Self]:
        """Open a ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar``, local or remote.

        .. important::
           Called with keyword arguments only (no ``path_or_url``), this is zarr's async
           ``Store.open``: it returns a coroutine (await it) that constructs the store from the
           keyword arguments. Pass ``path_or_url`` (positionally or by name) for the
           synchronous open described here.

        Parameters
        ----------
        path_or_url
            The LINDI file (kind from the suffix, else from the content) or a
            :class:`~hdmf_lindi.storage.containers.Container`.
        mode
            ``"r"`` read; ``"r+"`` read/write, must exist; ``"a"`` read/write, created when
            missing; ``"w"`` create (replacing what is there); ``"w-"``/``"x"`` create, fail
            if it exists. New files hold an empty root group; a local one is written beside
            the target (:class:`~hdmf_lindi.storage.replacing.TemporarySibling`) and put in
            place by :meth:`close`: until then the old file stays as it was. A remote file
            opened for writing is edited in memory only (see :attr:`reference_map`).
        local_cache
            A ``LocalCache`` for remote byte ranges.
        staging_area
            Where large new chunks are written.
        inline_threshold
            Chunks shorter than this many bytes are stored inline; ``None``: all inline.
        allow_local
            Whether refs may name local files (default: only when the LINDI file is local).
        display_name
            What error messages call the file (default: its location).

        Returns
        -------
        LindiStore
            Ready for ``zarr.open_group(store, mode=..., zarr_format=2)``.

        Raises
        ------
        LindiLockedError
            A writable mode while another writer has the local file open (every writer holds
            the file's :class:`~hdmf_lindi.storage.writer_lock.WriterLock` until
            :meth:`close`).
        LindiSourceError
            ``"r"``/``"r+"`` of a missing file; ``"w"`` over something that is not a LINDI file
            of that kind (a directory without ``lindi.json``, ...).

        Notes
        -----
        Called with keyword arguments only (no ``path_or_url``), this is zarr's
        ``Store.open``: an awaitable that constructs the store from ``store_kwargs``.
        """
        if path_or_url is None:
            return super().open(
                staging_area=staging_area,
                inline_threshold=inline_threshold,
                allow_local=allow_local,
                local_cache=local_cache,
                display_name=display_name,
                **store_kwargs,
            )
        if store_kwargs:
            raise TypeError(f"unexpected arguments: {sorted(store_kwargs)}")
        return cls._open_container(
            path_or_url,
            mode,
            local_cache=local_cache,
            staging_area=staging_area,
            inline_threshold=inline_threshold,
            allow_local=allow_local,
            display_name=display_name,
        )

    @classmethod
    def _open_container(
        cls,
        path_or_url: str | os.PathLike[str] | Container,
        mode: OpenMode,
        *,
        local_cache: Any,
        staging_area: StagingArea | None,
        inline_threshold: int | None,
        allow_local: bool | None,
        display_name: str | None = None,
    ) -> Self:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        container = (
            path_or_url if isinstance(path_or_url, Container) else container_for(path_or_url)
        )
        if staging_area is not None and mode == "r":
            raise ValueError("a staging area needs a writable mode ('r+', 'a', 'w', 'w-', 'x')")
        options: dict[str, Any] = {
            "local_cache": local_cache,
            "staging_area": staging_area,
            "inline_threshold": inline_threshold,
            "allow_local": allow_local,
        }
        if container.is_remote or mode == "r":
            if not container.is_remote:
                recover_if_interrupted(container.location)
            return cls._open_locked(container, mode, display_name=display_name, **options)
        lock = locked_for_writing(container.location)
        temporary: TemporarySibling | None = None
        try:
            # checked with the lock held: no other writer creates or replaces it meanwhile
            creating = mode in CREATING_MODES or (mode == "a" and not container.exists())
            if creating:
                if mode in EXCLUSIVE_MODES and container.exists():
                    raise LindiSourceError(f"{container.location}: already exists (mode {mode!r})")
                check_replaceable(container.location, directory=container.kind == "directory")
                # the new file is written beside the target and put in place at close
                temporary = TemporarySibling(container.location, exclusive=mode != "w")
                if display_name is None:
                    display_name = container.location
                container = container_for(temporary.path, kind=container.kind)
            store = cls._open_locked(
                container, "w" if creating else mode, display_name=display_name, **options
            )
        except BaseException:
            if temporary is not None:
                temporary.discard()
            lock.release()
            raise
        store._writer_lock = lock
        store._temporary = temporary
        return store

    @classmethod
    def _open_locked(
        cls,
        container: Container,
        mode: OpenMode,
        *,
        local_cache: Any,
        staging_area: StagingArea | None,
        inline_threshold: int | None,
        allow_local: bool | None,
        display_name: str | None,
    ) -> Self:
        reference_map: ReferenceMap | None = None
        if mode in CREATING_MODES:
            # a local one is a fresh temporary path here (see _open_container)
            if container.is_remote:
                raise LindiReadOnlyError(f"{container.location}: cannot create a remote file")
            reference_map = ReferenceMap(
                {".zgroup": {"zarr_format": 2}},
                source=display_name if display_name is not None else container.location,
            )
            container.create(reference_map)
        elif not container.exists():
            raise LindiSourceError(f"{container.location}: no such LINDI file")
        store = cls(
            reference_map,
            container=container,
            staging_area=staging_area,
            inline_threshold=inline_threshold,
            allow_local=allow_local,
            local_cache=local_cache,
            read_only=mode == "r",
            display_name=display_name,
        )
        if reference_map is None:
            try:
                store._reference_map = sync(container.load(store._router))
            except BaseException:
                store._release()
                raise
        store._is_open = True
        return store

    def _build_router(self) -> SourceRouter:
        container = self._container
        return SourceRouter(
            base_url=container.base_url if container is not None else None,
            member_resolver=container.member_resolver if container is not None else None,
            **self._router_options,
        )

    def with_read_only(self, read_only: bool = False) -> LindiStore:
        # docstring inherited
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        Store.__init__(clone, read_only=read_only)
        clone._owns_resources = False
        return clone

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_shared"] = None
        state["_staged_router"] = None
        state["_writer_lock"] = None
        state["_temporary"] = None
        if not self._explicit_router:
            state["_router"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._shared = _SharedState(self._reference_map.revision)
        if self._router is None:
            self._router = self._build_router()

    # ------------------------------------------------------------------ identity
    @property
    def reference_map(self) -> ReferenceMap:
        """The map being served (the conventions layer reads metadata straight from it)."""
        return self._reference_map

    @property
    def container(self) -> Container | None:
        """Where the map is saved, or ``None`` for an in-memory store."""
        return self._container

    @property
    def is_new(self) -> bool:
        """Whether this store writes a new local file, put in place by :meth:`close`."""
        return self._temporary is not None

    @property
    def router(self) -> SourceRouter:
        """Reads the bytes of URL refs."""
        return self._router

    @property
    def display_name(self) -> str:
        """What error messages call this store's file."""
        if self._display_name is not None:
            return self._display_name
        return self._container.location if self._container is not None else "<memory>"

    @property
    def staging_area(self) -> StagingArea | None:
        """Where large new chunks go, if anywhere."""
        return self._staging_area

    @property
    def inline_threshold(self) -> int | None:
        """Chunks shorter than this many bytes are stored inline; ``None``: all inline."""
        return self._inline_threshold

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LindiStore) or type(self) is not type(other):
            return False
        if self.read_only != other.read_only:
            return False
        if self._container is not None or other._container is not None:
            return self._container == other._container
        return self._reference_map is other._reference_map

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        if self._container is not None:
            return f"lindi://{self._container.location}"
        return f"lindi://<memory {id(self._reference_map):#x}>"

    def __repr__(self) -> str:
        return f"LindiStore('{self}')"

    # ------------------------------------------------------------------ reading
    async def get(
        self,
        key: str,
        prototype: BufferPrototype | None = None,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        # docstring inherited
        check_byte_range(byte_range)
        if prototype is None:
            prototype = default_buffer_prototype()
        if not self._is_open:
            await self._open()
        plan = self._plan(key, byte_range)
        if plan is None:
            return None
        return prototype.buffer.from_bytes(await self._execute(plan))

    async def get_partial_values(
        self,
        prototype: BufferPrototype,
        key_ranges: Iterable[tuple[str, ByteRequest | None]],
    ) -> list[Buffer | None]:
        # docstring inherited
        plans: list[ReadPlan | None] = []
        for key, byte_range in key_ranges:
            check_byte_range(byte_range)
            plans.append(self._plan(key, byte_range))
        by_router: dict[int, tuple[SourceRouter, list[ReadPlan]]] = {}
        for plan in plans:
            if plan is not None and plan.data is None:
                router = self._router_for(plan.url)
                by_router.setdefault(id(router), (router, []))[1].append(plan)
        for router, pending in by_router.values():
            try:
                raws = await router.read_many([(p.url, p.offset, p.size) for p in pending])
            except LindiError as exc:
                raise _with_context(exc, ", ".join(p.where for p in pending[:3])) from exc
            for plan, raw in zip(pending, raws, strict=True):
                plan.data = plan.finish(raw)
        return [None if p is None else prototype.buffer.from_bytes(p.data or b"") for p in plans]

    async def exists(self, key: str) -> bool:
        # docstring inherited
        return key in self._reference_map

    async def getsize(self, key: str) -> int:
        # docstring inherited
        ref = self._resolve(key)
        if ref is None:
            raise FileNotFoundError(key)
        if isinstance(ref, InlineRef):
            return len(ref.data)
        if ref.size is not None:
            return ref.size
        return len(await self._execute(plan_url_read(key, ref, None, self._container)))

    def get_sync(
        self,
        key: str,
        *,
        prototype: BufferPrototype | None = None,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        """Synchronous :meth:`get` (used by zarr's synchronous codec pipeline); URL refs are
        read through the router's synchronous API.

        Parameters
        ----------
        key
            Zarr key, e.g. ``"data/0.0"`` or ``"group/.zattrs"``.
        prototype
            Buffer prototype for the result (default: zarr's default buffer prototype).
        byte_range
            Part of the value to return (``RangeByteRequest``, ``OffsetByteRequest`` or
            ``SuffixByteRequest``); None: all of it.

        Returns
        -------
        Buffer or None
            The value's bytes, or None when ``key`` is not in the store.

        Raises
        ------
        LindiSourceError
            When the bytes a ref names cannot be read.
        LindiSecurityError
            When a ref names a local file that this store may not read.
        """
        check_byte_range(byte_range)
        if prototype is None:
            prototype = default_buffer_prototype()
        if not self._is_open:
            self._is_open = True
        plan = self._plan(key, byte_range)
        if plan is None:
            return None
        if plan.data is not None:
            data = plan.data
        else:
            router = self._router_for(plan.url)
            try:
                raw = router.read_sync(plan.url, plan.offset, plan.size)
            except LindiError as exc:
                raise _with_context(exc, plan.where) from exc
            data = plan.finish(raw)
        return prototype.buffer.from_bytes(data)

    def _resolve(self, key: str) -> ResolvedRef | None:
        return self._reference_map.resolve(key)

    def _plan(self, key: str, byte_range: ByteRequest | None) -> ReadPlan | None:
        plan = plan_read(key, self._resolve(key), byte_range, self._container)
        if plan is None:
            return None
        plan.where = f"{self.display_name}: {key}"
        if byte_range is None and not is_metadata_key(key):
            limits = self._chunk_limits.for_key(
                self._reference_map, key, where=f"{self.display_name}: "
            )
            if limits is not None:
                plan.check_limits(limits, where=plan.where)
        return plan

    async def _execute(self, plan: ReadPlan) -> bytes:
        if plan.data is not None:
            return plan.data
        try:
            raw = await self._router_for(plan.url).read(plan.url, plan.offset, plan.size)
        except LindiError as exc:
            raise _with_context(exc, plan.where) from exc
        return plan.finish(raw)

    def _router_for(self, url: str) -> SourceRouter:
        """The router for a ref URL: staged blobs are local files that this store wrote, read
        even when the LINDI file is remote (whose router refuses local files)."""
        staging_area = self._staging_area
        if staging_area is None or not staging_area.contains(url):
            return self._router
        if self._staged_router is None:
            self._staged_router = SourceRouter(allow_local=True)
        return self._staged_router

    # ------------------------------------------------------------------ listing
    async def list(self) -> AsyncIterator[str]:
        # docstring inherited
        for key in list(self._reference_map.keys()):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        # docstring inherited
        for key in self._reference_map.list_prefix(prefix):
            yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        # docstring inherited
        for name in self._reference_map.list_dir(prefix):
            yield name

    # ------------------------------------------------------------------ writing
    async def set(self, key: str, value: Buffer) -> None:
        # docstring inherited
        self._check_writable()
        await self._ensure_open()
        data = self._value_bytes(value)
        if self._goes_to_blob(key, data):
            await asyncio.to_thread(self._store_bytes, key, data)
        else:
            self._store_bytes(key, data)

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        # docstring inherited
        self._check_writable()
        await self._ensure_open()
        data = self._value_bytes(value)
        with self._shared.lock:
            if key not in self._reference_map:
                self._store_bytes(key, data)

    async def delete(self, key: str) -> None:
        # docstring inherited
        self._check_writable()
        self._delete_keys([key])

    async def delete_dir(self, prefix: str) -> None:
        # docstring inherited
        self._check_writable()
        if prefix != "" and not prefix.endswith("/"):
            prefix += "/"
        self._delete_keys(self._reference_map.list_prefix(prefix))

    def set_sync(self, key: str, value: Buffer) -> None:
        """Synchronous :meth:`set`.

        Parameters
        ----------
        key
            Zarr key, e.g. ``"data/0.0"``.
        value
            The bytes: metadata (``.zarray``, ``.zattrs``, ...) is kept as JSON, chunks go
            inline, to the staging area or to the container's blobs by size.

        Raises
        ------
        ValueError
            When the store was opened read-only (zarr's ``Store._check_writable``).
        """
        self._check_writable()
        if not self._is_open:
            self._is_open = True
        self._store_bytes(key, self._value_bytes(value))

    def set_many_sync(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Write many keys at once (consumed lazily, so a generator keeps memory bounded).

        Chunks that go to blobs are packed: up to 32 MiB of them at a time become one blob (one
        tar member, one file), each chunk's ref a byte range of it. A dataset of 100,000 small
        chunks costs a few file writes instead of 100,000.

        Parameters
        ----------
        items
            ``(key, bytes)`` pairs, as :meth:`set_sync` takes them one at a time.

        Raises
        ------
        ValueError
            When the store was opened read-only.
        """
        self._check_writable()
        if not self._is_open:
            self._is_open = True
        pack: builtins.list[tuple[str, bytes]] = []
        pack_bytes = 0
        object_arrays: dict[str, bool] = {}
        for key, data in items:
            if is_metadata_key(key):
                object_arrays.clear()
            if not self._goes_to_blob(key, data, object_arrays):
                self._store_bytes(key, data)
                continue
            pack.append((key, data))
            pack_bytes += len(data)
            if pack_bytes >= PACK_MAX_BYTES:
                self._store_pack(pack)
                pack, pack_bytes = [], 0
        if pack:
            self._store_pack(pack)

    def delete_sync(self, key: str) -> None:
        """Synchronous :meth:`delete`."""
        self._check_writable()
        self._delete_keys([key])

    @staticmethod
    def _value_bytes(value: Buffer) -> bytes:
        if not isinstance(value, Buffer):
            raise TypeError(
                f"LindiStore.set(): `value` must be a Buffer instance. Got an instance of "
                f"{type(value)} instead."
            )
        return value.to_bytes()

    def _goes_to_blob(
        self, key: str, data: bytes, object_arrays: dict[str, bool] | None = None
    ) -> bool:
        """Whether a chunk is written as a blob: one too large to inline (see
        :meth:`_too_large_to_inline`) when the store has a place for blobs."""
        return self._has_blob_place() and self._too_large_to_inline(key, data, object_arrays)

    def _has_blob_place(self) -> bool:
        return self._staging_area is not None or (
            self._container is not None and self._container.blob_writer is not None
        )

    def _too_large_to_inline(
        self, key: str, data: bytes, object_arrays: dict[str, bool] | None = None
    ) -> bool:
        """Chunks of ``inline_threshold`` bytes or more, except those of object-dtype arrays
        (strings, references, compound rows: always inline, as lindi 0.4.6 does).
        ``object_arrays`` memoizes the dtype test by the key's parent."""
        if is_metadata_key(key) or self._inline_threshold is None:
            return False
        if len(data) < self._inline_threshold:
            return False
        if object_arrays is None:
            return not self._is_object_array_chunk(key)
        parent = key.rpartition("/")[0]
        is_object = object_arrays.get(parent)
        if is_object is None:
            is_object = object_arrays[parent] = self._is_object_array_chunk(key)
        return not is_object

    def _is_object_array_chunk(self, key: str) -> bool:
        """Whether ``key`` is a chunk of a Zarr v2 array whose ``.zarray`` dtype is ``"|O"``
        (the nearest ``.zarray`` above the key), or of a Zarr v3 array of strings, bytes or
        compound rows."""
        reference_map = self._reference_map

        def metadata(metadata_key: str) -> Any:
            # a store holds any bytes under any key: metadata that is not JSON names no array
            try:
                return reference_map.get_json(metadata_key)
            except LindiFormatError:
                return None

        prefix = key
        while "/" in prefix:
            prefix = prefix.rsplit("/", 1)[0]
            if prefix + "/.zarray" in reference_map:
                return _has_object_dtype(metadata(prefix + "/.zarray"))
            if prefix + "/zarr.json" in reference_map:
                return _has_object_data_type(metadata(prefix + "/zarr.json"))
        if ".zarray" in reference_map:
            return _has_object_dtype(metadata(".zarray"))
        return False

    def _blob_writer(self, key: str, size: int) -> BlobWriter:
        if self._staging_area is not None:
            return self._staging_area
        writer = self._container.blob_writer if self._container is not None else None
        if writer is None:  # _goes_to_blob said there is a place
            raise AssertionError(f"{self.display_name}: no place for the blob {key!r}")
        return writer

    def _count_large_inline(self, key: str, data: bytes) -> None:
        """Account for a chunk kept inline only because the store has no place for blobs;
        warn once when they pass :data:`LARGE_INLINE_WARNING_BYTES` of base64."""
        if self._has_blob_place() or not self._too_large_to_inline(key, data):
            return
        shared = self._shared
        shared.large_inline_bytes += (len(data) + 2) // 3 * 4
        if shared.warned_large_inline or shared.large_inline_bytes < LARGE_INLINE_WARNING_BYTES:
            return
        shared.warned_large_inline = True
        warnings.warn(
            f"{self.display_name}: over {LARGE_INLINE_WARNING_BYTES // 1_000_000} MB of chunks "
            "are kept inline in the JSON as base64 (a .lindi.json has no place for blobs); a "
            ".lindi.tar (or .lindi.d) keeps them as binary blobs beside the JSON and opens "
            "faster",
            UserWarning,
            stacklevel=2,
        )

    def _store_bytes(self, key: str, data: bytes) -> None:
        reference_map = self._reference_map
        with self._shared.lock:
            previous = reference_map.get_raw(key)
            if is_metadata_key(key):
                parsed = _parse_json_container(data)
                if parsed is not None:
                    reference_map.set_json(key, parsed)
                else:
                    reference_map.set_inline(key, data)
            elif self._goes_to_blob(key, data):
                ref = self._blob_writer(key, len(data)).write_blob(key, data)
                reference_map.set_raw(key, ref)
            else:
                self._count_large_inline(key, data)
                reference_map.set_inline(key, data)
            if isinstance(previous, list) and self._container is not None:
                self._container.forget_blob(previous)
            self._shared.dirty = True

    def _store_pack(self, items: Sequence[tuple[str, bytes]]) -> None:
        writer = self._blob_writer(items[0][0], sum(len(d) for _, d in items))
        reference_map = self._reference_map
        keys = [key for key, _data in items]
        with self._shared.lock:
            refs = write_packed(writer, items)
            if self._container is not None:
                for key in keys:
                    previous = reference_map.get_raw(key)
                    if isinstance(previous, list):
                        self._container.forget_blob(previous)
            reference_map.set_byte_ranges(zip(keys, refs, strict=True))
            self._shared.dirty = True

    def _delete_keys(self, keys: Iterable[str]) -> None:
        reference_map = self._reference_map
        with self._shared.lock:
            for key in list(keys):
                previous = reference_map.get_raw(key)
                if previous is None:
                    continue
                reference_map.delete(key)
                if isinstance(previous, list) and self._container is not None:
                    self._container.forget_blob(previous)
                self._shared.dirty = True

    # ------------------------------------------------------------------ saving
    @property
    def is_dirty(self) -> bool:
        """Whether there are changes not yet saved to the container (made through the store,
        or straight to :attr:`reference_map` by the conventions layer)."""
        shared = self._shared
        return shared.dirty or self._reference_map.revision != shared.saved_revision

    def forget_changes(self) -> None:
        """Make the next :meth:`flush` / :meth:`close` save nothing: the file keeps its last
        saved state (the in-memory map keeps the changes; blobs already written to a
        container stay there unreferenced)."""
        self._shared.dirty = False
        self._shared.saved_revision = self._reference_map.revision

    def flush(self) -> None:
        """Save the map to the container (crash-safely) if it changed.

        Raises
        ------
        LindiReadOnlyError
            When there are changes and the container is remote.
        """
        container = self._container
        if container is None or not self.is_dirty:
            return
        if container.is_remote:
            raise LindiReadOnlyError(
                f"{container.location}: a remote LINDI file cannot be saved; write "
                "store.reference_map to a local file instead"
            )
        with self._shared.lock:
            container.save(self._reference_map)
            self._shared.dirty = False
            self._shared.saved_revision = self._reference_map.revision

    def close(self, *, commit: bool = True) -> None:
        """Save pending changes (local containers; a remote file's edits stay in memory),
        put a new file in place, and release file handles and the writer lock.

        Parameters
        ----------
        commit
            ``False``: save nothing (see :meth:`forget_changes`): a new file is not created,
            an existing one keeps its last saved state. A failed save does the same.
        """
        container = self._container
        try:
            if not commit:
                self.forget_changes()
            elif container is not None and not container.is_remote and not self.read_only:
                self.flush()
        except BaseException:
            commit = False
            raise
        finally:
            if self._owns_resources:
                self._release(commit=commit)
        super().close()

    def _release(self, *, commit: bool = False) -> None:
        """Close the container and routers (never through zarr's loop: at interpreter exit it
        may already be stopped), put a new file in place (``commit``) or delete it, then
        release the writer lock."""
        lock, self._writer_lock = self._writer_lock, None
        temporary, self._temporary = self._temporary, None
        try:
            try:
                if self._container is not None:
                    self._container.close()
                if not self._explicit_router:
                    self._router.close_blocking()
                if self._staged_router is not None:
                    self._staged_router.close_blocking()
            except BaseException:
                if temporary is not None:
                    temporary.discard()
                raise
            if temporary is not None:
                if commit:
                    temporary.commit()
                else:
                    temporary.discard()
        finally:
            if lock is not None:
                lock.release()


def _with_context(exc: LindiError, where: str) -> LindiError:
    """``exc`` (raised reading the bytes a ref names) again, prefixed with the store's file
    and the key whose ref it was, unless its message already starts with them."""
    message = str(exc)
    if not where or message.startswith(where):
        return exc
    return type(exc)(f"{where}: {message}")


def _has_object_dtype(zarray: Any) -> bool:
    return isinstance(zarray, dict) and zarray.get("dtype") == "|O"


def _has_object_data_type(metadata: Any) -> bool:
    """Whether a Zarr v3 array holds what lindi-v1 stores as object arrays (strings,
    references, compound rows): kept inline alike."""
    if not isinstance(metadata, dict) or metadata.get("node_type") != "array":
        return False
    data_type = metadata.get("data_type")
    if isinstance(data_type, dict):
        return data_type.get("name") in ("struct", "structured")
    return data_type in ("string", "variable_length_bytes")


def _parse_json_container(data: bytes) -> dict[str, Any] | list[Any] | None:
    """The JSON object/array in ``data``, or ``None`` when it is not strict JSON of that kind
    (non-JSON bytes and documents with ``NaN`` literals stay inline, byte for byte)."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict | list) else None
