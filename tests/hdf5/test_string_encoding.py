"""Variable-length ASCII string datasets converted from HDF5 read through the h5py view as
h5py reads the original: ``bytes`` elements, ``h5py.string_dtype("ascii")``, ``asstr()``
decoding as ASCII (``_STRING_ENCODING``), in every container and both flavours; files
without the record (lindi 0.4.6's) report UTF-8."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import hdmf_lindi as lindi
from hdmf_lindi.h5py_compat import LindiH5pyFile

CONTAINERS = [".lindi.json", ".lindi.tar", ".lindi.d"]
FLAVOURS = ["lindi-v1", "unified-zarr-v3"]
SELECTIONS: list[Any] = [(), slice(None), 0, -1, slice(1, 3), [0, 1]]


def make_strings_file(path: Path) -> None:
    ascii_dtype, utf8_dtype = h5py.string_dtype("ascii"), h5py.string_dtype()
    with h5py.File(path, "w") as f:
        f.create_dataset("ascii", data=[b"a", b"bc", b"", b"def"], dtype=ascii_dtype)
        f.create_dataset("utf8", data=["a", "bc", "", "d\u00e9f"], dtype=utf8_dtype)
        f.create_dataset("ascii_scalar", data=b"scalar", dtype=ascii_dtype)
        f.create_dataset("utf8_scalar", data="sc\u00e4lar", dtype=utf8_dtype)
        f.create_dataset(
            "ascii_2d", data=np.array([[b"a", b"b"], [b"c", b"d"]], dtype=object), dtype=ascii_dtype
        )
        f.create_dataset(
            "ascii_chunked",
            data=[f"row{i}".encode() for i in range(5000)],
            dtype=ascii_dtype,
            chunks=(512,),
            compression="gzip",
        )


def _selections(shape: tuple[int, ...]) -> list[Any]:
    return [()] if not shape else SELECTIONS


def _described(value: Any) -> Any:
    """Type and value, element by element (numpy arrays by dtype, shape and items)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, [_described(v) for v in value.ravel()])
    return (type(value).__name__, value)


def assert_reads_as_h5py(original: h5py.Dataset, ours: h5py.Dataset) -> None:
    assert ours.dtype == original.dtype
    assert h5py.check_string_dtype(ours.dtype) == h5py.check_string_dtype(original.dtype)
    for selection in _selections(original.shape):
        assert _described(ours[selection]) == _described(original[selection]), selection
        assert _described(ours.asstr()[selection]) == _described(original.asstr()[selection]), (
            selection
        )
    if original.shape:
        assert [_described(x) for x in ours] == [_described(x) for x in original]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("strings") / "strings.h5"
    make_strings_file(path)
    return path


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("suffix", CONTAINERS)
def test_converted_strings_read_as_h5py(
    source: Path, tmp_path: Path, suffix: str, flavour: str
) -> None:
    converted = tmp_path / f"strings{suffix}"
    lindi.convert(source, converted, conventions=flavour)
    with h5py.File(source, "r") as original, LindiH5pyFile.from_lindi_file(converted) as ours:
        for name in original:
            assert_reads_as_h5py(original[name], ours[name])


def test_hdf5_opened_directly_reads_as_h5py(source: Path) -> None:
    with h5py.File(source, "r") as original, LindiH5pyFile.from_hdf5_file(source) as ours:
        for name in original:
            assert_reads_as_h5py(original[name], ours[name])


def test_only_ascii_datasets_carry_the_record(source: Path, tmp_path: Path) -> None:
    converted = tmp_path / "strings.lindi.json"
    lindi.convert(source, converted)
    refs = json.loads(converted.read_text())["refs"]
    recorded = {
        key.split("/")[0]
        for key, value in refs.items()
        if key.endswith(".zattrs") and "_STRING_ENCODING" in value
    }
    assert recorded == {"ascii", "ascii_scalar", "ascii_2d", "ascii_chunked"}
    assert refs["ascii/.zattrs"]["_STRING_ENCODING"] == "ascii"


def test_without_the_record_strings_are_utf8(source: Path, tmp_path: Path) -> None:
    """A file of lindi 0.4.6 has no ``_STRING_ENCODING``: UTF-8, as before."""
    converted = tmp_path / "strings.lindi.json"
    lindi.convert(source, converted)
    document = json.loads(converted.read_text())
    for key, value in document["refs"].items():
        if key.endswith(".zattrs"):
            value.pop("_STRING_ENCODING", None)
    stripped = tmp_path / "stripped.lindi.json"
    stripped.write_text(json.dumps(document))
    with LindiH5pyFile.from_lindi_file(stripped) as ours:
        assert h5py.check_string_dtype(ours["ascii"].dtype).encoding == "utf-8"
        assert list(ours["ascii"][:]) == [b"a", b"bc", b"", b"def"]
        assert "_STRING_ENCODING" not in ours["ascii"].attrs


def test_the_record_is_not_an_attribute(source: Path, tmp_path: Path) -> None:
    converted = tmp_path / "strings.lindi.tar"
    lindi.convert(source, converted)
    with LindiH5pyFile.from_lindi_file(converted) as ours:
        assert dict(ours["ascii"].attrs) == {}


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_h5py_view_writes_ascii_datasets(source: Path, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"written{suffix}"
    with h5py.File(source, "r") as original, LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        for name in original:
            dataset = original[name]
            f.create_dataset(name, data=dataset[()], dtype=dataset.dtype, chunks=dataset.chunks)
    with h5py.File(source, "r") as original, LindiH5pyFile.from_lindi_file(path) as ours:
        for name in original:
            assert_reads_as_h5py(original[name], ours[name])
