"""The public API of h5py.File / Group / Dataset / AttributeManager called side by side on an
HDF5 file and on LINDI files (both conventions, writable and read-only): the same values and
exception types, and no method falling through to h5py's ``.id``-based code (findings of the
API-surface audit)."""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import LindiError, LindiH5pyFile, LindiUnsupportedError
from tests.h5py_compat.test_review_parity import assert_same, files, outcome

__all__ = ["files"]  # the fixture, re-exported for pytest

type Action = Callable[[Any], Any]


def _fill(f: Any) -> None:
    d = f.create_dataset(
        "d",
        data=np.arange(10, dtype="i4"),
        chunks=(4,),
        maxshape=(None,),
        compression="gzip",
        compression_opts=4,
        shuffle=True,
    )
    d.attrs["unit"] = "m"
    d.attrs["b"] = 1.5
    d.attrs["a"] = [1, 2]
    f.create_dataset("c", data=np.arange(12.0).reshape(3, 4))
    f.create_dataset("s", data=3.5)
    f.create_dataset("str", data=["a", "bb"], dtype=h5py.string_dtype())
    f.create_dataset("cmp", data=np.array([(1, 2.0), (3, 4.0)], dtype=[("x", "i4"), ("y", "f8")]))
    g = f.create_group("g")
    g.attrs["z"] = 1
    g.attrs["y"] = "t"
    g.create_group("h")
    g.create_dataset("x", data=[1, 2, 3])
    f["soft"] = h5py.SoftLink("/g")
    f["ext"] = h5py.ExternalLink("missing.h5", "/x")


@pytest.fixture(
    params=[
        ("lindi-v1", "r+"),
        ("lindi-v1", "r"),
        ("unified-zarr-v3", "r+"),
        ("unified-zarr-v3", "r"),
    ],
    ids=lambda p: "-".join(p),
)
def filled(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[h5py.File, LindiH5pyFile]]:
    """The same content as an HDF5 file and a LINDI file, reopened in the same mode."""
    conventions, mode = request.param
    h5_path, lindi_path = tmp_path / "expected.h5", tmp_path / "actual.lindi.json"
    with h5py.File(h5_path, "w") as f:
        _fill(f)
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="w", conventions=conventions) as f:
        _fill(f)
    h5 = h5py.File(h5_path, mode)
    lindi = LindiH5pyFile.from_lindi_file(lindi_path, mode=mode)
    yield h5, lindi
    with contextlib.suppress(RuntimeError):  # h5py fails to close after a refused copy
        h5.close()
    lindi.close()


def _visited(f: Any) -> list[str]:
    names: list[str] = []
    f.visit(names.append)
    return names


def _read_into(f: Any, dest: np.ndarray, *args: Any) -> np.ndarray:
    f["d"].read_direct(dest, *args)
    return dest


DATASET_PROPERTIES = [
    *["shape", "dtype", "size", "nbytes", "ndim", "chunks", "compression", "compression_opts"],
    *["shuffle", "fletcher32", "scaleoffset", "maxshape", "fillvalue", "external"],
    *["is_virtual", "is_scale", "name", "filter_ids", "filter_names"],
]
CONTIGUOUS_PROPERTIES = ["chunks", "compression", "maxshape", "fillvalue", "filter_ids"]


def _property(path: str, name: str) -> Action:
    return lambda f: getattr(f[path], name)


