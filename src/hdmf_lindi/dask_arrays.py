"""LINDI datasets as dask arrays, for parallel reads (threads, processes, or a
``distributed`` cluster: the array pickles with its store, which reopens its sources).

>>> import hdmf_lindi
>>> from hdmf_lindi.dask_arrays import as_dask_array
>>> with hdmf_lindi.LindiIO("file.nwb.lindi.json") as io:  # doctest: +SKIP
...     data = as_dask_array(io.read().acquisition["ElectricalSeries"].data)
...     data.mean(axis=0).compute()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hdmf_lindi.conventions.model import DataKind
from hdmf_lindi.errors import LindiUnsupportedError

if TYPE_CHECKING:
    import dask.array

__all__ = ["as_dask_array"]


def _handle_of(dataset: Any) -> Any:
    from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset
    from hdmf_lindi.hierarchy import DatasetHandle
    from hdmf_lindi.io.datasets import LindiDataset

    if isinstance(dataset, LindiDataset):
        return dataset.dataset
    if isinstance(dataset, LindiH5pyDataset):
        return dataset._file._hierarchy.dataset(dataset._target)
    if isinstance(dataset, DatasetHandle):
        return dataset
    raise TypeError(
        f"expected a LindiIO dataset, a LindiH5pyDataset or a DatasetHandle, got {type(dataset)}"
    )


def as_dask_array(dataset: Any) -> dask.array.Array:
    """A dask array over a numeric LINDI dataset, one dask chunk per stored chunk
    (``da.from_zarr`` over the file's store). A dataset that links to an HDF5 dataset
    elsewhere (``_EXTERNAL_ARRAY_LINK``) is read through the open file's hierarchy instead,
    one chunk at a time: compute it in this process (threads), not on a distributed cluster.

    Parameters
    ----------
    dataset
        A dataset read through ``LindiIO`` (``nwbfile.acquisition[...].data``), a
        ``LindiH5pyDataset``, or a ``DatasetHandle`` of a ``Hierarchy``.

    Returns
    -------
    dask.array.Array

    Raises
    ------
    LindiUnsupportedError
        For datasets of strings, references or compound rows (read them with numpy).
    """
    import dask.array as da

    handle = _handle_of(dataset)
    info = handle.info
    if info.kind is not DataKind.NUMERIC:
        raise LindiUnsupportedError(
            f"{handle.path}: only numeric datasets become dask arrays (this one holds "
            f"{info.kind.name.lower()} values)"
        )
    if info.external_array_link is not None:
        # zarr sees no chunk refs there (it would read fill values): read through the
        # hierarchy, which opens the linked HDF5 dataset under the store's policy
        chunks = info.chunks if info.chunks and len(info.chunks) == len(info.shape) else "auto"
        return da.from_array(handle, chunks=chunks, name=False, lock=True, asarray=True)
    array = handle.hierarchy._array(handle.path)
    if tuple(array.shape) != tuple(info.shape):  # a scalar stored as (1,), ...
        return da.from_array(handle[...], chunks=-1)
    return da.from_zarr(array)
