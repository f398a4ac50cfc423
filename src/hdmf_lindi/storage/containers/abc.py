"""The container interface: where a LINDI document and its blobs live.

A container loads the :class:`~hdmf_lindi.storage.reference_map.ReferenceMap`, saves it back
(crash-safely), and, for the kinds that can hold chunk data (``.lindi.d``, ``.lindi.tar``),
writes blobs and answers where a relative ref (``./blobs/...``) points.

Reads go through a :class:`~hdmf_lindi.storage.sources.router.SourceRouter`, so a container can
be loaded from a URL; writes are local-file only.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from hdmf_lindi.errors import LindiReadOnlyError, LindiSourceError
from hdmf_lindi.storage.sources.abc import ContainerMember

if TYPE_CHECKING:
    from hdmf_lindi.storage.reference_map import ReferenceMap
    from hdmf_lindi.storage.sources.router import SourceRouter

__all__ = [
    "PACK_MAX_BYTES",
    "BlobWriter",
    "Container",
    "ContainerMember",
    "MemberResolver",
    "is_url",
    "pack_name",
    "pack_refs",
    "write_packed",
]

type MemberResolver = Callable[[str], ContainerMember | None]

_URL_SCHEMES = ("http://", "https://", "s3://", "gs://", "az://", "abfs://", "file://")


def is_url(location: str) -> bool:
    """Whether ``location`` is a URL (as opposed to a local path)."""
    return location.startswith(_URL_SCHEMES)


@runtime_checkable
class BlobWriter(Protocol):
    """Something that takes the bytes of one chunk and returns the ref value that names them.

    Implemented by the ``.lindi.d`` and ``.lindi.tar`` containers and by
    :class:`~hdmf_lindi.storage.staging.StagingArea`.
    """

    def write_blob(self, key: str, data: bytes) -> list[Any]:
        """Store ``data`` for the Zarr key ``key``; return ``[url, offset, size]``."""
        ...

    def write_blobs(self, items: Sequence[tuple[str, bytes]]) -> list[list[Any]]:
        """Store many chunks as one blob (a *pack*: their bytes one after another); return
        one ``[url, offset, size]`` per item, in order, all naming the pack."""
        ...


PACK_MAX_BYTES = 32 << 20
"""How many bytes of chunks go into one pack (writers of many chunks cut their packs here)."""


def write_packed(writer: BlobWriter, items: Sequence[tuple[str, bytes]]) -> list[list[Any]]:
    """Store ``items`` with ``writer``: a lone chunk as a blob of its own, more as one pack;
    one ``[url, offset, size]`` per item, in order."""
    if len(items) == 1:
        return [writer.write_blob(*items[0])]
    return writer.write_blobs(items)


def pack_name(items: Sequence[tuple[str, bytes]]) -> str:
    """The Zarr-key-like name of a pack of chunks: ``<dir of first key>/pack-<first>-<count>``
    (e.g. ``acq/data/pack-0.0-5000``); never a chunk key, so never a chunk's own blob name."""
    first = items[0][0]
    parent, _, name = first.rpartition("/")
    pack = f"pack-{name}-{len(items)}"
    return f"{parent}/{pack}" if parent else pack


def pack_refs(url: str, items: Sequence[tuple[str, bytes]]) -> list[list[Any]]:
    """The ``[url, offset, size]`` of each item of a pack written at ``url``."""
    refs: list[list[Any]] = []
    offset = 0
    for _key, data in items:
        refs.append([url, offset, len(data)])
        offset += len(data)
    return refs


class Container(ABC):
    """One LINDI file (``.lindi.json``), directory (``.lindi.d``) or archive (``.lindi.tar``).

    Parameters
    ----------
    location
        Local path or URL of the container.

    Notes
    -----
    Two containers are equal when they are of the same kind and name the same location.
    """

    kind: ClassVar[str]
    """``"json"``, ``"directory"`` or ``"tar"``."""

    def __init__(self, location: str | os.PathLike[str]) -> None:
        text = os.fspath(location)
        if is_url(text):
            self._location = text
            self._is_remote = True
        else:
            self._location = os.path.abspath(text)
            self._is_remote = False

    # ------------------------------------------------------------------ identity
    @property
    def location(self) -> str:
        """Absolute local path or URL."""
        return self._location

    @property
    def is_remote(self) -> bool:
        """Whether the container was named by a URL (remote containers are read-only)."""
        return self._is_remote

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Container) and (
            type(self) is type(other) and self._location == other._location
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._location))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._location!r})"

    # ------------------------------------------------------------------ reading
    @property
    @abstractmethod
    def base_url(self) -> str:
        """The ``base_url`` for the :class:`SourceRouter`: the file's own location (relative
        refs resolve beside it), or for a directory its location with a trailing slash."""

    @property
    def member_resolver(self) -> MemberResolver | None:
        """For containers whose blobs live inside one file: relative ref URL -> where the
        member is (:class:`ContainerMember`). ``None`` for other kinds."""
        return None

    @abstractmethod
    def exists(self) -> bool:
        """Whether the container exists (local containers only; remote ones are assumed to)."""

    @abstractmethod
    async def load(self, router: SourceRouter) -> ReferenceMap:
        """Read and validate the document (and, for a tar, its index) through ``router``."""

    # ------------------------------------------------------------------ writing
    @property
    def blob_writer(self) -> BlobWriter | None:
        """Where chunks too large to inline go, or ``None`` when this kind keeps no blobs."""
        return None

    @abstractmethod
    def create(self, reference_map: ReferenceMap) -> None:
        """Create the container on disk holding ``reference_map``, replacing any existing one."""

    @abstractmethod
    def save(self, reference_map: ReferenceMap) -> None:
        """Write ``reference_map`` so that a crash at any point leaves either the previous
        state or the new one readable."""

    def forget_blob(self, ref: Any) -> None:  # noqa: B027 - optional hook
        """Called when a key whose ref is ``ref`` was overwritten or deleted: a container may
        reclaim the space once the next :meth:`save` no longer references it."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release open file handles."""

    def _check_local_writable(self) -> None:
        if self._is_remote:
            raise LindiReadOnlyError(f"{self._location}: a remote LINDI file cannot be written")

    @staticmethod
    def _source_error(location: str, exc: BaseException) -> LindiSourceError:
        return LindiSourceError(f"{location}: {exc}")
