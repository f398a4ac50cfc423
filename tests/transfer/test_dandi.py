"""DANDI: signed-URL handling, tokens, asset URLs and uploads, against a test DANDI API
(tests/helpers/dandi_server.py) whose bytes live in moto."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hdmf_lindi.cli.main import main as cli_main
from hdmf_lindi.dandi import DandiAPIError, asset_url, register_dandi_instance, upload_to_dandi
from hdmf_lindi.errors import LindiSourceError, LindiUnsupportedError
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources.dandi import DandiSource, token_headers
from hdmf_lindi.transfer.dandi_api import dandi_etag, dandi_part_sizes
from tests.helpers.dandi_server import DandiServer, serve_dandi
from tests.helpers.recording_s3 import RecordingS3, recording_s3
from tests.transfer.conftest import SERIES, check_sample, write_sample

TOKEN_VARIABLE = "HDMF_LINDI_TEST_DANDI_API_KEY"
PAYLOAD = bytes(range(256)) * 4096


@pytest.fixture
def dandi(moto_server: str) -> Iterator[tuple[DandiServer, RecordingS3]]:
    with recording_s3() as front, serve_dandi(moto_server, front.endpoint_url) as server:
        register_dandi_instance(server.api_url, TOKEN_VARIABLE)
        yield server, front


def _downloads(server: DandiServer) -> int:
    return len([r for r in server.requests if r.path.endswith("/download/")])


def test_signed_url_resolved_once_and_reused(dandi: tuple[DandiServer, RecordingS3]) -> None:
    server, front = dandi
    url = f"{server.api_url}/assets/{server.add_asset('000001', 'data.bin', PAYLOAD)}/download/"
    router = SourceRouter()
    assert router.read_sync(url, 10, 20) == PAYLOAD[10:30]
    assert router.read_sync(url, 5000, 7) == PAYLOAD[5000:5007]
    assert router.size_sync(url) == len(PAYLOAD)
    assert router.read_many_sync([(url, 0, 4), (url, 100_000, 4)]) == [
        PAYLOAD[:4],
        PAYLOAD[100_000:100_004],
    ]
    assert _downloads(server) == 1  # one resolution for every read
    assert front.requests_matching("GET", "/blobs/")  # bytes came from S3 directly


def test_expired_signed_url_is_resolved_again(dandi: tuple[DandiServer, RecordingS3]) -> None:
    server, front = dandi
    url = f"{server.api_url}/assets/{server.add_asset('000001', 'data.bin', PAYLOAD)}/download/"
    server.url_lifetime = 60
    # a clock two hours behind: the source believes the URL is still valid, S3 says 403
    source = DandiSource(clock=lambda: time.time() - 7200)
    assert asyncio.run(source.get_range(url, 0, 8)) == PAYLOAD[:8]
    front.clock_offset = 600  # the first URL has expired at the front; a new one lives an hour
    server.url_lifetime = 3600
    assert asyncio.run(source.get_range(url, 8, 8)) == PAYLOAD[8:16]
    assert source.resolutions == 2
    assert [r for r in front.requests if r.method == "GET"]  # the 403 happened at the front
    # a clock that moves past the expiry re-resolves before any 403
    front.clock_offset = 0
    now = [time.time()]
    ticking = DandiSource(clock=lambda: now[0])
    asyncio.run(ticking.get_range(url, 0, 1))
    asyncio.run(ticking.get_range(url, 1, 1))
    assert ticking.resolutions == 1
    now[0] += 3600
    asyncio.run(ticking.get_range(url, 2, 1))
    assert ticking.resolutions == 2


def test_token_goes_to_the_api_host_only(
    dandi: tuple[DandiServer, RecordingS3], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, front = dandi
    server.embargoed.add("000002")
    url = f"{server.api_url}/assets/{server.add_asset('000002', 'e.bin', PAYLOAD)}/download/"
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    with pytest.raises(LindiSourceError, match="API key"):
        SourceRouter().read_sync(url, 0, 4)
    monkeypatch.setenv(TOKEN_VARIABLE, server.token)
    assert SourceRouter().read_sync(url, 0, 4) == PAYLOAD[:4]
    assert any(r.authorization == f"token {server.token}" for r in server.requests)
    assert not any("token" in header for header in front.authorization_headers)
    assert token_headers("http://elsewhere.example/api/assets/x/download/") == {}


def test_errors_never_show_the_signed_url(dandi: tuple[DandiServer, RecordingS3]) -> None:
    """An S3 error after the redirect names the API URL; the presigned URL's signature (a
    credential, which convert-many would write to its manifest) is redacted."""
    server, _front = dandi
    asset_id = server.add_asset("000001", "gone.bin", PAYLOAD)
    url = f"{server.api_url}/assets/{asset_id}/download/"
    key = server.blobs[server.assets[asset_id]["blob"]]["key"]
    server.direct.delete_object(Bucket=server.bucket, Key=key)
    source = DandiSource()
    failures: list[BaseException] = []
    for read in (
        lambda: asyncio.run(source.get_range(url, 0, 4)),
        lambda: source.get_ranges_blocking(url, [(0, 4)]),
        lambda: asyncio.run(source.get(url)),
        lambda: SourceRouter().read_sync(url, 0, 4),
    ):
        with pytest.raises(LindiSourceError) as caught:
            read()
        failures.append(caught.value)
    for failure in failures:
        text = str(failure)
        assert url in text and "404" in text
        assert "Signature" not in text and "Credential" not in text and "X-Amz" not in text
        cause: BaseException | None = failure
        while cause is not None:  # nor in the chain a traceback would print
            assert "Signature" not in str(cause)
            suppressed = cause.__suppress_context__
            cause = cause.__cause__ or (None if suppressed else cause.__context__)
    assert source.resolutions == 1


def test_redaction_of_signed_urls_in_text() -> None:
    from hdmf_lindi.storage.sources._redact import redacted_text, redacted_url

    signed = "https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=abc123"
    text = redacted_text(f"error sending request for url ({signed}): 404; X-Amz-Signature=abc123")
    assert "abc123" not in text and "AK%2F1" not in text
    assert "https://b.s3.amazonaws.com/k?<redacted>" in text
    assert redacted_url("https://u:p@h.example/a/b?sig=1#f") == "https://h.example/a/b"


def test_unknown_instance_never_gets_the_main_archive_token(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An api_url that is not registered needs its own token variable; DANDI_API_KEY is
    never sent there, and constructing a client registers nothing."""
    from hdmf_lindi.storage.sources.dandi import dandi_instance_for
    from hdmf_lindi.transfer.dandi_api import DandiAPI

    monkeypatch.setenv("DANDI_API_KEY", "main-archive-secret")
    with recording_s3() as front, serve_dandi(moto_server, front.endpoint_url) as server:
        exact = server.add_asset("000003", "x.nwb", b"nwb")
        with pytest.raises(LindiUnsupportedError, match="token_variable"):
            asset_url("000003", "x.nwb", api_url=server.api_url)
        with pytest.raises(LindiUnsupportedError, match="token_variable"):
            upload_to_dandi(
                "missing.lindi.json", "dandi://000003/x.lindi.json", api_url=server.api_url
            )
        assert not server.requests
        monkeypatch.setenv("OTHER_DANDI_KEY", server.token)
        got = asset_url("000003", "x.nwb", api_url=server.api_url, token_variable="OTHER_DANDI_KEY")
        assert got == f"{server.api_url}/assets/{exact}/download/"
        assert (
            DandiAPI(server.api_url, token_variable="OTHER_DANDI_KEY").instance.token()
            == server.token
        )
        assert [r.authorization for r in server.requests] == [f"token {server.token}"]
        assert dandi_instance_for(server.api_url + "/") is None  # nothing registered
        assert token_headers(got) == {}


