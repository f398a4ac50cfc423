"""The HDF5-like object model that every conventions flavour reads into and writes from.

The h5py-compatible view, LindiIO and the HDF5 converter speak only this model; how it is laid
out in Zarr keys and attributes is the business of a
:class:`~hdmf_lindi.conventions.abc.Conventions` flavour (today's LINDI, or the unified
Zarr v3 convention).

Paths are absolute HDF5-style paths (``"/"``, ``"/acquisition/ts"``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hdmf_lindi.conventions.keys import REFERENCE_DTYPE_NAME

__all__ = [
    "DataKind",
    "DatasetInfo",
    "ExternalArrayLink",
    "ExternalLink",
    "HDF5Layout",
    "Node",
    "NodeKind",
    "Reference",
    "SoftLink",
]


class NodeKind(enum.Enum):
    """What a path names."""

    GROUP = "group"
    DATASET = "dataset"
    SOFT_LINK = "soft_link"
    EXTERNAL_LINK = "external_link"


class DataKind(enum.Enum):
    """How a dataset's elements are stored and returned."""

    NUMERIC = "numeric"
    """Fixed-size numpy dtypes: ints, floats, complex, bool, enum bases, ``|S<n>``, ``<U<n>``."""
    VLEN_STRING = "vlen_string"
    """Variable-length UTF-8 strings (object dtype; returned as ``str``)."""
    VLEN_BYTES = "vlen_bytes"
    """Variable-length byte strings (object dtype; returned as ``bytes``)."""
    REFERENCE = "reference"
    """Object references (object dtype; returned as :class:`Reference`)."""
    COMPOUND = "compound"
    """Compound rows; fields may be references."""


@dataclass(frozen=True, slots=True)
class Reference:
    """An HDF5 object reference, as LINDI stores it (``_REFERENCE``)."""

    path: str
    source: str = "."
    object_id: str | None = None
    source_object_id: str | None = None


@dataclass(frozen=True, slots=True)
class SoftLink:
    """A soft link to ``path`` (absolute) in the same file.

    ``hard``: the link stands for a second name of the object (an HDF5 hard link): copying a
    group that holds it copies the object, as HDF5 does, where a soft link is copied as a link.
    """

    path: str
    hard: bool = False


@dataclass(frozen=True, slots=True)
class ExternalLink:
    """An HDF5 external link: object ``path`` in file ``filename``."""

    filename: str
    path: str


@dataclass(frozen=True, slots=True)
class ExternalArrayLink:
    """A dataset whose chunks are read from an HDF5 dataset elsewhere (``_EXTERNAL_ARRAY_LINK``)."""

    url: str
    name: str
    link_type: str = "hdf5_dataset"


@dataclass(frozen=True, slots=True)
class HDF5Layout:
    """How the HDF5 file a dataset was converted from stored it, as h5py reports it
    (``_HDF5_LAYOUT``): recorded where the Zarr array is laid out otherwise (small datasets
    inlined as one chunk, contiguous datasets cut into chunks).

    ``chunks`` is ``None`` for a contiguous or compact dataset; ``layout`` is ``"chunked"``,
    ``"contiguous"`` or ``"compact"``.
    """

    layout: str = "contiguous"
    chunks: tuple[int, ...] | None = None
    compression: str | None = None
    compression_opts: Any = None
    shuffle: bool = False
    fletcher32: bool = False
    scaleoffset: int | None = None


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """Everything about a dataset but its values.

    ``shape`` and ``dtype`` are what h5py would report: ``()`` for a scalar dataset; a structured
    dtype for compound data (reference fields as ``h5py.ref_dtype``); ``h5py.string_dtype()`` for
    variable-length strings.
    """

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    kind: DataKind = DataKind.NUMERIC
    chunks: tuple[int, ...] | None = None
    maxshape: tuple[int | None, ...] | None = None
    fillvalue: Any = None
    compression: str | None = None
    compression_opts: Any = None
    compound_fields: tuple[tuple[str, str], ...] | None = None
    """For COMPOUND: ``(name, dtype-string-or-"<REFERENCE>")`` per field (``_COMPOUND_DTYPE``)."""
    external_array_link: ExternalArrayLink | None = None
    shuffle: bool = False
    """Whether a byte-shuffle filter (numcodecs ``shuffle``) applies to the chunks."""
    fletcher32: bool = False
    """Whether a Fletcher-32 checksum (numcodecs ``fletcher32``) is kept with each chunk."""
    hdf5_layout: HDF5Layout | None = None
    """The source HDF5 file's layout when the Zarr array differs from it (``_HDF5_LAYOUT``);
    what the h5py view reports for ``chunks``, ``compression``, ``shuffle``, ... ."""

    @property
    def holds_references(self) -> bool:
        """Whether the values are object references: a reference dataset, or a compound one
        with a reference field."""
        fields = self.compound_fields or ()
        return self.kind is DataKind.REFERENCE or (
            self.kind is DataKind.COMPOUND
            and any(field_type == REFERENCE_DTYPE_NAME for _, field_type in fields)
        )

    @property
    def is_scalar(self) -> bool:
        """Whether this is an HDF5 scalar (shape ``()``) dataset."""
        return self.shape == ()


@dataclass(frozen=True, slots=True)
class Node:
    """One object of the hierarchy as read from the metadata.

    ``attrs`` are the user's attributes, decoded (special ``_``-prefixed LINDI keys removed),
    with the dtypes the file records for them (a scalar fixed-width bytes attribute as a 0-d
    array, which keeps its width; :func:`~.attribute_dtypes.user_value` gives h5py's scalar).
    ``inferred_dtypes`` names the numeric and boolean attributes whose dtype the file does not
    record (files of lindi 0.4.6): theirs is JSON's natural one (``int64``, ``float64``), maybe
    wider than the one they were written with.
    """

    path: str
    kind: NodeKind
    attrs: Mapping[str, Any] = field(default_factory=dict)
    dataset: DatasetInfo | None = None
    link: SoftLink | ExternalLink | None = None
    inferred_dtypes: frozenset[str] = frozenset()

    @property
    def object_id(self) -> str | None:
        """The ``object_id`` attribute as text (``None`` when absent): files store it as a
        variable-length string or as fixed-width bytes (MIES files: ``|S36``)."""
        value = self.attrs.get("object_id")
        if isinstance(value, np.ndarray) and value.shape == ():
            value = value[()]
        if value is None:
            return None
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value.decode("latin-1")
        return str(value)
