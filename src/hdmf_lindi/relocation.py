"""A document's links, made to name the same files from a new place.

A LINDI document copied somewhere else (``download`` to a ``.lindi.json``, ``.lindi.tar`` or
``.lindi.d``; ``convert`` of a remote HDF5 file or LINDI document) would read its external
links (``_EXTERNAL_LINK``, a unified-v3 ``_LINKS`` entry with a ``source``) and external array
links (``_EXTERNAL_ARRAY_LINK``) relative to its new place, and as a local file it would be
allowed to read local files. :func:`relocate_links` checks every such target against the
policy of the place the document came from (a document read from a URL may name remote files
only, unless the caller passed ``allow_local=True``) and rewrites relative targets as the
absolute path or URL they named there, so that the copy reads what the original read and
nothing else.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import replace

from hdmf_lindi._paths import join_path
from hdmf_lindi.conventions import detect_conventions
from hdmf_lindi.conventions.abc import Conventions
from hdmf_lindi.conventions.keys import EXTERNAL_ARRAY_LINK
from hdmf_lindi.conventions.model import Node, NodeKind
from hdmf_lindi.errors import LindiFormatError, LindiSecurityError, LindiUnsupportedError
from hdmf_lindi.opening import check_link_target
from hdmf_lindi.storage.reference_map import ReferenceMap, is_metadata_key
from hdmf_lindi.storage.sources import SourceRouter, is_remote_url

__all__ = ["metadata_nodes", "relocate_links"]


def relocate_links(
    reference_map: ReferenceMap,
    *,
    source: str,
    dest: str,
    allow_local: bool | None,
    router: SourceRouter | None = None,
    stores_linked_values: bool = False,
) -> int:
    """Check and rewrite the link targets of ``reference_map`` (read from ``source``) for its
    copy at ``dest``; returns the number of links rewritten.

    Parameters
    ----------
    reference_map
        The document's map (changed in place).
    source
        Path or URL the document was read from: relative targets resolve against it.
    dest
        Path of the copy. Targets are rewritten when they would mean something else there
        (``source`` is remote or in another directory).
    allow_local
        The caller's ``allow_local``: whether targets may name local files (default, ``None``:
        only when ``source`` is local).
    router
        The router the document was read through: ``_EXTERNAL_ARRAY_LINK`` URLs are checked
        and resolved as its refs are. Without one they are left as they are (the HDF5
        converter writes them absolute).
    stores_linked_values
        Whether the caller stores the values of ``_EXTERNAL_ARRAY_LINK`` datasets in the copy
        (a self-contained download). Otherwise a link to a member of the source's container
        (``./blobs/x.h5`` of a ``.lindi.tar``), which has no name outside it, is refused: the
        copy would look for it beside itself.

    Raises
    ------
    LindiSecurityError
        A target names a local file and the policy does not allow it (the message names the
        key and the target).
    LindiUnsupportedError
        An ``_EXTERNAL_ARRAY_LINK`` names a member of the source's container and
        ``stores_linked_values`` is false.
    """
    conventions = detect_conventions(reference_map)
    moved = is_remote_url(source) or _directory(source) != _directory(dest)
    rewritten = 0
    for node in list(metadata_nodes(conventions, reference_map)):
        if node.kind is NodeKind.EXTERNAL_LINK and node.link is not None:
            filename, target = node.link.filename, node.link.path  # type: ignore[union-attr]
            try:
                location = check_link_target(source, filename, allow_local=allow_local)
            except LindiSecurityError as exc:
                raise LindiSecurityError(f"{node.path}: {exc}") from exc
            if moved and location != filename:
                conventions.delete_node(reference_map, node.path)
                conventions.write_external_link(reference_map, node.path, location, target)
                rewritten += 1
        elif router is not None and node.dataset is not None:
            link = node.dataset.external_array_link
            if link is None:
                continue
            try:
                resolved = router.resolve_target(link.url)
            except LindiSecurityError as exc:
                raise LindiSecurityError(
                    f"{source}: {node.path}: {EXTERNAL_ARRAY_LINK} {link.url!r}: {exc}"
                ) from exc
            if resolved.is_member:
                # a member of a .lindi.tar has no name of its own outside it
                if stores_linked_values:
                    continue
                raise LindiUnsupportedError(
                    f"{source}: {node.path}: {EXTERNAL_ARRAY_LINK} {link.url!r} names a "
                    "member of the source's container, which a copy cannot name; download "
                    "to a .lindi.tar or .lindi.d to store its values"
                )
            if moved and resolved.location != link.url:
                conventions.set_external_array_link(
                    reference_map, node.path, replace(link, url=resolved.location)
                )
                rewritten += 1
    return rewritten


def _directory(location: str) -> str:
    if is_remote_url(location):
        return posixpath.dirname(location.rstrip("/"))
    return os.path.dirname(os.path.abspath(location.rstrip(os.sep)))


def metadata_nodes(conventions: Conventions, meta: ReferenceMap) -> Iterator[Node]:
    """Every node the document's metadata describes, parents first: those a walk from the
    root reaches and those it does not (below a dataset, below a root that is a link, below a
    link), which a reader still finds by their path."""
    paths = {"/"}
    for key in list(meta):
        if is_metadata_key(key):
            paths.add("/" + key.rpartition("/")[0])
    for path in sorted(paths):
        node = _read_node(conventions, meta, path)
        if node is None:
            continue
        yield node
        if node.kind is NodeKind.GROUP:
            # unified v3 links are entries of their group's metadata, with no key of their own
            for name in _children(conventions, meta, path):
                child = join_path(path, name)
                if child not in paths:
                    link = _read_node(conventions, meta, child)
                    if link is not None:
                        yield link


def _read_node(conventions: Conventions, meta: ReferenceMap, path: str) -> Node | None:
    """The node at ``path``, ``None`` when there is none or its metadata cannot be read (a
    reader fails on it the same way: nothing there is reachable)."""
    try:
        return conventions.read_node(meta, path)
    except LindiFormatError:
        return None


def _children(conventions: Conventions, meta: ReferenceMap, path: str) -> list[str]:
    try:
        return conventions.list_children(meta, path)
    except LindiFormatError:
        return []