def test_asset_url_exact_path(dandi: tuple[DandiServer, RecordingS3]) -> None:
    server, _front = dandi
    exact = server.add_asset("000003", "sub-1/x.nwb", b"nwb")
    server.add_asset("000003", "sub-1/x.nwb.lindi.json", b"{}")
    got = asset_url("000003", "sub-1/x.nwb", api_url=server.api_url)
    assert got == f"{server.api_url}/assets/{exact}/download/"
    with pytest.raises(DandiAPIError, match="no asset"):
        asset_url("000003", "sub-1/missing.nwb", api_url=server.api_url)


def test_dandi_etag_matches_s3_multipart_etag() -> None:
    import hashlib

    data = b"x" * 1000
    assert dandi_part_sizes(1000) == [1000]
    assert dandi_etag(iter([data[:10], data[10:]]), 1000) == (
        hashlib.md5(hashlib.md5(data).digest()).hexdigest() + "-1"
    )
    assert dandi_part_sizes(64 * 1024 * 1024 * 2 + 1)[-1] == 1


def test_upload_round_trip_and_rerun(
    tmp_path: Path, dandi: tuple[DandiServer, RecordingS3], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, front = dandi
    monkeypatch.setenv(TOKEN_VARIABLE, server.token)
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging")
    dest = "dandi://000004/sub-1/x.nwb.lindi.json"
    result = upload_to_dandi(source, dest, api_url=server.api_url, progress=False)
    assert (result.blobs, result.blobs_sent) == (SERIES, SERIES)
    blob_assets = [a for a in server.assets.values() if a["path"].startswith("sha1/")]
    assert len(blob_assets) == SERIES
    main = server.asset_at("000004", "sub-1/x.nwb.lindi.json")
    assert main is not None
    document = json.loads(server.blob_bytes(main["blob"]))
    urls = set(document.get("templates", {}).values())
    assert urls and all(u.startswith(f"{server.api_url}/assets/") for u in urls)
    check_sample(result.url)
    assert not any("token" in header for header in front.authorization_headers)
    # a rerun sends no bytes: blob assets are listed, the document's blob is known (409)
    front.requests.clear()
    again = upload_to_dandi(source, dest, api_url=server.api_url, progress=False)
    assert again.blobs_sent == 0 and again.url == result.url
    assert front.requests_matching("PUT") == []
    assert server.requests_to("POST", "/uploads/initialize/")[-1].status == 409


def test_upload_refusals(
    tmp_path: Path, dandi: tuple[DandiServer, RecordingS3], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _front = dandi
    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=1)
    with pytest.raises(LindiUnsupportedError, match="directory is not an asset"):
        upload_to_dandi(source, "dandi://000005/x.nwb.lindi.d", api_url=server.api_url)
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    with pytest.raises(DandiAPIError, match=TOKEN_VARIABLE):
        upload_to_dandi(source, "dandi://000005/x.nwb.lindi.json", api_url=server.api_url)
    with pytest.raises(LindiSourceError, match="dandi://<dandiset id>"):
        upload_to_dandi(source, "dandi://000005", api_url=server.api_url)


def test_failed_upload_starts_nothing_more(
    tmp_path: Path, dandi: tuple[DandiServer, RecordingS3], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first failure no other blob is started (the pool used to run them all, and
    made the caller, and the interpreter's exit, wait for them)."""
    server, _front = dandi
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging")
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)  # every initialize is refused (401)
    with pytest.raises(DandiAPIError, match=TOKEN_VARIABLE):
        upload_to_dandi(
            source, "dandi://000004/x.nwb.lindi.json", api_url=server.api_url, concurrency=1
        )
    assert len(server.requests_to("POST", "/uploads/initialize/")) == 1


def test_tar_as_one_asset_and_cli(
    tmp_path: Path,
    dandi: tuple[DandiServer, RecordingS3],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, _front = dandi
    monkeypatch.setenv(TOKEN_VARIABLE, server.token)
    source = tmp_path / "x.nwb.lindi.tar"
    write_sample(source, series=2)
    dest = "dandi://000006/x.nwb.lindi.tar"
    argv = ["upload", str(source), dest, "--dandi-api", server.api_url, "-q"]
    assert cli_main(argv) == 0
    assert "blobs sent" in capsys.readouterr().out
    asset = server.asset_at("000006", "x.nwb.lindi.tar")
    assert asset is not None
    assert server.blob_bytes(asset["blob"]) == source.read_bytes()
    # (reading it back through its suffix-less download URL needs the opener to sniff a
    # remote .lindi.tar; it takes a URL without a LINDI suffix for a .lindi.json)


def test_convert_many_lists_a_dandiset(dandi: tuple[DandiServer, RecordingS3]) -> None:
    import argparse

    from hdmf_lindi.cli.convert_many import _sources

    server, _front = dandi
    first = server.add_asset("000007", "sub-1/a.nwb", b"x")
    server.add_asset("000007", "sub-1/a.nwb.lindi.json", b"{}")
    second = server.add_asset("000007", "sub-2/b.nwb", b"y")
    args = argparse.Namespace(
        sources=[], dandiset="000007@draft", dandi_api=server.api_url, dandi_token_variable=None
    )
    assert sorted(_sources(args)) == sorted(
        f"{server.api_url}/assets/{a}/download/" for a in (first, second)
    )
