"""Where an upload writes: an object store (``s3://``, ``gs://``, ``az://``) or an HTTP(S)
server accepting ``PUT``, through obstore stores configured exactly as the byte sources' are
(the same ``AWS_*`` / ``GOOGLE_*`` / ``AZURE_*`` environment and options).

A :class:`Destination` is rooted at a URL prefix and knows four things: which objects exist
under a prefix (one ``LIST``; ``HEAD`` per object on HTTP), their sizes, how to put bytes (one
``PUT``), and how to stream a large local blob (multipart, with the content hash checked on
the way, so a file changed under the upload aborts it instead of publishing other bytes).
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import obstore
from obstore.store import HTTPStore

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources._obstore_errors import http_status_of, source_error
from hdmf_lindi.storage.sources._retry import RetryPolicy
from hdmf_lindi.storage.sources.object_store import OBJECT_STORE_SCHEMES, ObjectStoreSource

__all__ = ["MULTIPART_THRESHOLD", "PART_SIZE", "Destination", "join_url"]

MULTIPART_THRESHOLD = 64 * 1024 * 1024
"""Blobs at least this large are streamed as a multipart upload."""
PART_SIZE = 16 * 1024 * 1024
"""Part size of multipart uploads."""


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
        on_bytes: Callable[[int], None] | None = None,
        max_concurrency: int = 4,
        part_size: int = PART_SIZE,
    ) -> None:
        """A multipart upload of the bytes ``chunks()`` yields, whose SHA-1 must be ``sha1``:
        when it is not (the file changed while it was read), the upload is aborted before it
        completes and nothing appears at ``url``."""
        store, path = self._locate(url)

        async def parts() -> AsyncIterator[bytes]:
            digest = hashlib.sha1(usedforsecurity=False)
            pending = b""
            for data in chunks():
                digest.update(data)
                if pending:
                    yield pending
                    if on_bytes is not None:
                        on_bytes(len(pending))
                pending = data
            if digest.hexdigest() != sha1:
                raise LindiSourceError(
                    f"{url}: content changed while uploading (SHA-1 {digest.hexdigest()}, "
                    f"expected {sha1}); upload aborted"
                )
            if pending:
                yield pending
                if on_bytes is not None:
                    on_bytes(len(pending))

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
