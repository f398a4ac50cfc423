"""Download (materialize) a LINDI file: every chunk it names fetched and stored locally.

``DEST`` chooses what is made:

* ``*.lindi.tar`` / ``*.lindi.d``: self-contained; every chunk ref (into the original
  ``.nwb``, into the source's own blobs) is fetched and stored as a blob of the new file.
  A dataset linked to an HDF5 dataset elsewhere (``_EXTERNAL_ARRAY_LINK``, made by
  ``convert(..., num_chunks_threshold=...)``) has no chunk refs: its values are read through
  h5py from the linked file (through the router, so a remote document's links reach remote
  files only, unless ``allow_local``), block by block on its chunk grid, encoded by the
  flavour as the dataset's metadata says (as a LindiIO write would) and stored as packs
  too; the link is then dropped from its attributes;
* ``*.lindi.json`` with ``mirror=<dir>``: the chunks are stored as pack files in ``mirror``
  and the refs re-pointed at them (``_EXTERNAL_ARRAY_LINK``s keep naming their file);
  without ``mirror``: the document alone, relative refs made absolute so it reads from its
  new place (a ``.lindi.tar``'s members cannot be named by URL: give a mirror);
* in every kind, external links and ``_EXTERNAL_ARRAY_LINK``s are made absolute
  (:func:`~hdmf_lindi.relocation.relocate_links`) and, like refs, checked first: a document
  read from a URL may name remote files only (unless ``allow_local=True``), since its local
  copy would otherwise read local files (``LindiSecurityError``, nothing fetched);
* ``*.nwb`` / ``*.h5``: an HDF5 file, through ``NWBHDF5IO.export`` from ``LindiIO``.

Chunks are fetched in packs (up to 32 MiB of neighbouring chunks of one array, one
``read_many`` each, coalesced by the byte sources), several packs at once. A pack is written
to a work directory (``<dest>.download`` or the mirror) under a name derived from its refs,
atomically, with a sidecar listing its chunks written last: a rerun after an interruption
skips the packs already there. The result appears at ``DEST`` only when complete (built in a
temporary sibling and moved into place, :mod:`hdmf_lindi.storage.replacing`), under the
writer lock of ``DEST``; only what is recognisably a LINDI file of the kind made is replaced
(an existing directory of other files is refused before anything is fetched). The work
directory, marked as ours, is removed then.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hdmf_lindi import _json
from hdmf_lindi.conventions import detect_conventions
from hdmf_lindi.conventions.keys import EXTERNAL_ARRAY_LINK
from hdmf_lindi.conventions.model import DataKind
from hdmf_lindi.errors import (
    LindiError,
    LindiFormatError,
    LindiLimitError,
    LindiSecurityError,
    LindiSourceError,
    LindiUnsupportedError,
)
from hdmf_lindi.relocation import metadata_nodes, relocate_links
from hdmf_lindi.storage.containers import (
    TarContainer,
    container_for,
    container_kind_from_suffix,
)
from hdmf_lindi.storage.containers.abc import PACK_MAX_BYTES, write_packed
from hdmf_lindi.storage.reference_map import ReferenceMap, atomic_write_bytes
from hdmf_lindi.storage.replacing import TemporarySibling, check_replaceable, locked_for_writing
from hdmf_lindi.storage.sources import SourceRouter
from hdmf_lindi.storage.sources._background_loop import run_sync
from hdmf_lindi.transfer._progress import Progress
from hdmf_lindi.transfer._tasks import run_all

if TYPE_CHECKING:
    from hdmf_lindi.hierarchy import Hierarchy

__all__ = ["DownloadResult", "download"]


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What a download did: the file made, chunks in it, packs fetched by this run (the
    others were there from an interrupted run) and the bytes they held."""

    path: str
    chunks: int
    packs: int
    packs_fetched: int
    bytes_fetched: int


@dataclass(slots=True)
class _Pack:
    keys: list[str]
    requests: list[tuple[str, int | None, int | None]]

    @property
    def name(self) -> str:
        digest = hashlib.sha1(usedforsecurity=False)
        for key, request in zip(self.keys, self.requests, strict=True):
            digest.update(_json.dumps([key, *request]))
        return f"pack-{digest.hexdigest()}"

    @property
    def known_size(self) -> int:
        return sum(size or 0 for _url, _offset, size in self.requests)


