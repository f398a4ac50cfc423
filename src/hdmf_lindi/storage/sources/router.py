"""``SourceRouter``: picks the byte source for a URL, resolves relative refs, enforces policy.

Every byte the package reads by URL goes through here: local paths and ``file://`` URLs,
``http(s)://``, and object stores (``s3://``, ``gs://``, ``az://``, ...). Range reads issued
in the same event-loop turn are batched per URL and coalesced by the backend; remote ranges go
through the ``LocalCache`` when one is given. ``read_sync``/``read_many_sync``/``size_sync``
serve synchronous callers from a private background event loop.

``https://`` URLs always go through the plain HTTP source, also when the host is an object
store (``*.s3.amazonaws.com``, ``storage.googleapis.com``, ``*.blob.core.windows.net``, ...):
public and presigned URLs work as they are, without credentials or the store's own API. Use an
``s3://``, ``gs://`` or ``az://`` URL to read through the object-store source (credentials,
endpoint and region from the environment or the ``*_options`` arguments).
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import threading
import urllib.parse
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from hdmf_lindi.errors import LindiSecurityError, LindiSourceError
from hdmf_lindi.storage.sources._background_loop import run_sync
from hdmf_lindi.storage.sources._bounded_get import DEFAULT_MAX_OBJECT_BYTES
from hdmf_lindi.storage.sources.abc import ByteSource, ContainerMember
from hdmf_lindi.storage.sources.batcher import ReadBatcher
from hdmf_lindi.storage.sources.dandi import DandiSource
from hdmf_lindi.storage.sources.local import LocalFileSource
from hdmf_lindi.storage.sources.object_store import OBJECT_STORE_SCHEMES, ObjectStoreSource

if TYPE_CHECKING:
    from hdmf_lindi.storage.cache import LocalCache

__all__ = ["ResolvedTarget", "SourceRouter", "is_remote_url"]

type SourceKind = Literal["local", "http", "object_store"]
type ReadRequest = tuple[str, int | None, int | None]

SIZE_SYNC_TIMEOUT = 120.0
"""Seconds :meth:`SourceRouter.size_sync` waits in all (redirect check, ``HEAD``, retries)."""
_URL_SAFE_CHARACTERS = "/:@!$&'()*+,;=-._~"


def _scheme_of(url: str) -> str:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    # A one-letter "scheme" is a Windows drive letter: a local path.
    return "" if len(scheme) <= 1 else scheme


def _kind_of_scheme(scheme: str) -> SourceKind | None:
    if scheme in ("", "file"):
        return "local"
    if scheme in ("http", "https"):
        return "http"
    if scheme in OBJECT_STORE_SCHEMES:
        return "object_store"
    return None


def is_remote_url(url: str) -> bool:
    """Whether ``url`` names something that is not a local file (http(s) or an object store)."""
    return _kind_of_scheme(_scheme_of(url)) not in ("local", None)


def _local_path_of(url: str) -> str:
    if _scheme_of(url) == "file":
        parts = urllib.parse.urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise LindiSourceError(f"{url}: file:// URLs on another host are not supported")
        return urllib.parse.unquote(parts.path)
    return os.path.expanduser(url)


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """Where a ref's bytes are: ``location`` (an absolute path or URL) of ``kind``, with
    ``base_offset`` added to every offset (non-zero for members of a ``.lindi.tar``, whose
    ``member_size`` is their size)."""

    ref_url: str
    kind: SourceKind
    location: str
    base_offset: int = 0
    member_size: int | None = None

    @property
    def is_member(self) -> bool:
        """Whether the bytes are a member of a container file (``.lindi.tar``)."""
        return self.member_size is not None


class SourceRouter:
    """Reads bytes for the refs of one LINDI file.

    Parameters
    ----------
    base_url
        Location (local directory/file path or URL) that relative refs (``./blobs/x``) resolve
        against: the LINDI file's own location. A local directory, a URL ending in ``/`` or a
        name ending in ``.lindi.d`` is used as the directory itself; otherwise (a
        ``.lindi.json`` file) its parent directory.
    allow_local
        Whether refs may name local files. Default: allowed when ``base_url`` is local or None,
        refused when the LINDI file itself came from a URL.
    local_cache
        A ``LocalCache`` for remote byte ranges, or None.
    member_resolver
        For containers whose blobs live inside one file (``.lindi.tar``): maps a relative ref
        URL (``"./blobs/a/0"``) to ``(url_or_path_of_container, byte_offset_of_member)``, or
        ``None`` when the container has no such member.
    client_options, retry_config
        obstore ``ClientConfig`` and ``RetryConfig`` for HTTP and object-store requests
        (defaults: 5 s to connect, 30 s per request including its body; 5 retries with
        backoff from 100 ms to 5 s, none started after 60 s). Range reads whose body stalls
        or is reset are retried under the same config.
    max_object_bytes
        Largest whole-object read (a ``.lindi.json`` document) accepted from any source,
        announced or received; default 2 GiB. Larger raises ``LindiLimitError``. Range
        reads are bounded by their requested size.
    s3_options, gcs_options, azure_options
        obstore store configuration (endpoint, region, credentials, ...) per service, on top of
        the environment.
    sources
        Byte sources to use instead of the built-in ones, by kind (``"local"``, ``"http"``,
        ``"object_store"``).

    Notes
    -----
    Refs are checked before anything is read: relative refs may not leave the base
    (``./blobs/../../x`` raises ``LindiSecurityError``), and local files are refused (also
    ``LindiSecurityError``) when ``allow_local`` is false.

    ``https://`` URLs always use the HTTP source, even when they name an S3, GCS or Azure host
    (public or presigned URLs need nothing else); ``s3://``, ``gs://`` and ``az://`` URLs use
    the object-store source with its credentials and options.

    A failure to write ``local_cache`` does not fail the read: it is reported once per cache
    directory with a ``RuntimeWarning``.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        allow_local: bool | None = None,
        local_cache: Any = None,
        member_resolver: Callable[[str], ContainerMember | None] | None = None,
        client_options: Mapping[str, Any] | None = None,
        retry_config: Mapping[str, Any] | None = None,
        s3_options: Mapping[str, Any] | None = None,
        gcs_options: Mapping[str, Any] | None = None,
        azure_options: Mapping[str, Any] | None = None,
        sources: Mapping[SourceKind, ByteSource] | None = None,
        max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
    ) -> None:
        self.base_url = base_url
        self.allow_local = allow_local
        self.local_cache: LocalCache | None = local_cache
        self.member_resolver = member_resolver
        self._base_is_remote = base_url is not None and is_remote_url(base_url)
        self._base_dir = self._directory_of(base_url) if base_url is not None else None
        client = dict(client_options or {})
        retries = dict(retry_config) if retry_config else None
        self._sources: dict[SourceKind, ByteSource] = {
            "local": LocalFileSource(max_object_bytes=max_object_bytes),
            # DANDI API URLs: signed redirect reused until expiry, token to the API host only
            "http": DandiSource(
                client_options=client, retry_config=retries, max_object_bytes=max_object_bytes
            ),
            "object_store": ObjectStoreSource(
                s3_options=dict(s3_options or {}),
                gcs_options=dict(gcs_options or {}),
                azure_options=dict(azure_options or {}),
                client_options=client,
                retry_config=retries,
                max_object_bytes=max_object_bytes,
            ),
        }
        self._sources.update(sources or {})
        self._batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReadBatcher] = (
            weakref.WeakKeyDictionary()
        )

    # -- policy and resolution -----------------------------------------------------------

    @property
    def local_allowed(self) -> bool:
        """Whether refs may name local files (see ``allow_local``)."""
        if self.allow_local is not None:
            return self.allow_local
        return not self._base_is_remote

    def _directory_of(self, base_url: str) -> str:
        if self._base_is_remote:
            parts = urllib.parse.urlsplit(base_url)
            path = parts.path
            if path.rstrip("/").endswith(".lindi.d") and not path.endswith("/"):
                path += "/"
            elif not path.endswith("/"):
                path = path.rsplit("/", 1)[0] + "/"
            return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        path = os.path.abspath(_local_path_of(base_url))
        if os.path.isdir(path) or path.rstrip(os.sep).endswith(".lindi.d"):
            return path
        return os.path.dirname(path)

    def _relative_path(self, url: str) -> str:
        """The normalized relative path of a relative ref, refused when it leaves the base."""
        normalized = posixpath.normpath(url.replace("\\", "/"))
        if normalized == ".." or normalized.startswith("../") or normalized.startswith("/"):
            raise LindiSecurityError(
                f"{url}: relative ref escapes the LINDI file's location {self.base_url!r}"
            )
        return normalized

    def resolve_target(self, url: str) -> ResolvedTarget:
        """Where the bytes of a ref's URL are, after relative resolution, the member resolver
        and the policy checks."""
        scheme = _scheme_of(url)
        kind = _kind_of_scheme(scheme)
        if kind is None:
            raise LindiSourceError(f"{url}: unsupported URL scheme {scheme!r}")
        is_relative = kind == "local" and scheme == "" and not os.path.isabs(url)
        if is_relative and not url.startswith("~"):
            relative = self._relative_path(url)
            if self.member_resolver is not None:
                member = self.member_resolver("./" + relative)
                if member is None:
                    raise LindiSourceError(
                        f"{url}: no such member in the LINDI container {self.base_url!r}"
                    )
                inner = self.resolve_target(member.location)
                return ResolvedTarget(
                    url, inner.kind, inner.location, inner.base_offset + member.offset, member.size
                )
            if self._base_dir is None:
                return self._checked(ResolvedTarget(url, "local", os.path.abspath(relative)))
            if self._base_is_remote:
                location = self._base_dir + urllib.parse.quote(relative, safe=_URL_SAFE_CHARACTERS)
                base_kind = _kind_of_scheme(_scheme_of(self._base_dir))
                assert base_kind is not None
                return ResolvedTarget(url, base_kind, location)
            return self._checked(
                ResolvedTarget(url, "local", os.path.join(self._base_dir, relative))
            )
        if kind == "local":
            return self._checked(ResolvedTarget(url, "local", _local_path_of(url)))
        return ResolvedTarget(url, kind, url)

    def _checked(self, target: ResolvedTarget) -> ResolvedTarget:
        if target.kind == "local" and not self.local_allowed:
            raise LindiSecurityError(
                f"{target.ref_url}: refusing to read the local file {target.location!r} for a "
                f"LINDI file that came from {self.base_url!r} (pass allow_local=True to allow)"
            )
        return target

    def resolve(self, url: str) -> str:
        """The absolute URL or path a ref's URL names (checked against the policy)."""
        return self.resolve_target(url).location

    def source_for(self, kind: SourceKind) -> ByteSource:
        """The byte source serving ``kind``."""
        return self._sources[kind]

    # -- async reads ---------------------------------------------------------------------

    def _batcher(self) -> ReadBatcher:
        loop = asyncio.get_running_loop()
        batcher = self._batchers.get(loop)
        if batcher is None:
            batcher = ReadBatcher(loop, self._on_fetched)
            self._batchers[loop] = batcher
        return batcher

    async def _on_fetched(
        self,
        source: ByteSource,
        url: str,
        ranges: Sequence[tuple[int, int]],
        results: Sequence[bytes],
    ) -> None:
        cache = self.local_cache
        if cache is None or source is self._sources["local"]:
            return
        items = [(url, o, s, d) for (o, s), d in zip(ranges, results, strict=True)]
        await asyncio.to_thread(_put_quietly, cache, items)

    async def read(self, url: str, offset: int | None = None, size: int | None = None) -> bytes:
        """Bytes of ``url``: the whole object, or ``size`` bytes at ``offset``.

        Reads issued in the same event-loop turn are sent together (coalesced per URL).
        Raises ``LindiSourceError`` when the bytes cannot be read (naming the URL and what
        went wrong) and ``LindiSecurityError`` when the policy forbids the ref.
        """
        target = self.resolve_target(url)
        source = self._sources[target.kind]
        use_cache = self.local_cache is not None and target.kind != "local"
        if offset is None:
            if size is not None:
                raise LindiSourceError(f"{url}: a size ({size}) was given without an offset")
            if target.member_size is None:
                return await self._read_whole(target, source, use_cache)
            offset = 0
        if size is None:
            if target.member_size is not None:
                size = target.member_size - offset
            else:
                total = await source.size(target.location)
                size = total - target.base_offset - offset
        elif target.member_size is not None and offset + size > target.member_size:
            raise LindiSourceError(
                f"{url}: {size} bytes at offset {offset} pass the end of the container member "
                f"({target.member_size} bytes)"
            )
        if offset < 0 or size < 0:
            raise LindiSourceError(f"{url}: invalid range offset={offset} size={size}")
        if size == 0:
            return b""
        absolute = target.base_offset + offset
        if use_cache:
            assert self.local_cache is not None
            cached = _get_quietly(self.local_cache, target.location, absolute, size)
            if cached is not None:
                return cached
        return await self._batcher().submit(source, target.location, absolute, size)

    async def _read_whole(
        self, target: ResolvedTarget, source: ByteSource, use_cache: bool
    ) -> bytes:
        if use_cache:
            assert self.local_cache is not None
            cached = _get_quietly(self.local_cache, target.location, 0, None)
            if cached is not None:
                return cached
        data = await source.get(target.location)
        if use_cache:
            assert self.local_cache is not None
            await asyncio.to_thread(
                _put_quietly, self.local_cache, [(target.location, 0, None, data)]
            )
        return data

    async def read_many(self, requests: Sequence[ReadRequest]) -> list[bytes]:
        """Many reads at once (coalesced and concurrent where the backend allows), in order."""
        return list(await asyncio.gather(*(self.read(u, o, s) for u, o, s in requests)))

    async def size(self, url: str) -> int:
        """The size in bytes of the object a ref's URL names."""
        target = self.resolve_target(url)
        if target.member_size is not None:
            return target.member_size
        return await self._sources[target.kind].size(target.location)

    async def write(self, url: str, data: bytes) -> None:
        """Write a whole object (a local file atomically, or an object-store object)."""
        target = self.resolve_target(url)
        if target.is_member:
            raise LindiSourceError(f"{url}: cannot write a member of a container here")
        await self._sources[target.kind].put(target.location, data)

    async def close(self) -> None:
        """Release connections."""
        for source in self._sources.values():
            await source.close()

    def close_blocking(self) -> None:
        """:meth:`close` for synchronous callers, in the calling thread: safe from ``close()``
        methods, ``__del__`` and atexit handlers, when no other thread's event loop may be
        relied on (see :meth:`ByteSource.close_blocking`)."""
        for source in self._sources.values():
            source.close_blocking()

    # -- sync API ------------------------------------------------------------------------

    def read_sync(self, url: str, offset: int | None = None, size: int | None = None) -> bytes:
        """``read`` for synchronous callers (works with or without a running event loop in
        the calling thread)."""
        return run_sync(self.read(url, offset, size))

    def read_many_sync(self, requests: Sequence[ReadRequest]) -> list[bytes]:
        """``read_many`` for synchronous callers."""
        return run_sync(self.read_many(requests))

    def size_sync(self, url: str) -> int:
        """``size`` for synchronous callers; ``LindiSourceError`` when it takes longer than
        ``SIZE_SYNC_TIMEOUT`` seconds (an outer bound: each request is bounded on its own)."""
        try:
            return run_sync(self.size(url), timeout=SIZE_SYNC_TIMEOUT)
        except TimeoutError as exc:
            raise LindiSourceError(f"{url}: size not known after {SIZE_SYNC_TIMEOUT:g} s") from exc

    # -- blocking API: the I/O in the calling thread ------------------------------------

    def read_blocking(self, url: str, offset: int, size: int) -> bytes:
        """``size`` bytes of ``url`` at ``offset``, read in the calling thread without waiting
        on another Python thread (see :meth:`read_many_blocking`)."""
        return self.read_many_blocking([(url, offset, size)])[0]

    def read_many_blocking(self, requests: Sequence[ReadRequest]) -> list[bytes]:
        """Byte ranges read in the calling thread, coalesced per object, without waiting on
        another Python thread: for callers that hold a lock such threads may need, above all
        h5py, which holds its global lock while it reads through a file-like object (a
        garbage collection that frees an h5py object in another thread waits for that lock).

        Every request needs an offset and a size. The local cache is used as by :meth:`read`.
        """
        results: list[bytes] = [b""] * len(requests)
        groups: dict[tuple[str, str], tuple[ByteSource, bool, list[tuple[int, int, int]]]] = {}
        cache = self.local_cache
        for index, (url, offset, size) in enumerate(requests):
            if offset is None or size is None:
                raise LindiSourceError(f"{url}: a blocking read needs an offset and a size")
            if offset < 0 or size < 0:
                raise LindiSourceError(f"{url}: invalid range offset={offset} size={size}")
            target = self.resolve_target(url)
            if size == 0:
                continue
            absolute = target.base_offset + offset
            use_cache = cache is not None and target.kind != "local"
            if use_cache:
                assert cache is not None
                cached = _get_quietly(cache, target.location, absolute, size)
                if cached is not None:
                    results[index] = cached
                    continue
            group = groups.setdefault(
                (target.kind, target.location), (self._sources[target.kind], use_cache, [])
            )
            group[2].append((index, absolute, size))
        for (_kind, location), (source, use_cache, items) in groups.items():
            data = source.get_ranges_blocking(location, [(a, n) for _, a, n in items])
            for (index, _a, _n), block in zip(items, data, strict=True):
                results[index] = block
            if use_cache:
                assert cache is not None
                fetched = zip(items, data, strict=True)
                _put_quietly(cache, [(location, a, n, d) for (_, a, n), d in fetched])
        return results

    def size_blocking(self, url: str) -> int:
        """:meth:`size` in the calling thread (see :meth:`read_many_blocking`)."""
        target = self.resolve_target(url)
        if target.member_size is not None:
            return target.member_size
        return self._sources[target.kind].size_blocking(target.location)

    def write_sync(self, url: str, data: bytes) -> None:
        """``write`` for synchronous callers."""
        run_sync(self.write(url, data))


