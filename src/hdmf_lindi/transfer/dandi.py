"""Upload a LINDI file to a DANDI dandiset: ``dandi://<dandiset>/<path>``.

The REST flow lindi-dandi used, per blob: ``POST uploads/initialize/`` (409: a blob with this
``dandi-etag`` exists already, its id in ``Location``), ``PUT`` each part to its presigned
URL (no token there), ``POST uploads/{id}/complete/`` then the returned ``complete_url``,
``POST uploads/{id}/validate/`` (the blob id), and ``POST dandisets/{d}/versions/draft/assets/``.

Local blobs become assets at ``sha1/<sha1>`` (existing ones are found by one listing and
reused: a rerun sends nothing twice); the document's refs are rewritten to their
``<api>/assets/<id>/download/`` URLs, and the ``.lindi.json`` is uploaded last, as an asset at
``<path>`` (replacing the previous version's blob when the path exists). A ``.lindi.tar``
whose refs are all inside it goes up as one asset. DANDI does not accept a ``.lindi.d``
(a directory is not an asset).
"""

from __future__ import annotations

import concurrent.futures
import os
import tempfile
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from hdmf_lindi.errors import LindiSourceError, LindiUnsupportedError
from hdmf_lindi.storage.containers import container_kind_from_suffix
from hdmf_lindi.storage.sources._daemon_pool import DaemonPool
from hdmf_lindi.transfer._progress import Progress
from hdmf_lindi.transfer.blobs import LocalBlob, open_lindi_source, rewrite_refs
from hdmf_lindi.transfer.dandi_api import (
    DANDI_API_URL,
    DandiAPI,
    DandiAPIError,
    dandi_etag,
    request,
)
from hdmf_lindi.transfer.upload import UploadResult

__all__ = ["parse_dandi_url", "upload_to_dandi"]

BLOB_PREFIX = "sha1/"


