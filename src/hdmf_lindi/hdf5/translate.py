"""Walk an open ``h5py.File`` once and lay it out as a reference map in a conventions flavour
(LINDI v1 by default, or the unified Zarr v3 convention).

Every object goes through a conventions flavour (``write_group``, ``write_dataset``,
``write_soft_link``, ``chunk_key``, ...); this module never writes metadata keys or special
attributes itself. A referenced dataset's codecs are passed to ``write_dataset`` as the HDF5
filter pipeline, because they describe the HDF5 bytes the chunk refs point to.

Decisions (see also :mod:`hdmf_lindi.hdf5.values` and :mod:`hdmf_lindi.hdf5.chunk_refs`):

* Walk order: children sorted by name, depth first; output does not depend on HDF5 link order.
* An object reachable through several hard links is written once, at the first path reached
  in walk order; every later path becomes a soft link to it (no duplicated subtrees, no cycles).
* Soft links are written as soft links (relative targets made absolute, dangling ones kept);
  HDF5 external links through the conventions' external link; user-defined links are refused.
* Committed (named) datatypes are not objects LINDI can hold: they are skipped with a warning
  (datasets and attributes that use them keep their full dtype).
* Numeric datasets smaller than ``inline_threshold`` bytes, compact datasets and scalars are
  inline; strings, references and compound data are always inline (their HDF5 bytes point into
  the global heap). Other datasets reference their bytes in the HDF5 file.
* Datasets laid out otherwise than in the source (inline, contiguous ones cut into chunks,
  external array links, chunked ones whose codecs would report other filters) record the
  source's chunks and filters as h5py reports them (``_HDF5_LAYOUT``), so that the h5py view
  reports what h5py does for the source, in either flavour.
* Datasets whose bytes LINDI cannot describe raise :class:`LindiUnsupportedError`, or become an
  ``_EXTERNAL_ARRAY_LINK`` with ``unsupported="external_link"``.
"""

from __future__ import annotations

import functools
import math
import posixpath
import warnings
from collections.abc import Callable
from typing import Any, Final

import h5py
import numpy as np

from hdmf_lindi._version import __version__
from hdmf_lindi.conventions.abc import Conventions
from hdmf_lindi.conventions.chunks import encode_chunk
from hdmf_lindi.conventions.dataset_info import reported_layout
from hdmf_lindi.conventions.datasets import compound_fields_from_dtype, data_kind_of
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, ExternalArrayLink, HDF5Layout
from hdmf_lindi.errors import LindiError, LindiFormatError, LindiUnsupportedError
from hdmf_lindi.hdf5.chunk_refs import ChunkRefs, chunked_refs, contiguous_refs
from hdmf_lindi.hdf5.filters import filter_pipeline, pipeline_to_codecs
from hdmf_lindi.hdf5.options import TranslateOptions
from hdmf_lindi.hdf5.values import (
    ReferenceResolver,
    attribute_value,
    dataset_values,
)
from hdmf_lindi.storage.reference_map import ReferenceMap

__all__ = ["translate_hdf5"]

type ObjectCallback = Callable[[str], None]


def translate_hdf5(
    h5file: h5py.File,
    *,
    url: str,
    options: TranslateOptions | None = None,
    conventions: Conventions | None = None,
    on_object: ObjectCallback | None = None,
    label: str | None = None,
) -> ReferenceMap:
    """Lay out every object of ``h5file`` as refs of the ``conventions`` flavour.

    Parameters
    ----------
    h5file
        An open, readable HDF5 file.
    url
        The URL or path written into chunk refs and ``_EXTERNAL_ARRAY_LINK``s.
    options
        Thresholds and policies, see :class:`TranslateOptions`.
    conventions
        The flavour to write with (default: LINDI v1).
    on_object
        Called with each object's path as it is walked (for progress bars).
    label
        How the file is named in error messages (default: ``url``).
    """
    translator = _Translator(
        h5file,
        url=url,
        options=options or TranslateOptions(),
        conventions=conventions or LindiV1Conventions(),
        on_object=on_object,
        label=label or url,
    )
    return translator.run()


