"""HTTP(S) as a byte source, through obstore's ``HTTPStore``.

* One store (one connection pool) per origin, shared by every router of the process; URLs
  that obstore's path model cannot carry exactly (a query string, a trailing slash, encoded
  slashes) get a store of their own.
* Redirects are resolved once per URL (a ``HEAD`` that does not follow them) and the final URL
  is used from then on, so a DANDI API URL costs one redirect hop, not one per chunk. The
  first read of a URL does not wait for that: it is sent at once (following any redirect
  itself) while the resolution runs beside it, so a cold read costs no extra round trip.
* 5xx answers, resets and timeouts are retried with backoff (obstore's retry config); 4xx and
  exhausted retries raise ``LindiSourceError`` naming the URL and the status; a body shorter
  than the requested range is an error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import ssl
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import obstore
from obstore.store import HTTPStore

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources._obstore_blocking import get_ranges_blocking, size_blocking
from hdmf_lindi.storage.sources._obstore_errors import default_retry_config, source_error
from hdmf_lindi.storage.sources._store_cache import options_key, shared_store
from hdmf_lindi.storage.sources.abc import ByteSource
from hdmf_lindi.storage.sources.coalesce import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_GAP,
    DEFAULT_MAX_REQUEST_SIZE,
    fetch_coalesced,
)

__all__ = ["HTTPSource", "resolve_redirects"]

MAX_REDIRECTS = 10
_RESOLVER_POOL = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="hdmf_lindi-resolve")
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class ResolvedURL:
    """Where a URL ends up after redirects, and its size when the final answer gave one."""

    url: str
    size: int | None
    hops: int


def _open_connection(parts: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    host = parts.hostname or ""
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(host, parts.port, timeout=timeout)


def _probe(
    url: str, method: str, timeout: float, extra_headers: Mapping[str, str]
) -> tuple[int, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = dict(extra_headers)
    if method == "GET":
        headers["Range"] = "bytes=0-0"
    connection = _open_connection(parts, timeout)
    try:
        connection.request(method, target, headers=headers)
        response = connection.getresponse()
        status = response.status
        location = response.getheader("Location")
        size: int | None = None
        if status == 200 and method == "HEAD":
            length = response.getheader("Content-Length")
            size = int(length) if length and length.isdigit() else None
        elif status == 206:
            content_range = response.getheader("Content-Range") or ""
            total = content_range.rpartition("/")[2]
            size = int(total) if total.isdigit() else None
        response.read(1 << 16)
        return status, location, size
    finally:
        connection.close()


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


def resolve_redirects(
    url: str, *, timeout: float = 30.0, headers: Mapping[str, str] | None = None
) -> ResolvedURL:
    """Follow ``url``'s redirect chain without downloading anything (``HEAD``, or a one-byte
    ``GET`` where ``HEAD`` is not allowed). Errors are not raised here: the URL reached so far
    is returned and the real request reports them. ``headers`` (e.g. an authorization token)
    are sent only to ``url``'s own origin, never to where it redirects elsewhere."""
    current = url
    for hops in range(MAX_REDIRECTS + 1):
        hop_headers = (headers or {}) if _origin(current) == _origin(url) else {}
        try:
            status, location, size = _probe(current, "HEAD", timeout, hop_headers)
            if status in (405, 501):
                status, location, size = _probe(current, "GET", timeout, hop_headers)
        except (OSError, http.client.HTTPException, ValueError):
            return ResolvedURL(current, None, hops)
        if status in _REDIRECT_STATUSES and location:
            current = urllib.parse.urljoin(current, location)
            continue
        return ResolvedURL(current, size if 200 <= status < 300 else None, hops)
    raise LindiSourceError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _needs_own_store(parts: urllib.parse.SplitResult) -> bool:
    path = parts.path
    return (
        bool(parts.query)
        or bool(parts.fragment)
        or path in ("", "/")
        or path.endswith("/")
        or "//" in path
        or "%2f" in path.lower()
        or any(segment in (".", "..") for segment in path.split("/"))
    )


