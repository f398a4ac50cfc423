"""Attributes written through ``LindiH5pyFile`` read back as h5py reads the same attributes
written to an HDF5 file: same type, dtype and value, also after the file is closed and reopened
and when read through LindiIO's hierarchy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.h5py_compat import LindiH5pyFile
from tests.io.exact_snapshot import exact

VALUES: dict[str, Any] = {
    "py_int": 5,
    "py_float": 0.077,
    "py_bool": True,
    "py_str": "text",
    "py_bytes": b"python bytes",
    "u8": np.uint8(200),
    "u32": np.uint32(4_000_000_000),
    "u64": np.uint64(2**64 - 1),
    "i16": np.int16(-5),
    "f16": np.float16(0.5),
    "f32": np.float32(0.077),
    "nan32": np.float32(np.nan),
    "flag": np.bool_(False),
    "fixed": np.bytes_(b"abc"),
    "fixed_utf8": np.bytes_("hé".encode()),
    "fixed_latin1": np.bytes_(b"\xb5V"),
    "fixed_arr": np.array([b"a", b"bc"]),
    "i16_arr": np.array([[1, -2], [3, 4]], dtype=np.int16),
    "be_arr": np.array([1, 2], dtype=">i4"),
    "f32_arr": np.array([0.5, 0.1], dtype=np.float32),
    "bool_arr": np.array([True, False]),
    "int_list": [1, 2, 3],
    "float_list": [0.5, 1.5],
    "empty_i4": np.array([], dtype=np.int32),
}
CREATED: dict[str, tuple[Any, str]] = {
    "as_u1": (7, "u1"),
    "as_f4": (0.25, "f4"),
    "as_i2_list": ([1, 2], "i2"),
}
"""``attrs.create(name, data, dtype=...)``."""


def _write(f: Any) -> None:
    group = f.create_group("g")
    for name, value in VALUES.items():
        group.attrs[name] = value
    for name, (value, dtype) in CREATED.items():
        group.attrs.create(name, value, dtype=dtype)
    dataset = f.create_dataset("d", data=np.arange(3.0))
    dataset.attrs["conversion"] = np.float32(0.077)
    dataset.attrs["id"] = np.uint8(5)


def _read(f: Any) -> dict[str, Any]:
    return {
        path: {name: exact(obj.attrs[name]) for name in obj.attrs}
        for path, obj in (("g", f["g"]), ("d", f["d"]))
    }


@pytest.fixture(scope="module")
def h5py_reads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("h5") / "reference.h5"
    with h5py.File(path, "w") as f:
        _write(f)
    with h5py.File(path, "r") as f:
        return _read(f)


@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.tar", ".lindi.d"])
def test_attributes_written_through_the_view_read_back_as_h5py(
    tmp_path: Path, suffix: str, h5py_reads: dict[str, Any]
) -> None:
    path = tmp_path / f"attrs{suffix}"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        _write(f)
        assert _read(f) == h5py_reads  # before closing
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert _read(f) == h5py_reads


def test_the_view_of_an_hdf5_file_gives_h5pys_attributes(
    tmp_path: Path, h5py_reads: dict[str, Any]
) -> None:
    path = tmp_path / "source.h5"
    with h5py.File(path, "w") as f:
        _write(f)
    with LindiH5pyFile.from_hdf5_file(path) as f:
        assert _read(f) == h5py_reads
