"""``SourceRouter``: picks the byte source for a URL, resolves relative refs, enforces policy.

TEMPORARY minimal version (local files only) so that other parts can be built against the
signature; the byte-sources work replaces the body, keeping the signature.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from hdmf_lindi.errors import LindiSourceError

__all__ = ["SourceRouter"]


class SourceRouter:
    """Reads bytes for the refs of one LINDI file.

    Parameters
    ----------
    base_url
        Location (local directory/file path or URL) that relative refs (``./blobs/x``) resolve
        against: the LINDI file's own location.
    allow_local
        Whether refs may name local files. Default: allowed when ``base_url`` is local or None,
        refused when the LINDI file itself came from a URL.
    local_cache
        A ``LocalCache`` for remote byte ranges, or None.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        allow_local: bool | None = None,
        local_cache: Any = None,
    ) -> None:
        self.base_url = base_url
        self.allow_local = allow_local
        self.local_cache = local_cache

    def resolve(self, url: str) -> str:
        """The absolute URL or path a ref's URL names (checked against the policy)."""
        if url.startswith("./") and self.base_url is not None:
            return os.path.join(self.base_url, url[2:])
        return url

    async def read(self, url: str, offset: int | None = None, size: int | None = None) -> bytes:
        """Bytes of ``url``: the whole object, or ``size`` bytes at ``offset``."""
        path = self.resolve(url)

        def _read() -> bytes:
            try:
                with open(path, "rb") as f:
                    if offset is None:
                        return f.read()
                    f.seek(offset)
                    data = f.read(size)
            except OSError as exc:
                raise LindiSourceError(f"{path}: {exc}") from exc
            if size is not None and len(data) != size:
                raise LindiSourceError(f"{path}: expected {size} bytes at {offset}, got {len(data)}")
            return data

        return await asyncio.to_thread(_read)

    async def read_many(
        self, requests: Sequence[tuple[str, int | None, int | None]]
    ) -> list[bytes]:
        """Many reads at once (coalesced and concurrent where the backend allows), in order."""
        return list(await asyncio.gather(*(self.read(u, o, s) for u, o, s in requests)))

    async def close(self) -> None:
        """Release connections."""
