"""Remote chunk reads: our stack vs fsspec's ``ReferenceFileSystem`` on the same refs.

A 32-chunk selection of a float32 array whose chunks are byte ranges of one file served over
HTTP on 127.0.0.1 with 50 ms of injected latency per request. Measured side by side, with a
fresh router / filesystem each repetition (process-wide connection pools may be reused):

1. raw chunk bytes: ``SourceRouter.read_many`` vs ``ReferenceFileSystem.cat``;
2. a zarr selection: ``zarr`` over ``LindiStore`` vs ``zarr`` over ``FsspecStore`` wrapping the
   same ``ReferenceFileSystem`` (skipped, with a note, when either cannot be built), at zarr's
   default ``async.concurrency`` (10: at most 10 chunk reads in flight) and at 64.

Prints the median time of each, the ratio (fsspec / ours; > 1 means we are faster) and the
number of HTTP requests each made.

Run: ``.venv/bin/python benchmarks/bench_remote_chunks.py``
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.helpers.http_server import ServedDirectory, serve_directory  # noqa: E402

LATENCY = 0.05
CHUNK_COUNT = 32
CHUNK_ELEMENTS = 16 * 1024  # 64 KiB per float32 chunk
REPETITIONS = 5


def _make_refs(url: str) -> dict[str, Any]:
    chunk_bytes = CHUNK_ELEMENTS * 4
    zarray = {
        "zarr_format": 2,
        "shape": [CHUNK_COUNT * CHUNK_ELEMENTS],
        "chunks": [CHUNK_ELEMENTS],
        "dtype": "<f4",
        "compressor": None,
        "filters": None,
        "fill_value": 0.0,
        "order": "C",
    }
    refs: dict[str, Any] = {".zgroup": {"zarr_format": 2}, "x/.zarray": zarray, "x/.zattrs": {}}
    for i in range(CHUNK_COUNT):
        refs[f"x/{i}"] = [url, i * chunk_bytes, chunk_bytes]
    return {"version": 1, "refs": refs}


def _measure(run: Callable[[], Any], server: ServedDirectory) -> tuple[float, str, Any]:
    times = []
    requests = ""
    result = None
    for _ in range(REPETITIONS):
        server.requests.clear()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
        gets = sum(1 for r in server.requests if r.method == "GET")
        heads = len(server.requests) - gets
        requests = f"{gets:3d} GET" + (
            f" + {heads} HEAD (redirect check, in parallel)" if heads else ""
        )
    return statistics.median(times), requests, result


def _fsspec_reference_fs(document: dict[str, Any]) -> Any:
    import fsspec

    return fsspec.filesystem(
        "reference", fo=document, remote_protocol="http", skip_instance_cache=True
    )


def bench_raw(server: ServedDirectory, document: dict[str, Any], expected: np.ndarray) -> None:
    from hdmf_lindi.storage.sources import SourceRouter

    keys = [f"x/{i}" for i in range(CHUNK_COUNT)]
    requests: list[tuple[str, int | None, int | None]] = [
        (document["refs"][k][0], document["refs"][k][1], document["refs"][k][2]) for k in keys
    ]

    def ours() -> bytes:
        router = SourceRouter()
        return b"".join(router.read_many_sync(requests))

    def theirs() -> bytes:
        fs = _fsspec_reference_fs(document)
        out = fs.cat(keys)
        return b"".join(out[k] for k in keys)

    ours_time, ours_requests, ours_bytes = _measure(ours, server)
    theirs_time, theirs_requests, theirs_bytes = _measure(theirs, server)
    assert ours_bytes == theirs_bytes == expected.tobytes(), "the two stacks disagree"
    _report(
        "raw chunk bytes: SourceRouter.read_many vs ReferenceFileSystem.cat",
        ours_time,
        ours_requests,
        theirs_time,
        theirs_requests,
    )


def bench_zarr(
    server: ServedDirectory, document: dict[str, Any], expected: np.ndarray, concurrency: int
) -> None:
    import zarr

    try:
        from hdmf_lindi.storage.reference_map import ReferenceMap
        from hdmf_lindi.storage.store import LindiStore
    except ImportError as exc:
        print(f"zarr selection: skipped, LindiStore not importable ({exc})")
        return

    def ours() -> np.ndarray:
        store = LindiStore(ReferenceMap.from_dict(document), read_only=True)
        array = zarr.open_array(store, path="x", mode="r", zarr_format=2)
        return np.asarray(array[:])

    def theirs() -> np.ndarray:
        from zarr.storage import FsspecStore

        fs = _fsspec_reference_fs(document)
        from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper

        store = FsspecStore(AsyncFileSystemWrapper(fs), read_only=True, path="")
        array = zarr.open_array(store, path="x", mode="r", zarr_format=2)
        return np.asarray(array[:])

    title = (
        "zarr selection: zarr over LindiStore vs zarr over FsspecStore(ReferenceFileSystem), "
        f"zarr async.concurrency={concurrency}"
    )
    try:
        with zarr.config.set({"async.concurrency": concurrency}):
            ours_time, ours_requests, ours_result = _measure(ours, server)
    except Exception as exc:
        print(f"zarr selection: skipped, LindiStore not usable ({type(exc).__name__}: {exc})")
        return
    np.testing.assert_array_equal(ours_result, expected)
    try:
        with zarr.config.set({"async.concurrency": concurrency}):
            theirs_time, theirs_requests, theirs_result = _measure(theirs, server)
    except Exception as exc:
        print(f"zarr selection: fsspec side not usable ({type(exc).__name__}: {exc})")
        print(f"  ours (LindiStore): {ours_time * 1000:.0f} ms, {ours_requests}")
        return
    np.testing.assert_array_equal(theirs_result, expected)
    _report(title, ours_time, ours_requests, theirs_time, theirs_requests)


def _report(
    title: str, ours_time: float, ours_requests: str, theirs_time: float, theirs_requests: str
) -> None:
    print(title)
    print(f"  ours:   {ours_time * 1000:7.0f} ms  {ours_requests}")
    print(f"  fsspec: {theirs_time * 1000:7.0f} ms  {theirs_requests}")
    print(f"  ratio fsspec/ours: {theirs_time / ours_time:.2f}x")


RECOMMENDATION = """\
finding: zarr 3 reads an unsharded array with one Store.get per chunk, at most
async.concurrency (default 10) in flight; it never calls Store.get_partial_values on that path
(LindiStore.get_partial_values, which batches, is only reached by zarr's sharding codec and by
direct callers). The router coalesces the gets that are in flight together, so 32 chunks take
ceil(32 / 10) round trips at the default and one at 64. Recommendation (not applied on import):
    with zarr.config.set({"async.concurrency": 64}):
        data = array[...]
or zarr.config.set({"async.concurrency": 64}) once in the application. Raising it also raises
zarr's write concurrency and its thread use for codecs; the HTTP source still caps each batch at
its own `concurrency` (16) coalesced requests."""


def main() -> None:
    warnings.filterwarnings("ignore", message=".*asynchronous=True.*")
    expected = np.arange(CHUNK_COUNT * CHUNK_ELEMENTS, dtype="<f4")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data.bin").write_bytes(expected.tobytes())
        with serve_directory(root, latency=LATENCY) as server:
            document = _make_refs(server.url_for("data.bin"))
            print(
                f"{CHUNK_COUNT} chunks of {CHUNK_ELEMENTS * 4 // 1024} KiB, "
                f"{LATENCY * 1000:.0f} ms latency per request, median of {REPETITIONS} runs, "
                "a fresh router / ReferenceFileSystem each run"
            )
            bench_raw(server, document, expected)
            bench_zarr(server, document, expected, concurrency=10)  # zarr's default
            bench_zarr(server, document, expected, concurrency=64)
    print(RECOMMENDATION)


if __name__ == "__main__":
    main()
