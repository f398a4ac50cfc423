"""Upload of LINDI files to S3 (moto on 127.0.0.1), resumability, hooks and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from hdmf_lindi import LindiH5pyFile
from hdmf_lindi.cli.main import main as cli_main
from hdmf_lindi.errors import LindiSourceError, LindiUnsupportedError
from hdmf_lindi.storage.sources._background_loop import run_sync
from hdmf_lindi.transfer import Destination, open_lindi_source, upload, upload_with_hooks
from tests.helpers.http_server import ServedDirectory
from tests.helpers.recording_s3 import recording_s3
from tests.helpers.s3_server import S3Bucket
from tests.transfer.conftest import (
    SERIES,
    check_sample,
    expected_series,
    s3_environment,
    write_sample,
)

ROOT = Path(__file__).resolve().parents[2]


def _options(bucket: S3Bucket, endpoint: str | None = None) -> dict[str, Any]:
    options = dict(bucket.store_options)
    if endpoint is not None:
        options["endpoint"] = endpoint
    return options


def _keys(bucket: S3Bucket) -> set[str]:
    listing = bucket._client.list_objects_v2(Bucket=bucket.bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def _make_public(bucket: S3Bucket) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket.bucket}/*",
            }
        ],
    }
    bucket._client.put_bucket_policy(Bucket=bucket.bucket, Policy=json.dumps(policy))


def _no_local_paths(document: dict[str, Any]) -> None:
    for value in document["refs"].values():
        if isinstance(value, list):
            url = value[0]
            assert not url.startswith("/") and "staging" not in url, url
    for url in document.get("templates", {}).values():
        assert not url.startswith("/"), url


def test_round_trip_staging_area_to_s3_read_by_s3_and_http_url(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging")
    assert len(open_lindi_source(source).blobs) == SERIES
    result = upload(
        source, s3_bucket.url("dandiset/x.nwb.lindi.json"), s3_options=_options(s3_bucket)
    )
    assert (result.blobs, result.blobs_sent) == (SERIES, SERIES)
    keys = _keys(s3_bucket)
    assert "dandiset/x.nwb.lindi.json" in keys
    assert len([k for k in keys if k.startswith("dandiset/blobs/sha1/")]) == SERIES
    document = json.loads(s3_bucket.get_object("dandiset/x.nwb.lindi.json"))
    _no_local_paths(document)
    with mock.patch.dict(os.environ, s3_environment(s3_bucket), clear=True):
        check_sample(s3_bucket.url("dandiset/x.nwb.lindi.json"))
    # the same object through plain HTTP (path-style URL of the moto server), anonymously
    _make_public(s3_bucket)
    check_sample(f"{s3_bucket.endpoint_url}/{s3_bucket.bucket}/dandiset/x.nwb.lindi.json")


@pytest.mark.parametrize("kind", [".lindi.d", ".lindi.tar"])
@pytest.mark.parametrize("dest_suffix", [".lindi.json", ".lindi.d"])
def test_directory_and_tar_sources(
    tmp_path: Path, s3_bucket: S3Bucket, kind: str, dest_suffix: str
) -> None:
    source = tmp_path / f"x.nwb{kind}"
    write_sample(source, series=2)
    dest = s3_bucket.url(f"up/x.nwb{dest_suffix}")
    result = upload(source, dest, s3_options=_options(s3_bucket))
    assert result.blobs >= 2 and result.url == dest
    with mock.patch.dict(os.environ, s3_environment(s3_bucket), clear=True):
        check_sample(dest, series=2)


def test_rerun_sends_only_what_is_missing(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging")
    dest = s3_bucket.url("r/x.nwb.lindi.json")
    with recording_s3() as front:
        options = _options(s3_bucket, front.endpoint_url)
        first = upload(source, dest, s3_options=options)
        assert first.blobs_sent == SERIES
        assert len(front.requests_matching("PUT", "/blobs/sha1/")) == SERIES
        blob = sorted(k for k in _keys(s3_bucket) if "/blobs/sha1/" in k)[0]
        s3_bucket._client.delete_object(Bucket=s3_bucket.bucket, Key=blob)
        front.requests.clear()
        second = upload(source, dest, s3_options=options)
        assert (second.blobs_sent, second.bytes_sent > 0) == (1, True)
        assert [r.path for r in front.requests_matching("PUT", "/blobs/sha1/")] == [
            f"/{s3_bucket.bucket}/{blob}"
        ]
        assert len(front.requests_matching("PUT", "/r/x.nwb.lindi.json")) == 1
        assert len(front.requests_matching("GET")) == 1  # one LIST, no HEAD per blob
        front.requests.clear()
        third = upload(source, dest, s3_options=options)
        assert third.blobs_sent == 0
        assert front.requests_matching("PUT", "/blobs/") == []
    with mock.patch.dict(os.environ, s3_environment(s3_bucket), clear=True):
        check_sample(dest)


_CHILD = textwrap.dedent(
    """
    import sys
    from hdmf_lindi.transfer import upload
    upload(sys.argv[1], sys.argv[2], concurrency=1, progress=False)
    """
)


def test_sigkill_halfway_then_rerun(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging")
    dest = s3_bucket.url("k/x.nwb.lindi.json")
    with recording_s3() as front:
        front.hold_puts_after(2)
        env = {
            **os.environ,
            **s3_environment(s3_bucket, front.endpoint_url),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        }
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(source), dest], env=env, stderr=subprocess.PIPE
        )
        try:
            assert front.held.wait(60), "the upload never reached its third PUT"
            child.send_signal(signal.SIGKILL)
            child.wait(30)
        finally:
            if child.poll() is None:
                child.kill()
            front.release()
        assert child.returncode == -signal.SIGKILL
        sent_before = {r.path for r in front.requests_matching("PUT", "/blobs/sha1/")}
        keys = _keys(s3_bucket)
        assert "k/x.nwb.lindi.json" not in keys  # never published early
        finished = {k for k in keys if k.startswith("k/blobs/sha1/")}
        assert len(finished) == 2
        front.requests.clear()
        result = upload(source, dest, s3_options=_options(s3_bucket, front.endpoint_url))
        assert result.blobs_sent == SERIES - 2
        again = {r.path for r in front.requests_matching("PUT", "/blobs/sha1/")}
        assert len(again) == SERIES - 2
        assert not again & {f"/{s3_bucket.bucket}/{k}" for k in finished}
        assert len(sent_before) == 3  # two stored, the third held and killed
    with mock.patch.dict(os.environ, s3_environment(s3_bucket), clear=True):
        check_sample(dest)


def test_failed_blob_publishes_no_document(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging")
    staged = open_lindi_source(source).blobs[0].path
    os.remove(staged)
    with pytest.raises(LindiSourceError, match="missing"):
        upload(source, s3_bucket.url("f/x.nwb.lindi.json"), s3_options=_options(s3_bucket))
    assert _keys(s3_bucket) == set()


def test_stream_with_wrong_hash_is_aborted(s3_bucket: S3Bucket) -> None:
    destination = Destination(s3_bucket.url("x"), s3_options=_options(s3_bucket))
    url = s3_bucket.url("s/blob")

    def chunks() -> Any:
        yield b"a" * 1000
        yield b"b" * 1000

    with pytest.raises(LindiSourceError, match="content changed"):
        run_sync(destination.put_stream(url, chunks, sha1="0" * 40))
    assert _keys(s3_bucket) == set()
    import hashlib

    good = hashlib.sha1(b"a" * 1000 + b"b" * 1000).hexdigest()
    run_sync(destination.put_stream(url, chunks, sha1=good))
    assert s3_bucket.get_object("s/blob") == b"a" * 1000 + b"b" * 1000


def test_refused_destinations(tmp_path: Path) -> None:
    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=1)
    with pytest.raises(LindiUnsupportedError, match=r"\.lindi\.tar"):
        upload(source, "s3://bucket/x.lindi.tar")
    with pytest.raises(LindiSourceError, match="cannot upload there"):
        upload(source, "ftp://host/x.lindi.json")
    with pytest.raises(LindiSourceError, match="no such LINDI file"):
        upload(tmp_path / "missing.lindi.json", "s3://bucket/x.lindi.json")


def test_hooks_decide_where_blobs_go(tmp_path: Path) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging", series=2)
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    stored: list[str] = []

    def on_blob(path: str) -> str:
        target = shelf / f"blob{len(stored)}"
        target.write_bytes(Path(path).read_bytes())
        stored.append(path)
        return str(target)

    def on_main(path: str) -> str:
        target = shelf / "main.nwb.lindi.json"
        target.write_bytes(Path(path).read_bytes())
        return str(target)

    url = upload_with_hooks(source, on_upload_blob=on_blob, on_upload_main=on_main)
    assert url == str(shelf / "main.nwb.lindi.json") and len(stored) == 2
    check_sample(url, series=2)
    # the h5py view's hook API (lindi 0.4's upload; 0.3's on_store_* names)
    with LindiH5pyFile.from_lindi_file(str(source)) as client:
        stored.clear()
        url2 = client.upload(on_upload_blob=on_blob, on_upload_main=on_main)
        assert url2 == url and len(stored) == 2
        stored.clear()
        client.upload(on_store_blob=on_blob, on_store_main=on_main)
        assert len(stored) == 2
    check_sample(url, series=2)


def test_cli_upload(
    tmp_path: Path, s3_bucket: S3Bucket, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging", series=2)
    dest = s3_bucket.url("cli/x.nwb.lindi.json")
    with mock.patch.dict(os.environ, s3_environment(s3_bucket), clear=True):
        assert cli_main(["upload", str(source), dest, "-q"]) == 0
        assert "2 of 2 blobs sent" in capsys.readouterr().out
        assert cli_main(["upload", str(source), dest, "-q"]) == 0
        assert "0 of 2 blobs sent" in capsys.readouterr().out
        check_sample(dest, series=2)
        assert cli_main(["upload", str(tmp_path / "nope.lindi.json"), dest, "-q"]) == 1
        assert "nope.lindi.json" in capsys.readouterr().err


def test_http_put_destination_resumes_by_head(
    tmp_path: Path, http_server: ServedDirectory, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=3)
    http_server.accept_puts = True
    dest = http_server.url_for("/pub/x.nwb.lindi.json")
    result = upload(source, dest, headers={"Authorization": "token abc"}, progress=True)
    assert "uploading" in capsys.readouterr().err  # the progress bar
    assert result.blobs_sent == result.blobs >= 3
    puts = [r for r in http_server.requests if r.method == "PUT"]
    assert puts[-1].path == "/pub/x.nwb.lindi.json"  # the document last
    assert len(puts) == result.blobs + 1
    assert http_server.put_headers["/pub/x.nwb.lindi.json"]["authorization"] == "token abc"
    check_sample(dest, series=3)
    http_server.requests.clear()
    again = upload(source, dest, progress=False)
    assert again.blobs_sent == 0
    assert [r.path for r in http_server.requests if r.method == "PUT"] == ["/pub/x.nwb.lindi.json"]
    # one HEAD per blob (a set: check_sample's reads resolve the same URLs with HEADs of their
    # own, in the background, which may land after the clear())
    heads = {r.path for r in http_server.requests if r.method == "HEAD"}
    assert heads == {p.path for p in puts[:-1]}


def test_large_blob_over_http_is_one_streaming_put(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    """obstore's HTTP store has no multipart: a blob over the threshold goes up as one
    streaming PUT (its SHA-1 checked on the way)."""
    import hashlib

    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=2)
    http_server.accept_puts = True
    dest = http_server.url_for("/big/x.nwb.lindi.json")
    result = upload(
        source, dest, multipart_threshold=1, part_size=1000, headers={"Authorization": "t"}
    )
    assert result.blobs_sent == result.blobs >= 2
    puts = [r for r in http_server.requests if r.method == "PUT"]
    assert len(puts) == result.blobs + 1 and all(r.status == 201 for r in puts)
    blob_path = puts[0].path
    assert http_server.put_headers[blob_path]["authorization"] == "t"
    stored = (http_server.root / blob_path.lstrip("/")).read_bytes()
    assert hashlib.sha1(stored).hexdigest() == blob_path.rsplit("/", 1)[1]
    check_sample(dest, series=2)

    # content that is not what was hashed: the PUT stops before its end, nothing is stored
    destination = Destination(http_server.url_for("/x"))
    url = http_server.url_for("/s/blob")

    def chunks() -> Any:
        yield b"a" * 1000
        yield b"b" * 1000

    with pytest.raises(LindiSourceError, match="content changed"):
        run_sync(destination.put_stream(url, chunks, sha1="0" * 40, size=2000))
    assert not (http_server.root / "s" / "blob").exists()
    good = hashlib.sha1(b"a" * 1000 + b"b" * 1000).hexdigest()
    run_sync(destination.put_stream(url, chunks, sha1=good, size=2000))
    assert (http_server.root / "s" / "blob").read_bytes() == b"a" * 1000 + b"b" * 1000


def test_large_blob_goes_multipart(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    payload = os.urandom(11 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(payload)
    document = {
        "version": 1,
        "refs": {
            ".zgroup": {"zarr_format": 2},
            "x/0": [str(tmp_path / "big.bin"), 1000, 5000],
            "y": [str(tmp_path / "big.bin")],
        },
    }
    source = tmp_path / "hand.lindi.json"
    source.write_text(json.dumps(document))
    dest = s3_bucket.url("m/hand.lindi.json")
    with recording_s3() as front:
        options = _options(s3_bucket, front.endpoint_url)
        result = upload(
            source, dest, s3_options=options, multipart_threshold=1, part_size=5 * 1024 * 1024
        )
        assert result.blobs_sent == 1
        parts = [
            r for r in front.requests_matching("PUT", "/blobs/sha1/") if "partNumber" in r.query
        ]
        assert len(parts) == 3
        assert front.requests_matching("POST", "/blobs/sha1/")  # initiate / complete
    import hashlib

    sha1 = hashlib.sha1(payload).hexdigest()
    assert s3_bucket.get_object(f"m/blobs/sha1/{sha1}") == payload
    uploaded = json.loads(s3_bucket.get_object("m/hand.lindi.json"))
    assert uploaded["templates"] == {"u1": f"./blobs/sha1/{sha1}"}
    assert uploaded["refs"]["x/0"] == ["{{u1}}", 1000, 5000]
    assert uploaded["refs"]["y"] == ["{{u1}}"]


def test_public_entry_point() -> None:
    import hdmf_lindi

    assert hdmf_lindi.upload is upload
    assert "upload" in dir(hdmf_lindi)


def test_absolute_refs(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging", series=2)
    dest = s3_bucket.url("abs/x.nwb.lindi.json")
    upload(source, dest, s3_options=_options(s3_bucket), absolute_refs=True)
    document = json.loads(s3_bucket.get_object("abs/x.nwb.lindi.json"))
    urls = set(document.get("templates", {}).values())
    assert urls and all(u.startswith(s3_bucket.url("abs/blobs/sha1/")) for u in urls)
    with mock.patch.dict(os.environ, s3_environment(s3_bucket), clear=True):
        check_sample(dest, series=2)


def test_external_array_links_to_a_local_nwb_are_uploaded(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    """A file converted from a local .nwb names it in chunk refs and, for datasets with many
    chunks, in _EXTERNAL_ARRAY_LINK: both must point at the uploaded copy."""
    from datetime import UTC, datetime

    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    from hdmf_lindi.hdf5 import convert

    nwbfile = NWBFile(
        session_description="transfer test",
        identifier="transfer",
        session_start_time=datetime(2024, 1, 2, tzinfo=UTC),
    )
    for index in range(2):
        data = H5DataIO(expected_series(index), chunks=(500, 4))
        nwbfile.add_acquisition(TimeSeries(name=f"ts{index}", data=data, unit="V", rate=1.0))
    nwb = tmp_path / "x.nwb"
    with NWBHDF5IO(str(nwb), "w") as out:
        out.write(nwbfile)
    converted = tmp_path / "x.nwb.lindi.json"
    convert(str(nwb), converted, num_chunks_threshold=2)  # 4-chunk datasets become links
    assert "_EXTERNAL_ARRAY_LINK" in converted.read_text()
    dest = s3_bucket.url("links/x.nwb.lindi.json")
    result = upload(converted, dest, s3_options=_options(s3_bucket))
    assert result.blobs == 1  # the .nwb itself
    document = json.loads(s3_bucket.get_object("links/x.nwb.lindi.json"))
    assert str(tmp_path) not in json.dumps([document["refs"], document.get("templates")])
    assert "_EXTERNAL_ARRAY_LINK" in json.dumps(document["refs"])
    nwb.unlink()
    with mock.patch.dict(os.environ, s3_environment(s3_bucket), clear=True):
        check_sample(dest, series=2)
