"""Path helpers for the tests."""

from __future__ import annotations

import posixpath


def absolute_link_target(link_name: str, target: str) -> str:
    """The absolute path a soft link at ``link_name`` (relative to the root) points to."""
    if target.startswith("/"):
        return posixpath.normpath(target)
    return posixpath.normpath(posixpath.join("/", posixpath.dirname(link_name), target))
