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
import posixpath
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
from hdmf.build import Builder, DatasetBuilder, GroupBuilder, LinkBuilder, ReferenceBuilder
from hdmf.container import Container
from hdmf.data_utils import AbstractDataChunkIterator, DataIO
from hdmf.query import HDMFDataset
from hdmf.spec import DtypeSpec, RefSpec

from hdmf_lindi.conventions.model import DataKind, DatasetInfo, NodeKind, Reference
from hdmf_lindi.errors import LindiError
from hdmf_lindi.io.data_io import StorageSettings, default_chunks, storage_settings
from hdmf_lindi.io.datasets import LindiDataset, _ReferenceResolvingDataset

if TYPE_CHECKING:
    from hdmf.build import BuildManager

    from hdmf_lindi.hierarchy import Hierarchy

__all__ = ["BuilderWriter"]

COPY_BLOCK_BYTES = 64 * 2**20
"""Datasets copied from another file move in blocks of about this many bytes."""

REFERENCE_FIELD = "<REFERENCE>"
_TEXT = h5py.string_dtype()
_BINARY = h5py.special_dtype(vlen=bytes)
_REF = h5py.ref_dtype

_SPEC_DTYPES: dict[str, Any] = {
    "float": np.float32,
    "float32": np.float32,
    "double": np.float64,
    "float64": np.float64,
    "long": np.int64,
    "int64": np.int64,
    "int": np.int32,
    "int32": np.int32,
    "short": np.int16,
    "int16": np.int16,
    "int8": np.int8,
    "uint64": np.uint64,
    "uint": np.uint32,
    "uint32": np.uint32,
    "uint16": np.uint16,
    "uint8": np.uint8,
    "bool": np.bool_,
    "text": _TEXT,
    "utf": _TEXT,
    "utf8": _TEXT,
    "utf-8": _TEXT,
    "ascii": _BINARY,
    "bytes": _BINARY,
    "isodatetime": _TEXT,
    "datetime": _TEXT,
}


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
            self._write_group(_join(path, group.name), group)
        for dataset in builder.datasets.values():
            self._write_dataset(_join(path, dataset.name), dataset)
        for link in builder.links.values():
            self._write_link(_join(path, link.name), link)

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
            fields = [(str(spec["name"]), spec["dtype"]) for spec in _field_specs(dtype_spec)]
            if any(_is_ref(dtype) for _, dtype in fields):
                self._write_compound_with_refs(path, data, fields, settings, attributes)
                self._set_written(builder)
                return
            values = self._compound_values(data, fields, path)
            info = replace(
                _info_for(values.shape, values.dtype, settings),
                compound_fields=_compound_field_names(fields),
            )
            self._create(path, info, values, attributes, codecs=settings.codecs)
        elif _is_ref(dtype_spec) or isinstance(data, ReferenceBuilder):
            self._write_references(path, data, settings, attributes)
            self._set_written(builder)
            return
        elif data is None:
            if settings.shape is None or settings.dtype is None:
                raise LindiError(
                    f"{self._source}: cannot create empty dataset {path!r} without shape and dtype"
                )
            dtype = _resolve_dtype(settings.dtype, None)
            info = _info_for(tuple(settings.shape), dtype, settings)
            self._create(path, info, None, attributes, codecs=settings.codecs)
        elif isinstance(data, AbstractDataChunkIterator):
            self._setup_iterative(path, data, dtype_spec, settings, attributes)
        else:
            dtype = _resolve_dtype(dtype_spec, data)
            values = _as_values(data, dtype, path)
            info = _info_for(values.shape, dtype, settings)
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
            parent = posixpath.dirname(path)
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
            elif parent != posixpath.dirname(origin_path):
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
        dtype = _source_dtype(data)
        if not shape:
            value = data[()]
            values = _as_values(value, dtype, path)
            info = _info_for((), dtype, settings)
            self._create(path, info, values, builder.attributes, codecs=settings.codecs)
            return
        source_chunks = getattr(data, "chunks", None)
        if settings.chunks is None and source_chunks:
            settings = replace(settings, chunks=tuple(source_chunks))
        if settings.maxshape is None and getattr(data, "maxshape", None) is not None:
            maxshape = tuple(data.maxshape)
            if maxshape != shape:
                settings = replace(settings, maxshape=maxshape)
        info = _info_for(shape, dtype, settings)
        nbytes = int(np.prod(shape, dtype=np.int64)) * max(1, info.dtype.itemsize)
        if nbytes <= COPY_BLOCK_BYTES:
            values = _as_values(data[...], info.dtype, path)
            self._create(path, info, values, builder.attributes, codecs=settings.codecs)
            return
        self._create(path, info, None, builder.attributes, codecs=settings.codecs)
        row_bytes = max(1, nbytes // max(1, shape[0]))
        step = max(1, COPY_BLOCK_BYTES // row_bytes)
        if info.chunks:
            step = max(info.chunks[0], step - step % info.chunks[0])
        for start in range(0, shape[0], step):
            block = slice(start, min(shape[0], start + step))
            self._hierarchy.write(path, block, _as_values(data[block], info.dtype, path))

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
        dtype = _resolve_dtype(dtype_spec, None) if dtype_spec is not None else None
        if dtype is None or (isinstance(dtype_spec, str) and dtype_spec == "numeric"):
            dtype = np.dtype(data.dtype)
        chunks = settings.chunks
        if chunks is None or chunks is True:
            recommended = data.recommended_chunk_shape()
            chunks = (
                tuple(recommended)
                if recommended is not None
                else _iterator_chunks(data, shape, maxshape, np.dtype(dtype))
            )
        settings = replace(
            settings, chunks=chunks, maxshape=tuple(maxshape) if maxshape is not None else None
        )
        info = _info_for(shape, np.dtype(dtype), settings)
        self._create(path, info, None, attributes, codecs=settings.codecs)
        if self._exhaust_dci:
            while self._write_chunk(path, data):
                pass
        else:
            self._dci_queue.append((path, data))

    def _write_chunk(self, path: str, data: AbstractDataChunkIterator) -> bool:
        try:
            chunk = next(data)
        except StopIteration:
            return False
        bounds = tuple(int(b) for b in chunk.get_min_bounds())
        handle = self._hierarchy.dataset(path)
        current = tuple(handle.shape)
        if any(b > c for b, c in zip(bounds, current, strict=False)):
            grown = tuple(max(b, c) for b, c in zip(bounds, current, strict=False))
            self._hierarchy.resize(path, grown)
        values = np.asarray(chunk.data)
        if handle.dtype.kind == "O":
            values = np.asarray(chunk.data, dtype=object)
        self._hierarchy.write(path, chunk.selection, values)
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
            info = DatasetInfo(shape=(), dtype=np.dtype(_REF), kind=DataKind.REFERENCE)
            self._create(path, info, value, attributes)
            return
        items = list(data)
        values = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):
            values[i] = self.reference_to(item, where=path)
        info = _info_for((len(items),), np.dtype(_REF), settings, kind=DataKind.REFERENCE)
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
        dtype = _compound_dtype(fields)
        ref_columns = [i for i, (_, field_dtype) in enumerate(fields) if _is_ref(field_dtype)]
        values = np.empty(len(rows), dtype=dtype)
        for i, row in enumerate(rows):
            items = _row_items(row)
            for column in ref_columns:
                items[column] = self.reference_to(row[column], where=path)
            values[i] = tuple(_plain(item) for item in items)
        info = _info_for((len(rows),), dtype, settings, kind=DataKind.COMPOUND)
        info = replace(info, compound_fields=_compound_field_names(fields))
        self._create(path, info, values, attributes, codecs=settings.codecs)

    def _compound_values(self, data: Any, fields: list[tuple[str, Any]], path: str) -> np.ndarray:
        dtype = _compound_dtype(fields)
        if np.ndim(data) == 0 and not isinstance(data, (list, tuple)):
            value = np.empty((), dtype=dtype)
            value[()] = tuple(_plain(item) for item in _row_items(data))
            return value
        rows = list(data)
        values = np.empty(len(rows), dtype=dtype)
        for i, row in enumerate(rows):
            values[i] = tuple(_plain(item) for item in _row_items(row))
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
            if _is_reference_value(value):
                plain[key] = self._attribute_reference(path, key, value)
            else:
                plain[key] = _attribute_value(value)
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
            return posixpath.normpath(posixpath.join(builder.location, builder.name))
        names: list[str] = []
        current = builder
        while current.parent is not None:
            names.append(current.name)
            current = current.parent
        if current is not self._root and current.location is None:
            names.append(current.name)  # a tree outside the file: a path that is not there
        return "/" + "/".join(reversed(names))

    def _relative(self, target_file: str) -> str:
        if _is_url(target_file) or self._source is None or _is_url(self._source):
            return target_file
        return os.path.relpath(target_file, os.path.dirname(self._source))


# ---------------------------------------------------------------------------------- helpers
def _join(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


def _is_url(value: str) -> bool:
    return "://" in value


def _same_file(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    if _is_url(a) or _is_url(b):
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


def _field_specs(dtype: list[Any]) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for field in dtype:
        if isinstance(field, DtypeSpec):
            specs.append({"name": field.name, "dtype": field.dtype})
        else:
            specs.append({"name": field["name"], "dtype": field["dtype"]})
    return specs


def _is_ref(dtype: Any) -> bool:
    if isinstance(dtype, DtypeSpec):
        return _is_ref(dtype.dtype)
    if isinstance(dtype, RefSpec):
        return True
    if isinstance(dtype, dict):
        return "reftype" in dtype or _is_ref(dtype.get("dtype"))
    if isinstance(dtype, str):
        return dtype in ("object", "ref", "reference", "region")
    if isinstance(dtype, np.dtype):
        return h5py.check_dtype(ref=dtype) is not None
    return False


def _resolve_dtype(dtype: Any, data: Any) -> np.dtype[Any]:
    """The numpy dtype to store: from the spec dtype when given, else from the data."""
    if isinstance(dtype, DtypeSpec):
        dtype = dtype.dtype
    if isinstance(dtype, str):
        if dtype == "numeric":
            dtype = None
        elif dtype in _SPEC_DTYPES:
            return np.dtype(_SPEC_DTYPES[dtype])
        else:
            dtype = np.dtype(dtype)
    if isinstance(dtype, (np.dtype, type)):
        resolved = np.dtype(dtype)
        if resolved.kind in "UT":  # unicode, numpy 2 StringDType
            return _TEXT
        if resolved.kind == "O" and data is not None:
            return _infer_dtype(data)
        return resolved
    if data is None:
        raise LindiError("cannot determine the dtype of a dataset without data")
    return _infer_dtype(data)


def _infer_dtype(data: Any) -> np.dtype[Any]:
    if isinstance(data, str):
        return _TEXT
    if isinstance(data, bytes):
        return _BINARY
    if hasattr(data, "dtype") and not isinstance(data, np.generic | np.ndarray):
        dtype = np.dtype(data.dtype) if not isinstance(data.dtype, (list, str)) else None
        if dtype is not None and dtype.kind not in "OUT":
            return dtype
        if dtype is not None and h5py.check_string_dtype(dtype) is not None:
            return dtype
        shape = tuple(getattr(data, "shape", ()) or ())
        if dtype is not None and shape and all(shape):
            first = data[(0,) * len(shape)]
            return _infer_dtype(first.item() if isinstance(first, np.generic) else first)
        if dtype is not None and dtype.kind in "UT":
            return _TEXT
    if isinstance(data, np.ndarray | np.generic):
        if data.dtype.kind in "UT":
            return _TEXT
        if data.dtype.kind != "O":
            return data.dtype
        first = next(iter(data.ravel()), None) if isinstance(data, np.ndarray) else data
        return _infer_dtype(first) if first is not None else _TEXT
    if isinstance(data, (list, tuple)):
        flat: Any = data
        while isinstance(flat, (list, tuple)) and flat:
            if isinstance(flat[0], (list, tuple, np.ndarray)) and not isinstance(flat[0], str):
                flat = flat[0]
            else:
                break
        if isinstance(flat, np.ndarray):
            return _infer_dtype(flat)
        if not flat:
            return np.dtype(np.float64)
        first = flat[0]
        if isinstance(first, str):
            return _TEXT
        if isinstance(first, bytes):
            return _BINARY
        return np.asarray(data).dtype
    if isinstance(data, bool):
        return np.dtype(np.bool_)
    if isinstance(data, int):
        return np.dtype(np.int64)
    if isinstance(data, float):
        return np.dtype(np.float64)
    inferred = np.asarray(data).dtype
    return _TEXT if inferred.kind in "UT" else inferred


def _kind_of(dtype: np.dtype[Any]) -> DataKind:
    string_info = h5py.check_string_dtype(dtype)
    if string_info is not None and string_info.length is None:
        return DataKind.VLEN_STRING if string_info.encoding == "utf-8" else DataKind.VLEN_BYTES
    if h5py.check_vlen_dtype(dtype) is bytes:
        return DataKind.VLEN_BYTES
    if h5py.check_vlen_dtype(dtype) is str:
        return DataKind.VLEN_STRING
    if h5py.check_dtype(ref=dtype) is not None:
        return DataKind.REFERENCE
    if dtype.names is not None:
        return DataKind.COMPOUND
    return DataKind.NUMERIC


def _as_values(data: Any, dtype: np.dtype[Any], path: str) -> np.ndarray:
    """``data`` as a numpy array of what the hierarchy stores (strings as ``str``/``bytes``
    objects, numbers in ``dtype``)."""
    kind = _kind_of(dtype)
    if kind is DataKind.VLEN_STRING:
        return _object_array(data, _to_str)
    if kind is DataKind.VLEN_BYTES:
        return _object_array(data, _to_bytes)
    if isinstance(data, (str, bytes)) and dtype.kind not in "SU":
        raise LindiError(f"cannot store the string {data!r} in the {dtype} dataset {path!r}")
    try:
        return np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise LindiError(f"cannot store the data of {path!r} as {dtype}: {exc}") from exc


def _object_array(data: Any, convert: Callable[[Any], Any]) -> np.ndarray:
    if isinstance(data, (str, bytes)) or np.ndim(data) == 0:
        value = data[()] if isinstance(data, np.ndarray) else data
        out = np.empty((), dtype=object)
        out[()] = convert(value)
        return out
    source = np.asarray(data[...] if hasattr(data, "dtype") and hasattr(data, "shape") else data)
    if source.dtype.kind != "O":
        source = source.astype(object)
    items = [convert(item) for item in source.ravel()]
    converted = np.empty(len(items), dtype=object)
    converted[:] = items
    return converted.reshape(source.shape)


def _to_str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.str_):
        return str(value)
    if not isinstance(value, str):
        return str(value)
    return value


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value)
    if not isinstance(value, bytes):
        raise LindiError(f"expected bytes, got {value!r}")
    return value


def _source_dtype(data: Any) -> np.dtype[Any]:
    dtype = data.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O" and type(data).__name__ == "StrDataset":
            return _TEXT
        return dtype
    return _infer_dtype(data[...])


def _compound_dtype(fields: list[tuple[str, Any]]) -> np.dtype[Any]:
    return np.dtype(
        [
            (name, _REF if _is_ref(field_dtype) else _resolve_dtype(field_dtype, None))
            for name, field_dtype in fields
        ]
    )


def _compound_field_names(fields: list[tuple[str, Any]]) -> tuple[tuple[str, str], ...]:
    names: list[tuple[str, str]] = []
    for name, field_dtype in fields:
        if _is_ref(field_dtype):
            names.append((name, REFERENCE_FIELD))
            continue
        resolved = _resolve_dtype(field_dtype, None)
        if _kind_of(resolved) is DataKind.VLEN_STRING:
            names.append((name, "str"))
        elif _kind_of(resolved) is DataKind.VLEN_BYTES:
            names.append((name, "bytes"))
        else:
            names.append((name, resolved.name if resolved.kind != "S" else resolved.str))
    return tuple(names)


def _iterator_chunks(
    data: AbstractDataChunkIterator,
    shape: tuple[int, ...],
    maxshape: Any,
    dtype: np.dtype[Any],
) -> tuple[int, ...]:
    """Chunks for an iterative write: one buffer of a ``DataChunkIterator`` along its axis
    (so each buffer fills whole chunks), else about 4 MiB sized from the maximum shape."""
    if not shape:
        return ()
    full = tuple(
        (m if m is not None else max(s, 2**40))
        for s, m in zip(shape, maxshape or shape, strict=False)
    )
    chunks = list(default_chunks(full, dtype))
    buffer_size = getattr(data, "buffer_size", None)
    axis = getattr(data, "iter_axis", 0) or 0
    if isinstance(buffer_size, int) and buffer_size > 0 and axis < len(chunks):
        row_bytes = max(1, dtype.itemsize) * int(
            np.prod([c for i, c in enumerate(chunks) if i != axis], dtype=np.int64)
        )
        chunks[axis] = max(1, min(buffer_size, (16 * 2**20) // row_bytes))
    return tuple(chunks)


def _row_items(row: Any) -> list[Any]:
    """The fields of one compound row (np.void, 0-d structured array, tuple or list)."""
    if isinstance(row, np.ndarray) and row.ndim == 0:
        row = row[()]
    if isinstance(row, np.void):
        return [row[i] for i in range(len(row.dtype.names or ()))]
    return list(row)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _info_for(
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    settings: StorageSettings,
    kind: DataKind | None = None,
) -> DatasetInfo:
    """The DatasetInfo of a dataset to create: chunks chosen when not given (one chunk for
    small data; about 4 MiB otherwise, and for resizable datasets)."""
    kind = kind if kind is not None else _kind_of(dtype)
    chunks: tuple[int, ...] | None
    if shape == ():
        chunks = None
    elif isinstance(settings.chunks, tuple):
        chunks = tuple(int(c) for c in settings.chunks)
    else:
        chunks = default_chunks(shape, dtype)
    maxshape = settings.maxshape
    if maxshape is not None and tuple(maxshape) == tuple(shape):
        maxshape = None
    return DatasetInfo(
        shape=tuple(int(s) for s in shape),
        dtype=dtype,
        kind=kind,
        chunks=chunks,
        maxshape=tuple(maxshape) if maxshape is not None else None,
        fillvalue=settings.fillvalue,
    )


def _is_reference_value(value: Any) -> bool:
    if isinstance(value, (Container, Builder, ReferenceBuilder)):
        return True
    if isinstance(value, (list, tuple)) and value:
        return isinstance(value[0], (Container, Builder, ReferenceBuilder))
    return False


def _attribute_value(value: Any) -> Any:
    """An attribute value as the hierarchy takes it (numpy scalars/arrays, str, bytes)."""
    if isinstance(value, (set, frozenset)):
        value = sorted(value)
    if isinstance(value, (list, tuple)):
        items = list(value)
        if items and isinstance(items[0], (str, bytes)):
            return np.array([_to_str(item) for item in items], dtype=object)
        return np.array(items)
    if isinstance(value, np.ndarray) and value.dtype.kind in "UT":
        return value.astype(object)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value
