"""Fixtures for the byte-source tests: a served payload and routers with short retry waits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hdmf_lindi.storage.sources import SourceRouter
from tests.helpers.http_server import ServedDirectory
from tests.helpers.s3_server import moto_server, s3_bucket

__all__ = ["moto_server", "s3_bucket"]

PAYLOAD = bytes((i * 7 + i // 256) % 256 for i in range(256 * 1024))

FAST_RETRIES: dict[str, Any] = {
    "max_retries": 3,
    "backoff": {
        "init_backoff": timedelta(milliseconds=1),
        "max_backoff": timedelta(milliseconds=10),
        "base": 2,
    },
    "retry_timeout": timedelta(seconds=10),
}


@pytest.fixture
def payload_server(http_server: ServedDirectory) -> ServedDirectory:
    """The HTTP server with ``/data.bin`` (``PAYLOAD``) in its root."""
    (http_server.root / "data.bin").write_bytes(PAYLOAD)
    return http_server


@pytest.fixture
def router() -> SourceRouter:
    """A router with default policy and short retry waits."""
    return SourceRouter(retry_config=FAST_RETRIES)