def parse_dandi_url(url: str) -> tuple[str, str]:
    """``dandi://000123/sub-1/x.nwb.lindi.json`` -> ``("000123", "sub-1/x.nwb.lindi.json")``."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path.lstrip("/"))
    if parts.scheme != "dandi" or not parts.netloc or not path:
        raise LindiSourceError(f"{url}: expected dandi://<dandiset id>/<path in the dandiset>")
    return parts.netloc, path


def _file_chunks(path: str, offset: int, size: int, block: int = 8 << 20) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(offset)
        remaining = size
        while remaining > 0:
            data = f.read(min(block, remaining))
            if not data:
                raise LindiSourceError(f"{path}: shorter than expected")
            remaining -= len(data)
            yield data


def _read(path: str, offset: int, size: int) -> bytes:
    return b"".join(_file_chunks(path, offset, size))


def upload_blob(
    api: DandiAPI,
    dandiset_id: str,
    path: str,
    offset: int,
    size: int,
    *,
    on_bytes: Callable[[int], None] | None = None,
) -> tuple[str, int]:
    """Upload bytes ``[offset, offset + size)`` of the local file ``path`` as a DANDI blob;
    returns ``(blob id, bytes sent)`` (0 when DANDI had the blob already)."""
    etag = dandi_etag(_file_chunks(path, offset, size), size)
    answer = api.call(
        "POST",
        "uploads/initialize/",
        {
            "contentSize": size,
            "digest": {"algorithm": "dandi:dandi-etag", "value": etag},
            "dandiset": dandiset_id,
        },
        ok=(200, 201, 409),
    )
    if answer.status == 409:
        blob_id = answer.headers.get("location")
        if not blob_id:
            raise DandiAPIError(f"{api.url('uploads/initialize/')}: 409 without a blob id", 409)
        return blob_id.rstrip("/").rsplit("/", 1)[-1], 0
    info = answer.json()
    upload_id = info["upload_id"]
    done: list[dict[str, Any]] = []
    position = offset
    for part in info["parts"]:
        part_size = int(part["size"])
        data = _read(path, position, part_size)
        position += part_size
        put = request(
            "PUT",
            part["upload_url"],
            body=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        if put.status != 200 or "etag" not in put.headers:
            raise LindiSourceError(
                f"{path}: part {part['part_number']} of upload {upload_id} failed with HTTP "
                f"{put.status}"
            )
        done.append(
            {
                "part_number": part["part_number"],
                "size": part_size,
                "etag": put.headers["etag"].strip('"'),
            }
        )
        if on_bytes is not None:
            on_bytes(part_size)
    if position != offset + size:
        raise DandiAPIError(f"upload {upload_id}: parts cover {position - offset} of {size} bytes")
    completion = api.call("POST", f"uploads/{upload_id}/complete/", {"parts": done}).json()
    finish = request(
        "POST",
        completion["complete_url"],
        body=str(completion["body"]).encode(),
        headers={"Content-Type": "application/xml"},
    )
    if finish.status != 200:
        raise LindiSourceError(f"{path}: completing upload {upload_id} failed ({finish.status})")
    validated = api.call("POST", f"uploads/{upload_id}/validate/").json()
    return str(validated["blob_id"]), size


_POOL = DaemonPool(32, "hdmf_lindi-dandi")


def _run_at_most[T](concurrency: int, work: Callable[[T], None], items: list[T]) -> None:
    """``work(item)`` for every item, ``concurrency`` at once, on daemon threads. The first
    failure (or Ctrl-C) ends the wait at once: nothing more is started, and the calls still
    running (each bounded by its requests' timeouts) keep no one waiting, not even the
    interpreter's exit."""
    remaining = iter(items)
    running: set[concurrent.futures.Future[None]] = set()
    while True:
        while len(running) < max(1, concurrency):
            item = next(remaining, _DONE)
            if item is _DONE:
                break
            running.add(_POOL.submit(work, item))
        if not running:
            return
        done, running = concurrent.futures.wait(
            running, return_when=concurrent.futures.FIRST_COMPLETED
        )
        for future in done:
            future.result()


_DONE: Any = object()


def _create_asset(api: DandiAPI, dandiset_id: str, path: str, blob_id: str) -> str:
    """The id of the asset at ``path`` holding ``blob_id``: created, or the existing one (its
    blob replaced when it holds another)."""
    payload = {"metadata": {"path": path}, "blob_id": blob_id}
    answer = api.call(
        "POST", f"dandisets/{dandiset_id}/versions/draft/assets/", payload, ok=(200, 201, 409)
    )
    if answer.status != 409:
        return str(answer.json()["asset_id"])
    for asset in api.assets(dandiset_id, "draft", path):
        if asset.get("path") != path:
            continue
        if asset.get("blob") == blob_id:
            return str(asset["asset_id"])
        updated = api.call(
            "PUT", f"dandisets/{dandiset_id}/versions/draft/assets/{asset['asset_id']}/", payload
        )
        return str(updated.json()["asset_id"])
    raise DandiAPIError(f"dandiset {dandiset_id}: {path} exists (409) but is not listed", 409)


def upload_to_dandi(
    source: str | os.PathLike[str],
    dest_url: str,
    *,
    api_url: str = DANDI_API_URL,
    token_variable: str | None = None,
    concurrency: int = 4,
    progress: bool | None = None,
) -> UploadResult:
    """Upload a local LINDI file to ``dandi://<dandiset>/<path>`` (see the module docstring).

    Parameters
    ----------
    source
        A local ``.lindi.json`` (staged chunks and other local files are uploaded as blob
        assets) or ``.lindi.tar``.
    dest_url
        ``dandi://<dandiset id>/<path>``; the path ends in ``.lindi.json`` or ``.lindi.tar``.
    api_url
        The DANDI API (default the main archive; its token is ``DANDI_API_KEY``, the staging
        API's ``DANDI_STAGING_API_KEY``).
    token_variable
        The environment variable holding the API key (see
        :class:`~hdmf_lindi.transfer.dandi_api.DandiAPI`; required for an instance that is
        not registered).
    concurrency
        Blobs uploaded at once.
    progress
        Progress bar (bytes) on stderr; default: when stderr is a terminal.

    Returns
    -------
    UploadResult
        ``url`` is the document's ``<api>/assets/<id>/download/`` URL.

    Raises
    ------
    LindiUnsupportedError
        For a ``.lindi.d`` (DANDI assets are files), or an unknown ``api_url`` without
        ``token_variable``.
    DandiAPIError
        When the API refuses a request (401/403: the token is missing or wrong).
    """
    dandiset_id, asset_path = parse_dandi_url(dest_url)
    if container_kind_from_suffix(asset_path) == "directory":
        raise LindiUnsupportedError(
            f"{dest_url}: DANDI does not accept a .lindi.d (a directory is not an asset); "
            "upload it as .lindi.json (blobs become assets) or convert it to .lindi.tar"
        )
    api = DandiAPI(api_url, token_variable=token_variable)
    lindi = open_lindi_source(source)
    whole_tar = lindi.kind == "tar" and asset_path.endswith(".tar")
    if whole_tar:
        if any(blob.path != lindi.location for blob in lindi.blobs):
            raise LindiUnsupportedError(
                f"{lindi.location}: refs name local files outside the archive; upload it "
                "as .lindi.json instead"
            )
        size = os.path.getsize(lindi.location)
        bar = Progress(size, progress, "uploading")
        try:
            blob_id, sent = upload_blob(
                api, dandiset_id, lindi.location, 0, size, on_bytes=bar.update
            )
        finally:
            bar.close()
        asset_id = _create_asset(api, dandiset_id, asset_path, blob_id)
        return UploadResult(api.download_url(asset_id), 1, int(sent > 0), sent)

    unique: dict[str, LocalBlob] = {}
    for blob in lindi.blobs:
        unique.setdefault(BLOB_PREFIX + blob.sha1, blob)
    existing = {
        str(a["path"]): str(a["asset_id"]) for a in api.assets(dandiset_id, "draft", BLOB_PREFIX)
    }
    missing = [(p, b) for p, b in unique.items() if p not in existing]
    bar = Progress(sum(b.size for _p, b in missing), progress, "uploading")
    lock = threading.Lock()
    sent_total = [0, 0]

    def one(item: tuple[str, LocalBlob]) -> None:
        path, blob = item
        blob_id, sent = upload_blob(
            api, dandiset_id, blob.path, blob.offset, blob.size, on_bytes=bar.update
        )
        asset_id = _create_asset(api, dandiset_id, path, blob_id)
        with lock:
            existing[path] = asset_id
            sent_total[0] += int(sent > 0)
            sent_total[1] += sent

    try:
        _run_at_most(concurrency, one, missing)
    finally:
        bar.close()
    urls = {
        index: api.download_url(existing[BLOB_PREFIX + blob.sha1])
        for index, blob in enumerate(lindi.blobs)
    }
    document = rewrite_refs(lindi, urls)
    with tempfile.TemporaryDirectory(prefix="hdmf-lindi-dandi-") as scratch:
        main = os.path.join(scratch, "main.lindi.json")
        document.write(main)
        blob_id, _sent = upload_blob(api, dandiset_id, main, 0, os.path.getsize(main))
    asset_id = _create_asset(api, dandiset_id, asset_path, blob_id)
    return UploadResult(api.download_url(asset_id), len(unique), sent_total[0], sent_total[1])
