"""``LindiH5pyDataset``: an ``h5py.Dataset`` whose values live in a LINDI file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
from h5py._hl.dataset import AbstractView, AsStrView

from hdmf_lindi.conventions.model import DataKind, DatasetInfo
from hdmf_lindi.errors import LindiShapeError, LindiUnsupportedError
from hdmf_lindi.h5py_compat._paths import parent_path
from hdmf_lindi.h5py_compat.attributes import LindiH5pyAttributes
from hdmf_lindi.h5py_compat.objectid import LindiDatasetId
from hdmf_lindi.h5py_compat.reference import LindiH5pyReference, to_h5py_values, to_model_values

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
        """The chunk shape (``None`` for a contiguous or scalar dataset)."""
        chunks = self.info.chunks
        return tuple(chunks) if chunks is not None else None

    @property
    def compression(self) -> str | None:
        """The compression filter name (``"gzip"``, ...) or ``None``."""
        return self.info.compression

    @property
    def compression_opts(self) -> Any:
        """The compression settings (the gzip level, ...) or ``None``."""
        return self.info.compression_opts

    @property
    def shuffle(self) -> bool:
        """Whether the shuffle filter applies (not recorded by LINDI: ``False``)."""
        return False

    @property
    def fletcher32(self) -> bool:
        """Whether a Fletcher32 checksum applies (never in LINDI)."""
        return False

    @property
    def scaleoffset(self) -> int | None:
        """The scale-offset filter setting (never in LINDI)."""
        return None

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
    def dims(self) -> Any:
        """Dimension scales are not supported."""
        raise LindiUnsupportedError(
            f"{self._file.filename}: dimension scales are not supported ({self._name!r})"
        )

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError(f"Attempt to take len() of scalar dataset {self._name!r}")
        return int(shape[0])

    def len(self) -> int:
        """The length of the first axis."""
        return self.__len__()

    def __iter__(self) -> Iterator[Any]:
        shape = self.shape
        if not shape:
            raise TypeError(f"Can't iterate over a scalar dataset {self._name!r}")
        for i in range(shape[0]):
            yield self[i]

    def __getitem__(self, args: Any, new_dtype: Any = None) -> Any:
        info = self.info
        names, selection = _split_field_names(args)
        values = self._read(info, selection)
        if names:
            if info.dtype.names is None:
                raise ValueError(
                    f"{self._file.filename}: field names {names!r} given for dataset "
                    f"{self._name!r}, which is not compound"
                )
            values = values[names[0]] if len(names) == 1 else values[list(names)]
        if new_dtype is not None:
            values = _astype(values, np.dtype(new_dtype))
        return values

    def _read(self, info: DatasetInfo, selection: Any) -> Any:
        selection = _normalized_selection(selection)
        mask = _full_mask(selection, info.shape)
        hierarchy = self._file._hierarchy
        pending = self._file._pending.get(self._target)
        if pending is not None:
            values = pending.read(selection if mask is None else mask)
        elif mask is not None:
            values = np.asarray(hierarchy.read(self._target, Ellipsis))[mask]
        elif info.kind is DataKind.COMPOUND and info.shape != ():
            # compound rows are small JSON tables; decoding them whole keeps row
            # selection in numpy, where every h5py selection form is defined
            values = np.asarray(hierarchy.read(self._target, Ellipsis))[selection]
        else:
            values = hierarchy.read(self._target, selection)
        if isinstance(values, np.ndarray) and values.ndim == 0 and not _has_ellipsis(selection):
            values = values[()]
        if info.kind is DataKind.VLEN_STRING:
            values = _str_to_bytes(values)
        if info.kind in (DataKind.REFERENCE, DataKind.COMPOUND) or (
            isinstance(values, np.ndarray) and values.dtype.kind == "O"
        ):
            values = to_h5py_values(values)
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
        return _LindiAsTypeView(self, target)

    def asstr(self, encoding: str | None = None, errors: str = "strict") -> Any:
        """A view reading string values as ``str``: ``ds.asstr()[:]``."""
        string_info = h5py.check_string_dtype(self.dtype)
        if string_info is None:
            raise TypeError(
                f"dset.asstr() can only be used on datasets with an HDF5 string datatype "
                f"({self._name!r} has {self.dtype})"
            )
        return AsStrView(self, encoding or string_info.encoding, errors=errors)

    def fields(self, names: str | list[str], *, _prior_dtype: Any = None) -> Any:
        """A view reading only some fields of a compound dataset: ``ds.fields("x")[:]``."""
        return _LindiFieldsView(self, names)

    def iter_chunks(self, sel: Any = None) -> Iterator[tuple[slice, ...]]:
        """Selections (tuples of slices) covering ``sel`` (everything by default), one per
        chunk it touches, as ``h5py.Dataset.iter_chunks``."""
        chunks = self.chunks
        if chunks is None:
            raise TypeError(f"iter_chunks can only be used on chunked datasets ({self._name!r})")
        shape = self.shape
        if sel is None:
            sel = tuple(slice(0, n) for n in shape)
        elif not isinstance(sel, tuple):
            sel = (sel,)
        bounds = [s.indices(n)[:2] for s, n in zip(sel, shape, strict=True)]
        yield from _chunk_slices(bounds, chunks, 0, ())

    def read_direct(self, dest: np.ndarray, source_sel: Any = None, dest_sel: Any = None) -> None:
        """Read ``self[source_sel]`` into ``dest[dest_sel]``."""
        values = self[source_sel if source_sel is not None else ()]
        dest[dest_sel if dest_sel is not None else ...] = values

    def write_direct(
        self, source: np.ndarray, source_sel: Any = None, dest_sel: Any = None
    ) -> None:
        """Write ``source[source_sel]`` into ``self[dest_sel]``."""
        values = source[source_sel if source_sel is not None else ...]
        self[dest_sel if dest_sel is not None else ...] = values

    def refresh(self) -> None:
        """Nothing to refresh: metadata is read from the file's map on every access."""

    def flush(self) -> None:
        """Nothing to flush per dataset; ``file.flush()`` persists changes."""

    # ------------------------------------------------------------------ writing
    def __setitem__(self, args: Any, val: Any) -> None:
        self._file._check_writable(f"write to dataset {self._name!r}")
        names, selection = _split_field_names(args)
        if names:
            raise LindiUnsupportedError(
                f"{self._file.filename}: writing single fields of compound dataset "
                f"{self._name!r} is not supported; write whole rows"
            )
        info = self.info
        selection = _normalized_selection(selection)
        if isinstance(selection, tuple) and selection == () and info.shape != ():
            selection = Ellipsis
        values = coerce_values(val, info)
        target_shape = _selection_shape(info.shape, selection)
        if target_shape == () and info.shape != ():
            # one element: written as a 1-element block, so that object values are never
            # wrapped in 0-d arrays on the way to the store
            selection = _element_block(selection, info.shape)
            target_shape = (1,) * len(info.shape)
            values = np.asarray(values).reshape(target_shape)
        if values.shape != target_shape:
            try:
                values = np.broadcast_to(values, target_shape)
            except ValueError:
                raise LindiShapeError(
                    f"{self._file.filename}: can't broadcast {values.shape} -> {target_shape} "
                    f"writing to dataset {self._name!r} at {args!r}"
                ) from None
        pending = self._file._pending.get(self._target)
        if pending is not None:
            pending.write(selection, values)
            if pending.complete:
                self._file._store_pending(self._target)
        else:
            self._file._hierarchy.write(self._target, selection, values)
        self._file._changed()

    def resize(self, size: Any, axis: int | None = None) -> None:
        """Change the shape (within ``maxshape``): ``resize((n, m))`` or ``resize(n, axis=0)``."""
        self._file._check_writable(f"resize dataset {self._name!r}")
        info = self.info
        if axis is not None:
            if not 0 <= axis < len(info.shape):
                raise ValueError(f"Invalid axis {axis} for dataset {self._name!r}")
            new_shape = list(info.shape)
            new_shape[axis] = int(size)
        else:
            new_shape = (
                [int(size)] if isinstance(size, (int, np.integer)) else [int(n) for n in size]
            )
        if len(new_shape) != len(info.shape):
            raise LindiShapeError(
                f"{self._file.filename}: cannot resize dataset {self._name!r} of rank "
                f"{len(info.shape)} to {tuple(new_shape)}"
            )
        maxshape = info.maxshape
        if maxshape is not None:
            for n, limit in zip(new_shape, maxshape, strict=True):
                if limit is not None and n > limit:
                    raise LindiShapeError(
                        f"{self._file.filename}: cannot resize dataset {self._name!r} to "
                        f"{tuple(new_shape)}: beyond its maxshape {tuple(maxshape)}"
                    )
        elif info.chunks is None and tuple(new_shape) != tuple(info.shape):
            raise LindiShapeError(
                f"{self._file.filename}: only chunked datasets can be resized "
                f"({self._name!r} is not chunked)"
            )
        pending = self._file._pending.get(self._target)
        if pending is not None:
            pending.resize(tuple(new_shape))
        else:
            self._file._hierarchy.resize(self._target, tuple(new_shape))
        self._file._changed()

    def make_scale(self, name: str = "") -> None:
        """Dimension scales are not supported."""
        raise LindiUnsupportedError(
            f"{self._file.filename}: dimension scales are not supported ({self._name!r})"
        )

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


