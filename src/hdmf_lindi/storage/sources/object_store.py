"""S3, Google Cloud Storage and Azure Blob Storage URLs as a byte source, through obstore.

``s3://bucket/key`` (also ``s3a://``), ``gs://bucket/key``, ``az://container/path``,
``abfs[s]://container@account.dfs.core.windows.net/path`` and the other forms obstore's
``from_url`` understands. One store per bucket/container and options, shared process-wide.
Credentials and endpoints come from the environment (``AWS_*``, ``GOOGLE_*``, ``AZURE_*``) or
from the per-scheme options given to the constructor. S3 and Google Cloud Storage without any
credentials are read anonymously (``skip_signature``), so public buckets work out of the box.
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

_GCS_CREDENTIAL_VARIABLES = (
    "GOOGLE_SERVICE_ACCOUNT",
    "GOOGLE_SERVICE_ACCOUNT_PATH",
    "SERVICE_ACCOUNT",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "SERVICE_ACCOUNT_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_BEARER_TOKEN",
    "GOOGLE_SKIP_SIGNATURE",
)
_GCS_CREDENTIAL_OPTIONS = (
    "service_account",
    "service_account_path",
    "service_account_key",
    "application_credentials",
    "bearer_token",
    "credential_provider",
    "skip_signature",
)


def _gcloud_default_credentials() -> bool:
    """Whether gcloud's application default credentials file exists (object_store reads it
    when no other credentials are given)."""
    config = os.environ.get("CLOUDSDK_CONFIG") or os.path.join(
        os.path.expanduser("~"), ".config", "gcloud"
    )
    return os.path.isfile(os.path.join(config, "application_default_credentials.json"))


# Environment variable prefix per family, and the obstore ``ClientConfig`` keys that may be
# spelled ``<PREFIX><KEY>`` there. obstore reads these itself only when no ``client_options``
# are passed at all (with ``{}`` it ignores ``AWS_ALLOW_HTTP``), so they are read here and
# merged under the explicit options.
_ENV_PREFIX = {"s3": "AWS_", "gcs": "GOOGLE_", "azure": "AZURE_"}
_CLIENT_KEYS = (
    "allow_http",
    "allow_invalid_certificates",
    "connect_timeout",
    "timeout",
    "proxy_url",
    "proxy_ca_certificate",
    "proxy_excludes",
    "user_agent",
)
_BOOLEAN_CLIENT_KEYS = frozenset({"allow_http", "allow_invalid_certificates"})
# where each family's endpoint is set: the store option and the variables object_store reads
# (Azure's emulator, ``AZURE_STORAGE_USE_EMULATOR``, allows HTTP by itself)
_ENDPOINT_OPTION = {"s3": "endpoint", "gcs": "base_url", "azure": "endpoint"}
_ENDPOINT_VARIABLES = {
    "s3": ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"),
    "gcs": ("GOOGLE_BASE_URL",),
    "azure": ("AZURE_STORAGE_ENDPOINT", "AZURE_ENDPOINT"),
}
# the variables that configure a family's stores (a store built under others is not reused)
_ENVIRONMENT_PREFIXES = {
    "s3": ("AWS_",),
    "gcs": ("GOOGLE_", "SERVICE_ACCOUNT"),
    "azure": ("AZURE_", "AZURITE_"),
}
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def _client_options_from_environment(family: str) -> dict[str, Any]:
    """The ``ClientConfig`` keys set in the environment for ``family`` (``AWS_ALLOW_HTTP``...)."""
    prefix = _ENV_PREFIX[family]
    options: dict[str, Any] = {}
    for key in _CLIENT_KEYS:
        value = os.environ.get(prefix + key.upper())
        if value is None or value == "":
            continue
        options[key] = (
            value.strip().lower() in _TRUE_WORDS if key in _BOOLEAN_CLIENT_KEYS else value
        )
    return options


def _endpoint_from_environment(family: str) -> str:
    for name in _ENDPOINT_VARIABLES[family]:
        value = os.environ.get(name)
        if value:
            return value
    return ""


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
        Largest whole-object read (:meth:`get`) accepted; larger raises ``LindiLimitError``.
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
        self.retry_policy = RetryPolicy.from_config(retry_config)
        self.retry_config = self.retry_policy.to_config()
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
        if (
            family == "gcs"
            and not any(k in config for k in _GCS_CREDENTIAL_OPTIONS)
            and not any(os.environ.get(name) for name in _GCS_CREDENTIAL_VARIABLES)
            and not _gcloud_default_credentials()
        ):
            # else object_store asks the instance metadata server, which only GCP machines have
            config["skip_signature"] = True
        if family == "s3" and "endpoint" not in config and os.environ.get("AWS_ENDPOINT_URL_S3"):
            # the service-specific spelling of the AWS CLI/SDKs, which obstore does not read
            config["endpoint"] = os.environ["AWS_ENDPOINT_URL_S3"]
        return config

    def _client_options_for(self, family: str) -> dict[str, Any]:
        """Client options for ``family``: the environment's (``AWS_ALLOW_HTTP``,
        ``GOOGLE_ALLOW_HTTP``, ``AZURE_ALLOW_HTTP``, ...) under the explicit ones;
        ``allow_http`` when the endpoint (explicit ``endpoint`` / GCS ``base_url``, or
        ``AWS_ENDPOINT_URL``, ``GOOGLE_BASE_URL``, ``AZURE_STORAGE_ENDPOINT``...) is plain
        ``http://`` and nothing says otherwise."""
        client_options = _client_options_from_environment(family)
        client_options.update(self.client_options)
        endpoint = str(
            self.options[family].get(_ENDPOINT_OPTION[family], "")
            or _endpoint_from_environment(family)
        )
        if endpoint.startswith("http://"):
            client_options.setdefault("allow_http", True)
        return client_options

    def store_for(self, url: str) -> tuple[Any, str]:
        """The obstore store (shared, configured as for reads) and the object path of ``url``.

        Used by the transfer layer (``hdmf_lindi.transfer``) to write, list and head objects
        with the same endpoint, credentials and client options as reads.

        Raises
        ------
        LindiSourceError
            When ``url`` is not an object-store URL or the store cannot be configured.
        """
        return self._locate(url)

    def _locate(self, url: str) -> tuple[Any, str]:
        guard_exit()
        parts = urllib.parse.urlsplit(url)
        family = _SCHEME_FAMILY.get(parts.scheme)
        if family is None or not parts.netloc:
            raise LindiSourceError(f"{url}: not an object-store URL (s3://, gs://, az://, ...)")
        root = f"{parts.scheme}://{parts.netloc}"
        client_options = self._client_options_for(family)
        config = self._config_for(family)

        def build() -> Any:
            return from_url(  # type: ignore[call-overload]
                root,
                config=config,
                # ``None``, not ``{}``: obstore then keeps the client options of the environment
                client_options=client_options or None,
                retry_config=self.retry_config,
            )

        # the environment is part of the key: a store built under other AWS_* values (another
        # endpoint, other keys; AZURITE_BLOB_STORAGE_URL for Azure) is not reused
        environment = sorted(
            (name, value)
            for name, value in os.environ.items()
            if name.startswith(_ENVIRONMENT_PREFIXES[family])
        )
        key = (root, options_key(config), options_key(client_options), hash(tuple(environment)))
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
