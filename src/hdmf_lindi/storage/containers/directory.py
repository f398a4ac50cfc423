"""``.lindi.d``: a directory holding ``lindi.json`` and ``blobs/<zarr key>`` files.

Chunk refs are ``["./blobs/<key>", 0, size]``, relative to the directory (the layout lindi
0.4.6 writes and reads).

Crash safety: a blob is written to a temporary file and renamed into place; a chunk that is
written again goes to a new file (``<key>.v2``, ``.v3``, ... as lindi 0.4.6 names them) so the
saved ``lindi.json`` never points at changed bytes; ``lindi.json`` is replaced by rename; files
no longer referenced are removed only at the writer's :meth:`~DirectoryContainer.close`, after
the last ``lindi.json`` is in place (readers that loaded an earlier one keep working until then).

Writes and deletes never go through a symbolic link inside the directory (``blobs/x`` ->
elsewhere): :class:`~hdmf_lindi.errors.LindiSecurityError`. Reads may follow them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from hdmf_lindi.errors import LindiFormatError, LindiSecurityError, LindiSourceError
from hdmf_lindi.storage.containers.abc import Container, pack_name, pack_refs
from hdmf_lindi.storage.reference_map import ReferenceMap, atomic_write_bytes

if TYPE_CHECKING:
    from hdmf_lindi.storage.sources.router import SourceRouter

__all__ = ["DOCUMENT_NAME", "DirectoryContainer", "blob_name_for_key"]

DOCUMENT_NAME = "lindi.json"
BLOBS_DIR = "blobs"


def blob_name_for_key(key: str, *, source: str) -> str:
    """``blobs/<key>`` for a Zarr key, refusing keys that would leave the blobs directory."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise LindiSecurityError(f"{source}: key {key!r} cannot be stored as a blob file")
    return f"{BLOBS_DIR}/{key}"


