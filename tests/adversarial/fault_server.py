"""A fault-injecting HTTP/1.1 server on 127.0.0.1, for tests of what clients do with hostile or
broken servers.

It serves byte strings by path (``GET`` with or without one ``Range``, ``HEAD``) and, per
path, misbehaves (``inject(path, kind, value)``) in one of these ways, every time or only for
the next ``times`` requests (of the given ``methods``, ``GET`` and ``HEAD`` unless told, and
only from clients whose ``User-Agent`` contains ``user_agent`` when given):

* ``"slow_headers"``, delay: the status line and headers trickle out one byte every delay s;
* ``"trickle"``, delay: honest headers, then the body one byte every delay seconds;
* ``"stall"``, after: honest headers and ``after`` body bytes (default 0), then nothing (the
  socket stays open);
* ``"reset"``, after: honest headers and ``after`` body bytes, then a TCP reset;
* ``"lying_length"``, length: a ``Content-Length`` of ``length`` (e.g. ``10**12``) with the
  real body, then the connection closes;
* ``"ignore_range"``, length: the same answering a range request like a server that ignores
  ``Range``: a 200 and the whole body;
* ``"lying_range"``, header: the requested bytes under a wrong ``Content-Range`` header;
* ``"status"``, code: an error answer (e.g. a burst of 503s with ``times=3``);
* ``"redirect"``, location: a 302 to anywhere (e.g. ``file:///etc/passwd``, or a path here).

Every wait is bounded (``max_stall`` seconds, default 30) and ends at :meth:`FaultServer.stop`;
handler threads are daemons, so a test that forgets to stop the server cannot hang the run.

Usage::

    with fault_server() as server:
        server.serve("/data.bin", payload)
        server.inject("/data.bin", "trickle", 1.0, times=1)
        url = server.url_for("/data.bin")
        ...
        assert server.requests_for("/data.bin", "HEAD") == [...]
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from tests.helpers.http_server import serve_in_background, stop_serving

__all__ = ["FaultKind", "FaultServer", "Request", "fault_server"]


@dataclass(frozen=True, slots=True)
class Request:
    """One request the server received: method, path (without query), raw ``Range`` header,
    the fault applied (``""`` when served honestly), when it arrived (``time.monotonic``) and
    its headers (names lowercased)."""

    method: str
    path: str
    range: str | None
    fault: str
    time: float
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Fault:
    kind: str
    value: Any = None
    remaining: int | None = None
    methods: frozenset[str] = frozenset({"GET", "HEAD"})
    user_agent: str | None = None


_ALL = ("GET", "HEAD")

type FaultKind = Literal[
    "slow_headers",
    "trickle",
    "stall",
    "reset",
    "lying_length",
    "ignore_range",
    "lying_range",
    "status",
    "redirect",
]
_KINDS = frozenset(get_args(FaultKind.__value__))


class _Closed(Exception):
    """The server is stopping or the client went away."""


class FaultServer:
    """A running server; see the module docstring.

    Attributes
    ----------
    url
        ``http://127.0.0.1:PORT``.
    requests
        Every request received, in arrival order.
    max_stall
        Upper bound in seconds on any one wait of a fault (trickle, stall, slow headers).
    """

    def __init__(self, *, max_stall: float = 30.0) -> None:
        self.max_stall = max_stall
        self.requests: list[Request] = []
        self.url = ""
        self._objects: dict[str, bytes] = {}
        self._faults: dict[str, _Fault] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration -------------------------------------------------------------------

    def serve(self, path: str, data: bytes) -> None:
        """Serve ``data`` at ``path``."""
        with self._lock:
            self._objects[_normalize(path)] = bytes(data)

    def inject(
        self,
        path: str,
        kind: FaultKind,
        value: Any = None,
        *,
        times: int | None = None,
        methods: Sequence[str] = _ALL,
        user_agent: str | None = None,
    ) -> None:
        """Misbehave on ``path`` in the way ``kind`` says, with its ``value`` (see the module
        docstring): every time, or for the next ``times`` requests of ``methods`` (from
        clients whose ``User-Agent`` contains ``user_agent``, when given)."""
        if kind not in _KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults[_normalize(path)] = _Fault(
                kind, value, times, frozenset(methods), user_agent
            )

    def clear(self, path: str) -> None:
        """Serve ``path`` honestly again."""
        with self._lock:
            self._faults.pop(_normalize(path), None)

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return self.url + urllib.parse.quote(_normalize(path))

    def requests_for(self, path: str, method: str | None = None) -> list[Request]:
        """The recorded requests for ``path`` (optionally only those with ``method``)."""
        wanted = _normalize(path)
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == wanted and (method is None or r.method == method)
            ]

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        served = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                served._handle(self.request)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url, self._thread = serve_in_background(self._server)

    def stop(self) -> None:
        """Stop serving and close every open connection (ends every fault's wait)."""
        self._stopping.set()
        if self._server is None:
            return
        stop_serving(self._server, self._thread, self._open_connections)
        self._server = None

    def _open_connections(self) -> list[socket.socket]:
        with self._lock:
            return list(self._connections)

    # -- handling ------------------------------------------------------------------------

    def _take_fault(self, path: str, method: str, user_agent: str) -> _Fault | None:
        with self._lock:
            fault = self._faults.get(path)
            if fault is None or method not in fault.methods:
                return None
            if fault.user_agent is not None and fault.user_agent not in user_agent:
                return None
            if fault.remaining is not None:
                if fault.remaining <= 0:
                    del self._faults[path]
                    return None
                fault.remaining -= 1
            return fault

    def _wait(self, seconds: float) -> None:
        if self._stopping.wait(min(seconds, self.max_stall)):
            raise _Closed

    def _handle(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
        connection.settimeout(self.max_stall)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = connection.makefile("rb")
        try:
            while not self._stopping.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                if not self._answer(connection, *request):
                    return
        except (_Closed, OSError):
            return
        finally:
            with self._lock:
                self._connections.discard(connection)
            with suppress(OSError):
                reader.close()

    def _answer(
        self, connection: socket.socket, method: str, target: str, headers: dict[str, str]
    ) -> bool:
        """Answer one request; whether the connection may be kept alive."""
        path = _normalize(urllib.parse.urlsplit(target).path)
        range_header = headers.get("range")
        fault = self._take_fault(path, method, headers.get("user-agent", ""))
        with self._lock:
            self.requests.append(
                Request(
                    method,
                    path,
                    range_header,
                    fault.kind if fault else "",
                    time.monotonic(),
                    dict(headers),
                )
            )
            data = self._objects.get(path)
        if fault is not None and fault.kind == "status":
            return self._send_simple(connection, fault.value, f"injected {fault.value}\n")
        if fault is not None and fault.kind == "redirect":
            location = str(fault.value)
            if "://" not in location:
                location = self.url_for(location)
            return self._send_simple(connection, 302, "", {"Location": location})
        if data is None:
            return self._send_simple(connection, 404, f"not found: {path}\n")
        status, start, end = 200, 0, len(data)
        kind = fault.kind if fault is not None else ""
        if range_header is not None and kind != "ignore_range":
            parsed = _parse_range(range_header, len(data))
            if parsed is None:
                return self._send_simple(
                    connection, 416, "", {"Content-Range": f"bytes */{len(data)}"}
                )
            status, (start, end) = 206, parsed
        body = data[start:end] if method == "GET" else b""
        head: dict[str, str] = {
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "Content-Length": str(end - start),
        }
        if status == 206:
            head["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        if kind in ("lying_length", "ignore_range"):
            head["Content-Length"] = str(fault.value)  # type: ignore[union-attr]
            head["Connection"] = "close"
        if kind == "lying_range":
            head["Content-Range"] = str(fault.value)  # type: ignore[union-attr]
        header_bytes = _head_bytes(status, head)
        if kind == "slow_headers":
            for byte in header_bytes:
                self._wait(fault.value)  # type: ignore[union-attr]
                connection.sendall(bytes([byte]))
        else:
            connection.sendall(header_bytes)
        if kind == "trickle":
            for byte in body:
                connection.sendall(bytes([byte]))
                self._wait(fault.value)  # type: ignore[union-attr]
            return True
        if kind in ("stall", "reset"):
            connection.sendall(body[: fault.value or 0])  # type: ignore[union-attr]
            if kind == "stall":
                self._wait(self.max_stall)
            else:
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                connection.close()
            return False
        connection.sendall(body)
        return kind not in ("lying_length", "ignore_range")

    def _send_simple(
        self,
        connection: socket.socket,
        status: int,
        text: str,
        extra: dict[str, str] | None = None,
    ) -> bool:
        body = text.encode()
        head = {"Content-Type": "text/plain", "Content-Length": str(len(body)), **(extra or {})}
        connection.sendall(_head_bytes(status, head) + body)
        return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _normalize(path: str) -> str:
    path = urllib.parse.unquote(path.split("?", 1)[0])
    return path if path.startswith("/") else "/" + path


def _read_request(reader: Any) -> tuple[str, str, dict[str, str]] | None:
    line = reader.readline(65536)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    while True:
        header = reader.readline(65536)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], headers


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)`` of a single ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n``
    range, None when unsatisfiable or malformed."""
    unit, _, spec = header.partition("=")
    first, sep, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not sep or "," in spec:
        return None
    try:
        if first == "":
            start, end = max(0, size - int(last)), size
        else:
            start = int(first)
            end = size if last == "" else min(int(last) + 1, size)
    except ValueError:
        return None
    return (start, end) if 0 <= start < end else None


_REASONS = {
    200: "OK",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    404: "Not Found",
    416: "Range Not Satisfiable",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _head_bytes(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextmanager
def fault_server(*, max_stall: float = 30.0) -> Iterator[FaultServer]:
    """A :class:`FaultServer` running for the duration of the block."""
    server = FaultServer(max_stall=max_stall)
    server.start()
    try:
        yield server
    finally:
        server.stop()