class _LindiAsTypeView(AbstractView):
    """Reads values converted to another dtype."""

    def __init__(self, dset: LindiH5pyDataset, dtype: np.dtype[Any]) -> None:
        super().__init__(dset)
        self._dtype = dtype

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dtype

    def __getitem__(self, idx: Any) -> Any:
        return self._dset.__getitem__(idx, new_dtype=self._dtype)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self[...], dtype=dtype or self._dtype)


class _LindiFieldsView(AbstractView):
    """Reads some fields of a compound dataset."""

    def __init__(self, dset: LindiH5pyDataset, names: str | list[str]) -> None:
        super().__init__(dset)
        self._names = names

    @property
    def dtype(self) -> np.dtype[Any]:
        base = self._dset.dtype
        if isinstance(self._names, str):
            return base[self._names]
        return np.dtype([(n, base[n]) for n in self._names])

    def __getitem__(self, idx: Any) -> Any:
        values = self._dset[idx]
        if isinstance(self._names, str):
            return values[self._names]
        return values[list(self._names)]


# ---------------------------------------------------------------------- helpers


def _split_field_names(args: Any) -> tuple[tuple[str, ...], Any]:
    """Separate compound field names from the index part of an h5py selection."""
    parts = args if isinstance(args, tuple) else (args,)
    names = tuple(x for x in parts if isinstance(x, str))
    if not names:
        return (), args
    rest = tuple(x for x in parts if not isinstance(x, str))
    return names, (rest[0] if len(rest) == 1 else rest)


