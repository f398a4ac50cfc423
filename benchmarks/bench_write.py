"""Write the sample NWB file with each backend: LindiIO (.lindi.d, .lindi.tar) vs NWBHDF5IO vs
hdmf-zarr's NWBZarrIO, side by side in one run (ratios to NWBHDF5IO).

Each writer gets a freshly built in-memory NWBFile (building it is not timed).

    python benchmarks/bench_write.py [--scale small|full] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _support import SCALES, WORK_DIR, Result, print_table, timed


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per writer")
    parser.add_argument("--skip-zarr", action="store_true", help="leave NWBZarrIO out (slow)")
    args = parser.parse_args()

    from hdmf_zarr.nwb import NWBZarrIO
    from pynwb import NWBHDF5IO

    import hdmf_lindi
    from hdmf_lindi.cli.sample import build_sample_nwbfile

    spec = SCALES[args.scale]
    out_dir = WORK_DIR / "write-out"
    out_dir.mkdir(parents=True, exist_ok=True)

    def hdf5(path: Path, nwbfile: Any) -> None:
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwbfile)

    def zarr_io(path: Path, nwbfile: Any) -> None:
        with NWBZarrIO(str(path), "w") as io:
            io.write(nwbfile)

    def lindi_io(path: Path, nwbfile: Any) -> None:
        with hdmf_lindi.LindiIO(path, "w") as io:
            io.write(nwbfile)

    writers: list[tuple[str, str, Callable[[Path, Any], None]]] = [
        ("NWBHDF5IO (.nwb)", "sample.nwb", hdf5),
        ("LindiIO (.lindi.tar)", "sample.nwb.lindi.tar", lindi_io),
        ("LindiIO (.lindi.d)", "sample.nwb.lindi.d", lindi_io),
        ("NWBZarrIO (.nwb.zarr)", "sample.nwb.zarr", zarr_io),
    ]
    if args.skip_zarr:
        writers = [w for w in writers if w[2] is not zarr_io]
    results: list[Result] = []
    for name, filename, write in writers:
        best = float("inf")
        for _ in range(args.repeat):
            path = out_dir / filename
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            nwbfile = build_sample_nwbfile(spec)
            _, seconds = timed(lambda: write(path, nwbfile))  # noqa: B023
            best = min(best, seconds)
        results.append(Result(name, best, None, f"{_size(out_dir / filename) / 1e6:.1f} MB"))
    print_table(f"Write the sample NWB file ({args.scale} sample)", results, "NWBHDF5IO (.nwb)")


if __name__ == "__main__":
    main()
