"""``.lindi.json``: the whole LINDI document in one JSON file; no blobs of its own."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

from hdmf_lindi.storage.containers.abc import Container
from hdmf_lindi.storage.reference_map import ReferenceMap, atomic_write_bytes

if TYPE_CHECKING:
    from hdmf_lindi.storage.sources.router import SourceRouter

__all__ = ["JsonFileContainer"]


class JsonFileContainer(Container):
    """A ``.lindi.json`` file, local or remote.

    Saving writes a temporary file beside it and renames it into place, so readers (and a
    crash) see either the old document or the new one.
    """

    kind: ClassVar[str] = "json"

    @property
    def base_url(self) -> str:
        # the router resolves relative refs against the file's parent directory
        return self.location

    def exists(self) -> bool:
        return self.is_remote or os.path.isfile(self.location)

    async def load(self, router: SourceRouter) -> ReferenceMap:
        data = await router.read(self.location)
        return ReferenceMap.from_bytes(data, source=self.location)

    def create(self, reference_map: ReferenceMap) -> None:
        self.save(reference_map)

    def save(self, reference_map: ReferenceMap) -> None:
        self._check_local_writable()
        atomic_write_bytes(self.location, reference_map.dumps())
