"""DANDI API URLs as a byte source: ``https://api.dandiarchive.org/api/assets/<id>/download/``
(and the staging instance, and any instance registered with :func:`register_dandi_instance`).

* The API answers such a URL with a 302 to a presigned S3 URL. It is resolved once (without
  downloading anything) and the signed URL is reused for every read until it expires (its
  ``X-Amz-Date`` + ``X-Amz-Expires``, or ``Expires``, less a safety margin); a 403 from S3
  (expired or revoked) resolves it again, once, and repeats the read.
* With ``DANDI_API_KEY`` (``DANDI_STAGING_API_KEY`` for the staging instance) set,
  ``Authorization: token <key>`` is sent to the DANDI API host only (embargoed dandisets),
  never to the redirect target.
* Error messages name the API URL, never the signed one (its query string is a credential
  until it expires): what S3 said is kept, the signature is redacted.

Other URLs are read exactly as by :class:`~hdmf_lindi.storage.sources.http.HTTPSource`.
"""

from __future__ import annotations

import asyncio
import calendar
import os
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hdmf_lindi._dandi_urls import DANDI_API_URL, STAGING_API_URL
from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources._redact import redacted_text
from hdmf_lindi.storage.sources.http import HTTPSource, resolve_redirects

__all__ = [
    "DandiInstance",
    "DandiSource",
    "dandi_instance_for",
    "register_dandi_instance",
    "token_headers",
]

EXPIRY_MARGIN = 60.0
"""Seconds before a signed URL's expiry at which it is resolved again."""
DEFAULT_LIFETIME = 3600.0
"""How long a signed URL without a recognizable expiry is reused (a 403 ends it sooner)."""


@dataclass(frozen=True, slots=True)
class DandiInstance:
    """A DANDI API: its base URL (``https://api.dandiarchive.org/api``) and the environment
    variable holding its token."""

    api_url: str
    token_variable: str

    @property
    def origin(self) -> tuple[str, str]:
        parts = urllib.parse.urlsplit(self.api_url)
        return parts.scheme, parts.netloc

    def token(self) -> str | None:
        """The token from the environment, if set."""
        value = os.environ.get(self.token_variable, "").strip()
        return value or None


_instances_lock = threading.Lock()
_INSTANCES: list[DandiInstance] = [
    DandiInstance(DANDI_API_URL, "DANDI_API_KEY"),
    DandiInstance(STAGING_API_URL, "DANDI_STAGING_API_KEY"),
]


def register_dandi_instance(api_url: str, token_variable: str) -> DandiInstance:
    """Treat ``api_url`` (``scheme://host[:port]/api``) as a DANDI API whose token is in the
    environment variable ``token_variable`` (other archives running DANDI's software, tests).
    """
    instance = DandiInstance(api_url.rstrip("/"), token_variable)
    with _instances_lock:
        _INSTANCES[:] = [i for i in _INSTANCES if i.api_url != instance.api_url]
        _INSTANCES.append(instance)
    return instance


def dandi_instance_for(url: str) -> DandiInstance | None:
    """The DANDI instance whose API ``url`` is under, or ``None``."""
    parts = urllib.parse.urlsplit(url)
    with _instances_lock:
        instances = list(_INSTANCES)
    for instance in instances:
        base = urllib.parse.urlsplit(instance.api_url)
        if (parts.scheme, parts.netloc) == (base.scheme, base.netloc) and (
            parts.path.rstrip("/") + "/"
        ).startswith(base.path.rstrip("/") + "/"):
            return instance
    return None


def token_headers(url: str) -> dict[str, str]:
    """``{"Authorization": "token ..."}`` when ``url`` is on a DANDI API host and its token is
    set, else ``{}``."""
    instance = dandi_instance_for(url)
    token = instance.token() if instance is not None else None
    return {"Authorization": f"token {token}"} if token else {}


def _expiry_of(signed_url: str, now: float) -> float:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(signed_url).query)
    try:
        if "X-Amz-Date" in query and "X-Amz-Expires" in query:
            start = calendar.timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
            return start + float(query["X-Amz-Expires"][0])
        if "Expires" in query:
            return float(query["Expires"][0])
    except (ValueError, OverflowError):
        pass
    return now + DEFAULT_LIFETIME


@dataclass(slots=True)
class _Signed:
    url: str
    expires: float


