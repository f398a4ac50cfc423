"""HDF5-style path arithmetic (absolute paths, ``.`` and ``..``)."""

from __future__ import annotations

__all__ = ["basename", "join_path", "normalize_path", "parent_path"]


def normalize_path(path: str) -> str:
    """``path`` as an absolute path with ``//``, ``.`` and ``..`` removed."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def join_path(base: str, name: str) -> str:
    """The absolute path of ``name`` seen from the group at ``base``."""
    if name.startswith("/"):
        return normalize_path(name)
    return normalize_path(f"{base}/{name}")


def parent_path(path: str) -> str:
    """The parent group's path (``"/"`` for the root)."""
    head = path.rsplit("/", 1)[0]
    return head or "/"


def basename(path: str) -> str:
    """The last component of ``path`` (``""`` for the root)."""
    return path.rsplit("/", 1)[-1]
