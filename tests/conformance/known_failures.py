"""Failures of pynwb's integration tests that belong to work in progress elsewhere (issue 8),
each applied as ``xfail(strict=True)``: when a fix lands, its entries XPASS and fail the run,
so remove them then.

Keys are test ids within one container run (``test_io.py::TestH5DataIO::test_...``), for all
three containers, or prefixed with the container (``lindi.json::test_io.py::...``) for one.
"""

from __future__ import annotations

KNOWN_FAILURES: dict[str, str] = {}


def reason_for(container: str, test_id: str) -> str | None:
    """Why ``test_id`` is expected to fail on ``container`` (``"lindi.tar"``, ...), or
    ``None``."""
    return KNOWN_FAILURES.get(f"{container}::{test_id}") or KNOWN_FAILURES.get(test_id)
