"""Turning obstore exceptions into ``LindiSourceError`` messages that name the URL and status."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from hdmf_lindi.errors import LindiSourceError

__all__ = ["default_client_options", "http_status_of", "source_error"]

_STATUS_PATTERNS = (
    re.compile(r"status code: (\d{3})"),
    re.compile(r"status: (\d{3})"),
)


def default_client_options() -> dict[str, Any]:
    """Time bounds of every request: 5 s to connect, 30 s from connecting to the last body
    byte (obstore's own defaults, spelled out: the retry policy relies on them)."""
    return {"connect_timeout": "5s", "timeout": "30s"}


def http_status_of(exc: BaseException) -> int | None:
    """The HTTP status an obstore error reports, if any."""
    text = str(exc)
    for pattern in _STATUS_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def _summary(exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first_line[:300]


def source_error(url: str, exc: BaseException, *, action: str = "read") -> LindiSourceError:
    """A ``LindiSourceError`` for ``exc`` raised while doing ``action`` on ``url``."""
    status = http_status_of(exc)
    if status is not None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "unknown status"
        return LindiSourceError(
            f"{url}: {action} failed with HTTP {status} {reason} ({_summary(exc)})"
        )
    if isinstance(exc, FileNotFoundError):
        return LindiSourceError(f"{url}: {action} failed: not found ({_summary(exc)})")
    return LindiSourceError(f"{url}: {action} failed: {type(exc).__name__}: {_summary(exc)}")
