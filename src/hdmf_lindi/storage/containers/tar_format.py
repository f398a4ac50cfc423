"""Byte-level pieces of the ``.lindi.tar`` layout (as lindi 0.4.6 writes it).

* A POSIX ustar archive of 512-byte blocks; every member header has mode 0644, uid/gid 0,
  mtime 0, empty user/group names.
* Member 1 is ``.tar_entry.json``: exactly 1024 bytes (data at offset 512) holding
  ``{"index": {"n": ".tar_index.json", "o": <header offset>, "d": <data offset>, "s": <size>}}``
  padded with spaces.
* ``.tar_index.json`` lists every member as ``{"n", "o", "d", "s"}`` under ``"files"``, padded
  with spaces so it can be rewritten in place while it fits.
* ``lindi.json`` holds the document, padded the same way; blobs are ``blobs/<zarr key>``.
* Padded sizes start at 8192 bytes and double until they are at least four times the content.
"""

from __future__ import annotations

from typing import Any

from hdmf_lindi import _json
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError

__all__ = [
    "BLOCK_SIZE",
    "END_OF_ARCHIVE",
    "ENTRY_DATA_OFFSET",
    "ENTRY_NAME",
    "ENTRY_SIZE",
    "INDEX_NAME",
    "INITIAL_PADDED_SIZE",
    "LINDI_JSON_NAME",
    "TarMember",
    "blocks_for",
    "build_header",
    "check_member_name",
    "encode_entry",
    "encode_index",
    "pad_json",
    "padded_size",
    "parse_entry",
    "parse_header_name",
    "parse_index",
    "validate_members",
]

BLOCK_SIZE = 512
END_OF_ARCHIVE = b"\0" * (2 * BLOCK_SIZE)
ENTRY_NAME = ".tar_entry.json"
ENTRY_SIZE = 1024
ENTRY_DATA_OFFSET = BLOCK_SIZE
INDEX_NAME = ".tar_index.json"
LINDI_JSON_NAME = "lindi.json"
INITIAL_PADDED_SIZE = 8192
_MIB = 1 << 20
_LARGE_DOCUMENT_BYTES = _MIB
_USTAR_MAGIC = b"ustar\x0000"


class TarMember:
    """One member of the index: name, header offset, data offset, size."""

    __slots__ = ("data_offset", "header_offset", "name", "size")

    def __init__(self, name: str, header_offset: int, data_offset: int, size: int) -> None:
        self.name = name
        self.header_offset = header_offset
        self.data_offset = data_offset
        self.size = size

    def to_json(self) -> dict[str, Any]:
        """The ``{"n", "o", "d", "s"}`` form used in ``.tar_index.json``."""
        return {"d": self.data_offset, "n": self.name, "o": self.header_offset, "s": self.size}

    @property
    def end(self) -> int:
        """Offset just past the member's data, rounded up to a whole block."""
        return self.data_offset + blocks_for(self.size)

    def __repr__(self) -> str:
        offsets = f"o={self.header_offset}, d={self.data_offset}, s={self.size}"
        return f"TarMember({self.name!r}, {offsets})"


def blocks_for(size: int) -> int:
    """``size`` rounded up to a multiple of the block size."""
    return (size + BLOCK_SIZE - 1) // BLOCK_SIZE * BLOCK_SIZE


