"""A small client of the DANDI REST API (what lindi-dandi used), talking HTTP directly: the
``dandi`` package pins zarr <= 3.1.5 (dandi-cli#1856) and cannot share an environment with us.

Every request has a socket timeout and an overall deadline, and its answer a size limit
(:func:`request`); redirects are not followed (the API's JSON endpoints do not
redirect, and following one would carry the token elsewhere). The token
(``DANDI_API_KEY``, ``DANDI_STAGING_API_KEY``, the variable of a registered instance, or the
one named for another instance: an unknown instance never gets the main archive's key) is
sent to the API host only; presigned S3 URLs get no ``Authorization`` header.
"""

from __future__ import annotations

import hashlib
import http.client
import math
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hdmf_lindi import _json
from hdmf_lindi._dandi_urls import DANDI_API_URL
from hdmf_lindi.errors import LindiError, LindiSourceError, LindiUnsupportedError
from hdmf_lindi.storage.sources._redact import redacted_text, redacted_url
from hdmf_lindi.storage.sources.dandi import DandiInstance, dandi_instance_for
from hdmf_lindi.storage.sources.http import open_connection, shut_down_after
from hdmf_lindi.transfer.destination import STREAM_MIN_RATE

__all__ = [
    "DANDI_API_URL",
    "DandiAPI",
    "DandiAPIError",
    "dandi_etag",
    "dandi_part_sizes",
]

TIMEOUT = 60.0
"""Seconds each socket operation of a DANDI request may take (and the whole request, plus
the time its body takes at the minimum rate)."""
MAX_ANSWER_BYTES = 8 * 1024 * 1024
"""Largest answer accepted from the DANDI API or S3 (JSON pages, XML; far below this)."""
DEFAULT_PART_SIZE = 64 * 1024 * 1024
MAX_PARTS = 10_000


class DandiAPIError(LindiError):
    """The DANDI API refused a request (the message names the URL and the status)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def dandi_part_sizes(size: int) -> list[int]:
    """The part sizes DANDI's multipart uploads use for an object of ``size`` bytes (64 MiB
    parts, larger when 10,000 parts would not hold the object)."""
    part = max(DEFAULT_PART_SIZE, math.ceil(size / MAX_PARTS))
    count = max(1, math.ceil(size / part))
    return [min(part, size - i * part) for i in range(count)]


def dandi_etag(chunks: Iterator[bytes], size: int) -> str:
    """DANDI's ``dandi-etag`` of the bytes ``chunks`` yields (S3's multipart ETag over
    :func:`dandi_part_sizes`: MD5 of the parts' MD5 digests, ``-<number of parts>``)."""
    sizes = dandi_part_sizes(size)
    digests: list[bytes] = []
    current = hashlib.md5(usedforsecurity=False)
    remaining = sizes[0] if sizes else 0
    index = 0
    for data in chunks:
        view = memoryview(data)
        while view:
            take = min(remaining, len(view))
            current.update(view[:take])
            view = view[take:]
            remaining -= take
            if remaining == 0:
                digests.append(current.digest())
                index += 1
                current = hashlib.md5(usedforsecurity=False)
                remaining = sizes[index] if index < len(sizes) else 0
                if remaining == 0 and view:
                    raise LindiSourceError("more bytes than the declared size")
    if len(digests) < len(sizes):
        digests.append(current.digest())
    combined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
    return f"{combined}-{len(sizes)}"


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP answer: status, headers (lowercase names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return _json.loads(self.body) if self.body else None


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
) -> Response:
    """One HTTP request (no redirects followed); raises ``LindiSourceError`` on network
    errors naming the URL (its query string left out).

    Each socket operation times out after ``timeout`` seconds, and the whole request (body
    sent, answer read) must end within ``timeout`` plus the body's size at
    :data:`~hdmf_lindi.transfer.destination.STREAM_MIN_RATE` (past it the socket is shut
    down). An answer larger than ``max_answer_bytes`` is refused, announced or received."""
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme not in ("http", "https"):
        raise LindiSourceError(f"{redacted_url(url)}: not an http(s) URL")
    shown = f"{method} {redacted_url(url)}"
    connection = open_connection(parts, timeout)
    done = threading.Event()
    shut_down_after(connection, done, timeout + len(body or b"") / STREAM_MIN_RATE)
    try:
        connection.request(method, target, body=body, headers=dict(headers or {}))
        answer = connection.getresponse()
        announced = answer.getheader("Content-Length")
        if announced and announced.isdigit() and int(announced) > max_answer_bytes:
            raise LindiSourceError(
                f"{shown}: answer of {announced} bytes refused (limit {max_answer_bytes})"
            )
        data = answer.read(max_answer_bytes + 1)
        if len(data) > max_answer_bytes:
            raise LindiSourceError(f"{shown}: answer larger than {max_answer_bytes} bytes refused")
        if announced and announced.isdigit() and len(data) != int(announced):
            # read(amt) returns what came before the connection ended, without an error
            raise LindiSourceError(f"{shown}: answer cut short ({len(data)} of {announced} bytes)")
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
    except LindiSourceError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise LindiSourceError(f"{shown}: {redacted_text(str(exc))}") from None
    finally:
        done.set()
        connection.close()


