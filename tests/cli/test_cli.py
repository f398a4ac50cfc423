"""The ``hdmf-lindi`` command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.cli.main import build_parser, main
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.helpers.http_server import ServedDirectory


@pytest.fixture
def small_h5(tmp_path: Path) -> Path:
    path = tmp_path / "small.h5"
    with h5py.File(path, "w") as f:
        f.attrs["title"] = "small"
        f.create_dataset("grp/data", data=np.arange(20_000, dtype="f4"), chunks=(1000,))
        f.create_dataset("grp/names", data=["a", "b"], dtype=h5py.string_dtype())
        f.create_dataset("scalar", data=1.5)
        f["link"] = h5py.SoftLink("/grp")
    return path


def test_convert_and_info(
    small_h5: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "small.lindi.json"
    assert main(["convert", str(small_h5), str(dest), "--inline-threshold", "0", "-q"]) == 0
    ref_map = ReferenceMap.load(dest)
    assert ref_map.get_raw("grp/data/19")[0] == str(small_h5.resolve())  # type: ignore[index]
    capsys.readouterr()
    assert main(["info", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "LINDI" in out
    assert "data  shape (20000,), dtype <f4, chunks (1000,): 20/20 stored" in out
    assert "scalar  shape (), dtype <f8" in out
    assert "link  -> /grp (soft link)" in out
    assert main(["info", str(small_h5)]) == 0
    hdf5_out = capsys.readouterr().out
    assert "HDF5" in hdf5_out and "names  shape (2,)" in hdf5_out


def test_convert_options(small_h5: Path, tmp_path: Path) -> None:
    dest = tmp_path / "opts.lindi.json"
    args = [
        "convert",
        str(small_h5),
        str(dest),
        "--num-chunks-threshold",
        "5",
        "--creation-time",
        "2026-01-01T00:00:00Z",
        "-q",
    ]
    assert main(args) == 0
    document = json.loads(dest.read_text())
    assert "_EXTERNAL_ARRAY_LINK" in document["refs"]["grp/data/.zattrs"]
    assert document["generationMetadata"]["creationDate"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize("suffix", [".lindi.d", ".lindi.tar"])
def test_convert_to_containers(small_h5: Path, tmp_path: Path, suffix: str) -> None:
    dest = tmp_path / f"small{suffix}"
    assert main(["convert", str(small_h5), str(dest), "-q"]) == 0
    assert dest.exists()
    assert main(["info", str(dest)]) == 0


def test_remote_convert_reports_requests(
    small_h5: Path, tmp_path: Path, http_server: ServedDirectory, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(small_h5, http_server.root / "small.h5")
    url = http_server.url_for("/small.h5")
    assert main(["convert", url, str(tmp_path / "r.lindi.json"), "-v", "-q"]) == 0
    err = capsys.readouterr().err
    assert "remote requests:" in err
    assert main(["info", url]) == 0
    assert "remote requests:" in capsys.readouterr().out


def test_bad_inputs_give_one_line_errors(
    tmp_path: Path, http_server: ServedDirectory, capsys: pytest.CaptureFixture[str]
) -> None:
    not_hdf5 = tmp_path / "notes.h5"
    not_hdf5.write_text("hello")
    truncated = tmp_path / "cut.h5"
    with h5py.File(truncated, "w") as f:
        f.create_dataset("x", data=np.arange(1000))
    truncated.write_bytes(truncated.read_bytes()[:1000])
    cases = [
        (["convert", str(not_hdf5), str(tmp_path / "a.lindi.json")], "notes.h5: not an HDF5 file"),
        (["convert", str(truncated), str(tmp_path / "b.lindi.json")], "cut.h5"),
        (["convert", str(tmp_path / "missing.h5"), str(tmp_path / "c.lindi.json")], "missing.h5"),
        (
            ["convert", http_server.url_for("/nope.h5"), str(tmp_path / "d.lindi.json")],
            "nope.h5",
        ),
        (["info", str(tmp_path / "missing.h5")], "missing.h5"),
    ]
    for argv, expected in cases:
        assert main([*argv, "-q"] if argv[0] == "convert" else argv) == 1, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("hdmf-lindi: error: ") and expected in err, err
        assert "\n" not in err and "Traceback" not in err


def test_files_that_are_not_nwb_give_one_line_errors(
    small_h5: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lindi = tmp_path / "small.lindi.json"
    assert main(["convert", str(small_h5), str(lindi), "-q"]) == 0
    cases = [
        (["download", str(lindi), str(tmp_path / "out.nwb")], "Missing NWB version in file"),
        (["inspect", str(lindi)], "small.lindi.json: not an NWB file"),
    ]
    for argv, expected in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("hdmf-lindi: error: ") and expected in err, err
        assert "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "out.nwb").exists()


def test_unknown_output_kind(
    small_h5: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", str(small_h5), str(tmp_path / "out.txt"), "-q"]) == 1
    assert "unknown output kind" in capsys.readouterr().err


def test_unsupported_filter_error_names_file_and_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lzf.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.arange(10_000), chunks=(100,), compression="lzf")
    assert main(["convert", str(path), str(tmp_path / "o.lindi.json"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "lzf.h5:/x: HDF5 filter 32000 (lzf)" in err
    out = tmp_path / "o2.lindi.json"
    assert main(["convert", str(path), str(out), "-q", "--unsupported", "external_link"]) == 0
    assert "_EXTERNAL_ARRAY_LINK" in out.read_text()


def test_parser_rejects_bad_numbers() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["convert", "a", "b", "--inline-threshold", "-3"])
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_console_entry_point_runs(small_h5: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hdmf_lindi.cli.main", "info", str(small_h5)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "grp/" in result.stdout
