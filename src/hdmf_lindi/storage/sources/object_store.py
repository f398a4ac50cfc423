"""S3, Google Cloud Storage and Azure Blob Storage URLs as a byte source, through obstore.

``s3://bucket/key`` (also ``s3a://``), ``gs://bucket/key``, ``az://container/path``,
``abfs[s]://container@account.dfs.core.windows.net/path`` and the other forms obstore's
``from_url`` understands. One store per bucket/container and options, shared process-wide.
Credentials and endpoints come from the environment (``AWS_*``, ``GOOGLE_*``, ``AZURE_*``) or
from the per-scheme options given to the constructor. S3 without any credentials is read
anonymously (``skip_signature``), so public buckets work out of the box.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from typing import Any

import obstore
from obstore.store import from_url

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources._bounded_get import DEFAULT_MAX_OBJECT_BYTES, get_whole_async
from hdmf_lindi.storage.sources._exit_guard import guard_exit
from hdmf_lindi.storage.sources._obstore_blocking import get_ranges_blocking, size_blocking
from hdmf_lindi.storage.sources._obstore_errors import (
    default_client_options,
    default_retry_config,
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

__all__ = ["OBJECT_STORE_SCHEMES", "ObjectStoreSource"]

_SCHEME_FAMILY = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "azure",
    "azure": "azure",
    "adl": "azure",
    "abfs": "azure",
    "abfss": "azure",
}
OBJECT_STORE_SCHEMES = frozenset(_SCHEME_FAMILY)

_S3_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_SKIP_SIGNATURE",
)


class ObjectStoreSource(ByteSource):
    """Object-store URLs through obstore.

    Parameters
    ----------
    s3_options, gcs_options, azure_options
        Store configuration passed to obstore (for S3: ``endpoint``, ``region``,
        ``access_key_id``, ``secret_access_key``, ``skip_signature``, ...), on top of the
        environment.
    client_options, retry_config
        obstore ``ClientConfig`` / ``RetryConfig`` for every store (defaults and bounds as
        for ``HTTPSource``: a range read whose body stalls or is reset is tried again).
    max_object_bytes
        Largest whole-object read (:meth:`get`) accepted; larger raises ``LindiSourceError``.
    max_gap, max_request_size, concurrency
        Coalescing of ``get_ranges`` (see ``HTTPSource``).
    """

    def __init__(
        self,
        *,
        s3_options: dict[str, Any] | None = None,
        gcs_options: dict[str, Any] | None = None,
        azure_options: dict[str, Any] | None = None,
        client_options: dict[str, Any] | None = None,
        retry_config: dict[str, Any] | None = None,
        max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES,
        max_gap: int = DEFAULT_MAX_GAP,
        max_request_size: int = DEFAULT_MAX_REQUEST_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.options = {
            "s3": dict(s3_options or {}),
            "gcs": dict(gcs_options or {}),
            "azure": dict(azure_options or {}),
        }
        self.client_options = {**default_client_options(), **(client_options or {})}
        self.retry_config = dict(retry_config) if retry_config else default_retry_config()
        self.retry_policy = RetryPolicy.from_config(self.retry_config)
        self.max_object_bytes = max_object_bytes
        self.max_gap = max_gap
        self.max_request_size = max_request_size
        self.concurrency = concurrency

    def _config_for(self, family: str) -> dict[str, Any]:
        config = dict(self.options[family])
        explicit = any(k in config for k in ("access_key_id", "skip_signature"))
        from_environment = any(os.environ.get(name) for name in _S3_CREDENTIAL_VARIABLES)
        if family == "s3" and not explicit and not from_environment:
            config["skip_signature"] = True
        return config

    def _locate(self, url: str) -> tuple[Any, str]:
        guard_exit()
        parts = urllib.parse.urlsplit(url)
        family = _SCHEME_FAMILY.get(parts.scheme)
        if family is None or not parts.netloc:
            raise LindiSourceError(f"{url}: not an object-store URL (s3://, gs://, az://, ...)")
        root = f"{parts.scheme}://{parts.netloc}"
        client_options = dict(self.client_options)
        endpoint = str(self.options[family].get("endpoint", ""))
        if endpoint.startswith("http://"):
            client_options.setdefault("allow_http", True)
        config = self._config_for(family)

        def build() -> Any:
            return from_url(  # type: ignore[call-overload]
                root,
                config=config,
                client_options=client_options,
                retry_config=self.retry_config,
            )

        key = (root, options_key(config), options_key(client_options))
        try:
            store = shared_store((*key, options_key(self.retry_config)), build)
        except Exception as exc:
            raise source_error(url, exc, action="configure store for") from exc
        return store, urllib.parse.unquote(parts.path.lstrip("/"))

    async def get_range(self, url: str, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise LindiSourceError(f"{url}: invalid range offset={offset} size={size}")
        if size == 0:
            return b""
        store, path = self._locate(url)
        try:
            data = await self.retry_policy.call_async(
                lambda: obstore.get_range_async(store, path, start=offset, length=size)
            )
        except Exception as exc:
            raise source_error(url, exc) from exc
        if len(data) != size:
            raise LindiSourceError(
                f"{url}: expected {size} bytes at offset {offset}, got {len(data)} "
                "(the object ends before the range)"
            )
        return bytes(data)

    async def get_ranges(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        return await fetch_coalesced(
            lambda offset, size: self.get_range(url, offset, size),
            ranges,
            max_gap=self.max_gap,
            max_request_size=self.max_request_size,
            concurrency=self.concurrency,
        )

    def get_ranges_blocking(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        store, path = self._locate(url)
        return get_ranges_blocking(
            store,
            path,
            ranges,
            where=url,
            max_gap=self.max_gap,
            max_request_size=self.max_request_size,
            retry_policy=self.retry_policy,
        )

    def size_blocking(self, url: str) -> int:
        store, path = self._locate(url)
        return size_blocking(store, path, where=url)

    async def get(self, url: str) -> bytes:
        store, path = self._locate(url)
        return await get_whole_async(store, path, where=url, limit=self.max_object_bytes)

    async def size(self, url: str) -> int:
        store, path = self._locate(url)
        try:
            return int((await obstore.head_async(store, path))["size"])
        except Exception as exc:
            raise source_error(url, exc, action="size") from exc

    async def put(self, url: str, data: bytes) -> None:
        store, path = self._locate(url)
        try:
            await obstore.put_async(store, path, bytes(data))
        except Exception as exc:
            raise source_error(url, exc, action="write") from exc
