"""``convert``: an HDF5/NWB file (local path or URL) to a ``.lindi.json`` file."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hdmf_lindi.conventions import (
    DEFAULT_CONVENTIONS,
    UNIFIED_ZARR_V3_CONVENTIONS,
    get_conventions,
)
from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.hdf5.options import TranslateOptions
from hdmf_lindi.hdf5.source import open_hdf5
from hdmf_lindi.hdf5.translate import translate_hdf5
from hdmf_lindi.relocation import relocate_links
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.sources.router import SourceRouter

if TYPE_CHECKING:
    from hdmf_lindi.storage.staging import StagingArea

__all__ = ["ConversionResult", "convert", "translate_source"]


class ConversionResult:
    """What a conversion produced: the map and, for remote sources, the request count."""

    def __init__(self, reference_map: ReferenceMap, request_count: int | None) -> None:
        self.reference_map = reference_map
        self.request_count = request_count


def translate_source(
    source: str | os.PathLike[str],
    *,
    options: TranslateOptions | None = None,
    local_cache: Any = None,
    router: SourceRouter | None = None,
    on_object: Callable[[str], None] | None = None,
    conventions: str = DEFAULT_CONVENTIONS,
) -> ConversionResult:
    """Open ``source`` (path or URL; remote ones through ``router`` when given) and translate
    it to a reference map laid out in the ``conventions`` flavour."""
    flavour = get_conventions(conventions)
    with open_hdf5(source, local_cache=local_cache, router=router) as opened:
        reference_map = translate_hdf5(
            opened.file,
            url=opened.url,
            options=options,
            conventions=flavour,
            on_object=on_object,
        )
        return ConversionResult(reference_map, opened.request_count)


def convert(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    local_cache: Any = None,
    router: SourceRouter | None = None,
    on_object: Callable[[str], None] | None = None,
    conventions: str = DEFAULT_CONVENTIONS,
    allow_local: bool | None = None,
    **options: Any,
) -> ConversionResult:
    """Convert an HDF5 file to LINDI.

    Parameters
    ----------
    source
        Local path or URL of the HDF5 file.
    dest
        Output path: ``*.lindi.json``, ``*.lindi.d`` or ``*.lindi.tar`` (written atomically).
    local_cache
        A ``LocalCache`` for remote reads.
    router
        The ``SourceRouter`` for a remote source (object-store credentials, client options).
    on_object
        Progress callback, called with each object's path.
    conventions
        ``"lindi-v1"`` (the default, what lindi 0.4.6 and neurosift read) or
        ``"unified-zarr-v3"`` (Zarr v3 keys, what hdmf-zarr 0.14's ``NWBZarrIO`` reads). For
        the latter ``num_chunks_threshold`` defaults to ``None``: every chunk is referenced
        (hdmf-zarr cannot read an ``_EXTERNAL_ARRAY_LINK``).
    allow_local
        Whether the source's external links may name local files (default, ``None``: only a
        local source's may; the output, a local file, would otherwise open them for a remote
        one). Relative link targets are written as the absolute path or URL they name.
    **options
        Fields of :class:`TranslateOptions` (``inline_threshold``, ``max_chunk_bytes``, ...).

    Raises
    ------
    LindiSecurityError
        An external link names a local file and ``allow_local`` does not allow it.
    """
    if conventions == UNIFIED_ZARR_V3_CONVENTIONS:
        options.setdefault("num_chunks_threshold", None)
    result = translate_source(
        source,
        options=TranslateOptions(**options),
        local_cache=local_cache,
        router=router,
        on_object=on_object,
        conventions=conventions,
    )
    # external links made absolute for the output's place; a remote source's may not name
    # local files (the output, a local file, would open them)
    relocate_links(
        result.reference_map,
        source=os.fspath(source),
        dest=os.fspath(dest),
        allow_local=allow_local,
    )
    write_reference_map(result.reference_map, dest)
    return result


def write_reference_map(
    reference_map: ReferenceMap,
    dest: str | os.PathLike[str],
    *,
    staging_area: StagingArea | None = None,
) -> None:
    """Write a map to ``dest``: ``*.lindi.json``, ``*.lindi.d`` or ``*.lindi.tar`` (chosen by
    suffix; replaces an existing one). Chunk refs keep pointing into the HDF5 file; inline
    chunks stay in the document.

    A ``.lindi.d`` / ``.lindi.tar`` takes the chunks ``reference_map`` has in
    ``staging_area`` along (:meth:`StagingArea.consolidate`; ``reference_map``'s refs are
    rewritten to the copies), so that it does not depend on the staging area; it is built in
    a temporary sibling and moved into place."""
    from hdmf_lindi.storage.containers import container_for, container_kind_from_suffix
    from hdmf_lindi.storage.replacing import (
        TemporarySibling,
        check_replaceable,
        locked_for_writing,
    )

    text = os.fspath(dest)
    if container_kind_from_suffix(text) is None:
        raise LindiUnsupportedError(
            f"{text}: unknown output kind; use a name ending in .lindi.json, .lindi.d or .lindi.tar"
        )
    container = container_for(text)
    if container.is_remote:
        container.create(reference_map)  # refuses
    staged = (
        staging_area is not None
        and container.kind != "json"
        and any(
            isinstance(value := reference_map.get_raw(key), list)
            and value
            and isinstance(value[0], str)
            and staging_area.contains(value[0])
            for key in reference_map
        )
    )
    lock = locked_for_writing(container.location)
    try:
        check_replaceable(container.location, directory=container.kind == "directory")
        if not staged:
            container.create(reference_map)
            return
        assert staging_area is not None
        temporary = TemporarySibling(container.location)
        try:
            new = container_for(temporary.path, kind=container.kind)
            new.create(reference_map)
            try:
                blob_writer = new.blob_writer
                assert blob_writer is not None
                staging_area.consolidate(reference_map, blob_writer)
                new.save(reference_map)
            finally:
                new.close()
        except BaseException:
            temporary.discard()
            raise
        temporary.commit()
    finally:
        container.close()
        lock.release()
