"""LindiIO behaviour: modes, append, large iterative writes, dataset settings, bad input."""

from __future__ import annotations

import json
import os
import tracemalloc
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numcodecs
import numpy as np
import pytest
import zarr.codecs
from hdmf.backends.hdf5 import H5DataIO
from hdmf.build import DatasetBuilder, GroupBuilder
from hdmf.build.errors import ReferenceTargetNotBuiltError
from hdmf.data_utils import AbstractDataChunkIterator, DataChunk, DataChunkIterator
from hdmf_zarr import ZarrDataIO
from pynwb import NWBHDF5IO, NWBFile, TimeSeries

from hdmf_lindi.errors import (
    LindiError,
    LindiFormatError,
    LindiReadOnlyError,
    LindiSourceError,
    LindiUnsupportedError,
)
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.io import LindiDataIO, LindiIO, read_nwb
from hdmf_lindi.storage import store as store_module
from hdmf_lindi.storage.store import LindiStore

SUFFIXES = [".lindi.json", ".lindi.tar", ".lindi.d"]


def make_nwbfile(identifier: str = "lindi-io-test") -> NWBFile:
    nwbfile = NWBFile(
        session_description="a test file",
        identifier=identifier,
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    nwbfile.add_acquisition(
        TimeSeries(name="ts", data=np.arange(50, dtype=np.int32), unit="m", rate=10.0)
    )
    return nwbfile


def zarray_of(path: str, key: str) -> dict[str, Any]:
    store = LindiStore.open(path, mode="r")
    try:
        value = store.reference_map.get_json(key)
        assert isinstance(value, dict)
        return value
    finally:
        store.close()


# ---------------------------------------------------------------------------------- modes
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_write_then_read_every_container(tmp_path: Path, suffix: str) -> None:
    path = str(tmp_path / f"file{suffix}")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile())
    assert LindiIO.can_read(path)
    with LindiIO(path, mode="r") as io:
        nwbfile = io.read()
        assert nwbfile.identifier == "lindi-io-test"
        np.testing.assert_array_equal(nwbfile.acquisition["ts"].data[:], np.arange(50))
        assert io.nwb_version[0] is not None
    nwbfile = read_nwb(path)
    try:
        assert nwbfile.acquisition["ts"].rate == 10.0
    finally:
        nwbfile.read_io.close()


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.d", ".lindi.json"])
@pytest.mark.parametrize("mode", ["a", "r+"])
def test_append_processing_module(tmp_path: Path, suffix: str, mode: str) -> None:
    path = str(tmp_path / f"append{suffix}")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile())
    with LindiIO(path, mode=mode) as io:
        nwbfile = io.read()
        module = nwbfile.create_processing_module(name="behavior", description="added later")
        module.add(TimeSeries(name="speed", data=[1.0, 2.0, 3.0], unit="m/s", rate=1.0))
        io.write(nwbfile)
    with LindiIO(path, mode="r") as io:
        nwbfile = io.read()
        np.testing.assert_array_equal(nwbfile.acquisition["ts"].data[:], np.arange(50))
        speed = nwbfile.processing["behavior"]["speed"]
        np.testing.assert_array_equal(speed.data[:], [1.0, 2.0, 3.0])
        assert nwbfile.processing["behavior"].description == "added later"


def test_append_mode_creates_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "new.lindi.tar")
    with LindiIO(path, mode="a") as io:
        io.write(make_nwbfile("created-by-a"))
    with LindiIO(path) as io:
        assert io.read().identifier == "created-by-a"


def test_append_rows_to_table_in_r_plus(tmp_path: Path) -> None:
    path = str(tmp_path / "rows.lindi.tar")
    nwbfile = make_nwbfile()
    nwbfile.add_trial(start_time=0.0, stop_time=1.0)
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile)
    with LindiIO(path, mode="r+") as io:
        read = io.read()
        read.add_trial(start_time=2.0, stop_time=3.0)
    with LindiIO(path) as io:
        trials = io.read().trials.to_dataframe()
        np.testing.assert_array_equal(trials["start_time"], [0.0, 2.0])
        np.testing.assert_array_equal(trials.index, [0, 1])


def test_w_replaces_existing_file_only_when_complete(tmp_path: Path) -> None:
    path = str(tmp_path / "replace.lindi.json")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile("first"))
    io = LindiIO(path, mode="w")
    io.write(make_nwbfile("second"))
    with LindiIO(path) as reader:  # not closed yet: the old file is still there
        assert reader.read().identifier == "first"
    io.close()
    with LindiIO(path) as reader:
        assert reader.read().identifier == "second"