def _normalized_selection(selection: Any) -> Any:
    """Lists of indices/booleans as numpy arrays (h5py accepts both)."""
    if isinstance(selection, list):
        return np.asarray(selection)
    if isinstance(selection, tuple):
        return tuple(np.asarray(s) if isinstance(s, list) else s for s in selection)
    return selection


def _element_block(selection: Any, shape: tuple[int, ...]) -> tuple[slice, ...]:
    """The selection of one element (integers, maybe an Ellipsis) as 1-long slices."""
    items = selection if isinstance(selection, tuple) else (selection,)
    indices = [i for i in items if i is not Ellipsis]
    if len(indices) != len(shape) or not all(isinstance(i, (int, np.integer)) for i in indices):
        raise LindiShapeError(f"invalid single-element selection {selection!r} for {shape}")
    out = []
    for index, n in zip(indices, shape, strict=True):
        position = int(index) + n if int(index) < 0 else int(index)
        out.append(slice(position, position + 1))
    return tuple(out)


def _has_ellipsis(selection: Any) -> bool:
    if selection is Ellipsis:
        return True
    return isinstance(selection, tuple) and any(x is Ellipsis for x in selection)


def _full_mask(selection: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """A boolean mask covering the whole (multi-dimensional) dataset, if that is the
    selection."""
    if isinstance(selection, np.ndarray) and selection.dtype == np.bool_ and selection.ndim > 1:
        if selection.shape != shape:
            raise LindiShapeError(
                f"boolean mask of shape {selection.shape} does not match the dataset shape {shape}"
            )
        return selection
    return None


def _selection_shape(shape: tuple[int, ...], selection: Any) -> tuple[int, ...]:
    """The shape ``dataset[selection]`` has, computed without reading anything."""
    virtual = np.lib.stride_tricks.as_strided(
        np.zeros(1, dtype=np.int8), shape=shape, strides=(0,) * len(shape)
    )
    try:
        return tuple(virtual[selection].shape)
    except (IndexError, TypeError) as exc:
        raise LindiShapeError(f"invalid selection {selection!r} for shape {shape}: {exc}") from None


def _str_to_bytes(values: Any) -> Any:
    """Variable-length strings as h5py returns them from datasets: ``bytes``."""
    if isinstance(values, str):
        return values.encode("utf-8")
    if isinstance(values, np.ndarray) and values.dtype.kind in "OU":
        out = np.empty(values.shape, dtype=object)
        flat_in, flat_out = values.reshape(-1), out.reshape(-1)
        for i in range(flat_in.size):
            item = flat_in[i]
            flat_out[i] = item.encode("utf-8") if isinstance(item, str) else item
        return out
    return values


def _astype(values: Any, dtype: np.dtype[Any]) -> Any:
    if dtype.kind == "T":
        decoded = np.asarray(values, dtype=object)
        decoded = (
            np.vectorize(
                lambda v: v.decode("utf-8") if isinstance(v, bytes) else v, otypes=[object]
            )(decoded)
            if decoded.size
            else decoded
        )
        result = np.asarray(decoded).astype(dtype)
        return result[()] if result.ndim == 0 and not isinstance(values, np.ndarray) else result
    if isinstance(values, np.ndarray):
        return values.astype(dtype)
    return np.asarray(values).astype(dtype)[()]


def _chunk_slices(
    bounds: list[tuple[int, int]],
    chunks: tuple[int, ...],
    axis: int,
    prefix: tuple[slice, ...],
) -> Iterator[tuple[slice, ...]]:
    if axis == len(bounds):
        yield prefix
        return
    start, stop = bounds[axis]
    size = chunks[axis]
    position = start
    while position < stop:
        end = min(stop, (position // size + 1) * size)
        yield from _chunk_slices(bounds, chunks, axis + 1, (*prefix, slice(position, end, 1)))
        position = end


def coerce_values(val: Any, info: DatasetInfo) -> np.ndarray:
    """``val`` (numpy array, list, scalar, list of row tuples, h5py references) as a numpy
    array that the conventions can store for a dataset described by ``info``."""
    if isinstance(val, h5py.Dataset):
        val = val[()]
    val = to_model_values(val)
    dtype = info.dtype
    if info.kind is DataKind.COMPOUND or dtype.names is not None:
        return _compound_array(val, dtype)
    if info.kind in (DataKind.VLEN_STRING, DataKind.VLEN_BYTES, DataKind.REFERENCE):
        return _object_array(val)
    array = np.asarray(val)
    if array.dtype.kind == "O" and dtype.kind != "O":
        array = array.astype(dtype)
    if dtype.kind in "SU" and array.dtype.kind in "SU":
        return array.astype(dtype)
    if array.dtype != dtype:
        try:
            array = array.astype(dtype, casting="unsafe")
        except (TypeError, ValueError) as exc:
            raise LindiShapeError(
                f"cannot convert values of dtype {array.dtype} to {dtype}"
            ) from exc
    return array


def _object_array(val: Any) -> np.ndarray:
    if isinstance(val, np.ndarray):
        return val if val.dtype.kind == "O" else val.astype(object)
    if isinstance(val, (list, tuple)):
        out = np.empty(len(val), dtype=object)
        for i, item in enumerate(val):
            out[i] = item
        if len(val) and isinstance(val[0], (list, tuple, np.ndarray)):
            return np.array(val, dtype=object)
        return out
    out = np.empty((), dtype=object)
    out[()] = val
    return out


def _compound_array(val: Any, dtype: np.dtype[Any]) -> np.ndarray:
    if isinstance(val, np.ndarray) and val.dtype.names is not None:
        if val.dtype == dtype:
            return val
        out = np.empty(val.shape, dtype=dtype)
        for name in dtype.names or ():
            out[name] = val[name]
        return out
    if isinstance(val, np.void):
        return np.array(val.item(), dtype=dtype)
    if isinstance(val, tuple):
        return np.array(val, dtype=dtype)
    rows = [tuple(row) for row in val]
    out = np.empty(len(rows), dtype=dtype)
    for i, row in enumerate(rows):
        out[i] = row
    return out
