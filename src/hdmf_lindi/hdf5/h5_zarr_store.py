"""``LindiH5ZarrStore``: an HDF5 file (local path or URL) presented as a LINDI Zarr store.

Design: the whole metadata is translated once when the store is opened (one walk of the file
through h5py; for a remote file through a ``RangeFile`` whose block cache and readahead keep the
request count low, see :attr:`LindiH5ZarrStore.request_count`), and chunk bytes are then served
by :class:`~hdmf_lindi.storage.store.LindiStore` from the resulting refs, i.e. by byte-range
reads of the HDF5 file itself, with the same code that serves any ``.lindi.json``.

The store defaults to ``num_chunks_threshold=None``: every chunk is listed, so every array reads
through Zarr (an ``_EXTERNAL_ARRAY_LINK`` has no chunk refs and Zarr alone would return fill
values for it).
"""

from __future__ import annotations

import os
from typing import Any

from hdmf_lindi.hdf5.convert import translate_source, write_reference_map
from hdmf_lindi.hdf5.options import TranslateOptions
from hdmf_lindi.hdf5.source import is_url
from hdmf_lindi.storage.sources.router import SourceRouter
from hdmf_lindi.storage.store import LindiStore

__all__ = ["LindiH5ZarrStore"]


class LindiH5ZarrStore(LindiStore):
    """A read-only Zarr (v2 keys, LINDI v1 layout) view of an HDF5 file.

    Use :meth:`from_file`; the result works with ``zarr.open_group(store, mode="r",
    zarr_format=2)`` and with the h5py-compatible view.

    Attributes
    ----------
    source
        The HDF5 file's absolute path or URL.
    request_count
        Requests made to open and translate a remote file (``None`` for a local file).
    """

    source: str
    request_count: int | None

    @classmethod
    def from_file(
        cls,
        url_or_path: str | os.PathLike[str],
        *,
        opts: TranslateOptions | None = None,
        local_cache: Any = None,
        router: SourceRouter | None = None,
    ) -> LindiH5ZarrStore:
        """Open an HDF5 file (local path, ``http(s)://`` or object-store URL).

        Parameters
        ----------
        url_or_path
            The HDF5/NWB file.
        opts
            Translation options (default: :class:`TranslateOptions` with every chunk listed).
        local_cache
            A ``LocalCache`` for remote reads (metadata and chunks).
        router
            The ``SourceRouter`` for metadata and chunk reads (object-store credentials,
            client options); by default one with ``local_cache``.
        """
        options = opts if opts is not None else TranslateOptions(num_chunks_threshold=None)
        result = translate_source(
            url_or_path, options=options, local_cache=local_cache, router=router
        )
        if router is not None:
            store = cls(result.reference_map, read_only=True, router=router)
        else:
            store = cls(
                result.reference_map,
                read_only=True,
                local_cache=local_cache,
                allow_local=not is_url(url_or_path),
            )
        store.source = (result.reference_map.generation_metadata or {}).get(
            "sourceUrl", os.fspath(url_or_path)
        )
        store.request_count = result.request_count
        return store

    def to_reference_file_system(self) -> dict[str, Any]:
        """The ``.lindi.json`` document (``{"version": 1, "refs": ..., "templates": ...}``)."""
        return self.reference_map.to_dict()

    def write_reference_file_system(self, path: str | os.PathLike[str]) -> None:
        """Write the document to ``path`` (``.lindi.json``, ``.lindi.d`` or ``.lindi.tar``)."""
        write_reference_map(self.reference_map, path)

    def __repr__(self) -> str:
        return f"LindiH5ZarrStore({getattr(self, 'source', '?')!r})"

    def __str__(self) -> str:
        return f"lindi-h5://{getattr(self, 'source', '?')}"
