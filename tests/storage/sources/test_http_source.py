"""HTTP(S) reads through obstore against the local test server."""

from __future__ import annotations

import asyncio

import pytest

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources.http import HTTPSource, resolve_redirects
from tests.helpers.http_server import ServedDirectory
from tests.storage.sources.conftest import FAST_RETRIES, PAYLOAD


def _gets(server: ServedDirectory, path: str = "/data.bin") -> list[str | None]:
    return [r.range for r in server.requests_for(path, "GET")]


@pytest.mark.parametrize(
    ("offset", "size"),
    [(0, 1), (0, 100), (len(PAYLOAD) - 1, 1), (len(PAYLOAD) - 10, 10), (1234, 4321)],
)
def test_range_reads(
    payload_server: ServedDirectory, router: SourceRouter, offset: int, size: int
) -> None:
    data = router.read_sync(payload_server.url_for("data.bin"), offset, size)
    assert data == PAYLOAD[offset : offset + size]
    assert _gets(payload_server) == [f"bytes={offset}-{offset + size - 1}"]


def test_zero_size_read_sends_no_get(payload_server: ServedDirectory, router: SourceRouter) -> None:
    assert router.read_sync(payload_server.url_for("data.bin"), 10, 0) == b""
    assert _gets(payload_server) == []


def test_whole_object_and_size(payload_server: ServedDirectory, router: SourceRouter) -> None:
    url = payload_server.url_for("data.bin")
    assert router.read_sync(url) == PAYLOAD
    assert router.size_sync(url) == len(PAYLOAD)
    assert _gets(payload_server) == [None]
    # The size came from the one HEAD made while resolving redirects (beside the first read).
    assert len(payload_server.requests_for("/data.bin", "HEAD")) == 1


def test_offset_without_size_reads_to_the_end(
    payload_server: ServedDirectory, router: SourceRouter
) -> None:
    url = payload_server.url_for("data.bin")
    assert router.read_sync(url, len(PAYLOAD) - 5) == PAYLOAD[-5:]


def test_range_past_the_end_is_an_error(
    payload_server: ServedDirectory, router: SourceRouter
) -> None:
    url = payload_server.url_for("data.bin")
    with pytest.raises(LindiSourceError, match="expected 10 bytes at offset") as info:
        router.read_sync(url, len(PAYLOAD) - 5, 10)
    assert url in str(info.value)
    with pytest.raises(LindiSourceError, match=r"HTTP 416") as info:
        router.read_sync(url, len(PAYLOAD) + 5, 10)
    assert url in str(info.value)


def test_404_names_url_and_status(http_server: ServedDirectory, router: SourceRouter) -> None:
    url = http_server.url_for("missing.bin")
    with pytest.raises(LindiSourceError) as info:
        router.read_sync(url, 0, 10)
    message = str(info.value)
    assert url in message
    assert "404" in message
    assert len(http_server.requests_for("/missing.bin", "GET")) == 1  # 4xx is not retried


def test_403_names_url_and_status(payload_server: ServedDirectory, router: SourceRouter) -> None:
    payload_server.fail("/data.bin", 403)
    with pytest.raises(LindiSourceError, match=r"HTTP 403 Forbidden") as info:
        router.read_sync(payload_server.url_for("data.bin"), 0, 10)
    assert payload_server.url_for("data.bin") in str(info.value)


