"""Shared pytest configuration and fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.http_server import ServedDirectory, serve_directory

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``tests/data``: small files committed with the tests."""
    return DATA_DIR


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[ServedDirectory]:
    """A threaded HTTP server on 127.0.0.1 serving ``tmp_path / "http_root"`` (created empty;
    put files in ``http_server.root``). See ``tests/helpers/http_server.py``."""
    root = tmp_path / "http_root"
    root.mkdir()
    with serve_directory(root) as served:
        yield served
