"""Byte sources against a hostile or broken HTTP server (issue 9, items 8, 9 and 12): every
fetch bounded in size and time, transient body failures retried a bounded number of times,
everything else a ``LindiSourceError`` naming the URL (a whole object over
``max_object_bytes``: a ``LindiLimitError``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import hdmf_lindi
from hdmf_lindi.errors import LindiLimitError, LindiSourceError
from hdmf_lindi.storage.sources import HTTPSource, SourceRouter
from hdmf_lindi.storage.sources.http import resolve_redirects
from tests.adversarial.fault_server import FaultServer, fault_server

PAYLOAD = bytes((i * 7 + i // 256) % 256 for i in range(64 * 1024))
PATH = "/data.bin"
MAX_RETRIES = 3

RETRIES: dict[str, Any] = {
    "max_retries": MAX_RETRIES,
    "backoff": {
        "init_backoff": timedelta(milliseconds=10),
        "max_backoff": timedelta(milliseconds=50),
        "base": 2,
    },
    "retry_timeout": timedelta(seconds=20),
}
# A stalled body is given up after one second (instead of obstore's 30 s).
SHORT_TIMEOUT = {"timeout": "1s", "connect_timeout": "1s"}


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server(max_stall=30) as served:
        served.serve(PATH, PAYLOAD)
        yield served


def _router(**options: Any) -> SourceRouter:
    return SourceRouter(retry_config=RETRIES, client_options=SHORT_TIMEOUT, **options)


def _read(router: SourceRouter, url: str, offset: int, size: int, how: str) -> bytes:
    if how == "blocking":
        return router.read_blocking(url, offset, size)
    return router.read_sync(url, offset, size)


def _gets(server: FaultServer) -> list[str]:
    return [r.fault for r in server.requests_for(PATH, "GET")]


READS = pytest.mark.parametrize("how", ["async", "blocking"])


# -- item 8: sizes --------------------------------------------------------------------------


def test_lying_content_length_on_a_remote_document_fails_cleanly(server: FaultServer) -> None:
    """``Content-Length: 10**12`` on a ``.lindi.json`` used to abort the process inside
    obstore; run in a child process so that a regression fails this test instead of killing
    the run."""
    document = b'{"refs": {".zgroup": {"zarr_format": 2}}}'
    server.serve("/f.lindi.json", document)
    server.inject("/f.lindi.json", "lying_length", 10**12)
    script = (
        "import sys\n"
        "from hdmf_lindi.errors import LindiLimitError\n"
        "from hdmf_lindi.storage.store import LindiStore\n"
        "try:\n"
        "    LindiStore.open(sys.argv[1])\n"
        "except LindiLimitError as exc:\n"
        "    print('LindiLimitError', exc)\n"
    )
    url = server.url_for("/f.lindi.json")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(hdmf_lindi.__file__).resolve().parents[1])
    result = subprocess.run(
        [sys.executable, "-c", script, url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("LindiLimitError")
    assert url in result.stdout
    assert "1000000000000 bytes" in result.stdout


def test_whole_object_limit_is_configurable(server: FaultServer) -> None:
    url = server.url_for(PATH)
    with pytest.raises(LindiLimitError, match="max_object_bytes") as info:
        _router(max_object_bytes=len(PAYLOAD) - 1).read_sync(url)
    assert url in str(info.value)
    assert _router(max_object_bytes=len(PAYLOAD)).read_sync(url) == PAYLOAD


@READS
def test_lying_content_length_on_a_range_read(server: FaultServer, how: str) -> None:
    """A body that ends (the connection closes) before its ``Content-Length``: to a client
    the same as a connection cut mid-body, a body error, retried like a reset."""
    server.inject(PATH, "lying_length", 10**12, methods=("GET",))
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError) as info:
        _read(_router(), url, 0, 100, how)
    assert url in str(info.value)
    assert _gets(server) == ["lying_length"] * (MAX_RETRIES + 1)


@READS
def test_range_ignored_with_a_lying_content_length_is_not_retried(
    server: FaultServer, how: str
) -> None:
    """A 200 with the whole body to a range request (and a lying length): a complete wrong
    answer, not a body error; refused at once."""
    server.inject(PATH, "ignore_range", 10**12, methods=("GET",))
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError) as info:
        _read(_router(), url, 0, 100, how)
    assert url in str(info.value)
    assert _gets(server) == ["ignore_range"]


@READS
def test_range_past_the_end_is_not_retried(server: FaultServer, how: str) -> None:
    """A complete answer shorter than the range asked for (the object ends first)."""
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError, match="ends before the range") as info:
        _read(_router(), url, len(PAYLOAD) - 10, 100, how)
    assert url in str(info.value)
    assert len(_gets(server)) == 1


@READS
def test_lying_content_range(server: FaultServer, how: str) -> None:
    server.inject(PATH, "lying_range", f"bytes 5-104/{len(PAYLOAD)}", methods=("GET",))
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError) as info:
        _read(_router(), url, 0, 100, how)
    assert url in str(info.value)
    assert len(_gets(server)) <= MAX_RETRIES + 1


# -- item 12: retries -----------------------------------------------------------------------


@READS
def test_reset_mid_body_is_retried(server: FaultServer, how: str) -> None:
    server.inject(PATH, "reset", 10, times=1, methods=("GET",))
    url = server.url_for(PATH)
    assert _read(_router(), url, 1000, 5000, how) == PAYLOAD[1000:6000]
    assert _gets(server) == ["reset", ""]


@READS
def test_stalled_body_is_retried(server: FaultServer, how: str) -> None:
    server.inject(PATH, "stall", 10, times=1, methods=("GET",))
    url = server.url_for(PATH)
    started = time.monotonic()
    assert _read(_router(), url, 0, 5000, how) == PAYLOAD[:5000]
    assert time.monotonic() - started < 10
    assert _gets(server) == ["stall", ""]


@READS
def test_reset_every_time_fails_after_bounded_retries(server: FaultServer, how: str) -> None:
    server.inject(PATH, "reset", 10, methods=("GET",))
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError) as info:
        _read(_router(), url, 0, 5000, how)
    assert url in str(info.value)
    assert _gets(server) == ["reset"] * (MAX_RETRIES + 1)


@READS
def test_trickling_body_fails_within_the_retry_timeout(server: FaultServer, how: str) -> None:
    """One byte every 0.2 s (1000 s for the range) with a 1 s request timeout: attempts stop
    once the retry timeout (2 s) has passed."""
    server.inject(PATH, "trickle", 0.2, methods=("GET",))
    url = server.url_for(PATH)
    retries = {**RETRIES, "max_retries": 50, "retry_timeout": timedelta(seconds=2)}
    router = SourceRouter(retry_config=retries, client_options=SHORT_TIMEOUT)
    started = time.monotonic()
    with pytest.raises(LindiSourceError) as info:
        _read(router, url, 0, 5000, how)
    assert time.monotonic() - started < 8
    assert url in str(info.value)
    assert 2 <= len(_gets(server)) <= 4


@READS
def test_5xx_burst_is_retried(server: FaultServer, how: str) -> None:
    server.inject(PATH, "status", 503, times=2, methods=("GET",))
    assert _read(_router(), server.url_for(PATH), 0, 100, how) == PAYLOAD[:100]
    assert _gets(server) == ["status", "status", ""]


@READS
def test_persistent_5xx_fails_naming_url_and_status(server: FaultServer, how: str) -> None:
    server.inject(PATH, "status", 500, methods=("GET",))
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError, match="HTTP 500") as info:
        _read(_router(), url, 0, 100, how)
    assert url in str(info.value)
    assert len(_gets(server)) == MAX_RETRIES + 1  # obstore's retries only, none added


# -- item 9: deadlines ----------------------------------------------------------------------


def test_redirect_check_has_an_overall_deadline(server: FaultServer) -> None:
    """Headers trickling one byte every 0.3 s never trip a per-read socket timeout."""
    server.inject(PATH, "slow_headers", 0.3)
    url = server.url_for(PATH)
    started = time.monotonic()
    resolved = resolve_redirects(url, timeout=1.0)
    assert time.monotonic() - started < 3
    assert resolved.url == url and resolved.size is None


def test_resolve_has_an_overall_deadline(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``HTTPSource.resolve`` waits ``redirect_timeout`` at most, even when its redirect check
    cannot start (here: the one resolver thread is held by another URL's trickling check),
    and then answers with the URL itself, as a check out of time does."""
    from hdmf_lindi.storage.sources import http as http_module
    from hdmf_lindi.storage.sources._daemon_pool import DaemonPool

    monkeypatch.setattr(http_module, "_RESOLVER_POOL", DaemonPool(1, "test-resolve"))
    server.inject(PATH, "slow_headers", 1.0, user_agent="redirect check")
    server.serve("/other.bin", PAYLOAD)
    slow = HTTPSource(retry_config=RETRIES, client_options=SHORT_TIMEOUT, redirect_timeout=8)
    quick = HTTPSource(retry_config=RETRIES, client_options=SHORT_TIMEOUT, redirect_timeout=1)
    other = server.url_for("/other.bin")

    async def resolve_both() -> tuple[Any, Any]:
        held = asyncio.ensure_future(slow.resolve(server.url_for(PATH)))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        quick_result = await quick.resolve(other)
        assert time.monotonic() - started < 3
        held.cancel()
        return quick_result, held

    resolved, _ = asyncio.run(resolve_both())
    assert resolved.url == other and resolved.size is None and resolved.hops == 0


