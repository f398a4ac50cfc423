"""The DANDI Archive's API URLs (a leaf module: the CLI names them without importing the
network stack)."""

from __future__ import annotations

__all__ = ["DANDI_API_URL", "STAGING_API_URL"]

DANDI_API_URL = "https://api.dandiarchive.org/api"
"""The main archive's API (token: ``DANDI_API_KEY``)."""
STAGING_API_URL = "https://api-staging.dandiarchive.org/api"
"""The staging instance's API (token: ``DANDI_STAGING_API_KEY``)."""
