"""Write NWB files with each backend: LindiIO (.lindi.d, .lindi.tar) vs NWBHDF5IO vs hdmf-zarr's
NWBZarrIO, side by side in one run (ratios to NWBHDF5IO).

Two cases: ``sample``, the sample NWB file (whole arrays, one of them in very many chunks), and
``iterator``, one TimeSeries streamed from a ``DataChunkIterator`` with pynwb's default buffer
of one row. Each writer gets a freshly built in-memory NWBFile (building it is not timed).

    python benchmarks/bench_write.py [--scale small|full] [--case sample|iterator|both]
        [--repeat 1] [--skip-zarr]
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


def _iterator_nwbfile(rows: int, columns: int = 64) -> Any:
    """An NWBFile with one TimeSeries whose data come row by row from a DataChunkIterator."""
    from datetime import UTC, datetime

    import numpy as np
    from hdmf.data_utils import DataChunkIterator
    from pynwb import NWBFile, TimeSeries

    nwbfile = NWBFile("iterator", "bench-iterator", datetime(2020, 1, 1, tzinfo=UTC))
    rng = np.random.default_rng(0)
    block = (rng.normal(size=(1000, columns)) * 100).astype("int16")
    data = DataChunkIterator(
        data=(block[i % 1000] for i in range(rows)),
        maxshape=(None, columns),
        dtype=np.dtype("int16"),
    )
    nwbfile.add_acquisition(TimeSeries(name="ts", data=data, unit="V", rate=30000.0))
    return nwbfile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--case", choices=["sample", "iterator", "both"], default="both")
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
        ("NWBHDF5IO (.nwb)", "out.nwb", hdf5),
        ("LindiIO (.lindi.tar)", "out.nwb.lindi.tar", lindi_io),
        ("LindiIO (.lindi.d)", "out.nwb.lindi.d", lindi_io),
        ("NWBZarrIO (.nwb.zarr)", "out.nwb.zarr", zarr_io),
    ]
    if args.skip_zarr:
        writers = [w for w in writers if w[2] is not zarr_io]
    rows = 100_000 if args.scale == "full" else 20_000
    cases: list[tuple[str, Callable[[], Any]]] = []
    if args.case in ("sample", "both"):
        cases.append(
            (f"Write the sample NWB file ({args.scale} sample)", lambda: build_sample_nwbfile(spec))
        )
    if args.case in ("iterator", "both"):
        cases.append(
            (
                f"Write {rows:,} rows x 64 int16 from a row-by-row DataChunkIterator",
                lambda: _iterator_nwbfile(rows),
            )
        )
    for title, build in cases:
        results: list[Result] = []
        for name, filename, write in writers:
            best = float("inf")
            for _ in range(args.repeat):
                path = out_dir / filename
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
                nwbfile = build()
                _, seconds = timed(lambda: write(path, nwbfile))  # noqa: B023
                best = min(best, seconds)
            size = _size(out_dir / filename) / 1e6
            results.append(Result(name, best, None, f"{size:.1f} MB"))
        print_table(title, results, "NWBHDF5IO (.nwb)")


if __name__ == "__main__":
    main()
