"""Reference datasets created empty, held in memory until every element is written.

LINDI v1 stores reference datasets and string datasets alike (``|O`` + ``json2``); readers
tell them apart by the first element. An empty reference dataset, as hdmf creates before it
resolves references (``require_dataset(shape, dtype=h5py.ref_dtype)``, then ``ds[()] = refs``),
would read back as a string dataset, and LINDI has no null reference to fill it with. So such
a dataset is kept here until all its elements are written, then created with its values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hdmf_lindi.conventions.model import DatasetInfo, Node, NodeKind

__all__ = ["PendingDataset"]


@dataclass
class PendingDataset:
    """A reference dataset not yet stored: its description, values and attributes."""

    path: str
    info: DatasetInfo
    values: np.ndarray = field(init=False)
    written: np.ndarray = field(init=False)
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.empty(self.info.shape, dtype=object)
        self.written = np.zeros(self.info.shape, dtype=bool)

    @property
    def complete(self) -> bool:
        """Whether every element has been written."""
        return bool(self.written.all())

    def node(self) -> Node:
        """The dataset as a node of the hierarchy."""
        return Node(
            path=self.path, kind=NodeKind.DATASET, attrs=dict(self.attrs), dataset=self.info
        )

    def write(self, selection: Any, values: np.ndarray) -> None:
        """Set ``values`` at ``selection``."""
        if values.ndim == 0:
            self.values[selection] = values[()]
        else:
            self.values[selection] = values
        self.written[selection] = True

    def read(self, selection: Any) -> Any:
        """The values at ``selection`` (``None`` where nothing was written yet)."""
        return self.values[selection]

    def resize(self, shape: tuple[int, ...]) -> None:
        """Change the shape, keeping the values that still fit."""
        values = np.empty(shape, dtype=object)
        written = np.zeros(shape, dtype=bool)
        common = tuple(slice(0, min(a, b)) for a, b in zip(shape, self.info.shape, strict=True))
        values[common] = self.values[common]
        written[common] = self.written[common]
        self.values, self.written = values, written
        self.info = replace(self.info, shape=shape)