# ------------------------------------------------------------------------- large writes
def _random_rows(seed: int, rows: int, columns: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, columns))


def _buffers(count: int, rows: int, columns: int) -> Iterator[np.ndarray]:
    for i in range(count):
        yield _random_rows(i, rows, columns)


def test_data_chunk_iterator_streams_into_blobs(tmp_path: Path) -> None:
    """64 MiB written buffer by buffer: memory stays bounded, chunks go to blobs."""
    buffers, rows, columns = 32, 32768, 8  # 32 x 2 MiB
    total_bytes = buffers * rows * columns * 8
    path = str(tmp_path / "large.lindi.tar")
    nwbfile = make_nwbfile()
    iterator = DataChunkIterator(
        data=(row for buffer in _buffers(buffers, rows, columns) for row in buffer),
        buffer_size=rows,
        maxshape=(None, columns),
        dtype=np.dtype(np.float64),
    )
    nwbfile.add_acquisition(TimeSeries(name="big", data=iterator, unit="V", rate=1000.0))
    tracemalloc.start()
    try:
        with LindiIO(path, mode="w") as io:
            io.write(nwbfile)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a few buffers in flight (iterator buffer, encoded chunk, blob write), never the data
    assert peak < 12 * rows * columns * 8, f"peak {peak} bytes for {total_bytes} bytes of data"
    assert peak < total_bytes / 2.5
    assert os.path.getsize(path) > total_bytes * 0.9  # random data: the blobs are in the tar
    with LindiIO(path) as io:
        data = io.read().acquisition["big"].data
        assert data.shape == (buffers * rows, columns)
        np.testing.assert_array_equal(data[5 * rows : 5 * rows + 3], _random_rows(5, 3, columns))
        np.testing.assert_array_equal(data[-1], _random_rows(buffers - 1, rows, columns)[-1])
    document = zarray_of(path, "acquisition/big/data/.zarray")
    assert document["shape"] == [buffers * rows, columns]


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.d"])
def test_row_by_row_iterator_is_written_in_whole_chunks(tmp_path: Path, suffix: str) -> None:
    """DataChunkIterator's default buffer is one row: the rows are gathered into chunks of
    about 4 MiB (not one chunk per row) and each chunk is written once, in a pack."""
    rows, columns = 20_000, 64
    path = str(tmp_path / f"rows{suffix}")
    nwbfile = make_nwbfile()
    expected = _random_rows(7, rows, columns)
    iterator = DataChunkIterator(
        data=iter(expected), maxshape=(None, columns), dtype=np.dtype(np.float64)
    )
    assert iterator.buffer_size == 1
    nwbfile.add_acquisition(TimeSeries(name="rows", data=iterator, unit="V", rate=1000.0))
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile)
        reference_map = io.hierarchy.store.reference_map
        refs = [reference_map.get_raw(f"acquisition/rows/data/{i}.0") for i in range(3)]
    document = zarray_of(path, "acquisition/rows/data/.zarray")
    assert document["shape"] == [rows, columns]
    assert document["chunks"] == [8192, columns]  # 4 MiB of float64 rows
    assert all(isinstance(ref, list) for ref in refs)  # blobs, each chunk written once
    with LindiIO(path) as io:
        np.testing.assert_array_equal(io.read().acquisition["rows"].data[:], expected)


class _RefillingIterator(AbstractDataChunkIterator):  # type: ignore[misc]
    """Yields every row in the same array, refilled each time (as a device reader may)."""

    def __init__(self, rows: int) -> None:
        self._row = 0
        self._rows = rows
        self._buffer = np.empty((1, 3), dtype="<f8")

    def __iter__(self) -> _RefillingIterator:
        return self

    def __next__(self) -> DataChunk:
        if self._row == self._rows:
            raise StopIteration
        self._buffer[:] = self._row
        self._row += 1
        return DataChunk(data=self._buffer, selection=np.s_[self._row - 1 : self._row, 0:3])

    def recommended_chunk_shape(self) -> tuple[int, int]:
        return (4, 3)

    def recommended_data_shape(self) -> tuple[int, int]:
        return (1, 3)

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype("<f8")

    @property
    def maxshape(self) -> tuple[int | None, int]:
        return (None, 3)


