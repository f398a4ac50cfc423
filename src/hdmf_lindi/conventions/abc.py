"""The conventions interface: how the HDF5 object model is laid out in a Zarr reference map.

One implementation per flavour: :mod:`hdmf_lindi.conventions.lindi_v1` (today's LINDI, Zarr v2
keys, compatible with lindi 0.4.6) and, later, the unified Zarr v3 convention. Callers (the HDF5
converter, the h5py-compatible view, LindiIO) go through this interface only.

A flavour reads and writes metadata through a :class:`MetadataMap` (the JSON level of a
reference map: fast, no zarr calls), and opens chunked data through zarr arrays.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, ClassVar, Protocol

import numpy as np

from hdmf_lindi.conventions.model import DatasetInfo, ExternalArrayLink, Node

__all__ = ["Conventions", "MetadataMap"]


class MetadataMap(Protocol):
    """The metadata surface of a reference map (see ``ReferenceMap``)."""

    def get_json(self, key: str) -> Any: ...

    def set_json(self, key: str, value: Any) -> None: ...

    def set_inline(self, key: str, data: bytes) -> None: ...

    def delete(self, key: str) -> None: ...

    def list_dir(self, prefix: str) -> list[str]: ...

    def has_dir(self, prefix: str) -> bool: ...

    def __contains__(self, key: object) -> bool: ...


class Conventions(ABC):
    """One flavour of the LINDI conventions.

    Attributes
    ----------
    name
        Short identifier, e.g. ``"lindi-v1"``.
    zarr_format
        The Zarr format of the keys this flavour writes (2 or 3).
    """

    name: ClassVar[str]
    zarr_format: ClassVar[int]

    # ---------------------------------------------------------------- reading
    @abstractmethod
    def read_node(
        self,
        meta: MetadataMap,
        path: str,
        *,
        chunk_reader: Callable[[str], bytes | None] | None = None,
    ) -> Node | None:
        """The node at ``path``, or ``None`` when nothing is there.

        ``chunk_reader`` (optional) reads the stored bytes of a chunk key; a flavour may use it
        when the metadata alone cannot tell a dataset's kind (LINDI v1: reference or string).
        """

    def encode_region(
        self, meta: MetadataMap, path: str, start: tuple[int, ...], stored: np.ndarray
    ) -> Iterator[tuple[str, bytes]] | None:
        """The chunks of the dataset at ``path`` that the block ``stored`` (stored values)
        placed at ``start`` covers, encoded as ``(key, bytes)`` for the store, lazily.

        ``None`` when the block is not aligned to the chunk grid or the flavour has no fast
        path (the default): the caller writes through zarr."""
        return None

    def read_inline_array(
        self, meta: MetadataMap, path: str, *, max_bytes: int
    ) -> np.ndarray | None:
        """The whole stored array of the dataset at ``path``, decoded straight from the map
        when it is at most ``max_bytes`` and all its chunks are inline; ``None`` when the
        caller must read it through zarr (the default for flavours without a fast path)."""
        return None

    def portable_codecs(self, meta: MetadataMap, path: str) -> dict[str, Any] | None:
        """The chunk encoding of the numeric dataset at ``path`` as numcodecs configurations
        (``{"filters": [...], "compressor": {...} | None}``), when its stored chunks are its
        elements' bytes in C order passed through them: then any flavour can write the same
        chunk bytes, and a conversion between flavours copies chunk refs instead of data.
        ``None`` otherwise (the default)."""
        return None

    def chunk_index(self, path: str, key: str) -> tuple[int, ...] | None:
        """The grid position of the stored chunk ``key`` of the dataset at ``path`` (``()``
        for a scalar's chunk), or ``None`` when ``key`` is not one of its chunk keys."""
        return None

    @abstractmethod
    def list_children(self, meta: MetadataMap, path: str) -> list[str]:
        """Names of the child nodes (groups, datasets, links) of the group at ``path``, sorted."""

    @abstractmethod
    def zarr_path(self, path: str) -> str:
        """The Zarr key prefix of the object at ``path`` ("" for the root)."""

    @abstractmethod
    def chunk_key(self, path: str, index: tuple[int, ...]) -> str:
        """The store key of the chunk at grid position ``index`` of the dataset at ``path``
        (``()`` for a scalar dataset's single chunk), with this flavour's separator."""

    @abstractmethod
    def stored_chunk_keys(self, meta: MetadataMap, path: str) -> list[str]:
        """The store keys of the chunks present for the dataset at ``path``, sorted (absent
        chunks read as the fill value)."""

    @abstractmethod
    def codec_ids(self, meta: MetadataMap, path: str) -> list[str]:
        """The ids of the codecs the stored chunks of the dataset at ``path`` pass through,
        in decoding order reversed (filters first, then the compressor)."""

    # ---------------------------------------------------------------- writing
    @abstractmethod
    def write_group(
        self,
        meta: MetadataMap,
        path: str,
        attrs: Mapping[str, Any] = ...,
        *,
        inferred_dtypes: Collection[str] = (),
    ) -> None:
        """Create (or keep) a group at ``path`` and set its attributes (see
        :meth:`write_attrs` for ``inferred_dtypes``)."""

    @abstractmethod
    def write_attrs(
        self,
        meta: MetadataMap,
        path: str,
        attrs: Mapping[str, Any],
        *,
        replace: bool = False,
        inferred_dtypes: Collection[str] = (),
    ) -> None:
        """Encode and store user attributes of the object at ``path`` (merged unless
        ``replace``); special LINDI attributes are kept. The attributes named in
        ``inferred_dtypes`` get no ``_ATTRIBUTE_DTYPES`` entry (their dtype is JSON's natural
        one, as ``Node.inferred_dtypes`` reports it for a file without a record)."""

    @abstractmethod
    def delete_attr(self, meta: MetadataMap, path: str, name: str) -> None:
        """Remove one user attribute (``KeyError`` when absent)."""

    @abstractmethod
    def write_soft_link(
        self, meta: MetadataMap, path: str, target: str, *, hard: bool = False
    ) -> None:
        """Create a soft link at ``path`` pointing to the absolute path ``target`` (``hard``:
        standing for a second name of the object, see :class:`~.model.SoftLink`)."""

    @abstractmethod
    def write_external_link(self, meta: MetadataMap, path: str, filename: str, target: str) -> None:
        """Create an HDF5-style external link at ``path``."""

    @abstractmethod
    def write_dataset(
        self,
        meta: MetadataMap,
        path: str,
        info: DatasetInfo,
        attrs: Mapping[str, Any] = ...,
        *,
        codecs: Mapping[str, Any] | None = None,
        inferred_dtypes: Collection[str] = (),
    ) -> dict[str, Any]:
        """Write the array metadata of a dataset (no chunks) and its attributes; return the
        Zarr array metadata written (e.g. the ``.zarray`` dict). See :meth:`write_attrs` for
        ``inferred_dtypes``.

        ``codecs`` (optional) gives the chunk encoding exactly as the flavour stores it (LINDI
        v1: ``{"filters": [...], "compressor": {...}}``), e.g. the HDF5 filters of chunks
        referenced in place; by default it follows ``info.compression``."""

    @abstractmethod
    def grow_dataset(self, meta: MetadataMap, path: str, shape: tuple[int, ...]) -> None:
        """Set the shape of the dataset at ``path`` to ``shape``, no axis smaller than now
        (metadata only: growing moves no chunk)."""

    @abstractmethod
    def set_external_array_link(
        self, meta: MetadataMap, path: str, link: ExternalArrayLink | None
    ) -> None:
        """Set (``None``: remove) the ``_EXTERNAL_ARRAY_LINK`` of the dataset at ``path``."""

    @abstractmethod
    def set_maxshape(self, meta: MetadataMap, path: str, maxshape: tuple[int | None, ...]) -> None:
        """Record ``maxshape`` (``None``: unlimited) of the dataset at ``path``."""

    @abstractmethod
    def delete_node(self, meta: MetadataMap, path: str) -> None:
        """Remove every key of the object at ``path`` (and below)."""

    # ---------------------------------------------------------------- values
    @abstractmethod
    def encode_values(self, info: DatasetInfo, values: np.ndarray) -> np.ndarray:
        """Turn h5py-facing values into what the Zarr array stores (shape as stored)."""

    @abstractmethod
    def decode_values(self, info: DatasetInfo, stored: np.ndarray) -> np.ndarray:
        """Turn values read from the Zarr array into h5py-facing values (shape as h5py)."""

    @abstractmethod
    def encode_attr_value(self, value: Any) -> Any:
        """An attribute value (numpy scalar/array, str, bytes, Reference, ...) as JSON."""

    @abstractmethod
    def decode_attr_value(self, value: Any) -> Any:
        """A JSON attribute value back as what h5py would return."""
