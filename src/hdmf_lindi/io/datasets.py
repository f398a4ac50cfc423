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

import h5py
import numpy as np
from hdmf.query import BuilderResolver, ContainerResolver, HDMFDataset, ReferenceResolver

from hdmf_lindi._row_blocks import block_rows, iter_rows
from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Reference
from hdmf_lindi.h5py_compat._values import str_to_bytes

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat import LindiH5pyDataset, LindiH5pyFile, LindiH5pyGroup
    from hdmf_lindi.h5py_compat.objectid import LindiDatasetId
    from hdmf_lindi.io.lindi_io import LindiIO
    from hdmf_lindi.io.linked import LinkedFile

__all__ = [
    "BuilderLindiReferenceDataset",
    "BuilderLindiTableDataset",
    "ContainerLindiReferenceDataset",
    "ContainerLindiTableDataset",
    "LindiArrayDataset",
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
        """The chunk shape as h5py reports it: ``None`` for a contiguous dataset (a converted
        one's source layout, ``_HDF5_LAYOUT``, decides)."""
        info = self.dataset.info
        layout = info.hdf5_layout
        chunks = layout.chunks if layout is not None else info.chunks
        return tuple(chunks) if chunks is not None else None

    def __getitem__(self, selection: Any) -> Any:
        return self.dataset[selection]

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError(f"{self.path}: a scalar dataset has no len()")
        return self.shape[0]

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values = np.asarray(self[...])
        return values.astype(dtype) if dtype is not None else values

    def __iter__(self) -> Any:
        rows = block_rows(self.shape, self.chunks, np.dtype(self.dtype).itemsize)
        yield from iter_rows(len(self), rows, self.__getitem__)

    def __repr__(self) -> str:
        return f"<LindiDataset {self.path!r} shape={self.shape} dtype={self.dtype}>"

    def append(self, arg: Any) -> None:
        """Append one element along the first axis (files opened in mode ``r+``/``a``)."""
        self.__io._append_to_dataset(self, arg)


class LindiArrayDataset(LindiDataset, h5py.Dataset):
    """A dataset of plain values (numbers, strings; no references) of a LINDI file, as LindiIO
    hands it to hdmf: also an ``h5py.Dataset``, as the datasets HDF5IO reads are, so that hdmf
    treats it as one (``H5DataIO(dataset, link_data=True)`` keeps the link, a data chunk
    iterator reads it block by block, ``extend`` grows it).

    Values read as :class:`LindiDataset`'s do; the h5py side (``file``, ``name``, ``id``,
    ``parent``, ``attrs``, ``ref``, ``compression``, ``fillvalue``, ``asstr()``, ...) is the
    one of the dataset in the h5py view of the same open file
    (:meth:`~hdmf_lindi.io.lindi_io.LindiIO.h5py_file`): ``ds.file.close()`` closes the file
    the dataset was read from, as it does for an h5py dataset.
    """

    # read by h5py's own Dataset methods that are not overridden here
    _readonly = True
    _dxpl = None

    def __getitem__(self, selection: Any) -> Any:
        values = super().__getitem__(selection)
        if self._is_ascii_text:
            # as h5py (and so HDF5IO) returns the elements of an ASCII string dataset
            return str_to_bytes(values)
        return values

    @property
    def _is_ascii_text(self) -> bool:
        info = self.dataset.info
        if info.kind is not DataKind.VLEN_STRING:
            return False
        string_info = h5py.check_string_dtype(info.dtype)
        return string_info is not None and string_info.encoding == "ascii"

    @property
    def _h5py_dataset(self) -> LindiH5pyDataset:
        from hdmf_lindi.h5py_compat import LindiH5pyDataset

        return LindiH5pyDataset(self.file, self.path, self.path)

    @property
    def file(self) -> LindiH5pyFile:
        """The file the dataset was read from (for a dataset read through an external link, the
        file the link names), as a :class:`~hdmf_lindi.LindiH5pyFile`."""
        return self.io.h5py_file()

    @property
    def name(self) -> str:
        """The dataset's path in its file."""
        return self.path

    @property
    def id(self) -> LindiDatasetId:
        """An identifier equal for every handle on this dataset; ``id.valid`` while the file is
        open."""
        from hdmf_lindi.h5py_compat.objectid import LindiDatasetId

        return LindiDatasetId(self.file, self.path)

    @property
    def _id(self) -> LindiDatasetId:
        return self.id

    @property
    def parent(self) -> LindiH5pyGroup:
        """The group holding this dataset (in the h5py view)."""
        return self._h5py_dataset.parent

    @property
    def attrs(self) -> Any:
        """The dataset's attributes (the h5py view's, h5py values)."""
        return self._h5py_dataset.attrs

    @property
    def ref(self) -> Any:
        """An object reference to this dataset (the h5py view's)."""
        return self._h5py_dataset.ref

    @property
    def regionref(self) -> Any:
        """Region references are not supported by LINDI."""
        return self._h5py_dataset.regionref

    @property
    def dims(self) -> Any:
        """Dimension scales are not supported by LINDI."""
        return self._h5py_dataset.dims

    @property
    def compression(self) -> str | None:
        """The compression filter name (``"gzip"``, ...) or ``None``."""
        return self._h5py_dataset.compression

    @property
    def compression_opts(self) -> Any:
        """The compression settings or ``None``."""
        return self._h5py_dataset.compression_opts

    @property
    def shuffle(self) -> bool:
        """Whether the shuffle filter applies."""
        return self._h5py_dataset.shuffle

    @property
    def fletcher32(self) -> bool:
        """Whether a Fletcher-32 checksum applies."""
        return self._h5py_dataset.fletcher32

    @property
    def scaleoffset(self) -> int | None:
        """The scale-offset filter setting (only a converted dataset's source can have one)."""
        return self._h5py_dataset.scaleoffset

    @property
    def fillvalue(self) -> Any:
        """The fill value of unwritten elements, as h5py reports it."""
        return self._h5py_dataset.fillvalue

    @property
    def external(self) -> None:
        """HDF5 external storage (never in LINDI)."""
        return None

    @property
    def is_virtual(self) -> bool:
        """Whether this is an HDF5 virtual dataset (never in LINDI)."""
        return False

    @property
    def is_scale(self) -> bool:
        """Whether this is a dimension scale."""
        return self._h5py_dataset.is_scale

    @property
    def nbytes(self) -> int:
        """Number of bytes the elements take in memory."""
        return self._h5py_dataset.nbytes

    def len(self) -> int:
        """The length of the first axis."""
        return self.__len__()

    def asstr(self, encoding: str | None = None, errors: str = "strict") -> Any:
        """A view reading string values as ``str`` (h5py's ``asstr()``)."""
        return self._h5py_dataset.asstr(encoding, errors)

    def astype(self, dtype: Any) -> Any:
        """A view reading the values converted to ``dtype`` (h5py's ``astype()``)."""
        return self._h5py_dataset.astype(dtype)

    def fields(self, names: str | list[str], *, _prior_dtype: Any = None) -> Any:
        """A view reading only some fields of a compound dataset (h5py's ``fields()``)."""
        return self._h5py_dataset.fields(names)

    def iter_chunks(self, sel: Any = None) -> Any:
        """Selections covering ``sel``, one per chunk it touches (h5py's ``iter_chunks``)."""
        return self._h5py_dataset.iter_chunks(sel)

    def read_direct(self, dest: np.ndarray, source_sel: Any = None, dest_sel: Any = None) -> None:
        """Read ``self[source_sel]`` into ``dest[dest_sel]``."""
        values = self[source_sel if source_sel is not None else ()]
        dest[dest_sel if dest_sel is not None else ...] = values

    def __setitem__(self, selection: Any, values: Any) -> None:
        self.io._write_to_dataset(self, selection, values)

    def write_direct(
        self, source: np.ndarray, source_sel: Any = None, dest_sel: Any = None
    ) -> None:
        """Write ``source[source_sel]`` into ``self[dest_sel]``."""
        self[dest_sel if dest_sel is not None else ...] = source[
            source_sel if source_sel is not None else ...
        ]

    def resize(self, size: Any, axis: int | None = None) -> None:
        """Change the shape within ``maxshape`` (files opened in mode ``r+``/``a``):
        ``resize((n, m))`` or ``resize(n, axis=0)``."""
        shape = list(self.shape)
        if axis is not None:
            if not 0 <= axis < len(shape):
                raise ValueError(f"Invalid axis {axis} for dataset {self.path!r}")
            shape[axis] = int(size)
        else:
            shape = [int(size)] if isinstance(size, (int, np.integer)) else [int(n) for n in size]
        self.io._resize_dataset(self, tuple(shape))

    def refresh(self) -> None:
        """Nothing to refresh (reads always see this file's own writes)."""

    def flush(self) -> None:
        """Nothing to flush per dataset."""

    def make_scale(self, name: str = "") -> None:
        """Dimension scales are not supported by LINDI."""
        self._h5py_dataset.make_scale(name)

    def __repr__(self) -> str:
        return f"<LindiArrayDataset {self.path!r} shape={self.shape} dtype={self.dtype}>"


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
