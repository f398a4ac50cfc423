"""Bad input gets a clear error naming the file and object, and nothing half-written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.errors import (
    LindiExistsError,
    LindiFormatError,
    LindiReadOnlyError,
    LindiShapeError,
    LindiUnsupportedError,
)
from hdmf_lindi.h5py_compat import LindiH5pyFile


@pytest.fixture
def lindi_path(tmp_path: Path) -> Path:
    path = tmp_path / "f.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.attrs["a"] = 1
        grp = f.create_group("grp")
        grp.attrs["object_id"] = "aaaaaaaa-0000-4000-8000-000000000000"
        f.create_dataset("data", data=np.arange(4), maxshape=(6,), chunks=(2,))
        f["dangling"] = h5py.SoftLink("/nowhere")
    return path


READ_ONLY_WRITES: dict[str, Callable[[Any], Any]] = {
    "set attribute": lambda f: f.attrs.__setitem__("b", 2),
    "delete attribute": lambda f: f.attrs.__delitem__("a"),
    "create group": lambda f: f.create_group("new"),
    "require new group": lambda f: f.require_group("new"),
    "create dataset": lambda f: f.create_dataset("new", data=[1]),
    "assign dataset": lambda f: f.__setitem__("new", np.arange(2)),
    "write values": lambda f: f["data"].__setitem__(0, 5),
    "resize": lambda f: f["data"].resize((5,)),
    "soft link": lambda f: f.__setitem__("link", h5py.SoftLink("/grp")),
    "delete": lambda f: f.__delitem__("grp"),
    "group attribute": lambda f: f["grp"].attrs.__setitem__("x", 1),
}


@pytest.mark.parametrize("operation", sorted(READ_ONLY_WRITES))
def test_writes_in_mode_r_are_refused(operation: str, lindi_path: Path) -> None:
    before = lindi_path.read_bytes()
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r") as f:
        with pytest.raises(LindiReadOnlyError, match=r"f\.lindi\.json.*read-only"):
            READ_ONLY_WRITES[operation](f)
        assert isinstance(LindiReadOnlyError("x"), PermissionError)
    assert lindi_path.read_bytes() == before


def test_dangling_soft_link(lindi_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(lindi_path) as f:
        with pytest.raises(KeyError, match="nowhere"):
            f["dangling"]
        assert "dangling" in f  # the link exists, as h5py says
        assert f.get("dangling") is None
        assert f.get("dangling", getlink=True).path == "/nowhere"
        names: list[str] = []
        f.visit_links(names.append)
        assert "dangling" in names


def test_reference_to_missing_object(lindi_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f:
        f.attrs["ref"] = f["grp"].ref
        del f["grp"]
        ref = f.attrs["ref"]
        assert isinstance(ref, h5py.Reference)
        with pytest.raises(KeyError, match=r"f\.lindi\.json.*missing object '/grp'"):
            f[ref]


def test_reference_to_replaced_object(lindi_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f:
        f.attrs["ref"] = f["grp"].ref
        del f["grp"]
        f.create_group("grp").attrs["object_id"] = "bbbbbbbb-0000-4000-8000-000000000000"
        with pytest.raises(LindiFormatError, match="object_id"):
            f[f.attrs["ref"]]


def test_reference_from_an_hdf5_file_is_refused(lindi_path: Path, tmp_path: Path) -> None:
    with (
        h5py.File(tmp_path / "other.h5", "w") as h5,
        LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f,
    ):
        h5_ref = h5.create_group("g").ref
        with pytest.raises(TypeError, match="LINDI"):
            f.attrs["bad"] = h5_ref
        with pytest.raises(LindiUnsupportedError, match="not a reference read from a LINDI"):
            f[h5_ref]


def test_shape_mismatches(lindi_path: Path) -> None:
    before_write = None
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f:
        ds = f["data"]
        with pytest.raises(LindiShapeError, match=r"can't broadcast \(3,\) -> \(2,\)"):
            ds[0:2] = [1, 2, 3]
        with pytest.raises(TypeError):  # h5py raises TypeError here; so do we
            ds[0:2] = [1, 2, 3]
        assert ds[()].tolist() == [0, 1, 2, 3]
        with pytest.raises(LindiShapeError, match="incompatible with data"):
            f.create_dataset("bad", shape=(3,), data=[1, 2])
        assert "bad" not in f
        with pytest.raises(LindiShapeError, match="maxshape"):
            ds.resize((7,))
        with pytest.raises(LindiShapeError, match="maxshape"):
            f.create_dataset("bad2", shape=(4,), maxshape=(2,), dtype="i4")
        assert "bad2" not in f
        with pytest.raises(LindiShapeError, match="rank"):
            ds.resize((2, 2))
        before_write = ds[()].tolist()
    with LindiH5pyFile.from_lindi_file(lindi_path) as f:
        assert f["data"][()].tolist() == before_write
        assert sorted(f) == ["dangling", "data", "grp"]


def test_names_already_taken(lindi_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f:
        with pytest.raises(LindiExistsError, match=r"'/grp'.*already exists"):
            f.create_group("grp")
        with pytest.raises(ValueError):
            f.create_dataset("data", data=[1])
        with pytest.raises(LindiExistsError):
            f["grp"] = h5py.SoftLink("/data")
        with pytest.raises(TypeError, match="incompatible object"):
            f.require_group("data")
        with pytest.raises(TypeError, match="shapes do not match"):
            f.require_dataset("data", shape=(5,), dtype="i8")


def test_unsupported_arguments(lindi_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f:
        with pytest.raises(LindiUnsupportedError, match="lzf"):
            f.create_dataset("c", data=np.arange(3), compression="lzf")
        with pytest.raises(TypeError, match="unsupported create_dataset arguments"):
            f.create_dataset("c", data=np.arange(3), bogus=1)
        with pytest.raises(LindiUnsupportedError, match="region references"):
            f["data"].regionref  # noqa: B018
        assert "c" not in f


def test_missing_objects(lindi_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(lindi_path, mode="r+") as f:
        with pytest.raises(KeyError, match=r"f\.lindi\.json.*'/nothing'"):
            f["nothing"]
        with pytest.raises(KeyError, match="nothing"):
            del f["nothing"]
        with pytest.raises(KeyError, match="no attribute 'zzz'"):
            f.attrs["zzz"]
        with pytest.raises(KeyError, match="zzz"):
            del f.attrs["zzz"]


def test_closed_file_is_unusable(lindi_path: Path) -> None:
    f = LindiH5pyFile.from_lindi_file(lindi_path)
    grp = f["grp"]
    f.close()
    for action in (lambda: f["grp"], lambda: grp.attrs["object_id"], lambda: list(grp)):
        with pytest.raises(ValueError, match="closed"):
            action()
    assert f.to_reference_file_system()["version"] == 1


def test_write_lindi_file_refuses_container_blobs(tmp_path: Path) -> None:
    path = tmp_path / "blobs.lindi.tar"
    data = np.random.default_rng(0).normal(size=5000)
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("big", data=data, chunks=(1000,))
    with (
        LindiH5pyFile.from_lindi_file(path) as f,
        pytest.raises(LindiUnsupportedError, match="dangling"),
    ):
        f.write_lindi_file(tmp_path / "elsewhere" / "copy.lindi.json")
    assert not (tmp_path / "elsewhere" / "copy.lindi.json").exists()