def test_500_then_success_is_retried(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    router.size_sync(url)  # resolve first, so that the faults below hit the GETs
    payload_server.fail("/data.bin", 500, times=2)
    assert router.read_sync(url, 100, 50) == PAYLOAD[100:150]
    statuses = [r.status for r in payload_server.requests_for("/data.bin", "GET")]
    assert statuses == [500, 500, 206]


def test_persistent_500_is_a_clear_error(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    payload_server.fail("/data.bin", 500)
    with pytest.raises(LindiSourceError, match=r"HTTP 500 Internal Server Error") as info:
        router.read_sync(url, 0, 10)
    assert url in str(info.value)
    assert len(payload_server.requests_for("/data.bin", "GET")) == 1 + FAST_RETRIES["max_retries"]


def test_connection_reset_is_retried(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    router.size_sync(url)
    payload_server.reset("/data.bin", times=2)
    assert router.read_sync(url, 0, 64) == PAYLOAD[:64]
    assert [r.status for r in payload_server.requests_for("/data.bin", "GET")] == [0, 0, 206]


def test_truncated_body_is_an_error(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    router.size_sync(url)
    payload_server.truncate("/data.bin")
    with pytest.raises(LindiSourceError) as info:
        router.read_sync(url, 0, 1000)
    assert url in str(info.value)


def test_truncated_once_recovers_the_rest(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    router.size_sync(url)
    payload_server.truncate("/data.bin", times=1)
    assert router.read_sync(url, 0, 1000) == PAYLOAD[:1000]


def test_redirect_resolved_once(payload_server: ServedDirectory, router: SourceRouter) -> None:
    payload_server.redirect("/api/assets/abc/download/", "/data.bin")
    api_url = payload_server.url_for("/api/assets/abc/download/")
    for i in range(5):
        assert router.read_sync(api_url, i * 100, 100) == PAYLOAD[i * 100 : (i + 1) * 100]
    assert router.read_many_sync([(api_url, 0, 10), (api_url, 5000, 10)]) == [
        PAYLOAD[:10],
        PAYLOAD[5000:5010],
    ]
    # One resolution (HEAD) and the first read, sent without waiting for it, following the
    # redirect itself; every later read goes straight to the final URL.
    hops = payload_server.requests_for("/api/assets/abc/download/")
    assert sorted((r.method, r.status) for r in hops) == [("GET", 302), ("HEAD", 302)]
    direct = payload_server.requests_for("/data.bin", "GET")
    assert len(direct) == 6
    assert all(r.status == 206 for r in direct)
    assert router.size_sync(api_url) == len(PAYLOAD)
    assert len(payload_server.requests_for("/api/assets/abc/download/")) == 2


def test_redirect_resolved_before_first_read_when_size_asked_first(
    payload_server: ServedDirectory, router: SourceRouter
) -> None:
    payload_server.redirect("/api/assets/abc/download/", "/data.bin")
    api_url = payload_server.url_for("/api/assets/abc/download/")
    assert router.size_sync(api_url) == len(PAYLOAD)
    for i in range(3):
        assert router.read_sync(api_url, i * 100, 100) == PAYLOAD[i * 100 : (i + 1) * 100]
    hops = payload_server.requests_for("/api/assets/abc/download/")
    assert [(r.method, r.status) for r in hops] == [("HEAD", 302)]
    assert len(payload_server.requests_for("/data.bin", "GET")) == 3


def test_concurrent_first_reads_share_one_resolution(
    payload_server: ServedDirectory, router: SourceRouter
) -> None:
    payload_server.redirect("/r", "/data.bin")
    payload_server.latency = 0.05
    source = router.source_for("http")
    assert isinstance(source, HTTPSource)

    async def main() -> list[bytes]:
        url = payload_server.url_for("r")
        return list(await asyncio.gather(*(source.get_range(url, i, 1) for i in range(8))))

    assert asyncio.run(main()) == [PAYLOAD[i : i + 1] for i in range(8)]
    # The resolution, and the first read (sent at once); the other seven waited for it.
    assert sorted(r.method for r in payload_server.requests_for("/r")) == ["GET", "HEAD"]
    assert len(payload_server.requests_for("/data.bin", "GET")) == 8


def test_redirect_chain_and_loop(http_server: ServedDirectory) -> None:
    (http_server.root / "final.bin").write_bytes(b"x")
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/final.bin", status=307)
    resolved = resolve_redirects(http_server.url_for("a"))
    assert (resolved.url, resolved.size, resolved.hops) == (http_server.url_for("final.bin"), 1, 2)
    http_server.redirect("/loop", "/loop")
    with pytest.raises(LindiSourceError, match="redirects"):
        resolve_redirects(http_server.url_for("loop"))


def test_head_not_allowed_falls_back_to_get(http_server: ServedDirectory) -> None:
    (http_server.root / "f.bin").write_bytes(b"abcdef")
    http_server.fail("/f.bin", 405, times=1)
    resolved = resolve_redirects(http_server.url_for("f.bin"))
    assert (resolved.url, resolved.size) == (http_server.url_for("f.bin"), 6)
    assert [r.method for r in http_server.requests] == ["HEAD", "GET"]


def test_urls_with_query_and_trailing_slash_keep_their_form(
    http_server: ServedDirectory, router: SourceRouter
) -> None:
    (http_server.root / "dir").mkdir()
    (http_server.root / "dir" / "a b.bin").write_bytes(b"0123456789")
    http_server.redirect("/dl/", "/dir/a b.bin")
    assert router.read_sync(http_server.url + "/dir/a%20b.bin?sig=x&t=1", 2, 3) == b"234"
    get = http_server.requests_for("/dir/a b.bin", "GET")[-1]
    assert get.query == "sig=x&t=1"
    assert router.read_sync(http_server.url + "/dl/", 0, 2) == b"01"
    assert http_server.requests_for("/dl/")[0].status == 302


def test_32_chunks_concurrent_and_coalesced(payload_server: ServedDirectory) -> None:
    """32 chunk reads arriving in shuffled order: adjacent ranges coalesced into one request
    per group, and the two requests in flight at the same time."""
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    router.size_sync(url)
    payload_server.requests.clear()
    payload_server.reset_max_in_flight()
    payload_server.hold_until_in_flight(2)
    chunk = 4096
    # Two groups of 16 adjacent chunks, far apart, plus the reads arrive in shuffled order.
    offsets = [i * chunk for i in range(16)] + [150000 + i * chunk for i in range(16)]
    offsets = offsets[::2] + offsets[1::2]

    async def main() -> list[bytes]:
        return list(await asyncio.gather(*(router.read(url, o, chunk) for o in offsets)))

    results = asyncio.run(main())
    assert results == [PAYLOAD[o : o + chunk] for o in offsets]
    gets = payload_server.requests_for("/data.bin", "GET")
    assert sorted(r.range or "" for r in gets) == [
        f"bytes=0-{16 * chunk - 1}",
        f"bytes=150000-{150000 + 16 * chunk - 1}",
    ]
    assert payload_server.max_in_flight == 2


def test_scattered_chunks_run_concurrently(payload_server: ServedDirectory) -> None:
    router = SourceRouter(retry_config=FAST_RETRIES)
    url = payload_server.url_for("data.bin")
    router.size_sync(url)
    source = router.source_for("http")
    assert isinstance(source, HTTPSource)
    source.max_gap = 0
    payload_server.requests.clear()
    payload_server.reset_max_in_flight()
    payload_server.hold_until_in_flight(source.concurrency)
    # 32 ranges too far apart to coalesce: one request each, as many at once as allowed.
    requests: list[tuple[str, int | None, int | None]] = [(url, i * 8000, 100) for i in range(32)]
    results = router.read_many_sync(requests)
    assert results == [PAYLOAD[i * 8000 : i * 8000 + 100] for i in range(32)]
    assert len(payload_server.requests_for("/data.bin", "GET")) == 32
    assert payload_server.max_in_flight == source.concurrency


def test_not_an_http_url() -> None:
    with pytest.raises(LindiSourceError, match="not an http"):
        asyncio.run(HTTPSource().get_range("ftp://x/y", 0, 1))


def test_resolution_sends_default_headers_to_the_same_origin_only(
    http_server: ServedDirectory,
) -> None:
    seen: list[str | None] = []
    import http.server
    import threading

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    other = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    try:
        target = f"http://127.0.0.1:{other.server_address[1]}/blob"
        http_server.redirect("/api/x", target)
        resolved = resolve_redirects(
            http_server.url_for("api/x"), headers={"Authorization": "token secret"}
        )
    finally:
        other.shutdown()
        other.server_close()
    assert (resolved.url, resolved.size) == (target, 3)
    assert seen == [None]
