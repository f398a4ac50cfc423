"""``h5py.Group.copy`` of a LINDI dataset into an HDF5 file copies it by value (what
``NWBHDF5IO`` does with a dataset it does not link, e.g. in ``export``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from hdmf.backends.hdf5 import H5DataIO
from pynwb import NWBHDF5IO, NWBFile, TimeSeries

from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiIO


def _write_lindi(path: str) -> None:
    nwbfile = NWBFile(
        session_description="copy",
        identifier="copy",
        session_start_time=datetime(2024, 1, 2, tzinfo=UTC),
        keywords=["a", "bb"],
    )
    data = H5DataIO(np.arange(2000.0).reshape(1000, 2), chunks=(100, 2), compression="gzip")
    nwbfile.add_acquisition(TimeSeries(name="ts", data=data, unit="m", rate=1.0))
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile)


def test_group_copy_of_a_lindi_dataset(tmp_path: Path) -> None:
    source = str(tmp_path / "source.lindi.tar")
    _write_lindi(source)
    with LindiH5pyFile.from_lindi_file(source) as lindi, h5py.File(tmp_path / "t.h5", "w") as h5:
        h5.copy(lindi["/acquisition/ts/data"], h5, name="data")
        h5.copy(lindi["/general/keywords"], "keywords")
        copied, original = h5["data"], lindi["/acquisition/ts/data"]
        np.testing.assert_array_equal(copied[:], original[:])
        assert (copied.dtype, copied.chunks, copied.compression) == (
            original.dtype,
            (100, 2),
            "gzip",
        )
        assert dict(copied.attrs) == dict(original.attrs)
        assert list(h5["keywords"][:]) == [b"a", b"bb"]
        assert h5py.check_string_dtype(h5["keywords"].dtype).encoding == "utf-8"


def test_group_copy_keeps_fixed_width_attributes(tmp_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(tmp_path / "s.lindi.json", mode="w") as lindi:
        ds = lindi.create_dataset("d", data=[1, 2])
        ds.attrs.create("s", b"a", dtype="S3")
        ds.attrs["t"] = np.array([b"a", b"bc"], dtype="S4")
        with h5py.File(tmp_path / "t.h5", "w") as h5:
            h5.copy(ds, "d")
            assert h5["d"].attrs.get_id("s").dtype == np.dtype("S3")
            assert h5["d"].attrs["s"] == b"a"
            assert h5["d"].attrs["t"].dtype == np.dtype("S4")


def test_group_copy_refuses_references(tmp_path: Path) -> None:
    source = str(tmp_path / "refs.lindi.json")
    with LindiH5pyFile.from_lindi_file(source, mode="w") as lindi:
        lindi.create_dataset("x", data=[1, 2])
        lindi.create_dataset("refs", data=[lindi["x"].ref], dtype=h5py.ref_dtype)
    with (
        LindiH5pyFile.from_lindi_file(source) as lindi,
        h5py.File(tmp_path / "t.h5", "w") as h5,
        pytest.raises(LindiUnsupportedError, match="references cannot be copied"),
    ):
        h5.copy(lindi["refs"], h5)


@pytest.mark.parametrize("front_end", ["h5py view", "LindiIO"])
def test_nwbhdf5io_exports_a_lindi_file(tmp_path: Path, front_end: str) -> None:
    source = str(tmp_path / "source.lindi.d")
    _write_lindi(source)
    target = str(tmp_path / "exported.nwb")
    if front_end == "LindiIO":
        with LindiIO(source) as src, NWBHDF5IO(target, mode="w") as dst:
            dst.export(src_io=src, write_args={"link_data": False})
    else:
        with (
            NWBHDF5IO(file=LindiH5pyFile.from_lindi_file(source), mode="r") as src,
            NWBHDF5IO(target, mode="w") as dst,
        ):
            dst.export(src_io=src, write_args={"link_data": False})
    with NWBHDF5IO(target, mode="r") as io:
        nwbfile = io.read()
        data = nwbfile.acquisition["ts"].data
        np.testing.assert_array_equal(data[:], np.arange(2000.0).reshape(1000, 2))
        assert data.chunks == (100, 2)
        assert list(nwbfile.keywords[:]) == ["a", "bb"]
