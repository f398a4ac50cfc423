"""Shared pieces of the benchmark scripts: sample files, a local HTTP server with injected
latency, the original lindi 0.4.6 in its own environment, and result tables.

Benchmarks measure side by side in one run and report ratios; nothing here asserts timings.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = Path(os.environ.get("HDMF_LINDI_BENCH_DIR", REPO_ROOT / "benchmarks" / "_work"))
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.helpers.http_server import ServedDirectory, serve_directory  # noqa: E402
from tests.helpers.upstream_lindi import run_upstream  # noqa: E402

from hdmf_lindi.cli.sample import SampleSpec, make_sample_nwb  # noqa: E402

__all__ = [
    "SCALES",
    "Result",
    "ServedDirectory",
    "print_table",
    "run_upstream",
    "sample_nwb",
    "served",
    "timed",
]

T = TypeVar("T")

SCALES: dict[str, SampleSpec] = {
    # a few MB, for a quick look (seconds)
    "small": SampleSpec(
        n_channels=32, n_samples=30_000, chunk_rows=100, n_units=20, n_trials=50, n_small_series=50
    ),
    # ~300 MB of raw data, 117k chunks in one dataset, thousands of objects
    "full": SampleSpec(
        n_channels=64,
        n_samples=2_340_000,
        chunk_rows=20,
        n_units=200,
        n_trials=500,
        n_small_series=1_000,
    ),
}


def sample_nwb(scale: str) -> Path:
    """The sample NWB file of the given scale, made once and kept in the work directory."""
    spec = SCALES[scale]
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"sample-{scale}.nwb"
    if not path.exists():
        tmp = path.with_suffix(".tmp.nwb")
        print(f"making {path} ...", file=sys.stderr, flush=True)
        make_sample_nwb(tmp, spec)
        tmp.replace(path)
    return path


@contextlib.contextmanager
def served(directory: Path, latency: float) -> Iterator[ServedDirectory]:
    """``directory`` served on 127.0.0.1 with ``latency`` seconds added to every request."""
    with serve_directory(directory, latency=latency) as server:
        yield server


@dataclass
class Result:
    """One measured row."""

    name: str
    seconds: float
    requests: int | None = None
    note: str = ""


def timed[T](fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its wall time in seconds."""
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def print_table(title: str, results: list[Result], baseline: str) -> str:
    """Print (and return) a Markdown table with ratios to the ``baseline`` row."""
    base = next(r for r in results if r.name == baseline)
    lines = [
        f"### {title}",
        "",
        "| what | wall time (s) | ratio to " + baseline + " | requests | note |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        ratio = r.seconds / base.seconds if base.seconds else float("nan")
        requests = "" if r.requests is None else str(r.requests)
        lines.append(f"| {r.name} | {r.seconds:.3f} | {ratio:.2f} | {requests} | {r.note} |")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def request_count(server: ServedDirectory, path: str | None = None) -> int:
    """Requests the server has seen (for one path, or all)."""
    if path is None:
        return len(server.requests)
    return len(server.requests_for(path))


def json_default(value: Any) -> Any:
    """JSON fallback for result dumps."""
    return str(value)
