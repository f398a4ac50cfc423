"""Blocking reads through obstore for callers that may not wait on another Python thread.

obstore's synchronous calls run the request on its own (Rust) I/O threads, which run no Python,
and return in the calling thread; see ``ByteSource.get_ranges_blocking``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import obstore

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage.sources._obstore_errors import source_error
from hdmf_lindi.storage.sources._retry import RetryPolicy
from hdmf_lindi.storage.sources.coalesce import plan_coalesced, split_coalesced

__all__ = ["get_ranges_blocking", "size_blocking"]


def get_ranges_blocking(
    store: Any,
    path: str,
    ranges: Sequence[tuple[int, int]],
    *,
    where: str,
    max_gap: int,
    max_request_size: int,
    retry_policy: RetryPolicy,
) -> list[bytes]:
    """Each ``(offset, size)`` range of ``path``, coalesced into few requests (sent together
    by obstore, tried again together under ``retry_policy`` when a body stalls or is cut);
    ``where`` names the object in errors."""
    ranges = list(ranges)
    for offset, size in ranges:
        if offset < 0 or size < 0:
            raise LindiSourceError(f"{where}: invalid range offset={offset} size={size}")
    plan = plan_coalesced(ranges, max_gap=max_gap, max_request_size=max_request_size)
    if not plan:
        return [b""] * len(ranges)
    starts = [request.start for request in plan]
    lengths = [request.end - request.start for request in plan]
    try:
        data = retry_policy.call(
            lambda: obstore.get_ranges(store, path, starts=starts, lengths=lengths)
        )
    except Exception as exc:
        raise source_error(where, exc) from exc
    for start, length, chunk in zip(starts, lengths, data, strict=True):
        if len(chunk) != length:
            raise LindiSourceError(
                f"{where}: expected {length} bytes at offset {start}, got {len(chunk)} "
                "(the object ends before the range)"
            )
    return split_coalesced(plan, [bytes(chunk) for chunk in data], ranges)


def size_blocking(store: Any, path: str, *, where: str) -> int:
    """The size of ``path`` (HEAD, or a one-byte GET where HEAD is refused)."""
    try:
        return int(obstore.head(store, path)["size"])
    except Exception as head_error:
        try:
            return int(obstore.get(store, path, options={"range": (0, 1)}).meta["size"])
        except Exception:
            raise source_error(where, head_error, action="size") from head_error
