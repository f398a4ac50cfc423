"""``LindiH5pyDataset``: an ``h5py.Dataset`` whose values live in a LINDI file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
from h5py._hl.dataset import AsStrView
from numpy.lib.recfunctions import repack_fields

from hdmf_lindi._paths import parent_path
from hdmf_lindi._row_blocks import block_rows, iter_rows
from hdmf_lindi.conventions.model import DataKind, DatasetInfo
from hdmf_lindi.errors import (
    LindiArgumentError,
    LindiError,
    LindiExtentError,
    LindiOverflowError,
    LindiReadOnlyDeleteError,
    LindiShapeError,
    LindiUnsupportedError,
)
from hdmf_lindi.h5py_compat._filters import hdf5_filters
from hdmf_lindi.h5py_compat._selection import select, values_for_selection
from hdmf_lindi.h5py_compat._values import (
    chunk_slices,
    coerce_values,
    compound_str_to_bytes,
    split_field_names,
    str_to_bytes,
    values_as_dtype,
)
from hdmf_lindi.h5py_compat._views import LindiAsTypeView, LindiFieldsView
from hdmf_lindi.h5py_compat.attributes import LindiH5pyAttributes
from hdmf_lindi.h5py_compat.dims import LindiDimensionManager
from hdmf_lindi.h5py_compat.objectid import LindiDatasetId
from hdmf_lindi.h5py_compat.reference import (
    LindiH5pyReference,
    null_references_as_h5py,
    to_h5py_values,
)

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.file import LindiH5pyFile
    from hdmf_lindi.h5py_compat.group import LindiH5pyGroup

__all__ = ["LindiH5pyDataset"]


class LindiH5pyDataset(h5py.Dataset):
    """A dataset of a LINDI file with h5py's API (``isinstance(ds, h5py.Dataset)`` holds).

    Reads go through the file's hierarchy and fetch only the chunks a selection touches;
    nothing here depends on HDF5 identifiers, so ``np.array(ds)``, ``ds[()]``, ``asstr()``,
    ``astype()`` and ``fields()`` work on every dataset.

    Parameters
    ----------
    file
        The open file.
    name
        The path the dataset was reached through (what ``.name`` reports).
    target
        The dataset's real path (soft links resolved).
    """

    # read by h5py's own Dataset methods when a wrapper subclassing h5py.Dataset delegates
    # attribute lookups to us (hdmf's StrDataset): no caching, default transfer list
    _readonly = False
    _dxpl = None

    def __init__(self, file: LindiH5pyFile, name: str, target: str) -> None:
        # h5py's own __init__ needs an HDF5 identifier; not called on purpose.
        self._file = file
        self._name = name
        self._target = target
        self._cache_props: dict[str, Any] = {}

    @property
    def _id(self) -> LindiDatasetId:
        return self.id

    @property
    def _is_empty(self) -> bool:
        return False

    @property
    def _extent_type(self) -> int:
        return int(h5py.h5s.SCALAR if not self.shape else h5py.h5s.SIMPLE)

    # ------------------------------------------------------------------ identity
    @property
    def file(self) -> LindiH5pyFile:
        """The file this dataset belongs to."""
        return self._file

    @property
    def name(self) -> str:
        """The path this dataset was reached through."""
        return self._name

    @property
    def parent(self) -> LindiH5pyGroup:
        """The group holding this dataset."""
        parent = self._file[parent_path(self._name)]
        return parent

    @property
    def id(self) -> LindiDatasetId:
        """An identifier equal for every handle on this dataset (see :class:`LindiDatasetId`)."""
        return LindiDatasetId(self._file, self._target)

    @property
    def ref(self) -> LindiH5pyReference:
        """An object reference to this dataset."""
        return self._file._reference_to(self._target)

    @property
    def regionref(self) -> Any:
        """Region references are not supported by LINDI."""
        raise LindiUnsupportedError(
            f"{self._file.filename}: region references are not supported ({self._name!r})"
        )

    @property
    def attrs(self) -> LindiH5pyAttributes:
        """The dataset's attributes."""
        return LindiH5pyAttributes(self._file, self._target)

    # ------------------------------------------------------------------ metadata
    @property
    def info(self) -> DatasetInfo:
        """Shape, dtype, chunking and compression as read from the LINDI metadata."""
        return self._file._dataset_info(self._target)

    @property
    def shape(self) -> tuple[int, ...]:
        """The dataset's shape (``()`` for a scalar)."""
        return tuple(self.info.shape)

    @shape.setter
    def shape(self, shape: tuple[int, ...]) -> None:
        self.resize(shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype as h5py reports it (``h5py.string_dtype()``, ``h5py.ref_dtype``, ...)."""
        return self.info.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.info.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.info.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """Number of bytes the elements take in memory (``size * itemsize``)."""
        return self.size * self.dtype.itemsize

    @property
    def chunks(self) -> tuple[int, ...] | None:
        """The chunk shape (``None`` for a contiguous or scalar dataset); for a converted
        dataset, the source file's (``_HDF5_LAYOUT``)."""
        layout = self.info.hdf5_layout
        chunks = layout.chunks if layout is not None else self.info.chunks
        return tuple(chunks) if chunks is not None else None

    @property
    def compression(self) -> str | None:
        """The compression filter name (``"gzip"``, ...) or ``None``."""
        layout = self.info.hdf5_layout
        return layout.compression if layout is not None else self.info.compression

    @property
    def compression_opts(self) -> Any:
        """The compression settings (the gzip level, ...) or ``None``."""
        layout = self.info.hdf5_layout
        return layout.compression_opts if layout is not None else self.info.compression_opts

    @property
    def shuffle(self) -> bool:
        """Whether the shuffle filter applies (a ``shuffle`` codec among the filters)."""
        layout = self.info.hdf5_layout
        return layout.shuffle if layout is not None else self.info.shuffle

    @property
    def fletcher32(self) -> bool:
        """Whether a Fletcher-32 checksum applies (a ``fletcher32`` codec among the filters)."""
        layout = self.info.hdf5_layout
        return layout.fletcher32 if layout is not None else self.info.fletcher32

    @property
    def scaleoffset(self) -> int | None:
        """The scale-offset filter setting (only a converted dataset's source can have one)."""
        layout = self.info.hdf5_layout
        return layout.scaleoffset if layout is not None else None

    @property
    def filter_ids(self) -> tuple[int, ...]:
        """Numeric IDs of the HDF5 filters, in pipeline order, as h5py reports them (derived
        from :attr:`scaleoffset`, :attr:`shuffle`, :attr:`compression` and
        :attr:`fletcher32`)."""
        return tuple(filter_id for filter_id, _ in self._hdf5_filters())

    @property
    def filter_names(self) -> tuple[str, ...]:
        """Names of the HDF5 filters, in pipeline order, as h5py reports them (see
        :attr:`filter_ids`)."""
        return tuple(name for _, name in self._hdf5_filters())

    def _hdf5_filters(self) -> list[tuple[int, str]]:
        return hdf5_filters(
            scaleoffset=self.scaleoffset,
            shuffle=self.shuffle,
            compression=self.compression,
            fletcher32=self.fletcher32,
        )

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
        """Whether this is a dimension scale (from its ``CLASS`` attribute)."""
        value = self.attrs.get("CLASS")
        return value in (b"DIMENSION_SCALE", "DIMENSION_SCALE")

    @property
    def maxshape(self) -> tuple[int | None, ...]:
        """The largest shape the dataset can be resized to (``None``: unlimited)."""
        info = self.info
        if info.maxshape is None:
            return tuple(info.shape)
        return tuple(info.maxshape)

    @property
    def fillvalue(self) -> Any:
        """The fill value of unwritten elements, as h5py reports it."""
        info = self.info
        if info.fillvalue is not None:
            if info.dtype.kind in "biufcSUV" and info.dtype.names is None:
                return np.array(info.fillvalue, dtype=info.dtype)[()]
            return info.fillvalue
        if info.kind in (DataKind.VLEN_STRING, DataKind.VLEN_BYTES):
            return b""
        if info.dtype.kind == "O":
            return None
        fill = np.zeros((), dtype=info.dtype)
        for name in info.dtype.names or ():
            if info.dtype[name].kind == "O":
                fill[name] = None
        return fill[()]

    @property
    def dims(self) -> LindiDimensionManager:
        """The dataset's dimensions: their labels (HDF5's ``DIMENSION_LABELS``) and dimension
        scales, of which LINDI files hold none (attaching one raises
        :class:`~hdmf_lindi.errors.LindiUnsupportedError`)."""
        return LindiDimensionManager(self)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise LindiArgumentError(
                f"{self._file.filename}: Attempt to take len() of scalar dataset {self._name!r}"
            )
        return int(shape[0])

    def len(self) -> int:
        """The length of the first axis."""
        return self.__len__()

    def __iter__(self) -> Iterator[Any]:
        shape = self.shape
        if not shape:
            raise LindiArgumentError(
                f"{self._file.filename}: Can't iterate over a scalar dataset {self._name!r}"
            )
        info = self.info
        rows = block_rows(shape, info.chunks, info.dtype.itemsize)
        yield from iter_rows(int(shape[0]), rows, self.__getitem__)

    def __getitem__(self, args: Any, new_dtype: Any = None) -> Any:
        info = self.info
        names, selection = split_field_names(args)
        where = f"{self._file.filename}: {self._name}"
        if names:
            if info.dtype.names is None:
                raise LindiArgumentError(f"{where}: Field names only allowed for compound types")
            for name in names:
                if name not in info.dtype.names:
                    raise LindiArgumentError(f"{where}: Field {name} does not appear in this type.")
        values = self._read(info, selection)
        if names:
            # several fields: packed, in the order named, as h5py reads them
            values = values[names[0]] if len(names) == 1 else repack_fields(values[list(names)])
        if new_dtype is not None:
            values = values_as_dtype(values, np.dtype(new_dtype))
        return values

    def _read(self, info: DatasetInfo, args: Any) -> Any:
        where = f"{self._file.filename}: {self._name}"
        selection = select(args, info.shape, where=where, reading=True)
        if info.shape and selection.nselect == 0:
            return np.zeros(selection.array_shape, dtype=self.dtype)
        if selection.outside:
            raise _outside(where, args)
        hierarchy = self._file._hierarchy
        if selection.kind == "points" and len(info.shape) > 1:
            values = np.asarray(hierarchy.read(self._target, Ellipsis))[selection.selection]
        else:
            values = hierarchy.read(self._target, selection.selection)
        if info.kind is DataKind.VLEN_STRING:
            values = str_to_bytes(values)
        elif info.kind is DataKind.COMPOUND:
            values = compound_str_to_bytes(values)
        if info.kind in (DataKind.REFERENCE, DataKind.COMPOUND) or (
            isinstance(values, np.ndarray) and values.dtype.kind == "O"
        ):
            values = null_references_as_h5py(to_h5py_values(values), info.dtype)
        return values

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False:
            raise ValueError(
                f"LindiH5pyDataset.__array__ received copy=False for {self._name!r}, "
                "but memory allocation cannot be avoided on read"
            )
        values = np.asarray(self[...])
        if dtype is not None:
            values = values.astype(dtype)
        return values

    def astype(self, dtype: Any) -> Any:
        """A view reading the values converted to ``dtype``: ``ds.astype("f8")[0:10]``."""
        target = np.dtype(dtype)
        if target == self.dtype:
            return self
        return LindiAsTypeView(self, target)

    def asstr(self, encoding: str | None = None, errors: str = "strict") -> Any:
        """A view reading string values as ``str``: ``ds.asstr()[:]``."""
        string_info = h5py.check_string_dtype(self.dtype)
        if string_info is None:
            raise LindiArgumentError(
                f"{self._file.filename}: dset.asstr() can only be used on datasets with an HDF5 "
                f"string datatype ({self._name!r} has {self.dtype})"
            )
        if encoding is None:
            encoding = string_info.encoding
            if string_info.length is not None and encoding == "ascii":
                # LINDI files do not record a fixed-length string's character set (HDF5's
                # ASCII or UTF-8): decode as UTF-8, which reads ASCII text identically
                encoding = "utf-8"
        return AsStrView(self, encoding, errors=errors)

    def fields(self, names: str | list[str], *, _prior_dtype: Any = None) -> Any:
        """A view reading only some fields of a compound dataset: ``ds.fields("x")[:]``."""
        where = f"{self._file.filename}: {self._name}"
        fields = self.dtype.names
        if fields is None:
            raise LindiArgumentError(
                f"{where}: Field names only allowed for compound types (not {self.dtype})"
            )
        for name in [names] if isinstance(names, str) else names:
            if name not in fields:
                raise LindiArgumentError(f"{where}: Field {name} does not appear in this type.")
        return LindiFieldsView(self, names)

    def iter_chunks(self, sel: Any = None) -> Iterator[tuple[slice, ...]]:
        """Selections (tuples of slices) covering ``sel`` (everything by default), one per
        chunk it touches, as ``h5py.Dataset.iter_chunks``."""
        chunks = self.chunks
        if chunks is None:
            raise LindiArgumentError(
                f"{self._file.filename}: Chunked dataset required for iter_chunks ({self._name!r})"
            )
        shape = self.shape
        if sel is None:
            sel = tuple(slice(0, n) for n in shape)
        elif not isinstance(sel, tuple):
            sel = (sel,)
        bounds = [s.indices(n)[:2] for s, n in zip(sel, shape, strict=True)]
        yield from chunk_slices(bounds, chunks, 0, ())

    def read_direct(self, dest: np.ndarray, source_sel: Any = None, dest_sel: Any = None) -> None:
        """Read ``self[source_sel]`` into ``dest[dest_sel]`` (broadcast as h5py broadcasts)."""
        values = self[source_sel if source_sel is not None else ()]
        try:
            dest[dest_sel if dest_sel is not None else ...] = values
        except ValueError as exc:
            raise LindiShapeError(
                f"{self._file.filename}: {self._name}: read_direct cannot put "
                f"{np.shape(values)} values into {np.shape(dest)}: {exc}"
            ) from None

    def write_direct(
        self, source: np.ndarray, source_sel: Any = None, dest_sel: Any = None
    ) -> None:
        """Write ``source[source_sel]`` into ``self[dest_sel]``."""
        values = source[source_sel if source_sel is not None else ...]
        self[dest_sel if dest_sel is not None else ...] = values

    def refresh(self) -> None:
        """Nothing to refresh: the hierarchy caches nodes and drops a node's cache entry
        whenever it is written through the hierarchy, so reads always see this file's own
        writes (changes made by other processes are not seen)."""

    def flush(self) -> None:
        """Nothing to flush per dataset; ``file.flush()`` persists changes."""

    # ------------------------------------------------------------------ writing
    def __setitem__(self, args: Any, val: Any) -> None:
        names, index = split_field_names(args)
        info = self.info
        where = f"{self._file.filename}: {self._name}"
        if names:
            val = self._rows_with_fields(info, names, index, val, where)
        # h5py converts anything but a numpy array before looking at the selection
        early = None if isinstance(val, np.ndarray) else coerce_values(val, info, where=where)
        selection = select(index, info.shape, where=where, reading=False)
        values = coerce_values(val, info, where=where) if early is None else early
        values = values_for_selection(values, selection, self.chunks, where=where)
        if info.shape and selection.nselect == 0:
            return
        if selection.outside:
            raise _outside(where, index)
        # as h5py: the values and the selection are checked before the file's write intent
        self._file._check_writable(f"write to dataset {self._name!r}")
        self._file._hierarchy.write(self._target, selection.selection, values)
        self._file._changed()

    def _rows_with_fields(
        self, info: DatasetInfo, names: tuple[str, ...], index: Any, val: Any, where: str
    ) -> np.ndarray:
        """The selected rows with the fields ``names`` set to ``val``, as h5py writes
        ``ds[names, index] = val`` (one field: ``val`` broadcast to it; several: the fields of
        a compound ``val`` by name, or ``val`` converted to each)."""
        fields = info.dtype.names
        if fields is None:
            raise LindiArgumentError(f"{where}: Illegal slicing argument (not a compound dataset)")
        for name in names:
            if name not in fields:
                raise LindiArgumentError(f"{where}: No such field for indexing: {name}")
        selection = select(index, info.shape, where=where, reading=False)
        rows = np.array(self._read(info, index), copy=True)
        try:
            if len(names) == 1:
                given = np.asarray(val, dtype=info.dtype[names[0]])
            elif isinstance(val, np.ndarray) and val.dtype.names is not None:
                given = val
            else:
                given = np.asarray(val, dtype=np.dtype([(n, info.dtype[n]) for n in names]))
            given = values_for_selection(given, selection, self.chunks, where=where)
            if len(names) == 1:
                rows[names[0]] = given
            else:
                for name in names:
                    rows[name] = given[name]
        except OverflowError as exc:
            raise LindiOverflowError(f"{where}: {exc}") from None
        except LindiError:
            raise
        except (TypeError, ValueError) as exc:
            raise LindiShapeError(f"{where}: cannot write {val!r:.100} to {names}: {exc}") from None
        return rows

    def resize(self, size: Any, axis: int | None = None) -> None:
        """Change the shape (within ``maxshape``): ``resize((n, m))`` or ``resize(n, axis=0)``."""
        where = f"{self._file.filename}: {self._name}"
        if self.chunks is None:
            raise LindiArgumentError(f"{where}: Only chunked datasets can be resized")
        info = self.info
        if axis is not None:
            if not 0 <= axis < len(info.shape):
                raise LindiArgumentError(
                    f"{where}: Invalid axis {axis} (0 to {len(info.shape) - 1} allowed)"
                )
            new_shape = list(info.shape)
            new_shape[axis] = int(size)
        else:
            new_shape = (
                [int(size)] if isinstance(size, (int, np.integer)) else [int(n) for n in size]
            )
            if len(new_shape) != len(info.shape):
                raise LindiShapeError(
                    f"{where}: New shape length ({len(new_shape)}) must match dataset rank "
                    f"({len(info.shape)})"
                )
        # as h5py: the arguments are checked before the file's write intent
        self._file._check_writable(f"resize dataset {self._name!r}")
        self._file._hierarchy.resize(self._target, tuple(new_shape))
        self._file._changed()

    def make_scale(self, name: str = "") -> None:
        """Make the dataset a dimension scale named ``name``: HDF5's ``CLASS`` and ``NAME``
        attributes, as ``H5DSset_scale`` writes them (scales cannot be attached to other
        datasets in LINDI files, see :attr:`dims`)."""
        if not self._file._writable:
            # h5py: HDF5 first removes any old scale name, a KeyError in a read-only file
            raise LindiReadOnlyDeleteError(
                f"{self._file.filename}: opened read-only (mode 'r'); cannot make "
                f"{self._name!r} a dimension scale"
            )
        encoded = name.encode("utf-8") if isinstance(name, str) else bytes(name)
        self.attrs.create("CLASS", np.array(b"DIMENSION_SCALE", dtype="S16"))
        self.attrs.create("NAME", np.array(encoded, dtype=f"S{len(encoded) + 1}"))

    # ------------------------------------------------------------------ comparison
    def __eq__(self, other: object) -> bool:
        if isinstance(other, LindiH5pyDataset):
            return self.id == other.id
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def __bool__(self) -> bool:
        return self._file._is_open

    def __repr__(self) -> str:
        if not self._file._is_open:
            return "<Closed LINDI dataset>"
        return f'<LINDI dataset "{self._name}": shape {self.shape}, type "{self.dtype.str}">'


def _outside(where: str, args: Any) -> LindiExtentError:
    return LindiExtentError(
        f"{where}: selection {args!r} reaches past the end of the dataset (an index list names "
        "the length of its axis)"
    )
