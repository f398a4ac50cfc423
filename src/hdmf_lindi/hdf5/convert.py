"""``convert``: an HDF5/NWB file (local path or URL) to a ``.lindi.json`` file."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hdmf_lindi.conventions import (
    DEFAULT_CONVENTIONS,
    UNIFIED_ZARR_V3_CONVENTIONS,
    get_conventions,
)
from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.hdf5.options import TranslateOptions
from hdmf_lindi.hdf5.source import open_hdf5
from hdmf_lindi.hdf5.translate import translate_hdf5
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.sources.router import SourceRouter

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
    **options
        Fields of :class:`TranslateOptions` (``inline_threshold``, ``max_chunk_bytes``, ...).
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
    write_reference_map(result.reference_map, dest)
    return result


def write_reference_map(reference_map: ReferenceMap, dest: str | os.PathLike[str]) -> None:
    """Write a map to ``dest``: ``*.lindi.json``, ``*.lindi.d`` or ``*.lindi.tar`` (chosen by
    suffix; replaces an existing one). Chunk refs keep pointing into the HDF5 file; inline
    chunks stay in the document."""
    from hdmf_lindi.storage.containers import container_for, container_kind_from_suffix

    text = os.fspath(dest)
    if container_kind_from_suffix(text) is None:
        raise LindiUnsupportedError(
            f"{text}: unknown output kind; use a name ending in .lindi.json, .lindi.d or .lindi.tar"
        )
    container_for(text).create(reference_map)
