"""The README's first Quickstart command: ``hdmf-lindi demo``."""

from __future__ import annotations

from pathlib import Path

from hdmf_lindi.cli.demo import run_demo
from hdmf_lindi.cli.main import main


def test_demo_runs_and_every_value_matches(tmp_path: Path) -> None:
    lines: list[str] = []
    assert run_demo(tmp_path, out=lines.append)
    text = "\n".join(lines)
    assert "every value read through LindiIO matches NWBHDF5IO" in text
    assert "DIFFERENT" not in text
    for name in ["sample.nwb", "sample.nwb.lindi.json", "sample.nwb.lindi.tar"]:
        assert (tmp_path / name).stat().st_size > 0
    # the JSON holds the structure only: the ElectricalSeries chunks stay in the .nwb
    assert (tmp_path / "sample.nwb.lindi.json").stat().st_size < (
        tmp_path / "sample.nwb"
    ).stat().st_size / 4


def test_demo_subcommand_exit_code(tmp_path: Path) -> None:
    assert main(["demo", "--workdir", str(tmp_path / "w")]) == 0
    assert (tmp_path / "w" / "sample.nwb.lindi.tar").exists()
