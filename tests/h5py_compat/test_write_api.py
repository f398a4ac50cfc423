"""Writes through the h5py API give the same file content as h5py gives (apply the same
operations to an h5py.File and to a LindiH5pyFile, then compare everything)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.conventions.model import SoftLink
from hdmf_lindi.h5py_compat import LindiH5pyFile
from tests.h5py_compat._paths import absolute_link_target
from tests.h5py_compat.compare import attr_normalized, kind, normalized


def snapshot(f: Any) -> dict[str, Any]:
    """Every link of the file: its kind, attributes and values."""
    out: dict[str, Any] = {}

    def visit(name: str) -> None:
        link = f.get(name, getlink=True)
        if isinstance(link, h5py.SoftLink):
            # LINDI stores soft links with absolute targets (resolved when created)
            out[name] = ("soft", absolute_link_target(name, link.path))
            return
        if isinstance(link, h5py.ExternalLink):
            out[name] = ("external", link.filename, link.path)
            return
        obj = f[name]
        entry: dict[str, Any] = {
            "kind": kind(obj),
            "attrs": {k: attr_normalized(f, obj.attrs[k]) for k in sorted(obj.attrs)},
        }
        if isinstance(obj, h5py.Dataset):
            entry.update(
                shape=obj.shape,
                dtype=str(obj.dtype),
                ref=h5py.check_dtype(ref=obj.dtype),
                string=h5py.check_string_dtype(obj.dtype),
                maxshape=obj.maxshape,
                values=normalized(f, obj[()]),
            )
        out[name] = entry

    f.visit_links(visit)
    out["/attrs"] = {k: attr_normalized(f, f.attrs[k]) for k in sorted(f.attrs)}
    return out


def _datasets_from_values(f: Any) -> None:
    f["direct"] = np.arange(4, dtype="i4")
    f["direct_str"] = "hello"
    f.create_dataset("from_list", data=[[1.5, 2.5], [3.5, 4.5]])
    f.create_dataset("reshaped", shape=(2, 3), data=np.arange(6))
    f.create_dataset("cast", data=np.arange(5), dtype="u2")
    f.create_dataset("bytes", data=np.array([b"x", b"yz"]))
    f.create_dataset("like", data=np.ones(3)).attrs["a"] = 1
    f.create_dataset_like("like_copy", f["like"])


def _partial_writes(f: Any) -> None:
    ds = f.create_dataset("grid", shape=(6, 5), dtype="f8", chunks=(2, 2), fillvalue=-1.0)
    ds[0] = np.arange(5)
    ds[1:4, 2] = [7.0, 8.0, 9.0]
    ds[4, ::2] = 3.0
    ds[5, [0, 3]] = [11.0, 12.0]
    ds[..., 4] = 0.5
    scalar = f.create_dataset("scalar", shape=(), dtype="i8")
    scalar[()] = 42
    flags = f.create_dataset("flags", data=np.zeros(6, dtype=bool))
    flags[np.array([True, False, True, False, False, True])] = True


def _resize(f: Any) -> None:
    ds = f.create_dataset("grow", data=np.arange(3, dtype="i4"), maxshape=(None,), chunks=(2,))
    ds.resize((7,))
    ds[3:] = [30, 40, 50, 60]
    two = f.create_dataset("grow2", shape=(2, 2), dtype="f4", maxshape=(None, 4), chunks=True)
    two.resize(3, axis=0)
    two.resize(4, axis=1)
    two[...] = np.arange(12, dtype="f4").reshape(3, 4)
    shrink = f.create_dataset("shrink", data=np.arange(10), maxshape=(None,), chunks=(4,))
    shrink.resize((6,))


def _groups_links_and_deletes(f: Any) -> None:
    g = f.create_group("a/b/c")
    g.attrs["deep"] = True
    assert f.require_group("a/b") == f["a/b"]
    f.require_group("fresh").attrs["x"] = "y"
    f["a"]["link_abs"] = h5py.SoftLink("/a/b/c")
    f["a/b"]["link_rel"] = h5py.SoftLink("c")
    f["ext"] = h5py.ExternalLink("other.h5", "/data")
    f.create_dataset("a/values", data=np.arange(3.0))
    f["a/b/c"].create_dataset("via_link", data=[1, 2])
    f["a/link_abs"].attrs["through_link"] = 1
    f.create_group("doomed/child")
    del f["doomed"]
    f.attrs["kept"] = 1
    f.attrs["dropped"] = 2
    del f.attrs["dropped"]
    f["a/values"].attrs.create("typed", [1, 2, 3], dtype="i2")
    f["a/values"].attrs.modify("typed", [4, 5, 6])
    ds = f.require_dataset("a/values", shape=(3,), dtype="f8")
    ds.attrs["required"] = "yes"


def _references(f: Any) -> None:
    target = f.create_group("target")
    target.attrs["object_id"] = "11111111-2222-4333-8444-555555555555"
    data = f.create_dataset("data", data=np.arange(3))
    f.attrs["ref"] = target.ref
    f.attrs["refs"] = np.array([target.ref, data.ref], dtype=h5py.ref_dtype)
    scalar = f.create_dataset("scalar_ref", shape=(), dtype=h5py.ref_dtype)
    scalar[()] = data.ref
    table = f.create_dataset(
        "table", shape=(2,), dtype=np.dtype([("n", "<i8"), ("who", h5py.ref_dtype)])
    )
    table[:] = [(1, target.ref), (2, data.ref)]
    many = f.create_dataset("many_refs", shape=(300,), dtype=h5py.ref_dtype, chunks=(100,))
    many[:] = [target.ref, data.ref, f["scalar_ref"].ref] * 100
    copy = f.create_dataset("ref_copy", data=f["table"]["who"], dtype=h5py.ref_dtype)
    copy.attrs["of"] = "table/who"


def _strings(f: Any) -> None:
    f.create_dataset("vlen", data=["\u03b1", "bb", ""], dtype=h5py.string_dtype())
    vlen = f.create_dataset("vlen_later", shape=(3,), dtype=h5py.string_dtype())
    vlen[:] = ["one", "two", "three"]
    vlen[1] = "deux"
    f.attrs["strs"] = ["x", "yy"]
    f.attrs["str"] = "z"


def _copy_and_move(f: Any) -> None:
    src = f.create_group("src")
    src.attrs["origin"] = "src"
    src.create_dataset("d", data=np.arange(4.0), chunks=(2,), maxshape=(None,))
    src["d"].attrs["unit"] = "s"
    # relative: a copy's link points into the copy, in HDF5 and in LINDI (an absolute one
    # differs, see test_review_parity.test_absolute_link_inside_a_copy_points_into_the_copy)
    src["soft"] = h5py.SoftLink("d")
    f.copy("src", "copied")
    f.copy(f["src/d"], f, "d_copy")
    f.move("d_copy", "moved/d")


OPERATIONS: dict[str, Callable[[Any], None]] = {
    "datasets from values": _datasets_from_values,
    "partial writes": _partial_writes,
    "resize": _resize,
    "groups, links and deletes": _groups_links_and_deletes,
    "references": _references,
    "strings": _strings,
    "copy and move": _copy_and_move,
}


@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.tar"])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_writes_match_h5py(operation: str, suffix: str, tmp_path: Path) -> None:
    run = OPERATIONS[operation]
    with h5py.File(tmp_path / "expected.h5", "w") as h5:
        run(h5)
        expected = snapshot(h5)
    with LindiH5pyFile.from_lindi_file(tmp_path / f"actual{suffix}", mode="w") as lindi:
        run(lindi)
        assert snapshot(lindi) == expected  # before saving
    with LindiH5pyFile.from_lindi_file(tmp_path / f"actual{suffix}") as lindi:
        assert snapshot(lindi) == expected  # after saving and reopening


def test_hard_link_is_stored_as_soft_link(tmp_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json", mode="w") as f:
        f.create_dataset("data", data=np.arange(3))
        f["alias"] = f["data"]
        assert f["alias"] == f["data"]
        assert isinstance(f.get("alias", getlink=True), h5py.HardLink)
        assert f.hierarchy.node("/alias").link == SoftLink("/data", hard=True)  # type: ignore[union-attr]
        assert f["alias"][()].tolist() == [0, 1, 2]


def test_external_link_is_followed(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "other.h5", "w") as other:
        other.create_dataset("data", data=np.arange(5))
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json", mode="w") as f:
        f["ext"] = h5py.ExternalLink("other.h5", "/data")
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json") as f:
        link = f.get("ext", getlink=True)
        assert isinstance(link, h5py.ExternalLink)
        assert (link.filename, link.path) == ("other.h5", "/data")
        assert f["ext"][()].tolist() == [0, 1, 2, 3, 4]


def test_modes_a_and_x(tmp_path: Path) -> None:
    path = tmp_path / "a.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="a") as f:
        f.attrs["first"] = 1
        assert f.mode == "r+"
    with LindiH5pyFile.from_lindi_file(path, mode="a") as f:
        f.attrs["second"] = 2
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert dict(f.attrs) == {"first": 1, "second": 2}
        assert f.mode == "r"
    with pytest.raises(OSError, match="exists"):
        LindiH5pyFile.from_lindi_file(path, mode="x")


def test_from_zarr_store_and_reference_file_system_dict(tmp_path: Path) -> None:
    from hdmf_lindi.storage.store import LindiStore

    path = tmp_path / "s.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("x", data=np.arange(3))
    store = LindiStore.open(path, "r")
    f = LindiH5pyFile.from_zarr_store(store)
    assert f["x"][()].tolist() == [0, 1, 2]
    rfs = f.to_reference_file_system()
    f.close()
    store.close()
    g = LindiH5pyFile.from_reference_file_system(rfs, mode="r+")
    g["y"] = np.arange(2)
    assert sorted(g) == ["x", "y"]
    assert "y" not in LindiH5pyFile.from_reference_file_system(rfs)
    assert sorted(g.to_reference_file_system()["refs"]) != sorted(rfs["refs"])
    g.close()


def test_reference_dataset_stays_inline_in_a_tar(tmp_path: Path) -> None:
    path = tmp_path / "refs.lindi.tar"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        refs = []
        for i in range(60):
            group = f.create_group(f"group_{i:02d}_{'x' * (i % 7)}")
            group.attrs["object_id"] = f"{i:08d}-0000-4000-8000-{i * 7919:012d}"
            refs.append(group.ref)
        f.create_dataset("refs", shape=(60,), dtype=h5py.ref_dtype, chunks=(60,))[:] = refs
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert isinstance(f.store.reference_map.get_raw("refs/0"), str)  # inline, as lindi 0.4.6
        assert h5py.check_dtype(ref=f["refs"].dtype) is h5py.Reference
        assert [f[r].name for r in f["refs"][:]] == [f"/{n}" for n in sorted(f) if n != "refs"]


@pytest.mark.parametrize("suffix", [".lindi.tar", ".lindi.d"])
@pytest.mark.parametrize("after_close", [False, True])
def test_write_lindi_file_takes_staged_chunks_along(
    tmp_path: Path, suffix: str, after_close: bool
) -> None:
    """A .lindi.tar / .lindi.d written from a file with staged chunks holds them: it reads
    back equal once the staging area is gone."""
    from hdmf_lindi.storage.reference_map import ReferenceMap
    from hdmf_lindi.storage.staging import StagingArea
    from hdmf_lindi.storage.store import LindiStore

    data = np.random.default_rng(0).normal(size=20000)
    staging = StagingArea.create(tmp_path / "staging")
    f = LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json", mode="w", staging_area=staging)
    f.create_dataset("big", data=data, chunks=(1000,))
    f.create_dataset("g/small", data=np.arange(3))
    f.attrs["a"] = 1
    assert staging.staged_files()
    out = tmp_path / f"copy{suffix}"
    if after_close:
        f.close()
    f.write_lindi_file(out)
    if not after_close:
        f.close()
    assert staging.directory in (tmp_path / "x.lindi.json").read_text()  # the .json keeps them
    staging.cleanup()
    store = LindiStore.open(str(out))
    try:
        document: ReferenceMap = store.reference_map
        urls = [v[0] for k in document if isinstance(v := document.get_raw(k), list)]
        assert urls and all(u.startswith("./blobs/") for u in urls)
    finally:
        store.close()
    with LindiH5pyFile.from_lindi_file(out) as copy:
        np.testing.assert_array_equal(copy["big"][...], data)
        np.testing.assert_array_equal(copy["g/small"][...], np.arange(3))
        assert copy.attrs["a"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["x.lindi.json", "staging", f"copy{suffix}"]
    )
