"""The local blobs of a LINDI file: what an upload has to send before the document.

A LINDI document's refs name bytes by URL. Remote URLs (the original ``.nwb`` on a server)
stay as they are; everything local has to travel with the document:

* absolute local paths and ``file://`` URLs (a staging area's packs, a local ``.nwb``): the
  whole file is one blob;
* relative refs (``./blobs/...``) of a ``.lindi.d``: the file inside the directory;
* relative refs of a ``.lindi.tar``: the member's bytes inside the archive;
* relative refs of a plain local ``.lindi.json``: the file beside it.

Every blob is identified by the SHA-1 of its content (the name it gets at the destination, as
in lindi-dandi), so re-running an upload finds what is already there by name.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hdmf_lindi.conventions.keys import EXTERNAL_ARRAY_LINK
from hdmf_lindi.errors import LindiFormatError, LindiSourceError
from hdmf_lindi.storage.containers import (
    DirectoryContainer,
    JsonFileContainer,
    TarContainer,
    container_for,
    is_url,
)
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources._background_loop import run_sync

__all__ = [
    "HASH_BLOCK",
    "LindiSource",
    "LocalBlob",
    "lindi_source_from_map",
    "open_lindi_source",
    "rewrite_refs",
]

HASH_BLOCK = 8 * 1024 * 1024
"""Bytes read at a time while hashing or streaming a blob."""


@dataclass(slots=True)
class LocalBlob:
    """Bytes ``[offset, offset + size)`` of the local file ``path``, uploaded as one object.

    ``keys`` are the keys of the refs ``[url, offset, size]`` into it (offsets relative to the
    blob: a ``.lindi.tar`` member's refs already are), ``whole_file_keys`` those of ``[url]``
    refs; ``origin`` is the URL the refs name now.
    """

    path: str
    offset: int
    size: int
    origin: str
    keys: list[str] = field(default_factory=list)
    whole_file_keys: list[str] = field(default_factory=list)
    link_keys: list[str] = field(default_factory=list)
    """``.zattrs`` keys whose ``_EXTERNAL_ARRAY_LINK`` names this (whole, local) file."""
    _sha1: str | None = None

    def iter_chunks(self, block: int = HASH_BLOCK) -> Iterator[bytes]:
        """The blob's bytes, ``block`` at a time (raises when the file is shorter)."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                remaining = self.size
                while remaining > 0:
                    data = f.read(min(block, remaining))
                    if not data:
                        raise LindiSourceError(
                            f"{self.path}: ends {remaining} bytes before the blob of "
                            f"{self.origin!r} ({self.size} bytes at offset {self.offset})"
                        )
                    remaining -= len(data)
                    yield data
        except OSError as exc:
            raise LindiSourceError(f"{self.path}: cannot read blob ({exc})") from exc

    def read(self) -> bytes:
        """The whole blob in memory."""
        return b"".join(self.iter_chunks())

    @property
    def sha1(self) -> str:
        """Hex SHA-1 of the blob's content (computed once)."""
        if self._sha1 is None:
            digest = hashlib.sha1(usedforsecurity=False)
            for data in self.iter_chunks():
                digest.update(data)
            self._sha1 = digest.hexdigest()
        return self._sha1


@dataclass(slots=True)
class LindiSource:
    """A LINDI file opened for transfer: its document and the local blobs it needs."""

    location: str
    kind: str
    reference_map: ReferenceMap
    blobs: list[LocalBlob]

    @property
    def total_bytes(self) -> int:
        """Bytes of every local blob."""
        return sum(blob.size for blob in self.blobs)


def _local_path(url: str) -> str | None:
    if url.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    if is_url(url) or "://" in url:
        return None
    if url.startswith("./") or url.startswith("../") or not os.path.isabs(url):
        return None
    return url


def open_lindi_source(location: str | os.PathLike[str]) -> LindiSource:
    """Load a local ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` and list its local blobs.

    Parameters
    ----------
    location
        Path of the LINDI file (a ``.lindi.json`` may name a staging area's files).

    Returns
    -------
    LindiSource

    Raises
    ------
    LindiSourceError
        When ``location`` is not a local LINDI file, or a blob it names is missing.
    LindiFormatError
        When a relative ref names no member of a ``.lindi.tar``.
    """
    path = os.path.abspath(os.fspath(location))
    if is_url(os.fspath(location)):
        raise LindiSourceError(f"{location}: upload needs a local LINDI file")
    if not os.path.exists(path):
        raise LindiSourceError(f"{path}: no such LINDI file")
    container = container_for(path)
    if isinstance(container, DirectoryContainer):
        reference_map = ReferenceMap.load(container.document_location)
    elif isinstance(container, TarContainer):
        reference_map = run_sync(container.load(SourceRouter(base_url=path)))
    else:
        reference_map = ReferenceMap.load(path)
    return lindi_source_from_map(reference_map, path, container=container)


def lindi_source_from_map(
    reference_map: ReferenceMap, location: str, *, container: Any = None
) -> LindiSource:
    """The local blobs ``reference_map`` needs, its relative refs resolved against the local
    LINDI file ``location`` (``container``: that file's loaded container, when at hand)."""
    remote = is_url(location)
    path = location if remote else os.path.abspath(location)
    if container is None and remote:
        container = JsonFileContainer(path)  # relative refs are remote too: nothing local
    if container is None:
        container = container_for(path)
        if isinstance(container, TarContainer):
            run_sync(container.load(SourceRouter(base_url=path)))
    if isinstance(container, DirectoryContainer):
        base_dir = path
    elif isinstance(container, TarContainer):
        base_dir = ""
    else:
        base_dir = os.path.dirname(path)
    blobs: dict[tuple[str, int, int], LocalBlob] = {}
    for key in list(reference_map.keys()):
        value = reference_map.get_raw(key)
        if not (isinstance(value, list) and value and isinstance(value[0], str)):
            continue
        url = value[0]
        blob = _blob_for(url, container, base_dir, path, key)
        if blob is None:
            continue
        blob = blobs.setdefault((blob.path, blob.offset, blob.size), blob)
        (blob.keys if len(value) == 3 else blob.whole_file_keys).append(key)
    for key in list(reference_map.keys()):
        if not key.endswith(".zattrs"):
            continue
        attributes = reference_map.get_json(key)
        link = attributes.get(EXTERNAL_ARRAY_LINK) if isinstance(attributes, dict) else None
        link_url = link.get("url") if isinstance(link, dict) else None
        local = _local_path(link_url) if isinstance(link_url, str) else None
        if local is None:
            continue  # a remote HDF5 file (or none): stays as it is
        blob = _file_blob(local, str(link_url), key)
        blob = blobs.setdefault((blob.path, blob.offset, blob.size), blob)
        blob.link_keys.append(key)
    for blob in blobs.values():
        for key in blob.keys:
            value = reference_map.get_raw(key)
            assert isinstance(value, list)
            if int(value[1]) + int(value[2]) > blob.size:
                raise LindiFormatError(
                    f"{path}: ref {key!r} ({value[1]}+{value[2]}) ends past its blob "
                    f"{blob.origin!r} ({blob.size} bytes)"
                )
    return LindiSource(path, container.kind, reference_map, list(blobs.values()))


def _blob_for(url: str, container: Any, base_dir: str, location: str, key: str) -> LocalBlob | None:
    local = _local_path(url)
    if local is not None:
        return _file_blob(local, url, key)
    if not url.startswith("./") or is_url(location):
        return None  # a remote URL (or relative to a remote file): stays as it is
    if isinstance(container, TarContainer):
        member = container.resolve_member(url)
        if member is None:
            raise LindiFormatError(f"{location}: ref {key!r} names {url!r}, not in the archive")
        return LocalBlob(location, member.offset, member.size, url)
    relative = os.path.normpath(url[2:])
    if relative.startswith(".."):
        raise LindiFormatError(f"{location}: ref {key!r} ({url!r}) leaves the LINDI file")
    return _file_blob(os.path.join(base_dir, relative), url, key)


def _file_blob(path: str, origin: str, key: str) -> LocalBlob:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise LindiSourceError(f"{path}: blob of ref {key!r} is missing ({exc})") from exc
    return LocalBlob(path, 0, size, origin)


def rewrite_refs(
    source: LindiSource, urls: dict[int, str], link_urls: dict[int, str] | None = None
) -> ReferenceMap:
    """A copy of the source's document whose refs into blob ``i`` name ``urls[i]``, and whose
    ``_EXTERNAL_ARRAY_LINK``s to it name ``link_urls[i]`` (default ``urls[i]``; links are
    not resolved against the document's location, so give absolute URLs).

    Offsets inside a blob are kept: a blob is uploaded byte for byte (a tar member's refs
    were already relative to the member).
    """
    reference_map = source.reference_map.copy()
    for index, blob in enumerate(source.blobs):
        url = urls[index]
        for key in blob.keys:
            value = reference_map.get_raw(key)
            assert isinstance(value, list)
            reference_map.set_raw(key, [url, value[1], value[2]])
        for key in blob.whole_file_keys:
            reference_map.set_raw(key, [url])
        for key in blob.link_keys:
            attributes = dict(reference_map.get_json(key))
            link = dict(attributes[EXTERNAL_ARRAY_LINK])
            link["url"] = (link_urls or urls)[index]
            attributes[EXTERNAL_ARRAY_LINK] = link
            reference_map.set_json(key, attributes)
    return reference_map
