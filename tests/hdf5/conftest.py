"""Fixtures for the HDF5 -> LINDI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hdf5.feature_file import build_feature_file
from tests.helpers.s3_server import moto_server, s3_bucket  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def feature_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An HDF5 file with every feature (see ``feature_file.py``)."""
    return build_feature_file(tmp_path_factory.mktemp("features") / "features.h5")
