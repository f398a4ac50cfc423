"""The translator reads HDF5 metadata only: a dataset that becomes an external array link costs
no chunk-index reads, and hard links are told apart without reading object headers."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.hdf5.options import TranslateOptions
from hdmf_lindi.hdf5.translate import translate_hdf5
from hdmf_lindi.storage.sources.file_like import RangeFile


@pytest.fixture(scope="module")
def many_chunks_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("many") / "many.h5"
    with h5py.File(path, "w") as f:
        data = f.create_dataset("big", shape=(6000, 512), dtype="<i8", chunks=(1, 512))
        for start in range(0, 6000, 500):
            data[start : start + 500] = np.arange(start, start + 500)[:, None]
        f.create_dataset("small", data=np.arange(10))
        f["alias"] = f["small"]
    return path


def test_external_array_link_does_not_read_the_chunk_index(many_chunks_h5: Path) -> None:
    file_size = many_chunks_h5.stat().st_size
    assert file_size > 20_000_000
    source = RangeFile(str(many_chunks_h5), block_size=64 * 1024)
    with h5py.File(source, "r") as f:
        ref_map = translate_hdf5(f, url="u", options=TranslateOptions(num_chunks_threshold=1000))
    zattrs = ref_map.get_json("big/.zattrs")
    assert zattrs["_EXTERNAL_ARRAY_LINK"] == {
        "link_type": "hdf5_dataset",
        "name": "/big",
        "url": "u",
    }
    assert not [k for k in ref_map if k.startswith("big/") and k[4:5].isdigit()]
    # 6000 chunk-index entries are spread over the file; reading them would cost megabytes
    assert source.bytes_fetched < 1_000_000
    assert source.request_count < 10


def test_grid_size_not_allocated_chunks_decides(tmp_path: Path) -> None:
    path = tmp_path / "sparse.h5"
    with h5py.File(path, "w") as f:
        sparse = f.create_dataset("sparse", shape=(100,), dtype="<f4", chunks=(10,))
        sparse[:10] = 1.0
    with h5py.File(path, "r") as f:
        assert f["sparse"].id.get_num_chunks() == 1
        linked = translate_hdf5(
            f, url="u", options=TranslateOptions(num_chunks_threshold=5, inline_threshold=0)
        )
        listed = translate_hdf5(
            f, url="u", options=TranslateOptions(num_chunks_threshold=10, inline_threshold=0)
        )
    assert "_EXTERNAL_ARRAY_LINK" in linked.get_json("sparse/.zattrs")
    assert "_EXTERNAL_ARRAY_LINK" not in (listed.get_json("sparse/.zattrs") or {})


def test_second_hard_link_becomes_a_soft_link(many_chunks_h5: Path) -> None:
    with h5py.File(many_chunks_h5, "r") as f:
        ref_map = translate_hdf5(f, url="u")
    # walk order is by name: "alias" is reached first
    assert ref_map.get_json("small/.zattrs") == {"_SOFT_LINK": {"path": "/alias", "hard": True}}
    assert "alias/.zarray" in ref_map