class DandiSource(HTTPSource):
    """The HTTP source, with DANDI API URLs read through their signed redirect targets.

    Parameters
    ----------
    clock
        Time source (tests).
    http_options
        As for :class:`~hdmf_lindi.storage.sources.http.HTTPSource`.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, **http_options: Any) -> None:
        super().__init__(**http_options)
        self._clock = clock
        self._signed: dict[str, _Signed] = {}
        self._signed_lock = threading.Lock()
        self.resolutions = 0
        """How many times a DANDI URL was resolved (tests and diagnostics)."""

    # -- resolution ----------------------------------------------------------------------

    def _cached(self, url: str) -> str | None:
        with self._signed_lock:
            signed = self._signed.get(url)
        if signed is not None and self._clock() < signed.expires - EXPIRY_MARGIN:
            return signed.url
        return None

    def _resolve_now(self, url: str) -> str:
        resolved = resolve_redirects(url, headers=token_headers(url))
        if resolved.hops == 0:
            raise LindiSourceError(
                f"{url}: the DANDI API did not redirect to the data (no such asset, or it is "
                "embargoed: set the instance's API key, e.g. DANDI_API_KEY)"
            )
        signed = _Signed(resolved.url, _expiry_of(resolved.url, self._clock()))
        with self._signed_lock:
            self._signed[url] = signed
            self.resolutions += 1
        return signed.url

    async def _signed_url(self, url: str, *, again: bool = False) -> str:
        cached = None if again else self._cached(url)
        return cached if cached is not None else await asyncio.to_thread(self._resolve_now, url)

    def _signed_url_blocking(self, url: str, *, again: bool = False) -> str:
        cached = None if again else self._cached(url)
        return cached if cached is not None else self._resolve_now(url)

    # where HTTPSource sends a read of ``url``: its signed URL, reached from the API's origin
    # (so the client's ``default_headers`` never go to S3)

    async def _url_for_read(self, url: str) -> str:
        if dandi_instance_for(url) is None:
            return await super()._url_for_read(url)
        return await self._signed_url(url)

    def _url_for_read_blocking(self, url: str) -> str:
        if dandi_instance_for(url) is None:
            return super()._url_for_read_blocking(url)
        return self._signed_url_blocking(url)

    @staticmethod
    def _forbidden(exc: LindiSourceError) -> bool:
        return "HTTP 403" in str(exc)

    def _error(self, url: str, exc: BaseException) -> LindiSourceError:
        """The error of a read of ``url`` through its signed URL, the signature redacted (the
        cause is left out: its message and traceback would carry the signed URL)."""
        with self._signed_lock:
            signed = self._signed.get(url)
        text = str(exc)
        if signed is not None:
            text = redacted_text(text, signed.url, urllib.parse.urlsplit(signed.url).query)
        return LindiSourceError(text if text.startswith(url) else f"{url}: {text}")

    async def _with_signed[T](self, url: str, read: Callable[[], Awaitable[T]]) -> T:
        """``read()`` (which reads ``url`` through its signed URL); after a 403 (expired or
        revoked) once more, through a freshly signed URL."""
        try:
            return await read()
        except LindiSourceError as exc:
            if not self._forbidden(exc):
                raise self._error(url, exc) from None
        await self._signed_url(url, again=True)
        try:
            return await read()
        except LindiSourceError as exc:
            raise self._error(url, exc) from None

    def _with_signed_blocking[T](self, url: str, read: Callable[[], T]) -> T:
        try:
            return read()
        except LindiSourceError as exc:
            if not self._forbidden(exc):
                raise self._error(url, exc) from None
        self._signed_url_blocking(url, again=True)
        try:
            return read()
        except LindiSourceError as exc:
            raise self._error(url, exc) from None

    # -- ByteSource ----------------------------------------------------------------------

    async def get_range(self, url: str, offset: int, size: int) -> bytes:
        if dandi_instance_for(url) is None:
            return await super().get_range(url, offset, size)
        return await self._with_signed(url, lambda: HTTPSource.get_range(self, url, offset, size))

    async def get_ranges(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        if dandi_instance_for(url) is None:
            return await super().get_ranges(url, ranges)
        return await self._with_signed(url, lambda: HTTPSource.get_ranges(self, url, ranges))

    async def get(self, url: str) -> bytes:
        if dandi_instance_for(url) is None:
            return await super().get(url)
        return await self._with_signed(url, lambda: HTTPSource.get(self, url))

    async def size(self, url: str) -> int:
        if dandi_instance_for(url) is None:
            return await super().size(url)

        async def size_of_signed() -> int:
            return await self._size(url, await self._signed_url(url))

        return await self._with_signed(url, size_of_signed)

    def get_ranges_blocking(self, url: str, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        if dandi_instance_for(url) is None:
            return super().get_ranges_blocking(url, ranges)
        return self._with_signed_blocking(
            url, lambda: HTTPSource.get_ranges_blocking(self, url, ranges)
        )

    def size_blocking(self, url: str) -> int:
        if dandi_instance_for(url) is None:
            return super().size_blocking(url)
        return self._with_signed_blocking(url, lambda: HTTPSource.size_blocking(self, url))
