"""lindi 0.4.6 + pynwb read the NWB files we write (through the h5py-compatible API, through
LindiIO, and through the HDF5 converter) with the same values as pynwb reading the HDF5."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pynwb import NWBHDF5IO

import hdmf_lindi as lindi
from hdmf_lindi.cli.sample import SampleSpec, build_sample_nwbfile, make_sample_nwb
from tests.compat.nwb_summary import NWB_SUMMARY_SOURCE, nwb_summary
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream

pytestmark = pytest.mark.upstream

SPEC = SampleSpec(
    n_channels=8, n_samples=5_000, chunk_rows=500, n_units=5, n_trials=6, n_small_series=3
)

UPSTREAM_READ_NWB = (
    "import json, sys\nimport lindi, pynwb\n"
    + NWB_SUMMARY_SOURCE
    + r"""
client = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1])
with pynwb.NWBHDF5IO(file=client, mode="r") as io:
    print(json.dumps(nwb_summary(io.read())))
"""
)


def _expected(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    nwb_path = tmp_path / "sample.nwb"
    make_sample_nwb(nwb_path, SPEC)
    with NWBHDF5IO(str(nwb_path), "r") as io:
        return nwb_path, json.loads(json.dumps(nwb_summary(io.read())))


def _write_with_h5py_api(nwb_path: Path, dest: Path) -> None:
    # a .lindi.json has no place for blobs: ask for every chunk inline, as lindi 0.4.6 does
    threshold = None if dest.name.endswith(".json") else 1000
    client = lindi.LindiH5pyFile.from_lindi_file(dest, mode="w", inline_threshold=threshold)
    with NWBHDF5IO(file=client, mode="w") as io:
        io.write(build_sample_nwbfile(SPEC))


def _write_with_lindi_io(nwb_path: Path, dest: Path) -> None:
    # a .lindi.json has no place for blobs: ask for every chunk inline, as lindi 0.4.6 does
    options = {"inline_threshold": None} if dest.name.endswith(".json") else {}
    with lindi.LindiIO(dest, "w", **options) as io:
        io.write(build_sample_nwbfile(SPEC))


def _convert(nwb_path: Path, dest: Path) -> None:
    lindi.convert(nwb_path, dest)


WRITERS: dict[str, Callable[[Path, Path], None]] = {
    "h5py-api": _write_with_h5py_api,
    "LindiIO": _write_with_lindi_io,
    "converter": _convert,
}


CASES = [
    (writer, suffix)
    for writer in sorted(WRITERS)
    for suffix in (".lindi.json", ".lindi.tar", ".lindi.d")
    # the converter's .lindi.d/.lindi.tar output is the same map in another container
    if writer != "converter" or suffix == ".lindi.json"
]


@pytest.mark.parametrize(("writer", "suffix"), CASES)
def test_lindi_0_4_6_and_pynwb_read_our_nwb_files(tmp_path: Path, writer: str, suffix: str) -> None:
    nwb_path, expected = _expected(tmp_path)
    dest = tmp_path / f"ours.nwb{suffix}"
    WRITERS[writer](nwb_path, dest)
    try:
        theirs = run_upstream(UPSTREAM_READ_NWB, str(dest))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    for key, value in expected.items():
        assert theirs[key] == value, key
