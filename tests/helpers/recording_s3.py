"""A second front door to the test session's moto S3 backend that records every request and
can hold requests (to kill a client in the middle of an upload).

moto keeps its buckets in process-wide backends, so a WSGI server started here on 127.0.0.1
sees the same buckets as the ``moto_server`` fixture's; requests through it are recorded::

    with recording_s3() as front:
        upload(..., s3_options={**s3_bucket.store_options, "endpoint": front.endpoint_url})
        puts = front.requests_matching("PUT", "/blobs/sha1/")
        front.hold_puts_after(3)        # the 4th and later PUTs wait (up to 60 s), then fail
"""

from __future__ import annotations

import calendar
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RecordedS3Request", "RecordingS3", "recording_s3"]


@dataclass(frozen=True, slots=True)
class RecordedS3Request:
    """One request: method, path (``/bucket/key``) and query string."""

    method: str
    path: str
    query: str


@dataclass
class RecordingS3:
    """The recording front door; ``endpoint_url`` is its ``http://127.0.0.1:port``."""

    endpoint_url: str = ""
    requests: list[RecordedS3Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _hold_after: int | None = None
    _puts_seen: int = 0
    _release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    enforce_expiry: bool = True
    """Answer 403 to presigned URLs past their ``X-Amz-Date`` + ``X-Amz-Expires`` (moto
    itself does not check)."""
    clock_offset: float = 0.0
    """Seconds added to the wall clock when checking expiry (tests age URLs without sleeping)."""
    authorization_headers: list[str] = field(default_factory=list)
    """Every ``Authorization`` header received (a DANDI token must never arrive here)."""

    def requests_matching(self, method: str, path_part: str = "") -> list[RecordedS3Request]:
        """The recorded requests with this method whose path contains ``path_part``."""
        with self._lock:
            return [r for r in self.requests if r.method == method and path_part in r.path]

    def hold_puts_after(self, count: int) -> None:
        """Let ``count`` more PUTs through; hold every later one (``held`` is set) until
        :meth:`release` or 60 s, then answer it 503 without storing anything."""
        with self._lock:
            self._hold_after = count
            self._puts_seen = 0
            self._release.clear()
            self.held.clear()

    def release(self) -> None:
        """Stop holding (held requests fail with 503, later ones pass)."""
        with self._lock:
            self._hold_after = None
        self._release.set()

    def _should_hold(self, method: str) -> bool:
        with self._lock:
            if method != "PUT" or self._hold_after is None:
                return False
            self._puts_seen += 1
            return self._puts_seen > self._hold_after

    def wsgi(self, app: Any) -> Any:
        def middleware(environ: dict[str, Any], start_response: Any) -> Any:
            method = environ["REQUEST_METHOD"]
            request = RecordedS3Request(
                method, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
            )
            with self._lock:
                self.requests.append(request)
                if environ.get("HTTP_AUTHORIZATION"):
                    self.authorization_headers.append(environ["HTTP_AUTHORIZATION"])
            if self.enforce_expiry and _expired(request.query, time.time() + self.clock_offset):
                start_response("403 Forbidden", [("Content-Length", "0")])
                return [b""]
            if self._should_hold(method):
                self.held.set()
                self._release.wait(60)
                start_response("503 Service Unavailable", [("Content-Length", "0")])
                return [b""]
            return app(environ, start_response)

        return middleware


def _expired(query: str, now: float) -> bool:
    values = urllib.parse.parse_qs(query)
    if "X-Amz-Date" not in values or "X-Amz-Expires" not in values:
        return False
    start = calendar.timegm(time.strptime(values["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
    return now > start + int(values["X-Amz-Expires"][0])


@contextmanager
def recording_s3() -> Iterator[RecordingS3]:
    """Run the recording front door for the duration of the block."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    front = RecordingS3()
    app = front.wsgi(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, True, request_handler=MotoRequestHandler)
    host, port = server.server_address[:2]
    front.endpoint_url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        front.release()
        server.shutdown()
        thread.join(10)
