"""Stand-ins for h5py's low-level identifiers (``obj.id``), with what hdmf uses of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from h5py import h5d, h5p, h5s, h5z

from hdmf_lindi.errors import LindiUnsupportedError

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.file import LindiH5pyFile

__all__ = ["LindiDatasetId", "LindiObjectId"]


class LindiObjectId:
    """Identifies one object of one open LINDI file.

    Equal (and hashing equal) for every handle on the same object, whatever name it was
    reached through (a soft link gives the id of its target), as h5py's ``ObjectID`` does;
    hdmf keys its builder cache on it.

    Parameters
    ----------
    file
        The open file.
    path
        The object's real path (links resolved).
    """

    __slots__ = ("_file", "_path")

    def __init__(self, file: LindiH5pyFile, path: str) -> None:
        self._file = file
        self._path = path

    @property
    def path(self) -> str:
        """The object's real path."""
        return self._path

    @property
    def valid(self) -> bool:
        """Whether the file is still open."""
        return self._file._is_open

    def __bool__(self) -> bool:
        return self.valid

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LindiObjectId):
            return other._file is self._file and other._path == self._path
        return NotImplemented

    def __hash__(self) -> int:
        return hash((id(self._file), self._path))

    def __repr__(self) -> str:
        return f"<LindiObjectId {self._path!r}>"


class LindiDatasetId(LindiObjectId):
    """The identifier of a dataset: also ``extend`` (grow to at least a shape), as hdmf's
    chunk-iterator writer calls it, ``get_storage_size``, and the low-level surface (``shape``,
    ``dtype``, ``rank``, ``get_space``, ``read``) that h5py's own ``Dataset`` methods use, so
    that wrappers subclassing ``h5py.Dataset`` around ours (hdmf's ``StrDataset``) work."""

    __slots__ = ()

    @property
    def shape(self) -> tuple[int, ...]:
        """The dataset's current shape."""
        return tuple(self._file._dataset_info(self._path).shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dataset's dtype as h5py reports it."""
        return self._file._dataset_info(self._path).dtype

    @property
    def rank(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    def get_space(self) -> h5s.SpaceID:
        """An HDF5 dataspace of the dataset's shape (no file behind it)."""
        shape = self.shape
        if not shape:
            return h5s.create(h5s.SCALAR)
        return h5s.create_simple(shape)

    def read(
        self,
        mspace: h5s.SpaceID,
        fspace: h5s.SpaceID,
        arr_obj: np.ndarray,
        mtype: Any = None,
        dxpl: Any = None,
    ) -> None:
        """Read the ``fspace`` selection of the dataset into the ``mspace`` selection of
        ``arr_obj`` (regular hyperslab and all-selections, as h5py's high-level code makes)."""
        from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset

        dataset = LindiH5pyDataset(self._file, self._path, self._path)
        source = _numpy_selection(fspace, self.shape)
        dest = _numpy_selection(mspace, arr_obj.shape)
        values = dataset[source]
        target = arr_obj[dest]
        arr_obj[dest] = np.reshape(np.asarray(values, dtype=arr_obj.dtype), np.shape(target))

    def extend(self, shape: tuple[int, ...]) -> None:
        """Grow the dataset so that each dimension is at least ``shape``."""
        dataset = self._file[self._path]
        current = tuple(dataset.shape)
        new = tuple(max(int(a), int(b)) for a, b in zip(current, shape, strict=True))
        if new != current:
            dataset.resize(new)

    def get_create_plist(self) -> h5p.PropDCID:
        """An HDF5 dataset creation property list with the dataset's layout and filters (no
        file behind it), as h5py's ``Dataset.id.get_create_plist()``: h5py's own
        ``create_dataset_like`` reads it when given a LINDI dataset."""
        dataset = self._file[self._path]
        dcpl = h5p.create(h5p.DATASET_CREATE)
        dcpl.set_obj_track_times(False)
        if dataset.chunks is not None:
            dcpl.set_chunk(dataset.chunks)
        elif dataset.shape:
            dcpl.set_layout(h5d.CONTIGUOUS)
        if dataset.scaleoffset is not None:
            kind = h5z.SO_INT if dataset.dtype.kind in "iu" else h5z.SO_FLOAT_DSCALE
            dcpl.set_scaleoffset(kind, int(dataset.scaleoffset))
        if dataset.shuffle:
            dcpl.set_shuffle()
        if dataset.compression == "gzip":
            dcpl.set_deflate(int(dataset.compression_opts))
        elif dataset.compression == "lzf":
            dcpl.set_filter(h5z.FILTER_LZF, h5z.FLAG_OPTIONAL)
        if dataset.fletcher32:
            dcpl.set_fletcher32()
        return dcpl

    def get_storage_size(self) -> int:
        """Bytes the values take uncompressed (LINDI does not track stored sizes)."""
        dataset = self._file[self._path]
        return int(dataset.nbytes)


def _numpy_selection(space: h5s.SpaceID, shape: tuple[int, ...]) -> Any:
    """The numpy index equivalent to the selection of an HDF5 dataspace."""
    kind = space.get_select_type()
    if kind == h5s.SEL_ALL or not shape:
        return ()
    if kind == h5s.SEL_HYPERSLABS and space.is_regular_hyperslab():
        start, stride, count, block = space.get_regular_hyperslab()
        per_axis: list[Any] = []
        for s0, st, c, b in zip(start, stride, count, block, strict=True):
            if b == 1:
                per_axis.append(slice(s0, s0 + st * (c - 1) + 1, st))
            elif c == 1:
                per_axis.append(slice(s0, s0 + b))
            else:
                per_axis.append(
                    np.concatenate([np.arange(s0 + i * st, s0 + i * st + b) for i in range(c)])
                )
        if any(isinstance(item, np.ndarray) for item in per_axis):
            arrays = [
                np.arange(*item.indices(n)) if isinstance(item, slice) else item
                for item, n in zip(per_axis, shape, strict=True)
            ]
            return np.ix_(*arrays)
        return tuple(per_axis)
    raise LindiUnsupportedError(f"dataspace selection of type {kind} is not supported")
