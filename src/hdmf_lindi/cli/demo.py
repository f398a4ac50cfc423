"""``hdmf-lindi demo``: the whole story on an embedded default.

1. make a sample NWB file with pynwb (electrodes, an ElectricalSeries, units, trials, behavior);
2. convert it to ``.nwb.lindi.json`` (chunk refs point into the ``.nwb``);
3. read it back with pynwb through :class:`~hdmf_lindi.io.LindiIO` and check the values against
   ``NWBHDF5IO`` on the original;
4. export it with LindiIO to a self-contained ``.nwb.lindi.tar`` and read that back too;
5. print what it found and how long each step took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["register_demo", "run_demo"]


@contextmanager
def _step(label: str, out: Callable[[str], None]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    out(f"  {label:<58} {time.perf_counter() - start:6.2f} s")


def _summary(nwbfile: Any) -> dict[str, Any]:
    series = nwbfile.acquisition["ElectricalSeries"]
    return {
        "session_description": nwbfile.session_description,
        "subject": nwbfile.subject.subject_id,
        "electrodes": len(nwbfile.electrodes),
        "units": len(nwbfile.units),
        "trials": len(nwbfile.trials),
        "ElectricalSeries shape": tuple(series.data.shape),
        "ElectricalSeries[1000:1005, :3]": np.asarray(series.data[1000:1005, :3]).tolist(),
        "unit 3 spike times": np.asarray(nwbfile.units["spike_times"][3]).round(6).tolist(),
        "trials correct": [bool(x) for x in nwbfile.trials["correct"][:]],
        "speed timestamps linked": nwbfile.processing["behavior"]["speed"].timestamps is not None,
        "objects": len(nwbfile.objects),
    }


def run_demo(workdir: Path, out: Callable[[str], None] = print) -> bool:
    """Run the demo in ``workdir``; return whether every read-back matched the original."""
    from pynwb import NWBHDF5IO

    from hdmf_lindi.cli.sample import make_sample_nwb
    from hdmf_lindi.hdf5 import convert
    from hdmf_lindi.io import LindiIO

    nwb_path = workdir / "sample.nwb"
    json_path = workdir / "sample.nwb.lindi.json"
    tar_path = workdir / "sample.nwb.lindi.tar"
    out(f"hdmf-lindi demo in {workdir}")
    with _step("1. make a sample NWB file with pynwb", out):
        make_sample_nwb(nwb_path)
    with _step("2. convert it to .nwb.lindi.json", out):
        result = convert(nwb_path, json_path)
    with _step("   read the original with NWBHDF5IO", out), NWBHDF5IO(str(nwb_path), "r") as io:
        expected = _summary(io.read())
    with _step("3. read the .nwb.lindi.json with LindiIO", out), LindiIO(json_path, "r") as io:
        from_json = _summary(io.read())
    with (
        _step("4. export to .nwb.lindi.tar with LindiIO", out),
        NWBHDF5IO(str(nwb_path), "r") as src,
        LindiIO(tar_path, "w") as dst,
    ):
        dst.export(src_io=src)
    with _step("   read the .nwb.lindi.tar with LindiIO", out), LindiIO(tar_path, "r") as io:
        from_tar = _summary(io.read())

    out("")
    out(f"  {nwb_path.name:<24} {nwb_path.stat().st_size / 1e6:8.2f} MB  (HDF5)")
    out(
        f"  {json_path.name:<24} {json_path.stat().st_size / 1e6:8.2f} MB  "
        f"({len(result.reference_map)} refs; chunks stay in the .nwb)"
    )
    out(f"  {tar_path.name:<24} {tar_path.stat().st_size / 1e6:8.2f} MB  (self-contained)")
    out("")
    ok = True
    for key, value in expected.items():
        same = from_json[key] == value and from_tar[key] == value
        ok &= same
        shown = value if len(repr(value)) < 60 else repr(value)[:57] + "..."
        out(f"  {'ok ' if same else 'DIFFERENT'} {key}: {shown}")
    out("")
    out("every value read through LindiIO matches NWBHDF5IO" if ok else "MISMATCH (see above)")
    return ok


def _run(args: argparse.Namespace) -> int:
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        return 0 if run_demo(workdir) else 1
    with tempfile.TemporaryDirectory(prefix="hdmf-lindi-demo-") as tmp:
        return 0 if run_demo(Path(tmp)) else 1


def register_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` subcommand."""
    parser = sub.add_parser(
        "demo",
        help="make a sample NWB file, convert it, read it back with pynwb through LindiIO",
    )
    parser.add_argument("--workdir", help="keep the files here (default: a temporary directory)")
    parser.set_defaults(handler=_run)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_run(argparse.Namespace(workdir=None)))
