"""A real threaded HTTP/1.1 server on 127.0.0.1 serving a directory, for tests.

It supports ``Range`` requests (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``: 206 with
``Content-Range``; unsatisfiable: 416), ``HEAD``, keep-alive, an injected per-request latency,
per-path faults (error statuses, N failures before success, truncated bodies, connection
resets), redirects, ``PUT`` into the directory when ``accept_puts`` is set, a log of every
request it saw, and a count of requests in flight (with a
gate that holds requests until N are in flight at once, to test concurrency without clocks).

Usage::

    with serve_directory(tmp_path, latency=0.05) as server:
        url = f"{server.url}/data.bin"
        server.fail("/other.bin", 500, times=2)     # two 500s, then success
        server.redirect("/api/x/download/", "/data.bin")
        ...
        assert [r.path for r in server.requests] == [...]

        server.hold_until_in_flight(8)              # answer nothing until 8 requests overlap
        ...                                         # (or 10 s passed)
        assert server.max_in_flight == 8
"""

from __future__ import annotations

import email.utils
import hashlib
import socket
import socketserver
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["RecordedRequest", "ServedDirectory", "serve_directory"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received.

    ``path`` is the URL path (percent-decoded, without the query string); ``range`` is the raw
    ``Range`` header or None; ``status`` is the status the server answered with (0 when the
    connection was reset without an answer).
    """

    method: str
    path: str
    range: str | None
    status: int
    query: str = ""


@dataclass(slots=True)
class _Fault:
    kind: str  # "status" | "truncate" | "reset"
    status: int = 0
    remaining: int | None = None  # None: every request


class _ByteRangeError(Exception):
    pass


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)`` for a single-range header, None when the header asks for
    several ranges (the server then answers with the whole file, which RFC 9110 allows)."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec:
        raise _ByteRangeError(header)
    if "," in spec:
        return None
    first, sep, last = spec.strip().partition("-")
    if not sep:
        raise _ByteRangeError(header)
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0 or size == 0:
                raise _ByteRangeError(header)
            return max(0, size - suffix), size
        start = int(first)
        end = size - 1 if last == "" else min(int(last), size - 1)
    except ValueError as exc:
        raise _ByteRangeError(header) from exc
    if start < 0 or start >= size or end < start:
        raise _ByteRangeError(header)
    return start, end + 1


class ServedDirectory:
    """A running server; see the module docstring.

    Attributes
    ----------
    url
        Base URL, ``http://127.0.0.1:PORT`` (no trailing slash).
    root
        The directory being served.
    requests
        Every request received, in arrival order (a plain list: ``.clear()`` it between steps).
    latency
        Seconds each request waits before it is answered (settable at any time).
    in_flight, max_in_flight
        Requests being handled now, and the most handled at once since the server started or
        :meth:`reset_max_in_flight` was last called.
    """

    def __init__(self, root: Path, latency: float = 0.0) -> None:
        self.root = Path(root).resolve()
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, _Fault] = {}
        self._redirects: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.in_flight = 0
        self.max_in_flight = 0
        self._in_flight_changed = threading.Condition()
        self._gate_count = 0
        self._gate_timeout = 0.0
        self.accept_puts = False
        self.put_headers: dict[str, dict[str, str]] = {}

    # -- configuration -------------------------------------------------------------------

    def fail(self, path: str, status: int, *, times: int | None = None) -> None:
        """Answer requests for ``path`` with ``status`` (and a short text body): every time, or
        only the next ``times`` requests, after which the path is served normally."""
        with self._lock:
            self._faults[self._normalize(path)] = _Fault("status", status, times)

    def truncate(self, path: str, *, times: int | None = None) -> None:
        """Send full headers for ``path`` (the complete ``Content-Length``) but only half the
        body, then close the connection."""
        with self._lock:
            self._faults[self._normalize(path)] = _Fault("truncate", 0, times)

    def reset(self, path: str, *, times: int | None = None) -> None:
        """Abort connections that request ``path`` with a TCP reset, without answering."""
        with self._lock:
            self._faults[self._normalize(path)] = _Fault("reset", 0, times)

    def redirect(self, src_path: str, dst_path: str, *, status: int = 302) -> None:
        """Answer ``src_path`` with a redirect to ``dst_path`` (a path on this server or an
        absolute URL). The query string of the request is not carried over."""
        with self._lock:
            self._redirects[self._normalize(src_path)] = (dst_path, status)

    def hold_until_in_flight(self, count: int, *, timeout: float = 10.0) -> None:
        """Hold every request (before latency and faults) until ``count`` requests are in
        flight at once, then let them all through; the gate then stays open. A request held for
        ``timeout`` seconds goes through anyway, so a client that never reaches ``count``
        concurrent requests shows up as a low :attr:`max_in_flight`, not a hang.
        ``count=0`` removes the gate."""
        with self._in_flight_changed:
            self._gate_count = count
            self._gate_timeout = timeout
            self._in_flight_changed.notify_all()

    def reset_max_in_flight(self, *, timeout: float = 10.0) -> None:
        """Wait (up to ``timeout`` seconds) until no request is being handled, then count
        :attr:`max_in_flight` afresh. (A handler finishes just after its client got the
        answer, so waiting here keeps the previous step's requests out of the count.)"""
        with self._in_flight_changed:
            self._in_flight_changed.wait_for(lambda: self.in_flight == 0, timeout=timeout)
            self.max_in_flight = self.in_flight

    def clear_faults(self) -> None:
        """Remove every configured fault and redirect."""
        with self._lock:
            self._faults.clear()
            self._redirects.clear()

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` (``"/a/b.bin"`` or ``"a/b.bin"``), percent-encoded."""
        return self.url + urllib.parse.quote(self._normalize(path))

    def requests_for(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests for ``path`` (optionally only those with ``method``)."""
        wanted = self._normalize(path)
        return [
            r for r in self.requests if r.path == wanted and (method is None or r.method == method)
        ]

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._httpd = _QuietThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.url, self._thread = serve_in_background(self._httpd)

    def stop(self) -> None:
        if self._httpd is None:
            return
        stop_serving(self._httpd, self._thread, self._open_connections)
        self._httpd = None

    def _open_connections(self) -> list[socket.socket]:
        with self._lock:
            return list(self._connections)

    # -- internals used by the handler ---------------------------------------------------

    @staticmethod
    def _normalize(path: str) -> str:
        path = urllib.parse.unquote(path.split("?", 1)[0])
        return path if path.startswith("/") else "/" + path

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            fault = self._faults.get(path)
            if fault is None:
                return None
            if fault.remaining is not None:
                if fault.remaining <= 0:
                    del self._faults[path]
                    return None
                fault.remaining -= 1
            return fault

    def _enter(self) -> None:
        with self._in_flight_changed:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._in_flight_changed.notify_all()
            if self._gate_count <= 0:
                return
            self._in_flight_changed.wait_for(
                lambda: self._gate_count <= 0 or self.in_flight >= self._gate_count,
                timeout=self._gate_timeout,
            )
            self._gate_count = 0  # open for good: reached, or timed out

    def _leave(self) -> None:
        with self._in_flight_changed:
            self.in_flight -= 1
            self._in_flight_changed.notify_all()

    def _redirect_target(self, path: str) -> tuple[str, int] | None:
        with self._lock:
            return self._redirects.get(path)

    def _file_for(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate


def serve_in_background(server: socketserver.BaseServer) -> tuple[str, threading.Thread]:
    """Run ``server`` (bound to a port of 127.0.0.1) on a daemon thread: its URL
    (``http://127.0.0.1:PORT``) and the thread."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}", thread  # type: ignore[index]


def stop_serving(
    server: socketserver.BaseServer,
    thread: threading.Thread | None,
    connections: Callable[[], Iterable[socket.socket]],
) -> None:
    """Stop ``server``, shut down every connection still open (``connections()``, asked once
    no new one can come), close its socket and join its thread (5 s at most)."""
    server.shutdown()
    for connection in connections():
        with suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)


class _QuietThreadingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping connections (and injected resets) are expected in these tests.
        pass


def _make_handler(served: ServedDirectory) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "hdmf-lindi-test/1.0"
        disable_nagle_algorithm = True
        timeout = 30

        def setup(self) -> None:
            super().setup()
            with served._lock:
                served._connections.add(self.connection)

        def finish(self) -> None:
            with served._lock:
                served._connections.discard(self.connection)
            with suppress(OSError):
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve_counted(send_body=True)

        def do_HEAD(self) -> None:
            self._serve_counted(send_body=False)

        def do_PUT(self) -> None:
            # stores the body under the root when ``accept_puts`` is set (405 otherwise) and
            # the whole body arrived (400 otherwise);
            # injected status faults apply; headers (lowercased) of the last PUT per path are kept
            parsed = urllib.parse.urlsplit(self.path)
            path = served._normalize(parsed.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            fault = served._take_fault(path)
            status = 405 if not served.accept_puts else 201
            if fault is not None and fault.kind == "status":
                status = fault.status
            if len(body) != length:  # the client stopped before the end: nothing is stored
                status = 400
            target = (served.root / path.lstrip("/")).resolve()
            if status == 201 and served.root in target.parents:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
                served.put_headers[path] = {k.lower(): v for k, v in self.headers.items()}
            elif status == 201:
                status = 403
            self._record(path, parsed.query, status)
            if len(body) != length:
                self.close_connection = True
                return
            self._send_text(status, f"{status}\n", True)

        def _serve_counted(self, *, send_body: bool) -> None:
            served._enter()
            try:
                self._serve(send_body=send_body)
            finally:
                served._leave()

        def _record(self, path: str, query: str, status: int) -> None:
            served.requests.append(
                RecordedRequest(self.command, path, self.headers.get("Range"), status, query)
            )

        def _serve(self, *, send_body: bool) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            path = served._normalize(parsed.path)
            if served.latency > 0:
                time.sleep(served.latency)

            fault = served._take_fault(path)
            if fault is not None and fault.kind == "reset":
                self._record(path, parsed.query, 0)
                self._reset_connection()
                return
            if fault is not None and fault.kind == "status":
                self._record(path, parsed.query, fault.status)
                self._send_text(fault.status, f"injected {fault.status} for {path}\n", send_body)
                return

            redirect = served._redirect_target(path)
            if redirect is not None:
                target, status = redirect
                location = target if "://" in target else served.url_for(target)
                self._record(path, parsed.query, status)
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return

            file_path = served._file_for(path)
            if file_path is None:
                self._record(path, parsed.query, 404)
                self._send_text(404, f"not found: {path}\n", send_body)
                return

            stat = file_path.stat()
            size = stat.st_size
            status = 200
            start, end = 0, size
            range_header = self.headers.get("Range")
            if range_header is not None:
                try:
                    parsed_range = _parse_range(range_header, size)
                except _ByteRangeError:
                    self._record(path, parsed.query, 416)
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if parsed_range is not None:
                    start, end = parsed_range
                    status = 206

            self._record(path, parsed.query, status)
            with file_path.open("rb") as f:  # only the requested range: files may be large
                f.seek(start)
                data = f.read(end - start)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start))
            self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
            etag = hashlib.md5(f"{stat.st_mtime_ns}-{size}".encode()).hexdigest()
            self.send_header("ETag", f'"{etag}"')
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            if fault is not None and fault.kind == "truncate":
                self.send_header("Connection", "close")
                self.end_headers()
                if send_body:
                    self.wfile.write(data[: (end - start) // 2])
                    self.wfile.flush()
                self.close_connection = True
                return
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def _send_text(self, status: int, text: str, send_body: bool) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def _reset_connection(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler


@contextmanager
def serve_directory(root: Path, *, latency: float = 0.0) -> Iterator[ServedDirectory]:
    """Serve ``root`` over HTTP on 127.0.0.1 (a free port) for the duration of the block."""
    served = ServedDirectory(root, latency=latency)
    served.start()
    try:
        yield served
    finally:
        served.stop()
