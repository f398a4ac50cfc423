"""The objects LindiIO reads from a file an external link names belong to that file.

A dataset or a reference read through an external link is resolved in the file the link
names (the *target*), as h5py does: its references point into the target, and a lazy dataset
reports the target as its ``source`` (so that writing it elsewhere links to the right file).
:class:`LinkedFile` stands in for the :class:`~hdmf_lindi.io.lindi_io.LindiIO` that followed
the link, for the builders and lazy datasets of the target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hdmf_lindi._paths import normalize_path
from hdmf_lindi.conventions.model import NodeKind, Reference
from hdmf_lindi.errors import LindiError, LindiReadOnlyError
from hdmf_lindi.io.h5py_view import H5pyFileView

if TYPE_CHECKING:
    from hdmf.build import Builder, BuildManager
    from hdmf.container import Container

    from hdmf_lindi.h5py_compat import LindiH5pyFile
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.io.datasets import LindiDataset
    from hdmf_lindi.io.read import BuilderReader

__all__ = ["LinkedFile", "reference_target"]


def reference_target(hierarchy: Hierarchy, reference: Reference, *, where: str) -> str:
    """The path of the object a reference of ``hierarchy``'s file points to, after
    :meth:`~hdmf_lindi.hierarchy.Hierarchy.dereference` checked that it is still the object
    the reference was made to; ``where`` prefixes error messages."""
    try:
        node = hierarchy.dereference(reference)
    except LindiError as exc:
        raise type(exc)(f"{where}: {exc}") from exc
    if node.kind in (NodeKind.GROUP, NodeKind.DATASET):
        return node.path
    return normalize_path(reference.path)


class LinkedFile:
    """A file reached through an external link, read-only, in the role LindiIO plays for its
    own file: source, reference resolution, builders and containers by path.

    Parameters
    ----------
    manager
        The build manager of the LindiIO that followed the link.
    hierarchy
        The target file's hierarchy.
    source
        The target file's path or URL.
    close
        Closes the target file (``dataset.file.close()`` on one of its datasets).
    """

    def __init__(
        self,
        manager: BuildManager,
        hierarchy: Hierarchy,
        source: str,
        close: Callable[[], None],
    ) -> None:
        self._manager = manager
        self._hierarchy = hierarchy
        self._source = source
        self._h5py_view = H5pyFileView(hierarchy, source, close)
        self.reader: BuilderReader | None = None

    def h5py_file(self) -> LindiH5pyFile:
        """The target file as a :class:`~hdmf_lindi.LindiH5pyFile` (what ``file`` is for its
        datasets); closing it closes the target file."""
        return self._h5py_view.file

    def detach_h5py_file(self) -> None:
        """Mark the view of :meth:`h5py_file` closed (the target file is being closed)."""
        self._h5py_view.detach()

    @property
    def source(self) -> str:
        """The target file's path or URL."""
        return self._source

    @property
    def manager(self) -> BuildManager:
        """The build manager of the LindiIO that followed the link."""
        return self._manager

    def _reference_target(self, reference: Reference, *, where: str) -> str:
        return reference_target(self._hierarchy, reference, where=f"{self._source}: {where}")

    def get_builder(self, path: str | LindiDataset) -> Builder:
        """The builder of the object at ``path`` in the target file."""
        if self.reader is None:
            raise LindiError(f"{self._source}: the linked file has no reader")
        if not isinstance(path, str):
            path = path.path
        return self.reader.builder_at(path)

    def get_container(self, path: str | LindiDataset) -> Container:
        """The container of the object at ``path`` in the target file."""
        container: Container = self._manager.construct(self.get_builder(path))
        return container

    def _append_to_dataset(self, dataset: LindiDataset, value: Any) -> None:
        self._refuse_write("append to", dataset)

    def _write_to_dataset(self, dataset: LindiDataset, selection: Any, values: Any) -> None:
        self._refuse_write("write to", dataset)

    def _resize_dataset(self, dataset: LindiDataset, shape: tuple[int, ...]) -> None:
        self._refuse_write("resize", dataset)

    def _refuse_write(self, action: str, dataset: LindiDataset) -> None:
        raise LindiReadOnlyError(
            f"{self._source}: cannot {action} {dataset.path}: the file is read through an "
            "external link, read-only"
        )