@dataclass(frozen=True, slots=True)
class _LinkedBlock:
    """A block of a dataset linked to an HDF5 dataset elsewhere (``_EXTERNAL_ARRAY_LINK``),
    aligned to the dataset's chunk grid: read through h5py, encoded into its chunks and kept in
    the work directory as one pack (its sidecar lists ``[key, size]`` of each chunk)."""

    path: str
    url: str
    dataset: str
    start: tuple[int, ...]
    stop: tuple[int, ...]
    known_size: int

    @property
    def name(self) -> str:
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(_json.dumps(["linked", self.path, self.url, self.dataset]))
        digest.update(_json.dumps([list(self.start), list(self.stop)]))
        return f"pack-{digest.hexdigest()}"


def _parent(key: str) -> str:
    return key.rpartition("/")[0]


def _plan_packs(reference_map: ReferenceMap) -> list[_Pack]:
    packs: list[_Pack] = []
    current: _Pack | None = None
    current_bytes = 0
    for key in sorted(reference_map.keys()):
        value = reference_map.get_raw(key)
        if not (isinstance(value, list) and value and isinstance(value[0], str)):
            continue
        request: tuple[str, int | None, int | None] = (
            (value[0], int(value[1]), int(value[2])) if len(value) == 3 else (value[0], None, None)
        )
        whole = request[2] is None
        if (
            current is None
            or whole
            or _parent(current.keys[0]) != _parent(key)
            or current_bytes >= PACK_MAX_BYTES
        ):
            current = _Pack([], [])
            current_bytes = 0
            packs.append(current)
        current.keys.append(key)
        current.requests.append(request)
        current_bytes += request[2] or PACK_MAX_BYTES
    return packs


def _pack_done(work: str, pack: _Pack) -> list[int] | None:
    sidecar = os.path.join(work, pack.name + ".json")
    data_path = os.path.join(work, pack.name)
    try:
        with open(sidecar, "rb") as f:
            sizes = [int(s) for s in _json.loads(f.read())]
        if os.path.getsize(data_path) != sum(sizes) or len(sizes) != len(pack.keys):
            return None
        return sizes
    except (OSError, ValueError, TypeError):
        return None


async def _fetch_packs(
    router: SourceRouter,
    packs: list[_Pack],
    work: str,
    concurrency: int,
    bar: Progress,
    linked: tuple[Hierarchy, list[_LinkedBlock]] | None = None,
) -> tuple[int, int]:
    limit = asyncio.Semaphore(concurrency)
    fetched = [0, 0]

    async def keep(write: Callable[[], None]) -> None:
        # a pack fetched is a pack kept, also when a failure elsewhere cancels this task
        writing = asyncio.ensure_future(asyncio.to_thread(write))
        try:
            await asyncio.shield(writing)
        except asyncio.CancelledError:
            await writing
            raise

    async def one(pack: _Pack) -> None:
        if _pack_done(work, pack) is not None:
            bar.update(pack.known_size)
            return
        async with limit:
            chunks = await router.read_many(pack.requests)
        sizes = [len(chunk) for chunk in chunks]

        def write() -> None:
            atomic_write_bytes(os.path.join(work, pack.name), b"".join(chunks))
            atomic_write_bytes(os.path.join(work, pack.name + ".json"), _json.dumps(sizes))

        await keep(write)
        fetched[0] += 1
        fetched[1] += sum(sizes)
        bar.update(sum(sizes))

    async def linked_blocks(hierarchy: Hierarchy, blocks: list[_LinkedBlock]) -> None:
        # one at a time: h5py serialises its reads under its global lock anyway
        for block in blocks:
            if _linked_done(work, block) is not None:
                bar.update(block.known_size)
                continue
            items = await asyncio.to_thread(_materialize_block, hierarchy, block)

            def write(block: _LinkedBlock = block, items: list[tuple[str, bytes]] = items) -> None:
                atomic_write_bytes(os.path.join(work, block.name), b"".join(d for _k, d in items))
                listing = [[key, len(data)] for key, data in items]
                atomic_write_bytes(os.path.join(work, block.name + ".json"), _json.dumps(listing))

            await keep(write)
            fetched[0] += 1
            fetched[1] += sum(len(data) for _key, data in items)
            bar.update(block.known_size)

    tasks = [one(pack) for pack in packs]
    if linked is not None and linked[1]:
        tasks.append(linked_blocks(*linked))
    await run_all(tasks)
    return fetched[0], fetched[1]