# actions whose outcome (value, or exception type) is h5py's, in every mode and convention
SAME: dict[str, Action] = {
    # Dataset properties
    **{f"d.{name}": _property("d", name) for name in DATASET_PROPERTIES},
    **{f"c.{name}": _property("c", name) for name in CONTIGUOUS_PROPERTIES},
    "s.shape": lambda f: f["s"].shape,
    "s.maxshape": lambda f: f["s"].maxshape,
    "s.chunks": lambda f: f["s"].chunks,
    "len-scalar": lambda f: len(f["s"]),
    "iter-scalar": lambda f: list(f["s"]),
    "d.len": lambda f: f["d"].len(),
    "d.parent": lambda f: f["g/x"].parent.name,
    "d.file": lambda f: f["d"].file == f,
    # Dataset methods
    "astype": lambda f: f["d"].astype("f8")[2:4],
    "astype-len": lambda f: len(f["d"].astype("f8")),
    "asstr": lambda f: f["str"].asstr()[:],
    "asstr-not-string": lambda f: f["d"].asstr(),
    "fields": lambda f: f["cmp"].fields("x")[:],
    "fields-list-packed": lambda f: f["cmp"].fields(["y", "x"])[:],
    "fields-not-compound": lambda f: f["d"].fields("x"),
    "fields-missing": lambda f: f["cmp"].fields("q")[:],
    "iter_chunks": lambda f: list(f["d"].iter_chunks()),
    "iter_chunks-sel": lambda f: list(f["d"].iter_chunks(np.s_[3:9])),
    "iter_chunks-contiguous": lambda f: list(f["c"].iter_chunks()),
    "read_direct": lambda f: _read_into(f, np.zeros(5, "i4"), np.s_[2:5], np.s_[1:4]),
    "read_direct-convert": lambda f: _read_into(f, np.zeros(10, "f8")),
    "read_direct-broadcast-error": lambda f: _read_into(f, np.zeros(5, "i4")),
    "resize-contiguous": lambda f: f["c"].resize((4, 4)),
    "resize-bad-axis": lambda f: f["d"].resize(5, axis=1),
    "resize-rank": lambda f: f["d"].resize((5, 5)),
    "setitem-broadcast": lambda f: f["d"].__setitem__(slice(0, 3), [1, 2]),
    "setitem-out-of-range": lambda f: f["d"].__setitem__(20, 1),
    "virtual_sources": lambda f: f["d"].virtual_sources(),
    "refresh": lambda f: f["d"].refresh(),
    "pickle": lambda f: pickle.dumps(f["d"]),
    "id-equal-through-link": lambda f: f["soft"].id == f["g"].id,
    "id.valid": lambda f: bool(f["d"].id.valid),
    # Group
    "keys": lambda f: list(f.keys()),
    "values": lambda f: [getattr(v, "name", v) for v in f.values()],
    "items-contains": lambda f: ("g", f["g"]) in f.items(),
    "reversed-keys": lambda f: list(reversed(f.keys())),
    "contains-int": lambda f: 1 in f,
    "getitem-int": lambda f: f[1],
    "getitem-empty": lambda f: f[""],
    "getitem-missing": lambda f: f["nope"],
    "getitem-external": lambda f: f["ext"],
    "getitem-ref": lambda f: f[f["g/x"].ref].name,
    "get-missing": lambda f: f.get("nope", 5),
    "get-getclass": lambda f: f.get("d", getclass=True),
    "get-getclass-ref": lambda f: f.get(f["d"].ref, getclass=True),
    "get-getclass-external": lambda f: f.get("ext", getclass=True),
    "get-getlink-external": lambda f: f.get("ext", getlink=True).path,
    "get-getlink-getclass": lambda f: f.get("soft", getlink=True, getclass=True),
    "visit": _visited,
    "require_group-dataset": lambda f: f.require_group("d"),
    "require_dataset": lambda f: f.require_dataset("d", (10,), "i2").name,
    "require_dataset-shape": lambda f: f.require_dataset("d", (11,), "i4"),
    "require_dataset-cast": lambda f: f.require_dataset("d", (10,), "f8"),
    "require_dataset-exact": lambda f: f.require_dataset("d", (10,), "i2", exact=True),
    "require_dataset-group": lambda f: f.require_dataset("g", (3,), "f4"),
    "delete-root": lambda f: f.__delitem__("/"),
    "copy": lambda f: (f.copy("d", "d2"), f["d2"][:])[1],
    "set-external-link": lambda f: f.__setitem__("el", h5py.ExternalLink("x.h5", "/y")),
    "set-none": lambda f: f.__setitem__("none", None),
    "create_dataset-nothing": lambda f: f.create_dataset("n"),
    # File
    "mode": lambda f: f.mode,
    "libver": lambda f: f.libver,
    "userblock_size": lambda f: f.userblock_size,
    "meta_block_size": lambda f: f.meta_block_size,
    "swmr_mode": lambda f: f.swmr_mode,
    "swmr_mode-on": lambda f: setattr(f, "swmr_mode", True),
    "swmr_mode-off": lambda f: setattr(f, "swmr_mode", False),
    "name": lambda f: f.name,
    "parent": lambda f: f.parent.name,
    # AttributeManager
    "attrs-order": lambda f: list(f["d"].attrs),
    "attrs-bytes-name": lambda f: f["d"].attrs[b"unit"],
    "attrs-bytes-contains": lambda f: b"unit" in f["d"].attrs,
    "attrs-int-contains": lambda f: 1 in f["d"].attrs,
    "attrs-int-get": lambda f: f["d"].attrs.get(1),
    "attrs-missing": lambda f: f["d"].attrs["nope"],
    "attrs-get_id-missing": lambda f: f["d"].attrs.get_id("nope"),
    "attrs-copy-on-read": lambda f: (f["d"].attrs["a"].__setitem__(0, 99), f["d"].attrs["a"])[1],
    "attrs-equal": lambda f: f["d"].attrs == f["d"].attrs,
    "attrs-create-none": lambda f: f["d"].attrs.create("n", None),
    "attrs-create-bad-shape": lambda f: f["d"].attrs.create("n", np.arange(4), shape=(3,)),
    "attrs-delete": lambda f: (f["d"].attrs.__delitem__("unit"), list(f["d"].attrs))[1],
    "attrs-delete-missing": lambda f: f["d"].attrs.__delitem__("nope"),
    "attrs-clear": lambda f: (f["g"].attrs.clear(), len(f["g"].attrs))[1],
    "attrs-pop": lambda f: f["d"].attrs.pop("unit"),
}

