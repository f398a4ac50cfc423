"""Containers: where a LINDI document (and its blobs) lives.

``.lindi.json`` (:class:`JsonFileContainer`), ``.lindi.d`` (:class:`DirectoryContainer`) and
``.lindi.tar`` (:class:`TarContainer`); :func:`container_for` picks one for a path or URL.
"""

from __future__ import annotations

import os

from hdmf_lindi.storage.containers.abc import BlobWriter, Container, MemberResolver, is_url
from hdmf_lindi.storage.containers.directory import DirectoryContainer
from hdmf_lindi.storage.containers.json_file import JsonFileContainer
from hdmf_lindi.storage.containers.tar import TarContainer

__all__ = [
    "BlobWriter",
    "Container",
    "DirectoryContainer",
    "JsonFileContainer",
    "MemberResolver",
    "TarContainer",
    "container_for",
    "container_kind_from_suffix",
    "is_url",
]

_KINDS: dict[str, type[Container]] = {
    "json": JsonFileContainer,
    "directory": DirectoryContainer,
    "tar": TarContainer,
}


def container_kind_from_suffix(location: str) -> str | None:
    """``"json"``, ``"tar"`` or ``"directory"`` from the name's suffix, or ``None``."""
    name = location.split("?", 1)[0].rstrip("/").lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith(".tar"):
        return "tar"
    if name.endswith(".lindi.d") or name.endswith(".d"):
        return "directory"
    return None


def _sniff_local(path: str) -> str:
    if os.path.isdir(path):
        return "directory"
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return "json"
    return "tar" if head[257:262] == b"ustar" else "json"


def container_for(location: str | os.PathLike[str], *, kind: str | None = None) -> Container:
    """The container for ``location``: by ``kind`` when given, else by suffix, else (local
    paths) by content: a directory, a tar archive (``ustar`` magic), or JSON. A URL without a
    known suffix is taken to be a ``.lindi.json``.
    """
    text = os.fspath(location)
    if kind is None:
        kind = container_kind_from_suffix(text)
    if kind is None:
        kind = "json" if is_url(text) or not os.path.exists(text) else _sniff_local(text)
    try:
        cls = _KINDS[kind]
    except KeyError:
        raise ValueError(
            f"unknown container kind {kind!r}; expected one of {sorted(_KINDS)}"
        ) from None
    return cls(text)
