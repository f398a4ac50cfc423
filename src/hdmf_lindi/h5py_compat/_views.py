"""Views of a ``LindiH5pyDataset``: ``astype`` and compound field selections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from h5py._hl.dataset import AbstractView
from numpy.lib.recfunctions import repack_fields

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset

__all__ = ["LindiAsTypeView", "LindiFieldsView"]


class LindiAsTypeView(AbstractView):
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


class LindiFieldsView(AbstractView):
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
        # packed, in the order named, as h5py reads several fields
        return repack_fields(values[list(self._names)])