class DirectoryContainer(Container):
    """A ``.lindi.d`` directory, local (read/write) or remote (read-only)."""

    kind: ClassVar[str] = "directory"

    def __init__(self, location: str | os.PathLike[str]) -> None:
        super().__init__(location)
        if self.is_remote:
            self._location = self._location.rstrip("/")
        self._forgotten: set[str] = set()
        self._doomed: set[str] = set()

    @property
    def base_url(self) -> str:
        # a trailing slash tells the router this is the directory itself
        return self.location + "/"

    @property
    def document_location(self) -> str:
        """Path or URL of ``lindi.json``."""
        return f"{self.location}/{DOCUMENT_NAME}"

    @property
    def blob_writer(self) -> DirectoryContainer:
        return self

    def exists(self) -> bool:
        return self.is_remote or os.path.isfile(self.document_location)

    async def load(self, router: SourceRouter) -> ReferenceMap:
        data = await router.read(self.document_location)
        reference_map = ReferenceMap.from_bytes(data, source=self.document_location)
        self.check_refs_stay_inside(reference_map)
        return reference_map

    def check_refs_stay_inside(self, reference_map: ReferenceMap) -> None:
        """Raise :class:`LindiSecurityError` when a relative ref leaves the directory."""
        for key in reference_map:
            value = reference_map.get_raw(key)
            if not isinstance(value, list) or not value or not isinstance(value[0], str):
                continue
            url = value[0]
            if not url.startswith(("./", "../")):
                continue
            normalized = os.path.normpath(url)
            if normalized == ".." or normalized.startswith(("../", "/")) or "\\" in url:
                raise LindiSecurityError(
                    f"{self.document_location}: ref {key!r} -> {url!r} escapes the directory"
                )

    # ------------------------------------------------------------------ writing
    def write_blob(self, key: str, data: bytes) -> list[Any]:
        """Write one chunk as ``blobs/<key>`` (or a new version of it) and return its ref."""
        name = self._write_new_blob(key, bytes(data))
        return [f"./{name}", 0, len(data)]

    def write_blobs(self, items: Sequence[tuple[str, bytes]]) -> list[list[Any]]:
        """Write many chunks as one file ``blobs/<pack name>``; refs are byte ranges of it."""
        name = self._write_new_blob(pack_name(items), b"".join(data for _key, data in items))
        return pack_refs(f"./{name}", items)

    def _write_new_blob(self, key: str, data: bytes) -> str:
        """Write ``blobs/<key>`` (``.v2``, ... when taken; a ref may still name the old bytes)
        and return its name relative to the directory."""
        self._check_local_writable()
        name = blob_name_for_key(key, source=self.location)
        self._check_inside(name)
        path = os.path.join(self.location, name)
        version = 1
        candidate, candidate_path = name, path
        while os.path.lexists(candidate_path):
            version += 1
            candidate = f"{name}.v{version}"
            candidate_path = f"{path}.v{version}"
        try:
            atomic_write_bytes(candidate_path, data)
        except OSError as exc:
            raise LindiSourceError(f"{candidate_path}: cannot write blob ({exc})") from exc
        return candidate

    def _check_inside(self, name: str) -> None:
        """Refuse to write or delete ``name`` (relative to the directory) through a symbolic
        link: every directory between the container and the file must be a real one."""
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            directory = os.path.join(self.location, *parts[:depth])
            if os.path.islink(directory):
                raise LindiSecurityError(
                    f"{self.location}: {'/'.join(parts[:depth])} is a symbolic link; refusing to "
                    f"write or delete {name} through it (outside the container)"
                )

    def forget_blob(self, ref: Any) -> None:
        if isinstance(ref, list) and ref and isinstance(ref[0], str):
            url = ref[0]
            if url.startswith(f"./{BLOBS_DIR}/"):
                self._forgotten.add(url)

    def create(self, reference_map: ReferenceMap) -> None:
        self._check_local_writable()
        if os.path.exists(self.location):
            if not os.path.isdir(self.location):
                raise LindiSourceError(f"{self.location}: exists and is not a directory")
            entries = set(os.listdir(self.location))
            if entries and DOCUMENT_NAME not in entries:
                raise LindiSourceError(
                    f"{self.location}: refusing to replace a non-empty directory that is not a "
                    f".lindi.d (no {DOCUMENT_NAME})"
                )
        os.makedirs(self.location, exist_ok=True)
        self._forgotten.clear()
        self._doomed.clear()
        # the old blobs go only once the new lindi.json is in place: a crash in between
        # leaves unreferenced files, never a lindi.json pointing at deleted ones
        self.save(reference_map)
        self._remove_stale_blobs(reference_map)

    def save(self, reference_map: ReferenceMap) -> None:
        self._check_local_writable()
        self.check_refs_stay_inside(reference_map)
        try:
            atomic_write_bytes(self.document_location, reference_map.dumps())
        except OSError as exc:
            raise LindiSourceError(f"{self.document_location}: cannot write ({exc})") from exc
        if self._forgotten or self._doomed:
            referenced = self._referenced_urls(reference_map)
            self._doomed = (self._doomed | self._forgotten) - referenced
            self._forgotten.clear()

    def close(self) -> None:
        """Delete the blobs that the last saved document no longer names. Readers that loaded
        an earlier document may still read them until now: deletions wait for the writer's
        close, not for each save."""
        doomed, self._doomed = self._doomed, set()
        for url in sorted(doomed):
            try:
                name = url[2:]
                blob_name_for_key(name[len(BLOBS_DIR) + 1 :], source=self.location)
                self._check_inside(name)
                os.unlink(os.path.join(self.location, name))
            except (FileNotFoundError, LindiSecurityError, LindiFormatError):
                pass

    @staticmethod
    def _referenced_urls(reference_map: ReferenceMap) -> set[str]:
        referenced: set[str] = set()
        for key in reference_map:
            value = reference_map.get_raw(key)
            if isinstance(value, list) and value and isinstance(value[0], str):
                referenced.add(value[0])
        return referenced

    def _remove_stale_blobs(self, reference_map: ReferenceMap) -> None:
        """Delete every file under ``blobs/`` that ``reference_map`` does not name."""
        blobs_root = os.path.join(self.location, BLOBS_DIR)
        if os.path.islink(blobs_root) or not os.path.isdir(blobs_root):
            return  # a symbolic link leads outside the container: never delete through it
        referenced = self._referenced_urls(reference_map)
        if not any(url.startswith(f"./{BLOBS_DIR}/") for url in referenced):
            shutil.rmtree(blobs_root, ignore_errors=True)
            return
        for dir_path, _dir_names, file_names in os.walk(blobs_root, topdown=False):
            for file_name in file_names:
                file_path = os.path.join(dir_path, file_name)
                relative = os.path.relpath(file_path, self.location).replace(os.sep, "/")
                if f"./{relative}" not in referenced:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(file_path)
            with contextlib.suppress(OSError):
                os.rmdir(dir_path)  # only succeeds once empty
