"""Shared pytest configuration and fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``tests/data``: small files committed with the tests."""
    return DATA_DIR
