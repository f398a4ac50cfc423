"""The model of a ``.lindi.json`` document: a kerchunk-style reference file system.

A document is ``{"version": 1, "refs": {...}, "templates": {...}, "generationMetadata": {...}}``.
Each ref maps a Zarr key to one of

* a JSON object (or array): the content of a metadata key such as ``.zattrs``;
* a string: inline bytes, either ``"base64:<data>"`` or text whose UTF-8 encoding is the bytes;
* ``[url]``: the whole object at ``url``;
* ``[url, offset, size]``: ``size`` bytes of ``url`` starting at ``offset``.

URLs may use templates (``"{{u1}}"``); they are substituted when a ref is read and chosen again
on dump, so every ref the map hands out holds a plain URL.

Loading checks the document's shape and every key; each ref's value is checked when it is first
read (:meth:`ReferenceMap.get_raw`, :meth:`~ReferenceMap.resolve`,
:meth:`~ReferenceMap.get_json`), and all of them at once before the map is changed or dumped
(:meth:`ReferenceMap.validate`). A malformed value raises ``LindiFormatError`` naming the
document and the key, whichever comes first.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import operator
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any

from hdmf_lindi import _json
from hdmf_lindi.errors import LindiFormatError, LindiSourceError

__all__ = [
    "METADATA_KEY_NAMES",
    "InlineRef",
    "ReferenceMap",
    "ResolvedRef",
    "UrlRef",
    "atomic_write_bytes",
    "is_metadata_key",
]

METADATA_KEY_NAMES = frozenset({".zgroup", ".zarray", ".zattrs", ".zmetadata", "zarr.json"})
_METADATA_SUFFIXES = tuple(sorted(METADATA_KEY_NAMES))
_TEMPLATE_PATTERN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_BASE64_PREFIX = "base64:"

type RefValue = dict[str, Any] | list[Any] | str


@dataclass(frozen=True, slots=True)
class InlineRef:
    """Bytes held in the document itself."""

    data: bytes


@dataclass(frozen=True, slots=True)
class UrlRef:
    """A byte range of a file or object elsewhere. ``size`` is ``None`` for the whole object."""

    url: str
    offset: int = 0
    size: int | None = None


type ResolvedRef = InlineRef | UrlRef


def is_metadata_key(key: str) -> bool:
    """Whether ``key`` names Zarr metadata (``.zarray``, ``.zattrs``, ``zarr.json``, ...)."""
    # the suffix test first: it rules out chunk keys (nearly every key) cheaply
    return key.endswith(_METADATA_SUFFIXES) and key.rsplit("/", 1)[-1] in METADATA_KEY_NAMES


def encode_inline_bytes(data: bytes) -> str:
    """Encode bytes as a ref string: plain text when ASCII, else ``base64:``."""
    if data.isascii() and not data.startswith(b"base64:"):
        return data.decode("ascii")
    return _BASE64_PREFIX + base64.b64encode(data).decode("ascii")


def decode_inline_string(value: str, *, key: str = "?", source: str = "?") -> bytes:
    """Decode a string ref (``base64:`` or text) into bytes."""
    if value.startswith(_BASE64_PREFIX):
        try:
            return base64.b64decode(value[len(_BASE64_PREFIX) :], validate=True)
        except binascii.Error as exc:
            raise LindiFormatError(f"{source}: ref {key!r}: invalid base64 data ({exc})") from exc
    return value.encode("utf-8")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename,
    so that a reader sees either the old file or the new one, never a half-written one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, _file_mode_for(target))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _file_mode_for(target: Path) -> int:
    """The mode a rewritten file gets: the existing file's, else what ``open()`` would give."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class ReferenceMap:
    """An in-memory reference file system, loaded from or dumped to a ``.lindi.json`` document.

    Parameters
    ----------
    refs
        Zarr key -> ref value, with templates already expanded.
    generation_metadata
        Free-form provenance (tool, version, source, creation time).
    source
        Where the map came from, used in error messages.
    """

    __slots__ = (
        "_children",
        "_expansions",
        "_lazy_templates",
        "_refs",
        "_revision",
        "generation_metadata",
        "source",
    )

    def __init__(
        self,
        refs: Mapping[str, RefValue] | None = None,
        *,
        generation_metadata: dict[str, Any] | None = None,
        source: str = "<memory>",
    ) -> None:
        self._refs: dict[str, RefValue] = dict(refs or {})
        # templated URL as loaded -> the plain URL it stands for; refs read through _expanded
        self._expansions: dict[str, str] = {}
        # not None: the refs are a loaded document's, unchecked; each is checked (and its URL
        # expanded with these templates) when read, all of them by validate()
        self._lazy_templates: Mapping[str, str] | None = None
        self.generation_metadata = generation_metadata
        self.source = source
        self._children: dict[str, set[str]] | None = None
        self._revision = 0

    @property
    def revision(self) -> int:
        """A counter bumped by every change (set or delete): lets owners tell whether the map
        changed since they last saved it."""
        return self._revision

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dict(
        cls, document: Mapping[str, Any], *, source: str = "<dict>", _owned: bool = False
    ) -> ReferenceMap:
        """Build a map from a parsed ``.lindi.json`` document.

        The document's shape and every key are checked here; each ref's value when it is
        read, or all of them by :meth:`validate` (see the module's docstring).

        Parameters
        ----------
        document
            ``{"version": 1, "refs": {...}, "templates": {...}}`` (templates are expanded), or a
            kerchunk version 0 document (the refs themselves).
        source
            Where the document came from, for error messages.
        _owned
            Internal: the document was parsed for this call and nobody else holds it, so its
            ``refs`` dict and ref lists are adopted instead of copied.

        Returns
        -------
        ReferenceMap
            The map, its keys checked.

        Raises
        ------
        LindiFormatError
            When the document or a key is malformed.
        """
        if not isinstance(document, Mapping):
            raise LindiFormatError(f"{source}: a LINDI document is a JSON object")
        if "refs" in document:
            version = document.get("version", 1)
            if version != 1:
                raise LindiFormatError(
                    f"{source}: unsupported reference file system version {version!r}"
                )
            refs = document["refs"]
            if not isinstance(refs, Mapping):
                raise LindiFormatError(f"{source}: 'refs' must be a JSON object")
            templates = document.get("templates") or {}
            if not isinstance(templates, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in templates.items()
            ):
                raise LindiFormatError(f"{source}: 'templates' must map names to strings")
            generation_metadata = document.get("generationMetadata")
        else:
            # kerchunk version 0: the document is the refs
            refs, templates, generation_metadata = document, {}, None
        if generation_metadata is not None and not isinstance(generation_metadata, dict):
            raise LindiFormatError(f"{source}: 'generationMetadata' must be a JSON object")
        reference_map = cls(generation_metadata=generation_metadata, source=source)
        # adopted, not copied by __init__: a million refs cost a second dict otherwise
        reference_map._refs = _keys_checked(refs, source, in_place=_owned)
        reference_map._lazy_templates = templates
        return reference_map

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "<bytes>") -> ReferenceMap:
        """Parse a ``.lindi.json`` document and check its shape and keys (see :meth:`from_dict`).

        Parameters
        ----------
        data
            The JSON text, as bytes.
        source
            Where the bytes came from, for error messages.

        Returns
        -------
        ReferenceMap
            The map, its keys checked.

        Raises
        ------
        LindiFormatError
            When ``data`` is not JSON or not a valid LINDI document (see :meth:`from_dict`).
        """
        try:
            document = _json.loads(data)
        except ValueError as exc:
            raise LindiFormatError(f"{source}: not a valid JSON document ({exc})") from exc
        return cls.from_dict(document, source=source, _owned=True)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReferenceMap:
        """Read a local ``.lindi.json`` file.

        Raises
        ------
        LindiSourceError
            When ``path`` is not a readable regular file.
        LindiFormatError
            When its content is not a valid LINDI document.
        """
        source = os.fspath(path)
        try:
            # non-blocking: opening a FIFO would otherwise wait for a writer
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise LindiSourceError(f"{source}: not a regular file")
                data = f.read()
        except OSError as exc:
            if isinstance(exc, LindiSourceError):
                raise
            raise LindiSourceError(f"{source}: cannot read: {exc.strerror or exc}") from exc
        return cls.from_bytes(data, source=source)

    # ------------------------------------------------------------------ dumping
    def to_dict(self, *, use_templates: bool = True) -> dict[str, Any]:
        """The document as a JSON-ready dict. Repeated URLs become templates ``u1``, ``u2``, ...
        numbered by first use in sorted key order.

        Raises
        ------
        LindiFormatError
            When a ref of a loaded document is malformed (see :meth:`validate`).
        """
        self.validate()
        refs: dict[str, Any] = {}
        templates: dict[str, str] = {}
        if use_templates:
            counts: dict[str, int] = {}
            for key in sorted(self._refs):
                value = self._expanded(key, self._refs[key])
                if _is_url_ref(key, value):
                    url = value[0]  # type: ignore[index]
                    counts[url] = counts.get(url, 0) + 1
            by_url: dict[str, str] = {}
            for url, n in counts.items():
                if n > 1:
                    name = f"u{len(by_url) + 1}"
                    by_url[url] = name
                    templates[name] = url
        else:
            by_url = {}
        for key in sorted(self._refs):
            value = self._expanded(key, self._refs[key])
            if by_url and _is_url_ref(key, value) and value[0] in by_url:  # type: ignore[index]
                value = ["{{" + by_url[value[0]] + "}}", *value[1:]]  # type: ignore[index]
            refs[key] = value
        document: dict[str, Any] = {"version": 1, "refs": refs}
        if templates:
            document["templates"] = templates
        if self.generation_metadata is not None:
            document["generationMetadata"] = self.generation_metadata
        return document

    def dumps(self, *, use_templates: bool = True) -> bytes:
        """The document as compact JSON bytes with sorted keys (deterministic)."""
        return _json.dumps(self.to_dict(use_templates=use_templates))

    def write(self, path: str | os.PathLike[str], *, use_templates: bool = True) -> None:
        """Write the document to a local file atomically (temporary file + rename).

        Parameters
        ----------
        path
            Local file to create or replace.
        use_templates
            Whether repeated URLs are written as templates (see :meth:`to_dict`).

        Raises
        ------
        OSError
            When the file cannot be written; an existing file is then left unchanged.
        """
        atomic_write_bytes(path, self.dumps(use_templates=use_templates))

    def copy(self) -> ReferenceMap:
        """A copy whose refs can be changed without touching this map (JSON values are
        copied when they are replaced, never mutated in place)."""
        duplicate = ReferenceMap(
            self._refs,
            generation_metadata=(
                dict(self.generation_metadata) if self.generation_metadata is not None else None
            ),
            source=self.source,
        )
        duplicate._expansions = self._expansions
        duplicate._lazy_templates = self._lazy_templates
        return duplicate

    def validate(self) -> None:
        """Check every ref now, as reading each would (a no-op once done).

        Raises
        ------
        LindiFormatError
            When a ref is malformed, naming the document and the first such key.
        """
        if self._lazy_templates is not None:
            self._refs, self._expansions = _validated_refs(
                self._refs, self._lazy_templates, self.source, in_place=True, keys_checked=True
            )
            self._lazy_templates = None

    # ------------------------------------------------------------------ access
    def __contains__(self, key: object) -> bool:
        return key in self._refs

    def __len__(self) -> int:
        return len(self._refs)

    def __iter__(self) -> Iterator[str]:
        return iter(self._refs)

    def keys(self) -> Iterator[str]:
        """All keys, in insertion order."""
        return iter(self._refs)

    def get_raw(self, key: str) -> RefValue | None:
        """The stored ref value (templates expanded), or ``None``.

        The returned object is shared with the map: do not mutate it.

        Raises
        ------
        LindiFormatError
            When the ref, as loaded, is malformed.
        """
        value = self._refs.get(key)
        if self._lazy_templates is not None:
            return self._validated_on_read(key, value)
        if value is None:
            return None
        return self._expanded(key, value) if self._expansions else value

    def get_json(self, key: str) -> Any:
        """The parsed JSON content of a metadata key, or ``None`` when the key is absent.

        The returned object is shared with the map: do not mutate it; use :meth:`set_json`.

        Raises
        ------
        LindiFormatError
            When the ref is malformed or does not hold JSON.
        """
        value = self.get_raw(key)
        if value is None:
            return None
        if isinstance(value, dict):
            return value
        ref = self.resolve(key)
        if isinstance(ref, InlineRef):
            try:
                parsed = _json.loads(ref.data)
            except ValueError as exc:
                raise LindiFormatError(
                    f"{self.source}: metadata key {key!r} does not hold JSON ({exc})"
                ) from exc
            return parsed
        assert ref is not None
        raise LindiFormatError(
            f"{self.source}: metadata key {key!r} points to {ref.url}; expected inline JSON"
        )

    def resolve(self, key: str) -> ResolvedRef | None:
        """The ref at ``key`` as inline bytes or a URL range, or ``None`` when absent."""
        value = self.get_raw(key)
        if value is None:
            return None
        if isinstance(value, str):
            return InlineRef(decode_inline_string(value, key=key, source=self.source))
        if isinstance(value, dict) or is_metadata_key(key):
            return InlineRef(_json.dumps(value))
        if len(value) == 1:
            return UrlRef(value[0])
        return UrlRef(value[0], int(value[1]), int(value[2]))

    # ------------------------------------------------------------------ mutation
    def set_json(self, key: str, value: Any) -> None:
        """Store a metadata object (a JSON-ready dict or list).

        Parameters
        ----------
        key
            Zarr key, e.g. ``"group/.zattrs"``.
        value
            The JSON-ready object; kept as is (callers must not mutate it afterwards).

        Raises
        ------
        LindiFormatError
            When ``value`` holds a NaN or infinite float, which JSON cannot represent, or text
            that is not valid Unicode.
        """
        try:
            _json.check_finite(value, where=f"{self.source}: {key!r}")
            _json.check_text(value, where=f"{self.source}: {key!r}")
        except ValueError as exc:
            raise LindiFormatError(str(exc)) from None
        self._set(key, value)

    def set_inline(self, key: str, data: bytes) -> None:
        """Store bytes inline (text when ASCII, else ``base64:``).

        Parameters
        ----------
        key
            Zarr key, e.g. ``"data/0.0"``.
        data
            The bytes to store in the document.

        Raises
        ------
        LindiFormatError
            When ``key`` is empty or starts with ``/``.
        """
        self._set(key, encode_inline_bytes(bytes(data)))

    def set_url(
        self, key: str, url: str, offset: int | None = None, size: int | None = None
    ) -> None:
        """Store a reference to ``url`` (the whole object, or ``size`` bytes at ``offset``).

        Parameters
        ----------
        key
            Zarr key, e.g. ``"data/0.0"``.
        url
            URL or path of the bytes (relative refs such as ``./blobs/x`` are allowed).
        offset, size
            Byte range within ``url``; both given or both None (the whole object).

        Raises
        ------
        ValueError
            When only one of ``offset`` and ``size`` is given.
        LindiFormatError
            When ``key`` is empty or starts with ``/``.
        """
        if (offset is None) != (size is None):
            raise ValueError("offset and size are given together or not at all")
        self._set(key, [url] if offset is None else [url, int(offset), int(size)])  # type: ignore[arg-type]

    def set_raw(self, key: str, value: RefValue) -> None:
        """Store an already-encoded ref value (validated).

        Parameters
        ----------
        key
            Zarr key.
        value
            A ref value as it appears in ``refs``: a JSON object, an inline string, or
            ``[url]`` / ``[url, offset, size]``.

        Raises
        ------
        LindiFormatError
            When ``key`` or ``value`` is not a valid ref.
        """
        self._set(key, _validated(key, value, {}, self.source))

    def set_byte_ranges(self, items: Iterable[tuple[str, list[Any]]]) -> None:
        """Store many ``[url, offset, size]`` refs at once (e.g. the chunks of a pack).

        Parameters
        ----------
        items
            ``(key, [url, offset, size])`` pairs.

        Raises
        ------
        LindiFormatError
            When a key or a value is not a valid chunk ref.
        """
        for key, value in items:
            if not (
                len(value) == 3
                and isinstance(value[0], str)
                and "{{" not in value[0]
                and type(value[1]) is int
                and type(value[2]) is int
                and value[1] >= 0
                and value[2] >= 0
            ) or is_metadata_key(key):
                self._set(key, _validated(key, value, {}, self.source))
            else:
                self._set(key, value)

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key raises ``KeyError``."""
        del self._refs[key]
        if self._children is not None:
            self._unindex_key(self._children, key)
        self._revision += 1

    def _validated_on_read(self, key: str, value: Any) -> RefValue | None:
        """``value``, the loaded (unchecked) ref at ``key``, checked and expanded."""
        if (
            type(value) is list
            and len(value) == 3
            and type(value[0]) is str
            and type(value[1]) is int
            and type(value[2]) is int
            and value[1] >= 0
            and value[2] >= 0
            and not is_metadata_key(key)
        ):  # a chunk ref, nearly every read: each distinct templated URL is expanded once
            url = value[0]
            if "{{" not in url:
                return value
            plain = self._expansions.get(url)
            if plain is None:
                assert self._lazy_templates is not None
                plain = _expand(url, self._lazy_templates, key, self.source)
                self._expansions = {**self._expansions, url: plain}
            return [plain, value[1], value[2]]
        if value is None and key not in self._refs:
            return None
        assert self._lazy_templates is not None
        return _validated_value(key, value, self._lazy_templates, self.source)

    def _expanded(self, key: str, value: RefValue) -> RefValue:
        """``value`` (the ref stored at ``key``) with its templated URL, if any, substituted."""
        if (
            type(value) is list
            and value
            and type(value[0]) is str
            and value[0] in self._expansions
            and not is_metadata_key(key)
        ):
            return [self._expansions[value[0]], *value[1:]]
        return value

    def _set(self, key: str, value: RefValue) -> None:
        _check_key(key, self.source)
        self.validate()
        if type(value) is list and value and type(value[0]) is str and value[0] in self._expansions:
            # a new ref whose URL is spelled like a loaded template: it means itself, so the
            # loaded refs get their URLs substituted now and the expansion table goes
            self._refs = {k: self._expanded(k, v) for k, v in self._refs.items()}
            self._expansions = {}
        is_new = key not in self._refs
        self._refs[key] = value
        self._revision += 1
        if is_new and self._children is not None:
            self._index_key(self._children, key)

    # ------------------------------------------------------------------ listing
    def list_dir(self, prefix: str) -> list[str]:
        """Names of the keys and 'directories' immediately below ``prefix`` ('' is the root),
        sorted."""
        children = self._child_index()
        return sorted(children.get(prefix.strip("/"), ()))

    def has_dir(self, prefix: str) -> bool:
        """Whether any key lies below ``prefix``."""
        return prefix.strip("/") in self._child_index()

    def list_prefix(self, prefix: str) -> list[str]:
        """All keys starting with ``prefix``, sorted."""
        return sorted(k for k in self._refs if k.startswith(prefix))

    def _child_index(self) -> dict[str, set[str]]:
        if self._children is None:
            index: dict[str, set[str]] = {}
            for key in self._refs:
                self._index_key(index, key)
            self._children = index
        return self._children

    @staticmethod
    def _index_key(index: dict[str, set[str]], key: str) -> None:
        parent, _, name = key.rpartition("/")
        while True:
            siblings = index.setdefault(parent, set())
            if name in siblings:
                return
            siblings.add(name)
            if not parent:
                return
            parent, _, name = parent.rpartition("/")

    def _unindex_key(self, index: dict[str, set[str]], key: str) -> None:
        """Take the deleted ``key`` out of ``index``, and each directory it leaves empty."""
        path = key
        while path not in self._refs and path not in index:  # neither a key nor a directory
            parent, _, name = path.rpartition("/")
            siblings = index.get(parent)
            if siblings is None:
                return
            siblings.discard(name)
            if siblings:
                return
            del index[parent]
            if not parent:
                return
            path = parent


def _check_key(key: str, source: str) -> None:
    if not isinstance(key, str) or not key or key.startswith("/") or "//" in key:
        raise LindiFormatError(f"{source}: invalid key {key!r} (no leading slash, not empty)")


def _is_url_ref(key: str, value: RefValue) -> bool:
    return isinstance(value, list) and not is_metadata_key(key) and len(value) in (1, 3)


def _expand(url: str, templates: Mapping[str, str], key: str, source: str) -> str:
    if "{{" not in url:
        return url

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in templates:
            raise LindiFormatError(f"{source}: ref {key!r} uses undefined template {name!r}")
        return templates[name]

    return _TEMPLATE_PATTERN.sub(substitute, url)


def _validated_refs(
    refs: Mapping[str, Any],
    templates: Mapping[str, str],
    source: str,
    *,
    in_place: bool,
    keys_checked: bool = False,
) -> tuple[dict[str, RefValue], dict[str, str]]:
    """Every ref of a document validated at once; templates are checked, not written back.

    Returns the refs and the expansion of each templated URL they use: a chunk ref keeps its
    ``"{{u1}}..."`` URL and :class:`ReferenceMap` substitutes it when the ref is read (one dict
    lookup), since writing a million expanded URLs back into their refs costs as much as the
    checks.

    Documents hold up to millions of ``[url, offset, size]`` chunk refs naming a few URLs, so
    the checks run in C over all refs at once: the keys on the keys joined into one string
    (:func:`_keys_checked`), the values through ``map``/``set``/``min`` over their fields.
    When that finds anything wrong or unusual (a metadata key holding a JSON array, a ref of
    another shape), every ref is checked again by :func:`_validated`, which names the
    offending key and expands templates in the refs it returns. With ``in_place``, ``refs``
    (a dict) is adopted instead of copied; ``keys_checked`` (with ``in_place``) says that
    :func:`_keys_checked` accepted its keys already.
    """
    if keys_checked and in_place and type(refs) is dict:
        out: dict[str, Any] = refs
    else:
        out = _keys_checked(refs, source, in_place=in_place)
    joined = "\n" + "\n".join(out) + "\n"
    if joined.count("\n") != len(out) + 1:  # a key holds a newline
        return _validated_one_by_one(out, templates, source)
    metadata_keys = list(_metadata_keys_in(joined))
    del joined
    values = list(out.values())
    kinds = set(map(type, values))
    if not kinds <= {list, dict, str} or any(type(out[key]) is list for key in metadata_keys):
        return _validated_one_by_one(out, templates, source)
    lists = list(compress(values, map(list.__instancecheck__, values))) if list in kinds else []
    del values
    lengths = set(map(len, lists))
    if lengths <= {3}:
        chunk_refs, whole_refs = lists, []
    elif lengths <= {1, 3}:
        is_chunk_ref = list(map((3).__eq__, map(len, lists)))
        chunk_refs = list(compress(lists, is_chunk_ref))
        whole_refs = list(compress(lists, map(operator.not_, is_chunk_ref)))
    else:
        return _validated_one_by_one(out, templates, source)
    del lists
    try:  # an unhashable URL (a list, an object) is not a URL
        urls = set(map(itemgetter(0), chunk_refs)) | set(map(itemgetter(0), whole_refs))
    except TypeError:
        return _validated_one_by_one(out, templates, source)
    ok = set(map(type, urls)) <= {str}
    for field in (1, 2):  # offsets, then sizes
        numbers = list(map(itemgetter(field), chunk_refs)) if ok else []
        ok = ok and set(map(type, numbers)) <= {int} and (not numbers or min(numbers) >= 0)
        del numbers
    if not ok:
        return _validated_one_by_one(out, templates, source)
    expansions: dict[str, str] = {}
    for url in urls:
        if "{{" in url:
            try:
                plain = _expand(url, templates, "?", source)
            except LindiFormatError:  # names no key: let the one-by-one check name it
                return _validated_one_by_one(out, templates, source)
            if plain != url:
                expansions[url] = plain
    return out, expansions


def _keys_checked(refs: Mapping[str, Any], source: str, *, in_place: bool) -> dict[str, Any]:
    """``refs`` as a dict (itself when ``in_place`` and it is one; else a copy whose lists are
    copies too), every key checked by :func:`_check_key`, at C speed on the keys joined into
    one string when they hold no newline."""
    out: dict[str, Any] = refs if in_place and type(refs) is dict else dict(refs)
    try:
        joined = "\n" + "\n".join(out)
    except TypeError:  # a key that is not a string
        joined = "\n/"
    if "" in out or "\n/" in joined or "//" in joined or joined.count("\n") != len(out):
        for key in out:  # raises for the first bad key (a key with a newline may be fine)
            _check_key(key, source)
    if not in_place:  # the caller keeps its lists: ours must not change with them
        out = {key: value[:] if type(value) is list else value for key, value in out.items()}
    return out


def _validated_one_by_one(
    refs: Mapping[str, Any], templates: Mapping[str, str], source: str
) -> tuple[dict[str, RefValue], dict[str, str]]:
    """Every ref checked by :func:`_validated`: raises naming the first bad key; the refs it
    returns hold expanded URLs."""
    return {key: _validated(key, value, templates, source) for key, value in refs.items()}, {}


def _metadata_keys_in(joined: str) -> Iterator[str]:
    """The metadata keys among newline-separated keys (``joined`` starts and ends with a
    newline); one ``str.find`` scan per metadata name, as these keys are few."""
    for name in METADATA_KEY_NAMES:
        needle = name + "\n"
        at = joined.find(needle)
        while at >= 0:
            start = joined.rfind("\n", 0, at) + 1
            if start == at or joined[at - 1] == "/":
                yield joined[start : at + len(name)]
            at = joined.find(needle, at + 1)


def _validated(key: str, value: Any, templates: Mapping[str, str], source: str) -> RefValue:
    _check_key(key, source)
    return _validated_value(key, value, templates, source)


def _validated_value(key: str, value: Any, templates: Mapping[str, str], source: str) -> RefValue:
    """``value``, the ref at ``key``, checked and with its templates expanded."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value
    if is_metadata_key(key) and isinstance(value, list):
        return value
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], str):
            return [_expand(value[0], templates, key, source)]
        if (
            len(value) == 3
            and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value[1:])
        ):
            return [_expand(value[0], templates, key, source), value[1], value[2]]
    raise LindiFormatError(
        f"{source}: ref {key!r} is neither inline data nor [url] / [url, offset, size]: "
        f"{str(value)[:120]}"
    )