def test_iterator_refilling_its_array_is_written_as_yielded(tmp_path: Path) -> None:
    path = str(tmp_path / "refill.lindi.d")
    nwbfile = make_nwbfile()
    nwbfile.add_acquisition(TimeSeries(name="t", data=_RefillingIterator(10), unit="m", rate=1.0))
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile)
    with LindiIO(path) as io:
        data = io.read().acquisition["t"].data
        np.testing.assert_array_equal(data[:, 0], np.arange(10.0))


def test_large_array_kept_inline_as_base64_in_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "big.lindi.json"
    data = np.random.default_rng(1).random(50_000)
    nwbfile = make_nwbfile()
    nwbfile.add_acquisition(TimeSeries(name="big", data=data, unit="V", rate=1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 400 kB: far below the size that warns
        with LindiIO(path, "w") as io:
            io.write(nwbfile)
    refs = json.loads(path.read_text())["refs"]
    chunk_keys = [k for k in refs if k.startswith("acquisition/big/data/") and "/." not in k]
    assert chunk_keys
    assert all(refs[k].startswith("base64:") for k in chunk_keys)
    assert os.listdir(tmp_path) == ["big.lindi.json"]
    with LindiIO(path) as io:
        np.testing.assert_array_equal(io.read().acquisition["big"].data[:], data)


def test_large_inline_json_warns_once_naming_lindi_tar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "LARGE_INLINE_WARNING_BYTES", 100_000)
    path = tmp_path / "big.lindi.json"
    nwbfile = make_nwbfile()
    rng = np.random.default_rng(3)
    for name in ("a", "b"):  # ~530 kB of base64 each (random: gzip gains nothing)
        nwbfile.add_acquisition(TimeSeries(name=name, data=rng.random(50_000), unit="V", rate=1.0))
    with pytest.warns(UserWarning, match=r"\.lindi\.tar") as record, LindiIO(path, "w") as io:
        io.write(nwbfile)
    large = [w for w in record if "kept inline in the JSON" in str(w.message)]
    assert len(large) == 1
    assert str(path) in str(large[0].message)


@pytest.mark.upstream
def test_lindi_046_reads_large_inline_chunks(tmp_path: Path) -> None:
    from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream

    path = tmp_path / "big.nwb.lindi.json"
    data = np.random.default_rng(2).random(20_000)
    nwbfile = make_nwbfile()
    nwbfile.add_acquisition(TimeSeries(name="big", data=data, unit="V", rate=1.0))
    with LindiIO(path, "w") as io:
        io.write(nwbfile)
    script = """
        import json, sys
        import lindi, pynwb
        f = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1])
        with pynwb.NWBHDF5IO(file=f, mode="r") as io:
            values = io.read().acquisition["big"].data[:]
        print(json.dumps({"values": values.tolist(), "dtype": str(values.dtype)}))
    """
    try:
        result = run_upstream(script, str(path))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    assert result["dtype"] == "float64"
    np.testing.assert_array_equal(np.array(result["values"]), data)


def test_large_data_read_lazily(tmp_path: Path) -> None:
    path = str(tmp_path / "lazy.lindi.d")
    nwbfile = make_nwbfile()
    values = np.arange(2_000_000, dtype=np.float32).reshape(1000, 2000)
    nwbfile.add_acquisition(
        TimeSeries(name="big", data=H5DataIO(values, chunks=(100, 2000)), unit="V", rate=1.0)
    )
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile)
    with LindiIO(path) as io:
        data = io.read().acquisition["big"].data
        assert data.shape == (1000, 2000)
        assert data.dtype == np.float32
        np.testing.assert_array_equal(data[150:152, 7], values[150:152, 7])
        np.testing.assert_array_equal(np.asarray(data), values)
        assert len(data) == 1000


# ---------------------------------------------------------------------- dataset settings
def _write_with(tmp_path: Path, data: Any, name: str = "s.lindi.tar") -> str:
    path = str(tmp_path / name)
    nwbfile = make_nwbfile()
    nwbfile.add_acquisition(TimeSeries(name="configured", data=data, unit="V", rate=1.0))
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile)
    return path


def _read_back(path: str) -> np.ndarray:
    with LindiIO(path) as io:
        return np.asarray(io.read().acquisition["configured"].data[:])


