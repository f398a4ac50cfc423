"""A plain Zarr v3 directory (e.g. a ``*.nwb.zarr`` written by hdmf-zarr's ``NWBZarrIO``), or
a zip of one (zarr's ``ZipStore`` layout), as a read-only reference map.

Every ``zarr.json`` is read (they are small); every other file becomes a ``[path]`` ref to the
file itself (a zip member stored uncompressed: a ``[zip, offset, size]`` ref to its bytes; a
compressed one is read and kept inline), read only when zarr asks for it. Nothing is ever
written. Consolidated metadata in the root ``zarr.json`` is dropped: the map has every
``zarr.json`` already.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

from hdmf_lindi import _json
from hdmf_lindi.errors import LindiFormatError, LindiSourceError
from hdmf_lindi.storage.reference_map import ReferenceMap

__all__ = ["is_zarr_directory", "is_zarr_zip", "load_zarr_directory", "load_zarr_zip"]

_ZARR_JSON = "zarr.json"
_LINDI_DOCUMENT = "lindi.json"


def is_zarr_directory(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a local directory holding a Zarr v3 hierarchy (a root ``zarr.json``)
    and not a ``.lindi.d``."""
    text = os.fspath(path)
    return (
        os.path.isdir(text)
        and os.path.isfile(os.path.join(text, _ZARR_JSON))
        and not os.path.exists(os.path.join(text, _LINDI_DOCUMENT))
    )


def is_zarr_zip(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a local zip file holding a Zarr v3 hierarchy (a root ``zarr.json``)."""
    text = os.fspath(path)
    if not os.path.isfile(text) or not zipfile.is_zipfile(text):
        return False
    with zipfile.ZipFile(text) as archive:
        return _ZARR_JSON in archive.namelist()


def load_zarr_zip(path: str | os.PathLike[str]) -> ReferenceMap:
    """The reference map of a zip of a Zarr v3 hierarchy (members named by their keys).

    Raises
    ------
    LindiSourceError
        When ``path`` cannot be read as a zip file.
    LindiFormatError
        When a ``zarr.json`` is not JSON, or the root one is not Zarr v3 metadata.
    """
    location = os.path.abspath(os.fspath(path))
    reference_map = ReferenceMap(source=location)
    try:
        with zipfile.ZipFile(location) as archive, open(location, "rb") as raw:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                key = info.filename
                if key.rsplit("/", 1)[-1] == _ZARR_JSON:
                    data = archive.read(info)
                    reference_map.set_inline(key, _metadata_from(data, key, location))
                elif info.compress_type == zipfile.ZIP_STORED:
                    offset = _member_data_offset(raw, info)
                    reference_map.set_url(key, location, offset, info.file_size)
                else:
                    reference_map.set_inline(key, archive.read(info))
    except (OSError, zipfile.BadZipFile) as exc:
        raise LindiSourceError(f"{location}: cannot be read as a zip file ({exc})") from exc
    _check_root(reference_map, location)
    return reference_map


def _member_data_offset(raw: Any, info: zipfile.ZipInfo) -> int:
    """Where a member's bytes start: after its local header (30 bytes, the name, the extra
    field; their lengths are in the local header, which may differ from the central one)."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename!r}")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return int(info.header_offset) + 30 + name_length + extra_length


def load_zarr_directory(path: str | os.PathLike[str]) -> ReferenceMap:
    """The reference map of a Zarr v3 directory: ``zarr.json`` documents as JSON, other files
    as refs to their absolute paths.

    Raises
    ------
    LindiSourceError
        When ``path`` is not a directory.
    LindiFormatError
        When a ``zarr.json`` is not JSON, or the root one is not Zarr v3 metadata.
    """
    root = os.path.abspath(os.fspath(path))
    if not os.path.isdir(root):
        raise LindiSourceError(f"{root}: not a directory")
    reference_map = ReferenceMap(source=root)
    for directory, subdirectories, files in os.walk(root):
        subdirectories.sort()
        relative = os.path.relpath(directory, root)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in sorted(files):
            key = prefix + name
            full = os.path.join(directory, name)
            if name == _ZARR_JSON:
                reference_map.set_inline(key, _metadata_bytes(full, key, root))
            else:
                reference_map.set_url(key, full)
    _check_root(reference_map, root)
    return reference_map


def _check_root(reference_map: ReferenceMap, where: str) -> None:
    root_document = reference_map.get_json(_ZARR_JSON)
    if not isinstance(root_document, dict) or root_document.get("zarr_format") != 3:
        raise LindiFormatError(f"{where}: the root zarr.json is not Zarr v3 metadata")


def _metadata_bytes(full: str, key: str, root: str) -> bytes:
    try:
        with open(full, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise LindiSourceError(f"{root}: {key} cannot be read ({exc})") from exc
    return _metadata_from(data, key, root)


def _metadata_from(data: bytes, key: str, root: str) -> bytes:
    try:
        document: Any = _json.loads(data)
    except ValueError as exc:
        raise LindiFormatError(f"{root}: {key} is not JSON ({exc})") from exc
    if isinstance(document, dict) and "consolidated_metadata" in document:
        document = {k: v for k, v in document.items() if k != "consolidated_metadata"}
        return json.dumps(document, allow_nan=True, sort_keys=True).encode("ascii")
    return data
