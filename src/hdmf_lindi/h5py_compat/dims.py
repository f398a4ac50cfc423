"""``dataset.dims`` of the h5py view: dimension labels and the (always empty) lists of
dimension scales. LINDI files hold no dimension scales (their ``DIMENSION_LIST`` and
``REFERENCE_LIST`` attributes are ragged and compound reference arrays, which the converter
refuses), so every dimension reports none, as h5py does for a dataset without them; attaching
one raises :class:`~hdmf_lindi.errors.LindiUnsupportedError`. Labels are HDF5's
``DIMENSION_LABELS`` attribute, as ``H5DSset_label`` writes it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from h5py._hl.dims import DimensionManager, DimensionProxy
from h5py.h5py_warnings import H5pyDeprecationWarning

from hdmf_lindi.errors import (
    LindiArgumentError,
    LindiIndexError,
    LindiOverflowError,
    LindiUnsupportedError,
)

if TYPE_CHECKING:
    from hdmf_lindi.h5py_compat.dataset import LindiH5pyDataset

__all__ = ["LABELS_ATTRIBUTE", "LindiDimensionManager", "LindiDimensionProxy"]

LABELS_ATTRIBUTE = "DIMENSION_LABELS"


class LindiDimensionProxy(DimensionProxy):
    """One dimension of a LINDI dataset, as h5py's ``DimensionProxy``: its ``label`` and its
    dimension scales (none).

    Parameters
    ----------
    dataset
        The dataset.
    dimension
        The axis, ``0 <= dimension < dataset.ndim``.
    """

    def __init__(self, dataset: LindiH5pyDataset, dimension: int) -> None:
        # h5py's own __init__ keeps a low-level HDF5 id; not called on purpose.
        self._dataset = dataset
        self._dimension = dimension

    def _checked(self) -> int:
        """The dimension's axis; a negative one raises as h5py, which hands it to HDF5 as an
        unsigned integer."""
        if self._dimension < 0:
            raise LindiOverflowError(f"{self._where}: can't convert negative value to unsigned int")
        return self._dimension

    @property
    def label(self) -> str:
        """The dimension's label (``""`` when none was set)."""
        self._checked()
        labels = self._dataset.attrs.get(LABELS_ATTRIBUTE)
        if labels is None:
            return ""
        return _text(np.asarray(labels, dtype=object).reshape(-1)[self._dimension])

    @label.setter
    def label(self, value: str | bytes) -> None:
        if not isinstance(value, (str, bytes)):
            raise LindiArgumentError(
                f"{self._where}: A name should be string or bytes, not {type(value)}"
            )
        self._checked()
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        ndim = len(self._dataset.shape)
        existing = self._dataset.attrs.get(LABELS_ATTRIBUTE)
        labels = [""] * ndim if existing is None else [_text(x) for x in np.ravel(existing)]
        labels[self._dimension] = text
        self._dataset.attrs[LABELS_ATTRIBUTE] = np.array(labels, dtype=object)

    @property
    def _where(self) -> str:
        return f"{self._dataset.file.filename}: {self._dataset.name}: dimension {self._dimension}"

    def __hash__(self) -> int:
        return hash((type(self), self._dataset.name, self._dimension))

    def __eq__(self, other: object) -> bool:
        return hash(self) == hash(other)

    def __iter__(self) -> Iterator[str]:
        yield from self.keys()

    def __len__(self) -> int:
        self._checked()
        return 0

    def __getitem__(self, item: Any) -> Any:
        self._checked()
        # h5py: HDF5's scale iteration fails on a dimension without scales (RuntimeError)
        raise LindiUnsupportedError(
            f"{self._where}: no dimension scale {item!r} (LINDI files hold no dimension scales)"
        )

    def attach_scale(self, dset: Any) -> None:
        """Dimension scales cannot be attached in LINDI files.

        Raises
        ------
        LindiUnsupportedError
            Always.
        """
        raise LindiUnsupportedError(
            f"{self._where}: cannot attach a dimension scale: LINDI files hold none (their "
            "reference lists have no representation)"
        )

    def detach_scale(self, dset: Any) -> None:
        """Dimension scales cannot be detached: there are none.

        Raises
        ------
        LindiUnsupportedError
            Always.
        """
        raise LindiUnsupportedError(
            f"{self._where}: no dimension scale is attached (LINDI files hold none)"
        )

    def items(self) -> list[tuple[str, Any]]:
        """``(name, dataset)`` of the dimension's scales: none."""
        self._checked()
        return []

    def keys(self) -> list[str]:
        """Names of the dimension's scales: none."""
        return [name for name, _ in self.items()]

    def values(self) -> list[Any]:
        """The dimension's scales: none."""
        return [scale for _, scale in self.items()]

    def __repr__(self) -> str:
        dataset = self._dataset.name
        return f'<"{self.label}" dimension {self._dimension} of LINDI dataset {dataset!r}>'


class LindiDimensionManager(DimensionManager):
    """The dimensions of a LINDI dataset (``dataset.dims``), as h5py's ``DimensionManager``.

    Parameters
    ----------
    dataset
        The dataset.
    """

    def __init__(self, dataset: LindiH5pyDataset) -> None:
        # h5py's own __init__ keeps a low-level HDF5 id; not called on purpose.
        self._dataset = dataset

    def __getitem__(self, index: int) -> LindiDimensionProxy:
        where = f"{self._dataset.file.filename}: {self._dataset.name}"
        if not isinstance(index, (int, np.integer)):
            raise LindiArgumentError(f"{where}: a dimension is chosen by an integer, not {index!r}")
        if index > len(self) - 1:
            raise LindiIndexError(f"{where}: Index out of range")
        # as h5py, a negative index gives a dimension that fails on use
        return LindiDimensionProxy(self._dataset, int(index))

    def __len__(self) -> int:
        return len(self._dataset.shape)

    def __iter__(self) -> Iterator[LindiDimensionProxy]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<Dimensions of LINDI dataset {self._dataset.name!r}>"

    def create_scale(self, dset: Any, name: str = "") -> None:
        """Make ``dset`` a dimension scale (deprecated in h5py: use ``dset.make_scale``)."""
        warnings.warn(
            "other_ds.dims.create_scale(ds, name) is deprecated. Use ds.make_scale(name) instead.",
            H5pyDeprecationWarning,
            stacklevel=2,
        )
        dset.make_scale(name)


def _text(item: Any) -> str:
    return item.decode("utf-8") if isinstance(item, bytes) else str(item)
