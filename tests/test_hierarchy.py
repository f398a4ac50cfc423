"""Hierarchy: the HDF5-like tree over a LINDI store shared by the h5py view and LindiIO."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import hdmf_lindi  # noqa: F401  (registers the zarr data types)
from hdmf_lindi._paths import join_path, normalize_path
from hdmf_lindi.conventions.model import (
    DataKind,
    DatasetInfo,
    ExternalArrayLink,
    NodeKind,
    Reference,
)
from hdmf_lindi.errors import LindiExistsError, LindiReadOnlyError, LindiShapeError
from hdmf_lindi.hierarchy import Hierarchy
from hdmf_lindi.storage.store import LindiStore


@pytest.fixture
def hierarchy(tmp_path: Path) -> Iterator[Hierarchy]:
    store = LindiStore.open(tmp_path / "h.lindi.d", mode="w")
    yield Hierarchy(store)
    store.close()


def _reopen(h: Hierarchy, path: Path, mode: str = "r") -> Hierarchy:
    h.flush()
    h.store.close()
    return Hierarchy(LindiStore.open(path, mode=mode))


def test_paths() -> None:
    assert normalize_path("a//b/") == "/a/b"
    assert normalize_path("/") == "/"
    assert join_path("/a", "b") == "/a/b"
    assert join_path("/a", "/c") == "/c"
    assert join_path("/", "x") == "/x"


def test_groups_attrs_and_walk(hierarchy: Hierarchy) -> None:
    hierarchy.create_group("/a/b", {"n": 3, "s": "x", "f": np.array([1.5, np.nan])})
    assert hierarchy.children("/") == ["a"]
    node = hierarchy.node("/a/b")
    assert node is not None and node.kind is NodeKind.GROUP
    assert node.attrs["n"] == 3 and node.attrs["s"] == "x"
    np.testing.assert_array_equal(node.attrs["f"], [1.5, np.nan])
    hierarchy.set_attrs("/a/b", {"n": 4})
    assert hierarchy.node("/a/b").attrs["n"] == 4  # type: ignore[union-attr]
    hierarchy.delete_attr("/a/b", "s")
    assert "s" not in hierarchy.node("/a/b").attrs  # type: ignore[union-attr]
    with pytest.raises(KeyError, match="s"):
        hierarchy.delete_attr("/a/b", "s")
    assert [n.path for n in hierarchy.walk()] == ["/", "/a", "/a/b"]
    with pytest.raises(LindiExistsError, match="/a/b"):
        hierarchy.create_group("/a/b")


@pytest.mark.parametrize("chunks", [(7, 3), (100, 10), (1, 1)])
@pytest.mark.parametrize(
    "selection",
    [
        Ellipsis,
        (slice(2, 9), slice(None)),
        (slice(None, None, 3), 1),
        (5,),
        (-1, slice(1, 4)),
        ([1, 4, 8], slice(None)),
        (slice(None), [0, 2]),
        (np.array([True, False] * 10), 0),
    ],
)
def test_selections_match_numpy(
    hierarchy: Hierarchy, chunks: tuple[int, int], selection: object
) -> None:
    values = np.arange(200, dtype="i4").reshape(20, 10)
    info = DatasetInfo(shape=values.shape, dtype=values.dtype, chunks=chunks)
    hierarchy.create_dataset("/d", info, data=values)
    expected = _numpy_orthogonal(values, selection)
    np.testing.assert_array_equal(hierarchy.read("/d", selection), expected)


def _numpy_orthogonal(values: np.ndarray, selection: object) -> np.ndarray:
    if not isinstance(selection, tuple):
        return values[selection]  # type: ignore[index]
    out = values
    for axis in reversed(range(len(selection))):
        item = selection[axis]
        if isinstance(item, int):
            out = np.take(out, item, axis=axis)
        else:
            out = out[(slice(None),) * axis + (item,)]
    return out


def test_boolean_mask_of_full_shape(hierarchy: Hierarchy) -> None:
    values = np.arange(12.0).reshape(3, 4)
    hierarchy.create_dataset(
        "/d", DatasetInfo(shape=(3, 4), dtype=values.dtype, chunks=(2, 2)), data=values
    )
    mask = values % 3 == 0
    np.testing.assert_array_equal(hierarchy.read("/d", mask), values[mask])


def test_large_chunked_dataset_goes_to_blobs(tmp_path: Path) -> None:
    path = tmp_path / "big.lindi.d"
    h = Hierarchy(LindiStore.open(path, mode="w"))
    rng = np.random.default_rng(1)
    values = rng.normal(size=(400, 300))
    h.create_dataset(
        "/big", DatasetInfo(shape=values.shape, dtype=values.dtype, chunks=(100, 100)), data=values
    )
    h = _reopen(h, path)
    assert (path / "blobs").is_dir()
    np.testing.assert_array_equal(h.read("/big"), values)
    np.testing.assert_array_equal(
        h.read("/big", (slice(150, 250), slice(50, 60))), values[150:250, 50:60]
    )
    handle = h.dataset("/big")
    assert handle.shape == (400, 300) and len(handle) == 400 and handle.ndim == 2
    np.testing.assert_array_equal(np.asarray(handle)[3], values[3])


def test_scalars_strings_references(hierarchy: Hierarchy, tmp_path: Path) -> None:
    h = hierarchy
    h.create_dataset("/i", DatasetInfo(shape=(), dtype=np.dtype("i4")), data=5)
    h.create_dataset(
        "/u",
        DatasetInfo(shape=(), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING),
        data="héllo",
    )
    h.create_dataset(
        "/strs",
        DatasetInfo(shape=(3,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING),
        data=["a", "bb", "ccc"],
    )
    h.create_dataset(
        "/refs",
        DatasetInfo(shape=(2,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE),
        data=[Reference("/i"), Reference("/strs")],
    )
    h.create_dataset("/fixed", DatasetInfo(shape=(2,), dtype=np.dtype("S3")), data=[b"abc", b"de"])
    h = _reopen(h, tmp_path / "h.lindi.d")
    assert h.read("/i") == 5 and h.read("/i", ()) == 5
    assert h.read("/u", ()) == "héllo"
    assert list(h.read("/strs")) == ["a", "bb", "ccc"]
    assert [r.path for r in h.read("/refs")] == ["/i", "/strs"]
    assert h.node("/refs").dataset.kind is DataKind.REFERENCE  # type: ignore[union-attr]
    assert list(h.read("/fixed")) == [b"abc", b"de"]
    with pytest.raises(ValueError, match="scalar"):
        h.read("/i", 0)


def test_soft_links_are_followed_and_dangling_ones_named(hierarchy: Hierarchy) -> None:
    h = hierarchy
    h.create_dataset("/g/x", DatasetInfo(shape=(3,), dtype=np.dtype("f4")), data=[1, 2, 3])
    h.create_soft_link("/alias", "/g")
    h.create_soft_link("/alias2", "/alias/x")
    assert h.node("/alias").kind is NodeKind.SOFT_LINK  # type: ignore[union-attr]
    assert h.resolve("/alias/x").path == "/g/x"  # type: ignore[union-attr]
    np.testing.assert_array_equal(h.read("/alias2"), [1, 2, 3])
    h.create_soft_link("/dangling", "/nowhere")
    with pytest.raises(KeyError, match=r"dangling.*nowhere"):
        h.resolve("/dangling")
    h.create_soft_link("/loop1", "/loop2")
    h.create_soft_link("/loop2", "/loop1")
    with pytest.raises(RuntimeError, match="too many soft links"):
        h.resolve("/loop1")


def test_resize_within_maxshape(hierarchy: Hierarchy) -> None:
    h = hierarchy
    info = DatasetInfo(shape=(4,), dtype=np.dtype("i8"), chunks=(2,), maxshape=(None,))
    h.create_dataset("/grow", info, data=[1, 2, 3, 4])
    h.resize("/grow", (6,))
    h.write("/grow", slice(4, 6), [5, 6])
    np.testing.assert_array_equal(h.read("/grow"), [1, 2, 3, 4, 5, 6])
    assert h.dataset("/grow").info.maxshape == (None,)
    fixed = DatasetInfo(shape=(2,), dtype=np.dtype("i8"), chunks=(2,))
    h.create_dataset("/fixed", fixed, data=[1, 2])
    with pytest.raises(LindiShapeError, match="maxshape"):
        h.resize("/fixed", (3,))


@pytest.mark.parametrize("dtype", ["<i4", "<f8"])
def test_shrink_then_grow_shows_the_fill_value_like_h5py(
    hierarchy: Hierarchy, tmp_path: Path, dtype: str
) -> None:
    values = np.arange(60).reshape(10, 6).astype(dtype)
    steps = [(7, 4), (10, 6), (3, 6), (9, 5)]
    with h5py.File(tmp_path / "ref.h5", "w") as f:
        d = f.create_dataset("d", data=values, chunks=(4, 4), maxshape=(None, None), fillvalue=-1)
        expected = []
        for shape in steps:
            d.resize(shape)
            expected.append(d[...])
    info = DatasetInfo(
        shape=values.shape, dtype=values.dtype, chunks=(4, 4), maxshape=(None, None), fillvalue=-1
    )
    hierarchy.create_dataset("/d", info, data=values)
    for shape, want in zip(steps, expected, strict=True):
        hierarchy.resize("/d", shape)
        np.testing.assert_array_equal(hierarchy.read("/d"), want)


def test_shape_mismatch_and_read_only(hierarchy: Hierarchy, tmp_path: Path) -> None:
    h = hierarchy
    h.create_dataset("/d", DatasetInfo(shape=(4,), dtype=np.dtype("f8")), data=np.zeros(4))
    with pytest.raises(LindiShapeError, match="shape"):
        h.write("/d", slice(0, 2), [1.0, 2.0, 3.0])
    h.write("/d", slice(0, 2), 7.0)  # broadcast, like h5py
    np.testing.assert_array_equal(h.read("/d"), [7, 7, 0, 0])
    ro = _reopen(h, tmp_path / "h.lindi.d", mode="r")
    with pytest.raises(LindiReadOnlyError):
        ro.create_group("/new")
    with pytest.raises(LindiReadOnlyError):
        ro.write("/d", 0, 1.0)


def test_delete(hierarchy: Hierarchy) -> None:
    h = hierarchy
    h.create_dataset("/g/d", DatasetInfo(shape=(2,), dtype=np.dtype("i2")), data=[1, 2])
    h.delete("/g")
    assert h.node("/g") is None and h.children("/") == []
    with pytest.raises(KeyError, match="/g"):
        h.delete("/g")


def test_external_array_link_reads_the_hdf5_dataset(hierarchy: Hierarchy, tmp_path: Path) -> None:
    h5_path = tmp_path / "ext.h5"
    values = np.arange(50, dtype="u2").reshape(5, 10)
    with h5py.File(h5_path, "w") as f:
        f.create_dataset("grp/data", data=values)
    info = DatasetInfo(
        shape=(5, 10),
        dtype=values.dtype,
        external_array_link=ExternalArrayLink(url=str(h5_path), name="/grp/data"),
    )
    hierarchy.create_dataset("/linked", info)
    np.testing.assert_array_equal(
        hierarchy.read("/linked", (slice(1, 3), slice(None))), values[1:3]
    )
    with pytest.raises(LindiReadOnlyError, match="external"):
        hierarchy.write("/linked", 0, 1)
    hierarchy.close()


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(0, 6), min_size=1, max_size=3).map(tuple),
    chunk_seed=st.integers(1, 4),
    dtype=st.sampled_from(["i1", "<u4", "<f8", "|b1"]),
)
def test_round_trip_any_shape_and_chunking(
    tmp_path_factory: pytest.TempPathFactory, shape: tuple[int, ...], chunk_seed: int, dtype: str
) -> None:
    path = tmp_path_factory.mktemp("rt") / "x.lindi.d"
    h = Hierarchy(LindiStore.open(path, mode="w"))
    values = (np.arange(int(np.prod(shape))) % 7).astype(dtype).reshape(shape)
    chunks = tuple(max(1, min(n, chunk_seed)) for n in shape)
    h.create_dataset("/v", DatasetInfo(shape=shape, dtype=values.dtype, chunks=chunks), data=values)
    h = _reopen(h, path)
    out = h.read("/v")
    assert out.shape == shape and out.dtype == values.dtype
    np.testing.assert_array_equal(out, values)
    h.store.close()


@st.composite
def _slices(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[slice, ...]:
    out = []
    for n in shape:
        first = draw(st.integers(0, n - 1))
        out.append(slice(first, draw(st.integers(first + 1, n))))
    return tuple(out)


@settings(deadline=None, max_examples=40)
@given(data=st.data(), chunks=st.sampled_from([(2, 3), (4, 4), (1, 5), (7, 2)]))
def test_partial_writes_match_numpy(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, chunks: tuple[int, int]
) -> None:
    """Blocks on the chunk grid are encoded straight into packs, others go through zarr (which
    reads the packed chunks it merges); either way the file holds what numpy holds."""
    shape = (9, 10)
    path = tmp_path_factory.mktemp("pw") / "x.lindi.tar"
    h = Hierarchy(LindiStore.open(path, mode="w", inline_threshold=1))  # every chunk a blob
    expected = np.zeros(shape, dtype="<f8")
    h.create_dataset("/v", DatasetInfo(shape=shape, dtype=expected.dtype, chunks=chunks))
    for step in range(data.draw(st.integers(1, 4))):
        selection = data.draw(_slices(shape))
        block = np.full([s.stop - s.start for s in selection], step + 1.0)
        block += np.arange(block.size).reshape(block.shape)
        h.write("/v", selection, block)
        expected[selection] = block
        np.testing.assert_array_equal(h.read("/v"), expected)
    h = _reopen(h, path)
    np.testing.assert_array_equal(h.read("/v"), expected)
    h.store.close()


def test_aligned_block_write_is_one_pack(tmp_path: Path) -> None:
    path = tmp_path / "p.lindi.tar"
    h = Hierarchy(LindiStore.open(path, mode="w"))
    values = np.random.default_rng(0).normal(size=(200, 64))  # does not compress much
    h.create_dataset("/d", DatasetInfo(shape=(400, 64), dtype=values.dtype, chunks=(20, 64)))
    h.write("/d", (slice(200, 400), slice(None)), values)  # 10 chunks of 10,240 bytes
    refs = [h.store.reference_map.get_raw(f"d/{i}.0") for i in range(10, 20)]
    assert {ref[0] for ref in refs} == {"./blobs/d/pack-10.0-10"}
    assert h.store.reference_map.get_raw("d/0.0") is None  # not written: fill value
    h = _reopen(h, path)
    np.testing.assert_array_equal(h.read("/d", slice(200, 400)), values)
    np.testing.assert_array_equal(h.read("/d", slice(0, 200)), 0)
    h.store.close()


def test_object_datasets_by_integer_index_and_in_blobs(tmp_path: Path) -> None:
    path = tmp_path / "blobs.lindi.d"
    h = Hierarchy(LindiStore.open(path, mode="w", inline_threshold=0))
    refs = DatasetInfo(shape=(3,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE)
    h.create_group("/g")
    h.create_dataset("/refs", refs, data=[Reference("/g"), Reference("/g"), Reference("/refs")])
    strs = DatasetInfo(shape=(2, 2), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    h.create_dataset("/strs", strs, data=[["a", "b"], ["c", "d"]])
    compound = np.dtype([("i", "<i4"), ("r", h5py.ref_dtype)])
    info = DatasetInfo(
        shape=(2,),
        dtype=compound,
        kind=DataKind.COMPOUND,
        compound_fields=(("i", "int32"), ("r", "<REFERENCE>")),
    )
    h.create_dataset(
        "/table",
        info,
        data=np.array([(1, Reference("/g")), (2, Reference("/refs"))], dtype=compound),
    )
    h.write("/strs", (1, 0), "z")
    h.write("/refs", 1, Reference("/strs"))
    # object chunks are written inline; files made elsewhere may hold them as blobs: move the
    # reference chunk into a blob file so the kind must be told from the blob's bytes
    rmap = h.store.reference_map
    inline = rmap.resolve("refs/0")
    assert inline is not None and hasattr(inline, "data")
    blob = tmp_path / "refs-chunk.bin"
    blob.write_bytes(inline.data)
    rmap.set_url("refs/0", str(blob), 0, len(inline.data))
    h = _reopen(h, path)
    assert isinstance(h.store.reference_map.get_raw("refs/0"), list)
    assert h.node("/refs").dataset.kind is DataKind.REFERENCE  # type: ignore[union-attr]
    assert h.read("/refs", 1) == Reference("/strs")
    assert [r.path for r in h.read("/refs", slice(0, 3, 2))] == ["/g", "/refs"]
    assert h.read("/strs", (1, 0)) == "z"
    assert list(h.read("/strs", (slice(None), 1))) == ["b", "d"]
    row = h.read("/table", 1)
    assert row["i"] == 2 and row["r"] == Reference("/refs")
    assert list(h.read("/table", slice(0, 2))["i"]) == [1, 2]


def test_indexing_every_axis_gives_a_scalar_like_h5py(hierarchy: Hierarchy) -> None:
    values = np.arange(6, dtype="<i2").reshape(2, 3)
    hierarchy.create_dataset(
        "/d", DatasetInfo(shape=(2, 3), dtype=values.dtype, chunks=(1, 3)), data=values
    )
    item = hierarchy.read("/d", (1, 2))
    assert isinstance(item, np.int16) and item == 5
    strs = DatasetInfo(shape=(2,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    hierarchy.create_dataset("/s", strs, data=["a", "b"])
    assert hierarchy.read("/s", 1) == "b" and isinstance(hierarchy.read("/s", 1), str)


def test_reads_return_arrays_the_caller_owns(hierarchy: Hierarchy) -> None:
    hierarchy.create_dataset("/a", DatasetInfo(shape=(4,), dtype=np.dtype("i4")), data=[1, 2, 3, 4])
    first = hierarchy.read("/a")
    first[0] = 999
    part = hierarchy.read("/a", slice(0, 2))
    part[1] = 999
    np.testing.assert_array_equal(hierarchy.read("/a"), [1, 2, 3, 4])
    assert np.asarray(hierarchy.dataset("/a")).flags.writeable


def test_external_array_link_in_a_remote_file_cannot_read_local_files(tmp_path: Path) -> None:
    from hdmf_lindi.errors import LindiSecurityError
    from hdmf_lindi.storage.reference_map import ReferenceMap
    from tests.helpers.http_server import serve_directory

    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f.create_dataset("x", data=np.arange(5))
    served = tmp_path / "served"
    served.mkdir()
    writer = Hierarchy(LindiStore.open(served / "evil.lindi.json", mode="w"))
    info = DatasetInfo(
        shape=(5,),
        dtype=np.dtype("<i8"),
        external_array_link=ExternalArrayLink(url=str(secret), name="/x"),
    )
    writer.create_dataset("/leak", info)
    writer.flush()
    writer.store.close()
    assert ReferenceMap.load(served / "evil.lindi.json").get_json("leak/.zattrs")
    with serve_directory(served) as server:
        remote = Hierarchy(LindiStore.open(server.url_for("evil.lindi.json"), mode="r"))
        with pytest.raises(LindiSecurityError):
            remote.read("/leak")


def test_remote_chunk_reads_are_coalesced_into_few_requests(tmp_path: Path) -> None:
    from tests.helpers.http_server import serve_directory

    path = tmp_path / "chunks.lindi.tar"
    writer = Hierarchy(LindiStore.open(path, mode="w"))
    values = np.random.default_rng(5).normal(size=(32, 8192))  # 32 chunks of 64 KiB
    info = DatasetInfo(shape=values.shape, dtype=values.dtype, chunks=(1, 8192))
    writer.create_dataset("/x", info, data=values)
    writer.flush()
    writer.store.close()
    with serve_directory(tmp_path) as server:
        reader = Hierarchy(LindiStore.open(server.url_for(path.name), mode="r"))
        server.requests.clear()
        np.testing.assert_array_equal(reader.read("/x"), values)
        gets = [r for r in server.requests if r.method == "GET"]
        # zarr issues one get per chunk; all 32 are in flight together and coalesced
        assert 1 <= len(gets) <= 2, len(gets)


_INDEX = st.integers(-40, 39)
_SLICE = st.builds(slice, st.none() | st.integers(-45, 45), st.none() | st.integers(-45, 45))
_AXIS = st.one_of(_INDEX, _SLICE)


@pytest.fixture(scope="module")
def read_only_chunked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hierarchy]:
    path = tmp_path_factory.mktemp("slabs") / "s.lindi.d"
    store = LindiStore.open(path, mode="w")
    h = Hierarchy(store)
    info = DatasetInfo(kind=DataKind.NUMERIC, shape=(40, 30), dtype=np.dtype("<i4"), chunks=(7, 8))
    h.create_dataset("/a", info, _SLAB_VALUES)
    h.flush()
    store.close()
    reader = LindiStore.open(path, mode="r")
    yield Hierarchy(reader)
    reader.close()


_SLAB_VALUES = np.arange(40 * 30, dtype="<i4").reshape(40, 30)


@settings(max_examples=300, deadline=None)
@given(st.lists(_AXIS, min_size=1, max_size=2))
def test_read_only_reads_through_the_block_cache_equal_numpy(
    read_only_chunked: Hierarchy, selection: list[object]
) -> None:
    """Reads of a read-only dataset served from cached chunk-aligned blocks give what numpy
    gives for the same selection, errors included."""
    key = tuple(selection)
    try:
        expected = _SLAB_VALUES[key]
    except IndexError:
        with pytest.raises(IndexError):
            read_only_chunked.read("/a", key)
        return
    got = read_only_chunked.read("/a", key)
    np.testing.assert_array_equal(got, expected)
    assert np.shape(got) == np.shape(expected)


_NAMES = st.sampled_from(["/a", "/b", "/a/c", "/b/c", "/l", "/a/l"])
_OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["group", "link", "delete", "move", "copy", "reference", "unreference", "references"]
        ),
        _NAMES,
        _NAMES,
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(operations=_OPERATIONS)
@example(operations=[("group", "/a", "/a"), ("reference", "/a", "/a"), ("delete", "/a", "/a")])
@example(operations=[("group", "/a", "/a"), ("link", "/b", "/a"), ("references", "/b/c", "/a")])
@example(
    operations=[
        ("group", "/a", "/a"),
        ("group", "/b", "/b"),
        ("reference", "/a", "/b"),
        ("unreference", "/a", "/a"),
        ("link", "/l", "/a"),
        ("move", "/a", "/b/c"),
        ("delete", "/b", "/b"),
    ]
)
def test_link_and_reference_indexes_follow_every_change(
    tmp_path_factory: pytest.TempPathFactory, operations: list[tuple[str, str, str]]
) -> None:
    """The soft links and the objects holding references that a hierarchy keeps up to date
    (deletes and moves use them instead of walking the file) equal those a new hierarchy finds
    by walking, after any sequence of h5py-view changes (deletes that move objects to links,
    moves and copies that repoint references, failures)."""
    from hdmf_lindi import LindiH5pyFile

    path = tmp_path_factory.mktemp("links") / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        hierarchy = f._hierarchy
        hierarchy.soft_links()
        for operation, name, other in operations:
            try:
                if operation == "group":
                    f.create_group(name).create_dataset("d", data=[1, 2])
                elif operation == "link":
                    f[name] = h5py.SoftLink(other)
                elif operation == "delete":
                    del f[name]
                elif operation == "move":
                    f.move(name, other)
                elif operation == "reference":
                    f[name].attrs["r"] = f[other].ref
                elif operation == "unreference":
                    del f[name].attrs["r"]
                elif operation == "references":
                    f.create_dataset(name + "/refs", data=[f[other].ref], dtype=h5py.ref_dtype)
                else:
                    f.copy(name, other)
            except (KeyError, ValueError, TypeError, OSError, RuntimeError):
                pass
            walked = Hierarchy(hierarchy.store)
            assert hierarchy.soft_links() == walked.soft_links()
            assert hierarchy.reference_holders() == walked.reference_holders()


def test_a_failed_index_walk_leaves_no_partial_index(tmp_path: Path) -> None:
    """When the walk that builds the indexes fails part-way (a malformed object), nothing of
    it is kept: a retried delete fails again instead of trusting a partial index and losing
    the object a second name still needs."""
    import json

    from hdmf_lindi import LindiH5pyFile
    from hdmf_lindi.errors import LindiFormatError

    path = tmp_path / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, "w") as f:
        f.create_group("g").attrs["v"] = 1
        f["zz_hard"] = f["g"]  # a second name, kept as a soft link to /g
        f.create_group("m")
    document = json.loads(path.read_text())
    document["refs"]["m/.zattrs"] = [1, 2]  # between /g and /zz_hard in walk order
    path.write_text(json.dumps(document))
    with LindiH5pyFile.from_lindi_file(path, "r+") as f:
        for _ in range(2):
            with pytest.raises(LindiFormatError, match=r"m/\.zattrs"):
                del f["g"]
        assert f["zz_hard"].attrs["v"] == 1
        assert f["g"].attrs["v"] == 1


def test_nothing_is_reached_below_a_dataset(tmp_path: Path) -> None:
    """Metadata a document keeps below a dataset is out of reach, as nothing is below an HDF5
    dataset (h5py raises KeyError for ``f["ds/x"]``)."""
    import json

    from hdmf_lindi import LindiH5pyFile

    zarray = {
        "zarr_format": 2,
        "shape": [1],
        "chunks": [1],
        "dtype": "<i8",
        "order": "C",
        "compressor": None,
        "filters": None,
        "fill_value": 0,
    }
    refs = {
        ".zgroup": {"zarr_format": 2},
        ".zattrs": {},
        "ds/.zarray": zarray,
        "ds/.zattrs": {},
        "ds/x/.zgroup": {"zarr_format": 2},
        "ds/x/.zattrs": {"hidden": 1},
    }
    path = tmp_path / "x.lindi.json"
    path.write_text(json.dumps({"version": 1, "refs": refs}))
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert f["ds"].shape == (1,)
        with pytest.raises(KeyError, match="ds/x"):
            f["ds/x"]
        assert "ds/x" not in f
    hierarchy = Hierarchy(LindiStore.open(path))
    assert hierarchy.resolve("/ds/x") is None
    assert hierarchy.node("/ds/x") is not None  # there, but not reached through the dataset
