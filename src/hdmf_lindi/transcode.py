"""Copy a LINDI file or a plain Zarr v3 directory into a new LINDI file of either flavour.

Every group, link, dataset and attribute goes through the :class:`~hdmf_lindi.hierarchy.Hierarchy`
API, so the output is laid out by the target flavour. Chunks are not re-encoded when both
flavours can describe them with the same bytes (numeric data whose codecs have numcodecs
equivalents, see :meth:`~hdmf_lindi.conventions.abc.Conventions.portable_codecs`): their refs
are copied (``[url, offset, size]`` into the same files; inline chunks as they are; blobs of a
``.lindi.tar`` / ``.lindi.d`` read and written into the new container). Everything else
(strings, references, compound data, other codecs) is read as values and written again.

Attribute dtypes are copied as the source records them (``_ATTRIBUTE_DTYPES``): attributes the
source has no record for (every attribute of a lindi 0.4.6 or hdmf-zarr file) are written
without one (``inferred_dtypes``), so the copy does not claim JSON's natural ``int64`` /
``float64`` as the dtypes they were written with.
"""

from __future__ import annotations

import os
from typing import Any

from hdmf_lindi.conventions import DEFAULT_CONVENTIONS
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Node, NodeKind
from hdmf_lindi.hierarchy import Hierarchy
from hdmf_lindi.opening import open_hierarchy
from hdmf_lindi.storage.reference_map import InlineRef, UrlRef
from hdmf_lindi.storage.sources import is_remote_url
from hdmf_lindi.storage.store import DEFAULT_INLINE_THRESHOLD

__all__ = ["transcode", "transcode_hierarchy"]


def transcode(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    conventions: str = DEFAULT_CONVENTIONS,
    local_cache: Any = None,
) -> None:
    """Write the LINDI file or Zarr v3 directory ``source`` as a new LINDI file ``dest``.

    Parameters
    ----------
    source
        A ``.lindi.json`` / ``.lindi.tar`` / ``.lindi.d`` (path or URL), or a plain Zarr v3
        directory (e.g. a ``*.nwb.zarr`` written by hdmf-zarr's ``NWBZarrIO``).
    dest
        ``*.lindi.json``, ``*.lindi.tar`` or ``*.lindi.d`` (written atomically). A
        ``.lindi.json`` keeps every new chunk inline.
    conventions
        The flavour of ``dest``: ``"lindi-v1"`` or ``"unified-zarr-v3"``.
    local_cache
        A ``LocalCache`` for remote byte ranges of ``source``.
    """
    text = os.fspath(dest)
    threshold = None if text.rstrip("/").endswith(".json") else DEFAULT_INLINE_THRESHOLD
    reading = open_hierarchy(source, "r", local_cache=local_cache)
    try:
        writing = open_hierarchy(text, "w", conventions=conventions, inline_threshold=threshold)
        try:
            transcode_hierarchy(reading.hierarchy, writing.hierarchy)
        except BaseException:
            writing.close(commit=False)
            raise
        writing.close()
    finally:
        reading.close(commit=False)


def transcode_hierarchy(source: Hierarchy, dest: Hierarchy) -> None:
    """Copy every object of ``source`` into the (new, empty) ``dest``."""
    for node in source.walk("/"):
        path = node.path
        inferred = node.inferred_dtypes
        if path == "/":
            if node.attrs:
                dest.set_attrs("/", node.attrs, inferred_dtypes=inferred)
            continue
        if node.kind is NodeKind.GROUP:
            dest.create_group(path, node.attrs, inferred_dtypes=inferred)
        elif node.kind is NodeKind.SOFT_LINK:
            dest.create_soft_link(path, node.link.path)  # type: ignore[union-attr]
        elif node.kind is NodeKind.EXTERNAL_LINK:
            link = node.link
            dest.create_external_link(path, link.filename, link.path)  # type: ignore[union-attr]
        else:
            _dataset(source, dest, node)


def _dataset(source: Hierarchy, dest: Hierarchy, node: Node) -> None:
    path, info = node.path, node.dataset
    assert info is not None
    codecs = None
    if info.kind is DataKind.NUMERIC and info.external_array_link is None:
        codecs = source.conventions.portable_codecs(source.store.reference_map, path)
    if codecs is not None:
        dest.create_dataset(
            path, info, None, node.attrs, codecs=codecs, inferred_dtypes=node.inferred_dtypes
        )
        _copy_chunks(source, dest, path, info)
        return
    values = None
    if info.external_array_link is None and all(info.shape):
        values = source.read(path)
    dest.create_dataset(path, info, values, node.attrs, inferred_dtypes=node.inferred_dtypes)


def _copy_chunks(source: Hierarchy, dest: Hierarchy, path: str, info: DatasetInfo) -> None:
    source_map = source.store.reference_map
    dest_map = dest.store.reference_map
    # a ref naming a local file is copied only when the source may read local files itself
    # (a remote document's refs never reach local files, here or when the copy is opened)
    local_allowed = source.store.router.local_allowed
    copied: list[tuple[str, bytes]] = []
    for key in source.conventions.stored_chunk_keys(source_map, path):
        index = source.conventions.chunk_index(path, key)
        if index is None:
            continue
        target = dest.conventions.chunk_key(path, () if info.is_scalar else index)
        ref = source_map.resolve(key)
        if isinstance(ref, UrlRef) and _is_absolute(ref.url, local_allowed):
            raw = source_map.get_raw(key)
            assert raw is not None
            dest_map.set_raw(target, raw)
        elif isinstance(ref, InlineRef):
            dest_map.set_inline(target, ref.data)
        elif ref is not None:
            buffer = source.store.get_sync(key)
            if buffer is not None:
                copied.append((target, buffer.to_bytes()))
    if copied:
        dest.store.set_many_sync(copied)


def _is_absolute(url: str, local_allowed: bool) -> bool:
    """Whether a ref's URL means the same wherever the new file is: a remote URL, or (when
    local files may be read) an absolute local path."""
    if is_remote_url(url):
        return True
    return local_allowed and (url.startswith("file://") or os.path.isabs(url))