class _Translator:
    def __init__(
        self,
        h5file: h5py.File,
        *,
        url: str,
        options: TranslateOptions,
        conventions: Conventions,
        on_object: ObjectCallback | None,
        label: str,
    ) -> None:
        self.file = h5file
        self.url = url
        self.options = options
        self.conv = conventions
        self.on_object = on_object
        self.label = label
        generation: dict[str, Any] = {
            "generatedBy": "hdmf_lindi",
            "generatedByVersion": __version__,
            "sourceUrl": url,
        }
        if options.creation_time is not None:
            generation["creationDate"] = options.creation_time
        self.meta = ReferenceMap(generation_metadata=generation, source=label)
        self.resolver = ReferenceResolver(h5file)
        self.first_path: dict[int, str] = {}
        """Object address -> the first path it was reached at (later hard links to it become
        soft links)."""
        self.file_size = int(h5file.id.get_filesize())

    def where(self, path: str) -> str:
        return f"{self.label}:{path}"

    def run(self) -> ReferenceMap:
        self.first_path[h5py.h5o.get_info(self.file["/"].id).addr] = "/"
        self._group(self.file, "/")
        return self.meta

    # ------------------------------------------------------------------ hierarchy
    def _attrs(self, obj: h5py.Group | h5py.Dataset, path: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        try:
            names = sorted(obj.attrs.keys())
        except (OSError, RuntimeError) as exc:
            raise LindiFormatError(f"{self.where(path)}: cannot list attributes ({exc})") from exc
        for name in names:
            where = f"{self.where(path)} attribute {name!r}"
            try:
                raw = obj.attrs[name]
            except (OSError, TypeError, ValueError) as exc:
                raise LindiUnsupportedError(f"{where}: h5py cannot read it ({exc})") from exc
            if isinstance(raw, np.bytes_):
                # h5py's scalar has the content's width; the attribute's own is kept
                raw = np.array(raw, dtype=obj.attrs.get_id(name).dtype)
            attrs[name] = attribute_value(raw, self.resolver, where=where)
        return attrs

    def _notify(self, path: str) -> None:
        if self.on_object is not None:
            self.on_object(path)

    def _group(self, group: h5py.Group, path: str) -> None:
        self._notify(path)
        self.conv.write_group(self.meta, path, self._attrs(group, path))
        try:
            names = sorted(group.keys())
        except (OSError, RuntimeError) as exc:
            raise LindiFormatError(f"{self.where(path)}: cannot list members ({exc})") from exc
        for name in names:
            child = posixpath.join(path, name)
            try:
                self._member(group, name, child)
            except LindiError as exc:
                if self.label in str(exc):
                    raise
                raise type(exc)(f"{self.where(child)}: {exc}") from exc

    def _link_filename(self, filename: str) -> str:
        """An external link's file name as written: made an absolute URL when the file is
        remote and the name relative (else a copy of the map saved locally would resolve it
        beside the local copy, on the local disk)."""
        from hdmf_lindi.opening import resolve_link_location
        from hdmf_lindi.storage.sources import is_remote_url

        if not is_remote_url(self.url) or is_remote_url(filename):
            return filename
        if filename.startswith("file://") or posixpath.isabs(filename):
            return filename
        return resolve_link_location(self.url, filename)

    def _member(self, group: h5py.Group, name: str, path: str) -> None:
        try:
            link = group.get(name, getlink=True)
        except (TypeError, OSError, KeyError) as exc:
            raise LindiUnsupportedError(
                f"{self.where(path)}: link cannot be read (user-defined link?) ({exc})"
            ) from exc
        if isinstance(link, h5py.SoftLink):
            self._notify(path)
            target = link.path
            if not target.startswith("/"):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            self.conv.write_soft_link(self.meta, path, target)
            return
        if isinstance(link, h5py.ExternalLink):
            self._notify(path)
            self.conv.write_external_link(
                self.meta, path, self._link_filename(link.filename), link.path
            )
            return
        if not isinstance(link, h5py.HardLink):
            raise LindiUnsupportedError(
                f"{self.where(path)}: link of type {type(link).__name__} is not supported"
            )
        # The hard link's target address tells objects apart without reading their headers
        # (h5o.get_info would also measure a chunked dataset's whole chunk index).
        link_info = group.id.links.get_info(name.encode())
        try:
            obj = group[name]
        except (KeyError, OSError, ValueError) as exc:
            raise LindiFormatError(f"{self.where(path)}: cannot open object ({exc})") from exc
        if isinstance(obj, h5py.Datatype):
            self._notify(path)
            warnings.warn(
                f"{self.where(path)}: committed datatype skipped (LINDI has no datatype objects)",
                stacklevel=2,
            )
            return
        address = link_info.u
        if address in self.first_path:
            self._notify(path)
            self.conv.write_soft_link(self.meta, path, self.first_path[address], hard=True)
            return
        self.first_path[address] = path
        if isinstance(obj, h5py.Group):
            self._group(obj, path)
        else:
            self._notify(path)
            self._dataset(obj, path)

    # ------------------------------------------------------------------ datasets
    def _dataset(self, dataset: h5py.Dataset, path: str) -> None:
        where = self.where(path)
        attrs = self._attrs(dataset, path)
        if dataset.shape is None:
            raise LindiUnsupportedError(f"{where}: dataset has a NULL dataspace")
        try:
            kind = data_kind_of(dataset.dtype, where=where)
            if kind is DataKind.NUMERIC:
                self._numeric_dataset(dataset, path, attrs)
            else:
                self._object_dataset(dataset, path, attrs, kind)
        except LindiUnsupportedError:
            if self.options.unsupported != "external_link":
                raise
            if self.meta.has_dir(self.conv.zarr_path(path)):
                self.conv.delete_node(self.meta, path)  # drop a half-written dataset
            self._external_array_link(dataset, path, attrs)

    def _base_info(self, dataset: h5py.Dataset, kind: DataKind) -> dict[str, Any]:
        fill: Any = None
        if kind is DataKind.NUMERIC:
            try:
                fill = dataset.fillvalue
            except (RuntimeError, OSError):
                fill = None  # "fill value is undefined": zarr's default (zero) applies
        return {
            "shape": tuple(int(n) for n in dataset.shape),
            "dtype": dataset.dtype,
            "kind": kind,
            "maxshape": dataset.maxshape,
            "fillvalue": fill,
        }

    def _object_dataset(
        self, dataset: h5py.Dataset, path: str, attrs: dict[str, Any], kind: DataKind
    ) -> None:
        fields = (
            _compound_fields(dataset.dtype, self.where(path)) if kind is DataKind.COMPOUND else None
        )
        values = self._read(
            lambda: dataset_values(dataset, self.resolver, where=self.where(path), kind=kind.value),
            path,
        )
        info = DatasetInfo(
            **self._base_info(dataset, kind),
            chunks=_whole(dataset.shape),
            compound_fields=fields,
            hdf5_layout=_source_layout(dataset),
        )
        self._write_inline(path, info, attrs, values)

    def _numeric_dataset(self, dataset: h5py.Dataset, path: str, attrs: dict[str, Any]) -> None:
        where = self.where(path)
        plist = dataset.id.get_create_plist()
        layout = plist.get_layout()
        if layout == h5py.h5d.VIRTUAL:
            raise LindiUnsupportedError(f"{where}: virtual datasets are not supported")
        if layout != h5py.h5d.CHUNKED and plist.get_external_count() > 0:
            raise LindiUnsupportedError(f"{where}: data is stored in external raw files")
        nbytes = int(dataset.size) * dataset.dtype.itemsize
        base = self._base_info(dataset, DataKind.NUMERIC)
        if dataset.size == 0:
            chunks = tuple(int(c) for c in dataset.chunks) if dataset.chunks else None
            info = DatasetInfo(
                **base, chunks=chunks or _whole(dataset.shape), hdf5_layout=_source_layout(dataset)
            )
            self.conv.write_dataset(self.meta, path, info, attrs)
            return
        if (
            layout == h5py.h5d.COMPACT
            or nbytes < self.options.inline_threshold
            or not dataset.shape
        ):
            values = self._read(lambda: np.asarray(dataset[()]), path)
            info = DatasetInfo(
                **base, chunks=_whole(dataset.shape), hdf5_layout=_source_layout(dataset)
            )
            self._write_inline(path, info, attrs, values)
            return
        codecs: list[dict[str, Any]] = []
        if layout == h5py.h5d.CHUNKED:
            threshold = self.options.num_chunks_threshold
            if threshold is not None and _chunk_grid_size(dataset) > threshold:
                self._external_array_link(dataset, path, attrs)
                return
            refs = chunked_refs(dataset)
            pipeline = filter_pipeline(dataset)
            mask = refs.common_filter_mask()
            pipeline = [spec for i, spec in enumerate(pipeline) if not mask & (1 << i)]
            codecs = pipeline_to_codecs(pipeline, itemsize=dataset.dtype.itemsize, where=where)
        else:
            refs = contiguous_refs(
                dataset,
                max_chunk_bytes=self.options.max_chunk_bytes,
                file_size=self.file_size,
                where=where,
            )
        source_layout = _source_layout(dataset)
        if source_layout == reported_layout(refs.chunks, ((c["id"], c) for c in codecs)):
            source_layout = None
        info = DatasetInfo(**base, chunks=refs.chunks, hdf5_layout=source_layout)
        zarray = self.conv.write_dataset(
            self.meta, path, info, attrs, codecs={"filters": codecs, "compressor": None}
        )
        self._write_refs(path, refs)
        if refs.filter_masks:
            self._reencode_masked_chunks(dataset, path, zarray, refs, mask)

    def _reencode_masked_chunks(
        self,
        dataset: h5py.Dataset,
        path: str,
        zarray: dict[str, Any],
        refs: ChunkRefs,
        common_mask: int,
    ) -> None:
        """Chunks stored with another filter mask than the array's pipeline: their values,
        read through h5py, encoded with the array's codecs and stored inline."""
        for indices, mask in refs.filter_masks.items():
            if mask == common_mask:
                continue
            selection = tuple(
                slice(i * c, (i + 1) * c) for i, c in zip(indices, refs.chunks, strict=True)
            )
            values = self._read(functools.partial(dataset.__getitem__, selection), path)
            start = tuple(i * c for i, c in zip(indices, refs.chunks, strict=True))
            self._set_chunks(path, zarray, start, values, indices)

    def _external_array_link(self, dataset: h5py.Dataset, path: str, attrs: dict[str, Any]) -> None:
        """Describe the dataset by shape and dtype only; readers get its values through h5py.
        Dtypes LINDI cannot name (ragged, region references, ...) are described as opaque
        variable-length bytes."""
        where = self.where(path)
        chunks = tuple(int(c) for c in dataset.chunks) if dataset.chunks else None
        link = ExternalArrayLink(url=self.url, name=path)
        base = self._base_info(dataset, DataKind.NUMERIC)
        try:
            kind = data_kind_of(dataset.dtype, where=where)
            fields = _compound_fields(dataset.dtype, where) if kind is DataKind.COMPOUND else None
        except LindiError:
            kind, fields = DataKind.VLEN_BYTES, None
            base["dtype"] = h5py.vlen_dtype(bytes)
        base["kind"] = kind
        if kind is not DataKind.NUMERIC:
            base["fillvalue"] = None
        info = DatasetInfo(
            **base,
            chunks=chunks or _whole(dataset.shape),
            compound_fields=fields,
            external_array_link=link,
            hdf5_layout=_source_layout(dataset),
        )
        self.conv.write_dataset(self.meta, path, info, attrs)

    def _read(self, read: Callable[[], np.ndarray], path: str) -> np.ndarray:
        try:
            return read()
        except LindiError:
            raise
        except (OSError, ValueError, TypeError) as exc:
            raise LindiUnsupportedError(
                f"{self.where(path)}: h5py cannot read the data ({exc})"
            ) from exc

    def _write_inline(
        self, path: str, info: DatasetInfo, attrs: dict[str, Any], values: np.ndarray
    ) -> None:
        zarray = self.conv.write_dataset(self.meta, path, info, attrs)
        stored = self.conv.encode_values(info, values)
        if stored.size == 0:
            return
        self._set_chunks(path, zarray, (0,) * stored.ndim, stored, (0,) * stored.ndim)

    def _set_chunks(
        self,
        path: str,
        zarray: dict[str, Any],
        start: tuple[int, ...],
        stored: np.ndarray,
        indices: tuple[int, ...],
    ) -> None:
        """Store the chunks a block of stored values covers, inline: encoded by the flavour
        (Zarr v2 flavours also through ``encode_chunk`` when the block is one chunk off the
        flavour's fast path)."""
        chunks = self.conv.encode_region(self.meta, path, start, stored)
        if chunks is None:
            if self.conv.zarr_format != 2:
                raise LindiUnsupportedError(
                    f"{self.where(path)}: the {self.conv.name} flavour cannot encode this chunk"
                )
            self.meta.set_inline(self.conv.chunk_key(path, indices), encode_chunk(zarray, stored))
            return
        for key, data in chunks:
            self.meta.set_inline(key, data)

    def _write_refs(self, path: str, refs: ChunkRefs) -> None:
        for indices, (offset, size) in refs.ranges.items():
            self.meta.set_url(self.conv.chunk_key(path, indices), self.url, offset, size)
        for indices, data in refs.inline.items():
            self.meta.set_inline(self.conv.chunk_key(path, indices), data)


def _compound_fields(dtype: np.dtype[Any], where: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, spec) for name, spec in compound_fields_from_dtype(dtype, where=where))


