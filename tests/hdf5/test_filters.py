"""HDF5 filter pipelines mapped to numcodecs, verified by decoding real chunks."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.hdf5 import TranslateOptions, translate_source
from hdmf_lindi.hdf5.filters import pipeline_to_codecs
from tests.conftest import SHARED_DIR
from tests.hdf5.lindi_check import check_file, read_stored

hdf5plugin = pytest.importorskip("hdf5plugin")
KERCHUNK = SHARED_DIR / "corpus" / "kerchunk"
REFERENCED = TranslateOptions(inline_threshold=0)


def test_pipeline_mapping() -> None:
    assert pipeline_to_codecs(
        [(2, (4,), "shuffle"), (1, (6,), "deflate"), (3, (), "fletcher32")], itemsize=4, where="w"
    ) == [
        {"id": "shuffle", "elementsize": 4},
        {"id": "zlib", "level": 6},
        {"id": "fletcher32"},
    ]
    assert pipeline_to_codecs(
        [(32001, (2, 2, 4, 24, 5, 1, 1), "blosc")], itemsize=4, where="w"
    ) == [{"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}]
    assert pipeline_to_codecs([(32015, (3,), "zstd")], itemsize=4, where="w") == [
        {"id": "zstd", "level": 3}
    ]
    for filter_id, label in [(4, "szip"), (5, "nbit"), (6, "scaleoffset"), (32004, "lz4")]:
        with pytest.raises(
            LindiUnsupportedError, match=rf"f\.h5:/d: HDF5 filter {filter_id} .*{label}"
        ):
            pipeline_to_codecs([(filter_id, (), "x")], itemsize=4, where="f.h5:/d")


@pytest.mark.parametrize(
    "name",
    [
        "tests__hdf5_compression_blosc_lz4_bitshuffle.h5",
        "tests__hdf5_compression_zstd.h5",
        "tests__hdf5_mali_chunk.h5",
        "tests__hdf5_mali_chunk2.h5",
        "tests__hdf5_mini_blosc.h5",
        "tests__hdf5_mini_shuffle_blosc.h5",
        "tests__hdf5_mini_shuffle_zstd.h5",
        "tests__hdf5_mini_zstd.h5",
    ],
)
def test_kerchunk_plugin_files_decode(name: str) -> None:
    path = KERCHUNK / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    ref_map = translate_source(path, options=REFERENCED).reference_map
    chunk_refs = [ref_map.get_raw(f"data/{k}") for k in ref_map.list_dir("data") if k[0] != "."]
    assert any(isinstance(ref, list) for ref in chunk_refs)
    with h5py.File(path) as f:
        check_file(ref_map, f)


@pytest.mark.parametrize(
    ("name", "filter_id"),
    [("tests__hdf5_compression_lz4.h5", 32004), ("tests__hdf5_compression_bitshuffle.h5", 32008)],
)
def test_kerchunk_unsupported_plugins_refused(name: str, filter_id: int) -> None:
    path = KERCHUNK / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    with pytest.raises(LindiUnsupportedError, match=rf"{name}:/data: HDF5 filter {filter_id}"):
        translate_source(path, options=REFERENCED)


@pytest.mark.parametrize(
    "compression",
    [
        pytest.param(lambda: hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=1), id="blosc-lz4"),
        pytest.param(lambda: hdf5plugin.Blosc(cname="zstd", clevel=3, shuffle=2), id="blosc-zstd"),
        pytest.param(lambda: hdf5plugin.Blosc(cname="blosclz", clevel=9, shuffle=0), id="blosclz"),
        pytest.param(lambda: hdf5plugin.Zstd(clevel=7), id="zstd"),
    ],
)
def test_plugin_filters_written_here(tmp_path: Path, compression: object) -> None:
    path = tmp_path / "plugin.h5"
    data = (np.arange(200_000, dtype="f8") % 977).reshape(400, 500)
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=data, chunks=(64, 128), **compression())  # type: ignore[operator]
    ref_map = translate_source(path, options=REFERENCED).reference_map
    np.testing.assert_array_equal(read_stored(ref_map, "x"), data)


def test_chunks_with_skipped_filters(tmp_path: Path) -> None:
    """A chunk HDF5 stored without its optional compressor: the pipeline follows most chunks,
    the odd chunk is re-encoded inline."""
    path = KERCHUNK / "tests__hdf5_mali_chunk2.h5"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    ref_map = translate_source(path, options=REFERENCED).reference_map
    assert isinstance(ref_map.get_raw("data/0"), str) and isinstance(ref_map.get_raw("data/1"), str)
    assert isinstance(ref_map.get_raw("data/2"), list)
    with h5py.File(path) as f:
        np.testing.assert_array_equal(read_stored(ref_map, "data"), f["data"][()])


def test_gzip_levels_shuffle_fletcher32(tmp_path: Path) -> None:
    path = tmp_path / "builtin.h5"
    data = np.arange(30_000, dtype="<u2").reshape(300, 100)
    with h5py.File(path, "w") as f:
        f.create_dataset("a", data=data, chunks=(50, 30), compression="gzip", compression_opts=1)
        f.create_dataset("b", data=data, chunks=(50, 30), shuffle=True, fletcher32=True)
        f.create_dataset(
            "c", data=data, chunks=(7, 13), compression="gzip", shuffle=True, fletcher32=True
        )
    ref_map = translate_source(path, options=REFERENCED).reference_map
    for name in "abc":
        np.testing.assert_array_equal(read_stored(ref_map, name), data, err_msg=name)
