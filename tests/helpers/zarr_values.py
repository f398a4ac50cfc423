"""Reading zarr arrays in tests: fail clearly when a name is a group, return plain numpy."""

from __future__ import annotations

import numpy as np
import zarr

__all__ = ["array_of", "values_of"]


def array_of(group: zarr.Group, name: str) -> zarr.Array:
    """The array ``name`` of ``group`` (failing the test when it is a group)."""
    node = group[name]
    assert isinstance(node, zarr.Array), name
    return node


def values_of(group: zarr.Group, name: str) -> np.ndarray:
    """All values of the array ``name`` of ``group``."""
    return np.asarray(array_of(group, name)[...])