class DandiAPI:
    """The REST API of one DANDI instance.

    Parameters
    ----------
    api_url
        ``https://api.dandiarchive.org/api`` (default), the staging API, or another instance
        (registered with :func:`~hdmf_lindi.storage.sources.dandi.register_dandi_instance`, or
        given with ``token_variable``).
    token_variable
        The environment variable holding this instance's API key. Default: the registered
        instance's (``DANDI_API_KEY`` for the main archive, ``DANDI_STAGING_API_KEY`` for
        staging). Required for an instance that is not registered: the main archive's key is
        never sent to another host. Nothing is registered here.

    Raises
    ------
    LindiUnsupportedError
        ``api_url`` is not a registered instance and no ``token_variable`` is given.
    """

    def __init__(self, api_url: str = DANDI_API_URL, *, token_variable: str | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.instance: DandiInstance
        if token_variable is not None:
            self.instance = DandiInstance(self.api_url, token_variable)
            return
        instance = dandi_instance_for(self.api_url + "/")
        if instance is None:
            raise LindiUnsupportedError(
                f"{self.api_url}: not a known DANDI instance; name the environment variable "
                "holding its API key (token_variable=..., CLI --dandi-token-variable) or "
                "register it with register_dandi_instance(api_url, variable)"
            )
        self.instance = instance

    def url(self, endpoint: str, **params: Any) -> str:
        """The API URL of ``endpoint`` (``dandisets/000001/``) with query ``params``."""
        url = f"{self.api_url}/{endpoint.lstrip('/')}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return url

    def _headers(self, *, json_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if json_body:
            headers["Content-Type"] = "application/json"
        token = self.instance.token()
        if token:
            headers["Authorization"] = f"token {token}"
        return headers

    def call(
        self,
        method: str,
        path_or_url: str,
        payload: Any = None,
        *,
        ok: tuple[int, ...] = (200, 201),
    ) -> Response:
        """A JSON request to the API; statuses outside ``ok`` raise :class:`DandiAPIError`."""
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        if not url.startswith(self.api_url + "/"):
            raise LindiSourceError(f"{url}: not under {self.api_url}")  # never leak the token
        body = _json.dumps(payload) if payload is not None else None
        answer = request(method, url, body=body, headers=self._headers(json_body=body is not None))
        if answer.status not in ok:
            detail = answer.body[:300].decode("utf-8", "replace")
            hint = ""
            if answer.status in (401, 403):
                hint = f" (set {self.instance.token_variable} to a valid API key)"
            raise DandiAPIError(
                f"{method} {url}: HTTP {answer.status}{hint}: {detail}", answer.status
            )
        return answer

    def assets(self, dandiset_id: str, version: str = "draft", path: str = "") -> Iterator[Any]:
        """The assets of a dandiset version whose path starts with ``path`` (paginated)."""
        url: str | None = self.url(
            f"dandisets/{dandiset_id}/versions/{version}/assets/", path=path, page_size=1000
        )
        while url:
            page = self.call("GET", url).json()
            yield from page.get("results", [])
            url = page.get("next")

    def asset_id(self, dandiset_id: str, path: str, version: str = "draft") -> str | None:
        """The id of the asset at exactly ``path``, or ``None``."""
        for asset in self.assets(dandiset_id, version, path):
            if asset.get("path") == path:
                return str(asset["asset_id"])
        return None

    def download_url(self, asset_id: str) -> str:
        """``<api>/assets/<id>/download/``."""
        return self.url(f"assets/{asset_id}/download/")
