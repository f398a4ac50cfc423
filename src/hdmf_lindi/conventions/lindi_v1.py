"""The LINDI v1 conventions: today's LINDI layout, Zarr v2 keys, compatible with lindi 0.4.6.

Keys: ``.zgroup``/``.zattrs`` at the root, ``a/b/.zgroup``, ``a/ds/.zarray``, ``a/ds/.zattrs``,
chunk keys ``a/ds/0.0`` (dimension separator ``.``). HDF5 features Zarr lacks are special
attributes (see :mod:`hdmf_lindi.conventions.keys` and ``docs/conventions.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

import numpy as np
from numcodecs.compat import ensure_bytes

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.abc import Conventions, MetadataMap
from hdmf_lindi.conventions.attribute_dtypes import (
    decode_attributes,
    merge_attributes,
    recorded_dtypes,
    with_record,
)
from hdmf_lindi.conventions.chunks import encode_region_chunks, get_codec
from hdmf_lindi.conventions.dataset_info import encode_external_array_link, encode_maxshape
from hdmf_lindi.conventions.dataset_values import decode_values, encode_values
from hdmf_lindi.conventions.datasets import (
    dataset_info_from_zarray,
    object_codec_id,
    zarray_from_dataset_info,
)
from hdmf_lindi.conventions.metadata_keys import delete_keys_below, join_key
from hdmf_lindi.conventions.model import (
    DatasetInfo,
    ExternalArrayLink,
    ExternalLink,
    Node,
    NodeKind,
    SoftLink,
)
from hdmf_lindi.conventions.values import decode_attr_value, encode_attr_value
from hdmf_lindi.errors import LindiExistsError, LindiFormatError
from hdmf_lindi.storage.reference_map import METADATA_KEY_NAMES, InlineRef

__all__ = ["ChunkReader", "LindiV1Conventions"]

ZGROUP: dict[str, Any] = {"zarr_format": 2}

type ChunkReader = Callable[[str], bytes | None]
"""Reads the stored bytes of a chunk key (``None`` when absent)."""


@runtime_checkable
class _ResolvingMap(Protocol):
    def resolve(self, key: str) -> Any: ...


CHUNK_KEY_SEPARATOR: Final = "."
"""Zarr v2's default ``dimension_separator``, the only one lindi 0.4.6 writes."""


def _source(meta: MetadataMap) -> str:
    return str(getattr(meta, "source", "<map>"))


