"""Walking the keys of a reference map as a Zarr hierarchy (shared by the flavours)."""

from __future__ import annotations

from hdmf_lindi.conventions.abc import MetadataMap

__all__ = ["delete_keys_below", "join_key"]


def join_key(prefix: str, name: str) -> str:
    """``prefix/name``, or ``name`` at the root (``prefix == ""``)."""
    return f"{prefix}/{name}" if prefix else name


def delete_keys_below(meta: MetadataMap, zpath: str) -> None:
    """Delete every key of the node at ``zpath`` and of everything below it."""
    pending = [zpath]
    doomed: list[str] = []
    while pending:
        prefix = pending.pop()
        for name in meta.list_dir(prefix):
            key = join_key(prefix, name)
            if key in meta:
                doomed.append(key)
            if meta.has_dir(key):
                pending.append(key)
    for key in doomed:
        meta.delete(key)
