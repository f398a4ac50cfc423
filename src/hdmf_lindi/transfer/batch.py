"""Convert many HDF5/NWB files to LINDI on a dask.distributed cluster (``convert-many``).

One task per file on ``distributed`` (a ``LocalCluster`` on 127.0.0.1 by default, or an
existing scheduler ``tcp://host:port``, whose workers must share the output directory's
file system at the same path: they write the outputs there themselves):

* isolation: a file that fails (bad input, a worker that dies) is a row with its error in the
  report; the batch goes on;
* resumable: an output that exists is complete (outputs are written under a temporary name
  and renamed), so it is skipped;
* a manifest (JSON lines, one object per file as it finishes: ``source``, ``output``,
  ``status`` ``ok``/``skipped``/``error``, ``seconds``, ``requests``, ``refs``, ``error``).
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hdmf_lindi import _json

__all__ = ["ConvertOutcome", "convert_many", "output_name"]


@dataclass(frozen=True, slots=True)
class ConvertOutcome:
    """One file's row of the report and the manifest."""

    source: str
    output: str
    status: str
    seconds: float
    requests: int | None = None
    refs: int | None = None
    error: str | None = None


def output_name(source: str, suffix: str = ".lindi.json") -> str:
    """The output file name for ``source``: its base name plus ``suffix``
    (``x.nwb`` -> ``x.nwb.lindi.json``); DANDI ``.../assets/<id>/download/`` URLs are named
    after the asset id; a short hash of the source keeps equal base names apart."""
    path = urllib.parse.urlsplit(source).path if "://" in source else source
    segments = [s for s in path.replace(os.sep, "/").split("/") if s]
    if len(segments) >= 2 and segments[-1] == "download":
        base = segments[-2]
    else:
        base = segments[-1] if segments else "file"
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{base}.{digest}{suffix}" if base.endswith(suffix) else f"{base}-{digest}{suffix}"


def _convert_one(source: str, output: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The task run on a worker: never raises for a bad input (the error is the row)."""
    start = time.perf_counter()
    if os.path.exists(output):
        return asdict(ConvertOutcome(source, output, "skipped", 0.0))
    try:
        from hdmf_lindi.hdf5 import convert

        result = convert(source, output, **dict(options))
        return asdict(
            ConvertOutcome(
                source,
                output,
                "ok",
                round(time.perf_counter() - start, 3),
                result.request_count,
                len(result.reference_map),
            )
        )
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        return asdict(
            ConvertOutcome(
                source, output, "error", round(time.perf_counter() - start, 3), error=message
            )
        )


def convert_many(
    sources: Iterable[str],
    output_dir: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    suffix: str = ".lindi.json",
    manifest: str | os.PathLike[str] | None = None,
    on_outcome: Callable[[ConvertOutcome], None] | None = None,
    **convert_options: Any,
) -> list[ConvertOutcome]:
    """Convert every source (path or URL of an HDF5/NWB file) into ``output_dir``.

    Parameters
    ----------
    sources
        Paths or URLs (http(s), s3, DANDI API URLs).
    output_dir
        Where the outputs go (created); names from :func:`output_name`. The workers write
        there themselves: with a remote ``scheduler`` it must be a path every worker sees
        and shares with this process (a shared file system mounted at the same path), or
        the outputs land on the workers' own disks and are not found here.
    scheduler
        Address of a running dask scheduler (``tcp://host:port``); default: a
        ``LocalCluster`` of ``n_workers`` processes on 127.0.0.1, closed at the end. Task
        keys are unique per call, so several clients may share a scheduler.
    n_workers, threads_per_worker
        Size of the local cluster.
    suffix
        ``.lindi.json`` (default), ``.lindi.tar`` or ``.lindi.d``.
    manifest
        JSON-lines file the outcomes are appended to as they finish (default
        ``<output_dir>/manifest.jsonl``).
    on_outcome
        Called with each outcome as it finishes (progress).
    convert_options
        Passed to :func:`hdmf_lindi.convert` (``inline_threshold``, ...).

    Returns
    -------
    list of ConvertOutcome
        In the order of ``sources``.
    """
    from distributed import Client, LocalCluster, as_completed

    out_dir = os.path.abspath(os.fspath(output_dir))
    os.makedirs(out_dir, exist_ok=True)
    manifest_path = os.fspath(manifest) if manifest else os.path.join(out_dir, "manifest.jsonl")
    jobs = [(s, os.path.join(out_dir, output_name(s, suffix))) for s in sources]
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    client = Client(cluster if cluster is not None else scheduler)
    outcomes: dict[int, ConvertOutcome] = {}
    # task keys unique to this call: on a shared scheduler, another client's convert-many
    # (or a previous one still known to it) would otherwise hand us its results
    batch = uuid.uuid4().hex
    try:
        futures = {
            client.submit(
                _convert_one,
                source,
                output,
                convert_options,
                pure=False,
                key=f"convert-{batch}-{i}",
            ): i
            for i, (source, output) in enumerate(jobs)
        }
        with open(manifest_path, "ab") as log:
            for future in as_completed(futures):
                index = futures[future]
                source, output = jobs[index]
                try:
                    outcome = ConvertOutcome(**future.result())
                except Exception as exc:  # the worker died (KilledWorker, ...)
                    outcome = ConvertOutcome(
                        source, output, "error", 0.0, error=f"{type(exc).__name__}: {exc}"[:500]
                    )
                outcomes[index] = outcome
                log.write(_json.dumps(asdict(outcome)) + b"\n")
                log.flush()
                if on_outcome is not None:
                    on_outcome(outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [outcomes[i] for i in range(len(jobs))]