# exceptions that are h5py's (or Python's) own, not caused by the input
NOT_LINDI = {"virtual_sources", "pickle", "attrs-equal"}


@pytest.mark.parametrize("action", list(SAME.values()), ids=list(SAME))
def test_same_as_h5py(filled: tuple[h5py.File, LindiH5pyFile], action: Action) -> None:
    h5, lindi = filled
    assert_same(h5, lindi, action)


@pytest.mark.parametrize("label", sorted(set(SAME) - NOT_LINDI), ids=sorted(set(SAME) - NOT_LINDI))
def test_errors_are_lindi_errors(filled: tuple[h5py.File, LindiH5pyFile], label: str) -> None:
    result = outcome(filled[1], SAME[label])
    if result[0] == "raises":
        assert issubclass(result[1], LindiError), result[1]


# ---------------------------------------------------------------------- filters
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"chunks": (4,)},
        {"compression": "gzip", "shuffle": True, "fletcher32": True},
        {"compression": 7, "fletcher32": True},
        {"shuffle": True},
    ],
    ids=repr,
)
def test_filter_ids_and_names(files: tuple[h5py.File, LindiH5pyFile], options: Any) -> None:
    for f in files:
        f.create_dataset("x", data=np.arange(100.0), **options)
    assert_same(*files, lambda f: (f["x"].filter_ids, f["x"].filter_names))