_cache_dirs_warned: set[tuple[str, str]] = set()
_cache_dirs_warned_lock = threading.Lock()


def _warn_once(cache: LocalCache, operation: str, exc: LindiSourceError) -> None:
    cache_dir = str(cache.cache_dir)
    with _cache_dirs_warned_lock:
        if (cache_dir, operation) in _cache_dirs_warned:
            return
        _cache_dirs_warned.add((cache_dir, operation))
    warnings.warn(
        f"hdmf_lindi: cannot {operation} the local cache in {cache_dir} ({exc}); reads go on "
        "without it (warned once per cache directory; `hdmf-lindi cache clear` resets it)",
        RuntimeWarning,
        stacklevel=3,
    )


def _get_quietly(cache: LocalCache, url: str, offset: int, size: int | None) -> bytes | None:
    # A cache that cannot be read (corrupt database, locked for too long) is a miss, not a
    # failed read: the bytes are fetched from the source instead.
    try:
        return cache.get(url, offset, size)
    except LindiSourceError as exc:
        _warn_once(cache, "read", exc)
        return None


def _put_quietly(cache: LocalCache, items: Sequence[tuple[str, int, int | None, bytes]]) -> None:
    # A cache that cannot be written (full disk, locked for too long) must not fail a read
    # whose bytes are already in hand.
    try:
        cache.put_many(items)
    except LindiSourceError as exc:
        _warn_once(cache, "write to", exc)