def _read_pack(work: str, pack: _Pack) -> list[tuple[str, bytes]]:
    sizes = _pack_done(work, pack)
    if sizes is None:
        raise LindiFormatError(f"{work}: pack {pack.name} is incomplete")
    with open(os.path.join(work, pack.name), "rb") as f:
        data = f.read()
    items: list[tuple[str, bytes]] = []
    offset = 0
    for key, size in zip(pack.keys, sizes, strict=True):
        items.append((key, data[offset : offset + size]))
        offset += size
    return items


def _linked_done(work: str, block: _LinkedBlock) -> list[tuple[str, int]] | None:
    try:
        with open(os.path.join(work, block.name + ".json"), "rb") as f:
            listing = [(str(key), int(size)) for key, size in _json.loads(f.read())]
        if os.path.getsize(os.path.join(work, block.name)) != sum(s for _k, s in listing):
            return None
        return listing
    except (OSError, ValueError, TypeError):
        return None


def _read_linked(work: str, block: _LinkedBlock) -> list[tuple[str, bytes]]:
    listing = _linked_done(work, block)
    if listing is None:
        raise LindiFormatError(f"{work}: pack {block.name} is incomplete")
    with open(os.path.join(work, block.name), "rb") as f:
        data = f.read()
    items: list[tuple[str, bytes]] = []
    offset = 0
    for key, size in listing:
        items.append((key, data[offset : offset + size]))
        offset += size
    return items


def download(
    url: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    mirror: str | os.PathLike[str] | None = None,
    concurrency: int = 4,
    progress: bool | None = None,
    local_cache: Any = None,
    **router_options: Any,
) -> DownloadResult:
    """Make a local copy of the LINDI file at ``url`` (see the module docstring for kinds).

    Parameters
    ----------
    url
        A ``.lindi.json`` / ``.lindi.d`` / ``.lindi.tar``: path or URL.
    dest
        ``*.lindi.tar``, ``*.lindi.d``, ``*.lindi.json`` or ``*.nwb`` / ``*.h5``.
    mirror
        For a ``.lindi.json`` destination: the directory where the chunks are stored, refs
        re-pointed at them.
    concurrency
        Packs fetched at once.
    progress
        Progress bar (bytes) on stderr; default: when stderr is a terminal.
    local_cache
        A ``LocalCache`` for the remote reads.
    router_options
        ``s3_options``, ``client_options``, ... as for ``SourceRouter``.

    Returns
    -------
    DownloadResult

    Raises
    ------
    LindiSourceError
        When a chunk cannot be fetched (the packs fetched so far are kept for a rerun).
    LindiUnsupportedError
        For an unknown destination kind, or a ``.lindi.json`` of a ``.lindi.tar`` without
        ``mirror``.
    LindiSecurityError
        When a link of a remote document names a local file (``allow_local`` not given).
    """
    source = os.fspath(url)
    target = os.path.abspath(os.fspath(dest))
    hdf5 = target.lower().endswith((".nwb", ".h5", ".hdf5"))
    kind = container_kind_from_suffix(target)
    if kind is None and not hdf5:
        raise LindiUnsupportedError(
            f"{target}: unknown destination kind (use .lindi.tar, .lindi.d, .lindi.json or .nwb)"
        )
    container = container_for(source)
    if not container.exists():
        raise LindiSourceError(f"{container.location}: no such LINDI file")
    if hdf5:
        return _export_hdf5(container, target, local_cache, router_options)
    assert kind is not None
    lock = locked_for_writing(target)
    try:
        check_replaceable(target, directory=kind == "directory")
        return _download_locked(
            container, kind, target, mirror, concurrency, progress, local_cache, router_options
        )
    finally:
        lock.release()


