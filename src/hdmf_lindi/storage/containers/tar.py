"""``.lindi.tar``: the document and its blobs in one tar archive (lindi 0.4.6's layout).

See :mod:`hdmf_lindi.storage.containers.tar_format` for the byte layout. Reading takes three
range reads whatever the archive's size: the entry (first 1536 bytes), the index, ``lindi.json``.

Crash safety (local writes)
---------------------------
Nothing the live index points at is ever written over. A save writes the new ``lindi.json``
into a spare slot (the previous document's, listed in the index as
``.trash/lindi.json.<offset>``, when it fits; else a member appended past the last indexed
one), then the new index the same way (into the previous index's slot, or appended), makes
both durable (``fsync``), and only then switches: it rewrites the 1024-byte
``.tar_entry.json``, which points at the index, in one write within the file's first page.
Last, the tar headers of the two swapped members are renamed (cosmetic: tar tools then list one
``lindi.json``; LINDI readers go by the index).

An archive made by :meth:`create` in this process (a new file the store puts in place at close,
which no reader has yet) is rewritten in place instead, which keeps lindi 0.4.6's layout.

A kill at any point leaves either the previous state or the new one. (Rewriting a slot in
place would not: Linux stops a write of several pages at a page boundary when the process is
killed, which tore documents into a mix of the old and the new.) Only a failure of the machine
itself during the entry's write could tear it. Saves alternate between two slots of each, so
the archive does not grow with every save.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from hdmf_lindi.errors import LindiFormatError, LindiSourceError
from hdmf_lindi.storage.containers.abc import Container, MemberResolver, pack_name, pack_refs
from hdmf_lindi.storage.containers.directory import blob_name_for_key
from hdmf_lindi.storage.containers.tar_format import (
    BLOCK_SIZE,
    END_OF_ARCHIVE,
    ENTRY_DATA_OFFSET,
    ENTRY_NAME,
    ENTRY_SIZE,
    INDEX_NAME,
    LINDI_JSON_NAME,
    TarMember,
    blocks_for,
    build_header,
    encode_entry,
    encode_index,
    pad_json,
    padded_size,
    parse_entry,
    parse_index,
    validate_members,
)
from hdmf_lindi.storage.reference_map import ReferenceMap, atomic_write_bytes
from hdmf_lindi.storage.sources.abc import ContainerMember

_IOV_MAX = 1024
"""Buffers per ``pwritev`` call (Linux's IOV_MAX)."""

if TYPE_CHECKING:
    from hdmf_lindi.storage.sources.router import SourceRouter

__all__ = ["TarContainer"]


class TarContainer(Container):
    """A ``.lindi.tar`` archive, local (read/write) or remote (read-only)."""

    kind: ClassVar[str] = "tar"

    def __init__(self, location: str | os.PathLike[str]) -> None:
        super().__init__(location)
        self._members: list[TarMember] = []
        self._by_name: dict[str, TarMember] = {}
        self._index: TarMember | None = None
        self._end = 0
        self._fd: int | None = None
        self._unpublished = False
        """Made by :meth:`create` in this process: no reader has it yet (the store writes a new
        file beside its target and puts it in place at close), so its slots are rewritten in
        place; an archive that was loaded is only ever switched atomically."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fd"] = None
        return state

    # ------------------------------------------------------------------ reading
    @property
    def base_url(self) -> str:
        return self.location

    @property
    def member_resolver(self) -> MemberResolver:
        return self.resolve_member

    @property
    def members(self) -> list[TarMember]:
        """The indexed members, in index order (read-only view; do not modify)."""
        return list(self._members)

    def resolve_member(self, url: str) -> ContainerMember | None:
        """``"./blobs/a/0"`` -> where member ``blobs/a/0`` is (archive location, data offset,
        size), or ``None`` when there is no such member."""
        if not url.startswith("./"):
            return None
        member = self._by_name.get(url[2:])
        if member is None:
            return None
        return ContainerMember(self.location, member.data_offset, member.size)

    def exists(self) -> bool:
        return self.is_remote or os.path.isfile(self.location)

    async def load(self, router: SourceRouter) -> ReferenceMap:
        self._unpublished = False
        head = await router.read(self.location, 0, ENTRY_DATA_OFFSET + ENTRY_SIZE)
        if head[257:262] != b"ustar" or not head.startswith(ENTRY_NAME.encode() + b"\0"):
            raise LindiFormatError(
                f"{self.location}: not a .lindi.tar (the first member must be {ENTRY_NAME})"
            )
        index = parse_entry(head[ENTRY_DATA_OFFSET:], source=self.location)
        index_data = await router.read(self.location, index.data_offset, index.size)
        members = parse_index(index_data, source=f"{self.location}:{INDEX_NAME}")
        file_size = None if self.is_remote else os.path.getsize(self.location)
        validate_members(members, file_size=file_size, source=f"{self.location}:{INDEX_NAME}")
        self._set_members(members)
        self._index = self._by_name.get(INDEX_NAME, index)
        document = self._by_name.get(LINDI_JSON_NAME)
        if document is None:
            raise LindiFormatError(f"{self.location}: the index lists no {LINDI_JSON_NAME}")
        data = await router.read(self.location, document.data_offset, document.size)
        return ReferenceMap.from_bytes(
            data.rstrip(b" \0"), source=f"{self.location}:{LINDI_JSON_NAME}"
        )

    def _set_members(self, members: list[TarMember]) -> None:
        self._members = members
        self._by_name = {}
        for member in members:
            self._by_name.setdefault(member.name, member)
        self._end = max((m.end for m in members), default=0)

    # ------------------------------------------------------------------ writing
    @property
    def blob_writer(self) -> TarContainer:
        return self

    def create(self, reference_map: ReferenceMap) -> None:
        self._check_local_writable()
        self.close()
        document = reference_map.dumps()
        entry = TarMember(ENTRY_NAME, 0, ENTRY_DATA_OFFSET, ENTRY_SIZE)
        index_offset = ENTRY_DATA_OFFSET + ENTRY_SIZE
        index_size = padded_size(1)
        while True:
            index = TarMember(INDEX_NAME, index_offset, index_offset + BLOCK_SIZE, index_size)
            json_offset = index.end
            lindi = TarMember(
                LINDI_JSON_NAME, json_offset, json_offset + BLOCK_SIZE, padded_size(len(document))
            )
            index_content = encode_index([entry, index, lindi])
            if padded_size(len(index_content)) <= index_size:
                break
            index_size = padded_size(len(index_content))
        parts = [
            build_header(ENTRY_NAME, ENTRY_SIZE),
            encode_entry(index),
            build_header(INDEX_NAME, index.size),
            pad_json(index_content, index.size),
            build_header(LINDI_JSON_NAME, lindi.size),
            pad_json(document, lindi.size),
            END_OF_ARCHIVE,
        ]
        try:
            atomic_write_bytes(self.location, b"".join(parts))
        except OSError as exc:
            raise LindiSourceError(f"{self.location}: cannot write ({exc})") from exc
        self._set_members([entry, index, lindi])
        self._index = index
        self._unpublished = True

    def write_blob(self, key: str, data: bytes) -> list[Any]:
        """Append one chunk as member ``blobs/<key>`` (``.v2``, ... when that name is taken)."""
        self._check_local_writable()
        name = self._free_name(blob_name_for_key(key, source=self.location))
        member = self._append(name, bytes(data))
        return [f"./{member.name}", 0, member.size]

    def write_blobs(self, items: Sequence[tuple[str, bytes]]) -> list[list[Any]]:
        """Append many chunks as one member ``blobs/<pack name>``; refs are byte ranges of it
        (lindi 0.4.6 reads ``["./blobs/...", offset, size]`` the same way)."""
        self._check_local_writable()
        name = self._free_name(blob_name_for_key(pack_name(items), source=self.location))
        member = self._append_parts(name, [data for _key, data in items])
        return pack_refs(f"./{member.name}", items)

    def _free_name(self, name: str) -> str:
        candidate, version = name, 1
        while candidate in self._by_name:
            version += 1
            candidate = f"{name}.v{version}"
        return candidate

    def save(self, reference_map: ReferenceMap) -> None:
        self._check_local_writable()
        if self._index is None:
            raise LindiSourceError(f"{self.location}: save() before load() or create()")
        document = reference_map.dumps()
        current = self._by_name[LINDI_JSON_NAME]
        if self._unpublished and len(document) <= current.size:
            self._pwrite(current.data_offset, pad_json(document, current.size))
            written = current
        else:
            self._rename_in_index(current, _trash_name(current))
            written = self._write_spare(LINDI_JSON_NAME, document, live=current)
        old_index, new_index = self._write_index()
        swapped = {id(m): m for m in (current, written, old_index, new_index)}
        if len(swapped) > 1:
            for member in swapped.values():
                self._pwrite(member.header_offset, build_header(member.name, member.size))
            self._sync()

    def _write_spare(self, name: str, content: bytes, *, live: TarMember) -> TarMember:
        """Write ``content`` as member ``name``: into the largest unused slot of that name
        (``.trash/<name>.<offset>``, other than ``live``, the slot the durable index names)
        when it fits, else appended. Its tar header keeps its old name until the caller
        renames it."""
        spares = [
            m for m in self._members if m.name.startswith(f".trash/{name}.") and m is not live
        ]
        spare = max(spares, key=lambda m: m.size, default=None)
        if spare is not None and len(content) <= spare.size:
            self._pwrite(spare.data_offset, pad_json(content, spare.size))
            self._rename_in_index(spare, name)
            return spare
        return self._append(name, pad_json(content, padded_size(len(content))))

    def _write_index(self) -> tuple[TarMember, TarMember]:
        """Write the index of the members into a spare slot, make everything durable, then
        point the entry at it. Returns the old and the new index members."""
        assert self._index is not None
        old = self._index
        if self._unpublished:
            content = encode_index(self._members)
            if len(content) <= old.size:
                self._pwrite(old.data_offset, pad_json(content, old.size))
                self._sync()
                return old, old
        self._rename_in_index(old, _trash_name(old))
        spares = [m for m in self._members if m.name.startswith(f".trash/{INDEX_NAME}.")]
        spare = max((m for m in spares if m is not old), key=lambda m: m.size, default=None)
        new: TarMember | None = None
        if spare is not None:
            trash_name = spare.name
            self._rename_in_index(spare, INDEX_NAME)
            content = encode_index(self._members)
            if len(content) <= spare.size:
                self._pwrite(spare.data_offset, pad_json(content, spare.size))
                new = spare
            else:
                self._rename_in_index(spare, trash_name)
        if new is None:
            size = padded_size(len(encode_index(self._members)) + BLOCK_SIZE)
            while True:
                candidate = TarMember(INDEX_NAME, self._end, self._end + BLOCK_SIZE, size)
                content = encode_index([*self._members, candidate])
                if len(content) <= size:
                    break
                size = padded_size(len(content))
            new = self._append(INDEX_NAME, pad_json(content, size))
        self._sync()
        self._pwrite(ENTRY_DATA_OFFSET, encode_entry(new))
        self._sync()
        self._index = new
        return old, new

    def _rename_in_index(self, member: TarMember, new_name: str) -> None:
        if self._by_name.get(member.name) is member:
            del self._by_name[member.name]
        member.name = new_name
        self._by_name.setdefault(new_name, member)

    def _append(self, name: str, data: bytes) -> TarMember:
        return self._append_parts(name, [data])

    def _append_parts(self, name: str, parts: Sequence[bytes]) -> TarMember:
        """Append a member whose content is ``parts`` one after another (written with
        ``pwritev``, never joined in memory), followed by the end-of-archive marker."""
        size = sum(len(part) for part in parts)
        offset = self._end
        member = TarMember(name, offset, offset + BLOCK_SIZE, size)
        padding = b"\0" * (blocks_for(size) - size)
        self._pwritev(offset, [build_header(name, size), *parts, padding + END_OF_ARCHIVE])
        self._members.append(member)
        self._by_name[name] = member
        self._end = member.end
        return member

    def _pwritev(self, offset: int, buffers: Sequence[bytes]) -> None:
        if not hasattr(os, "pwritev"):  # not on every platform
            self._pwrite(offset, b"".join(buffers))
            return
        fd = self._file()
        views = [memoryview(b) for b in buffers if len(b)]
        i = 0
        try:
            while i < len(views):
                written = os.pwritev(fd, views[i : i + _IOV_MAX], offset)
                offset += written
                while written:  # past whole buffers, then into a partly written one
                    if written >= len(views[i]):
                        written -= len(views[i])
                        i += 1
                    else:
                        views[i] = views[i][written:]
                        written = 0
        except OSError as exc:
            raise LindiSourceError(f"{self.location}: write failed ({exc})") from exc

    def _file(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.location, os.O_RDWR)
            except OSError as exc:
                raise LindiSourceError(f"{self.location}: cannot open for writing ({exc})") from exc
        return self._fd

    def _pwrite(self, offset: int, data: bytes) -> None:
        fd = self._file()
        view = memoryview(data)
        try:
            while view:
                written = os.pwrite(fd, view, offset)
                view = view[written:]
                offset += written
        except OSError as exc:
            raise LindiSourceError(f"{self.location}: write failed ({exc})") from exc

    def _sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _trash_name(member: TarMember) -> str:
    """The index name of a superseded ``lindi.json`` or index slot (kept for reuse)."""
    return f".trash/{member.name}.{member.header_offset}"
