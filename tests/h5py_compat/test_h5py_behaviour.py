"""LindiH5pyFile answers every h5py question the way h5py.File does, on the same content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h5py
import numpy as np
import pytest

from tests.h5py_compat.compare import attr_normalized, kind, normalized

DATASETS = [
    "data/float",
    "data/int2d",
    "data/uint3d",
    "data/scalar_float",
    "data/scalar_int",
    "data/scalar_str",
    "data/fixed_bytes",
    "data/vlen_str",
    "data/bools",
    "data/empty",
    "data/growable",
    "data/filled",
    "data/refs",
    "data/compound",
]


def _visit_names(f: Any) -> list[str]:
    names: list[str] = []
    f.visit(names.append)
    return names


def _visititems(f: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    f.visititems(lambda name, obj: items.append((name, kind(obj))))
    return items


def _visit_links(f: Any) -> list[str]:
    names: list[str] = []
    f.visit_links(names.append)
    return names


def _attrs(path: str) -> Callable[[Any], Any]:
    def read(f: Any) -> Any:
        attrs = f[path].attrs
        return (
            list(attrs),
            list(attrs.keys()),
            {k: attr_normalized(f, attrs[k]) for k in attrs},
            len(attrs),
            sorted(k for k, _ in attrs.items()),
            "title" in attrs,
            normalized(f, attrs.get("missing", "default")),
        )

    return read


def _properties(path: str) -> Callable[[Any], Any]:
    def read(f: Any) -> Any:
        ds = f[path]
        return (
            ds.shape,
            ds.dtype,
            ds.ndim,
            ds.size,
            ds.maxshape,
            normalized(f, ds.fillvalue),
            h5py.check_dtype(vlen=ds.dtype),
            h5py.check_dtype(ref=ds.dtype),
            h5py.check_string_dtype(ds.dtype),
            ds.name,
            ds.parent.name,
            kind(ds.parent),
            ds.file.filename == f.filename,
        )

    return read


def _whole(path: str) -> Callable[[Any], Any]:
    def read(f: Any) -> Any:
        ds = f[path]
        return normalized(f, ds[()]), normalized(f, ds[...]), normalized(f, np.array(ds))

    return read


def _chunk_layout(f: Any) -> Any:
    return [
        (f[p].chunks, f[p].compression, f[p].compression_opts)
        for p in ("data/float", "data/int2d", "data/growable", "data/filled")
    ]


def _selections(f: Any) -> Any:
    ds1 = f["data/float"]
    ds2 = f["data/int2d"]
    ds3 = f["data/uint3d"]
    mask = np.zeros(100, dtype=bool)
    mask[[1, 5, 50]] = True
    mask2 = f["data/int2d"][()] % 7 == 0
    return [
        normalized(f, value)
        for value in (
            ds1[0],
            ds1[-1],
            ds1[2:10:3],
            ds1[[1, 3, 5]],
            ds1[np.array([4, 8])],
            ds1[mask],
            ds1[90:],
            ds1[:0],
            ds2[3],
            ds2[:, 3],
            ds2[5:, ::4],
            ds2[..., 2],
            ds2[1:3, [0, 2, 29]],
            ds2[mask2],
            ds3[1, 2],
            ds3[:, 1:3, ::2],
            ds3[..., -1],
            ds3[np.int64(2)],
        )
    ]


def _strings(f: Any) -> Any:
    vlen = f["data/vlen_str"]
    fixed = f["data/fixed_bytes"]
    scalar = f["data/scalar_str"]
    return [
        normalized(f, v)
        for v in (
            vlen[0],
            vlen[1:3],
            vlen.asstr()[:],
            vlen.asstr()[2],
            fixed[:],
            fixed[1],
            fixed.asstr()[:],
            scalar[()],
            scalar.asstr()[()],
            vlen.astype("T")[:].tolist(),
        )
    ]


def _astype(f: Any) -> Any:
    ds = f["data/int2d"]
    return [
        normalized(f, ds.astype("f4")[2:4, 1]),
        normalized(f, np.asarray(ds.astype("i8"))[0, :3]),
        ds.astype("f4").dtype,
        ds.astype("f4").shape,
    ]


def _compound(f: Any) -> Any:
    ds = f["data/compound"]
    row = ds[1]
    return [
        ds.dtype.names,
        normalized(f, ds["idx"]),
        normalized(f, ds["val", 1:]),
        normalized(f, ds[0:2, "val"]),
        normalized(f, ds["r"]),
        normalized(f, ds[["idx", "val"]] if False else ds.fields(["idx", "val"])[:]),
        normalized(f, ds.fields("val")[::2]),
        normalized(f, row),
        f[row["r"]].name,
        [h5py.check_dtype(ref=ds.dtype[i]) for i in range(len(ds.dtype))],
    ]


def _references(f: Any) -> Any:
    refs = f["data/refs"]
    first = refs[0]
    return [
        isinstance(first, h5py.Reference),
        f[first].name,
        kind(f[first]),
        [f[r].name for r in refs[:]],
        f[f.attrs["ref_attr"]].name,
        f[f["grp"].attrs["ref_to_float"]].name,
        f[f["data/float"].ref].name,
        f[f["grp"].ref].name,
        f[f["data/float"].ref] == f["data/float"],
        f[f.ref].name,
    ]


def _iteration_and_len(f: Any) -> Any:
    return [
        len(f),
        list(f),
        list(f.keys()),
        [kind(v) for v in f.values()],
        [(k, kind(v)) for k, v in f["grp"].items()],
        len(f["data/float"]),
        f["data/int2d"].len(),
        [normalized(f, row) for row in f["data/uint3d"]],
        list(reversed(f["data"])),
    ]


def _membership(f: Any) -> Any:
    return [
        "grp" in f,
        "grp/sub" in f,
        "/grp/sub/deeper" in f,
        "soft" in f,
        "soft/sub" in f,
        "nothing" in f,
        "grp/nothing" in f,
        "link_to_float" in f["grp"],
        "deeper" in f["grp/sub"],
    ]


def _get(f: Any) -> Any:
    return [
        f.get("nothing"),
        f.get("nothing", 42),
        kind(f.get("grp")),
        f.get("data/float", getclass=True),
        f.get("grp", getclass=True),
        type(f.get("soft", getlink=True)).__mro__[-2].__name__,
        isinstance(f.get("soft", getlink=True), h5py.SoftLink),
        f.get("soft", getlink=True).path,
        isinstance(f.get("grp", getlink=True), h5py.HardLink),
        f.get("soft", getlink=True, getclass=True),
        f.get("grp", getlink=True, getclass=True),
        f["grp"].get("link_to_float", getlink=True).path,
    ]


def _links_and_names(f: Any) -> Any:
    soft = f["soft"]
    return [
        soft.name,
        kind(soft),
        sorted(soft.keys()),
        soft == f["grp"],
        hash(soft) == hash(f["grp"]),
        f["grp/link_to_float"].name,
        normalized(f, f["grp/link_to_float"][:3]),
        f["soft/sub/deeper"].name,
        f["soft"]["sub"]["deeper"].attrs["level"],
        f["grp/sub/deeper"].parent.name,
        f["grp"].parent.name,
        f.name,
        f["/"].name,
        f["/"] == f,
        f["data"]["float"] == f["data/float"],
        f["data/float"] != f["data/int2d"],
        bool(f),
        bool(f["grp"]),
        f["grp"].file == f,
        f.parent.name,
        f["grp/sub/../sub/deeper"].name if False else f["grp/sub/deeper"].name,
        f.mode,
    ]


def _iter_chunks(f: Any) -> Any:
    return [
        list(f["data/float"].iter_chunks()),
        list(f["data/int2d"].iter_chunks((slice(3, 12), slice(8, 22)))),
    ]


def _read_direct(f: Any) -> Any:
    out = np.zeros((4, 5), dtype="i2")
    f["data/int2d"].read_direct(out, np.s_[1:5, 2:7], np.s_[:, :])
    return normalized(f, out)


OPERATIONS: dict[str, Callable[[Any], Any]] = {
    "visit": _visit_names,
    "visititems": _visititems,
    "visit_links": _visit_links,
    "root attrs": _attrs("/"),
    "group attrs": _attrs("grp"),
    "dataset attrs": _attrs("data/float"),
    "selections": _selections,
    "strings": _strings,
    "astype": _astype,
    "compound": _compound,
    "references": _references,
    "iteration and len": _iteration_and_len,
    "membership": _membership,
    "get": _get,
    "links and names": _links_and_names,
    "read_direct": _read_direct,
}
OPERATIONS.update({f"properties {p}": _properties(p) for p in DATASETS})
OPERATIONS.update({f"whole {p}": _whole(p) for p in DATASETS})


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_same_answer_as_h5py(operation: str, h5_file: h5py.File, lindi_file: Any) -> None:
    run = OPERATIONS[operation]
    expected = run(h5_file)
    actual = run(lindi_file)
    assert actual == expected


def test_isinstance_checks(lindi_file: Any) -> None:
    assert isinstance(lindi_file, h5py.File)
    assert isinstance(lindi_file, h5py.Group)
    assert isinstance(lindi_file["grp"], h5py.Group)
    assert not isinstance(lindi_file["grp"], h5py.File)
    assert isinstance(lindi_file["data/float"], h5py.Dataset)
    assert isinstance(lindi_file["data/refs"][0], h5py.Reference)
    assert isinstance(lindi_file.attrs, h5py.AttributeManager)


def test_ids_are_stable_keys(lindi_file: Any) -> None:
    cache = {lindi_file["data/float"].id: "float"}
    assert cache[lindi_file["grp/link_to_float"].id] == "float"
    assert lindi_file["data/float"].id.valid
    assert lindi_file["data/float"].id != lindi_file["data/int2d"].id


def test_scalar_dataset_rejects_len_and_iteration(lindi_file: Any) -> None:
    with pytest.raises(TypeError):
        len(lindi_file["data/scalar_float"])
    with pytest.raises(TypeError):
        iter(lindi_file["data/scalar_float"]).__next__()


def test_missing_names_raise_key_error(lindi_file: Any) -> None:
    with pytest.raises(KeyError, match="nothing"):
        lindi_file["nothing"]
    with pytest.raises(KeyError):
        lindi_file["grp/nothing/deeper"]


def test_closed_file(h5_path: Any) -> None:
    from hdmf_lindi.h5py_compat import LindiH5pyFile

    f = LindiH5pyFile.from_hdf5_file(h5_path)
    ds = f["data/float"]
    f.close()
    assert not f
    assert not ds.id.valid
    with pytest.raises(ValueError, match="closed"):
        ds[0]
    f.close()


@pytest.mark.parametrize("operation", [_chunk_layout, _iter_chunks])
def test_written_layout_as_h5py(
    operation: Callable[[Any], Any], h5_file: h5py.File, written_lindi_path: Any
) -> None:
    """Chunking and compression given to create_dataset are kept (a translated file may
    consolidate small datasets into one inline chunk, so only written files are compared)."""
    from hdmf_lindi.h5py_compat import LindiH5pyFile

    with LindiH5pyFile.from_lindi_file(written_lindi_path) as f:
        assert operation(f) == operation(h5_file)
