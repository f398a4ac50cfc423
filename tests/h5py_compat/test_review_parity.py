"""Writes, copies, moves and deletes do what h5py does on an HDF5 file: the same values and
dtypes, the same exception types, nothing lost (findings of the h5py-view review)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import LindiError, LindiH5pyFile, LindiUnsupportedError

type Action = Callable[[Any], Any]


@pytest.fixture(params=["lindi-v1", "unified-zarr-v3"])
def files(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[h5py.File, LindiH5pyFile]]:
    """An empty HDF5 file and an empty LINDI file (of each flavour), both writable."""
    h5 = h5py.File(tmp_path / "expected.h5", "w")
    lindi = LindiH5pyFile.from_lindi_file(
        tmp_path / "actual.lindi.json", mode="w", conventions=request.param
    )
    yield h5, lindi
    h5.close()
    lindi.close()


def outcome(f: Any, action: Action) -> tuple[str, Any]:
    """``("ok", result)`` or ``("raises", exception type)`` of ``action(f)``."""
    try:
        return "ok", action(f)
    except Exception as exc:
        return "raises", type(exc)


def assert_same(h5: h5py.File, lindi: LindiH5pyFile, action: Action) -> Any:
    """``action`` has the same outcome on both files; a LINDI exception is also a LindiError
    (or what h5py raises) and an instance of the type h5py raised."""
    expected = outcome(h5, action)
    actual = outcome(lindi, action)
    if expected[0] == "raises":
        assert actual[0] == "raises", f"h5py raises {expected[1]}, LINDI gives {actual[1]!r}"
        assert issubclass(actual[1], expected[1]), (actual[1], expected[1])
    else:
        assert actual[0] == "ok", f"h5py gives {expected[1]!r}, LINDI raises {actual[1]}"
        assert_values_equal(actual[1], expected[1])
    return actual[1]


def assert_values_equal(actual: Any, expected: Any) -> None:
    if isinstance(expected, (np.ndarray, np.generic)):
        assert isinstance(actual, (np.ndarray, np.generic)), repr(actual)
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)
    else:
        assert actual == expected


# ---------------------------------------------------------------------- A1: integer overflow
@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda ds: ds.__setitem__(0, -1), id="python-int-below"),
        pytest.param(lambda ds: ds.__setitem__(1, 256), id="python-int-above"),
        pytest.param(lambda ds: ds.__setitem__(2, 1e20), id="python-float-huge"),
        pytest.param(lambda ds: ds.__setitem__(slice(0, 2), [300, 1]), id="list"),
        pytest.param(lambda ds: ds.__setitem__(slice(0, 2), np.array([300, -1])), id="array"),
        pytest.param(
            lambda ds: ds.__setitem__(slice(0, 3), np.array([1e20, 2.7, np.nan])),
            id="float-array",
        ),
        pytest.param(lambda ds: ds.__setitem__(0, np.int64(300)), id="numpy-scalar"),
        pytest.param(lambda ds: ds.__setitem__(0, 2.7), id="python-float"),
    ],
)
def test_integer_writes_convert_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], write: Callable[[Any], None]
) -> None:
    h5, lindi = files

    def action(f: Any) -> Any:
        ds = f.create_dataset("u1", data=np.zeros(3, "u1"))
        try:
            write(ds)
        finally:
            values = ds[()]
        return values

    expected = outcome(h5, action)
    actual = outcome(lindi, action)
    assert actual[0] == expected[0]
    if expected[0] == "raises":
        assert issubclass(actual[1], OverflowError)
        np.testing.assert_array_equal(lindi["u1"][()], h5["u1"][()])
    else:
        assert_values_equal(actual[1], expected[1])


@pytest.mark.parametrize("data", [[300], np.array([300]), np.array([2.7, -3.9]), [2.7]], ids=repr)
def test_create_dataset_converts_as_h5py(files: tuple[h5py.File, LindiH5pyFile], data: Any) -> None:
    assert_same(*files, lambda f: f.create_dataset("i1", data=data, dtype="i1")[()])


# ---------------------------------------------------------------------- A2: boolean masks
@pytest.mark.parametrize("length", [3, 9, 11])
def test_wrong_length_mask_raises_type_error(
    files: tuple[h5py.File, LindiH5pyFile], length: int
) -> None:
    h5, lindi = files
    for f in files:
        f.create_dataset("a", data=np.arange(10))
        f.create_dataset("big", data=np.arange(100_000), chunks=(1000,))
        f.create_dataset("m2", data=np.arange(12).reshape(3, 4))
    mask = np.zeros(length, dtype=bool)
    mask[::2] = True
    assert_same(h5, lindi, lambda f: f["a"][mask])
    assert_same(h5, lindi, lambda f: f["big"][mask])
    assert_same(h5, lindi, lambda f: f["m2"][:, np.array([True, False])])
    assert_same(h5, lindi, lambda f: f["m2"][:, np.array([True, False, True, False])])
    assert outcome(lindi, lambda f: f["a"][mask])[1] is not None
    with pytest.raises(LindiError):
        lindi["a"][mask]


# ---------------------------------------------------------------------- A3, A7, B12: copy
def _layout(ds: Any) -> tuple[Any, ...]:
    return (
        ds.dtype,
        ds.shape,
        ds.maxshape,
        ds.chunks,
        ds.compression,
        ds.compression_opts,
        ds.shuffle,
        ds.fletcher32,
        ds.fillvalue,
        dict(ds.attrs),
        ds[()].tolist(),
    )


def _filled(f: Any) -> None:
    g = f.create_group("G")
    g.attrs["origin"] = "G"
    ds = g.create_dataset(
        "x",
        data=np.arange(4, dtype="i4"),
        chunks=(2,),
        maxshape=(None,),
        fillvalue=-7,
        compression="gzip",
        compression_opts=5,
        shuffle=True,
        fletcher32=True,
    )
    ds.attrs["unit"] = "m"


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda f: f.copy("G", "K"), id="copy-path"),
        pytest.param(lambda f: f.copy(f["G"], f, "K"), id="copy-object"),
        pytest.param(lambda f: f.move("G", "K"), id="move"),
    ],
)
def test_copy_and_move_keep_every_dataset_property(
    files: tuple[h5py.File, LindiH5pyFile], operation: Action
) -> None:
    h5, lindi = files
    for f in files:
        _filled(f)
        operation(f)
        f["K/x"].resize((6,))
    assert _layout(lindi["K/x"]) == _layout(h5["K/x"])
    assert dict(lindi["K"].attrs) == dict(h5["K"].attrs)
    assert ("G" in lindi) == ("G" in h5)


def test_copy_from_hdf5_keeps_fill_shuffle_fletcher32(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    h5, lindi = files
    _filled(h5)
    lindi.copy(h5["G"], lindi, "G")
    h5.copy(h5["G"], h5, "G2")
    assert _layout(lindi["G/x"]) == _layout(h5["G2/x"])


def test_shallow_copy_copies_immediate_members(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    for f in files:
        g = f.create_group("G")
        g.create_dataset("d", data=[1, 2])
        sub = g.create_group("sub")
        sub.attrs["a"] = 2
        sub.create_dataset("x", data=[3])
        sub.create_group("deep")
        f.copy("G", "K", shallow=True)

    def members(f: Any) -> list[tuple[str, dict[str, Any]]]:
        names: list[str] = []
        f["K"].visit_links(names.append)
        return [(name, dict(f["K"][name].attrs)) for name in names]

    assert_same(*files, members)


def test_copy_onto_existing_name_raises_like_h5py(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    h5, lindi = files
    for f in files:
        f.create_dataset("d", data=[1, 2])
        f.create_dataset("e", data=[3])
        f.create_group("g").create_group("sub")
    assert_same(h5, lindi, lambda f: f.copy("d", "e"))  # RuntimeError
    assert_same(h5, lindi, lambda f: f.copy("d", f["g"], name="sub"))
    # a string destination is the copy's path; ``name`` is then ignored
    assert_same(h5, lindi, lambda f: f.copy("d", "g", name="other"))
    assert_same(h5, lindi, lambda f: f.copy("d", f["e"]))  # TypeError
    assert_same(h5, lindi, lambda f: (f.copy("d", "new/path/d2"), f["new/path/d2"][()])[1])
    assert_same(h5, lindi, lambda f: (f["g"].copy("/d", "sub/y"), sorted(f["g/sub"]))[1])
    with pytest.raises(LindiError):
        lindi.copy("d", "e")


# ---------------------------------------------------------------------- A4: relative soft links
def _with_links(f: Any) -> None:
    # HDF5 soft links have no "..": a relative target names something below the link's group
    g = f.create_group("G")
    g.create_dataset("x", data=np.arange(3))
    g["rel"] = h5py.SoftLink("x")
    g.create_dataset("sub/y", data=[5, 6])
    g["sub"]["ly"] = h5py.SoftLink("y")
    g["lsub"] = h5py.SoftLink("sub/y")
    f.create_dataset("outside", data=[9])
    g["out"] = h5py.SoftLink("/outside")


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda f: f.copy("G", "K"), id="copy"),
        pytest.param(lambda f: f.move("G", "K"), id="move"),
        pytest.param(lambda f: f.copy("G", "deeper/K"), id="copy-deeper"),
    ],
)
def test_relative_links_keep_working_after_copy_and_move(
    files: tuple[h5py.File, LindiH5pyFile], operation: Action
) -> None:
    h5, lindi = files
    for f in files:
        _with_links(f)
        operation(f)
    copy = "deeper/K" if "deeper/K" in h5 else "K"
    for f in files:
        f[f"{copy}/x"][0] = 100
        f[f"{copy}/sub/y"][0] = 100
    for name in ("rel", "sub/ly", "lsub", "out"):
        assert_same(h5, lindi, lambda f, name=name: f[f"{copy}/{name}"][()])
    if "G" in h5:
        assert_same(h5, lindi, lambda f: f["G/rel"][()])


def test_absolute_link_inside_a_copy_points_into_the_copy(tmp_path: Path) -> None:
    """A documented difference (docs/conventions.md): LINDI stores soft link targets
    absolute, so it cannot tell an absolute link from a relative one or from a second hard
    link name; a link inside the copied group that points into it points into the copy."""
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json", mode="w") as f:
        f.create_dataset("G/x", data=[1])
        f["G/abs"] = h5py.SoftLink("/G/x")
        f.copy("G", "K")
        assert f.get("K/abs", getlink=True).path == "/K/x"


# ---------------------------------------------------------------------- A5: references
def test_references_follow_a_moved_object(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    h5, lindi = files
    for f in files:
        x = f.create_dataset("G/x", data=[1, 2])
        f.attrs["r"] = x.ref
        f.create_dataset("refs", data=[x.ref, f["G"].ref], dtype=h5py.ref_dtype)
        compound = np.dtype([("i", "i4"), ("r", h5py.ref_dtype)])
        f.create_dataset("comp", data=np.array([(1, x.ref)], dtype=compound))
        f.move("G", "H")
    assert_same(h5, lindi, lambda f: f[f.attrs["r"]].name)
    assert_same(h5, lindi, lambda f: [f[r].name for r in f["refs"][()]])
    assert_same(h5, lindi, lambda f: f[f["comp"][0]["r"]][()].tolist())


# ---------------------------------------------------------------------- A6: hard links
@pytest.mark.parametrize("deleted", ["a", "G"])
def test_deleting_one_name_of_a_hard_linked_object_keeps_it(
    files: tuple[h5py.File, LindiH5pyFile], deleted: str
) -> None:
    h5, lindi = files
    for f in files:
        f.create_dataset("G/a", data=np.arange(5), fillvalue=3, chunks=(2,), maxshape=(None,))
        f["G/a"].attrs["unit"] = "s"
        f["b"] = f["G/a"]
        f["c"] = f["G/a"]
        del f["G/a" if deleted == "a" else "G"]
    for name in ("b", "c"):
        assert_same(h5, lindi, lambda f, name=name: f[name][()])
        assert_same(h5, lindi, lambda f, name=name: dict(f[name].attrs))
        assert_same(h5, lindi, lambda f, name=name: f[name].fillvalue)
    for f in files:
        f["b"][0] = 42
    assert_same(h5, lindi, lambda f: f["c"][()])


def test_deleting_hard_link_target_of_converted_file(tmp_path: Path) -> None:
    from hdmf_lindi import convert

    h5_path = tmp_path / "hl.h5"
    with h5py.File(h5_path, "w") as h5:
        h5.create_dataset("data", data=np.arange(5))
        h5["alias"] = h5["data"]
    lindi_path = tmp_path / "hl.lindi.json"
    convert(h5_path, lindi_path)
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f:
        # the converter keeps the object under one name and makes the other a link to it
        # (both are hard links to h5py's eyes): delete the object's own name
        assert isinstance(f.get("alias", getlink=True), h5py.HardLink)
        assert isinstance(f.get("data", getlink=True), h5py.HardLink)
        alias = f.hierarchy.node("/alias")
        gone = "data" if alias is not None and alias.link is not None else "alias"
        kept = "alias" if gone == "data" else "data"
        del f[gone]
    with LindiH5pyFile.from_lindi_file(lindi_path) as f:
        assert f[kept][()].tolist() == [0, 1, 2, 3, 4]
        assert gone not in f


# ---------------------------------------------------------------------- A8: compound fill
def test_compound_fillvalue_is_refused(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    h5, lindi = files
    dtype = np.dtype([("a", "i4"), ("b", "f4")])
    fill = np.array((3, 1.5), dtype=dtype)
    h5.create_dataset("cf", shape=(2,), dtype=dtype, fillvalue=fill)
    assert h5["cf"][0].tolist() == (3, 1.5)
    with pytest.raises(LindiUnsupportedError, match="fill value"):
        lindi.create_dataset("cf", shape=(2,), dtype=dtype, fillvalue=fill)
    zero = np.zeros((), dtype=dtype)
    assert lindi.create_dataset("zf", shape=(2,), dtype=dtype, fillvalue=zero).shape == (2,)


# ---------------------------------------------------------------------- A9: attrs.modify
@pytest.mark.parametrize(
    ("created", "modified"),
    [
        (np.int16(5), 2.7),
        (np.int16(5), 70000),
        (np.int16(5), np.int64(70000)),
        (np.int16(5), np.array(70000)),
        (np.zeros(3, "f4"), [1, 2, 3]),
        (np.zeros(3, "f4"), [1, 2]),
        (np.float32(1), [2.5]),
        (np.bytes_(b"abc"), "xy"),
        ("hello", b"q"),
        ("hello", 3),
    ],
    ids=repr,
)
def test_attrs_modify_keeps_type_and_shape(
    files: tuple[h5py.File, LindiH5pyFile], created: Any, modified: Any
) -> None:
    def action(f: Any) -> Any:
        f.attrs["a"] = created
        try:
            f.attrs.modify("a", modified)
        finally:
            value = f.attrs["a"]
        return value

    h5, lindi = files
    expected = outcome(h5, action)
    actual = outcome(lindi, action)
    assert actual[0] == expected[0]
    if expected[0] == "raises":
        assert issubclass(actual[1], expected[1])
    assert_values_equal(lindi.attrs["a"], h5.attrs["a"])


# ---------------------------------------------------------------------- B13: exception types
def test_exception_types_match_h5py(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    h5, lindi = files
    for f in files:
        f.create_dataset("d", data=np.arange(4))
        f.create_group("g")
        f.attrs["a"] = 1
    assert_same(h5, lindi, lambda f: f["d"].__setitem__(10, 1))  # IndexError
    assert_same(h5, lindi, lambda f: f["d"].__setitem__(-10, 1))
    assert_same(h5, lindi, lambda f: f["d"].__setitem__([1, 7], [1, 2]))
    assert_same(h5, lindi, lambda f: f["d"].__setitem__(slice(None, None, -1), 1))  # ValueError
    assert_same(h5, lindi, lambda f: f["d"].fields("a"))  # ValueError
    assert_same(h5, lindi, lambda f: f.move("nope", "e"))  # ValueError
    assert_same(h5, lindi, lambda f: f.move("d", "g"))  # ValueError
    assert_same(h5, lindi, lambda f: f.attrs.get_id("missing"))  # KeyError
    assert_same(h5, lindi, lambda f: f[""])  # KeyError
    assert_same(h5, lindi, lambda f: f["g"][".."])  # KeyError
    assert_same(h5, lindi, lambda f: 5 in f)  # TypeError
    assert_same(h5, lindi, lambda f: ".." in f["g"])
    with pytest.raises(LindiUnsupportedError):
        lindi.attrs.get_id("a")
    with pytest.raises(LindiError):
        lindi["d"][10] = 1
    with pytest.raises(LindiError):
        lindi.move("nope", "e")
    with pytest.raises(KeyError):  # also a KeyError, as every missing name
        lindi.move("nope", "e")


def test_read_only_create_group_raises_value_error(tmp_path: Path) -> None:
    h5_path, lindi_path = tmp_path / "r.h5", tmp_path / "r.lindi.json"
    with h5py.File(h5_path, "w") as h5, LindiH5pyFile.from_lindi_file(lindi_path, "w") as lw:
        for f in (h5, lw):
            f.create_group("g")
            f.create_dataset("d", data=[1])
    with h5py.File(h5_path, "r") as h5, LindiH5pyFile.from_lindi_file(lindi_path) as lindi:
        assert_same(h5, lindi, lambda f: f.create_group("x"))
        assert_same(h5, lindi, lambda f: f.require_group("x"))
        assert_same(h5, lindi, lambda f: f.require_group("g").name)
        assert_same(h5, lindi, lambda f: f.create_dataset("y", data=[1]))
        assert_same(h5, lindi, lambda f: f.move("d", "e"))
        assert_same(h5, lindi, lambda f: f["d"].__setitem__(0, 5))  # OSError
        assert_same(h5, lindi, lambda f: f.attrs.__setitem__("a", 1))  # OSError


def test_move_into_itself_is_refused(tmp_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json", mode="w") as f:
        f.create_dataset("G/x", data=[1])
        with pytest.raises(ValueError, match="into itself"):
            f.move("G", "G/sub/G")
        assert f["G/x"][()].tolist() == [1]


# ---------------------------------------------------------------------- B14, C
def test_asstr_on_fixed_length_utf8(tmp_path: Path) -> None:
    from hdmf_lindi import convert

    h5_path = tmp_path / "u.h5"
    with h5py.File(h5_path, "w") as h5:
        data = np.array(["é".encode(), b"a"], dtype=h5py.string_dtype("utf-8", 2))
        h5.create_dataset("utf8_fixed", data=data)
        expected = h5["utf8_fixed"].asstr()[()]
    lindi_path = tmp_path / "u.lindi.json"
    convert(h5_path, lindi_path)
    with LindiH5pyFile.from_lindi_file(lindi_path) as f:
        actual = f["utf8_fixed"].asstr()[()]
    assert actual.dtype == expected.dtype
    assert actual.tolist() == expected.tolist() == ["é", "a"]


def test_numpy_bytes_scalar_gives_fixed_width_dtype(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    assert_same(*files, lambda f: f.create_dataset("b", data=np.bytes_(b"abc"))[()])
    assert_same(*files, lambda f: f["b"].dtype)


def test_astype_complex_to_float_is_refused(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    h5, lindi = files
    for f in files:
        f.create_dataset("c", data=np.array([1 + 2j]))
    with pytest.raises(OSError):
        h5["c"].astype("f8")[:]
    with pytest.raises(LindiUnsupportedError):
        lindi["c"].astype("f8")[:]
    assert_same(h5, lindi, lambda f: f["c"].astype("c8")[:])


def test_copy_of_the_root_group(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    h5, lindi = files
    for f in files:
        f.create_dataset("G/x", data=[1, 2])
        f["G/l"] = h5py.SoftLink("x")
        f.copy(f, f, "ROOT")
    assert_same(h5, lindi, lambda f: sorted(f["ROOT"]))
    assert_same(h5, lindi, lambda f: f["ROOT/G/l"][()])
    assert_same(h5, lindi, lambda f: f["ROOT/G/l"] == f["ROOT/G/x"])


# ------------------------------------------------------------ strings: NUL, empty, compounds
_ROW = np.dtype([("s", h5py.string_dtype()), ("x", "<i4")])


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(lambda f: f.attrs.__setitem__("a", "a\x00b"), id="str-attribute"),
        pytest.param(lambda f: f.attrs.__setitem__("a", b"a\x00b"), id="bytes-attribute"),
        pytest.param(lambda f: f.attrs.__setitem__("a", ["x", "a\x00b"]), id="list-attribute"),
        pytest.param(
            lambda f: f.create_dataset("d", data=["a\x00b"], dtype=h5py.string_dtype()),
            id="dataset",
        ),
        pytest.param(
            lambda f: f.create_dataset("d", shape=(2,), dtype=h5py.string_dtype()).__setitem__(
                0, "a\x00b"
            ),
            id="dataset-write",
        ),
        pytest.param(
            lambda f: f.create_dataset("d", data=np.array([("a\x00b", 1)], dtype=_ROW)),
            id="compound-field",
        ),
        pytest.param(
            lambda f: f.create_dataset("d", shape=(1,), dtype=_ROW).__setitem__(
                0, np.array(("a\x00b", 1), dtype=_ROW)
            ),
            id="compound-write",
        ),
        pytest.param(
            lambda f: (f.attrs.__setitem__("m", "x"), f.attrs.modify("m", "a\x00b")),
            id="attribute-modify",
        ),
    ],
)
def test_embedded_nul_in_variable_length_strings_is_refused(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    """HDF5 cannot store NUL inside a variable-length string: h5py raises ValueError, and so
    do we (a LindiFormatError naming the file), and nothing is written."""
    h5, lindi = files
    assert outcome(h5, action) == ("raises", ValueError)
    with pytest.raises(ValueError, match=r"actual\.lindi\.json.*embedded NULLs") as raised:
        action(lindi)
    assert isinstance(raised.value, LindiError)
    assert "a" not in lindi.attrs
    assert lindi.attrs.get("m", "x") == "x"
    if "d" in lindi:  # created empty by the action, then the write was refused
        first = lindi["d"][0]
        assert (first.tolist() if isinstance(first, np.void) else first) in (b"", (b"", 0))


def test_empty_string_attribute_keeps_its_dtype(
    files: tuple[h5py.File, LindiH5pyFile], tmp_path: Path
) -> None:
    """An empty string array attribute is an object array (JSON's [] alone would read back as
    float64), also after the file is written and opened again."""
    h5, lindi = files
    for f in files:
        f.attrs.create("e", data=np.array([], dtype=h5py.string_dtype()))
        f.attrs["s"] = ["x", "yy"]
        f.attrs["n"] = np.array([], dtype="f4")
    for name in ("e", "s", "n"):
        assert_same(h5, lindi, lambda f, name=name: f.attrs[name])
        assert_same(h5, lindi, lambda f, name=name: h5py.check_string_dtype(f.attrs[name].dtype))
    lindi.close()
    with LindiH5pyFile.from_lindi_file(tmp_path / "actual.lindi.json") as again:
        for name in ("e", "s", "n"):
            assert_values_equal(again.attrs[name], h5.attrs[name])
        assert h5py.check_string_dtype(again.attrs["e"].dtype) is not None


def test_compound_string_fields_read_as_bytes(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    """Variable-length string fields of a compound dataset read as bytes, as h5py reads them
    (in whole reads, single rows and single fields)."""
    dtype = np.dtype([("s", h5py.string_dtype()), ("x", "<i4")])
    for f in files:
        f.create_dataset("c", data=np.array([("ab", 1), ("é", 2)], dtype=dtype))
    assert_same(*files, lambda f: f["c"][()])
    assert_same(*files, lambda f: f["c"][1])
    assert_same(*files, lambda f: f["c"]["s"])
    assert_same(*files, lambda f: f["c"][1]["s"])
    assert_same(*files, lambda f: f["c"].fields("s")[:])


def test_objects_created_through_a_soft_link_land_in_its_target(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """``create_dataset("b/c/d")`` with ``b`` a soft link to ``/a`` creates ``/a/c`` and
    ``/a/c/d``, as HDF5 does (it stored them under the link's own keys, out of reach)."""
    for f in files:
        f.create_group("a")
        f["b"] = h5py.SoftLink("/a")
        f.create_dataset("b/c/d", data=[1, 2])
        f.create_group("b/e/f")
    assert_same(*files, lambda f: sorted(f["a"]))
    assert_same(*files, lambda f: f["b/c/d"][()])
    assert_same(*files, lambda f: f["a/c/d"][()])
    assert_same(*files, lambda f: f["b/c/d"].name)
    assert_same(*files, lambda f: sorted(f["a/e"]))


def test_fuzz_findings_on_numeric_conversions(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    """Found by a differential fuzzer against h5py: a uint64 attribute list given with its
    dtype keeps every digit (it went through float64); a 0-d array of another dtype makes a
    scalar dataset (it became shape (1,)); ``astype`` clamps out-of-range values as HDF5
    converts them (numpy wrapped them around)."""
    big = 16810852809630759566
    for f in files:
        f.attrs.create("u", data=[big, 1], dtype="u8")
        f.create_dataset("s", data=np.array(1, "i4"), dtype="u2")
        f.create_dataset("v", data=np.array([-1, 300, 70000], dtype="i4"))
    assert_same(*files, lambda f: f.attrs["u"])
    assert int(files[1].attrs["u"][0]) == big
    assert_same(*files, lambda f: f["s"].shape)
    assert_same(*files, lambda f: f["s"][()])
    assert_same(*files, lambda f: f["s"].__setitem__((), np.array(2, "i4")))
    assert_same(*files, lambda f: f["s"][()])
    for target in ("u1", "i2", "f4"):
        assert_same(*files, lambda f, target=target: f["v"].astype(target)[:])


@pytest.mark.parametrize(("dtype", "fillvalue"), [("u2", 3998800845), ("u8", float("nan"))])
def test_out_of_range_fill_value_is_converted_as_hdf5_converts_it(
    files: tuple[h5py.File, LindiH5pyFile], tmp_path: Path, dtype: str, fillvalue: Any
) -> None:
    """A fill value the dtype cannot hold is converted as HDF5 converts it (clamped), not
    stored as it is: that raised and left an unreadable dataset in the file."""
    for f in files:
        f.create_dataset("a", shape=(2,), dtype=dtype, fillvalue=fillvalue)
    assert_same(*files, lambda f: f["a"].fillvalue)
    assert_same(*files, lambda f: f["a"][()])
    _, lindi = files
    lindi.close()
    with LindiH5pyFile.from_lindi_file(tmp_path / "actual.lindi.json") as again:
        assert_values_equal(again["a"][()], files[0]["a"][()])


def test_reference_dataset_with_unwritten_elements_keeps_null_references(
    files: tuple[h5py.File, LindiH5pyFile], tmp_path: Path
) -> None:
    """Elements of a reference dataset that were never written are null references, as in
    HDF5. The dataset was dropped whole at ``close()`` (data loss), and the elements read
    ``None``. A reference dataset with no elements read back as a string dataset."""
    for f in files:
        target = f.create_group("target")
        refs = f.create_dataset("refs", shape=(3,), dtype=h5py.ref_dtype)
        refs[1] = target.ref
        f.create_dataset("none", shape=(0,), dtype=h5py.ref_dtype)
        rows = f.create_dataset("rows", shape=(2,), dtype=[("i", "i4"), ("r", h5py.ref_dtype)])
        rows[1] = (5, target.ref)
        refs[2] = h5py.Reference()

    def reference_kinds(f: Any) -> Any:
        def kind(ref: Any) -> str:
            assert isinstance(ref, h5py.Reference)
            return f[ref].name if ref else "null"

        return (
            [kind(r) for r in f["refs"][()]],
            kind(f["refs"][0]),
            [(int(i), kind(r)) for i, r in f["rows"][()]],
            h5py.check_ref_dtype(f["none"].dtype),
            f["none"].shape,
        )

    expected = reference_kinds(files[0])
    assert expected[0] == ["null", "/target", "null"]
    assert reference_kinds(files[1]) == expected
    assert_same(*files, lambda f: f[f["refs"][0]])
    _, lindi = files
    lindi.close()
    with LindiH5pyFile.from_lindi_file(tmp_path / "actual.lindi.json") as again:
        assert reference_kinds(again) == expected


@pytest.mark.parametrize("value", ["text", b"bytes"])
def test_zero_dimensional_object_array_data(
    files: tuple[h5py.File, LindiH5pyFile], value: Any
) -> None:
    """``data=`` a 0-d object array (of a string, or of a reference) makes a scalar dataset,
    as in h5py (it raised TypeError: len() of unsized object)."""
    for f in files:
        data = np.empty((), dtype=object)
        data[()] = value
        f.create_dataset("s", data=data, dtype=h5py.string_dtype())
        f.create_dataset("t", data=data)
        ref = np.empty((), dtype=object)
        ref[()] = f.ref
        f.create_dataset("r", data=ref, dtype=h5py.ref_dtype)
        f.create_dataset("q", data=ref)
    assert_same(*files, lambda f: (f["s"].shape, f["s"].dtype, f["s"][()]))
    assert_same(*files, lambda f: (f["t"].shape, f["t"].dtype, f["t"][()]))
    assert_same(*files, lambda f: (f["r"].shape, f[f["r"][()]].name))
    assert_same(*files, lambda f: (f["q"].shape, f["q"].dtype, f[f["q"][()]].name))


def test_copy_copies_objects_a_hard_link_names(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    """Copying a group that holds a second name of an object outside it (a hard link, made
    with ``g["l"] = f["d"]``) copies the object, once, as HDF5 does; the copy shared the data
    with the original. A soft link stays a link; moving the group keeps the hard link."""
    for f in files:
        f.create_dataset("d", data=[1, 2, 3])
        f.create_group("e").create_dataset("x", data=[7])
        g = f.create_group("g")
        g["l"] = f["d"]
        g["m"] = f["d"]
        g["n"] = f["e"]
        g["s"] = h5py.SoftLink("/d")
        f.copy("g", "g2")
        f["g2/l"][0] = 100
        f["g2/n/x"][0] = 70
    assert_same(*files, lambda f: f["d"][()])
    assert_same(*files, lambda f: f["e/x"][()])
    assert_same(*files, lambda f: f["g2/m"][()])  # the copy's two names name one object
    assert_same(*files, lambda f: f["g2/s"][()])
    assert_same(*files, lambda f: f["g2/n/x"][()])

    def link_kind(link: Any) -> str:
        for kind in (h5py.HardLink, h5py.SoftLink, h5py.ExternalLink):
            if isinstance(link, kind):
                return kind.__name__
        return repr(link)

    for name in ("l", "m", "s", "n"):
        assert_same(*files, lambda f, name=name: link_kind(f["g2"].get(name, getlink=True)))
    for f in files:
        f.move("g", "h")
        f["h/l"][1] = 200
    assert_same(*files, lambda f: f["d"][()])
    assert isinstance(files[1]["h"].get("l", getlink=True), h5py.HardLink)
    assert isinstance(files[1]["h"].get("s", getlink=True), h5py.SoftLink)


def test_converted_hard_links_are_copied_as_objects(tmp_path: Path) -> None:
    from hdmf_lindi.hdf5 import convert

    source = tmp_path / "hard.h5"
    with h5py.File(source, "w") as f:
        f.create_dataset("d", data=[1, 2, 3])
        f.create_group("g")["l"] = f["d"]
    convert(source, tmp_path / "hard.lindi.json")
    with LindiH5pyFile.from_lindi_file(tmp_path / "hard.lindi.json", mode="r+") as f:
        assert isinstance(f["g"].get("l", getlink=True), h5py.HardLink)
        f.copy("g", "g2")
        f["g2/l"][0] = 100
        assert f["d"][()].tolist() == [1, 2, 3]
        assert f["g/l"][()].tolist() == [1, 2, 3]


@pytest.mark.parametrize("dest", ["/a/c/c", "/a/c2"])
def test_copy_into_the_copied_group_copies_it_as_it_was(
    files: tuple[h5py.File, LindiH5pyFile], dest: str
) -> None:
    """``f.copy("/a", "/a/c/c")`` copies ``/a`` as it was before ``/a/c`` was made for the
    copy (an extra ``/a/c/c/c`` appeared)."""
    for f in files:
        f.create_dataset("a/x", data=[1])
        f.copy("/a", dest)

    def names(f: Any) -> list[str]:
        found: list[str] = []
        f.visit(found.append)
        return sorted(found)

    assert_same(*files, names)


def test_fixed_width_bytes_fields_keep_their_bytes(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    """Bytes of a fixed-width field of a compound row read back as written; bytes that are not
    UTF-8 text are refused in lindi-v1 (they were stored as Latin-1 text and read back as its
    UTF-8 encoding, b"\\xff" as b"\\xc3\\xbf")."""
    dtype = np.dtype([("a", "S3"), ("i", "i4")])
    for f in files:
        f.create_dataset("c", data=np.array([("é".encode(), 1), (b"ok", 2)], dtype=dtype))
    assert_same(*files, lambda f: f["c"][()])
    h5, lindi = files
    h5.create_dataset("bad", data=np.array([(b"\xff\xfe", 1)], dtype=dtype))
    try:
        lindi.create_dataset("bad", data=np.array([(b"\xff\xfe", 1)], dtype=dtype))
    except LindiUnsupportedError as exc:
        assert "field 'a'" in str(exc) and "not UTF-8" in str(exc)
    else:
        assert_same(h5, lindi, lambda f: f["bad"][()])


def test_converting_non_utf8_fixed_width_compound_field(tmp_path: Path) -> None:
    from hdmf_lindi.hdf5 import convert

    source = tmp_path / "s.h5"
    dtype = np.dtype([("a", "S2"), ("i", "i4")])
    with h5py.File(source, "w") as f:
        f.create_dataset("c", data=np.array([(b"\xff\xfe", 1), (b"ok", 2)], dtype=dtype))
    with pytest.raises(LindiUnsupportedError, match=r"s\.h5:/c.*field 'a'.*not UTF-8"):
        convert(source, tmp_path / "s.lindi.json")
    convert(source, tmp_path / "s.lindi.json", unsupported="external_link")
    with LindiH5pyFile.from_lindi_file(tmp_path / "s.lindi.json") as f, h5py.File(source) as h5:
        assert f["c"][()].tolist() == h5["c"][()].tolist()


def test_nwbhdf5io_string_datasets_of_a_lindi_file(tmp_path: Path) -> None:
    """The documented limit (README, Differences from NWBHDF5IO): hdmf's ``StrDataset`` over
    a LINDI string dataset reads values but not ``name`` (it asks h5py's low-level id); LindiIO's
    string datasets have every property."""
    import warnings
    from datetime import UTC, datetime

    from pynwb import NWBHDF5IO, NWBFile

    from hdmf_lindi import LindiIO
    from hdmf_lindi.hdf5 import convert

    nwbfile = NWBFile("d", "id", datetime(2024, 1, 1, tzinfo=UTC), keywords=["a", "b"])
    with NWBHDF5IO(str(tmp_path / "s.nwb"), "w") as io:
        io.write(nwbfile)
    convert(tmp_path / "s.nwb", tmp_path / "s.lindi.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LindiH5pyFile.from_lindi_file(tmp_path / "s.lindi.json") as f:
            keywords = NWBHDF5IO(file=f, mode="r").read().keywords
            assert keywords[:].tolist() == ["a", "b"]
            with pytest.raises(TypeError):
                keywords.name  # noqa: B018
        with LindiIO(str(tmp_path / "s.lindi.json"), "r") as io:
            keywords = io.read().keywords
            assert keywords[:].tolist() == ["a", "b"]
            assert keywords.name == "/general/keywords"
            assert keywords.parent.name == "/general"
            assert dict(keywords.attrs) == {}


def test_resize_keeps_maxshape_and_needs_chunks(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    """Shrinking a chunked dataset made without ``maxshape`` keeps its first shape as the
    limit, so it can grow back (it lowered the limit); a contiguous dataset cannot be resized
    (TypeError; it was resized)."""
    for f in files:
        f.create_dataset("c", data=np.arange(10), chunks=(4,))
        f.create_dataset("flat", data=np.arange(10))
    for action in (
        lambda f: f["c"].resize((6,)),
        lambda f: f["c"].maxshape,
        lambda f: f["c"][()],
        lambda f: f["c"].resize((10,)),
        lambda f: f["c"][()],
        lambda f: f["c"].resize((11,)),
        lambda f: f["flat"].resize((5,)),
        lambda f: f["flat"].shape,
    ):
        assert_same(*files, action)


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(lambda f: f.__setitem__("d", h5py.SoftLink("/g")), id="soft-link-taken"),
        pytest.param(
            lambda f: f.__setitem__("g", h5py.ExternalLink("x.h5", "/g")), id="external-taken"
        ),
        pytest.param(lambda f: f.__setitem__("g", f["d"]), id="hard-link-taken"),
        pytest.param(lambda f: f.__setitem__("d", [1, 2]), id="data-name-taken"),
        pytest.param(lambda f: f.create_group("g"), id="group-taken"),
        pytest.param(lambda f: f.create_dataset("d", data=[1]), id="dataset-taken"),
        pytest.param(lambda f: f.create_group("d/x"), id="group-under-dataset"),
        pytest.param(lambda f: f.create_dataset("d/x", data=[1]), id="dataset-under-dataset"),
        pytest.param(lambda f: f["d"][[3, 1]], id="decreasing-indices"),
        pytest.param(lambda f: f["d"][[1, 1]], id="repeated-indices"),
        pytest.param(lambda f: f["d"][::-1], id="negative-step"),
        pytest.param(lambda f: f["d"][[]], id="empty-list"),
        pytest.param(lambda f: f["d"].__setitem__([2, 1], [0, 0]), id="write-decreasing"),
        pytest.param(lambda f: f["d"].__setitem__(slice(None, None, -1), 0), id="write-step"),
        pytest.param(
            lambda f: f.create_dataset("e", shape=(4,), chunks=(8,), maxshape=(4,), dtype="i4"),
            id="chunks-over-maxshape",
        ),
        pytest.param(
            lambda f: (
                f.create_dataset("e", shape=(4,), chunks=(8,), maxshape=(9,), dtype="i4").chunks
            ),
            id="chunks-within-maxshape",
        ),
        pytest.param(lambda f: f["d"][()], id="values-unchanged"),
    ],
)
def test_exception_types_of_names_and_selections(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    """Found by a differential fuzzer against h5py: exception types for taken names (a link
    there: OSError/RuntimeError), paths through a dataset, selections h5py refuses (which LINDI
    read), and ``[]`` (which LINDI refused)."""
    for f in files:
        f.create_dataset("d", data=np.arange(10))
        f.create_group("g")
    assert_same(*files, action)
    assert_same(*files, lambda f: f["d"][()])


def test_deleting_in_a_read_only_file_raises_key_error(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "e.h5", "w") as f:
        f.create_group("g")
    with LindiH5pyFile.from_lindi_file(tmp_path / "e.lindi.json", mode="w") as f:
        f.create_group("g")
    with (
        h5py.File(tmp_path / "e.h5", "r") as h5,
        LindiH5pyFile.from_lindi_file(tmp_path / "e.lindi.json") as lindi,
    ):
        assert_same(h5, lindi, lambda f: f.__delitem__("missing"))
        assert_same(h5, lindi, lambda f: f.__delitem__("g"))
        assert "g" in lindi


def test_hard_links_stay_hard_when_their_object_moves_or_is_deleted(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """Links repointed after a move or a delete keep being hard links (getlink, and copies of
    a group holding one copy the object)."""
    for f in files:
        f.create_dataset("d", data=[1, 2])
        f["a"] = f["d"]
        f["b"] = f["d"]
        f["c"] = f["d"]
        f.move("d", "e")
        del f["e"]  # the object stays under a, b, c
        f.create_group("g")["l"] = f["b"]
        f.copy("g", "g2")
        f["g2/l"][0] = 100
    for name in ("a", "b", "c", "g/l"):
        assert isinstance(files[1].get(name, getlink=True), h5py.HardLink), name
        assert_same(*files, lambda f, name=name: f[name][()])
    assert_same(*files, lambda f: f["g2/l"][()])


@pytest.mark.parametrize(
    "selection",
    [[0, -1], [-1, 2], [-1, 1], [5, 1], [5, 5], [-4], [-3, -1]],
    ids=str,
)
def test_index_lists_with_negative_or_outside_indices(
    files: tuple[h5py.File, LindiH5pyFile], selection: list[int]
) -> None:
    """h5py checks an index list's range first, then its order after resolving negative
    indices: ``v[[0, -1]]`` reads, ``v[[-1, 1]]`` is refused, ``v[[5, 1]]`` is an IndexError."""
    for f in files:
        f.create_dataset("v", data=[10, 20, 30])
    assert_same(*files, lambda f: f["v"][selection])
    assert_same(*files, lambda f: f["v"].__setitem__(selection, 7))
    assert_same(*files, lambda f: f["v"][()])


def test_deleting_a_group_keeps_a_dangling_link_into_it(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """A soft link to a name inside a deleted group that never existed stays (dangling), as in
    HDF5 (the delete removed it)."""
    for f in files:
        f.create_group("g")
        f["l"] = h5py.SoftLink("/g/t")
        del f["g"]
    assert_same(*files, lambda f: sorted(f))
    assert_same(*files, lambda f: f.get("l", getlink=True).path)
    assert_same(*files, lambda f: f.get("l"))


def test_objects_created_through_a_link_are_named_by_that_path(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """``f["l"].create_group("x").name`` is ``/l/x`` when ``l`` links to ``/g``, as in h5py
    (it was ``/g/x``); a name that is not a string raises TypeError (an AttributeError)."""
    for f in files:
        f.create_group("g")
        f["l"] = h5py.SoftLink("/g")
        f["h"] = f["g"]
    assert_same(*files, lambda f: f["l"].create_group("x").name)
    assert_same(*files, lambda f: f["h"].create_dataset("y", data=[1]).name)
    assert_same(*files, lambda f: f["l"].require_group("z").name)
    assert_same(*files, lambda f: f["l"].require_dataset("w", (2,), "i4").name)
    assert_same(*files, lambda f: sorted(f["g"]))
    assert_same(*files, lambda f: f["g"].__setitem__((), 0))
    assert_same(*files, lambda f: f.create_group(7))


def test_modifying_a_string_attribute_to_non_utf8_bytes_does_not_crash(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """``attrs.modify`` with bytes that are not UTF-8 stores them as an attribute set to such
    bytes is, and both read back as h5py returns them (``"\\udcff"``, surrogateescape); it
    raised UnicodeDecodeError, then read back Latin-1 text (``"\\xff"``)."""

    def action(f: Any) -> Any:
        f.attrs["z"] = "abc"
        f.attrs.modify("z", b"\xff")
        f.attrs["x"] = b"\xff"
        return f.attrs["z"], f.attrs["x"]

    assert assert_same(*files, action) == ("\udcff", "\udcff")


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(lambda f: f.create_dataset("d/c", data=[1]), id="create"),
        pytest.param(lambda f: f.require_dataset("d/c", (1,), "i8"), id="require"),
        pytest.param(lambda f: f.__setitem__("d/c", [1]), id="setitem"),
        pytest.param(lambda f: f.create_dataset("d/c/0", data=[1]), id="chunk-key"),
    ],
)
def test_a_refused_create_below_a_dataset_keeps_its_values(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    """Creating ``d/c`` below dataset ``d`` is refused; in the unified Zarr v3 flavour the
    failed create's clean-up deleted ``d/c/...``, the chunks of ``d`` (found by the
    differential fuzzer: every element read the fill value)."""
    for f in files:
        f.create_dataset("d", data=[1, 2])
        assert outcome(f, action)[0] == "raises"
    assert_same(*files, lambda f: f["d"][()])


def _visited(f: Any) -> tuple[list[str], list[str], list[str]]:
    """The names ``visit``, ``visititems`` and ``visit_links`` report, in their order."""
    visited: list[str] = []
    f.visit(visited.append)
    items: list[str] = []
    f.visititems(lambda name, obj: items.append(name))
    links: list[str] = []
    f.visit_links(links.append)
    return visited, items, links


def test_visit_reports_a_hard_linked_object_once_under_its_first_name(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """``visit`` walks names in order and reports each object once, under the first name it
    meets (H5Ovisit), entering a hard-linked group through that name; ``visit_links`` reports
    every link once (it reported ``b/h`` and ``a/x`` both, or skipped names in groups reached
    through a second name)."""
    for f in files:
        f.create_dataset("z/x", data=[1])
        f.create_group("y/inner").create_dataset("q", data=[2])
        f["b"] = f["y"]
        f["c"] = f["z/x"]
        f["y/loop"] = f["y"]
        f["s"] = h5py.SoftLink("/y")
    assert_same(*files, _visited)


def test_copying_a_group_into_an_object_it_links_copies_them_as_they_were(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """``f.copy("g", "t/c")`` where ``g/l`` is a second name of ``t``: the copy of ``t`` inside
    the copy is ``t`` as it was (it held a copy of the copy, ``t/c/l/c``)."""
    for f in files:
        f.create_dataset("t/x", data=[1, 2])
        f.create_group("g")
        f["g/l"] = f["t"]
        f.copy("g", "t/c")
    assert_same(*files, _visited)
    assert_same(*files, lambda f: sorted(f["t/c/l"]))
    assert_same(*files, lambda f: f["t/c/l/x"][()])


@pytest.mark.parametrize("source", ["g", "g/sub"])
def test_copying_a_hard_link_cycle_copies_each_object_once(
    files: tuple[h5py.File, LindiH5pyFile], source: str
) -> None:
    """Copying a group whose members link back to it or to a group that holds it (hard
    links) copies every object reached once, the links of the copy naming the copies (a link
    to a group holding the source stayed a link to the original)."""
    for f in files:
        f.create_dataset("g/sub/x", data=[3])
        f.create_group("t")
        f["g/sub/up"] = f["g"]
        f["g/l"] = f["t"]
        f["t/back"] = f["g"]
        f.copy(source, "c")
    assert_same(*files, _visited)
    for f in files:
        f["c/x" if source == "g/sub" else "c/sub/x"][0] = 30
    assert_same(*files, lambda f: f["g/sub/x"][()])
    assert_same(
        *files, lambda f: f["c/up/sub/x"][()] if source == "g/sub" else f["c/sub/up/sub/x"][()]
    )
    assert_same(
        *files,
        lambda f: f["c/up/l/back/sub/x"][()] if source == "g/sub" else f["c/l/back/sub/x"][()],
    )


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(lambda f: f["dangling/y"], id="open-through-dangling"),
        pytest.param(lambda f: f["dangling"], id="open-dangling"),
        pytest.param(lambda f: f.__delitem__("dangling/y"), id="delete-through-dangling"),
        pytest.param(lambda f: f.move("dangling/y", "z"), id="move-through-dangling"),
        pytest.param(lambda f: f.create_group("dangling/y"), id="group-through-dangling"),
        pytest.param(
            lambda f: f.__setitem__("dangling/y", h5py.SoftLink("/g")), id="link-through-dangling"
        ),
        pytest.param(lambda f: f.copy("dangling", "z"), id="copy-dangling"),
        pytest.param(lambda f: "nowhere/y" in f, id="in-through-link-to-missing-group"),
        pytest.param(lambda f: "dangling/y" in f, id="in-through-dangling"),
        pytest.param(lambda f: "dangling" in f, id="in-dangling"),
        pytest.param(lambda f: f.get("dangling/y", getlink=True), id="getlink-through-dangling"),
        pytest.param(lambda f: f["cycle/x"], id="open-through-cycle"),
        pytest.param(lambda f: f["cycle"], id="open-cycle"),
        pytest.param(lambda f: f.create_dataset("cycle", data=[1]), id="dataset-at-cycle"),
        pytest.param(lambda f: f.create_group("cycle/x"), id="group-through-cycle"),
        pytest.param(lambda f: f.create_group("d/x"), id="group-under-dataset"),
        pytest.param(lambda f: f.create_dataset("d/x", data=[1]), id="dataset-under-dataset"),
        pytest.param(lambda f: f.__setitem__("d/x", h5py.SoftLink("/g")), id="link-under-dataset"),
        pytest.param(lambda f: f.move("g", "d/x"), id="move-under-dataset"),
        pytest.param(lambda f: f.copy("g", "d/x"), id="copy-under-dataset"),
        pytest.param(lambda f: "d/x" in f, id="in-under-dataset"),
        pytest.param(lambda f: f.require_group("d"), id="require-group-at-dataset"),
        pytest.param(lambda f: f.copy("missing", "z"), id="copy-missing-source"),
        pytest.param(lambda f: f.copy("g", "to_g/copy"), id="copy-through-soft-link"),
    ],
)
def test_exception_types_of_paths_through_links_and_datasets(
    files: tuple[h5py.File, LindiH5pyFile], action: Action
) -> None:
    """Paths through a dangling soft link, a soft link cycle or a dataset, and copies from a
    missing source or through a soft link, raise what h5py raises (found by the differential
    fuzzer: KeyError where h5py raises OSError, ValueError or RuntimeError; a copy through a
    soft link landed beside it)."""
    for f in files:
        f.create_group("g")
        f.create_dataset("d", data=[1])
        f["dangling"] = h5py.SoftLink("/g/missing")
        f["nowhere"] = h5py.SoftLink("/missing/x")
        f["cycle"] = h5py.SoftLink("/cycle2")
        f["cycle2"] = h5py.SoftLink("/cycle")
        f["to_g"] = h5py.SoftLink("/g")
    assert_same(*files, action)
    assert_same(*files, lambda f: sorted(f))
    assert_same(*files, lambda f: sorted(f["g"]))


def test_errors_of_paths_through_links_are_lindi_errors_naming_the_file(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    lindi = files[1]
    lindi["dangling"] = h5py.SoftLink("/missing")
    lindi["cycle"] = h5py.SoftLink("/cycle")
    for action in (lambda f: f["dangling/x"], lambda f: f["cycle"], lambda f: f.copy("m", "z")):
        with pytest.raises(LindiError, match=r"actual\.lindi\.json"):
            action(lindi)


def test_a_failed_create_dataset_keeps_the_groups_it_made(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """``create_dataset("new/parents/d", data=<unconvertible>)`` makes the parent groups before
    it fails, as h5py does; the dataset is not made."""
    for f in files:
        assert outcome(f, lambda f: f.create_dataset("new/parents/d", data=object()))[0] == (
            "raises"
        )
    assert_same(*files, _visited)


@pytest.mark.parametrize("then", ["delete-link", "repoint-link", "nothing"])
def test_a_relative_link_made_through_a_soft_link_is_read_from_where_it_lands(
    files: tuple[h5py.File, LindiH5pyFile], then: str
) -> None:
    """``f["a/l"] = SoftLink("x")`` with ``a`` -> ``/b`` puts ``l`` in ``/b`` and HDF5 reads
    ``x`` from there (``/b/x``); LINDI took it from the path used (``/a/x``), which broke when
    ``a`` was deleted or repointed."""
    for f in files:
        f.create_dataset("b/x", data=[1])
        f.create_dataset("c/x", data=[2])
        f["a"] = h5py.SoftLink("/b")
        f["a/l"] = h5py.SoftLink("x")
        if then != "nothing":
            del f["a"]
        if then == "repoint-link":
            f["a"] = h5py.SoftLink("/c")
    assert_same(*files, lambda f: f["b/l"][()])
    assert_same(*files, lambda f: f.get("a/l") is None)


def test_moving_onto_a_soft_link_cycle_reports_the_cycle(
    files: tuple[h5py.File, LindiH5pyFile],
) -> None:
    """``move`` to a name that is a soft link in a cycle raises h5py's RuntimeError (HDF5
    follows the link there first), not the name-taken ValueError (found by the fuzzer)."""
    for f in files:
        f["c"] = h5py.SoftLink("c/a")
        f["a/a"] = h5py.SoftLink("/a")
        f["d"] = h5py.SoftLink("/missing")
    assert_same(*files, lambda f: f.move("a/a", "c"))
    assert_same(*files, lambda f: f.move("a/a", "d"))
    assert_same(*files, lambda f: sorted(f))


@pytest.mark.parametrize("second_name", [False, True])
def test_visit_from_a_group_a_cycle_leads_back_to(
    files: tuple[h5py.File, LindiH5pyFile], second_name: bool
) -> None:
    """Visiting ``X`` where a hard link cycle leads back to ``X``: HDF5 reports ``X`` again
    (without entering it) unless ``X`` has a second name (found by the fuzzer)."""
    for f in files:
        f.create_group("c/c")
        f["c/a"] = f["c/c"]
        f["c/c"].require_group("a/b")
        f["c/a"]["c/b"] = f["c"]
        f["c/a/a/b"]["a/a"] = f["c/a"]
        if second_name:
            f["x"] = f["c/c/a/b"]
    assert_same(*files, lambda f: _visited(f["c/a/a/b"]))
    assert_same(*files, lambda f: _visited(f["c"]))
    assert_same(*files, _visited)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("x", id="self-link"),
        pytest.param("x/y", id="through-self-link"),
        pytest.param("m", id="two-link-cycle"),
        pytest.param("p/z", id="link-through-itself"),
        pytest.param("g/l", id="cycle-through-group-link"),
        pytest.param("a/b", id="into-cycle-through-group-link"),
        pytest.param("h/u", id="many-group-links"),
        pytest.param("g/" + "/".join(["s"] * 16) + "/t", id="16-links-in-a-row"),
        pytest.param("g/" + "/".join(["s"] * 17) + "/t", id="17-links-in-a-row"),
        *(
            pytest.param("g/" + "s/" * k + "x", id=f"{k}-links-then-a-cycle")
            for k in (0, 5, 6, 7, 8, 14)
        ),
        pytest.param("g/y", id="cycle-completing-a-link-each-time"),
        pytest.param("g/z", id="cycle-of-two-completing-a-link-each-time"),
        pytest.param("c/a/b/a", id="link-then-link-through-itself"),
        pytest.param("c16", id="16-links-one-inside-the-other"),
        pytest.param("c17", id="17-links-one-inside-the-other"),
        pytest.param(
            "g/hard/hard/hard/hard/hard/hard/hard/hard/hard/hard/hard/hard/hard/hard/hard/t"
        ),
    ],
)
def test_soft_link_limits_and_cycles_raise_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], path: str
) -> None:
    """HDF5 follows at most 16 soft links in one traversal of a path: h5py raises
    ``RuntimeError`` when the 17th is 11 or more links deep (each followed inside the one
    before: a cycle of links) and ``KeyError`` otherwise (soft links standing for groups on the
    way, followed one after the other), so ``get`` returns its default then (found by the
    fuzzer: LINDI raised the cycle's error for ``get``, and followed a chain of 17 links);
    second (hard link) names do not count."""
    for f in files:
        f.create_group("g/t")
        f["g/s"] = h5py.SoftLink("/g")
        f["g/hard"] = f["g"]
        f["g/l"] = h5py.SoftLink("/g/s/l")
        f["g/x"] = h5py.SoftLink("/g/x")
        f["g/y"] = h5py.SoftLink("/g/s/y")
        f["g/z"] = h5py.SoftLink("/g/z2")
        f["g/z2"] = h5py.SoftLink("/g/s/z")
        f.create_group("c/a/b")
        f["c/a/b/a"] = h5py.SoftLink("/c/a/b/a/a")
        f["a/b"] = h5py.SoftLink("/g/l")
        f["x"] = h5py.SoftLink("/x")
        f["m"] = h5py.SoftLink("/n")
        f["n"] = h5py.SoftLink("/m")
        f["p"] = h5py.SoftLink("/p/q")
        f.create_group("h")
        f["h/t"] = h5py.SoftLink("/h")
        f["h/u"] = h5py.SoftLink("/h/t/t/t/u")
        for length in (16, 17):
            for i in range(length):
                f[f"c{length}_{i}" if i else f"c{length}"] = h5py.SoftLink(
                    f"/c{length}_{i + 1}" if i + 1 < length else "/g/t"
                )
    assert_same(*files, lambda f: f[path].name)
    assert_same(*files, lambda f: f.get(path) is None)
    assert_same(*files, lambda f: path in f)


@pytest.mark.parametrize("link", ["l1", "l2", "l3", "l4", "l5"])
def test_names_through_a_link_to_a_dangling_link(
    files: tuple[h5py.File, LindiH5pyFile], link: str
) -> None:
    """``name in group`` and ``get(name, getlink=True)`` through a soft link to another soft
    link follow the chain: h5py raises ``RuntimeError`` when a target on the way is in no
    group, else says the name is not there (found by the fuzzer: LINDI said not there)."""
    for f in files:
        f.create_group("b")
        f.create_group("g")
        f["b/c"] = h5py.SoftLink("/a/c")
        f["b/d"] = h5py.SoftLink("/g/missing")
        f["b/e"] = h5py.SoftLink("/b/d")
        f["b/f"] = h5py.SoftLink("/b/c")
        for name, target in zip(
            ["l1", "l2", "l3", "l4", "l5"], ["c", "d", "e", "f", "/g"], strict=True
        ):
            f[name] = h5py.SoftLink(target if target.startswith("/") else f"/b/{target}")
    assert_same(*files, lambda f: f"{link}/x" in f)
    assert_same(*files, lambda f: f.get(f"{link}/x", getlink=True) is None)
    assert_same(*files, lambda f: link in f)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(object(), id="object"),
        pytest.param({"a": 1}, id="dict"),
        pytest.param(np.array([object()]), id="object-array"),
        pytest.param(np.array([1, "a"], dtype=object), id="object-array-mixed"),
        pytest.param(np.array([], dtype=object), id="empty-object-array"),
        pytest.param([1, "a"], id="list-mixed"),
        pytest.param([b"a", "b"], id="list-str-bytes"),
        pytest.param(np.array(["a", "b"], dtype=object), id="object-array-of-str"),
        pytest.param(["a", "b"], id="list-of-str"),
    ],
)
def test_create_dataset_refuses_values_without_an_hdf5_type_as_h5py(
    files: tuple[h5py.File, LindiH5pyFile], data: Any
) -> None:
    """h5py raises ``TypeError`` for data without an HDF5 type; LINDI raised
    ``LindiUnsupportedError`` (a ``NotImplementedError``) or ``LindiFormatError``."""
    assert_same(*files, lambda f: f.create_dataset("x", data=data).shape)
    assert_same(*files, lambda f: sorted(f))
    if outcome(files[0], lambda f: f.create_dataset("y", data=data))[0] == "raises":
        with pytest.raises(LindiError, match="actual"):
            files[1].create_dataset("y", data=data)