def test_h5dataio_settings(tmp_path: Path) -> None:
    values = np.arange(10_000, dtype=np.int64).reshape(1000, 10)
    path = _write_with(
        tmp_path,
        H5DataIO(values, chunks=(250, 10), compression="gzip", compression_opts=6, shuffle=True),
    )
    zarray = zarray_of(path, "acquisition/configured/data/.zarray")
    assert zarray["chunks"] == [250, 10]
    assert zarray["compressor"] == {"id": "zlib", "level": 6}
    assert zarray["filters"] == [{"id": "shuffle", "elementsize": 8}]
    np.testing.assert_array_equal(_read_back(path), values)


def test_h5dataio_maxshape_and_fillvalue(tmp_path: Path) -> None:
    values = np.arange(100, dtype=np.float64)
    path = _write_with(tmp_path, H5DataIO(values, maxshape=(None,), fillvalue=-1.0, chunks=(10,)))
    with LindiIO(path) as io:
        data = io.read().acquisition["configured"].data
        assert data.maxshape == (None,)
        np.testing.assert_array_equal(data[:], values)
    zarray = zarray_of(path, "acquisition/configured/data/.zarray")
    assert zarray["fill_value"] == -1.0


def test_zarrdataio_settings(tmp_path: Path) -> None:
    values = np.arange(4000, dtype=np.int32)
    path = _write_with(
        tmp_path,
        ZarrDataIO(
            values, chunks=(1000,), compressors=zarr.codecs.BloscCodec(cname="zstd", clevel=3)
        ),
    )
    zarray = zarray_of(path, "acquisition/configured/data/.zarray")
    assert zarray["chunks"] == [1000]
    assert zarray["compressor"]["id"] == "blosc"
    assert zarray["compressor"]["cname"] == "zstd"
    np.testing.assert_array_equal(_read_back(path), values)


def test_lindidataio_settings(tmp_path: Path) -> None:
    values = np.arange(5000, dtype=np.int64)
    path = _write_with(
        tmp_path,
        LindiDataIO(
            values,
            chunks=(500,),
            compressor=numcodecs.Zstd(level=5),
            filters=[numcodecs.Delta(dtype="<i8")],
        ),
    )
    zarray = zarray_of(path, "acquisition/configured/data/.zarray")
    assert zarray["chunks"] == [500]
    assert zarray["compressor"]["id"] == "zstd"
    assert zarray["filters"][0]["id"] == "delta"
    np.testing.assert_array_equal(_read_back(path), values)


def test_lindidataio_without_compression(tmp_path: Path) -> None:
    values = np.arange(300, dtype=np.int16)
    path = _write_with(tmp_path, LindiDataIO(values, compressor=False))
    assert zarray_of(path, "acquisition/configured/data/.zarray")["compressor"] is None
    np.testing.assert_array_equal(_read_back(path), values)


def test_lzf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LindiUnsupportedError, match="lzf"):
        _write_with(tmp_path, H5DataIO(np.arange(10), compression="lzf"))
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- bad input
def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, not a LINDI or HDF5 file\n")
    with pytest.raises(LindiFormatError, match="unknown file type"):
        LindiIO(str(path))
    assert not LindiIO.can_read(str(path))


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.lindi.json")
    with pytest.raises(LindiSourceError, match="File does not exist") as excinfo:
        LindiIO(path)
    assert str(excinfo.value) == f"Unable to open file {path} in 'r' mode. File does not exist."
    with pytest.raises(LindiSourceError, match="File does not exist"):
        LindiIO(str(tmp_path / "missing.lindi.tar"), mode="r+")


def test_exclusive_create_refuses_existing(tmp_path: Path) -> None:
    path = str(tmp_path / "exists.lindi.json")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile())
    for mode in ("w-", "x"):
        with pytest.raises(LindiSourceError, match="already exists"):
            LindiIO(path, mode=mode)


def test_write_in_read_mode(tmp_path: Path) -> None:
    path = str(tmp_path / "ro.lindi.json")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile())
    with LindiIO(path, mode="r") as io, pytest.raises(LindiReadOnlyError, match="mode 'r'"):
        io.write(make_nwbfile())
    with LindiIO(path) as io:
        assert io.read().identifier == "lindi-io-test"


def test_read_in_write_mode(tmp_path: Path) -> None:
    from hdmf.backends.errors import UnsupportedOperation

    with (
        LindiIO(str(tmp_path / "w.lindi.json"), mode="w") as io,
        pytest.raises(UnsupportedOperation, match="mode 'w'"),
    ):
        io.read()


