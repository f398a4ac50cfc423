"""HTTP(S) as a byte source, through obstore's ``HTTPStore``.

* One store (one connection pool) per origin, shared by every router of the process; URLs
  that obstore's path model cannot carry exactly (a query string, a trailing slash, encoded
  slashes) get a store of their own.
* Redirects are resolved once per URL (a ``HEAD`` that does not follow them) and the final URL
  is used from then on, so a DANDI API URL costs one redirect hop, not one per chunk. The
  first read of a URL does not wait for that: it is sent at once (following any redirect
  itself) while the resolution runs beside it, so a cold read costs no extra round trip.
* The resolution has an overall deadline (``redirect_timeout``, default 10 s, for the whole
  chain, however slowly the server trickles) and runs on daemon threads, so it never keeps
  the interpreter from exiting (the host name lookup is outside that deadline). A read, and
  ``size()``, wait for a running resolution at most 2 s (a blocking read never waits), then
  go to the URL itself.
* ``client_options["default_headers"]`` (a token, cookies) are sent to the URL's own origin
  only, never to a redirect target elsewhere (a presigned S3 URL, say).
* Every request is bounded in time by obstore's client ``timeout`` (default 30 s from connect
  to the last body byte) and ``connect_timeout`` (5 s). 5xx answers, resets and timeouts
  before the body are retried by obstore with backoff (its retry config); a range read whose
  body stalls, or ends before its ``Content-Length`` (reset or closed), is retried here with
  the same policy (see ``_retry.py``). 4xx and exhausted retries raise ``LindiSourceError``
  naming the URL and the status; a complete answer shorter than the requested range is an
  error, not retried.
* A whole-object read (a ``.lindi.json``) is refused beyond ``max_object_bytes`` (default
  2 GiB), announced or received (``LindiLimitError``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import obstore
from obstore.store import HTTPStore

from hdmf_lindi._version import __version__
from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources._bounded_get import DEFAULT_MAX_OBJECT_BYTES, get_whole_async
from hdmf_lindi.storage.sources._daemon_pool import DaemonPool
from hdmf_lindi.storage.sources._exit_guard import guard_exit
from hdmf_lindi.storage.sources._obstore_blocking import get_ranges_blocking, size_blocking
from hdmf_lindi.storage.sources._obstore_errors import (
    default_client_options,
    source_error,
)
from hdmf_lindi.storage.sources._retry import RetryPolicy
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
DEFAULT_REDIRECT_TIMEOUT = 10.0
"""Seconds the resolution of one URL's redirects may take in all (every hop, every byte)."""
REDIRECT_CHECK_USER_AGENT = f"hdmf_lindi/{__version__} (redirect check)"
_RESOLUTION_WAIT = 2.0
"""Seconds a read waits for its URL's running resolution before it goes to the URL itself."""
_RESOLVER_POOL = DaemonPool(8, "hdmf_lindi-resolve")
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class ResolvedURL:
    """Where a URL ends up after redirects, and its size when the final answer gave one."""

    url: str
    size: int | None
    hops: int


