"""Remote HDF5 files (local HTTP server), LindiH5ZarrStore, and bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import zarr

from hdmf_lindi.conventions.zarr_dtypes import register_zarr_dtypes
from hdmf_lindi.errors import LindiFormatError, LindiSourceError, LindiUnsupportedError
from hdmf_lindi.hdf5 import LindiH5ZarrStore, TranslateOptions, convert, translate_source
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.hdf5.lindi_check import check_file
from tests.helpers.http_server import ServedDirectory
from tests.helpers.s3_server import S3Bucket


@pytest.fixture
def served_features(http_server: ServedDirectory, feature_file: Path) -> str:
    shutil.copy(feature_file, http_server.root / "features.h5")
    return http_server.url_for("/features.h5")


def test_remote_conversion_equals_local_up_to_the_url(
    served_features: str, feature_file: Path, tmp_path: Path
) -> None:
    local = convert(feature_file, tmp_path / "local.lindi.json", inline_threshold=0)
    remote = convert(served_features, tmp_path / "remote.lindi.json", inline_threshold=0)
    local_text = (tmp_path / "local.lindi.json").read_text()
    remote_text = (tmp_path / "remote.lindi.json").read_text()
    assert served_features in remote_text and str(feature_file.resolve()) not in remote_text
    # relative external links of a remote file are written as absolute URLs (docs/security.md)
    directory_url = served_features.rsplit("/", 1)[0] + "/"
    assert f'"{directory_url}other.h5"' in remote_text
    local_view = remote_text.replace(served_features, str(feature_file.resolve()))
    # and those of a local file as absolute paths, as the output sits in another directory
    local_directory = str(feature_file.resolve().parent) + "/"
    assert local_view.replace(directory_url, local_directory) == local_text
    assert local.request_count is None
    assert remote.request_count is not None and 0 < remote.request_count <= 20


def test_remote_refs_read_back_over_http(
    served_features: str, feature_file: Path, http_server: ServedDirectory
) -> None:
    ref_map = translate_source(served_features, options=TranslateOptions(inline_threshold=0))
    assert ref_map.reference_map.get_raw("chunked_gzip/0.0")[0] == served_features  # type: ignore[index]
    with h5py.File(feature_file) as f:
        check_file(ref_map.reference_map, f)


def test_h5_zarr_store_local_and_remote(served_features: str, feature_file: Path) -> None:
    register_zarr_dtypes()
    with h5py.File(feature_file) as f:
        expected_chunked = f["chunked_gzip"][()]
        expected_contiguous = f["contiguous_2d"][()]
    for source in (feature_file, served_features):
        store = LindiH5ZarrStore.from_file(source, opts=TranslateOptions(max_chunk_bytes=5000))
        root = zarr.open_group(store, mode="r", zarr_format=2)
        np.testing.assert_array_equal(root["chunked_gzip"][...], expected_chunked)
        np.testing.assert_array_equal(root["contiguous_2d"][...], expected_contiguous)
        assert list(root["vlen_str"][...]) == ["x", "yy", "zzz", "ünï"]
        assert root["a/b/c"].attrs["depth"] == 3
        document = store.to_reference_file_system()
        assert document["version"] == 1 and "chunked_gzip/.zarray" in document["refs"]
    assert store.request_count is not None and store.request_count <= 20


def test_h5_zarr_store_lists_every_chunk_by_default(tmp_path: Path) -> None:
    path = tmp_path / "many.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.arange(5000, dtype="i4"), chunks=(2,))
    register_zarr_dtypes()
    store = LindiH5ZarrStore.from_file(path)
    root = zarr.open_group(store, mode="r", zarr_format=2)
    np.testing.assert_array_equal(root["x"][...], np.arange(5000, dtype="i4"))
    store.write_reference_file_system(tmp_path / "many.lindi.json")
    assert len(ReferenceMap.load(tmp_path / "many.lindi.json")) == 2502


def test_not_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "notes.h5"
    path.write_text("just text")
    with pytest.raises(LindiFormatError, match=r"notes\.h5: not an HDF5 file"):
        translate_source(path)


def test_truncated(tmp_path: Path, feature_file: Path) -> None:
    path = tmp_path / "truncated.h5"
    path.write_bytes(feature_file.read_bytes()[:3000])
    with pytest.raises(LindiFormatError, match=r"truncated\.h5"):
        translate_source(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LindiSourceError, match=r"nothing\.h5"):
        translate_source(tmp_path / "nothing.h5")


def test_url_404(http_server: ServedDirectory) -> None:
    url = http_server.url_for("/absent.h5")
    with pytest.raises(LindiSourceError, match=r"absent\.h5.*404"):
        translate_source(url)


def test_url_not_hdf5(http_server: ServedDirectory) -> None:
    (http_server.root / "page.h5").write_bytes(b"<html>not hdf5</html>" * 10)
    with pytest.raises(LindiFormatError, match=r"page\.h5: not an HDF5 file"):
        translate_source(http_server.url_for("/page.h5"))


def test_unsupported_filter(tmp_path: Path) -> None:
    path = tmp_path / "lzf.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("g/compressed", data=np.arange(10_000), chunks=(1000,), compression="lzf")
    with pytest.raises(LindiUnsupportedError, match=r"lzf\.h5:/g/compressed: HDF5 filter 32000"):
        translate_source(path)
    linked = translate_source(path, options=TranslateOptions(unsupported="external_link"))
    link = linked.reference_map.get_json("g/compressed/.zattrs")["_EXTERNAL_ARRAY_LINK"]
    assert link["name"] == "/g/compressed" and link["url"] == str(path.resolve())


def test_s3_source_through_router(feature_file: Path, s3_bucket: S3Bucket) -> None:
    from hdmf_lindi.storage.sources.router import SourceRouter

    register_zarr_dtypes()
    s3_bucket.put_object("data/features.h5", feature_file.read_bytes())
    url = s3_bucket.url("data/features.h5")
    router = SourceRouter(
        s3_options=s3_bucket.store_options, client_options=s3_bucket.client_options
    )
    store = LindiH5ZarrStore.from_file(url, router=router)
    assert store.reference_map.get_raw("chunked_gzip/0.0")[0] == url  # type: ignore[index]
    root = zarr.open_group(store, mode="r", zarr_format=2)
    with h5py.File(feature_file) as f:
        np.testing.assert_array_equal(root["chunked_gzip"][...], f["chunked_gzip"][()])
        np.testing.assert_array_equal(root["contiguous"][...], f["contiguous"][()])
