"""``StagingArea``: a local directory where new chunks are written before they are consolidated
into a ``.lindi.d`` / ``.lindi.tar`` or uploaded.

While staged, a chunk's ref is ``[<absolute local path>, 0, size]``, so a document that
references staged data reads back locally; :meth:`StagingArea.consolidate` later moves every
staged blob a reference map names into a container's blob writer and rewrites those refs.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from hdmf_lindi.errors import LindiSecurityError, LindiSourceError
from hdmf_lindi.storage.containers.abc import (
    PACK_MAX_BYTES,
    pack_name,
    pack_refs,
    write_packed,
)
from hdmf_lindi.storage.reference_map import atomic_write_bytes

if TYPE_CHECKING:
    from hdmf_lindi.storage.containers.abc import BlobWriter
    from hdmf_lindi.storage.reference_map import ReferenceMap

__all__ = ["StagedFile", "StagingArea"]


@dataclass(frozen=True, slots=True)
class StagedFile:
    """One file in a staging area: its path relative to the area, absolute path and size."""

    relpath: str
    path: str
    size: int


class StagingArea:
    """A directory of staged blobs. Create one with :meth:`create`.

    Parameters
    ----------
    directory
        The staging directory (created on first write).

    Examples
    --------
    >>> with StagingArea.create(base_dir="lindi_staging") as staging_area:  # doctest: +SKIP
    ...     store = LindiStore.open(url, mode="r+", staging_area=staging_area)
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._directory = os.path.abspath(os.fspath(directory))

    @classmethod
    def create(cls, base_dir: str | os.PathLike[str]) -> StagingArea:
        """A new staging area in a fresh subdirectory (``<timestamp>-<random>``) of
        ``base_dir``."""
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
        directory = os.path.join(os.fspath(base_dir), f"{stamp}-{secrets.token_hex(4)}")
        os.makedirs(directory, exist_ok=False)
        return cls(directory)

    @property
    def directory(self) -> str:
        """Absolute path of the staging directory."""
        return self._directory

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cleanup()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StagingArea) and self._directory == other._directory

    def __hash__(self) -> int:
        return hash(self._directory)

    def __repr__(self) -> str:
        return f"StagingArea({self._directory!r})"

    def cleanup(self) -> None:
        """Delete the staging directory and everything in it."""
        shutil.rmtree(self._directory, ignore_errors=True)

    # ------------------------------------------------------------------ staging
    def get_full_path(self, relpath: str) -> str:
        """Absolute path of ``relpath`` inside the area (refusing paths that leave it)."""
        path = os.path.normpath(os.path.join(self._directory, relpath))
        if os.path.isabs(relpath) or not path.startswith(self._directory + os.sep):
            raise LindiSecurityError(f"{self._directory}: {relpath!r} leaves the staging area")
        return path

    def store_file(self, relpath: str, value: bytes) -> str:
        """Write ``value`` to ``relpath`` (temporary file + rename).

        Parameters
        ----------
        relpath
            Path inside the staging area (``/``-separated, may not leave it).
        value
            The bytes to write; an existing file at ``relpath`` is replaced.

        Returns
        -------
        str
            The absolute path of the written file.

        Raises
        ------
        LindiSecurityError
            When ``relpath`` would leave the staging area.
        LindiSourceError
            When the file cannot be written.
        """
        path = self.get_full_path(relpath)
        try:
            atomic_write_bytes(path, bytes(value))
        except OSError as exc:
            raise LindiSourceError(f"{path}: cannot write staged file ({exc})") from exc
        return path

    def write_blob(self, key: str, data: bytes) -> list[Any]:
        """Stage the chunk of Zarr key ``key``.

        A key written again gets a new file (``<key>.v2``, ...), so refs already handed out
        keep naming the bytes they named.

        Parameters
        ----------
        key
            Zarr key of the chunk, e.g. ``"acquisition/es/data/0.0"``.
        data
            The encoded chunk.

        Returns
        -------
        list
            The ref value ``[absolute path, 0, len(data)]``.

        Raises
        ------
        LindiSecurityError
            When ``key`` would leave the staging area.
        LindiSourceError
            When the file cannot be written.
        """
        return [self._store_new_file(key, bytes(data)), 0, len(data)]

    def write_blobs(self, items: Sequence[tuple[str, bytes]]) -> list[list[Any]]:
        """Stage many chunks as one file (a pack: their bytes one after another).

        Parameters
        ----------
        items
            ``(Zarr key, encoded chunk)`` pairs; the file is named after the first key.

        Returns
        -------
        list
            One ref value ``[absolute path, offset, size]`` per item, in order.
        """
        path = self._store_new_file(pack_name(items), b"".join(data for _key, data in items))
        return pack_refs(path, items)

    def _store_new_file(self, relpath: str, data: bytes) -> str:
        candidate, version = relpath, 1
        while os.path.lexists(self.get_full_path(candidate)):
            version += 1
            candidate = f"{relpath}.v{version}"
        return self.store_file(candidate, data)

    def staged_files(self) -> list[StagedFile]:
        """Every file in the area, sorted by relative path."""
        out: list[StagedFile] = []
        for root, _dirs, files in os.walk(self._directory):
            for name in files:
                path = os.path.join(root, name)
                if name.startswith(".") and name.endswith(".tmp"):
                    continue
                rel = os.path.relpath(path, self._directory).replace(os.sep, "/")
                out.append(StagedFile(rel, path, os.path.getsize(path)))
        return sorted(out, key=lambda f: f.relpath)

    def contains(self, url: str) -> bool:
        """Whether the ref URL ``url`` names a file in this area."""
        return os.path.isabs(url) and os.path.normpath(url).startswith(self._directory + os.sep)

    def consolidate(self, reference_map: ReferenceMap, blob_writer: BlobWriter) -> int:
        """Copy every staged blob ``reference_map`` refers to into ``blob_writer`` (a
        ``.lindi.d`` / ``.lindi.tar`` container) and point the refs at the copies. The copies
        are packed (:meth:`~BlobWriter.write_blobs`, up to 32 MiB a blob).

        The staged files are left in place (:meth:`cleanup` removes them); the caller saves
        the map.

        Parameters
        ----------
        reference_map
            The map whose refs into this staging area are rewritten in place.
        blob_writer
            Where the blobs go (its :meth:`~BlobWriter.write_blob` returns the new refs).

        Returns
        -------
        int
            The number of refs rewritten.

        Raises
        ------
        LindiSourceError
            When a staged file is missing, unreadable or shorter than its ref says.
        """
        rewritten = 0
        pack: list[tuple[str, bytes]] = []
        pack_bytes = 0

        def write_pack() -> None:
            refs = write_packed(blob_writer, pack)
            for (key, _data), ref in zip(pack, refs, strict=True):
                reference_map.set_raw(key, ref)
            pack.clear()

        for key in list(reference_map.keys()):
            value = reference_map.get_raw(key)
            if not (isinstance(value, list) and value and isinstance(value[0], str)):
                continue
            if not self.contains(value[0]):
                continue
            data = self._read_staged(key, value)
            pack.append((key, data))
            pack_bytes += len(data)
            rewritten += 1
            if pack_bytes >= PACK_MAX_BYTES:
                write_pack()
                pack_bytes = 0
        if pack:
            write_pack()
        return rewritten

    @staticmethod
    def _read_staged(key: str, value: list[Any]) -> bytes:
        path = value[0]
        try:
            with open(path, "rb") as f:
                if len(value) == 3:
                    f.seek(int(value[1]))
                    data = f.read(int(value[2]))
                else:
                    data = f.read()
        except OSError as exc:
            raise LindiSourceError(f"{path}: staged blob of {key!r} unreadable ({exc})") from exc
        if len(value) == 3 and len(data) != int(value[2]):
            raise LindiSourceError(
                f"{path}: staged blob of {key!r} has {len(data)} bytes, expected {value[2]}"
            )
        return data