class LindiV1Conventions(Conventions):
    """Today's LINDI layout (Zarr v2 keys), as lindi 0.4.6 reads and writes it, plus the
    documented hdmf_lindi additions (``_EXTERNAL_LINK``, ``_ENUM_NAMES``/``_ENUM_VALUES``,
    ``_MAXSHAPE``)."""

    name: ClassVar[str] = "lindi-v1"
    zarr_format: ClassVar[int] = 2

    # ------------------------------------------------------------------------------- paths
    def zarr_path(self, path: str) -> str:
        """``"/"`` -> ``""``, ``"/a/b"`` -> ``"a/b"`` (relative paths are taken from the root).

        Raises
        ------
        LindiFormatError
            For ``.``/``..`` components and names that are Zarr metadata keys.
        """
        if not isinstance(path, str):
            raise LindiFormatError(f"an HDF5 path is a string, got {type(path).__name__}")
        parts = [p for p in path.split("/") if p]
        for part in parts:
            if part in (".", "..") or part in METADATA_KEY_NAMES:
                raise LindiFormatError(f"invalid path {path!r}: component {part!r} not allowed")
        return "/".join(parts)

    def chunk_key(self, path: str, index: tuple[int, ...]) -> str:
        """``"a/b"`` + ``(1, 2)`` -> ``"a/b/1.2"``: Zarr v2 keys with lindi's ``"."``
        dimension separator; a scalar's single chunk is ``"0"``."""
        name = CHUNK_KEY_SEPARATOR.join(map(str, index)) if index else "0"
        return join_key(self.zarr_path(path), name)

    def stored_chunk_keys(self, meta: MetadataMap, path: str) -> list[str]:
        """The keys beside ``.zarray`` that hold chunks, sorted as strings."""
        zpath = self.zarr_path(path)
        return [
            join_key(zpath, name)
            for name in meta.list_dir(zpath)
            if not name.startswith(".") and name not in METADATA_KEY_NAMES
        ]

    def codec_ids(self, meta: MetadataMap, path: str) -> list[str]:
        """The ids of ``.zarray``'s filters, then its compressor."""
        zpath = self.zarr_path(path)
        zarray = meta.get_json(join_key(zpath, ".zarray"))
        if not isinstance(zarray, Mapping):
            raise LindiFormatError(f"{_source(meta)}: {self._hdf5_path(zpath)} is not a dataset")
        filters = zarray.get("filters")
        codecs = [*(filters if isinstance(filters, list) else []), zarray.get("compressor")]
        return [str(c.get("id")) for c in codecs if isinstance(c, Mapping)]

    def _hdf5_path(self, zarr_path: str) -> str:
        return "/" + zarr_path

    def portable_codecs(self, meta: MetadataMap, path: str) -> dict[str, Any] | None:
        """``.zarray``'s filters and compressor, for a C-order array of a fixed-size dtype."""
        zarray = meta.get_json(join_key(self.zarr_path(path), ".zarray"))
        if not isinstance(zarray, Mapping) or zarray.get("order", "C") != "C":
            return None
        if not isinstance(zarray.get("dtype"), str) or zarray["dtype"] in ("|O", "object"):
            return None
        if object_codec_id(zarray) is not None:
            return None
        return {
            "filters": [dict(f) for f in zarray.get("filters") or []],
            "compressor": dict(zarray["compressor"]) if zarray.get("compressor") else None,
        }

    def chunk_index(self, path: str, key: str) -> tuple[int, ...] | None:
        """``"a/b/1.2"`` -> ``(1, 2)`` (a scalar's ``"a/b/0"`` -> ``(0,)``, its stored index)."""
        zpath = self.zarr_path(path)
        prefix = f"{zpath}/" if zpath else ""
        if not key.startswith(prefix):
            return None
        name = key[len(prefix) :]
        parts = name.replace("/", CHUNK_KEY_SEPARATOR).split(CHUNK_KEY_SEPARATOR)
        if not all(p.isdigit() for p in parts):
            return None
        return tuple(int(p) for p in parts)

    # ----------------------------------------------------------------------------- reading
    def read_node(
        self, meta: MetadataMap, path: str, *, chunk_reader: ChunkReader | None = None
    ) -> Node | None:
        """The node at ``path`` from the metadata alone, or ``None`` when nothing is there.

        Parameters
        ----------
        meta
            The reference map.
        path
            HDF5 path.
        chunk_reader
            Used only for ``json2`` object arrays without ``_COMPOUND_DTYPE`` whose first
            chunk is not inline: reads that chunk to tell a reference dataset from a string
            dataset. Without it (or when the chunk is absent), such a dataset is reported as a
            string dataset; :meth:`decode_values` still returns :class:`Reference` objects
            for its ``_REFERENCE`` elements.
        """
        zpath = self.zarr_path(path)
        where = f"{_source(meta)}: {zpath or '/'}"
        zarray = meta.get_json(join_key(zpath, ".zarray"))
        zattrs = meta.get_json(join_key(zpath, ".zattrs")) or {}
        if not isinstance(zattrs, Mapping):
            raise LindiFormatError(f"{where}/.zattrs: must be a JSON object")
        hdf5_path = self._hdf5_path(zpath)
        if zarray is not None:
            if not isinstance(zarray, Mapping):
                raise LindiFormatError(f"{where}/.zarray: must be a JSON object")
            first_is_reference = False
            if (
                object_codec_id(zarray) == "json2"
                and keys.COMPOUND_DTYPE not in zattrs
                and keys.DTYPE not in zattrs
            ):
                first_is_reference = self._first_is_reference(meta, zpath, zarray, chunk_reader)
            info = dataset_info_from_zarray(
                zarray, zattrs, first_is_reference=first_is_reference, where=f"{where}/.zarray"
            )
            attrs, inferred = self._decode_attrs(zattrs, where)
            return Node(
                path=hdf5_path,
                kind=NodeKind.DATASET,
                attrs=attrs,
                dataset=info,
                inferred_dtypes=inferred,
            )
        if join_key(zpath, ".zgroup") not in meta and not (zpath == "" and meta.has_dir("")):
            return None
        if keys.SOFT_LINK in zattrs:
            target = zattrs[keys.SOFT_LINK]
            if not isinstance(target, Mapping) or not isinstance(target.get("path"), str):
                raise LindiFormatError(f"{where}: {keys.SOFT_LINK} needs a string 'path'")
            return Node(
                path=hdf5_path,
                kind=NodeKind.SOFT_LINK,
                link=SoftLink(target["path"], hard=target.get("hard") is True),
            )
        if keys.EXTERNAL_LINK in zattrs:
            target = zattrs[keys.EXTERNAL_LINK]
            if (
                not isinstance(target, list)
                or len(target) != 2
                or not all(isinstance(x, str) and x for x in target)
            ):
                raise LindiFormatError(
                    f"{where}: {keys.EXTERNAL_LINK} must be [file, path] (two strings)"
                )
            return Node(
                path=hdf5_path,
                kind=NodeKind.EXTERNAL_LINK,
                link=ExternalLink(filename=target[0], path=target[1]),
            )
        attrs, inferred = self._decode_attrs(zattrs, where)
        return Node(path=hdf5_path, kind=NodeKind.GROUP, attrs=attrs, inferred_dtypes=inferred)

    def _decode_attrs(
        self, zattrs: Mapping[str, Any], where: str
    ) -> tuple[dict[str, Any], frozenset[str]]:
        """The user attributes with their recorded dtypes, and the names of the numeric ones
        without a record that applies (see :mod:`~hdmf_lindi.conventions.attribute_dtypes`)."""
        return decode_attributes(
            zattrs, reserved=keys.SPECIAL_ATTRIBUTE_KEYS, decode=decode_attr_value, where=where
        )

    def _first_is_reference(
        self,
        meta: MetadataMap,
        zpath: str,
        zarray: Mapping[str, Any],
        chunk_reader: ChunkReader | None,
    ) -> bool:
        shape = zarray.get("shape") or []
        if not shape or 0 in shape:
            return False
        separator = zarray.get("dimension_separator") or "."
        key = join_key(zpath, separator.join(["0"] * len(shape)))
        data: bytes | None = None
        if isinstance(meta, _ResolvingMap):
            ref = meta.resolve(key)
            if isinstance(ref, InlineRef):
                data = ref.data
        if data is None and chunk_reader is not None:
            data = chunk_reader(key)
        if data is None:
            return False
        return _json2_chunk_starts_with_reference(zarray, data)

    def list_children(self, meta: MetadataMap, path: str) -> list[str]:
        """Names of the groups, datasets and links in the group at ``path``, sorted."""
        zpath = self.zarr_path(path)
        out = []
        for name in meta.list_dir(zpath):
            if name in METADATA_KEY_NAMES:
                continue
            child = join_key(zpath, name)
            if join_key(child, ".zgroup") in meta or join_key(child, ".zarray") in meta:
                out.append(name)
        return out

    # ----------------------------------------------------------------------------- writing
    def _kind_at(self, meta: MetadataMap, zpath: str) -> str | None:
        if join_key(zpath, ".zarray") in meta:
            return "dataset"
        if join_key(zpath, ".zgroup") in meta:
            return "group"
        return None

    def _ensure_parents(self, meta: MetadataMap, zpath: str) -> None:
        parts = zpath.split("/")[:-1] if zpath else []
        prefixes = [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for prefix in prefixes:
            kind = self._kind_at(meta, prefix)
            if kind == "dataset":
                raise LindiFormatError(
                    f"{_source(meta)}: cannot create {self._hdf5_path(zpath)}: "
                    f"{self._hdf5_path(prefix)} is a dataset"
                )
            if kind is None:
                meta.set_json(join_key(prefix, ".zgroup"), dict(ZGROUP))

    def _require_absent(self, meta: MetadataMap, zpath: str) -> None:
        if self._kind_at(meta, zpath) is not None:
            raise LindiExistsError(
                f"{_source(meta)}: an object already exists at {self._hdf5_path(zpath)}"
            )

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
        if kind == "dataset":
            raise LindiExistsError(f"{_source(meta)}: {self._hdf5_path(zpath)} is a dataset")
        if kind is None:
            meta.set_json(join_key(zpath, ".zgroup"), dict(ZGROUP))
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
        """Encode and store user attributes (merged unless ``replace``); special ones kept.
        ``inferred_dtypes``: attributes written without a dtype record (JSON's natural dtype).

        Raises
        ------
        KeyError
            When nothing is at ``path``.
        LindiFormatError
            When an attribute name is one of the special LINDI keys.
        LindiUnsupportedError
            When a value cannot be represented (see :mod:`hdmf_lindi.conventions.values`).
        """
        zpath = self.zarr_path(path)
        if self._kind_at(meta, zpath) is None:
            raise KeyError(f"{_source(meta)}: no object at {self._hdf5_path(zpath)}")
        where = f"{_source(meta)}: {self._hdf5_path(zpath)}"
        current = meta.get_json(join_key(zpath, ".zattrs")) or {}
        merged: dict[str, Any] = {
            k: v for k, v in current.items() if replace is False or k in keys.SPECIAL_ATTRIBUTE_KEYS
        }
        dtypes = recorded_dtypes(merged, where=where)
        self._merge_user_attrs(merged, dtypes, attrs, inferred_dtypes, where)
        self._store_attrs(meta, zpath, merged, dtypes)

    def _merge_user_attrs(
        self,
        merged: dict[str, Any],
        dtypes: dict[str, str],
        attrs: Mapping[str, Any],
        inferred_dtypes: Collection[str],
        where: str,
    ) -> None:
        """Encode ``attrs`` into ``merged`` and their dtypes into ``dtypes``."""
        merge_attributes(
            merged,
            dtypes,
            attrs,
            encode=encode_attr_value,
            reserved=keys.SPECIAL_ATTRIBUTE_KEYS,
            inferred_dtypes=inferred_dtypes,
            where=where,
        )

    def _store_attrs(
        self,
        meta: MetadataMap,
        zpath: str,
        attrs: dict[str, Any],
        dtypes: Mapping[str, str] | None = None,
    ) -> None:
        """Store ``.zattrs`` with the ``_ATTRIBUTE_DTYPES`` record of ``dtypes`` (``None``:
        keep the record in ``attrs`` as it is, for the attributes still there)."""
        if dtypes is None:
            dtypes = recorded_dtypes(attrs, where=f"{_source(meta)}: {self._hdf5_path(zpath)}")
        with_record(attrs, dtypes, reserved=keys.SPECIAL_ATTRIBUTE_KEYS)
        key = join_key(zpath, ".zattrs")
        if attrs:
            meta.set_json(key, attrs)
        elif key in meta:
            meta.delete(key)

    def delete_attr(self, meta: MetadataMap, path: str, name: str) -> None:
        """Remove one user attribute (``KeyError`` when absent)."""
        zpath = self.zarr_path(path)
        current = meta.get_json(join_key(zpath, ".zattrs")) or {}
        if name in keys.SPECIAL_ATTRIBUTE_KEYS or name not in current:
            raise KeyError(f"{_source(meta)}: {self._hdf5_path(zpath)} has no attribute {name!r}")
        self._store_attrs(meta, zpath, {k: v for k, v in current.items() if k != name})

    def write_soft_link(
        self, meta: MetadataMap, path: str, target: str, *, hard: bool = False
    ) -> None:
        """A group holding only ``{"_SOFT_LINK": {"path": target}}`` (as lindi 0.4.6), with
        ``"hard": true`` for a second name of an object (lindi 0.4.6 reads only ``path``)."""
        zpath = self.zarr_path(path)
        if not zpath:
            raise LindiFormatError(f"{_source(meta)}: the root cannot be a link")
        self._require_absent(meta, zpath)
        if not isinstance(target, str) or not target.startswith("/"):
            raise LindiFormatError(
                f"{_source(meta)}: soft link target must be absolute: {target!r}"
            )
        self._ensure_parents(meta, zpath)
        meta.set_json(join_key(zpath, ".zgroup"), dict(ZGROUP))
        body: dict[str, Any] = {"path": target, "hard": True} if hard else {"path": target}
        meta.set_json(join_key(zpath, ".zattrs"), {keys.SOFT_LINK: body})

    def write_external_link(self, meta: MetadataMap, path: str, filename: str, target: str) -> None:
        """A group holding only ``{"_EXTERNAL_LINK": [filename, target]}``.

        A list of two strings rather than an object: lindi 0.4.6 shows this attribute to its
        users and fails on JSON objects, not on lists of strings.
        """
        zpath = self.zarr_path(path)
        if not zpath:
            raise LindiFormatError(f"{_source(meta)}: the root cannot be a link")
        self._require_absent(meta, zpath)
        if not isinstance(filename, str) or not filename:
            raise LindiFormatError(f"{_source(meta)}: external link needs a file name")
        if not isinstance(target, str) or not target:
            raise LindiFormatError(f"{_source(meta)}: external link needs a target path")
        self._ensure_parents(meta, zpath)
        meta.set_json(join_key(zpath, ".zgroup"), dict(ZGROUP))
        meta.set_json(join_key(zpath, ".zattrs"), {keys.EXTERNAL_LINK: [filename, target]})

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
        """Write ``.zarray`` and ``.zattrs`` (special + user attributes) of a dataset.

        Parameters
        ----------
        meta
            The reference map.
        path
            HDF5 path; missing parent groups are created. An existing dataset's metadata is
            replaced (its user attributes are kept and merged with ``attrs``; chunks are left).
        info
            The dataset.
        attrs
            User attributes.
        codecs
            ``{"filters": [...], "compressor": {...}}`` as they should appear in ``.zarray``
            (see :func:`hdmf_lindi.conventions.datasets.zarray_from_dataset_info`).
        inferred_dtypes
            Attributes written without a dtype record (JSON's natural dtype).

        Returns
        -------
        dict
            The ``.zarray`` written (for :func:`hdmf_lindi.conventions.chunks.encode_chunk`).
        """
        zpath = self.zarr_path(path)
        where = f"{_source(meta)}: {self._hdf5_path(zpath)}"
        if not zpath:
            raise LindiFormatError(f"{where}: the root cannot be a dataset")
        if self._kind_at(meta, zpath) == "group":
            raise LindiExistsError(f"{where}: a group already exists there")
        self._ensure_parents(meta, zpath)
        zarray, special = zarray_from_dataset_info(info, codecs=codecs, where=where)
        current = meta.get_json(join_key(zpath, ".zattrs")) or {}
        merged = {k: v for k, v in current.items() if k not in keys.SPECIAL_ATTRIBUTE_KEYS}
        dtypes = {k: v for k, v in recorded_dtypes(current, where=where).items() if k in merged}
        self._merge_user_attrs(merged, dtypes, attrs or {}, inferred_dtypes, where)
        merged.update(special)
        meta.set_json(join_key(zpath, ".zarray"), zarray)
        self._store_attrs(meta, zpath, merged, dtypes)
        return zarray

    def grow_dataset(self, meta: MetadataMap, path: str, shape: tuple[int, ...]) -> None:
        """Rewrite ``shape`` in ``.zarray``."""
        key = join_key(self.zarr_path(path), ".zarray")
        zarray = meta.get_json(key)
        if not isinstance(zarray, Mapping):
            raise LindiFormatError(f"{_source(meta)}: {path} is not a dataset")
        old = tuple(int(n) for n in zarray["shape"])
        if len(shape) != len(old) or any(n < o for n, o in zip(shape, old, strict=True)):
            raise ValueError(f"{path}: cannot grow from {old} to {shape}")
        meta.set_json(key, {**zarray, "shape": [int(n) for n in shape]})

    def set_external_array_link(
        self, meta: MetadataMap, path: str, link: ExternalArrayLink | None
    ) -> None:
        """Write (``None``: remove) ``_EXTERNAL_ARRAY_LINK`` in ``.zattrs``."""
        key = join_key(self.zarr_path(path), ".zattrs")
        zattrs = dict(meta.get_json(key) or {})
        if link is None:
            zattrs.pop(keys.EXTERNAL_ARRAY_LINK, None)
        else:
            zattrs[keys.EXTERNAL_ARRAY_LINK] = encode_external_array_link(link)
        meta.set_json(key, zattrs)

    def set_maxshape(self, meta: MetadataMap, path: str, maxshape: tuple[int | None, ...]) -> None:
        """Write ``_MAXSHAPE`` in ``.zattrs``."""
        key = join_key(self.zarr_path(path), ".zattrs")
        zattrs = dict(meta.get_json(key) or {})
        zattrs[keys.MAXSHAPE] = encode_maxshape(maxshape)
        meta.set_json(key, zattrs)

    def delete_node(self, meta: MetadataMap, path: str) -> None:
        """Remove every key of the object at ``path`` and below (``KeyError`` when absent)."""
        zpath = self.zarr_path(path)
        if not zpath:
            raise LindiFormatError(f"{_source(meta)}: the root cannot be deleted")
        if self._kind_at(meta, zpath) is None and not meta.has_dir(zpath):
            raise KeyError(f"{_source(meta)}: no object at {self._hdf5_path(zpath)}")
        delete_keys_below(meta, zpath)

    # ------------------------------------------------------------------------------ values
    def encode_region(
        self, meta: MetadataMap, path: str, start: tuple[int, ...], stored: np.ndarray
    ) -> Iterator[tuple[str, bytes]] | None:
        """Chunks of a block aligned to the chunk grid, encoded without zarr
        (see :func:`~hdmf_lindi.conventions.chunks.encode_region_chunks`)."""
        prefix = self.zarr_path(path)
        zarray = meta.get_json(f"{prefix}/.zarray" if prefix else ".zarray")
        if not isinstance(zarray, dict):
            return None
        return encode_region_chunks(zarray, f"{prefix}/" if prefix else "", start, stored)

    def read_inline_array(
        self, meta: MetadataMap, path: str, *, max_bytes: int
    ) -> np.ndarray | None:
        """Small all-inline arrays decoded from the map (see ``conventions.inline_arrays``)."""
        from hdmf_lindi.conventions.inline_arrays import decode_inline_array

        prefix = self.zarr_path(path)
        return decode_inline_array(
            meta, f"{prefix}/" if prefix else "", max_bytes=max_bytes, where=_source(meta)
        )

    def encode_values(self, info: DatasetInfo, values: np.ndarray) -> np.ndarray:
        """h5py-facing values -> stored values (see ``conventions.dataset_values``)."""
        return encode_values(info, values)

    def decode_values(self, info: DatasetInfo, stored: np.ndarray) -> np.ndarray:
        """Stored values -> h5py-facing values (scalar datasets come back as 0-d arrays)."""
        return decode_values(info, stored)

    def encode_attr_value(self, value: Any) -> Any:
        """An attribute value as JSON (see :mod:`hdmf_lindi.conventions.values`)."""
        return encode_attr_value(value)

    def decode_attr_value(self, value: Any) -> Any:
        """A JSON attribute value as h5py would return it."""
        return decode_attr_value(value)


def _json2_chunk_starts_with_reference(zarray: Mapping[str, Any], data: bytes) -> bool:
    """Whether the first element of a json2 chunk is a ``_REFERENCE`` object, without parsing
    the whole JSON text (keys are sorted and a reference object has one key)."""
    try:
        compressor = zarray.get("compressor")
        text: Any = get_codec(compressor).decode(data) if compressor else data
        for codec in reversed(zarray.get("filters") or []):
            if codec.get("id") == "json2":
                break
            text = get_codec(codec).decode(text)
        head = ensure_bytes(text)[:64]
    except Exception:
        # an undecodable chunk is reported when its values are read, not here
        return False
    return head.lstrip(b"[ \t\r\n").startswith(b'{"_REFERENCE"')
