"""LindiIO reads variable-length ASCII string datasets as NWBHDF5IO does: ``bytes`` elements
with ``h5py.string_dtype("ascii")`` (``related_publications`` of older writers), scalars
decoded; from the ``.nwb`` itself, from converted files in every container, and from files
LindiIO exported (the ASCII record is kept when the dataset is copied)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pynwb
import pytest
from pynwb import NWBFile

import hdmf_lindi as lindi
from hdmf_lindi.io import LindiIO

CONTAINERS = [".lindi.json", ".lindi.tar", ".lindi.d"]
PUBLICATIONS = [b"doi:10.1/a", b"doi:10.1/b"]
ASCII_PATHS = ("/general/related_publications", "/general/ascii_scalar")


def _make_ascii_nwb(path: Path) -> None:
    nwbfile = NWBFile(
        session_description="strings",
        identifier="strings",
        session_start_time=datetime(2024, 1, 2, tzinfo=UTC),
        related_publications=["x"],
        experimenter=["someone"],
    )
    with pynwb.NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    with h5py.File(path, "r+") as f:  # as older writers store them
        del f["general/related_publications"]
        f["general"].create_dataset(
            "related_publications", data=PUBLICATIONS, dtype=h5py.string_dtype("ascii")
        )
        f["general"].create_dataset("ascii_scalar", data=b"one", dtype=h5py.string_dtype("ascii"))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ascii") / "ascii.nwb"
    _make_ascii_nwb(path)
    return path


def _described(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, [_described(v) for v in value.ravel()])
    if isinstance(value, list):
        return [_described(v) for v in value]
    return (type(value).__name__, value)


def _read(io: Any) -> dict[str, Any]:
    """What hdmf hands out for the ASCII datasets: builders and the container field."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root = io.read_builder()
        nwbfile = io.read()
    out: dict[str, Any] = {}
    general = root["general"]
    publications = general["related_publications"].data
    out["builder dtype"] = h5py.check_string_dtype(publications.dtype)
    out["builder [:]"] = _described(publications[:])
    out["builder [0]"] = _described(publications[0])
    out["builder iter"] = [_described(x) for x in publications]
    out["builder asstr"] = _described(publications.asstr()[:])
    out["scalar"] = _described(general["ascii_scalar"].data)
    field = nwbfile.related_publications
    out["container [:]"] = _described(field[:])
    out["file_create_date"] = list(nwbfile.file_create_date[:])
    out["experimenter"] = _described(nwbfile.experimenter[:])
    return out


@pytest.fixture(scope="module")
def expected(source: Path) -> dict[str, Any]:
    with pynwb.NWBHDF5IO(source, "r") as io:
        out = _read(io)
    assert out["builder [0]"] == ("bytes", PUBLICATIONS[0])  # the file is what it should be
    return out


def test_the_nwb_file_reads_as_nwbhdf5io(source: Path, expected: dict[str, Any]) -> None:
    with LindiIO(source) as io:
        assert _read(io) == expected


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_converted_files_read_as_nwbhdf5io(
    source: Path, tmp_path: Path, suffix: str, expected: dict[str, Any]
) -> None:
    converted = tmp_path / f"ascii.nwb{suffix}"
    lindi.convert(source, converted)
    with LindiIO(converted) as io:
        assert _read(io) == expected


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_exported_files_keep_ascii(
    source: Path, tmp_path: Path, suffix: str, expected: dict[str, Any]
) -> None:
    exported = tmp_path / f"exported.nwb{suffix}"
    with pynwb.NWBHDF5IO(source, "r") as src:
        LindiIO.export_io(str(exported), src_io=src)
    with LindiIO(exported) as io:
        for path in ASCII_PATHS:
            encoding = h5py.check_string_dtype(io.hierarchy.node(path).dataset.dtype).encoding
            assert encoding == "ascii", path
        assert _read(io) == expected


@pytest.mark.parametrize("source", ["list", "iterator"])
@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.tar"])
def test_nul_in_variable_length_strings_is_refused_as_nwbhdf5io_refuses_it(
    tmp_path: Path, source: str, suffix: str
) -> None:
    """HDF5 cannot store NUL inside a variable-length string: NWBHDF5IO raises ValueError, and
    so does LindiIO (a LindiError naming the dataset), whole or from a DataChunkIterator, so
    that every file LindiIO writes can be exported to HDF5."""
    from hdmf.data_utils import DataChunkIterator
    from pynwb.misc import AnnotationSeries

    def nwbfile() -> NWBFile:
        f = NWBFile("s", "i", datetime(2020, 1, 1, tzinfo=UTC))
        data: Any = ["a\x00b", "c"]
        if source == "iterator":
            data = DataChunkIterator(data=iter(data), dtype=np.dtype("O"), maxshape=(None,))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # AnnotationSeries is deprecated
            f.add_acquisition(AnnotationSeries(name="t", data=data, timestamps=[0.0, 1.0]))
        return f

    with (
        pytest.raises(ValueError, match="embedded NULLs"),
        pynwb.NWBHDF5IO(tmp_path / "x.nwb", "w") as io,
    ):
        io.write(nwbfile())
    with (
        pytest.raises(lindi.LindiError, match=r"/acquisition/t/data: .*embedded NULLs"),
        LindiIO(tmp_path / f"x{suffix}", "w") as io,
    ):
        io.write(nwbfile())