class HTTPSource(ByteSource):
    """HTTP(S) URLs through obstore.

    Parameters
    ----------
    client_options
        obstore ``ClientConfig`` (timeouts, headers, ...). ``allow_http`` is added for
        ``http://`` URLs.
    retry_config
        obstore ``RetryConfig``; default: 5 retries, 100 ms doubling up to 5 s.
    follow_redirects_once
        Resolve each URL's redirects once and reuse the final URL (default True).
    max_gap, max_request_size, concurrency
        Coalescing of ``get_ranges``: ranges at most ``max_gap`` bytes apart share a request
        of at most ``max_request_size`` bytes; at most ``concurrency`` requests per call.
    """

    def __init__(
        self,
        *,
        client_options: dict[str, Any] | None = None,
        retry_config: dict[str, Any] | None = None,
        follow_redirects_once: bool = True,
        max_gap: int = DEFAULT_MAX_GAP,
        max_request_size: int = DEFAULT_MAX_REQUEST_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.client_options = dict(client_options or {})
        self.retry_config = dict(retry_config) if retry_config else default_retry_config()
        self.follow_redirects_once = follow_redirects_once
        self.max_gap = max_gap
        self.max_request_size = max_request_size
        self.concurrency = concurrency
        self._resolved: dict[str, concurrent.futures.Future[ResolvedURL]] = {}
        self._lock = threading.Lock()

    # -- locating ------------------------------------------------------------------------

    def _store_for(self, key: str, base_url: str, scheme: str) -> HTTPStore:
        options = dict(self.client_options)
        if scheme == "http":
            options.setdefault("allow_http", True)
        return shared_store(
            ("http", key, options_key(options), options_key(self.retry_config)),
            lambda: HTTPStore.from_url(
                base_url,
                client_options=options,  # type: ignore[arg-type]
                retry_config=self.retry_config,  # type: ignore[arg-type]
            ),
        )

    def _locate(self, url: str) -> tuple[HTTPStore, str]:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LindiSourceError(f"{url}: not an http(s) URL")
        if _needs_own_store(parts):
            return self._store_for(url, url, parts.scheme), ""
        origin = f"{parts.scheme}://{parts.netloc}"
        return self._store_for(origin, origin, parts.scheme), urllib.parse.unquote(
            parts.path.lstrip("/")
        )

    def _resolution(self, url: str) -> tuple[concurrent.futures.Future[ResolvedURL], bool]:
        """The (possibly running) resolution of ``url``, and whether this call started it.
        It runs on a thread pool of its own, so it outlives the event loop that started it."""
        with self._lock:
            future = self._resolved.get(url)
            if future is not None:
                return future, False
            headers = {
                str(k): v.decode("latin-1") if isinstance(v, bytes) else str(v)
                for k, v in dict(self.client_options.get("default_headers") or {}).items()
            }
            future = _RESOLVER_POOL.submit(resolve_redirects, url, headers=headers)
            self._resolved[url] = future
            return future, True

    async def resolve(self, url: str) -> ResolvedURL:
        """The final URL for ``url`` (redirects followed once, then remembered)."""
        if not self.follow_redirects_once:
            return ResolvedURL(url, None, 0)
        future, _ = self._resolution(url)
        return await asyncio.wrap_future(future)

    async def _url_for_read(self, url: str) -> str:
        """The URL to send a read to: the final URL once known; the URL itself for the first
        read (which starts the resolution and does not wait for it)."""
        if not self.follow_redirects_once:
            return url
        future, started = self._resolution(url)
        if started:
            return url
        return (await asyncio.wrap_future(future)).url

    # -- ByteSource ----------------------------------------------------------------------

    async def get_range(self, url: str, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise LindiSourceError(f"{url}: invalid range offset={offset} size={size}")
        if size == 0:
            return b""
        return await self._get_range(url, await self._url_for_read(url), offset, size)

    async def _get_range(self, url: str, final: str, offset: int, size: int) -> bytes:
        store, path = self._locate(final)
        try:
            data = await obstore.get_range_async(store, path, start=offset, length=size)
        except Exception as exc:
            raise source_error(_describe(url, final), exc) from exc
        if len(data) != size:
            raise LindiSourceError(
                f"{_describe(url, final)}: expected {size} bytes at offset {offset}, "
                f"got {len(data)} (the object ends before the range)"
            )
        return bytes(data)

    async def get_ranges(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        for offset, size in ranges:
            if offset < 0 or size < 0:
                raise LindiSourceError(f"{url}: invalid range offset={offset} size={size}")
        if not any(size for _, size in ranges):
            return [b""] * len(ranges)
        final = await self._url_for_read(url)
        return await fetch_coalesced(
            lambda offset, size: self._get_range(url, final, offset, size),
            ranges,
            max_gap=self.max_gap,
            max_request_size=self.max_request_size,
            concurrency=self.concurrency,
        )

    def _url_for_read_blocking(self, url: str) -> str:
        """The final URL when its resolution is done, else ``url`` (never waits for it)."""
        if not self.follow_redirects_once:
            return url
        future, _ = self._resolution(url)
        if future.done() and future.exception() is None:
            return future.result().url
        return url

    def get_ranges_blocking(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        final = self._url_for_read_blocking(url)
        store, path = self._locate(final)
        return get_ranges_blocking(
            store,
            path,
            ranges,
            where=_describe(url, final),
            max_gap=self.max_gap,
            max_request_size=self.max_request_size,
        )

    def size_blocking(self, url: str) -> int:
        final = self._url_for_read_blocking(url)
        store, path = self._locate(final)
        return size_blocking(store, path, where=_describe(url, final))

    async def get(self, url: str) -> bytes:
        final = await self._url_for_read(url)
        store, path = self._locate(final)
        try:
            result = await obstore.get_async(store, path)
            data = await result.bytes_async()
        except Exception as exc:
            raise source_error(_describe(url, final), exc) from exc
        expected = result.meta["size"]
        if expected is not None and len(data) != expected:
            raise LindiSourceError(
                f"{_describe(url, final)}: expected {expected} bytes, got {len(data)}"
            )
        return bytes(data)

    async def size(self, url: str) -> int:
        resolved = await self.resolve(url)
        if resolved.size is not None:
            return resolved.size
        store, path = self._locate(resolved.url)
        try:
            meta = await obstore.head_async(store, path)
            return int(meta["size"])
        except Exception as head_error:
            try:
                # Some servers (and presigned URLs) refuse HEAD: ask for one byte instead.
                result = await obstore.get_async(store, path, options={"range": (0, 1)})
                return int(result.meta["size"])
            except Exception:
                raise source_error(
                    _describe(url, resolved.url), head_error, action="size"
                ) from head_error


def _describe(url: str, final: str) -> str:
    return url if url == final else f"{url} (redirected to {final})"
