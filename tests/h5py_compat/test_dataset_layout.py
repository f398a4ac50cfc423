"""``chunks``, ``compression``, ``compression_opts``, ``shuffle``, ``fletcher32`` and
``scaleoffset`` of ``LindiH5pyDataset``: the same as h5py reports for the same data, for
datasets created through the h5py API and for datasets converted from HDF5 (whose small ones
are inlined with another layout)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.storage.store import LindiStore
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream

PROPERTIES = ("chunks", "compression", "compression_opts", "shuffle", "fletcher32", "scaleoffset")

CREATE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"chunks": (1000,)},
    {"fletcher32": True},
    {"shuffle": True},
    {"chunks": (1000,), "fletcher32": True},
    {"chunks": (1000,), "shuffle": True, "fletcher32": True},
    {"compression": "gzip", "fletcher32": True},
    {"chunks": (700,), "compression": "gzip", "compression_opts": 7, "shuffle": True},
    {"chunks": (700,), "compression": 2, "shuffle": True, "fletcher32": True},
]


def _layout(dataset: h5py.Dataset) -> dict[str, Any]:
    return {name: getattr(dataset, name) for name in PROPERTIES}


def _create_all(f: h5py.File | LindiH5pyFile) -> None:
    values = np.linspace(0, 1, 3000, dtype=np.float32)
    for i, options in enumerate(CREATE_OPTIONS):
        f.create_dataset(f"f{i}", data=values, **options)
        f.create_dataset(f"i{i}", data=np.arange(3000, dtype=np.int16), **options)


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.d"])
def test_created_datasets_report_what_h5py_reports(tmp_path: Path, suffix: str) -> None:
    h5_path, lindi_path = tmp_path / "ref.h5", tmp_path / f"ours{suffix}"
    with h5py.File(h5_path, "w") as f:
        _create_all(f)
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="w") as f:
        _create_all(f)
    with h5py.File(h5_path, "r") as theirs, LindiH5pyFile.from_lindi_file(lindi_path) as ours:
        assert sorted(ours) == sorted(theirs)
        for name in theirs:
            assert _layout(ours[name]) == _layout(theirs[name]), name
            np.testing.assert_array_equal(ours[name][()], theirs[name][()])
            assert ours[name].dtype == theirs[name].dtype


def test_fletcher32_is_stored_before_the_compression(tmp_path: Path) -> None:
    """lindi 0.4.6 pads chunks shorter than their raw size with zeros: the checksum cannot
    be the last bytes of a compressed chunk."""
    path = tmp_path / "f.lindi.tar"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset(
            "x",
            data=np.arange(100, dtype="<i4"),
            chunks=(10,),
            compression="gzip",
            shuffle=True,
            fletcher32=True,
        )
    with LindiStore.open(path) as store:
        zarray = store.reference_map.get_json("x/.zarray")
    assert zarray["filters"] == [{"id": "shuffle", "elementsize": 4}, {"id": "fletcher32"}]
    assert zarray["compressor"] == {"id": "zlib", "level": 4}


def test_fletcher32_of_a_contiguous_dataset_is_refused(tmp_path: Path) -> None:
    with (
        LindiH5pyFile.from_lindi_file(tmp_path / "c.lindi.tar", mode="w") as f,
        pytest.raises(ValueError, match="fletcher32"),  # as h5py
    ):
        f.create_dataset("x", data=np.arange(10), chunks=False, fletcher32=True)


def _source_datasets(f: h5py.File) -> None:
    f.create_dataset("gzip_small", data=np.arange(100), chunks=(10,), compression="gzip")
    f.create_dataset("contiguous_small", data=np.arange(100))
    f.create_dataset("contiguous_big", data=np.arange(100_000))
    f.create_dataset(
        "chunked_big", data=np.arange(100_000), chunks=(1000,), compression=5, shuffle=True
    )
    compact = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    compact.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((4,))
    h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I32LE, space, dcpl=compact)
    f["compact"][...] = np.arange(4)
    f.create_dataset(
        "lzf_fletcher", data=np.arange(100), chunks=(10,), compression="lzf", fletcher32=True
    )
    f.create_dataset("scaleoffset", data=np.arange(100), chunks=(10,), scaleoffset=0)
    f.create_dataset(
        "shuffle_fletcher", data=np.arange(100.0), chunks=(25,), shuffle=True, fletcher32=True
    )
    f.create_dataset("strings", data=["a", "bb", "ccc"], chunks=(2,), compression="gzip")
    f.create_dataset("empty", shape=(0,), dtype="f8", maxshape=(None,), chunks=(5,))
    f.create_dataset("empty_contiguous", shape=(0,), dtype="f8")
    f.create_dataset("scalar", data=1.5)
    f.create_dataset("gzip_2d", data=np.ones((6, 8)), chunks=(3, 4), compression=9)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.h5"
    with h5py.File(path, "w") as f:
        _source_datasets(f)
    return path


def _open_translated(source: Path, tmp_path: Path) -> LindiH5pyFile:
    return LindiH5pyFile.from_hdf5_file(source)


def _open_written(source: Path, tmp_path: Path) -> LindiH5pyFile:
    path = tmp_path / "converted.lindi.json"
    with LindiH5pyFile.from_hdf5_file(source) as f:
        f.write_lindi_file(path)
    return LindiH5pyFile.from_lindi_file(path)


@pytest.mark.parametrize("opener", [_open_translated, _open_written])
def test_converted_datasets_report_the_source_layout(
    source: Path, tmp_path: Path, opener: Callable[[Path, Path], LindiH5pyFile]
) -> None:
    with h5py.File(source, "r") as theirs, opener(source, tmp_path) as ours:
        assert sorted(ours) == sorted(theirs)
        for name in theirs:
            assert _layout(ours[name]) == _layout(theirs[name]), name
            np.testing.assert_array_equal(ours[name][()], theirs[name][()])
        # a contiguous source reports no chunks: iter_chunks refuses, as h5py's
        with pytest.raises(TypeError):
            next(ours["contiguous_small"].iter_chunks())
        assert list(ours["gzip_small"].iter_chunks()) == list(theirs["gzip_small"].iter_chunks())
        assert "_HDF5_LAYOUT" not in ours["gzip_small"].attrs


_UPSTREAM_READ = """
import json, sys
import numpy as np
import lindi
f = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1])
out = {}
for name in sorted(f.keys()):
    d = f[name]
    attrs = {k: np.asarray(d.attrs[k]).tolist() for k in d.attrs}
    out[name] = {"value": np.asarray(d[()]).tolist(), "attrs": attrs}
