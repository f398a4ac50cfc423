"""Open a ``.lindi.json`` of 1,000,000 chunk refs: ``ReferenceMap.from_bytes`` (parse, check
the document and every key; each ref is checked when read) vs ``orjson.loads`` and
``json.loads`` (parse only).

Each case runs in fresh subprocesses, best of ``--repeat``; the document's bytes are read
before the clock starts. CPU time (``time.process_time``) is the figure to compare on a shared
machine (wall time is shown too); memory is the peak that ``tracemalloc`` traces during the
call, in a separate run (tracing slows the call down). Also shown: ``from_bytes`` followed
by ``validate()`` (every ref checked at once, as before a dump or a change, and as
``from_bytes`` did at open before the checks became lazy), ``from_bytes`` followed by a read
of every ref (``get_raw``), and the per-ref validation that ``from_bytes`` did before the bulk
checks (``_validated`` called for every ref).

    python benchmarks/bench_open_refs.py [--refs 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _support import WORK_DIR

_CHILD = r"""
import json, sys, time
import orjson
from hdmf_lindi.storage import reference_map as rm
case, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
def opened_and_validated():
    reference_map = rm.ReferenceMap.from_bytes(data, source=path)
    reference_map.validate()
    return reference_map
def opened_and_read():
    reference_map = rm.ReferenceMap.from_bytes(data, source=path)
    for key in reference_map:
        reference_map.get_raw(key)
    return reference_map
def per_ref():
    doc = orjson.loads(data)
    t = doc.get("templates", {})
    return {k: rm._validated(k, v, t, path) for k, v in doc["refs"].items()}
run = {
    "orjson.loads": lambda: orjson.loads(data),
    "json.loads": lambda: json.loads(data),
    "ReferenceMap.from_bytes": lambda: rm.ReferenceMap.from_bytes(data, source=path),
    "from_bytes + validate()": opened_and_validated,
    "from_bytes + get_raw of every ref": opened_and_read,
    "per-ref validation (before)": per_ref,
}[case]
if sys.argv[3] == "memory":
    import tracemalloc
    tracemalloc.start()
    result = run()
    print(json.dumps({"mib": tracemalloc.get_traced_memory()[1] / 2**20, "n": len(result)}))
else:
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "n": len(result)}))
"""

_CASES = [
    "orjson.loads",
    "json.loads",
    "ReferenceMap.from_bytes",
    "from_bytes + validate()",
    "from_bytes + get_raw of every ref",
    "per-ref validation (before)",
]


def make_document(n_refs: int) -> Path:
    """A document like a converted NWB file's: ``n_refs`` chunk refs into one URL through a
    template, over a few arrays."""
    path = WORK_DIR / f"refs-{n_refs}.lindi.json"
    if path.exists():
        return path
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    refs: dict[str, object] = {".zgroup": {"zarr_format": 2}, ".zattrs": {}}
    per_array = 100_000
    for a in range(-(-n_refs // per_array)):
        count = min(per_array, n_refs - a * per_array)
        refs[f"acquisition/ts{a}/data/.zarray"] = {
            "zarr_format": 2,
            "shape": [count * 1000, 64],
            "chunks": [1000, 64],
            "dtype": "<i2",
            "compressor": None,
            "filters": None,
            "fill_value": 0,
            "order": "C",
        }
        refs[f"acquisition/ts{a}/data/.zattrs"] = {}
        base = (a * per_array) * 128_000
        for i in range(count):
            refs[f"acquisition/ts{a}/data/{i}.0"] = ["{{u1}}", base + i * 128_000, 128_000]
    document = {"version": 1, "refs": refs, "templates": {"u1": "https://example.org/f.nwb"}}
    path.write_text(json.dumps(document, separators=(",", ":")))
    return path


def _child(case: str, path: Path, what: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, case, str(path), what],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def measure(case: str, path: Path, repeat: int) -> dict[str, float]:
    """Best wall and CPU time of ``repeat`` fresh processes, and the peak of memory traced
    (tracemalloc) in one more."""
    runs = [_child(case, path, "time") for _ in range(repeat)]
    return {
        "seconds": min(r["seconds"] for r in runs),
        "cpu": min(r["cpu"] for r in runs),
        "mib": _child(case, path, "memory")["mib"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--refs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = make_document(args.refs)
    size_mb = path.stat().st_size / 1e6
    results = {case: measure(case, path, args.repeat) for case in _CASES}
    base = results["orjson.loads"]
    print(f"### Open a .lindi.json of {args.refs:,} refs ({size_mb:.0f} MB), best of {args.repeat}")
    print()
    print(
        "| what | wall time (s) | CPU time (s) | CPU ratio to orjson.loads | "
        "peak traced memory (MiB) | memory ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for case, r in results.items():
        print(
            f"| {case} | {r['seconds']:.3f} | {r['cpu']:.3f} | {r['cpu'] / base['cpu']:.2f} | "
            f"{r['mib']:.0f} | {r['mib'] / base['mib']:.2f} |"
        )


if __name__ == "__main__":
    main()
