"""Whole-object GETs through obstore with a size limit.

obstore's ``bytes()`` trusts the announced size: a server announcing ``Content-Length:
1000000000000`` makes it try to allocate that much and aborts the process (no exception to
catch). The announced size is therefore checked against the limit first, and the body is
streamed and counted against the limit and the announced size.
"""

from __future__ import annotations

from typing import Any

import obstore

from hdmf_lindi.errors import LindiError, LindiLimitError, LindiSourceError
from hdmf_lindi.storage.sources._obstore_errors import source_error

__all__ = ["DEFAULT_MAX_OBJECT_BYTES", "get_whole_async", "too_large"]

DEFAULT_MAX_OBJECT_BYTES = 2 << 30
"""Default limit on a whole-object read (a ``.lindi.json`` document): 2 GiB."""

_STREAM_CHUNK_BYTES = 8 << 20


def too_large(where: str, size: int, limit: int) -> LindiLimitError:
    """The error for a whole-object read of ``size`` bytes over ``limit`` (one message for
    every source)."""
    return LindiLimitError(
        f"{where}: the object is {size} bytes, more than the limit of {limit} bytes for a "
        "whole-object read (max_object_bytes)"
    )


async def get_whole_async(store: Any, path: str, *, where: str, limit: int) -> bytes:
    """The whole object at ``path`` of ``store``, refused when larger than ``limit`` bytes
    (announced or received: ``LindiLimitError``) or shorter than announced
    (``LindiSourceError``); ``where`` names it in errors."""
    try:
        result = await obstore.get_async(store, path)
    except Exception as exc:
        raise source_error(where, exc) from exc
    announced = result.meta["size"]
    if announced is not None and announced > limit:
        raise too_large(where, announced, limit)
    parts: list[bytes] = []
    received = 0
    try:
        async for chunk in result.stream(min_chunk_size=_STREAM_CHUNK_BYTES):
            received += len(chunk)
            if received > limit:
                raise too_large(where, received, limit)
            parts.append(chunk)
    except LindiError:
        raise
    except Exception as exc:
        raise source_error(where, exc) from exc
    if announced is not None and received != announced:
        raise LindiSourceError(f"{where}: expected {announced} bytes, got {received}")
    return b"".join(parts)