def _download_locked(
    container: Any,
    kind: str,
    target: str,
    mirror: str | os.PathLike[str] | None,
    concurrency: int,
    progress: bool | None,
    local_cache: Any,
    router_options: dict[str, Any],
) -> DownloadResult:
    router = SourceRouter(
        base_url=container.base_url,
        member_resolver=container.member_resolver,
        local_cache=local_cache,
        **router_options,
    )
    try:
        reference_map = run_sync(container.load(router))
        # checked before anything is fetched: the copy is a local file, which may read local
        # files; a remote document's links and refs may not make it do so
        relocate_links(
            reference_map,
            source=container.location,
            dest=target,
            allow_local=router.allow_local,
            router=router,
            stores_linked_values=kind != "json",
        )
        if kind == "json" and mirror is None:
            return _document_only(container, reference_map, target, router)
        packs = _plan_packs(reference_map)
        hierarchy: Hierarchy | None = None
        linked_paths: list[str] = []
        conventions = detect_conventions(reference_map)
        blocks: list[_LinkedBlock] = []
        if kind != "json":
            hierarchy, linked_paths, blocks = _plan_linked(
                container.location, reference_map, router
            )
        try:
            if mirror is not None:
                work = os.path.abspath(os.fspath(mirror))
                os.makedirs(work, exist_ok=True)
            else:
                work = _work_directory(target + ".download")
            total = sum(p.known_size for p in packs) + sum(b.known_size for b in blocks)
            bar = Progress(total, progress, "downloading")
            try:
                fetched, fetched_bytes = run_sync(
                    _fetch_packs(
                        router,
                        packs,
                        work,
                        concurrency,
                        bar,
                        (hierarchy, blocks) if hierarchy is not None else None,
                    )
                )
            finally:
                bar.close()
        finally:
            if hierarchy is not None:
                hierarchy.close()
        for path in linked_paths:
            conventions.set_external_array_link(reference_map, path, None)
        if kind == "json":
            for pack in packs:
                path = os.path.join(work, pack.name)
                offset = 0
                for key, (_key, data) in zip(pack.keys, _read_pack(work, pack), strict=True):
                    reference_map.set_raw(key, [path, offset, len(data)])
                    offset += len(data)
            reference_map.write(target)
        else:
            chunks = _assemble(kind, target, reference_map, packs, blocks, work)
            shutil.rmtree(work, ignore_errors=True)
            return DownloadResult(target, chunks, len(packs) + len(blocks), fetched, fetched_bytes)
        return DownloadResult(
            target, sum(len(p.keys) for p in packs), len(packs), fetched, fetched_bytes
        )
    finally:
        run_sync(router.close())


_WORK_MARKER = ".lindi-download"
# what a download writes there: packs, their sidecars, and atomic_write_bytes' temporary files
_WORK_NAME = re.compile(r"\.?pack-[0-9a-f]{40}(\.json)?(\.[a-z0-9_]{8}\.tmp)?")


def _work_directory(work: str) -> str:
    """Create (or reuse, after an interrupted run) the work directory, marked as ours; a
    directory of that name holding other files is refused, since it is removed at the end."""
    if os.path.lexists(work):
        if os.path.islink(work) or not os.path.isdir(work):
            raise LindiSourceError(f"{work}: exists and is not a download work directory")
        foreign = [n for n in os.listdir(work) if not _WORK_NAME.fullmatch(n)]
        if foreign and not os.path.isfile(os.path.join(work, _WORK_MARKER)):
            raise LindiSourceError(
                f"{work}: a directory not made by a download is in the way of the work "
                "directory; remove it or choose another destination"
            )
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, _WORK_MARKER), "ab"):
        pass
    return work


_OBJECT_ITEM_ESTIMATE = 64
"""Bytes an element of a variable-length dataset is taken to hold when sizing blocks."""

_MAX_LINKED_BLOCKS = 1_000_000
"""Most packs the linked datasets of one download are stored in (32 TB of full packs)."""


