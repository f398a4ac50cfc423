"""HDF5 -> LINDI translation of a file with every feature, read back and compared to h5py."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.hdf5 import TranslateOptions, convert, translate_source
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.hdf5.lindi_check import check_file, read_stored


def _translate(path: Path, **options: object) -> ReferenceMap:
    return translate_source(path, options=TranslateOptions(**options)).reference_map  # type: ignore[arg-type]


@pytest.mark.parametrize("max_chunk_bytes", [20_000_000, 10_000, 4_000, 64])
@pytest.mark.parametrize("inline_threshold", [0, 4096, 1_000_000])
def test_every_value_matches_h5py(
    feature_file: Path, max_chunk_bytes: int, inline_threshold: int
) -> None:
    ref_map = _translate(
        feature_file, max_chunk_bytes=max_chunk_bytes, inline_threshold=inline_threshold
    )
    with h5py.File(feature_file) as f:
        counts = check_file(ref_map, f)
    assert counts["datasets"] == 29
    assert counts["attributes"] == 14
    assert counts["links"] == 6


def test_layout_of_special_objects(feature_file: Path) -> None:
    refs = _translate(feature_file).to_dict()["refs"]
    assert refs["soft/.zattrs"] == {"_SOFT_LINK": {"path": "/target"}}
    assert refs["a/relative_soft/.zattrs"] == {"_SOFT_LINK": {"path": "/a/b/c"}}
    assert refs["dangling/.zattrs"] == {"_SOFT_LINK": {"path": "/does/not/exist"}}
    assert refs["hard_alias_group/.zattrs"] == {"_SOFT_LINK": {"path": "/a/b", "hard": True}}
    assert refs["hard_alias_dataset/.zattrs"] == {
        "_SOFT_LINK": {"path": "/contiguous", "hard": True}
    }
    assert "hard_alias_group/c/.zgroup" not in refs
    assert refs["scalar_float/.zattrs"]["_SCALAR"] is True
    assert refs["scalar_float/.zarray"]["shape"] == [1]
    external = json.dumps(refs["external/.zattrs"])
    assert "other.h5" in external and "/some/path" in external
    assert refs["compound/.zattrs"]["_COMPOUND_DTYPE"] == [
        ["idx", "int32"],
        ["val", "float64"],
        ["name", "object"],
        ["r", "<REFERENCE>"],
    ]
    reference = refs[".zattrs"]["ref_attr"]["_REFERENCE"]
    assert reference["path"] == "/target"
    assert reference["object_id"] == "3f1b2c9e-0000-4000-8000-000000000001"
    assert refs[".zattrs"]["float_array"] == [1.5, "NaN", "Infinity", "-Infinity"]


def test_chunked_refs_point_at_hdf5_chunks(feature_file: Path) -> None:
    ref_map = _translate(feature_file)
    zarray = ref_map.get_json("chunked_gzip/.zarray")
    assert zarray["chunks"] == [100, 100]
    assert zarray["compressor"] is None
    assert zarray["filters"] == [{"id": "shuffle", "elementsize": 2}, {"id": "zlib", "level": 4}]
    chunk_keys = [k for k in ref_map.list_dir("chunked_gzip") if not k.startswith(".")]
    assert sorted(chunk_keys) == sorted(f"{i}.0" for i in range(10))
    with h5py.File(feature_file) as f:
        info = f["chunked_gzip"].id.get_chunk_info_by_coord((300, 0))
    assert ref_map.get_raw("chunked_gzip/3.0") == [
        str(feature_file.resolve()),
        info.byte_offset,
        info.size,
    ]
    # fletcher32 after deflate in the pipeline: same order in Zarr filters
    assert ref_map.get_json("chunked_fletcher/.zarray")["filters"] == [
        {"id": "zlib", "level": 9},
        {"id": "fletcher32"},
    ]


def test_unallocated_chunks_read_as_fill_value(feature_file: Path) -> None:
    ref_map = _translate(feature_file, inline_threshold=0)
    keys = [k for k in ref_map.list_dir("fill_int") if not k.startswith(".")]
    assert keys == ["4"]
    values = read_stored(ref_map, "fill_int")
    assert (values[:4000] == -7).all() and (values[4000:] == 1).all()
    assert ref_map.get_json("unallocated_contiguous/.zarray")["fill_value"] == 2.5
    assert [k for k in ref_map.list_dir("unallocated_contiguous") if not k.startswith(".")] == []
    assert ref_map.get_json("chunked_partial/.zarray")["fill_value"] == "NaN"


def test_contiguous_split_into_bounded_contiguous_ranges(feature_file: Path) -> None:
    ref_map = _translate(feature_file, max_chunk_bytes=10_000)
    zarray = ref_map.get_json("contiguous_2d/.zarray")
    rows = zarray["chunks"][0]
    assert zarray["chunks"][1] == 7 and rows * 7 * 8 <= 10_000
    with h5py.File(feature_file) as f:
        base = f["contiguous_2d"].id.get_offset()
    previous_end = base
    for i in range(-(-3000 // rows)):
        _url, offset, size = ref_map.get_raw(f"contiguous_2d/{i}.0")  # type: ignore[misc]
        assert offset == previous_end and size == rows * 7 * 8 and size <= 10_000
        previous_end = offset + size
    # 1-D float32, 20000 elements: 2500 divides 20000 so there is no partial chunk
    assert ref_map.get_json("contiguous/.zarray")["chunks"] == [2500]


def test_contiguous_tail_past_end_of_file_is_inlined(tmp_path: Path) -> None:
    path = tmp_path / "tail.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.arange(1009, dtype="f8"))  # prime length
    ref_map = _translate(path, max_chunk_bytes=800, inline_threshold=0)
    zarray = ref_map.get_json("x/.zarray")
    assert zarray["chunks"] == [100]
    last = ref_map.get_raw("x/10")
    assert isinstance(last, str)  # inline: the full-size range would pass the end of file
    np.testing.assert_array_equal(read_stored(ref_map, "x"), np.arange(1009, dtype="f8"))


def test_small_and_compact_datasets_are_inline(feature_file: Path) -> None:
    ref_map = _translate(feature_file, inline_threshold=100)
    assert isinstance(ref_map.get_raw("compact_layout/0"), str)  # compact: inline regardless
    assert isinstance(ref_map.get_raw("a/b/c/leaf/0"), str)  # 40 bytes < 100
    assert isinstance(ref_map.get_raw("big_endian/0"), list)


def test_chunk_count_threshold_makes_external_array_link(feature_file: Path) -> None:
    ref_map = _translate(feature_file, num_chunks_threshold=5, inline_threshold=0)
    link = ref_map.get_json("chunked_gzip/.zattrs")["_EXTERNAL_ARRAY_LINK"]
    assert link == {
        "link_type": "hdf5_dataset",
        "url": str(feature_file.resolve()),
        "name": "/chunked_gzip",
    }
    assert [k for k in ref_map.list_dir("chunked_gzip") if not k.startswith(".")] == []
    assert ref_map.get_json("chunked_gzip/.zarray")["shape"] == [1000, 100]


def test_output_is_deterministic(feature_file: Path, tmp_path: Path) -> None:
    first = convert(feature_file, tmp_path / "a.lindi.json")
    second = convert(feature_file, tmp_path / "b.lindi.json")
    assert (tmp_path / "a.lindi.json").read_bytes() == (tmp_path / "b.lindi.json").read_bytes()
    assert first.reference_map.generation_metadata is not None
    assert "creationDate" not in first.reference_map.generation_metadata
    assert second.request_count is None
    stamped = convert(
        feature_file, tmp_path / "c.lindi.json", creation_time="2026-01-01T00:00:00Z"
    ).reference_map
    assert stamped.generation_metadata["creationDate"] == "2026-01-01T00:00:00Z"  # type: ignore[index]


def test_written_file_loads_and_matches(feature_file: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out.lindi.json"
    convert(feature_file, dest, inline_threshold=0)
    document = json.loads(dest.read_text())
    assert document["version"] == 1
    assert document["templates"] == {"u1": str(feature_file.resolve())}
    assert document["generationMetadata"]["generatedBy"] == "hdmf_lindi"
    with h5py.File(feature_file) as f:
        check_file(ReferenceMap.load(dest), f)


@pytest.mark.parametrize("suffix", [".lindi.d", ".lindi.tar"])
def test_containers(feature_file: Path, tmp_path: Path, suffix: str) -> None:
    from hdmf_lindi.storage.containers import container_for
    from hdmf_lindi.storage.sources.router import SourceRouter

    dest = tmp_path / f"out{suffix}"
    result = convert(feature_file, dest)
    container = container_for(dest)
    import asyncio

    loaded = asyncio.run(container.load(SourceRouter(base_url=container.base_url)))
    assert loaded.dumps() == result.reference_map.dumps()


def test_relative_soft_link_and_region_reference_refused(tmp_path: Path) -> None:
    path = tmp_path / "region.h5"
    with h5py.File(path, "w") as f:
        data = f.create_dataset("data", data=np.arange(10))
        regions = f.create_dataset("regions", shape=(1,), dtype=h5py.regionref_dtype)
        regions[0] = data.regionref[2:5]
    with pytest.raises(LindiUnsupportedError, match=r"region\.h5:/regions.*region reference"):
        _translate(path)
    ref_map = _translate(path, unsupported="external_link")
    assert ref_map.get_json("regions/.zattrs")["_EXTERNAL_ARRAY_LINK"]["name"] == "/regions"


def test_region_reference_attribute_refused(tmp_path: Path) -> None:
    path = tmp_path / "region_attr.h5"
    with h5py.File(path, "w") as f:
        data = f.create_dataset("data", data=np.arange(10))
        data.attrs["region"] = data.regionref[1:3]
    with pytest.raises(LindiUnsupportedError, match=r"/data attribute 'region'.*region"):
        _translate(path)


def test_null_references_in_datasets_convert_and_read_back_as_null(tmp_path: Path) -> None:
    import hdmf_lindi as lindi

    path = tmp_path / "nullref.h5"
    with h5py.File(path, "w") as f:
        refs = f.create_dataset("refs", shape=(3,), dtype=h5py.ref_dtype)
        refs[1] = f.ref
        rows = f.create_dataset("rows", shape=(2,), dtype=[("i", "i4"), ("r", h5py.ref_dtype)])
        rows[1] = (7, f.ref)
        f.create_dataset("no_refs", shape=(0,), dtype=h5py.ref_dtype)
        f.attrs["null"] = h5py.Reference()
    with pytest.raises(LindiUnsupportedError, match=r"nullref\.h5:/ attribute 'null'.*null"):
        _translate(path)
    with h5py.File(path, "a") as f:
        del f.attrs["null"]
    ref_map = _translate(path)
    assert ref_map.get_json("refs/.zattrs")["_DTYPE"] == "object_reference"
    out = tmp_path / "nullref.lindi.json"
    convert(path, out)
    with lindi.LindiH5pyFile.from_lindi_file(str(out)) as f:
        values = f["refs"][()]
        assert [bool(v) for v in values] == [False, True, False]
        assert isinstance(values[0], h5py.Reference)
        assert f[values[1]].name == "/"
        with pytest.raises(ValueError, match="Invalid HDF5 object reference"):
            f[values[0]]
        rows = f["rows"][()]
        assert not rows[0]["r"] and isinstance(rows[0]["r"], h5py.Reference)
        assert rows[1]["i"] == 7 and f[rows[1]["r"]].name == "/"
        assert h5py.check_ref_dtype(f["no_refs"].dtype) is h5py.Reference
        assert f["no_refs"].shape == (0,)


def test_ragged_and_array_dtypes_refused(tmp_path: Path) -> None:
    path = tmp_path / "ragged.h5"
    with h5py.File(path, "w") as f:
        ragged = f.create_dataset("ragged", shape=(2,), dtype=h5py.vlen_dtype("i4"))
        ragged[0] = [1, 2, 3]
        ragged[1] = [4]
    with pytest.raises(LindiUnsupportedError, match=r"ragged\.h5:/ragged.*variable-length"):
        _translate(path)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="max_chunk_bytes"):
        TranslateOptions(max_chunk_bytes=0)
    with pytest.raises(ValueError, match="unsupported"):
        TranslateOptions(unsupported="skip")  # type: ignore[arg-type]


@pytest.mark.parametrize("inline_threshold", [0, 4096])
def test_values_through_zarr_and_conventions(feature_file: Path, inline_threshold: int) -> None:
    from tests.hdf5.zarr_check import check_via_zarr

    ref_map = _translate(feature_file, inline_threshold=inline_threshold, max_chunk_bytes=4000)
    with h5py.File(feature_file) as f:
        assert check_via_zarr(ref_map, f) == 29 + 14
