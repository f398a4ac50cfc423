"""Upload to and read back from Google Cloud Storage (``gs://``, a fake of GCS's XML API:
``tests/helpers/gcs_server.py``) and Azure Blob Storage (``az://``, Microsoft's emulator
Azurite: ``tests/helpers/azurite.py``), configured through their standard environment
variables only, as users configure them."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.transfer import upload
from hdmf_lindi.transfer.download import download
from tests.helpers.azurite import (
    Azurite,
    AzuriteUnavailable,
    azurite_executable,
    install,
    run_azurite,
)
from tests.helpers.gcs_server import FakeGcs, run_fake_gcs
from tests.transfer.conftest import SERIES, check_sample, write_sample


@dataclass(frozen=True)
class Bucket:
    """A bucket (GCS) or container (Azure) on a server the tests started."""

    scheme: str
    name: str
    environment: dict[str, str]
    read_object: Callable[[str], bytes]
    server: Any

    def url(self, key: str) -> str:
        return f"{self.scheme}://{self.name}/{key}"


@pytest.fixture(scope="module")
def fake_gcs() -> Iterator[FakeGcs]:
    with run_fake_gcs() as gcs:
        yield gcs


@pytest.fixture(scope="module")
def azurite() -> Iterator[Azurite]:
    try:
        azurite_executable()
    except AzuriteUnavailable:
        try:
            install()
        except AzuriteUnavailable as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(str(exc))
    with run_azurite() as server:
        yield server


_COUNTER = iter(range(10**6))


@pytest.fixture(params=["gs", "az"])
def bucket(request: pytest.FixtureRequest) -> Bucket:
    name = f"bucket-{next(_COUNTER):04d}-{os.getpid()}"
    if request.param == "gs":
        gcs: FakeGcs = request.getfixturevalue("fake_gcs")
        gcs.create_bucket(name)
        return Bucket("gs", name, gcs.environment(), lambda key: gcs.get_object(name, key), gcs)
    server: Azurite = request.getfixturevalue("azurite")
    server.create_container(name)
    return Bucket("az", name, server.environment(), lambda key: server.get_blob(name, key), server)


def _environment(bucket: Bucket) -> Any:
    return mock.patch.dict(os.environ, bucket.environment, clear=True)


def test_upload_read_back_and_rerun(tmp_path: Path, bucket: Bucket) -> None:
    source = tmp_path / "x.nwb.lindi.json"
    write_sample(source, staging_dir=tmp_path / "staging")
    url = bucket.url("d/x.nwb.lindi.json")
    with _environment(bucket):
        # explicit client options do not hide the environment's (GOOGLE_ALLOW_HTTP, ...)
        result = upload(source, url, client_options={"timeout": "60s"}, progress=False)
        assert (result.blobs, result.blobs_sent) == (SERIES, SERIES)
        document = json.loads(bucket.read_object("d/x.nwb.lindi.json"))
        urls = [v[0] for v in document["refs"].values() if isinstance(v, list)]
        urls += list(document.get("templates", {}).values())
        assert urls and not [u for u in urls if u.startswith("/") or "staging" in u]
        check_sample(url)
        again = upload(source, url, progress=False)
        assert again.blobs_sent == 0


def test_large_blob_is_uploaded_in_parts(tmp_path: Path, bucket: Bucket) -> None:
    payload = os.urandom(11 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(payload)
    document = {
        "version": 1,
        "refs": {".zgroup": {"zarr_format": 2}, "x/0": [str(tmp_path / "big.bin"), 10, 50]},
    }
    source = tmp_path / "hand.lindi.json"
    source.write_text(json.dumps(document))
    with _environment(bucket):
        result = upload(
            source,
            bucket.url("m/hand.lindi.json"),
            multipart_threshold=1,
            part_size=5 * 1024 * 1024,
            progress=False,
        )
    assert result.blobs_sent == 1
    sha1 = hashlib.sha1(payload).hexdigest()
    assert bucket.read_object(f"m/blobs/sha1/{sha1}") == payload
    if bucket.scheme == "gs":
        parts = [r for r in bucket.server.requests if r.method == "PUT" and "partNumber" in r.query]
        assert len(parts) == 3


def test_download_to_a_self_contained_tar(tmp_path: Path, bucket: Bucket) -> None:
    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=2)
    url = bucket.url("dl/x.nwb.lindi.json")
    with _environment(bucket):
        upload(source, url, progress=False)
        download(url, tmp_path / "copy.nwb.lindi.tar", progress=False)
    check_sample(str(tmp_path / "copy.nwb.lindi.tar"), series=2)


def test_wrong_credentials_are_refused(tmp_path: Path, bucket: Bucket) -> None:
    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=1)
    environment = dict(bucket.environment)
    if bucket.scheme == "gs":
        environment["GOOGLE_BEARER_TOKEN"] = "not-the-token"
    else:
        environment["AZURE_STORAGE_ACCOUNT_KEY"] = "bm90LXRoZS1rZXk="
    url = bucket.url("denied/x.nwb.lindi.json")
    with (
        mock.patch.dict(os.environ, environment, clear=True),
        pytest.raises(LindiSourceError, match=f"{bucket.scheme}://{bucket.name}/denied"),
    ):
        upload(source, url, progress=False, retry_config={"max_retries": 0})


def test_public_gcs_bucket_is_read_without_credentials(tmp_path: Path, fake_gcs: FakeGcs) -> None:
    """With no Google credentials anywhere (variables, options, gcloud's default file), gs://
    URLs are read anonymously, as s3:// ones are: object_store would otherwise ask the
    instance metadata server, which only GCP machines have."""
    name = f"public-{os.getpid()}"
    fake_gcs.create_bucket(name)
    source = tmp_path / "x.nwb.lindi.d"
    write_sample(source, series=1)
    url = f"gs://{name}/p/x.nwb.lindi.json"
    with mock.patch.dict(os.environ, fake_gcs.environment(), clear=True):
        upload(source, url, progress=False)
    anonymous = {
        "GOOGLE_BASE_URL": fake_gcs.url,
        "GOOGLE_ALLOW_HTTP": "true",
        "HOME": str(tmp_path),  # no gcloud default credentials there
    }
    with (
        mock.patch.dict(os.environ, anonymous, clear=True),
        pytest.raises(LindiSourceError, match=f"gs://{name}/p"),
    ):
        check_sample(url, series=1)  # not public yet: 401
    fake_gcs.public_buckets.add(name)
    first = len(fake_gcs.requests)
    with mock.patch.dict(os.environ, anonymous, clear=True):
        check_sample(url, series=1)
    reads = fake_gcs.requests[first:]
    assert reads and not any(r.signed for r in reads)
    assert all(r.status in (200, 206) for r in reads)
