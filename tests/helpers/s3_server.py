"""An S3-compatible server for tests: moto in server mode on 127.0.0.1 (a free port).

Fixtures (import them into a test module or a ``conftest.py``)::

    from tests.helpers.s3_server import moto_server, s3_bucket  # noqa: F401

    def test_x(s3_bucket: S3Bucket) -> None:
        s3_bucket.put_object("a/b.bin", b"...")
        url = s3_bucket.url("a/b.bin")            # "s3://<bucket>/a/b.bin"
        options = s3_bucket.store_options         # endpoint, region, keys, allow_http
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = ["S3Bucket", "moto_server", "run_moto_server", "s3_bucket"]

ACCESS_KEY_ID = "testing-access-key"
SECRET_ACCESS_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class S3Bucket:
    """A bucket on the moto server and what a client needs to reach it."""

    endpoint_url: str
    bucket: str
    region: str = REGION
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY
    _client: Any = field(default=None, repr=False, compare=False)

    def url(self, key: str) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{key.lstrip('/')}"

    @property
    def store_options(self) -> dict[str, Any]:
        """Options for an obstore ``S3Store`` (and ``SourceRouter(s3_options=...)``)."""
        return {
            "endpoint": self.endpoint_url,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "virtual_hosted_style_request": False,
        }

    @property
    def client_options(self) -> dict[str, Any]:
        """Client options for obstore (plain HTTP to 127.0.0.1)."""
        return {"allow_http": True}

    def put_object(self, key: str, data: bytes) -> None:
        """Upload ``data`` with boto3 (independent of the code under test)."""
        self._client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def get_object(self, key: str) -> bytes:
        """Download an object with boto3 (independent of the code under test)."""
        body: bytes = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body


@contextmanager
def run_moto_server() -> Iterator[str]:
    """Run a moto server on 127.0.0.1 for the duration of the block; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server shared by the test session."""
    with run_moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(moto_server: str) -> S3Bucket:
    """A fresh, empty bucket on the session's moto server."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )
    name = f"test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return S3Bucket(endpoint_url=moto_server, bucket=name, _client=client)
