"""The fault-injecting server itself: each fault does what it says, and only when it should."""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.adversarial.fault_server import FaultServer, fault_server

DATA = bytes(range(256)) * 4


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server(max_stall=5) as served:
        served.serve("/d", DATA)
        yield served


def _request(
    server: FaultServer, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    port = urllib.parse.urlsplit(server.url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, "/d", headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_honest_ranges_and_head(server: FaultServer) -> None:
    assert _request(server)[::2] == (200, DATA)
    status, headers, body = _request(server, headers={"Range": "bytes=10-19"})
    assert (status, body, headers["Content-Range"]) == (206, DATA[10:20], "bytes 10-19/1024")
    status, headers, body = _request(server, "HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", "1024")
    assert _request(server, headers={"Range": "bytes=5000-"})[0] == 416


def test_times_methods_and_user_agent_select_requests(server: FaultServer) -> None:
    server.inject("/d", "status", 503, times=1, methods=("GET",))
    assert _request(server, "HEAD")[0] == 200
    assert _request(server)[0] == 503
    assert _request(server)[0] == 200
    server.inject("/d", "status", 500, user_agent="probe")
    assert _request(server)[0] == 200
    assert _request(server, headers={"User-Agent": "x probe"})[0] == 500
    assert [r.fault for r in server.requests_for("/d")] == ["", "status", "", "", "status"]


def test_lying_headers(server: FaultServer) -> None:
    server.inject("/d", "lying_length", 10**6, times=1)
    with pytest.raises(http.client.IncompleteRead):
        _request(server)
    server.inject("/d", "lying_range", "bytes 0-9/1024", times=1)
    status, headers, body = _request(server, headers={"Range": "bytes=100-199"})
    assert (status, headers["Content-Range"], body) == (206, "bytes 0-9/1024", DATA[100:200])
    server.inject("/d", "ignore_range", 2048, times=1)
    with pytest.raises(http.client.IncompleteRead):
        _request(server, headers={"Range": "bytes=0-9"})


def test_reset_and_stall_cut_the_body(server: FaultServer) -> None:
    server.inject("/d", "reset", 10, times=1)
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        _request(server)
    server.inject("/d", "stall", 10, times=1)
    with pytest.raises((TimeoutError, http.client.IncompleteRead)):
        _request(server)


def test_trickle_and_slow_headers_take_their_time(server: FaultServer) -> None:
    server.serve("/small", b"abcd")
    server.inject("/small", "trickle", 0.2, times=1)
    port = urllib.parse.urlsplit(server.url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    started = time.monotonic()
    connection.request("GET", "/small")
    assert connection.getresponse().read() == b"abcd"
    assert time.monotonic() - started >= 0.6
    connection.close()
    server.inject("/d", "slow_headers", 0.01, times=1)
    started = time.monotonic()
    assert _request(server)[::2] == (200, DATA)
    assert time.monotonic() - started >= 0.5  # more than 50 header bytes


def test_redirect_anywhere(server: FaultServer) -> None:
    server.inject("/d", "redirect", "file:///etc/passwd", times=1)
    status, headers, _ = _request(server)
    assert (status, headers["Location"]) == (302, "file:///etc/passwd")


def test_stop_ends_every_wait() -> None:
    with fault_server(max_stall=60) as served:
        served.serve("/d", DATA)
        served.inject("/d", "stall")
        port = urllib.parse.urlsplit(served.url).port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/d")
        response = connection.getresponse()
        started = time.monotonic()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    assert time.monotonic() - started < 5
    connection.close()