def test_reads_do_not_wait_long_for_a_trickling_redirect_check(server: FaultServer) -> None:
    server.inject(PATH, "slow_headers", 1.0, user_agent="redirect check")
    url = server.url_for(PATH)
    source = HTTPSource(retry_config=RETRIES, client_options=SHORT_TIMEOUT)

    async def read_twice() -> list[bytes]:
        return [await source.get_range(url, i * 100, 100) for i in range(2)]

    started = time.monotonic()
    assert asyncio.run(read_twice()) == [PAYLOAD[:100], PAYLOAD[100:200]]
    assert time.monotonic() - started < 5  # the second read waited 2 s at most
    started = time.monotonic()
    assert source.get_ranges_blocking(url, [(0, 10), (500, 10)]) == [
        PAYLOAD[:10],
        PAYLOAD[500:510],
    ]
    assert time.monotonic() - started < 1  # blocking reads never wait for it
    assert [r for r in server.requests_for(PATH, "HEAD") if r.fault == "slow_headers"]


@READS
def test_persistently_slow_headers_are_retried_by_obstore_only(
    server: FaultServer, how: str
) -> None:
    """obstore retries a timeout waiting for headers; its final error ("after 3 retries ...
    kind: Timeout") is not retried again (which made (retries + 1) ** 2 attempts)."""
    server.inject(PATH, "slow_headers", 0.3, methods=("GET",))
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError) as info:
        _read(_router(), url, 0, 100, how)
    assert url in str(info.value)
    assert _gets(server) == ["slow_headers"] * (MAX_RETRIES + 1)


