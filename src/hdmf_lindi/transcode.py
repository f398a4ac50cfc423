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

External links and ``_EXTERNAL_ARRAY_LINK`` targets are made absolute and checked against the
source's policy (:func:`~hdmf_lindi.relocation.relocate_links`): a document read from a URL
may name remote files only.
"""

from __future__ import annotations

import os
from typing import Any

from hdmf_lindi.conventions import DEFAULT_CONVENTIONS
from hdmf_lindi.conventions.model import Node, NodeKind, SoftLink
from hdmf_lindi.hierarchy import Hierarchy, copy_dataset
from hdmf_lindi.opening import open_hierarchy
from hdmf_lindi.relocation import relocate_links
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
            # the copy is a local file: its links must name what they named at the source,
            # and a remote source's links may not make it read local files
            relocate_links(
                writing.store.reference_map,
                source=reading.location,
                dest=text,
                allow_local=reading.store.router.allow_local,
                router=reading.store.router,
            )
            writing.hierarchy._invalidate()
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
        elif node.kind is NodeKind.SOFT_LINK and isinstance(node.link, SoftLink):
            dest.create_soft_link(path, node.link.path, hard=node.link.hard)
        elif node.kind is NodeKind.EXTERNAL_LINK:
            link = node.link
            dest.create_external_link(path, link.filename, link.path)  # type: ignore[union-attr]
        else:
            _dataset(source, dest, node)


def _dataset(source: Hierarchy, dest: Hierarchy, node: Node) -> None:
    copy_dataset(
        source, node.path, dest, node.path, node.attrs, inferred_dtypes=node.inferred_dtypes
    )