print(json.dumps(out))
"""


def test_lindi_0_4_6_reads_layouts_and_filters(source: Path, tmp_path: Path) -> None:
    """lindi 0.4.6 reads the converted file (``_HDF5_LAYOUT`` is an ordinary string-array
    attribute to it) and datasets written with shuffle and fletcher32."""
    converted = tmp_path / "converted.lindi.json"
    with LindiH5pyFile.from_hdf5_file(source) as f:
        f.write_lindi_file(converted)
    written = tmp_path / "written.lindi.tar"
    with LindiH5pyFile.from_lindi_file(written, mode="w") as f:
        _create_all(f)
    try:
        theirs_converted = run_upstream(_UPSTREAM_READ, str(converted))
        theirs_written = run_upstream(_UPSTREAM_READ, str(written))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    with h5py.File(source, "r") as h5:
        for name in ("gzip_small", "contiguous_small", "chunked_big", "shuffle_fletcher"):
            np.testing.assert_array_equal(theirs_converted[name]["value"], h5[name][()])
        assert theirs_converted["gzip_small"]["attrs"] == {
            "_HDF5_LAYOUT": [
                "layout=chunked",
                "chunks=10",
                "compression=gzip",
                "compression_opts=4",
            ]
        }
    with LindiH5pyFile.from_lindi_file(written) as ours:
        for name in ours:
            np.testing.assert_array_equal(theirs_written[name]["value"], ours[name][()])


def test_reference_dataset_created_empty_keeps_its_filters(tmp_path: Path) -> None:
    """A reference dataset created by shape (stored once every element is written) keeps
    ``fletcher32`` and its chunks through a resize, as h5py reports them."""
    h5_path, lindi_path = tmp_path / "ref.h5", tmp_path / "ours.lindi.tar"
    for opener in (
        lambda: h5py.File(h5_path, "w"),
        lambda: LindiH5pyFile.from_lindi_file(lindi_path, mode="w"),
    ):
        with opener() as f:
            f.create_group("g")
            refs = f.create_dataset(
                "refs",
                shape=(1,),
                dtype=h5py.ref_dtype,
                chunks=(2,),
                maxshape=(None,),
                fletcher32=True,
            )
            refs.resize((2,))
            refs[0] = f["g"].ref
            refs[1] = f.ref
    with h5py.File(h5_path, "r") as theirs, LindiH5pyFile.from_lindi_file(lindi_path) as ours:
        assert _layout(ours["refs"]) == _layout(theirs["refs"])
        assert ours["refs"].fletcher32 and ours["refs"].shape == (2,)
        assert ours[ours["refs"][0]].name == "/g"


def test_unified_v3_reports_the_filters_of_converted_chunked_datasets(tmp_path: Path) -> None:
    """The v3 flavour reports shuffle/fletcher32/compression from its codecs, as h5py does."""
    import hdmf_lindi

    source = tmp_path / "filters.h5"
    with h5py.File(source, "w") as f:
        f.create_dataset(
            "a",
            data=np.arange(4000, dtype="i4"),
            chunks=(100,),
            compression="gzip",
            shuffle=True,
            fletcher32=True,
        )
    dest = tmp_path / "filters.lindi.json"
    hdmf_lindi.convert(source, dest, conventions="unified-zarr-v3")
    with LindiH5pyFile.from_lindi_file(dest) as ours, h5py.File(source, "r") as theirs:
        for field in ("chunks", "compression", "compression_opts", "shuffle", "fletcher32"):
            assert getattr(ours["a"], field) == getattr(theirs["a"], field), field
        np.testing.assert_array_equal(ours["a"][:], theirs["a"][:])


# ------------------------------------------------------------- every dataset, both flavours
FLAVOURS = ["lindi-v1", "unified-zarr-v3"]
DATASET_FIELDS = (*PROPERTIES, "dtype", "shape", "maxshape", "fillvalue")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
CORPUS_FILES = [
    "hdmf-zarr/example.h5",
    "kerchunk/tests__hdf5_mini_shuffle_blosc.h5",
    "kerchunk/tests__NEONDSTowerTemperatureData.hdf5",
    "mies/AB_SweepsFromMultipleDevices-compressed-V2.nwb",
    "ndx-pose/test_pose.nwb",
]


def _more_source_datasets(f: h5py.File) -> None:
    """:func:`_source_datasets` and the other dataset properties h5py reports."""
    _source_datasets(f)
    f.create_dataset("fill_nan", shape=(20,), dtype="f4", fillvalue=np.nan, chunks=(5,))
    f.create_dataset("fill_int", data=np.arange(30, dtype=">i2"), fillvalue=-7)
    f.create_dataset(
        "grows", data=np.zeros((4, 3)), maxshape=(None, 3), chunks=(2, 3), compression="gzip"
    )
    f.create_dataset("grows_big", data=np.zeros((5000, 4)), maxshape=(None, None), chunks=True)
    enum = h5py.enum_dtype({"RED": 0, "GREEN": 1}, basetype="u1")
    f.create_dataset("enum", data=np.array([0, 1, 1], dtype="u1"), dtype=enum)
    f.create_dataset("fixed_bytes", data=np.array([b"ab", b"c"], dtype="S2"))
    f.create_dataset("bools", data=np.array([True, False]), chunks=(1,), fletcher32=True)
    compound = np.dtype([("idx", "<i4"), ("ref", h5py.ref_dtype)])
    rows = np.array([(1, f["scalar"].ref), (2, f["enum"].ref)], dtype=compound)
    f.create_dataset("compound", data=rows, chunks=(1,), compression="gzip")
    f.create_dataset("refs", data=[f["scalar"].ref, f.ref], dtype=h5py.ref_dtype)
    f.create_dataset("text_scalar", data="hello")
    f.create_dataset("text_contiguous", data=["x", "yy"], dtype=h5py.string_dtype())


def _same_fill(ours: Any, theirs: Any) -> bool:
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, np.void):
        return ours.dtype == theirs.dtype and repr(ours.tolist()) == repr(theirs.tolist())
    if isinstance(ours, np.generic):
        return ours.dtype == theirs.dtype and bool(
            np.array_equal(ours, theirs, equal_nan=ours.dtype.kind in "fc")
        )
    return bool(ours == theirs)


def _assert_every_dataset_as_h5py(source: Path, dest: Path) -> int:
    """Every dataset's properties through the h5py view of ``dest`` equal h5py's on
    ``source``; returns the number of datasets compared."""
    names: list[str] = []
    with h5py.File(source, "r") as theirs, LindiH5pyFile.from_lindi_file(dest) as ours:
        theirs.visititems(
            lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None
        )
        for name in names:
            for field in DATASET_FIELDS:
                mine, expected = getattr(ours[name], field), getattr(theirs[name], field)
                if field == "fillvalue":
                    assert _same_fill(mine, expected), (name, field, mine, expected)
                else:
                    assert mine == expected, (name, field, mine, expected)
    return len(names)


@pytest.mark.parametrize("conventions", FLAVOURS)
def test_every_converted_dataset_reports_what_h5py_reports(
    tmp_path: Path, conventions: str
) -> None:
    """A file of every layout and filter: contiguous, compact and small chunked datasets are
    laid out otherwise in Zarr (``_HDF5_LAYOUT`` records the source's), chunked ones are
    described by their codecs; either way the h5py view reports what h5py does."""
    import hdmf_lindi

    source = tmp_path / "all.h5"
    with h5py.File(source, "w") as f:
        _more_source_datasets(f)
    dest = tmp_path / "all.lindi.json"
    hdmf_lindi.convert(source, dest, conventions=conventions)
    assert _assert_every_dataset_as_h5py(source, dest) == 24


@pytest.fixture(scope="module")
def rich_nwb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich NWB file of the unified Zarr v3 tests, written by NWBHDF5IO."""
    import warnings

    from tests.conventions.nwb_rich import write_extension, write_rich_hdf5

    folder = tmp_path_factory.mktemp("rich")
    source = folder / "rich.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_rich_hdf5(str(source), write_extension(str(folder)))
    return source


@pytest.mark.parametrize("conventions", FLAVOURS)
def test_every_dataset_of_a_rich_nwb_file_reports_what_h5py_reports(
    rich_nwb: Path, tmp_path: Path, conventions: str
) -> None:
    import hdmf_lindi

    dest = tmp_path / "rich.nwb.lindi.json"
    hdmf_lindi.convert(rich_nwb, dest, conventions=conventions)
    assert _assert_every_dataset_as_h5py(rich_nwb, dest) > 50


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
@pytest.mark.parametrize("conventions", FLAVOURS)
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_dataset_of_corpus_files_reports_what_h5py_reports(
    tmp_path: Path, name: str, conventions: str
) -> None:
    """Real files: MIES's gzip-compressed string datasets, a blosc plugin filter (h5py:
    ``compression="unknown"``), compound data, pynwb and hdmf files."""
    import hdmf_lindi

    dest = tmp_path / "corpus.lindi.json"
    hdmf_lindi.convert(CORPUS / name, dest, conventions=conventions)
    assert _assert_every_dataset_as_h5py(CORPUS / name, dest) > 0
