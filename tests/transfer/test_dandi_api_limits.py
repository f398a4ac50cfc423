"""The DANDI API client's bounds: answer size and an overall deadline per request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.transfer.dandi_api import request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        self.send_response(200)
        if path == "/announced":
            self.send_header("Content-Length", str(10**12))
            self.end_headers()
            return
        if path == "/endless":
            self.send_header("Connection", "close")
            self.end_headers()
            block = b"x" * 65536
            try:
                for _ in range(1024):  # 64 MiB, no length announced
                    self.wfile.write(block)
            except OSError:
                pass
            return
        # /trickle: a byte every 0.2 s, for ever (each recv() well within the socket timeout)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass


@contextmanager
def _server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_answers_are_bounded_in_size_and_time() -> None:
    with _server() as base:
        with pytest.raises(LindiSourceError, match="refused"):
            request("GET", base + "/announced?X-Amz-Signature=secret")
        with pytest.raises(LindiSourceError, match="larger than") as caught:
            request("GET", base + "/endless?X-Amz-Signature=secret", max_answer_bytes=1 << 20)
        assert "secret" not in str(caught.value)
        start = time.monotonic()
        with pytest.raises(LindiSourceError, match="cut short"):
            request("GET", base + "/trickle", timeout=1.0)
        assert time.monotonic() - start < 5.0
