"""The unified Zarr v3 conventions (hdmf-zarr 0.14, LINDI, Zindi): Zarr v3 keys.

Keys: ``zarr.json`` at the root, ``a/b/zarr.json`` for every group and array (metadata and
attributes in one document), chunk keys ``a/ds/c/0/1`` (``a/ds/c`` for a scalar). Soft and
external links are entries of the parent group's ``_LINKS``; a scalar dataset is a 0-d array;
references are absolute paths; compound data is a native ``struct``; the dtypes of numeric,
boolean and fixed-width bytes attributes are listed in ``_ATTRIBUTE_DTYPES`` as in LINDI v1
(:mod:`~hdmf_lindi.conventions.attribute_dtypes`). See
``docs/unified-zarr-v3.md`` (the research and the decisions) and ``docs/conventions.md``.

A ``zarr.json`` whose attributes hold a non-finite float is stored as a JSON *string* in the
reference map (bare ``NaN`` inside, as zarr-python writes it): the ``.lindi.json`` document stays
strict JSON while zarr and hdmf-zarr read the bare tokens they expect.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, ClassVar, Final

import numpy as np

from hdmf_lindi import _json
from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.abc import Conventions, MetadataMap
from hdmf_lindi.conventions.attribute_dtypes import (
    decode_attributes,
    merge_attributes,
    recorded_dtypes,
    with_record,
)
from hdmf_lindi.conventions.chunks import region_chunks
from hdmf_lindi.conventions.dataset_info import encode_external_array_link, encode_maxshape
from hdmf_lindi.conventions.inline_arrays import assemble_inline_array
from hdmf_lindi.conventions.metadata_keys import delete_keys_below, join_key
from hdmf_lindi.conventions.model import (
    DatasetInfo,
    ExternalArrayLink,
    ExternalLink,
    Node,
    NodeKind,
    SoftLink,
)
from hdmf_lindi.conventions.v3_chunks import v3_chunk_codec
from hdmf_lindi.conventions.v3_metadata import (
    HIDDEN_ATTRIBUTES,
    LINKS,
    array_metadata_from_info,
    chunk_separator,
    codec_names,
    dataset_info_from_array_metadata,
)
from hdmf_lindi.conventions.v3_values import (
    decode_attr_value_v3,
    decode_values_v3,
    encode_attr_value_v3,
    encode_values_v3,
)
from hdmf_lindi.errors import LindiExistsError, LindiFormatError

__all__ = ["ZARR_JSON", "UnifiedZarrV3Conventions", "store_zarr_json"]

ZARR_JSON: Final = "zarr.json"
_GROUP: Final[Mapping[str, Any]] = {"zarr_format": 3, "node_type": "group", "attributes": {}}
_ARRAY_TO_BYTES: Final = frozenset({"bytes", "vlen-utf8", "vlen-bytes"})


def _source(meta: MetadataMap) -> str:
    return str(getattr(meta, "source", "<map>"))


def _split(zpath: str) -> tuple[str, str]:
    parent, _, name = zpath.rpartition("/")
    return parent, name


@functools.lru_cache(maxsize=8192)
def _zarr_path(path: str) -> str:
    """The checked key prefix of an HDF5 path (cached: the converter asks once per chunk)."""
    parts = [p for p in path.split("/") if p]
    for part in parts:
        if set(part) == {"."} or part.startswith("__") or part == ZARR_JSON:
            raise LindiFormatError(f"invalid path {path!r}: component {part!r} not allowed")
    return "/".join(parts)


def store_zarr_json(meta: MetadataMap, key: str, document: Mapping[str, Any]) -> None:
    """Store a ``zarr.json``: as a JSON object, or as JSON text with bare ``NaN`` /
    ``Infinity`` tokens when it holds non-finite floats (the map stays strict JSON)."""
    try:
        meta.set_json(key, dict(document))  # refuses non-finite floats before storing
        return
    except LindiFormatError:
        try:
            _json.check_finite(document, where=key)
        except ValueError:
            pass  # a NaN or an infinity: stored as text
        else:
            raise
    text = json.dumps(document, allow_nan=True, sort_keys=True, separators=(",", ":"))
    meta.set_inline(key, text.encode("ascii"))


class UnifiedZarrV3Conventions(Conventions):
    """The NWB unified Zarr v3 convention as hdmf-zarr 0.14 reads and writes it, plus the
    hdmf_lindi extensions documented in ``docs/unified-zarr-v3.md`` (``_ENUM_NAMES`` /
    ``_ENUM_VALUES``, ``_MAXSHAPE``, ``_EXTERNAL_ARRAY_LINK``, links to HDF5 files)."""

    name: ClassVar[str] = "unified-zarr-v3"
    zarr_format: ClassVar[int] = 3

    # ------------------------------------------------------------------------------- paths
    def zarr_path(self, path: str) -> str:
        """``"/"`` -> ``""``, ``"/a/b"`` -> ``"a/b"``.

        Raises
        ------
        LindiFormatError
            For components made only of periods, starting with ``__`` (reserved by Zarr v3)
            or named ``zarr.json``.
        """
        if not isinstance(path, str):
            raise LindiFormatError(f"an HDF5 path is a string, got {type(path).__name__}")
        return _zarr_path(path)

    def chunk_key(self, path: str, index: tuple[int, ...]) -> str:
        """``"a/b"`` + ``(1, 2)`` -> ``"a/b/c/1/2"``; a scalar's single chunk is ``"a/b/c"``."""
        zpath = self.zarr_path(path)
        return join_key(zpath, "c/" + "/".join(map(str, index)) if index else "c")

    def stored_chunk_keys(self, meta: MetadataMap, path: str) -> list[str]:
        """The chunk keys present under the array's ``c`` prefix, sorted as strings."""
        zpath = self.zarr_path(path)
        metadata = self._array_metadata(meta, zpath)
        shape = metadata.get("shape") or []
        prefix, _sep = chunk_separator(metadata)
        if not shape:
            key = join_key(zpath, prefix.rstrip("/") or "0")
            return [key] if key in meta else []
        found: list[str] = []
        pending = [(join_key(zpath, prefix.rstrip("/")) if prefix else zpath, 0)]
        while pending:
            current, depth = pending.pop()
            for name in meta.list_dir(current):
                key = join_key(current, name)
                if name == ZARR_JSON:
                    continue
                if depth + 1 == len(shape) or not prefix:
                    if key in meta:
                        found.append(key)
                elif meta.has_dir(key):
                    pending.append((key, depth + 1))
        return sorted(found)

    def codec_ids(self, meta: MetadataMap, path: str) -> list[str]:
        """The bytes-to-bytes codecs of the array, as numcodecs ids (``numcodecs.zlib`` ->
        ``zlib``), in encoding order."""
        metadata = self._array_metadata(meta, self.zarr_path(path))
        return [
            name.removeprefix("numcodecs.")
            for name in codec_names(metadata)
            if name not in _ARRAY_TO_BYTES
        ]

    def _hdf5_path(self, zarr_path: str) -> str:
        return "/" + zarr_path

    def portable_codecs(self, meta: MetadataMap, path: str) -> dict[str, Any] | None:
        """The bytes-to-bytes codecs as numcodecs configurations, for a fixed-size array
        whose array-to-bytes codec is ``bytes`` (``numcodecs.<id>``, ``zstd`` and ``gzip``;
        anything else, e.g. sharding or ``transpose``, gives ``None``)."""
        metadata = self._metadata(meta, self.zarr_path(path))
        if metadata is None or metadata.get("node_type") != "array":
            return None
        if chunk_separator(metadata) != ("c/", "/"):
            return None
        names = codec_names(metadata)
        if not names or names[0] != "bytes":
            return None
        filters: list[dict[str, Any]] = []
        for codec in metadata["codecs"][1:]:
            name = codec if isinstance(codec, str) else codec.get("name")
            config = {} if isinstance(codec, str) else dict(codec.get("configuration") or {})
            if name.startswith("numcodecs."):
                filters.append({"id": name.removeprefix("numcodecs."), **config})
            elif name == "zstd":
                filters.append(
                    {
                        "id": "zstd",
                        "level": int(config.get("level", 0)),
                        "checksum": bool(config.get("checksum", False)),
                    }
                )
            elif name == "gzip":
                filters.append({"id": "gzip", "level": int(config.get("level", 5))})
            else:
                return None
        return {"filters": filters, "compressor": None}

    def chunk_index(self, path: str, key: str) -> tuple[int, ...] | None:
        """``"a/b/c/1/2"`` -> ``(1, 2)``; a scalar's ``"a/b/c"`` -> ``()``."""
        zpath = self.zarr_path(path)
        base = join_key(zpath, "c")
        if key == base:
            return ()
        if not key.startswith(base + "/"):
            return None
        parts = key[len(base) + 1 :].split("/")
        if not all(p.isdigit() for p in parts):
            return None
        return tuple(int(p) for p in parts)

    def _metadata(self, meta: MetadataMap, zpath: str) -> Mapping[str, Any] | None:
        document = meta.get_json(join_key(zpath, ZARR_JSON))
        if document is None:
            return None
        if not isinstance(document, Mapping) or document.get("zarr_format") != 3:
            raise LindiFormatError(
                f"{_source(meta)}: {join_key(zpath, ZARR_JSON)} is not a Zarr v3 zarr.json"
            )
        return document

    def _array_metadata(self, meta: MetadataMap, zpath: str) -> Mapping[str, Any]:
        metadata = self._metadata(meta, zpath)
        if metadata is None or metadata.get("node_type") != "array":
            raise LindiFormatError(f"{_source(meta)}: {self._hdf5_path(zpath)} is not a dataset")
        return metadata

    def _attributes(self, metadata: Mapping[str, Any], where: str) -> Mapping[str, Any]:
        attributes = metadata.get("attributes") or {}
        if not isinstance(attributes, Mapping):
            raise LindiFormatError(f"{where}: 'attributes' must be a JSON object")
        return attributes

    def _links(self, meta: MetadataMap, zpath: str) -> list[Mapping[str, Any]]:
        metadata = self._metadata(meta, zpath)
        if metadata is None or metadata.get("node_type") != "group":
            return []
        links = self._attributes(metadata, _source(meta)).get(LINKS) or []
        if not isinstance(links, list) or not all(
            isinstance(link, Mapping) and isinstance(link.get("name"), str) for link in links
        ):
            raise LindiFormatError(
                f"{_source(meta)}: {self._hdf5_path(zpath)}: {LINKS} must be a list of objects "
                "with a 'name'"
            )
        return links

    def _link(self, meta: MetadataMap, zpath: str) -> Mapping[str, Any] | None:
        if not zpath:
            return None
        parent, name = _split(zpath)
        for link in self._links(meta, parent):
            if link["name"] == name:
                return link
        return None

    # ----------------------------------------------------------------------------- reading
    def read_node(
        self,
        meta: MetadataMap,
        path: str,
        *,
        chunk_reader: Callable[[str], bytes | None] | None = None,
    ) -> Node | None:
        """The node at ``path`` from the metadata alone, or ``None`` when nothing is there
        (``chunk_reader`` is not needed: ``data_type`` and ``_DTYPE`` tell every kind)."""
        zpath = self.zarr_path(path)
        hdf5_path = self._hdf5_path(zpath)
        where = f"{_source(meta)}: {hdf5_path}"
        metadata = self._metadata(meta, zpath)
        if metadata is None:
            if zpath == "" and meta.has_dir(""):
                return Node(path="/", kind=NodeKind.GROUP)
            link = self._link(meta, zpath)
            if link is None:
                return None
            return self._link_node(hdf5_path, link, where)
        attributes = self._attributes(metadata, where)
        node_type = metadata.get("node_type")
        if node_type == "array":
            info = dataset_info_from_array_metadata(metadata, attributes, where=where)
            attrs, inferred = self._decode_attrs(attributes, where)
            return Node(
                path=hdf5_path,
                kind=NodeKind.DATASET,
                attrs=attrs,
                dataset=info,
                inferred_dtypes=inferred,
            )
        if node_type != "group":
            raise LindiFormatError(f"{where}: unknown node_type {node_type!r}")
        attrs, inferred = self._decode_attrs(attributes, where)
        return Node(path=hdf5_path, kind=NodeKind.GROUP, attrs=attrs, inferred_dtypes=inferred)

    def _link_node(self, hdf5_path: str, link: Mapping[str, Any], where: str) -> Node:
        target, source = link.get("path"), link.get("source", ".")
        if not isinstance(target, str) or not isinstance(source, str):
            raise LindiFormatError(f"{where}: a {LINKS} entry needs string 'source' and 'path'")
        if source in (".", ""):
            absolute = target if target.startswith("/") else "/" + target
            return Node(
                path=hdf5_path,
                kind=NodeKind.SOFT_LINK,
                link=SoftLink(absolute, hard=link.get("hard") is True),
            )
        return Node(
            path=hdf5_path,
            kind=NodeKind.EXTERNAL_LINK,
            link=ExternalLink(filename=source, path=target),
        )

    def _decode_attrs(
        self, attributes: Mapping[str, Any], where: str
    ) -> tuple[dict[str, Any], frozenset[str]]:
        """The user attributes with their ``_ATTRIBUTE_DTYPES`` dtypes, and the names of the
        numeric ones without a record that applies (as in lindi-v1: see
        :mod:`~hdmf_lindi.conventions.attribute_dtypes`)."""
        return decode_attributes(
            attributes, reserved=HIDDEN_ATTRIBUTES, decode=decode_attr_value_v3, where=where
        )

    def list_children(self, meta: MetadataMap, path: str) -> list[str]:
        """Names of the groups, datasets and links (``_LINKS``) in the group at ``path``."""
        zpath = self.zarr_path(path)
        metadata = self._metadata(meta, zpath)
        if metadata is not None and metadata.get("node_type") != "group":
            return []
        names = {
            name
            for name in meta.list_dir(zpath)
            if name != ZARR_JSON and join_key(join_key(zpath, name), ZARR_JSON) in meta
        }
        names.update(str(link["name"]) for link in self._links(meta, zpath))
        return sorted(names)

    # ----------------------------------------------------------------------------- writing
    def _kind_at(self, meta: MetadataMap, zpath: str) -> str | None:
        metadata = self._metadata(meta, zpath)
        if metadata is not None:
            return "dataset" if metadata.get("node_type") == "array" else "group"
        if self._link(meta, zpath) is not None:
            return "link"
        return None

    def _ensure_parents(self, meta: MetadataMap, zpath: str) -> None:
        parts = zpath.split("/")[:-1] if zpath else []
        prefixes = [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for prefix in prefixes:
            kind = self._kind_at(meta, prefix)
            if kind in ("dataset", "link"):
                raise LindiFormatError(
                    f"{_source(meta)}: cannot create {self._hdf5_path(zpath)}: "
                    f"{self._hdf5_path(prefix)} is a {kind}"
                )
            if kind is None:
                meta.set_json(join_key(prefix, ZARR_JSON), dict(_GROUP, attributes={}))

    def _require_absent(self, meta: MetadataMap, zpath: str) -> None:
        if self._kind_at(meta, zpath) is not None:
            raise LindiExistsError(
                f"{_source(meta)}: an object already exists at {self._hdf5_path(zpath)}"
            )

    def _set_attributes(self, meta: MetadataMap, zpath: str, attributes: dict[str, Any]) -> None:
        key = join_key(zpath, ZARR_JSON)
        metadata = meta.get_json(key)
        store_zarr_json(meta, key, {**metadata, "attributes": attributes})

    def _merge_attrs(
        self,
        merged: dict[str, Any],
        dtypes: dict[str, str],
        attrs: Mapping[str, Any],
        inferred_dtypes: Collection[str],
        where: str,
    ) -> dict[str, Any]:
        """Encode ``attrs`` into ``merged`` and return it with the ``_ATTRIBUTE_DTYPES`` record
        of ``dtypes`` (updated with the dtypes of ``attrs`` not in ``inferred_dtypes``)."""
        merge_attributes(
            merged,
            dtypes,
            attrs,
            encode=encode_attr_value_v3,
            reserved=HIDDEN_ATTRIBUTES,
            inferred_dtypes=inferred_dtypes,
            where=where,
        )
        return with_record(merged, dtypes, reserved=HIDDEN_ATTRIBUTES)

    def write_group(
        self,
        meta: MetadataMap,
        path: str,
        attrs: Mapping[str, Any] | None = None,
        *,
        inferred_dtypes: Collection[str] = (),
    ) -> None:
        """Create (or keep) a group at ``path`` (and missing parents); merge ``attrs``."""
        zpath = self.zarr_path(path)
        self._ensure_parents(meta, zpath)
        kind = self._kind_at(meta, zpath)
        if kind in ("dataset", "link"):
            raise LindiExistsError(f"{_source(meta)}: {self._hdf5_path(zpath)} is a {kind}")
        if kind is None:
            meta.set_json(join_key(zpath, ZARR_JSON), dict(_GROUP, attributes={}))
        if attrs:
            self.write_attrs(meta, path, attrs, inferred_dtypes=inferred_dtypes)

    def write_attrs(
        self,
        meta: MetadataMap,
        path: str,
        attrs: Mapping[str, Any],
        *,
        replace: bool = False,
        inferred_dtypes: Collection[str] = (),
    ) -> None:
        """Encode and store user attributes (merged unless ``replace``); the convention's
        own attributes (``_LINKS``, ``_DTYPE``, ...) are kept. ``inferred_dtypes``: attributes
        written without a dtype record (JSON's natural dtype).

        Raises
        ------
        KeyError
            When no group or dataset is at ``path``.
        LindiFormatError
            When an attribute name is reserved.
        LindiUnsupportedError
            When a value cannot be represented.
        """
        zpath = self.zarr_path(path)
        metadata = self._metadata(meta, zpath)
        if metadata is None:
            raise KeyError(f"{_source(meta)}: no object at {self._hdf5_path(zpath)}")
        where = f"{_source(meta)}: {self._hdf5_path(zpath)}"
        current = self._attributes(metadata, where)
        merged = {k: v for k, v in current.items() if replace is False or k in HIDDEN_ATTRIBUTES}
        dtypes = recorded_dtypes(merged, where=where)
        self._set_attributes(
            meta, zpath, self._merge_attrs(merged, dtypes, attrs, inferred_dtypes, where)
        )

    def delete_attr(self, meta: MetadataMap, path: str, name: str) -> None:
        """Remove one user attribute (``KeyError`` when absent)."""
        zpath = self.zarr_path(path)
        metadata = self._metadata(meta, zpath)
        current = self._attributes(metadata, _source(meta)) if metadata is not None else {}
        where = f"{_source(meta)}: {self._hdf5_path(zpath)}"
        if name in HIDDEN_ATTRIBUTES or name not in current:
            raise KeyError(f"{where} has no attribute {name!r}")
        remaining = {k: v for k, v in current.items() if k != name}
        dtypes = recorded_dtypes(remaining, where=where)
        self._set_attributes(
            meta, zpath, with_record(remaining, dtypes, reserved=HIDDEN_ATTRIBUTES)
        )

    def _add_link(self, meta: MetadataMap, zpath: str, entry: dict[str, Any]) -> None:
        if not zpath:
            raise LindiFormatError(f"{_source(meta)}: the root cannot be a link")
        self._require_absent(meta, zpath)
        self._ensure_parents(meta, zpath)
        parent, _name = _split(zpath)
        metadata = self._metadata(meta, parent)
        assert metadata is not None
        attributes = dict(self._attributes(metadata, _source(meta)))
        attributes[LINKS] = [*self._links(meta, parent), entry]
        self._set_attributes(meta, parent, attributes)

    def write_soft_link(
        self, meta: MetadataMap, path: str, target: str, *, hard: bool = False
    ) -> None:
        """An entry ``{"name", "source": ".", "path": target}`` in the parent's ``_LINKS``
        (with ``"hard": true`` for a second name of an object; hdmf-zarr ignores it)."""
        zpath = self.zarr_path(path)
        if not isinstance(target, str) or not target.startswith("/"):
            raise LindiFormatError(
                f"{_source(meta)}: soft link target must be absolute: {target!r}"
            )
        entry: dict[str, Any] = {"name": _split(zpath)[1], "source": ".", "path": target}
        if hard:
            entry["hard"] = True
        self._add_link(meta, zpath, entry)

    def write_external_link(self, meta: MetadataMap, path: str, filename: str, target: str) -> None:
        """An entry ``{"name", "source": filename, "path": target}`` in the parent's
        ``_LINKS``. hdmf-zarr opens ``source`` as a Zarr store; a link to an HDF5 file (what
        the HDF5 converter writes) is read by hdmf_lindi only."""
        zpath = self.zarr_path(path)
        if not isinstance(filename, str) or not filename:
            raise LindiFormatError(f"{_source(meta)}: external link needs a file name")
        if not isinstance(target, str) or not target:
            raise LindiFormatError(f"{_source(meta)}: external link needs a target path")
        self._add_link(meta, zpath, {"name": _split(zpath)[1], "source": filename, "path": target})

    def write_dataset(
        self,
        meta: MetadataMap,
        path: str,
        info: DatasetInfo,
        attrs: Mapping[str, Any] | None = None,
        *,
        codecs: Mapping[str, Any] | None = None,
        inferred_dtypes: Collection[str] = (),
    ) -> dict[str, Any]:
        """Write the array ``zarr.json`` of a dataset (user attributes of an existing one are
        kept and merged with ``attrs``; chunks are left; ``inferred_dtypes`` as for
        :meth:`write_attrs`).

        ``codecs``: LINDI v1 style ``{"filters": [...], "compressor": {...}}`` numcodecs
        configurations (written as ``numcodecs.<id>`` codecs) or ``{"codecs": [...]}``; see
        :func:`~hdmf_lindi.conventions.v3_metadata.array_metadata_from_info`. Returns the
        ``zarr.json`` written.
        """
        zpath = self.zarr_path(path)
        where = f"{_source(meta)}: {self._hdf5_path(zpath)}"
        if not zpath:
            raise LindiFormatError(f"{where}: the root cannot be a dataset")
        kind = self._kind_at(meta, zpath)
        if kind in ("group", "link"):
            raise LindiExistsError(f"{where}: a {kind} already exists there")
        self._ensure_parents(meta, zpath)
        metadata, special = array_metadata_from_info(info, codecs=codecs, where=where)
        previous = self._metadata(meta, zpath)
        current = self._attributes(previous, where) if previous is not None else {}
        merged = {k: v for k, v in current.items() if k not in HIDDEN_ATTRIBUTES}
        dtypes = {k: v for k, v in recorded_dtypes(current, where=where).items() if k in merged}
        merged = self._merge_attrs(merged, dtypes, attrs or {}, inferred_dtypes, where)
        merged.update(special)
        document = {**metadata, "attributes": merged}
        store_zarr_json(meta, join_key(zpath, ZARR_JSON), document)
        return document

    def grow_dataset(self, meta: MetadataMap, path: str, shape: tuple[int, ...]) -> None:
        """Rewrite ``shape`` in the array's ``zarr.json``."""
        zpath = self.zarr_path(path)
        metadata = self._array_metadata(meta, zpath)
        old = tuple(int(n) for n in metadata["shape"])
        if len(shape) != len(old) or any(n < o for n, o in zip(shape, old, strict=True)):
            raise ValueError(f"{path}: cannot grow from {old} to {shape}")
        store_zarr_json(
            meta, join_key(zpath, ZARR_JSON), {**metadata, "shape": [int(n) for n in shape]}
        )

    def set_external_array_link(
        self, meta: MetadataMap, path: str, link: ExternalArrayLink | None
    ) -> None:
        """Write (``None``: remove) ``_EXTERNAL_ARRAY_LINK`` in the array's attributes."""
        zpath = self.zarr_path(path)
        attributes = dict(self._attributes(self._array_metadata(meta, zpath), _source(meta)))
        if link is None:
            attributes.pop(keys.EXTERNAL_ARRAY_LINK, None)
        else:
            attributes[keys.EXTERNAL_ARRAY_LINK] = encode_external_array_link(link)
        self._set_attributes(meta, zpath, attributes)

    def set_maxshape(self, meta: MetadataMap, path: str, maxshape: tuple[int | None, ...]) -> None:
        """Write ``_MAXSHAPE`` in the array's attributes."""
        zpath = self.zarr_path(path)
        attributes = dict(self._attributes(self._array_metadata(meta, zpath), _source(meta)))
        attributes[keys.MAXSHAPE] = encode_maxshape(maxshape)
        self._set_attributes(meta, zpath, attributes)

    def delete_node(self, meta: MetadataMap, path: str) -> None:
        """Remove the link entry, or every key of the object at ``path`` and below."""
        zpath = self.zarr_path(path)
        if not zpath:
            raise LindiFormatError(f"{_source(meta)}: the root cannot be deleted")
        kind = self._kind_at(meta, zpath)
        if kind == "link":
            parent, name = _split(zpath)
            metadata = self._metadata(meta, parent)
            assert metadata is not None
            attributes = dict(self._attributes(metadata, _source(meta)))
            remaining = [link for link in self._links(meta, parent) if link["name"] != name]
            if remaining:
                attributes[LINKS] = remaining
            else:
                attributes.pop(LINKS, None)
            self._set_attributes(meta, parent, attributes)
            return
        if kind is None and not meta.has_dir(zpath):
            raise KeyError(f"{_source(meta)}: no object at {self._hdf5_path(zpath)}")
        delete_keys_below(meta, zpath)

    # ------------------------------------------------------------------------------ values
    def encode_region(
        self, meta: MetadataMap, path: str, start: tuple[int, ...], stored: np.ndarray
    ) -> Iterator[tuple[str, bytes]] | None:
        """Chunks of a block aligned to the chunk grid, encoded without zarr (``None`` for
        pipelines :mod:`~hdmf_lindi.conventions.v3_chunks` does not implement)."""
        zpath = self.zarr_path(path)
        metadata = self._metadata(meta, zpath)
        if metadata is None or metadata.get("node_type") != "array":
            return None
        codec = v3_chunk_codec(metadata)
        if codec is None:
            return None
        prefix = f"{zpath}/" if zpath else ""
        shape = tuple(int(n) for n in metadata["shape"])
        return region_chunks(
            shape,
            codec.chunk_shape,
            start,
            np.asarray(stored),
            codec.encode,
            lambda index: codec.key(prefix, index),
        )

    def read_inline_array(
        self, meta: MetadataMap, path: str, *, max_bytes: int
    ) -> np.ndarray | None:
        """Small arrays whose chunks are all inline, decoded from the map without zarr."""
        zpath = self.zarr_path(path)
        metadata = self._metadata(meta, zpath)
        if metadata is None or metadata.get("node_type") != "array":
            return None
        codec = v3_chunk_codec(metadata)
        if codec is None:
            return None
        shape = tuple(int(n) for n in metadata["shape"])
        if codec.dtype.itemsize * int(np.prod(shape)) > max_bytes:
            return None
        prefix = f"{zpath}/" if zpath else ""
        where = _source(meta)
        return assemble_inline_array(
            meta,
            shape,
            codec.chunk_shape,
            lambda: codec.filled(shape),
            lambda index: codec.key(prefix, index),
            lambda data, key: codec.decode(data, key=f"{where}: {key}"),
        )

    def encode_values(self, info: DatasetInfo, values: np.ndarray) -> np.ndarray:
        """h5py-facing values -> stored values (see :mod:`hdmf_lindi.conventions.v3_values`)."""
        return encode_values_v3(info, values)

    def decode_values(self, info: DatasetInfo, stored: np.ndarray) -> np.ndarray:
        """Stored values -> h5py-facing values (scalar datasets come back as 0-d arrays)."""
        return decode_values_v3(info, stored)

    def encode_attr_value(self, value: Any) -> Any:
        """An attribute value as Zarr v3 JSON (see :mod:`hdmf_lindi.conventions.v3_values`)."""
        return encode_attr_value_v3(value)

    def decode_attr_value(self, value: Any) -> Any:
        """A Zarr v3 JSON attribute value as h5py would return it."""
        return decode_attr_value_v3(value)