def test_create_dataset_like_copies_filters_and_maxshape(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    for f in files:
        f.create_dataset(
            "x", data=np.arange(10), chunks=(5,), maxshape=(None,), shuffle=True, fletcher32=True
        )
        f.create_dataset("y", data=np.arange(10), chunks=(5,))

    def like(name: str) -> Action:
        def action(f: Any) -> Any:
            d = f.create_dataset_like(f"{name}_like", f[name])
            return (d.shape, d.chunks, d.maxshape, d.shuffle, d.fletcher32, d.filter_names)

        return action

    assert_same(*files, like("x"))
    assert_same(*files, like("y"))


def test_h5py_create_dataset_like_takes_a_lindi_dataset(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    h5, lindi = files
    lindi.create_dataset("x", data=np.arange(10), chunks=(5,), compression="gzip", shuffle=True)
    h5.create_dataset("x", data=np.arange(10), chunks=(5,), compression="gzip", shuffle=True)
    made = h5.create_dataset_like("from_lindi", lindi["x"])
    expected = h5.create_dataset_like("from_h5", h5["x"])
    for prop in ("shape", "dtype", "chunks", "compression", "shuffle", "filter_ids"):
        assert getattr(made, prop) == getattr(expected, prop), prop


# ---------------------------------------------------------------------- unsupported
UNSUPPORTED: dict[str, Action] = {
    "create_virtual_dataset": lambda f: f.create_virtual_dataset(
        "v", h5py.VirtualLayout((2,), "i4")
    ),
    "build_virtual_dataset": lambda f: f.build_virtual_dataset("v", (2,), "i4"),
    "named-datatype": lambda f: f.__setitem__("dt", np.dtype("f4")),
    "null-dataspace": lambda f: f.create_dataset("n", dtype="f4"),
    "scaleoffset": lambda f: f.create_dataset("n", data=np.arange(4), scaleoffset=0),
    "external": lambda f: f.create_dataset("n", (4,), "i4", external=[("e.bin", 0, 16)]),
    "anonymous": lambda f: f.create_dataset(None, data=[1]),
    "regionref": lambda f: f["d"].regionref,
    "group-regionref": lambda f: f["g"].regionref,
    "attach_scale": lambda f: f["d"].dims[0].attach_scale(f["d"]),
    "attrs-get_id": lambda f: f["d"].attrs.get_id("unit"),
    "in_memory": lambda f: type(f).in_memory(),
}


@pytest.mark.parametrize("action", list(UNSUPPORTED.values()), ids=list(UNSUPPORTED))
def test_unsupported_raise_lindi_unsupported_error_naming_the_file(
    filled: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    h5, lindi = filled
    expected = outcome(h5, action)
    actual = outcome(lindi, action)
    if action is UNSUPPORTED["named-datatype"] and not lindi.mode.endswith("+"):
        # h5py raises KeyError to commit a type to a read-only file; LINDI refuses the type
        expected = ("ok", None)
    assert actual[0] == "raises"
    assert issubclass(actual[1], LindiError), actual[1]
    if expected[0] == "raises":  # refused by h5py too (read-only): as h5py
        assert issubclass(actual[1], expected[1]), (actual[1], expected[1])
    else:
        assert issubclass(actual[1], LindiUnsupportedError), actual[1]
        with pytest.raises(LindiUnsupportedError, match=r"LindiH5pyFile|actual\.lindi\.json"):
            action(lindi)


def test_scaleoffset_arguments_are_checked_as_h5py_first(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    h5, lindi = files
    assert_same(h5, lindi, lambda f: f.create_dataset("a", data=np.arange(4.0), scaleoffset=True))
    assert_same(h5, lindi, lambda f: f.create_dataset("b", data=np.arange(4), scaleoffset=-1))
    assert_same(
        h5, lindi, lambda f: f.create_dataset("c", data=["a", "b"], scaleoffset=2, chunks=(1,))
    )
    assert_same(
        h5,
        lindi,
        lambda f: f.create_dataset("d", data=np.arange(4), scaleoffset=2, fletcher32=True),
    )


def test_read_only_writes_raise_as_h5py(tmp_path: Path) -> None:
    for conventions in ("lindi-v1", "unified-zarr-v3"):
        h5_path, lindi_path = tmp_path / "e.h5", tmp_path / f"{conventions}.lindi.json"
        with h5py.File(h5_path, "w") as f:
            _fill(f)
        with LindiH5pyFile.from_lindi_file(lindi_path, mode="w", conventions=conventions) as f:
            _fill(f)
        with h5py.File(h5_path, "r") as h5, LindiH5pyFile.from_lindi_file(lindi_path) as lindi:
            for action in (
                lambda f: f["d"].resize((12,)),
                lambda f: f["d"].id.extend((12,)),
                lambda f: f["d"].__setitem__(0, 1),
                lambda f: f["d"].attrs.__delitem__("unit"),
                lambda f: f.create_group("new"),
            ):
                assert_same(h5, lindi, action)
                assert issubclass(outcome(lindi, action)[1], LindiError)