def _plan_linked(
    location: str, reference_map: ReferenceMap, router: SourceRouter
) -> tuple[Hierarchy | None, list[str], list[_LinkedBlock]]:
    """The blocks of every ``_EXTERNAL_ARRAY_LINK`` dataset (a hierarchy over the document to
    read them with, through ``router`` and so under its policy) and the paths of those
    datasets, to drop the links from once their values are stored."""
    linked_paths = [
        node.path
        for node in metadata_nodes(detect_conventions(reference_map), reference_map)
        if node.dataset is not None and node.dataset.external_array_link is not None
    ]
    if not linked_paths:
        return None, [], []
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.storage.store import LindiStore

    store = LindiStore(reference_map, router=router, read_only=True, display_name=location)
    hierarchy = Hierarchy(store)
    blocks: list[_LinkedBlock] = []
    for path in linked_paths:
        node = hierarchy.node(path)
        info = node.dataset if node is not None else None
        if info is None or info.external_array_link is None:
            raise LindiFormatError(f"{location}: {path}: {EXTERNAL_ARRAY_LINK} cannot be read")
        link = info.external_array_link
        try:
            hierarchy.linked_dataset(path, info)  # its shape is the document's
        except LindiError:
            raise
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
            raise LindiSourceError(
                f"{location}: {path}: {EXTERNAL_ARRAY_LINK} {link.url}:{link.name}: "
                f"cannot open the linked dataset ({exc})"
            ) from exc
        itemsize = info.dtype.itemsize if info.kind is DataKind.NUMERIC else _OBJECT_ITEM_ESTIMATE
        if info.is_scalar:
            blocks.append(_LinkedBlock(path, link.url, link.name, (), (), itemsize))
            continue
        if math.prod(info.shape) == 0:
            continue
        shape = info.shape
        chunks = tuple(int(c) for c in (info.chunks or shape))
        counts = [-(-n // c) for n, c in zip(shape, chunks, strict=True)]
        # as many whole chunks as fit in a pack, taken from the last axis backwards, so that
        # every block is a box of the chunk grid
        room = max(1, PACK_MAX_BYTES // max(1, math.prod(chunks) * itemsize))
        per_block = [1] * len(shape)
        for axis in reversed(range(len(shape))):
            take = min(counts[axis], room)
            per_block[axis] = take
            room //= take
            if take < counts[axis]:
                break
        count = math.prod(-(-n // step) for n, step in zip(counts, per_block, strict=True))
        if len(blocks) + count > _MAX_LINKED_BLOCKS:
            raise LindiLimitError(
                f"{location}: {path}: {EXTERNAL_ARRAY_LINK} {link.url}:{link.name} would be "
                f"stored in {count} packs, more than {_MAX_LINKED_BLOCKS}"
            )
        for corner in itertools.product(
            *(range(0, n, step) for n, step in zip(counts, per_block, strict=True))
        ):
            start = tuple(i * c for i, c in zip(corner, chunks, strict=True))
            stop = tuple(
                min(n, (i + step) * c)
                for i, step, c, n in zip(corner, per_block, chunks, shape, strict=True)
            )
            size = math.prod(b - a for a, b in zip(start, stop, strict=True)) * itemsize
            blocks.append(_LinkedBlock(path, link.url, link.name, start, stop, size))
    return hierarchy, linked_paths, blocks


def _materialize_block(hierarchy: Hierarchy, block: _LinkedBlock) -> list[tuple[str, bytes]]:
    """The chunks of ``block``: its values read from the linked HDF5 dataset (h5py through
    the hierarchy's router), encoded as the dataset's own metadata says."""
    where = (
        f"{hierarchy.store.reference_map.source}: {block.path}: {EXTERNAL_ARRAY_LINK} "
        f"{block.url}:{block.dataset}"
    )
    conventions = hierarchy.conventions
    node = hierarchy.node(block.path)
    assert node is not None and node.dataset is not None
    info = node.dataset
    selection: Any = (
        Ellipsis
        if info.is_scalar
        else tuple(slice(a, b) for a, b in zip(block.start, block.stop, strict=True))
    )
    try:
        values = np.asarray(hierarchy.read(block.path, selection))
        stored = np.asarray(conventions.encode_values(info, values))
        start = block.start if not info.is_scalar else (0,) * stored.ndim
        chunks = conventions.encode_region(hierarchy.store.reference_map, block.path, start, stored)
        if chunks is None:
            raise LindiUnsupportedError(
                f"{where}: the {conventions.name} flavour cannot encode its chunks here"
            )
        return list(chunks)
    except LindiError as exc:
        if str(exc).startswith(where):
            raise
        raise type(exc)(f"{where}: {exc}") from exc
    except (OSError, ValueError, TypeError, KeyError, IndexError, RuntimeError) as exc:
        raise LindiSourceError(f"{where}: cannot read the linked dataset ({exc})") from exc


def _document_only(
    container: Any, reference_map: ReferenceMap, target: str, router: SourceRouter
) -> DownloadResult:
    """The document alone, each ref made to name what it named at the source (relative refs
    absolute; refs the source's policy forbids, e.g. local files named by a remote document,
    refused)."""
    if isinstance(container, TarContainer):
        raise LindiUnsupportedError(
            f"{container.location}: the chunks of a .lindi.tar cannot be named by URL; "
            "give a mirror directory or download to a .lindi.tar / .lindi.d"
        )
    count = 0
    for key in list(reference_map.keys()):
        value = reference_map.get_raw(key)
        if isinstance(value, list) and value and isinstance(value[0], str):
            count += 1
            try:
                location = router.resolve(value[0])
            except LindiSecurityError as exc:
                raise LindiSecurityError(f"{container.location}: {key}: {exc}") from exc
            if location != value[0]:
                reference_map.set_raw(key, [location, *value[1:]])
    reference_map.write(target)
    return DownloadResult(target, count, 0, 0, 0)


def _assemble(
    kind: str,
    target: str,
    reference_map: ReferenceMap,
    packs: list[_Pack],
    blocks: list[_LinkedBlock],
    work: str,
) -> int:
    """Build the ``.lindi.tar`` / ``.lindi.d`` in a temporary sibling and move it into place
    (the caller holds the writer lock of ``target``); returns the number of chunks stored."""
    temporary = TemporarySibling(target)
    count = 0
    try:
        container: Any = container_for(temporary.path, kind=kind)
        container.create(reference_map)
        try:
            stored = itertools.chain(
                (_read_pack(work, pack) for pack in packs),
                (_read_linked(work, block) for block in blocks),
            )
            for items in stored:
                if not items:
                    continue
                for (key, _data), ref in zip(items, write_packed(container, items), strict=True):
                    reference_map.set_raw(key, ref)
                count += len(items)
            container.save(reference_map)
        finally:
            container.close()
    except BaseException:
        temporary.discard()
        raise
    temporary.commit()
    return count


def _export_hdf5(
    container: Any, target: str, local_cache: Any, router_options: dict[str, Any]
) -> DownloadResult:
    """``NWBHDF5IO.export`` of the LINDI file, read through a router configured with the
    caller's options (``s3_options``, ``client_options``, ...)."""
    from pynwb import NWBHDF5IO

    from hdmf_lindi.h5py_compat.file import LindiH5pyFile
    from hdmf_lindi.hierarchy import Hierarchy
    from hdmf_lindi.io import LindiIO
    from hdmf_lindi.storage.store import LindiStore

    stem, suffix = os.path.splitext(target)
    temporary = f"{stem}.tmp-{os.getpid()}{suffix}"
    router = SourceRouter(
        base_url=container.base_url,
        member_resolver=container.member_resolver,
        local_cache=local_cache,
        **router_options,
    )
    try:
        reference_map = run_sync(container.load(router))
        store = LindiStore(
            reference_map, router=router, read_only=True, display_name=container.location
        )
        hierarchy = Hierarchy(store)
        file = LindiH5pyFile(hierarchy, filename=container.location, on_close=hierarchy.close)
        try:
            with LindiIO(file=file) as src, NWBHDF5IO(temporary, mode="w") as out:
                out.export(src_io=src, write_args={"link_data": False})
        finally:
            file.close()
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
        run_sync(router.close())
    return DownloadResult(target, 0, 0, 0, os.path.getsize(target))