def test_bad_mode(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        LindiIO(str(tmp_path / "x.lindi.json"), mode="rw")


def test_creating_file_without_lindi_suffix(tmp_path: Path) -> None:
    with pytest.raises(LindiUnsupportedError, match=r"\.lindi\.json"):
        LindiIO(str(tmp_path / "file.nwb"), mode="w")


def test_missing_namespace(tmp_path: Path) -> None:
    path = str(tmp_path / "ns.lindi.json")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile())
    from hdmf.spec import NamespaceCatalog

    with pytest.raises(KeyError, match="ndx-missing"):
        LindiIO.load_namespaces(NamespaceCatalog(), path, namespaces=["ndx-missing"])


def test_file_without_cached_spec_and_unknown_type(tmp_path: Path) -> None:
    """Written without cache_spec and read without the extension: hdmf names the type."""
    path = str(tmp_path / "nocache.lindi.json")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile(), cache_spec=False)
    assert LindiIO.get_namespaces(path) == {}
    with LindiIO(path) as io:
        assert io.read().acquisition["ts"].unit == "m"


def test_reference_to_container_not_in_file(tmp_path: Path) -> None:
    path = str(tmp_path / "badref.lindi.json")
    nwbfile = make_nwbfile()
    orphan = TimeSeries(name="orphan", data=[1.0, 2.0], unit="m", rate=1.0)
    nwbfile.add_epoch(start_time=0.0, stop_time=1.0, timeseries=[orphan])
    with (
        pytest.raises((LindiError, ReferenceTargetNotBuiltError), match="orphan"),
        LindiIO(path, "w") as io,
    ):
        io.write(nwbfile)
    assert os.listdir(tmp_path) == []


def test_builder_reference_to_object_not_in_file(tmp_path: Path) -> None:
    """Below hdmf's own check: a builder tree whose reference names a builder outside it."""
    path = str(tmp_path / "badref-builder.lindi.json")
    outside = GroupBuilder("outside", attributes={"object_id": "x-1"})
    dataset = DatasetBuilder("values", data=[1, 2, 3], attributes={"target": outside})
    root = GroupBuilder("root", datasets=[dataset])
    with (
        pytest.raises(LindiError, match=r"'outside' \(/outside\).*not in the file"),
        LindiIO(path, "w") as io,
    ):
        io.write_builder(root)
    assert os.listdir(tmp_path) == []


def test_failed_append_keeps_previous_state(tmp_path: Path) -> None:
    path = str(tmp_path / "keep.lindi.tar")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile())
    with LindiIO(path, mode="a") as io:
        nwbfile = io.read()
        orphan = TimeSeries(name="orphan", data=[1.0], unit="m", rate=1.0)
        nwbfile.add_epoch(start_time=0.0, stop_time=1.0, timeseries=[orphan])
        with pytest.raises((LindiError, ReferenceTargetNotBuiltError), match="orphan"):
            io.write(nwbfile)
    with LindiIO(path) as io:
        read = io.read()
        assert read.epochs is None
        np.testing.assert_array_equal(read.acquisition["ts"].data[:], np.arange(50))


def test_soft_link_round_trip(tmp_path: Path) -> None:
    """A TimeSeries whose timestamps/data are another's: written as soft links, read back as
    the same builder (shared data)."""
    path = str(tmp_path / "links.lindi.json")
    nwbfile = make_nwbfile()
    first = TimeSeries(name="first", data=np.arange(5.0), unit="m", timestamps=np.arange(5.0))
    second = TimeSeries(name="second", data=first, unit="m", timestamps=first)
    nwbfile.add_acquisition(first)
    nwbfile.add_acquisition(second)
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile)
    with LindiIO(path) as io:
        hierarchy = io.hierarchy
        node = hierarchy.node("/acquisition/second/data")
        assert node.kind.value == "soft_link"
        assert node.link.path == "/acquisition/first/data"
        read = io.read()
        np.testing.assert_array_equal(read.acquisition["second"].data[:], np.arange(5.0))
        assert read.acquisition["second"].timestamps is not None
        np.testing.assert_array_equal(read.acquisition["second"].timestamps[:], np.arange(5.0))