def open_connection(parts: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    """An ``http.client`` connection to ``parts``' host (TLS verified for https), whose
    socket operations time out after ``timeout`` seconds each."""
    host = parts.hostname or ""
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(host, parts.port, timeout=timeout)


def _watch(connection: http.client.HTTPConnection, done: threading.Event, seconds: float) -> None:
    """Past ``seconds``, shut ``connection``'s socket down under whatever read or TLS
    handshake is blocked on it, until the probe is ``done`` (socket timeouts bound each
    ``recv``, not a server sending one byte a second)."""
    if done.wait(seconds):
        return
    while True:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if done.wait(0.1):
            return


def shut_down_after(
    connection: http.client.HTTPConnection, done: threading.Event, seconds: float
) -> None:
    """An overall deadline for ``connection``: past ``seconds``, unless ``done`` is set by
    then, its socket is shut down (on a daemon thread)."""
    threading.Thread(
        target=_watch, args=(connection, done, seconds), name="hdmf_lindi-deadline", daemon=True
    ).start()


def _probe(
    url: str, method: str, deadline: float, extra_headers: Mapping[str, str]
) -> tuple[int, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = dict(extra_headers)
    if not any(name.lower() == "user-agent" for name in headers):
        headers["User-Agent"] = REDIRECT_CHECK_USER_AGENT
    if method == "GET":
        headers["Range"] = "bytes=0-0"
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError(f"{url}: redirect check out of time")
    connection = open_connection(parts, remaining)
    done = threading.Event()
    shut_down_after(connection, done, remaining)
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
        done.set()
        connection.close()


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


def same_origin(url: str, other: str) -> bool:
    """Whether ``url`` and ``other`` share scheme, host and port: the only case in which
    headers meant for one (an authorization token, cookies) may be sent to the other."""
    return _origin(url) == _origin(other)


def resolve_redirects(
    url: str,
    *,
    timeout: float = DEFAULT_REDIRECT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> ResolvedURL:
    """Follow ``url``'s redirect chain without downloading anything (``HEAD``, or a one-byte
    ``GET`` where ``HEAD`` is not allowed), within ``timeout`` seconds in all. Errors (and
    running out of time) are not raised here: the URL reached so far is returned and the real
    request reports them. ``headers`` (e.g. an authorization token) are sent only to ``url``'s
    own origin, never to where it redirects elsewhere."""
    current = url
    deadline = time.monotonic() + timeout
    for hops in range(MAX_REDIRECTS + 1):
        hop_headers = (headers or {}) if same_origin(current, url) else {}
        try:
            status, location, size = _probe(current, "HEAD", deadline, hop_headers)
            if status in (405, 501):
                status, location, size = _probe(current, "GET", deadline, hop_headers)
        except (OSError, http.client.HTTPException, ValueError):
            return ResolvedURL(current, None, hops)
        if status in _REDIRECT_STATUSES and location:
            target = urllib.parse.urljoin(current, location)
            if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
                # file://, ftp://, ...: never followed; the real request reports the redirect.
                return ResolvedURL(current, None, hops)
            current = target
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
        ``http://`` URLs; ``timeout`` (whole request, default ``"30s"``) and
        ``connect_timeout`` (default ``"5s"``) bound every request.
    retry_config
        obstore ``RetryConfig``; default (and for missing keys): 5 retries, 100 ms doubling
        up to 5 s, no new attempt after 60 s. Range reads whose body fails follow it too.
    follow_redirects_once
        Resolve each URL's redirects once and reuse the final URL (default True).
    redirect_timeout
        Seconds the resolution of one URL's redirects may take in all.
    max_object_bytes
        Largest whole-object read (:meth:`get`) accepted; larger raises ``LindiSourceError``.
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
        redirect_timeout: float = DEFAULT_REDIRECT_TIMEOUT,
        max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
        max_gap: int = DEFAULT_MAX_GAP,
        max_request_size: int = DEFAULT_MAX_REQUEST_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.client_options = {**default_client_options(), **(client_options or {})}
        self.retry_policy = RetryPolicy.from_config(retry_config)
        self.retry_config = self.retry_policy.to_config()
        self.follow_redirects_once = follow_redirects_once
        self.redirect_timeout = redirect_timeout
        self.max_object_bytes = max_object_bytes
        self.max_gap = max_gap
        self.max_request_size = max_request_size
        self.concurrency = concurrency
        self._resolved: dict[str, concurrent.futures.Future[ResolvedURL]] = {}
        self._lock = threading.Lock()

    # -- locating ------------------------------------------------------------------------

    def _store_for(self, key: str, base_url: str, scheme: str, *, own_origin: bool) -> HTTPStore:
        options = dict(self.client_options)
        if not own_origin:
            # the headers (an authorization token, ...) are meant for the URL asked for, not
            # for where it redirects (a presigned S3 URL, say): never sent elsewhere
            options.pop("default_headers", None)
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

    def _locate(self, url: str, asked: str | None = None) -> tuple[HTTPStore, str]:
        """The store and path for ``url``, reached as (a redirect of) ``asked``: the client's
        ``default_headers`` are sent only when both have the same origin."""
        guard_exit()
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LindiSourceError(f"{url}: not an http(s) URL")
        own = asked is None or same_origin(url, asked)
        if _needs_own_store(parts):
            return self._store_for(url, url, parts.scheme, own_origin=own), ""
        origin = f"{parts.scheme}://{parts.netloc}"
        return self._store_for(origin, origin, parts.scheme, own_origin=own), (
            urllib.parse.unquote(parts.path.lstrip("/"))
        )

    def _resolution(self, url: str) -> tuple[concurrent.futures.Future[ResolvedURL], bool]:
        """The (possibly running) resolution of ``url``, and whether this call started it.
        It runs on daemon threads of its own, so it outlives the event loop that started it
        and never delays the interpreter's exit."""
        with self._lock:
            future = self._resolved.get(url)
            if future is not None:
                return future, False
            headers = {
                str(k): v.decode("latin-1") if isinstance(v, bytes) else str(v)
                for k, v in dict(self.client_options.get("default_headers") or {}).items()
            }
            future = _RESOLVER_POOL.submit(
                resolve_redirects, url, timeout=self.redirect_timeout, headers=headers
            )
            self._resolved[url] = future
            return future, True

    async def resolve(self, url: str) -> ResolvedURL:
        """The final URL for ``url`` (redirects followed once, then remembered).

        Waits at most ``redirect_timeout`` seconds, the time a redirect check may take in all
        (its resolution may have to wait for a free worker first, or for a name lookup that
        no socket timeout bounds); then, as when the check itself runs out of time, ``url``
        itself, with no size. The check goes on, and later reads use its result.
        """
        if not self.follow_redirects_once:
            return ResolvedURL(url, None, 0)
        future, _ = self._resolution(url)
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(future)), self.redirect_timeout
            )
        except TimeoutError:
            return ResolvedURL(url, None, 0)

    async def _resolved_soon(
        self, future: concurrent.futures.Future[ResolvedURL]
    ) -> ResolvedURL | None:
        """``future``'s result if it comes within ``_RESOLUTION_WAIT`` seconds, else None."""
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(future)),
                min(_RESOLUTION_WAIT, self.redirect_timeout),
            )
        except TimeoutError:
            return None

    async def _url_for_read(self, url: str) -> str:
        """The URL to send a read to: the final URL once known; the URL itself for the first
        read (which starts the resolution and does not wait for it). Later reads wait for a
        running resolution at most ``_RESOLUTION_WAIT`` seconds, then go to the URL itself."""
        if not self.follow_redirects_once:
            return url
        future, started = self._resolution(url)
        if started:
            return url
        resolved = await self._resolved_soon(future)
        return url if resolved is None else resolved.url

    # -- ByteSource ----------------------------------------------------------------------

    async def get_range(self, url: str, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise LindiSourceError(f"{url}: invalid range offset={offset} size={size}")
        if size == 0:
            return b""
        return await self._get_range(url, await self._url_for_read(url), offset, size)

    async def _get_range(self, url: str, final: str, offset: int, size: int) -> bytes:
        store, path = self._locate(final, url)
        try:
            data = await self.retry_policy.call_async(
                lambda: obstore.get_range_async(store, path, start=offset, length=size)
            )
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
        return await self._get_ranges(url, await self._url_for_read(url), ranges)

    async def _get_ranges(
        self, url: str, final: str, ranges: Sequence[tuple[int, int]]
    ) -> list[bytes]:
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
        return self._get_ranges_blocking(url, self._url_for_read_blocking(url), ranges)

    def _get_ranges_blocking(
        self, url: str, final: str, ranges: Sequence[tuple[int, int]]
    ) -> list[bytes]:
        store, path = self._locate(final, url)
        return get_ranges_blocking(
            store,
            path,
            ranges,
            where=_describe(url, final),
            max_gap=self.max_gap,
            max_request_size=self.max_request_size,
            retry_policy=self.retry_policy,
        )

    def size_blocking(self, url: str) -> int:
        return self._size_blocking(url, self._url_for_read_blocking(url))

    def _size_blocking(self, url: str, final: str) -> int:
        store, path = self._locate(final, url)
        return size_blocking(store, path, where=_describe(url, final))

    async def get(self, url: str) -> bytes:
        return await self._get(url, await self._url_for_read(url))

    async def _get(self, url: str, final: str) -> bytes:
        store, path = self._locate(final, url)
        return await get_whole_async(
            store, path, where=_describe(url, final), limit=self.max_object_bytes
        )

    async def size(self, url: str) -> int:
        """The size of ``url``'s object: from its redirect check when that ends within
        ``_RESOLUTION_WAIT`` seconds, else asked of the URL itself (``HEAD``)."""
        resolved: ResolvedURL | None = ResolvedURL(url, None, 0)
        if self.follow_redirects_once:
            resolved = await self._resolved_soon(self._resolution(url)[0])
        if resolved is not None and resolved.size is not None:
            return resolved.size
        return await self._size(url, url if resolved is None else resolved.url)

    async def _size(self, url: str, final: str) -> int:
        store, path = self._locate(final, url)
        try:
            meta = await obstore.head_async(store, path)
            return int(meta["size"])
        except Exception as head_error:
            try:
                # Some servers (and presigned URLs) refuse HEAD: ask for one byte instead.
                result = await obstore.get_async(store, path, options={"range": (0, 1)})
                return int(result.meta["size"])
            except Exception:
                raise source_error(_describe(url, final), head_error, action="size") from head_error


def _describe(url: str, final: str) -> str:
    return url if url == final else f"{url} (redirected to {final})"
