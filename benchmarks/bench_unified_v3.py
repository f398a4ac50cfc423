"""The unified Zarr v3 flavour: converting, and opening remotely.

Side by side, in one run, on the same sample file:

* convert the local ``.nwb`` to a unified Zarr v3 ``.lindi.json`` (``hdmf_lindi.convert(...,
  conventions="unified-zarr-v3")``: chunk refs into the ``.nwb``) versus hdmf-zarr 0.14's
  ``NWBZarrIO.export`` from ``NWBHDF5IO`` (a Zarr v3 directory holding a copy of every byte),
  with the lindi-v1 conversion for reference;
* open the remote ``.nwb.lindi.json`` with ``LindiIO`` and walk every container's fields with
  pynwb: the unified Zarr v3 file versus the lindi-v1 file (every request waits ``--latency``).

    python benchmarks/bench_unified_v3.py [--scale small|full] [--latency 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import warnings
from typing import Any

from _support import WORK_DIR, Result, print_table, sample_nwb, served, timed

WALK: dict[str, Any] = {}
exec(  # the same walk as bench_read_metadata.py
    "def walk_nwbfile(nwbfile):\n"
    "    count = 0\n"
    "    for obj in nwbfile.objects.values():\n"
    "        for name in obj.fields:\n"
    "            getattr(obj.fields[name], 'shape', None)\n"
    "            count += 1\n"
    "    return count\n",
    WALK,
)
walk_nwbfile = WALK["walk_nwbfile"]


def _spread(runs: list[float]) -> str:
    """``best of N (runs: a, b, c s)``: the machine is shared, so every run is shown."""
    return f"best of {len(runs)} (runs: {', '.join(f'{t:.2f}' for t in runs)} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3, help="best of N (after a warm-up run)")
    parser.add_argument("--skip-export", action="store_true", help="skip NWBZarrIO.export")
    parser.add_argument(
        "--export-repeat", type=int, default=1, help="runs of NWBZarrIO.export (slow)"
    )
    args = parser.parse_args()

    import pynwb
    from hdmf_zarr.nwb import NWBZarrIO

    import hdmf_lindi

    source = sample_nwb(args.scale)
    v1 = WORK_DIR / f"sample-{args.scale}.v1.nwb.lindi.json"
    v3 = WORK_DIR / f"sample-{args.scale}.v3.nwb.lindi.json"
    exported = WORK_DIR / f"sample-{args.scale}.nwb.zarr"

    def convert_v3() -> None:
        hdmf_lindi.convert(source, v3, conventions="unified-zarr-v3")

    def convert_v1() -> None:
        hdmf_lindi.convert(source, v1, num_chunks_threshold=None)

    def export_zarr() -> None:
        shutil.rmtree(exported, ignore_errors=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with (
                pynwb.NWBHDF5IO(str(source), "r") as read_io,
                NWBZarrIO(str(exported), "w") as write_io,
            ):
                write_io.export(src_io=read_io, write_args={"link_data": False})

    converting = [
        ("hdmf_lindi convert to unified-zarr-v3 .lindi.json", convert_v3),
        ("hdmf_lindi convert to lindi-v1 .lindi.json (every chunk listed)", convert_v1),
    ]
    if not args.skip_export:
        converting.append(("hdmf-zarr NWBZarrIO.export from NWBHDF5IO", export_zarr))
    results: list[Result] = []
    for name, fn in converting:
        runs: list[float] = []
        try:
            for _ in range(args.export_repeat if fn is export_zarr else args.repeat):
                _, seconds = timed(fn)
                runs.append(seconds)
        except Exception as exc:
            print(f"{name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        results.append(Result(name, min(runs), None, _spread(runs)))
    baseline = results[-1].name
    print_table(f"Convert the {args.scale} sample (local) to Zarr v3", results, baseline)

    reading: list[Result] = []
    with served(WORK_DIR, args.latency) as server:
        for name, path in [("LindiIO, unified-zarr-v3", v3), ("LindiIO, lindi-v1", v1)]:
            url = server.url_for(path.name)

            def walk(url: str = url) -> int:
                with hdmf_lindi.LindiIO(url, "r") as io:
                    return int(walk_nwbfile(io.read()))

            walk()  # warm-up
            walks: list[float] = []
            fields = 0
            for _ in range(args.repeat):
                server.requests.clear()
                fields, seconds = timed(walk)
                walks.append(seconds)
            reading.append(
                Result(
                    f"{name} (remote .lindi.json)",
                    min(walks),
                    len(server.requests),
                    f"{fields} fields; {path.stat().st_size / 1e6:.1f} MB; {_spread(walks)}",
                )
            )
    print_table(
        f"Open a remote .nwb.lindi.json and walk every container ({args.scale} sample, "
        f"{args.latency * 1000:.0f} ms latency)",
        reading,
        "LindiIO, lindi-v1 (remote .lindi.json)",
    )
    print(json.dumps([r.__dict__ for r in results + reading]), file=sys.stderr)


if __name__ == "__main__":
    main()