def test_failed_builder_write_in_append_mode_is_discarded(tmp_path: Path) -> None:
    """A write that fails half way (a group written, then a bad reference) changes nothing."""
    path = str(tmp_path / "discard.lindi.d")
    with LindiIO(path, mode="w") as io:
        io.write(make_nwbfile())
    with LindiIO(path, mode="a") as io:
        root = io.read_builder()
        outside = GroupBuilder("outside")
        root.set_group(GroupBuilder("extra", attributes={"points_to": outside}))
        with pytest.raises(LindiError, match="not in the file"):
            io.write_builder(root)
    with LindiIO(path) as io:
        assert io.hierarchy.node("/extra") is None
        assert io.read().identifier == "lindi-io-test"


def test_link_data_to_another_lindi_file(tmp_path: Path) -> None:
    """Data read from one LINDI file, written into another with link_data: an external link
    (relative path) that reading follows."""
    first = str(tmp_path / "first.lindi.json")
    with LindiIO(first, mode="w") as io:
        io.write(make_nwbfile("first"))
    second = str(tmp_path / "second.lindi.json")
    with LindiIO(first) as source:
        data = source.read().acquisition["ts"].data
        nwbfile = make_nwbfile("second")
        nwbfile.add_acquisition(TimeSeries(name="borrowed", data=data, unit="m", rate=10.0))
        with LindiIO(second, mode="w") as io:
            io.write(nwbfile, link_data=True)
    with LindiIO(second) as io:
        node = io.hierarchy.node("/acquisition/borrowed/data")
        assert node.kind.value == "external_link"
        assert node.link.filename == "first.lindi.json"
        assert node.link.path == "/acquisition/ts/data"
        read = io.read()
        np.testing.assert_array_equal(read.acquisition["borrowed"].data[:], np.arange(50))


def test_iterators_exhausted_round_robin(tmp_path: Path) -> None:
    """exhaust_dci=False: two iterators written buffer by buffer in turns; a fixed-maxshape
    iterator and one that grows its dataset."""
    path = str(tmp_path / "rr.lindi.tar")
    nwbfile = make_nwbfile()
    growing = DataChunkIterator(data=iter(np.arange(1000.0)), buffer_size=128)
    fixed = DataChunkIterator(data=np.arange(600, dtype=np.int32).reshape(300, 2), buffer_size=64)
    nwbfile.add_acquisition(TimeSeries(name="growing", data=growing, unit="m", rate=1.0))
    nwbfile.add_acquisition(TimeSeries(name="fixed", data=fixed, unit="m", rate=1.0))
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile, exhaust_dci=False)
    with LindiIO(path) as io:
        read = io.read()
        np.testing.assert_array_equal(read.acquisition["growing"].data[:], np.arange(1000.0))
        np.testing.assert_array_equal(
            read.acquisition["fixed"].data[:], np.arange(600).reshape(300, 2)
        )
        assert read.acquisition["growing"].data.maxshape == (None,)


