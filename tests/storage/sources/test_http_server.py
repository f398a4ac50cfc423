"""The test HTTP server itself: ranges, HEAD, keep-alive, faults, redirects, request log."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers.http_server import ServedDirectory, serve_directory

PAYLOAD = bytes(range(256)) * 4


def _connect(server: ServedDirectory) -> http.client.HTTPConnection:
    netloc = urllib.parse.urlsplit(server.url).netloc
    host, port = netloc.split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def _get(
    server: ServedDirectory, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    conn = _connect(server)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        conn.close()


@pytest.fixture
def served(http_server: ServedDirectory) -> ServedDirectory:
    (http_server.root / "data.bin").write_bytes(PAYLOAD)
    (http_server.root / "sub").mkdir()
    (http_server.root / "sub" / "x y.bin").write_bytes(b"hello")
    return http_server


def test_whole_file_and_head(served: ServedDirectory) -> None:
    status, headers, body = _get(served, "/data.bin")
    assert status == 200
    assert body == PAYLOAD
    assert headers["Content-Length"] == str(len(PAYLOAD))
    assert headers["Accept-Ranges"] == "bytes"
    status, headers, body = _get(served, "/data.bin", method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", str(len(PAYLOAD)))
    assert [(r.method, r.path, r.status) for r in served.requests] == [
        ("GET", "/data.bin", 200),
        ("HEAD", "/data.bin", 200),
    ]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 1),
        ("bytes=10-19", 10, 20),
        ("bytes=1000-", 1000, 1024),
        ("bytes=1023-1023", 1023, 1024),
        ("bytes=1020-5000", 1020, 1024),
        ("bytes=-5", 1019, 1024),
        ("bytes=-5000", 0, 1024),
    ],
)
def test_ranges(served: ServedDirectory, header: str, start: int, end: int) -> None:
    status, headers, body = _get(served, "/data.bin", {"Range": header})
    assert status == 206
    assert body == PAYLOAD[start:end]
    assert headers["Content-Range"] == f"bytes {start}-{end - 1}/{len(PAYLOAD)}"
    assert served.requests[-1].range == header


@pytest.mark.parametrize(
    "header", ["bytes=1024-", "bytes=5-2", "bytes=-0", "items=0-1", "bytes=x-"]
)
def test_unsatisfiable_range(served: ServedDirectory, header: str) -> None:
    status, headers, _ = _get(served, "/data.bin", {"Range": header})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(PAYLOAD)}"


def test_quoted_path_query_and_missing(served: ServedDirectory) -> None:
    status, _, body = _get(served, "/sub/x%20y.bin?token=abc")
    assert (status, body) == (200, b"hello")
    assert served.requests[-1].path == "/sub/x y.bin"
    assert served.requests[-1].query == "token=abc"
    assert _get(served, "/nope.bin")[0] == 404
    assert _get(served, "/../../etc/passwd")[0] == 404
    assert _get(served, "/sub")[0] == 404


def test_keep_alive_reuses_connection(served: ServedDirectory) -> None:
    conn = _connect(served)
    try:
        for i in range(3):
            conn.request("GET", "/data.bin", headers={"Range": f"bytes={i}-{i}"})
            response = conn.getresponse()
            assert response.read() == PAYLOAD[i : i + 1]
            sock = conn.sock
            assert sock is not None
            if i == 0:
                first_sock = sock
            assert sock is first_sock
    finally:
        conn.close()


def test_fail_times_then_success(served: ServedDirectory) -> None:
    served.fail("/data.bin", 500, times=2)
    assert _get(served, "/data.bin")[0] == 500
    assert _get(served, "/data.bin")[0] == 500
    assert _get(served, "/data.bin")[0] == 200
    assert [r.status for r in served.requests_for("/data.bin")] == [500, 500, 200]


def test_persistent_fail_and_clear(served: ServedDirectory) -> None:
    served.fail("data.bin", 404)
    for _ in range(3):
        assert _get(served, "/data.bin")[0] == 404
    served.clear_faults()
    assert _get(served, "/data.bin")[0] == 200


def test_truncate(served: ServedDirectory) -> None:
    served.truncate("/data.bin")
    conn = _connect(served)
    try:
        conn.request("GET", "/data.bin", headers={"Range": "bytes=0-99"})
        response = conn.getresponse()
        assert response.status == 206
        with pytest.raises(http.client.IncompleteRead) as info:
            response.read()
        assert len(info.value.partial) == 50
    finally:
        conn.close()


def test_reset(served: ServedDirectory) -> None:
    served.reset("/data.bin", times=1)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        _get(served, "/data.bin")
    assert _get(served, "/data.bin")[0] == 200
    assert [r.status for r in served.requests_for("/data.bin")] == [0, 200]


def test_redirect(served: ServedDirectory) -> None:
    served.redirect("/api/assets/abc/download/", "/data.bin")
    status, headers, _ = _get(served, "/api/assets/abc/download/")
    assert status == 302
    assert headers["Location"] == f"{served.url}/data.bin"
    served.redirect("/elsewhere", "http://127.0.0.1:1/x", status=307)
    status, headers, _ = _get(served, "/elsewhere", method="HEAD")
    assert (status, headers["Location"]) == (307, "http://127.0.0.1:1/x")


def test_requests_are_served_concurrently(served: ServedDirectory) -> None:
    served.hold_until_in_flight(8)  # nothing is answered until all eight overlap
    results: list[int] = []

    def fetch() -> None:
        results.append(_get(served, "/data.bin", {"Range": "bytes=0-0"})[0])

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [206] * 8
    assert served.max_in_flight == 8
    served.reset_max_in_flight()
    assert (served.in_flight, served.max_in_flight) == (0, 0)


def test_gate_lets_requests_through_after_its_timeout(served: ServedDirectory) -> None:
    served.hold_until_in_flight(3, timeout=0.05)
    assert _get(served, "/data.bin", {"Range": "bytes=0-0"})[0] == 206
    assert served.max_in_flight == 1
    assert _get(served, "/data.bin", {"Range": "bytes=0-0"})[0] == 206  # the gate stays open
    served.reset_max_in_flight()
    assert served.max_in_flight == 0


def test_latency_delays_each_request(served: ServedDirectory) -> None:
    served.latency = 0.05
    started = time.monotonic()
    assert _get(served, "/data.bin", {"Range": "bytes=0-0"})[0] == 206
    # a lower bound only: load can make a request slower, never faster
    assert time.monotonic() - started >= 0.05


def test_serve_directory_context_manager(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"abc")
    with serve_directory(tmp_path, latency=0.0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert _get(server, "/a.txt")[2] == b"abc"
    with pytest.raises(OSError):
        _get(server, "/a.txt")