def test_slow_response_headers_are_retried(server: FaultServer) -> None:
    server.inject(PATH, "slow_headers", 0.5, times=1, methods=("GET",))
    router = _router()
    started = time.monotonic()
    assert router.read_sync(server.url_for(PATH), 0, 100) == PAYLOAD[:100]
    assert time.monotonic() - started < 10
    assert _gets(server) == ["slow_headers", ""]


# -- redirects out of HTTP ------------------------------------------------------------------


def test_redirect_to_a_local_file_is_not_followed(server: FaultServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"do not read me")
    server.inject(PATH, "redirect", secret.as_uri())
    url = server.url_for(PATH)
    resolved = resolve_redirects(url)
    assert resolved.url == url
    router = _router()
    for read in (lambda: router.read_sync(url), lambda: router.read_sync(url, 0, 5)):
        with pytest.raises(LindiSourceError) as info:
            read()
        assert url in str(info.value)
        assert "do not read me" not in str(info.value)
    with pytest.raises(LindiSourceError):
        router.read_blocking(url, 0, 5)


# -- the size of a URL whose redirect check trickles ---------------------------------------


def test_size_does_not_wait_long_for_a_trickling_redirect_check(server: FaultServer) -> None:
    """The redirect check may run for ``redirect_timeout`` (here 20 s); ``size`` waits for
    it 2 s at most, then asks the URL itself."""
    server.inject(PATH, "slow_headers", 1.0, user_agent="redirect check")
    url = server.url_for(PATH)
    source = HTTPSource(retry_config=RETRIES, client_options=SHORT_TIMEOUT, redirect_timeout=20)
    started = time.monotonic()
    assert asyncio.run(source.size(url)) == len(PAYLOAD)
    assert time.monotonic() - started < 10
    assert [r.fault for r in server.requests_for(PATH, "HEAD")] == ["slow_headers", ""]