def test_large_text_stays_inline_in_plain_json(tmp_path: Path) -> None:
    path = str(tmp_path / "text.lindi.json")
    description = "long text " * 2000
    nwbfile = NWBFile(
        session_description=description,
        identifier="text",
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    with LindiIO(path, "w") as io:
        io.write(nwbfile)
    refs = LindiStore.open(path).reference_map
    blobs = [key for key in refs if isinstance(refs.get_raw(key), list)]
    assert blobs == []
    with LindiIO(path) as io:
        assert io.read().session_description == description


def test_reference_to_a_replaced_object_is_refused(tmp_path: Path) -> None:
    from pynwb.ecephys import ElectricalSeries

    path = str(tmp_path / "refs.lindi.json")
    nwbfile = make_nwbfile()
    device = nwbfile.create_device("probe")
    group = nwbfile.create_electrode_group("shank", description="", location="", device=device)
    nwbfile.add_electrode(group=group, location="CA1")
    region = nwbfile.create_electrode_table_region([0], "the electrode")
    nwbfile.add_acquisition(
        ElectricalSeries(name="es", data=np.zeros((3, 1)), electrodes=region, rate=1.0)
    )
    with LindiIO(path, "w") as io:
        io.write(nwbfile)
    with LindiIO(path) as io:
        assert io.read().acquisition["es"].electrodes.table.name == "electrodes"
    with LindiH5pyFile.from_lindi_file(path, mode="r+") as f:
        f["general/extracellular_ephys/electrodes"].attrs["object_id"] = (
            "22222222-2222-4222-8222-222222222222"
        )
    with LindiIO(path) as io, pytest.raises(LindiFormatError, match="expected object_id"):
        io.read()


@pytest.mark.parametrize("level", [1, 9])
def test_h5dataio_gzip_levels_and_shuffle_of_float32(tmp_path: Path, level: int) -> None:
    values = np.linspace(0, 1, 2000, dtype=np.float32).reshape(200, 10)
    path = _write_with(
        tmp_path,
        H5DataIO(values, chunks=(50, 10), compression="gzip", compression_opts=level, shuffle=True),
    )
    zarray = zarray_of(path, "acquisition/configured/data/.zarray")
    assert zarray["compressor"] == {"id": "zlib", "level": level}
    assert zarray["filters"] == [{"id": "shuffle", "elementsize": 4}]
    np.testing.assert_array_equal(_read_back(path), values)


@pytest.mark.parametrize(
    "options",
    [
        {"fletcher32": True},
        {"shuffle": True, "fletcher32": True},
        {"compression": "gzip", "compression_opts": 3, "shuffle": True, "fletcher32": True},
    ],
)
def test_h5dataio_fletcher32_and_shuffle_as_nwbhdf5io(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    """``H5DataIO(fletcher32=True, shuffle=True)`` is stored, and the h5py view of the written
    dataset reports what h5py reports for the file NWBHDF5IO writes."""
    values = np.linspace(0, 1, 2000, dtype=np.float32).reshape(200, 10)
    path = _write_with(tmp_path, H5DataIO(values, chunks=(50, 10), **options))
    h5_path = str(tmp_path / "ref.nwb")
    nwbfile = make_nwbfile()
    nwbfile.add_acquisition(
        TimeSeries(
            name="configured",
            data=H5DataIO(values, chunks=(50, 10), **options),
            unit="V",
            rate=1.0,
        )
    )
    with NWBHDF5IO(h5_path, mode="w") as io:
        io.write(nwbfile)
    zarray = zarray_of(path, "acquisition/configured/data/.zarray")
    assert {"id": "fletcher32"} in zarray["filters"]
    np.testing.assert_array_equal(_read_back(path), values)
    names = ("chunks", "compression", "compression_opts", "shuffle", "fletcher32")
    with h5py.File(h5_path, "r") as theirs, LindiH5pyFile.from_lindi_file(path) as ours:
        expected = {n: getattr(theirs["acquisition/configured/data"], n) for n in names}
        got = {n: getattr(ours["acquisition/configured/data"], n) for n in names}
        assert got == expected


def test_h5py_view_reports_the_layout_nwbhdf5io_writes(tmp_path: Path) -> None:
    """Dataset by dataset, the h5py view of a file LindiIO wrote reports the chunks, filters
    and maxshape h5py reports for the file NWBHDF5IO writes from the same NWBFile (contiguous
    datasets: ``chunks`` ``None``)."""

    def nwbfile() -> NWBFile:
        out = make_nwbfile()
        gzipped = H5DataIO(
            np.arange(100.0), chunks=(10,), compression="gzip", shuffle=True, fletcher32=True
        )
        out.add_acquisition(TimeSeries(name="gzipped", data=gzipped, unit="m", rate=1.0))
        growing = H5DataIO(np.arange(100.0), maxshape=(None,), chunks=(20,))
        out.add_acquisition(TimeSeries(name="growing", data=growing, unit="m", rate=1.0))
        out.add_trial(start_time=0.0, stop_time=1.0)
        return out

    h5_path, path = str(tmp_path / "ref.nwb"), str(tmp_path / "ours.lindi.tar")
    with NWBHDF5IO(h5_path, mode="w") as io:
        io.write(nwbfile())
    with LindiIO(path, mode="w") as io:
        io.write(nwbfile())
    names: list[str] = []
    properties = ("chunks", "compression", "compression_opts", "shuffle", "fletcher32", "maxshape")
    with h5py.File(h5_path, "r") as theirs, LindiH5pyFile.from_lindi_file(path) as ours:
        theirs.visititems(
            lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None
        )
        names = [n for n in names if not n.startswith("specifications")]
        assert "acquisition/ts/data" in names
        assert ours["acquisition/ts/data"].chunks is None
        for name in names:
            expected = {p: getattr(theirs[name], p) for p in properties}
            assert {p: getattr(ours[name], p) for p in properties} == expected, name
