"""Convert many remote NWB files: ``convert_many`` on a dask LocalCluster with 1 and 2 workers
vs the original lindi 0.4.6 converting them one after another in a loop (and hdmf_lindi's own
``convert`` in a loop).

Copies of the small sample are served from 127.0.0.1 with injected latency per request.

    python benchmarks/bench_convert_many.py [--count 50] [--latency 0.05] [--skip-upstream]
"""

from __future__ import annotations

import argparse
import shutil

from _support import WORK_DIR, Result, print_table, run_upstream, sample_nwb, served, timed

UPSTREAM_LOOP = r"""
import json, sys, time
import lindi
out_dir, urls = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
for i, url in enumerate(urls):
    client = lindi.LindiH5pyFile.from_hdf5_file(url)
    client.write_lindi_file(f"{out_dir}/{i}.lindi.json")
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--skip-upstream", action="store_true")
    args = parser.parse_args()

    from hdmf_lindi.hdf5 import convert
    from hdmf_lindi.transfer.batch import convert_many

    sample = sample_nwb("small")
    files_dir = WORK_DIR / "many"
    files_dir.mkdir(parents=True, exist_ok=True)
    for i in range(args.count):
        target = files_dir / f"f{i:03d}.nwb"
        if not target.exists():
            shutil.copyfile(sample, target)
    results: list[Result] = []
    with served(files_dir, args.latency) as server:
        urls = [server.url_for(f"f{i:03d}.nwb") for i in range(args.count)]

        def fresh(name: str) -> str:
            out = WORK_DIR / "many-out" / name
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            return str(out)

        out = fresh("loop")
        server.requests.clear()
        _, seconds = timed(
            lambda: [convert(u, f"{out}/{i}.lindi.json") for i, u in enumerate(urls)]
        )
        results.append(Result("hdmf_lindi convert, loop", seconds, len(server.requests)))
        for workers in (1, 2):
            out = fresh(f"dask-{workers}")
            server.requests.clear()
            outcomes, seconds = timed(
                lambda out=out, workers=workers: convert_many(urls, out, n_workers=workers)
            )
            failed = sum(o.status != "ok" for o in outcomes)
            results.append(
                Result(
                    f"convert_many, {workers} worker(s)",
                    seconds,
                    len(server.requests),
                    f"{failed} failed; includes cluster start",
                )
            )
        if not args.skip_upstream:
            out = fresh("upstream")
            server.requests.clear()
            reply = run_upstream(UPSTREAM_LOOP, out, *urls, timeout=7200)
            results.append(Result("lindi 0.4.6, loop", reply["seconds"], len(server.requests)))
    baseline = "lindi 0.4.6, loop" if not args.skip_upstream else "hdmf_lindi convert, loop"
    print_table(
        f"Convert {args.count} remote NWB files ({sample.stat().st_size / 1e6:.1f} MB each, "
        f"{args.latency * 1000:.0f} ms latency)",
        results,
        baseline,
    )


if __name__ == "__main__":
    main()