def test_size_sync_has_an_overall_timeout(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hdmf_lindi.storage.sources import router as router_module

    monkeypatch.setattr(router_module, "SIZE_SYNC_TIMEOUT", 0.5)
    server.inject(PATH, "slow_headers", 1.0)
    url = server.url_for(PATH)
    with pytest.raises(LindiSourceError, match=r"size not known after 0\.5 s") as info:
        _router().size_sync(url)
    assert url in str(info.value)


# -- credentials and redirects to another origin -------------------------------------------

SECRET_HEADERS = {
    "Authorization": "Bearer s3cret",
    "Cookie": "session=s3cret",
    "Proxy-Authorization": "Basic s3cret",
}


def test_default_headers_never_reach_another_origin(server: FaultServer) -> None:
    """``client_options["default_headers"]`` (a token for the first host) go to the URL's own
    origin only: neither obstore following the redirect (the first read), nor the reads sent
    to the resolved URL, nor the redirect check send them to the redirect target."""
    with fault_server() as other:  # another port of 127.0.0.1: another origin
        other.serve(PATH, PAYLOAD)
        server.inject("/api/download", "redirect", other.url_for(PATH))
        url = server.url_for("/api/download")
        source = HTTPSource(
            retry_config=RETRIES,
            client_options={**SHORT_TIMEOUT, "default_headers": SECRET_HEADERS},
        )

        async def reads() -> list[Any]:
            first = await source.get_range(url, 0, 100)  # sent at once, redirected by obstore
            await source.resolve(url)
            return [
                first,
                await source.get_ranges(url, [(100, 100), (5000, 10)]),
                await source.get(url),
                await source.size(url),
            ]

        assert asyncio.run(reads()) == [
            PAYLOAD[:100],
            [PAYLOAD[100:200], PAYLOAD[5000:5010]],
            PAYLOAD,
            len(PAYLOAD),
        ]
        assert source.get_ranges_blocking(url, [(0, 10)]) == [PAYLOAD[:10]]
        assert source.size_blocking(url) == len(PAYLOAD)

        seen = other.requests_for(PATH)
        assert len(seen) >= 5  # the reads after the redirect check went there directly
        for request in seen:
            assert not {name.lower() for name in SECRET_HEADERS} & set(request.headers)
        asked = server.requests_for("/api/download")
        assert asked and all(r.headers.get("authorization") == "Bearer s3cret" for r in asked)


def test_dandi_token_and_default_headers_stay_on_the_api_host(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DANDI source sends its token to the API host only, and the client's headers never
    reach the signed URL (another origin) it reads from."""
    from hdmf_lindi.storage.sources import dandi
    from hdmf_lindi.storage.sources.dandi import DandiSource, register_dandi_instance

    monkeypatch.setattr(dandi, "_INSTANCES", list(dandi._INSTANCES))
    register_dandi_instance(server.url + "/api", "HDMF_LINDI_TEST_DANDI_KEY")
    monkeypatch.setenv("HDMF_LINDI_TEST_DANDI_KEY", "k3y")
    with fault_server() as bucket:
        bucket.serve(PATH, PAYLOAD)
        server.inject(
            "/api/assets/a/download/", "redirect", bucket.url_for(PATH) + "?X-Amz-Expires=600"
        )
        url = server.url_for("/api/assets/a/download/")
        source = DandiSource(
            retry_config=RETRIES,
            client_options={**SHORT_TIMEOUT, "default_headers": SECRET_HEADERS},
        )
        assert asyncio.run(source.get_range(url, 0, 100)) == PAYLOAD[:100]
        assert source.get_ranges_blocking(url, [(10, 10)]) == [PAYLOAD[10:20]]
        assert source.size_blocking(url) == len(PAYLOAD)
        assert asyncio.run(source.size(url)) == len(PAYLOAD)
        assert source.resolutions == 1
        asked = server.requests_for("/api/assets/a/download/")
        assert [r.headers.get("authorization") for r in asked] == ["token k3y"]
        seen = bucket.requests_for(PATH)
        assert [r.method for r in seen] == ["HEAD", "GET", "GET", "HEAD", "HEAD"]  # check first
        for request in seen:
            assert not {name.lower() for name in SECRET_HEADERS} & set(request.headers)
