"""Lazy datasets handed to hdmf on read: plain arrays, and reference-resolving ones.

Like HDF5IO's ``H5Dataset`` / ``BuilderH5ReferenceDataset`` / ``BuilderH5TableDataset``: a
builder holds the ``Builder*`` flavour; when hdmf constructs containers it calls ``invert()``
and gets the ``Container*`` flavour, which resolves references to containers. Nothing is read
until sliced.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from copy import copy
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from hdmf.query import BuilderResolver, ContainerResolver, HDMFDataset, ReferenceResolver

from hdmf_lindi._row_blocks import block_rows, iter_rows
from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.model import DatasetInfo, Reference

if TYPE_CHECKING:
    from hdmf_lindi.io.lindi_io import LindiIO
    from hdmf_lindi.io.linked import LinkedFile

__all__ = [
    "BuilderLindiReferenceDataset",
    "BuilderLindiTableDataset",
    "ContainerLindiReferenceDataset",
    "ContainerLindiTableDataset",
    "LindiDataset",
]


class ArrayHandle(Protocol):
    """What we need of :class:`~hdmf_lindi.hierarchy.DatasetHandle`."""

    @property
    def path(self) -> str: ...

    @property
    def info(self) -> DatasetInfo: ...

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> np.dtype[Any]: ...

    def __len__(self) -> int: ...

    def __getitem__(self, selection: Any) -> Any: ...

    def __setitem__(self, selection: Any, values: Any) -> None: ...


class LindiDataset(HDMFDataset):
    """A dataset of a LINDI file, read lazily (numpy slicing, ``len``, ``shape``, ``dtype``,
    iteration, ``np.asarray``)."""

    def __init__(self, dataset: ArrayHandle, io: LindiIO | LinkedFile) -> None:
        # HDMFDataset.__init__ type-checks ``dataset`` against the array types hdmf knew when
        # it was decorated; ours is stored here and served by the ``dataset`` property.
        self.__dataset = dataset
        self.__io = io

    @property
    def dataset(self) -> ArrayHandle:
        """The underlying lazy handle."""
        return self.__dataset

    @property
    def dtype(self) -> Any:
        return self.__dataset.dtype

    @property
    def io(self) -> LindiIO | LinkedFile:
        """The LindiIO that read this dataset."""
        return self.__io

    @property
    def path(self) -> str:
        """Absolute path of the dataset in its file."""
        return self.dataset.path

    @property
    def source(self) -> str | None:
        """The file the dataset belongs to."""
        return self.__io.source

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.dataset.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def maxshape(self) -> tuple[int | None, ...]:
        info = self.dataset.info
        return tuple(info.maxshape) if info.maxshape is not None else self.shape

    @property
    def chunks(self) -> tuple[int, ...] | None:
        return self.dataset.info.chunks

    def __getitem__(self, selection: Any) -> Any:
        return self.dataset[selection]

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError(f"{self.path}: a scalar dataset has no len()")
        return self.shape[0]

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values = np.asarray(self.dataset[...])
        return values.astype(dtype) if dtype is not None else values

    def __iter__(self) -> Any:
        rows = block_rows(self.shape, self.chunks, np.dtype(self.dtype).itemsize)
        yield from iter_rows(len(self), rows, self.__getitem__)

    def __repr__(self) -> str:
        return f"<LindiDataset {self.path!r} shape={self.shape} dtype={self.dtype}>"

    def append(self, arg: Any) -> None:
        """Append one element along the first axis (files opened in mode ``r+``/``a``)."""
        self.__io._append_to_dataset(self, arg)


class _ReferenceResolvingDataset(LindiDataset, ReferenceResolver):
    """Base of the reference-resolving datasets."""

    @abstractmethod
    def get_object(self, path: str) -> Any:
        """The Builder or Container at ``path``."""

    def _get_ref(self, ref: Any) -> Any:
        if ref is None:
            return None
        if isinstance(ref, Reference):
            return self.get_object(self.io._reference_target(ref, where=self.path))
        raise TypeError(f"{self.path}: expected an object reference, got {ref!r}")

    def invert(self) -> Any:
        """The same dataset resolving to the opposite kind (Builders <-> Containers)."""
        inverse: type[_ReferenceResolvingDataset] = self.get_inverse_class()
        return inverse._from(self)

    @classmethod
    def _from(cls, other: _ReferenceResolvingDataset) -> _ReferenceResolvingDataset:
        return cls(other.dataset, other.io)


class _BuilderGetter(BuilderResolver):
    def get_object(self, path: str) -> Any:
        io = self.io
        return io.get_builder(path)


class _ContainerGetter(ContainerResolver):
    def get_object(self, path: str) -> Any:
        io = self.io
        return io.get_container(path)


class _ReferenceDataset(_ReferenceResolvingDataset):
    """A dataset of object references."""

    def __getitem__(self, selection: Any) -> Any:
        refs = self.dataset[selection]
        if isinstance(refs, np.ndarray):
            return [self._get_ref(ref) for ref in refs.ravel()]
        return self._get_ref(refs)

    def __iter__(self) -> Any:
        for ref in self.dataset[...]:
            yield self._get_ref(ref)

    @property
    def dtype(self) -> str:
        return "object"


class _TableDataset(_ReferenceResolvingDataset):
    """A compound dataset whose reference fields are resolved on access."""

    _REF_FIELD: ClassVar[str] = keys.REFERENCE_DTYPE_NAME

    def __init__(self, dataset: ArrayHandle, io: LindiIO | LinkedFile) -> None:
        super().__init__(dataset, io)
        names = dataset.dtype.names or ()
        fields = dataset.info.compound_fields
        declared = dict(fields) if fields else {}
        self.__names: tuple[str, ...] = tuple(names)
        self.__ref_columns = tuple(
            i
            for i, name in enumerate(names)
            if declared.get(name) == self._REF_FIELD or _is_ref_dtype(dataset.dtype[name])
        )
        self.__type_names = [
            "object" if i in self.__ref_columns else _type_name(dataset.dtype[name])
            for i, name in enumerate(names)
        ]

    @property
    def dtype(self) -> list[str]:
        """Type names of the fields (``"object"`` for references), like HDF5IO's."""
        return list(self.__type_names)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the compound fields."""
        return self.__names

    @property
    def ref_columns(self) -> tuple[int, ...]:
        """Indices of the reference fields."""
        return self.__ref_columns

    def __getitem__(self, selection: Any) -> Any:
        if isinstance(selection, (int, np.integer)) and self.shape:
            index = int(selection) + (self.shape[0] if selection < 0 else 0)
            if not 0 <= index < self.shape[0]:
                raise IndexError(f"{self.path}: row {int(selection)} out of range")
            return self.__swap_refs(self.dataset[index : index + 1][0])
        rows = copy(self.dataset[selection])
        if isinstance(rows, np.void) or np.ndim(rows) == 0:
            return self.__swap_refs(rows)
        out = np.empty(len(rows), dtype=_object_fields(rows.dtype, self.__ref_columns))
        for i, row in enumerate(rows):
            out[i] = tuple(self.__swap_refs(row))
        return out

    def __swap_refs(self, row: Any) -> Any:
        values = list(row.tolist() if isinstance(row, np.void) else row)
        for i in self.__ref_columns:
            values[i] = self._get_ref(row[i])
        if isinstance(row, np.void):
            swapped = np.empty((), dtype=_object_fields(row.dtype, self.__ref_columns))
            swapped[()] = tuple(values)
            return swapped[()]
        return tuple(values)

    def resolve(self, manager: Any) -> Any:
        """All rows with references resolved (hdmf calls this)."""
        return self[0 : len(self)]

    def __iter__(self) -> Any:
        yield from self[...]


def _object_fields(dtype: np.dtype[Any], columns: tuple[int, ...]) -> np.dtype[Any]:
    names = dtype.names or ()
    return np.dtype(
        [(name, object if i in columns else dtype[name]) for i, name in enumerate(names)]
    )


def _is_ref_dtype(dtype: np.dtype[Any]) -> bool:
    metadata: Mapping[str, Any] = dtype.metadata or {}
    return "ref" in metadata


def _type_name(dtype: np.dtype[Any]) -> str:
    metadata: Mapping[str, Any] = dtype.metadata or {}
    vlen = metadata.get("vlen")
    if vlen is str:
        return "utf"
    if vlen is bytes:
        return "ascii"
    return dtype.type.__name__


class BuilderLindiReferenceDataset(_BuilderGetter, _ReferenceDataset):
    """Object references resolved to Builders."""

    @classmethod
    def get_inverse_class(cls) -> type[ContainerLindiReferenceDataset]:
        return ContainerLindiReferenceDataset


class ContainerLindiReferenceDataset(_ContainerGetter, _ReferenceDataset):
    """Object references resolved to Containers."""

    @classmethod
    def get_inverse_class(cls) -> type[BuilderLindiReferenceDataset]:
        return BuilderLindiReferenceDataset


class BuilderLindiTableDataset(_BuilderGetter, _TableDataset):
    """Compound rows with reference fields resolved to Builders."""

    @classmethod
    def get_inverse_class(cls) -> type[ContainerLindiTableDataset]:
        return ContainerLindiTableDataset


class ContainerLindiTableDataset(_ContainerGetter, _TableDataset):
    """Compound rows with reference fields resolved to Containers."""

    @classmethod
    def get_inverse_class(cls) -> type[BuilderLindiTableDataset]:
        return BuilderLindiTableDataset
