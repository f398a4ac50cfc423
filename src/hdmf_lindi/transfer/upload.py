"""Upload a LINDI file (``.lindi.json`` with a staging area, ``.lindi.d``, ``.lindi.tar``) to an
object store or an HTTP server, or through caller-supplied hooks.

Order and naming make it safe and resumable:

1. every local blob is hashed (SHA-1) and named after its content:
   ``<blob root>/blobs/sha1/<hex>``, where the blob root is the destination ``.lindi.d`` itself
   or the directory of the destination ``.lindi.json``;
2. the blobs already at the destination are listed (one ``LIST``; ``HEAD`` each on plain
   HTTP), and only the missing ones are sent, concurrently (multipart from 64 MiB, the hash
   checked while streaming; a single ``PUT`` below, its ``ETag`` checked against the MD5 where
   the service reports one);
3. only when every blob is there, the document is written, its refs rewritten to the blobs
   (relative ``./blobs/sha1/<hex>`` by default, so the uploaded file reads the same through
   ``s3://`` and through an ``https://`` URL of the same object).

An interrupted upload (error, Ctrl-C, SIGKILL) has therefore published nothing that names a
missing blob, and a rerun sends only the blobs that did not arrive.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hdmf_lindi.errors import LindiSourceError, LindiUnsupportedError
from hdmf_lindi.storage.containers import container_kind_from_suffix
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.sources._background_loop import run_sync
from hdmf_lindi.transfer._progress import Progress
from hdmf_lindi.transfer._tasks import run_all
from hdmf_lindi.transfer.blobs import LindiSource, LocalBlob, open_lindi_source, rewrite_refs
from hdmf_lindi.transfer.destination import (
    MULTIPART_THRESHOLD,
    PART_SIZE,
    Destination,
    join_url,
)

__all__ = ["UploadHook", "UploadResult", "upload", "upload_with_hooks"]

type UploadHook = Callable[[str], str]
"""Takes the path of a local file, stores it somewhere, returns its URL (lindi 0.4's
``on_upload_blob`` / ``on_upload_main``; 0.3's ``on_store_blob`` / ``on_store_main``)."""

BLOB_DIRECTORY = "blobs/sha1"
DOCUMENT_NAME = "lindi.json"


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What an upload did.

    Attributes
    ----------
    url
        URL of the uploaded document (``.lindi.json``; the directory for a ``.lindi.d``).
    blobs
        Local blobs the document needs.
    blobs_sent, bytes_sent
        Blobs (and their bytes) sent by this run; the others were already there.
    """

    url: str
    blobs: int
    blobs_sent: int
    bytes_sent: int


@dataclass(frozen=True, slots=True)
class _Layout:
    document_url: str
    blob_root: str
    result_url: str


def _layout(dest_url: str) -> _Layout:
    kind = container_kind_from_suffix(dest_url)
    if kind == "directory":
        root = dest_url.rstrip("/")
        return _Layout(join_url(root, DOCUMENT_NAME), root, root)
    if kind == "tar":
        raise LindiUnsupportedError(
            f"{dest_url}: upload writes a .lindi.json (or a .lindi.d) plus its blobs; a "
            ".lindi.tar destination is not supported (name the destination *.lindi.json)"
        )
    directory = dest_url.rsplit("/", 1)[0]
    return _Layout(dest_url, directory, dest_url)


def _blob_name(blob: LocalBlob) -> str:
    return f"{BLOB_DIRECTORY}/{blob.sha1}"


def upload(
    source: str | os.PathLike[str],
    dest_url: str,
    *,
    concurrency: int = 8,
    progress: bool | None = None,
    absolute_refs: bool = False,
    s3_options: Mapping[str, Any] | None = None,
    gcs_options: Mapping[str, Any] | None = None,
    azure_options: Mapping[str, Any] | None = None,
    client_options: Mapping[str, Any] | None = None,
    retry_config: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    multipart_threshold: int = MULTIPART_THRESHOLD,
    part_size: int = PART_SIZE,
) -> UploadResult:
    """Upload a local LINDI file and the local blobs it needs; the document goes last.

    Parameters
    ----------
    source
        A local ``.lindi.json`` (its refs may name a staging area's files or other local
        files), ``.lindi.d`` or ``.lindi.tar``. Refs to remote URLs are kept as they are.
    dest_url
        ``s3://``, ``gs://``, ``az://`` or ``http(s)://`` (``PUT``) URL of the document:
        ``.../name.lindi.json`` (blobs go to ``.../blobs/sha1/<hex>`` beside it) or
        ``.../name.lindi.d`` (``lindi.json`` and ``blobs/sha1/<hex>`` inside). For
        ``dandi://`` use :func:`hdmf_lindi.dandi.upload_to_dandi`.
    concurrency
        Blobs sent at once.
    progress
        Show a progress bar (bytes) on stderr; default: when stderr is a terminal.
    absolute_refs
        Rewrite refs to the blobs' full URLs instead of relative ``./blobs/sha1/<hex>``.
    s3_options, gcs_options, azure_options, client_options, retry_config
        obstore configuration, as for reading (the ``AWS_*``/``GOOGLE_*``/``AZURE_*``
        environment applies too).
    headers
        Extra headers for ``http(s)`` destinations.
    multipart_threshold, part_size
        Blobs of at least ``multipart_threshold`` bytes are streamed from their files, their
        SHA-1 checked on the way: to object stores as multipart uploads of ``part_size``
        parts (S3 needs parts of at least 5 MiB), to HTTP(S) as one streaming ``PUT``.

    Returns
    -------
    UploadResult

    Raises
    ------
    LindiSourceError
        When the source cannot be read, a blob cannot be sent, or its content changed while
        it was sent. Nothing names a blob that is not at the destination: the document is not
        written then.
    LindiUnsupportedError
        For a ``.lindi.tar`` destination.

    Examples
    --------
    >>> hdmf_lindi.upload("x.nwb.lindi.json", "s3://bucket/x.nwb.lindi.json")  # doctest: +SKIP
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    layout = _layout(dest_url)
    lindi = open_lindi_source(source)
    destination = Destination(
        dest_url,
        s3_options=s3_options,
        gcs_options=gcs_options,
        azure_options=azure_options,
        client_options=client_options,
        retry_config=retry_config,
        headers=headers,
    )
    sending = _Sending(multipart_threshold, part_size, absolute_refs)
    return run_sync(_upload(lindi, destination, layout, concurrency, progress, sending))


async def _hash_all(blobs: list[LocalBlob], concurrency: int) -> None:
    limit = asyncio.Semaphore(max(1, min(concurrency, 4)))

    async def one(blob: LocalBlob) -> None:
        async with limit:
            await asyncio.to_thread(lambda: blob.sha1)

    await run_all(one(blob) for blob in blobs)


async def _existing(
    destination: Destination, layout: _Layout, urls: list[str], concurrency: int
) -> dict[str, int]:
    if destination.can_list:
        return await destination.list_sizes(join_url(layout.blob_root, BLOB_DIRECTORY))
    limit = asyncio.Semaphore(concurrency)
    found: dict[str, int] = {}

    async def one(url: str) -> None:
        async with limit:
            size = await destination.size(url)
        if size is not None:
            found[url] = size

    await run_all(one(url) for url in urls)
    return found


@dataclass(frozen=True, slots=True)
class _Sending:
    multipart_threshold: int
    part_size: int
    absolute_refs: bool


async def _send(
    destination: Destination, blob: LocalBlob, url: str, bar: Progress, sending: _Sending
) -> None:
    if blob.size >= sending.multipart_threshold:
        await destination.put_stream(
            url,
            lambda: blob.iter_chunks(sending.part_size),
            sha1=blob.sha1,
            size=blob.size,
            on_bytes=bar.update,
            part_size=sending.part_size,
        )
        return
    data = await asyncio.to_thread(blob.read)
    if hashlib.sha1(data, usedforsecurity=False).hexdigest() != blob.sha1:
        raise LindiSourceError(
            f"{blob.path}: content changed since it was hashed (blob {blob.origin!r}); "
            "upload aborted"
        )
    e_tag = await destination.put_bytes(url, data)
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if e_tag is not None and len(e_tag) == 32 and e_tag != md5:
        raise LindiSourceError(f"{url}: the service stored other bytes (ETag {e_tag}, MD5 {md5})")
    bar.update(blob.size)


async def _upload(
    lindi: LindiSource,
    destination: Destination,
    layout: _Layout,
    concurrency: int,
    progress: bool | None,
    sending: _Sending,
) -> UploadResult:
    await _hash_all(lindi.blobs, concurrency)
    by_name: dict[str, LocalBlob] = {}
    for blob in lindi.blobs:
        by_name.setdefault(_blob_name(blob), blob)  # equal content: one upload
    urls = {name: join_url(layout.blob_root, name) for name in by_name}
    existing = await _existing(destination, layout, list(urls.values()), concurrency)
    missing = [
        (name, blob) for name, blob in by_name.items() if existing.get(urls[name]) != blob.size
    ]
    bar = Progress(sum(blob.size for _n, blob in missing), progress, "uploading")
    limit = asyncio.Semaphore(concurrency)

    async def one(name: str, blob: LocalBlob) -> None:
        async with limit:
            await _send(destination, blob, urls[name], bar, sending)

    try:
        await run_all(one(name, blob) for name, blob in missing)
    finally:
        bar.close()
    refs = {
        index: (urls[_blob_name(blob)] if sending.absolute_refs else "./" + _blob_name(blob))
        for index, blob in enumerate(lindi.blobs)
    }
    links = {index: urls[_blob_name(blob)] for index, blob in enumerate(lindi.blobs)}
    document = rewrite_refs(lindi, refs, links)
    await destination.put_bytes(
        layout.document_url, document.dumps(), content_type="application/json"
    )
    return UploadResult(
        url=layout.result_url,
        blobs=len(by_name),
        blobs_sent=len(missing),
        bytes_sent=sum(blob.size for _n, blob in missing),
    )


def upload_with_hooks(
    source: str | os.PathLike[str] | LindiSource,
    *,
    on_upload_blob: UploadHook,
    on_upload_main: UploadHook,
) -> str:
    """Upload through caller-supplied functions (lindi 0.4's ``upload`` hook API).

    Every local blob is handed to ``on_upload_blob`` as a local file path (a staged file as it
    is; a ``.lindi.tar`` member or a part of a file copied to a temporary file first), which
    returns the URL it now has; then the document, its refs rewritten to those URLs, is
    written to a temporary ``.lindi.json`` and handed to ``on_upload_main``.

    Parameters
    ----------
    source
        A local ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar`` (or an opened source).
    on_upload_blob, on_upload_main
        ``fn(local_path) -> url``.

    Returns
    -------
    str
        What ``on_upload_main`` returned.
    """
    lindi = source if isinstance(source, LindiSource) else open_lindi_source(source)
    urls: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="hdmf-lindi-upload-") as scratch:
        for index, blob in enumerate(lindi.blobs):
            whole = blob.offset == 0 and os.path.getsize(blob.path) == blob.size
            if whole:
                path = blob.path
            else:
                path = os.path.join(scratch, f"blob-{index}")
                with open(path, "wb") as f:
                    for data in blob.iter_chunks():
                        f.write(data)
            urls[index] = str(on_upload_blob(path))
        document: ReferenceMap = rewrite_refs(lindi, urls)
        main = os.path.join(scratch, "main.lindi.json")
        document.write(main)
        return str(on_upload_main(main))