_H5PY_FILTER_NAMES: Final = frozenset(
    {"gzip", "szip", "lzf", "shuffle", "fletcher32", "scaleoffset"}
)
"""The filters h5py names (``h5py._hl.filters._COMP_FILTERS``); any other is ``"unknown"``."""


def _source_layout(dataset: h5py.Dataset) -> HDF5Layout | None:
    """The source's layout as h5py's dataset properties report it (``None`` for a scalar:
    never chunked), from one read of the creation property list."""
    if not dataset.shape:
        return None
    plist = dataset.id.get_create_plist()
    layout = plist.get_layout()
    filters = h5py.filters.get_filters(plist)
    compression = next((name for name in ("gzip", "lzf", "szip") if name in filters), None)
    if compression is None and any(name not in _H5PY_FILTER_NAMES for name in filters):
        compression = "unknown"  # what h5py reports for a plugin filter (blosc, zstd, ...)
    scaleoffset = filters.get("scaleoffset")
    return HDF5Layout(
        layout={h5py.h5d.CHUNKED: "chunked", h5py.h5d.COMPACT: "compact"}.get(layout, "contiguous"),
        chunks=tuple(int(c) for c in plist.get_chunk()) if layout == h5py.h5d.CHUNKED else None,
        compression=compression,
        compression_opts=filters.get(compression) if compression is not None else None,
        shuffle="shuffle" in filters,
        fletcher32="fletcher32" in filters,
        scaleoffset=int(scaleoffset[1]) if scaleoffset is not None else None,
    )


def _whole(shape: tuple[int, ...] | None) -> tuple[int, ...]:
    return tuple(max(1, int(n)) for n in shape or ())


def _chunk_grid_size(dataset: h5py.Dataset) -> int:
    """The number of chunks in the dataset's chunk grid, allocated or not, from its shape alone
    (as lindi 0.4.6 counts them; ``get_num_chunks`` would read the whole chunk index)."""
    return math.prod(
        -(-int(n) // int(c)) for n, c in zip(dataset.shape, dataset.chunks, strict=True)
    )
