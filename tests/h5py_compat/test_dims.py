"""``dataset.dims`` and ``make_scale`` as h5py's: labels, dimensions without scales (LINDI
files hold none), scales made with HDF5's attributes, and h5py's exception types."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import LindiH5pyFile, LindiUnsupportedError, convert
from tests.h5py_compat.test_review_parity import assert_same, files

__all__ = ["files"]  # the fixture, imported for the tests below

Action = Callable[[Any], Any]


def _labelled(f: Any) -> Any:
    f["x"].dims[1].label = "time"
    assert [d.label for d in f["x"].dims] == ["", "time"]
    return f["x"].attrs["DIMENSION_LABELS"]


def _scale(name: str) -> Action:
    def action(f: Any) -> Any:
        f["u"].make_scale(name)
        return sorted(f["u"].attrs.items()), f["u"].is_scale

    return action


ACTIONS: dict[str, Action] = {
    "count": lambda f: (len(f["x"].dims), len(f["s"].dims)),
    "no-label": lambda f: f["x"].dims[0].label,
    "no-scales": lambda f: (len(f["x"].dims[0]), f["x"].dims[0].keys(), list(f["x"].dims[0])),
    "no-scale-items": lambda f: (f["x"].dims[1].items(), f["x"].dims[1].values()),
    "scale-by-index": lambda f: f["x"].dims[0][0],
    "scale-by-name": lambda f: f["x"].dims[0]["a"],
    "negative-dimension": lambda f: f["x"].dims[-1].label,
    "negative-dimension-scales": lambda f: len(f["x"].dims[-1]),
    "dimension-past-the-end": lambda f: f["x"].dims[2],
    "dimension-by-name": lambda f: f["x"].dims["a"],
    "set-label": _labelled,
    "set-label-bytes": lambda f: setattr(f["x"].dims[0], "label", b"t"),
    "set-label-number": lambda f: setattr(f["x"].dims[0], "label", 5),
    "same-dimension": lambda f: f["x"].dims[0] == f["x"].dims[0],
    "other-dimension": lambda f: f["x"].dims[0] == f["x"].dims[1],
    "make-scale": _scale("tt"),
    "make-scale-unnamed": _scale(""),
    "make-scale-scalar": lambda f: f["s"].make_scale("q"),
    "not-a-scale": lambda f: f["x"].is_scale,
}


@pytest.mark.parametrize("action", list(ACTIONS.values()), ids=list(ACTIONS))
def test_dims_as_h5py(files: tuple[h5py.File, LindiH5pyFile], action: Action) -> None:
    h5, lindi = files
    for f in files:
        f.create_dataset("x", data=np.zeros((2, 3)))
        f.create_dataset("u", data=[1, 2])
        f.create_dataset("s", data=1.0)
    assert_same(h5, lindi, action)


@pytest.mark.parametrize(
    "action",
    [
        lambda f: [d.label for d in f["x"].dims],
        lambda f: sorted(f["u"].attrs.items()),
        lambda f: setattr(f["x"].dims[1], "label", "z"),
        lambda f: f["u"].make_scale("w"),
    ],
    ids=["labels", "scale-attributes", "set-label", "make-scale"],
)
def test_dims_of_a_reopened_file_as_h5py(tmp_path: Path, action: Action) -> None:
    for f in (
        h5py.File(tmp_path / "a.h5", "w"),
        LindiH5pyFile.from_lindi_file(tmp_path / "a.lindi.json", mode="w"),
    ):
        with f:
            f.create_dataset("x", data=np.zeros((2, 3))).dims[1].label = "time"
            f.create_dataset("u", data=[1, 2]).make_scale("tt")
    with (
        h5py.File(tmp_path / "a.h5", "r") as h5,
        LindiH5pyFile.from_lindi_file(tmp_path / "a.lindi.json") as lindi,
    ):
        assert_same(h5, lindi, action)


def test_a_scale_keeps_hdf5_attribute_widths(tmp_path: Path) -> None:
    """``CLASS`` is ``|S16`` and ``NAME`` one byte longer than the name, as HDF5 writes them."""
    path = tmp_path / "a.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("u", data=[1, 2]).make_scale("tt")
    zattrs = json.loads(path.read_text())["refs"]["u/.zattrs"]
    assert dict(map(tuple, zattrs["_ATTRIBUTE_DTYPES"])) == {"CLASS": "|S16", "NAME": "|S3"}


def test_scales_cannot_be_attached(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    lindi = files[1]
    x = lindi.create_dataset("x", data=np.zeros(2))
    u = lindi.create_dataset("u", data=[1, 2])
    u.make_scale("u")
    with pytest.raises(LindiUnsupportedError, match="/x: dimension 0"):
        x.dims[0].attach_scale(u)
    with pytest.raises(LindiUnsupportedError, match="/x: dimension 0"):
        x.dims[0].detach_scale(u)


def test_labels_of_a_converted_file(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f.create_dataset("x", data=np.zeros((2, 3))).dims[0].label = "trial"
    convert(tmp_path / "a.h5", tmp_path / "a.lindi.json")
    with LindiH5pyFile.from_lindi_file(tmp_path / "a.lindi.json") as f:
        assert [d.label for d in f["x"].dims] == ["trial", ""]


def test_create_scale_is_deprecated_as_in_h5py(files: tuple[h5py.File, LindiH5pyFile]) -> None:
    for f in files:
        x = f.create_dataset("x", data=np.zeros(2))
        u = f.create_dataset("u", data=[1, 2])
        with pytest.warns(h5py.h5py_warnings.H5pyDeprecationWarning):
            x.dims.create_scale(u, "u")
        assert u.is_scale
