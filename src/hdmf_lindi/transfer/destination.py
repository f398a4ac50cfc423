"""Where an upload writes: an object store (``s3://``, ``gs://``, ``az://``) or an HTTP(S)
server accepting ``PUT``, through obstore stores configured exactly as the byte sources' are
(the same ``AWS_*`` / ``GOOGLE_*`` / ``AZURE_*`` environment and options).

A :class:`Destination` is rooted at a URL prefix and knows four things: which objects exist
under a prefix (one ``LIST``; ``HEAD`` per object on HTTP), their sizes, how to put bytes (one
``PUT``), and how to stream a large local blob with the content hash checked on the way, so
that a file changed under the upload aborts it instead of publishing other bytes: a multipart
upload on object stores; one streaming ``PUT`` with a ``Content-Length`` on HTTP (obstore's
HTTP store has no multipart), cut off before its last bytes when the hash is wrong, so the
server never receives a complete body.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import threading
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import obstore
from obstore.store import HTTPStore

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources._daemon_pool import DaemonPool
from hdmf_lindi.storage.sources._obstore_errors import http_status_of, source_error
from hdmf_lindi.storage.sources._redact import redacted_url
from hdmf_lindi.storage.sources._retry import RetryPolicy
from hdmf_lindi.storage.sources.http import open_connection, shut_down_after
from hdmf_lindi.storage.sources.object_store import OBJECT_STORE_SCHEMES, ObjectStoreSource

__all__ = ["MULTIPART_THRESHOLD", "PART_SIZE", "Destination", "join_url"]

MULTIPART_THRESHOLD = 64 * 1024 * 1024
"""Blobs at least this large are streamed as a multipart upload."""
PART_SIZE = 16 * 1024 * 1024
"""Part size of multipart uploads."""
STREAM_IO_TIMEOUT = 30.0
"""Seconds a streaming HTTP ``PUT`` may wait on its socket at any one time."""
STREAM_MIN_RATE = 256 * 1024
"""Bytes per second a streaming HTTP ``PUT`` must average: its overall deadline is 60 s plus
its size at this rate (the socket is shut down past it)."""
_ANSWER_MAX_BYTES = 64 * 1024
_STREAM_POOL = DaemonPool(8, "hdmf_lindi-put")


class _ContentChanged(LindiSourceError):
    """The bytes read for an upload are not the ones hashed."""


def join_url(base: str, relative: str) -> str:
    """``base`` (a directory URL, with or without ``/``) joined with a relative path."""
    return base.rstrip("/") + "/" + relative.lstrip("/")


class Destination:
    """Objects under URLs of one scheme and host, written through obstore.

    Parameters
    ----------
    url
        Any URL at the destination (``s3://bucket/...``, ``https://host/...``).
    s3_options, gcs_options, azure_options, client_options, retry_config
        As for :class:`~hdmf_lindi.storage.sources.SourceRouter`.
    headers
        Extra HTTP headers for ``http(s)`` destinations (e.g. an authorization token).
    """

    def __init__(
        self,
        url: str,
        *,
        s3_options: Mapping[str, Any] | None = None,
        gcs_options: Mapping[str, Any] | None = None,
        azure_options: Mapping[str, Any] | None = None,
        client_options: Mapping[str, Any] | None = None,
        retry_config: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        self.scheme = parts.scheme.lower()
        self._retry = RetryPolicy.from_config(retry_config).to_config()
        if self.scheme in OBJECT_STORE_SCHEMES:
            self._objects: ObjectStoreSource | None = ObjectStoreSource(
                s3_options=dict(s3_options or {}),
                gcs_options=dict(gcs_options or {}),
                azure_options=dict(azure_options or {}),
                client_options=dict(client_options) if client_options else None,
                retry_config=self._retry,
            )
            self._http_store: Any = None
        elif self.scheme in ("http", "https"):
            self._objects = None
            options: dict[str, Any] = dict(client_options or {})
            if headers:
                options["default_headers"] = dict(headers)
            if self.scheme == "http":
                options.setdefault("allow_http", True)
            self._http_root = f"{parts.scheme}://{parts.netloc}"
            self._http_headers = dict(headers or {})
            self._http_store = HTTPStore.from_url(
                self._http_root,
                client_options=options,  # type: ignore[arg-type]
                retry_config=self._retry,  # type: ignore[arg-type]
            )
        else:
            raise LindiSourceError(
                f"{url}: cannot upload there (expected s3://, gs://, az://, http(s):// or dandi://)"
            )

    @property
    def can_list(self) -> bool:
        """Whether :meth:`list_sizes` works (object stores; not plain HTTP)."""
        return self._objects is not None

    def _locate(self, url: str) -> tuple[Any, str]:
        if self._objects is not None:
            return self._objects.store_for(url)
        parts = urllib.parse.urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self._http_root:
            raise LindiSourceError(f"{url}: not under {self._http_root}")
        return self._http_store, urllib.parse.unquote(parts.path.lstrip("/"))

    async def list_sizes(self, prefix_url: str) -> dict[str, int]:
        """``{url: size}`` of every object under ``prefix_url`` (a directory URL)."""
        store, prefix = self._locate(prefix_url)
        prefix = prefix.rstrip("/") + "/"
        base = prefix_url.rstrip("/") + "/"
        found: dict[str, int] = {}
        try:
            async for batch in obstore.list(store, prefix):
                for meta in batch:
                    path = str(meta["path"])
                    found[base + path[len(prefix) :]] = int(meta["size"])
        except Exception as exc:
            if isinstance(exc, FileNotFoundError) or http_status_of(exc) == 404:
                return {}
            raise source_error(prefix_url, exc, action="list") from exc
        return found

    async def size(self, url: str) -> int | None:
        """Size of the object at ``url``, or ``None`` when there is none."""
        store, path = self._locate(url)
        try:
            return int((await obstore.head_async(store, path))["size"])
        except Exception as exc:
            if isinstance(exc, FileNotFoundError) or http_status_of(exc) == 404:
                return None
            raise source_error(url, exc, action="size") from exc

    async def put_bytes(
        self, url: str, data: bytes, *, content_type: str | None = None
    ) -> str | None:
        """One ``PUT`` of ``data`` to ``url``; returns the ``ETag`` the service answered
        (without quotes), if any."""
        store, path = self._locate(url)
        attributes: Any = {"Content-Type": content_type} if content_type else None
        try:
            result = await obstore.put_async(
                store, path, data, attributes=attributes, use_multipart=False
            )
        except Exception as exc:
            raise source_error(url, exc, action="upload") from exc
        e_tag = result.get("e_tag") if isinstance(result, Mapping) else None
        return str(e_tag).strip('"') if e_tag else None

    async def put_stream(
        self,
        url: str,
        chunks: Callable[[], Iterator[bytes]],
        *,
        sha1: str,
        size: int | None = None,
        on_bytes: Callable[[int], None] | None = None,
        max_concurrency: int = 4,
        part_size: int = PART_SIZE,
    ) -> None:
        """Upload the bytes ``chunks()`` yields, whose SHA-1 must be ``sha1``: when it is not
        (the file changed while it was read), the upload is aborted before it completes and
        nothing appears at ``url``. Object stores get a multipart upload of ``part_size``
        parts; HTTP(S) one streaming ``PUT`` of ``size`` bytes (required there)."""
        if self._objects is None:
            if size is None:
                raise ValueError("a streaming HTTP PUT needs the size")
            future = _STREAM_POOL.submit(self._put_stream_http, url, chunks, sha1, size, on_bytes)
            await asyncio.wrap_future(future)
            return
        store, path = self._locate(url)

        async def parts() -> AsyncIterator[bytes]:
            for data in _checked(url, chunks, sha1, size, on_bytes):
                yield data

        try:
            await obstore.put_async(
                store,
                path,
                parts(),
                use_multipart=True,
                chunk_size=part_size,
                max_concurrency=max_concurrency,
            )
        except LindiSourceError:
            raise
        except Exception as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, LindiSourceError):
                raise cause from exc
            if "content changed while uploading" in str(exc):
                raise LindiSourceError(str(exc).splitlines()[0]) from exc
            raise source_error(url, exc, action="upload") from exc

    def _put_stream_http(
        self,
        url: str,
        chunks: Callable[[], Iterator[bytes]],
        sha1: str,
        size: int,
        on_bytes: Callable[[int], None] | None,
    ) -> None:
        """One ``PUT`` with ``Content-Length: size``, the body streamed from ``chunks()``
        (on a daemon thread: bounded by a socket timeout and an overall deadline)."""
        self._locate(url)  # same origin as the destination, or refused
        parts = urllib.parse.urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        shown = redacted_url(url)
        headers = {
            **self._http_headers,
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
        }
        connection = open_connection(parts, STREAM_IO_TIMEOUT)
        done = threading.Event()
        shut_down_after(connection, done, 60.0 + size / STREAM_MIN_RATE)
        try:
            connection.request(
                "PUT", target, body=_checked(url, chunks, sha1, size, on_bytes), headers=headers
            )
            answer = connection.getresponse()
            answer.read(_ANSWER_MAX_BYTES)
        except LindiSourceError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise LindiSourceError(f"{shown}: upload failed: {type(exc).__name__}: {exc}") from exc
        finally:
            done.set()
            connection.close()
        if not 200 <= answer.status < 300:
            raise LindiSourceError(
                f"{shown}: upload failed with HTTP {answer.status} {answer.reason}"
            )


def _checked(
    url: str,
    chunks: Callable[[], Iterator[bytes]],
    sha1: str,
    size: int | None,
    on_bytes: Callable[[int], None] | None,
) -> Iterator[bytes]:
    """``chunks()``, each one yielded only once the next is read and the last only once the
    SHA-1 of them all is ``sha1`` (and their length ``size``, when given): a consumer that
    stops at the exception never sends the whole content."""
    digest = hashlib.sha1(usedforsecurity=False)
    pending = b""
    total = 0
    for data in chunks():
        digest.update(data)
        total += len(data)
        if size is not None and total > size:
            break
        if pending:
            yield pending
            if on_bytes is not None:
                on_bytes(len(pending))
        pending = data
    if digest.hexdigest() != sha1 or (size is not None and total != size):
        raise _ContentChanged(
            f"{redacted_url(url)}: content changed while uploading (SHA-1 "
            f"{digest.hexdigest()}, expected {sha1}); upload aborted"
        )
    if pending:
        yield pending
        if on_bytes is not None:
            on_bytes(len(pending))
