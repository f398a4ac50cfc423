"""Builders to a hierarchy: the write half of LindiIO.

Follows HDF5IO's semantics: groups, datasets, links and attributes are written in one walk;
object references (attributes, reference datasets, compound rows) are queued and filled at the
end, when every target exists; ``DataChunkIterator``s are written buffer by buffer (growing the
dataset within its maxshape), immediately or round-robin at the end (``exhaust_dci=False``).
Datasets that come from a file (another LINDI file, an HDF5 file, a zarr array) are linked or
copied by the ``link_data`` rules of HDF5IO; copies go block by block, never whole.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
from hdmf.build import Builder, DatasetBuilder, GroupBuilder, LinkBuilder, ReferenceBuilder
from hdmf.container import Container
from hdmf.data_utils import AbstractDataChunkIterator, DataChunk, DataIO
from hdmf.query import HDMFDataset

from hdmf_lindi._paths import join_path, parent_path
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, NodeKind, Reference
from hdmf_lindi.conventions.values import refuse_embedded_nul
from hdmf_lindi.errors import LindiError
from hdmf_lindi.io.chunk_aligner import ChunkAligner
from hdmf_lindi.io.data_io import StorageSettings, storage_settings
from hdmf_lindi.io.datasets import LindiDataset, _ReferenceResolvingDataset
from hdmf_lindi.io.write_values import (
    REF,
    as_values,
    attribute_value,
    bytes_as_text,
    compound_dtype,
    field_specs,
    info_for,
    is_ref,
    is_reference_value,
    iterator_chunks,
    resolve_dtype,
    row_items,
    source_dtype,
    with_source_filters,
)
from hdmf_lindi.storage.sources import is_remote_url

if TYPE_CHECKING:
    from hdmf.build import BuildManager

    from hdmf_lindi.hierarchy import Hierarchy

__all__ = ["BuilderWriter"]

COPY_BLOCK_BYTES = 64 * 2**20
"""Datasets copied from another file move in blocks of about this many bytes."""


class BuilderWriter:
    """Writes builders into one writable hierarchy.

    Parameters
    ----------
    hierarchy
        The destination.
    manager
        Builds containers met as reference targets.
    source
        The destination's path or URL (decides soft vs external links).
    is_written, set_written
        The IO's write-status tracker (builders read from the file count as written).
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        manager: BuildManager,
        source: str | None,
        is_written: Callable[[Builder], bool],
        set_written: Callable[[Builder], None],
    ) -> None:
        self._hierarchy = hierarchy
        self._manager = manager
        self._source = source
        self._is_written = is_written
        self._set_written = set_written
        self._referenced: list[tuple[str, str, Builder]] = []
        self._dci_queue: deque[tuple[str, AbstractDataChunkIterator]] = deque()
        self._iterative: dict[str, _IterativeWrite] = {}
        self._root_object_id: str | None = None
        self._root: GroupBuilder | None = None
        self._link_data = True
        self._exhaust_dci = True
        self._export_source: str | None = None
        self._expandable: tuple[str, ...] = ()

    # ------------------------------------------------------------------ entry point
    def write_root(
        self,
        root: GroupBuilder,
        *,
        link_data: bool = True,
        exhaust_dci: bool = True,
        export_source: str | None = None,
        expandable: Iterable[str] = ("VectorData", "ElementIdentifiers"),
    ) -> None:
        """Write the file's root builder and everything below it."""
        self._link_data = link_data
        self._exhaust_dci = exhaust_dci
        self._export_source = export_source
        self._expandable = tuple(expandable)
        self._root = root
        object_id = root.attributes.get("object_id")
        self._root_object_id = object_id if isinstance(object_id, str) else None
        self._write_children("/", root)
        self._set_attributes("/", root.attributes, written=self._is_written(root))
        self.check_references()
        self._exhaust_dci_queue()
        self._set_written(root)

    # ------------------------------------------------------------------ groups and links
    def _write_children(self, path: str, builder: GroupBuilder) -> None:
        for group in builder.groups.values():
            self._write_group(join_path(path, group.name), group)
        for dataset in builder.datasets.values():
            self._write_dataset(join_path(path, dataset.name), dataset)
        for link in builder.links.values():
            self._write_link(join_path(path, link.name), link)

    def _write_group(self, path: str, builder: GroupBuilder) -> None:
        written = self._is_written(builder)
        if not written:
            node = self._hierarchy.node(path)
            if node is None:
                self._hierarchy.create_group(path)
            elif node.kind is not NodeKind.GROUP:
                raise LindiError(
                    f"{self._source}: cannot write group {path!r}: a {node.kind.value} is there"
                )
        self._write_children(path, builder)
        self._set_attributes(path, builder.attributes, written=written)
        self._set_written(builder)

    def _write_link(self, path: str, builder: LinkBuilder) -> None:
        if self._is_written(builder):
            return
        target = builder.builder
        target_path = self.path_of(target)
        write_source = self._export_source if self._export_source is not None else builder.source
        if _same_file(target.source, write_source) or _same_file(target.source, self._source):
            self._hierarchy.create_soft_link(path, target_path)
        elif target.source is not None:
            self._hierarchy.create_external_link(path, self._relative(target.source), target_path)
        else:
            raise LindiError(
                f"{self._source}: cannot link {path!r} to {target_path!r}: the target has no file"
            )
        self._set_written(builder)

    # ------------------------------------------------------------------ datasets
    def _write_dataset(self, path: str, builder: DatasetBuilder) -> None:
        if self._is_written(builder):
            return
        data, settings = storage_settings(builder.data)
        link_data = settings.link_data if isinstance(builder.data, DataIO) else self._link_data
        settings = self._with_expandable_maxshape(builder, data, settings)
        dtype_spec = builder.dtype
        attributes = builder.attributes

        origin = _dataset_origin(data)
        if origin is not None:
            done = self._link_or_copy(path, builder, data, origin, settings, link_data)
            if done:
                self._set_written(builder)
                return
        if isinstance(dtype_spec, list):
            fields = [(str(spec["name"]), spec["dtype"]) for spec in field_specs(dtype_spec)]
            if any(is_ref(dtype) for _, dtype in fields):
                self._write_compound_with_refs(path, data, fields, settings, attributes)
                self._set_written(builder)
                return
            values = self._compound_values(data, fields, path)
            info = info_for(
                values.shape,
                values.dtype,
                settings,
                kind=DataKind.COMPOUND,
                where=self._where(path),
            )
            self._create(path, info, values, attributes, codecs=settings.codecs)
        elif is_ref(dtype_spec) or isinstance(data, ReferenceBuilder):
            self._write_references(path, data, settings, attributes)
            self._set_written(builder)
            return
        elif data is None:
            if settings.shape is None or settings.dtype is None:
                raise LindiError(
                    f"{self._source}: cannot create empty dataset {path!r} without shape and dtype"
                )
            dtype = resolve_dtype(settings.dtype, None)
            info = info_for(tuple(settings.shape), dtype, settings, where=self._where(path))
            self._create(path, info, None, attributes, codecs=settings.codecs)
        elif isinstance(data, AbstractDataChunkIterator):
            self._setup_iterative(path, data, dtype_spec, settings, attributes)
        else:
            dtype = resolve_dtype(dtype_spec, data)
            values = as_values(data, dtype, path)
            info = info_for(values.shape, dtype, settings, where=self._where(path))
            self._create(path, info, values, attributes, codecs=settings.codecs)
        self._set_written(builder)

    def _with_expandable_maxshape(
        self, builder: DatasetBuilder, data: Any, settings: StorageSettings
    ) -> StorageSettings:
        if (
            not self._expandable
            or settings.maxshape is not None
            or np.ndim(data) == 0
            or isinstance(data, AbstractDataChunkIterator)
            or builder.matched_spec_shape is None
            or self._manager.get_builder_dt(builder) is None
            or not any(self._manager.is_sub_data_type(builder, dt) for dt in self._expandable)
        ):
            return settings
        maxshape = tuple(builder.matched_spec_shape)
        return replace(settings, maxshape=maxshape, chunks=settings.chunks or True)

    def _where(self, path: str) -> str:
        return f"{self._source}:{path}"

    def _create(
        self,
        path: str,
        info: DatasetInfo,
        values: np.ndarray | None,
        attributes: Mapping[str, Any],
        *,
        codecs: Mapping[str, Any] | None = None,
        set_attrs: bool = True,
    ) -> None:
        self._hierarchy.create_dataset(path, info, data=values, codecs=codecs)
        if set_attrs:
            self._set_attributes(path, attributes, written=False)

    def _link_or_copy(
        self,
        path: str,
        builder: DatasetBuilder,
        data: Any,
        origin: tuple[str | None, str],
        settings: StorageSettings,
        link_data: bool,
    ) -> bool:
        """Link to or copy a dataset of a file; ``False`` when the generic path must write it
        (a reference dataset being copied: its references are rewritten)."""
        origin_file, origin_path = origin
        if link_data:
            parent = parent_path(path)
            if self._export_source is None:
                if _same_file(origin_file, self._source):
                    if origin_path != path:
                        self._hierarchy.create_soft_link(path, origin_path)
                        return True
                    return True
                if origin_file is not None:
                    self._hierarchy.create_external_link(
                        path, self._relative(origin_file), origin_path
                    )
                    return True
            elif not _same_file(origin_file, self._export_source) and origin_file is not None:
                self._hierarchy.create_external_link(path, self._relative(origin_file), origin_path)
                return True
            elif parent != parent_path(origin_path):
                self._hierarchy.create_soft_link(path, origin_path)
                return True
        if isinstance(data, _ReferenceResolvingDataset):
            return False
        self._copy_dataset(path, data, builder, settings)
        return True

    def _copy_dataset(
        self, path: str, data: Any, builder: DatasetBuilder, settings: StorageSettings
    ) -> None:
        shape = tuple(data.shape)
        dtype = source_dtype(data)
        if not shape:
            value = data[()]
            values = as_values(value, dtype, path)
            info = info_for((), dtype, settings, where=self._where(path))
            self._create(path, info, values, builder.attributes, codecs=settings.codecs)
            return
        source_chunks = getattr(data, "chunks", None)
        if settings.chunks is None and source_chunks:
            settings = replace(settings, chunks=tuple(source_chunks))
        if settings.maxshape is None and getattr(data, "maxshape", None) is not None:
            maxshape = tuple(data.maxshape)
            if maxshape != shape:
                settings = replace(settings, maxshape=maxshape)
        info = with_source_filters(
            info_for(shape, dtype, settings, where=self._where(path)), data, settings
        )
        nbytes = int(np.prod(shape, dtype=np.int64)) * max(1, info.dtype.itemsize)
        if nbytes <= COPY_BLOCK_BYTES:
            values = as_values(data[...], info.dtype, path)
            self._create(path, info, values, builder.attributes, codecs=settings.codecs)
            return
        self._create(path, info, None, builder.attributes, codecs=settings.codecs)
        row_bytes = max(1, nbytes // max(1, shape[0]))
        step = max(1, COPY_BLOCK_BYTES // row_bytes)
        if info.chunks:
            step = max(info.chunks[0], step - step % info.chunks[0])
        for start in range(0, shape[0], step):
            block = slice(start, min(shape[0], start + step))
            self._hierarchy.write(path, block, as_values(data[block], info.dtype, path))

    def _setup_iterative(
        self,
        path: str,
        data: AbstractDataChunkIterator,
        dtype_spec: Any,
        settings: StorageSettings,
        attributes: Mapping[str, Any],
    ) -> None:
        shape = tuple(data.recommended_data_shape())
        maxshape = settings.maxshape if settings.maxshape is not None else data.maxshape
        dtype = resolve_dtype(dtype_spec, None) if dtype_spec is not None else None
        if dtype is None or (isinstance(dtype_spec, str) and dtype_spec == "numeric"):
            dtype = np.dtype(data.dtype)
        chunks = settings.chunks
        if chunks is None or chunks is True:
            recommended = data.recommended_chunk_shape()
            chunks = (
                tuple(recommended)
                if recommended is not None
                else iterator_chunks(shape, maxshape, np.dtype(dtype))
            )
        settings = replace(
            settings, chunks=chunks, maxshape=tuple(maxshape) if maxshape is not None else None
        )
        info = info_for(shape, np.dtype(dtype), settings, where=self._where(path))
        self._create(path, info, None, attributes, codecs=settings.codecs)
        self._iterative[path] = _IterativeWrite(
            self._hierarchy,
            path,
            info,
            axis=int(getattr(data, "iter_axis", 0) or 0),
        )
        if self._exhaust_dci:
            while self._write_chunk(path, data):
                pass
        else:
            self._dci_queue.append((path, data))

    def _write_chunk(self, path: str, data: AbstractDataChunkIterator) -> bool:
        try:
            chunk = next(data)
        except StopIteration:
            self._iterative.pop(path).finish()
            return False
        self._iterative[path].add(chunk)
        return True

    def _exhaust_dci_queue(self) -> None:
        while self._dci_queue:
            path, data = self._dci_queue.popleft()
            if self._write_chunk(path, data):
                self._dci_queue.append((path, data))

    # ------------------------------------------------------------------ references
    # References are written at once: a target's path and object_id are known from its builder
    # even before the target itself is written (and lindi 0.4.6's metadata cannot tell an empty
    # reference dataset from a string one). Every target is checked to exist once all is written.
    def _write_references(
        self, path: str, data: Any, settings: StorageSettings, attributes: Mapping[str, Any]
    ) -> None:
        if isinstance(data, (ReferenceBuilder, Builder, Container)):
            value = np.empty((), dtype=object)
            value[()] = self.reference_to(data, where=path)
            info = DatasetInfo(shape=(), dtype=np.dtype(REF), kind=DataKind.REFERENCE)
            self._create(path, info, value, attributes)
            return
        items = list(data)
        values = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):
            values[i] = self.reference_to(item, where=path)
        info = info_for(
            (len(items),),
            np.dtype(REF),
            settings,
            kind=DataKind.REFERENCE,
            where=self._where(path),
        )
        self._create(path, info, values, attributes, codecs=settings.codecs)

    def _write_compound_with_refs(
        self,
        path: str,
        data: Any,
        fields: list[tuple[str, Any]],
        settings: StorageSettings,
        attributes: Mapping[str, Any],
    ) -> None:
        rows = list(data.resolve(self._manager) if hasattr(data, "resolve") else data)
        dtype = compound_dtype(fields)
        ref_columns = [i for i, (_, field_dtype) in enumerate(fields) if is_ref(field_dtype)]
        values = np.empty(len(rows), dtype=dtype)
        for i, row in enumerate(rows):
            items = row_items(row)
            for column in ref_columns:
                items[column] = self.reference_to(row[column], where=path)
            values[i] = tuple(bytes_as_text(item) for item in items)
        info = info_for(
            (len(rows),), dtype, settings, kind=DataKind.COMPOUND, where=self._where(path)
        )
        self._create(path, info, values, attributes, codecs=settings.codecs)

    def _compound_values(self, data: Any, fields: list[tuple[str, Any]], path: str) -> np.ndarray:
        dtype = compound_dtype(fields)
        if np.ndim(data) == 0 and not isinstance(data, (list, tuple)):
            value = np.empty((), dtype=dtype)
            value[()] = tuple(bytes_as_text(item) for item in row_items(data))
            return value
        rows = list(data)
        values = np.empty(len(rows), dtype=dtype)
        for i, row in enumerate(rows):
            values[i] = tuple(bytes_as_text(item) for item in row_items(row))
        return values

    def reference_to(self, target: Any, *, where: str = "?") -> Reference | None:
        """The LINDI reference to a Builder / Container / ReferenceBuilder of this file; the
        target is checked to exist when the write ends (``where`` names the referrer)."""
        if target is None:
            return None
        if isinstance(target, Reference):
            return target
        if isinstance(target, ReferenceBuilder):
            builder: Builder = target.builder
        elif isinstance(target, LinkBuilder):
            builder = target.builder
        elif isinstance(target, Builder):
            builder = target
        elif isinstance(target, Container):
            builder = self._manager.build(target)
        else:
            raise LindiError(f"{self._source}: {where}: cannot reference {target!r}")
        path = self.path_of(builder)
        self._referenced.append((path, where, builder))
        object_id = builder.attributes.get("object_id")
        return Reference(
            path=path,
            object_id=object_id if isinstance(object_id, str) else None,
            source_object_id=self._root_object_id,
        )

    def check_references(self) -> None:
        """Raise when a reference written names an object that is not in the file."""
        for path, where, builder in self._referenced:
            if self._hierarchy.node(path) is None:
                raise LindiError(
                    f"{self._source}: {where}: reference to {builder.name!r} ({path}), which is "
                    "not in the file: add the referenced container to the file first"
                )
        self._referenced.clear()

    # ------------------------------------------------------------------ attributes
    def _set_attributes(self, path: str, attributes: Mapping[str, Any], *, written: bool) -> None:
        if not attributes:
            return
        existing: Mapping[str, Any] = {}
        if written:
            node = self._hierarchy.node(path)
            existing = node.attrs if node is not None else {}
        plain: dict[str, Any] = {}
        for key, value in attributes.items():
            if written and key in existing:
                continue
            if is_reference_value(value):
                plain[key] = self._attribute_reference(path, key, value)
            else:
                plain[key] = attribute_value(value)
                refuse_embedded_nul(plain[key], where=f"{path} attribute {key!r}")
        if plain:
            self._hierarchy.set_attrs(path, plain)

    def _attribute_reference(self, path: str, key: str, value: Any) -> Any:
        where = f"{path} attribute {key!r}"
        if isinstance(value, (list, tuple)):
            return [self.reference_to(item, where=where) for item in value]
        return self.reference_to(value, where=where)

    # ------------------------------------------------------------------ paths
    def path_of(self, builder: Builder) -> str:
        """Absolute path of ``builder`` in the file (its ``location`` when set, as HDF5IO)."""
        if builder.location is not None:
            return join_path(builder.location, builder.name)
        names: list[str] = []
        current = builder
        while current.parent is not None:
            names.append(current.name)
            current = current.parent
        if current is not self._root and current.location is None:
            names.append(current.name)  # a tree outside the file: a path that is not there
        return "/" + "/".join(reversed(names))

    def _relative(self, target_file: str) -> str:
        if is_remote_url(target_file) or self._source is None or is_remote_url(self._source):
            return target_file
        return os.path.relpath(target_file, os.path.dirname(self._source))


# ---------------------------------------------------------------------------------- helpers
def _same_file(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    if is_remote_url(a) or is_remote_url(b):
        return a == b
    return os.path.abspath(a) == os.path.abspath(b)


def _dataset_origin(data: Any) -> tuple[str | None, str] | None:
    """(file, path) of a dataset that lives in a file, else ``None``."""
    if isinstance(data, LindiDataset):
        return data.source, data.path
    if isinstance(data, h5py.Dataset):
        return os.path.abspath(data.file.filename), str(data.name)
    if isinstance(data, HDMFDataset) and isinstance(data.dataset, h5py.Dataset):
        if isinstance(data, _ReferenceResolvingDataset) or type(data).__name__.endswith(
            ("ReferenceDataset", "TableDataset")
        ):
            return None
        inner = data.dataset
        return os.path.abspath(inner.file.filename), str(inner.name)
    if type(data).__name__ == "StrDataset":
        inner = data.dset
        return os.path.abspath(inner.file.filename), str(inner.name)
    return None


class _IterativeWrite:
    """One dataset written from a data chunk iterator: grows it as blocks arrive and gathers
    the blocks into whole chunks (``ChunkAligner``); the new shape is written to the metadata
    just before the data, not once per block."""

    def __init__(self, hierarchy: Hierarchy, path: str, info: DatasetInfo, *, axis: int) -> None:
        self._hierarchy = hierarchy
        self._path = path
        self._shape = tuple(info.shape)
        self._resized = False
        self._object = info.dtype.kind == "O"
        numeric = info.dtype if info.dtype.kind in "biufc" else None
        self._aligner = ChunkAligner(
            self._write, tuple(info.chunks or ()), axis=axis, dtype=numeric
        )

    def add(self, chunk: DataChunk) -> None:
        bounds = tuple(int(b) for b in chunk.get_min_bounds())
        if any(b > n for b, n in zip(bounds, self._shape, strict=False)):
            self._shape = tuple(max(b, n) for b, n in zip(bounds, self._shape, strict=False))
            self._resized = True
        values = np.asarray(chunk.data, dtype=object if self._object else None)
        refuse_embedded_nul(values, where=self._path)
        self._aligner.add(chunk.selection, values, self._shape)

    def finish(self) -> None:
        self._aligner.flush()
        self._apply_shape()

    def _write(self, selection: tuple[slice, ...], values: np.ndarray) -> None:
        self._apply_shape()
        self._hierarchy.write(self._path, selection, values)

    def _apply_shape(self) -> None:
        if self._resized:
            self._hierarchy.resize(self._path, self._shape)
            self._resized = False