def padded_size(content_size: int, initial: int = INITIAL_PADDED_SIZE) -> int:
    """The slot size of a growing JSON member: lindi 0.4.6's (the smallest power of two from
    ``initial`` up that holds four times the content) for documents up to 1 MiB; above that,
    twice the content in whole MiB (a 10 MB document of chunk refs would otherwise take a
    64 MB slot). A document that outgrows its slot moves to a new one at the end."""
    if content_size > _LARGE_DOCUMENT_BYTES:
        return -(-2 * content_size // _MIB) * _MIB
    total = initial
    while total < content_size * 4:
        total *= 2
    return total


def pad_json(content: bytes, size: int) -> bytes:
    """``content`` followed by spaces up to ``size`` bytes."""
    if len(content) > size:
        raise ValueError(f"{len(content)} bytes do not fit in a {size}-byte slot")
    return content + b" " * (size - len(content))


def _split_name(name: str) -> tuple[bytes, bytes]:
    encoded = name.encode("utf-8")
    if len(encoded) <= 100:
        return encoded, b""
    # ustar: a name of up to 255 bytes is split at a '/' into prefix (155) + name (100)
    for i in range(len(encoded) - 1, -1, -1):
        if encoded[i : i + 1] == b"/" and i <= 155 and len(encoded) - i - 1 <= 100:
            return encoded[i + 1 :], encoded[:i]
    raise LindiUnsupportedError(f"tar member name too long for the ustar format: {name!r}")


def build_header(name: str, size: int) -> bytes:
    """A 512-byte ustar header for a regular file (mode 0644, uid/gid 0, mtime 0)."""
    short, prefix = _split_name(name)
    header = bytearray(BLOCK_SIZE)
    header[0 : len(short)] = short
    header[100:108] = b"0000644\0"
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = f"{size:011o}".encode() + b"\0"
    header[136:148] = b"00000000000\0"
    header[148:156] = b" " * 8
    header[156:157] = b"0"
    header[257:265] = _USTAR_MAGIC
    header[345 : 345 + len(prefix)] = prefix
    checksum = sum(header)
    header[148:156] = f"{checksum:06o}".encode() + b"\0 "
    return bytes(header)


def parse_header_name(header: bytes) -> str:
    """The member name in a ustar header (prefix + name)."""
    name = header[0:100].split(b"\0", 1)[0]
    prefix = header[345:500].split(b"\0", 1)[0] if header[257:262] == b"ustar" else b""
    full = prefix + b"/" + name if prefix else name
    return full.decode("utf-8")


def encode_entry(index: TarMember) -> bytes:
    """The 1024-byte ``.tar_entry.json`` content pointing at ``index``."""
    return pad_json(_json.dumps({"index": index.to_json()}), ENTRY_SIZE)


def parse_entry(data: bytes, *, source: str) -> TarMember:
    """Parse ``.tar_entry.json``: where the index is.

    Raises
    ------
    LindiFormatError
        When the entry is not the JSON object described above, or its member is invalid
        (see :func:`validate_members`).
    """
    try:
        info = _json.loads(data.rstrip(b" \0"))
    except ValueError as exc:
        raise LindiFormatError(f"{source}: invalid .tar_entry.json ({exc})") from exc
    if not isinstance(info, dict) or not isinstance(info.get("index"), dict):
        raise LindiFormatError(f"{source}: invalid .tar_entry.json (no 'index' object)")
    member = _member(info["index"], source=f"{source}: .tar_entry.json")
    if member.name != INDEX_NAME:
        raise LindiFormatError(
            f"{source}: .tar_entry.json names {member.name!r}, expected {INDEX_NAME!r}"
        )
    return member


def _member(value: Any, *, source: str) -> TarMember:
    if not isinstance(value, dict):
        raise LindiFormatError(f"{source}: a member must be an object, got {str(value)[:80]}")
    name, header, data, size = (value.get(k) for k in ("n", "o", "d", "s"))
    if (
        not isinstance(name, str)
        or not isinstance(header, int)
        or not isinstance(data, int)
        or not isinstance(size, int)
        or not all(type(v) is int and v >= 0 for v in (header, data, size))  # no bools
    ):
        raise LindiFormatError(
            f"{source}: a member needs a string 'n' and non-negative integers 'o', 'd', 's': "
            f"{str(value)[:120]}"
        )
    return TarMember(name, header, data, size)


def check_member_name(name: str, *, source: str) -> None:
    """Refuse a member name that could leave the archive when extracted, or confuse a
    reader: empty, absolute, with a ``..`` or empty component, a backslash or a NUL.

    Raises
    ------
    LindiFormatError
        When ``name`` is not a plain relative path.
    """
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise LindiFormatError(f"{source}: invalid tar member name {name!r}")


def validate_members(members: list[TarMember], *, file_size: int | None, source: str) -> None:
    """Check an index against the archive: plain relative names, headers on block
    boundaries and before their data, no two members overlapping and, when ``file_size`` is
    known, every member inside the file (a writer appends past the last member: an index
    claiming a member at 5 GB would make it write there).

    Raises
    ------
    LindiFormatError
        Naming the first member that breaks a rule.
    """
    for member in members:
        check_member_name(member.name, source=source)
        gap = member.data_offset - member.header_offset
        if member.header_offset % BLOCK_SIZE or gap < BLOCK_SIZE or gap % BLOCK_SIZE:
            raise LindiFormatError(
                f"{source}: member {member.name!r}: header at {member.header_offset} and data "
                f"at {member.data_offset} are not whole blocks apart"
            )
        if file_size is not None and member.data_offset + member.size > file_size:
            raise LindiFormatError(
                f"{source}: member {member.name!r} ({member.size} bytes at "
                f"{member.data_offset}) lies past the end of the archive ({file_size} bytes)"
            )
    previous: TarMember | None = None
    for member in sorted(members, key=lambda m: m.header_offset):
        if previous is not None and member.header_offset < previous.data_offset + previous.size:
            raise LindiFormatError(
                f"{source}: members {previous.name!r} and {member.name!r} overlap"
            )
        previous = member


def encode_index(members: list[TarMember]) -> bytes:
    """Unpadded ``.tar_index.json`` content."""
    return _json.dumps({"files": [m.to_json() for m in members]})


def parse_index(data: bytes, *, source: str) -> list[TarMember]:
    """Parse ``.tar_index.json`` into members, in order (see :func:`validate_members` for the
    checks against the archive).

    Raises
    ------
    LindiFormatError
        When the index is not ``{"files": [{"n", "o", "d", "s"}, ...]}`` with a string name
        and non-negative integer offsets and size in each entry.
    """
    try:
        document = _json.loads(data.rstrip(b" \0"))
    except ValueError as exc:
        raise LindiFormatError(f"{source}: invalid .tar_index.json ({exc})") from exc
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list):
        raise LindiFormatError(f"{source}: invalid .tar_index.json (no 'files' list)")
    return [_member(f, source=source) for f in files]
