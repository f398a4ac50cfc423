"""Open a remote NWB file and read all its metadata through pynwb (every container's fields).

Side by side, in one run, on the same sample file:

* hdmf_lindi ``LindiIO`` on the remote ``.nwb.lindi.json``;
* hdmf_lindi ``LindiH5pyFile`` + ``pynwb.NWBHDF5IO(file=...)`` on the remote ``.nwb.lindi.json``;
* the original lindi 0.4.6 ``LindiH5pyFile`` + ``NWBHDF5IO`` on the same remote JSON;
* ``NWBHDF5IO`` + remfile on the remote ``.nwb``;
* ``NWBHDF5IO`` on the local ``.nwb`` (no network at all).

Every request to the local server waits ``--latency`` seconds.

    python benchmarks/bench_read_metadata.py [--scale small|full] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from _support import WORK_DIR, Result, print_table, run_upstream, sample_nwb, served, timed

WALK = r"""
def walk_nwbfile(nwbfile):
    count = 0
    for obj in nwbfile.objects.values():
        for name in obj.fields:
            value = obj.fields[name]
            getattr(value, "shape", None)
            count += 1
    return count
"""

UPSTREAM_READ = (
    r"""
import json, sys, time
import lindi, pynwb
"""
    + WALK
    + r"""
url, repeat = sys.argv[1], int(sys.argv[2])
def run():
    client = lindi.LindiH5pyFile.from_lindi_file(url)
    with pynwb.NWBHDF5IO(file=client, mode="r") as io:
        return walk_nwbfile(io.read())
run()
best = float("inf")
for _ in range(repeat):
    start = time.perf_counter()
    n = run()
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "fields": n}))
"""
)

namespace: dict[str, Any] = {}
exec(WALK, namespace)
walk_nwbfile = namespace["walk_nwbfile"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--skip-upstream", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (after a warm-up run)")
    args = parser.parse_args()

    import h5py
    import pynwb
    import remfile

    import hdmf_lindi
    from hdmf_lindi.hdf5 import convert

    source = sample_nwb(args.scale)
    lindi_json = WORK_DIR / f"sample-{args.scale}.nwb.lindi.json"
    if not lindi_json.exists() or lindi_json.stat().st_mtime < source.stat().st_mtime:
        with served(source.parent, 0.0) as server:
            convert(server.url_for(source.name), lindi_json)

    results: list[Result] = []
    with served(WORK_DIR, args.latency) as server:
        json_url = server.url_for(lindi_json.name)
        nwb_url = server.url_for(source.name)

        def lindi_io() -> int:
            with hdmf_lindi.LindiIO(json_url, "r") as io:
                return walk_nwbfile(io.read())

        def h5py_view() -> int:
            client = hdmf_lindi.LindiH5pyFile.from_lindi_file(json_url)
            with pynwb.NWBHDF5IO(file=client, mode="r") as io:
                return walk_nwbfile(io.read())

        def remote_hdf5() -> int:
            h5file = h5py.File(remfile.File(nwb_url), "r")
            with pynwb.NWBHDF5IO(file=h5file, mode="r") as io:
                return walk_nwbfile(io.read())

        def local_hdf5() -> int:
            with pynwb.NWBHDF5IO(str(source), mode="r") as io:
                return walk_nwbfile(io.read())

        for name, fn, remote in [
            ("hdmf_lindi LindiIO (remote .lindi.json)", lindi_io, True),
            ("hdmf_lindi LindiH5pyFile + NWBHDF5IO (remote .lindi.json)", h5py_view, True),
            ("NWBHDF5IO + remfile (remote .nwb)", remote_hdf5, True),
            ("NWBHDF5IO (local .nwb)", local_hdf5, False),
        ]:
            try:
                fn()  # warm-up: imports, namespace loading, OS caches
                best = float("inf")
                for _ in range(args.repeat):
                    server.requests.clear()
                    fields, seconds = timed(fn)
                    best = min(best, seconds)
            except Exception as exc:
                print(f"{name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            requests = len(server.requests) if remote else 0
            results.append(Result(name, best, requests, f"{fields} fields; best of {args.repeat}"))

        if not args.skip_upstream:
            server.requests.clear()
            start = time.perf_counter()
            reply = run_upstream(UPSTREAM_READ, json_url, str(args.repeat), timeout=3600)
            total = time.perf_counter() - start
            results.append(
                Result(
                    "lindi 0.4.6 LindiH5pyFile + NWBHDF5IO (remote .lindi.json)",
                    reply["seconds"],
                    len(server.requests) // (args.repeat + 1),
                    f"{reply['fields']} fields; best of {args.repeat}; process total {total:.1f} s",
                )
            )

    baseline = "NWBHDF5IO (local .nwb)"
    print_table(
        f"Open a remote NWB file and walk all containers with pynwb ({args.scale} sample, "
        f"{args.latency * 1000:.0f} ms latency)",
        results,
        baseline,
    )
    print(json.dumps([r.__dict__ for r in results]), file=sys.stderr)


if __name__ == "__main__":
    main()
