"""lindi 0.4.6 (in its own environment) reads files carrying the ``_ATTRIBUTE_DTYPES`` record
without error, through its h5py view and through pynwb: the record is an ordinary attribute to
it (a 2-D string array), every other attribute keeps its value."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pynwb
import pytest

import hdmf_lindi as lindi
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream
from tests.io.dtype_files import make_mixed_dtype_nwb

pytestmark = pytest.mark.upstream

UPSTREAM_READ = r"""
import json, sys
import numpy as np
import h5py
import lindi, pynwb

def norm(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [norm(x) for x in v.tolist()] if v.ndim else norm(v[()])
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, np.generic):
        return norm(v.item())
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return "<reference>"

client = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1])
attrs = {"/": {k: norm(client.attrs[k]) for k in client.attrs}}
def walk(group, prefix):
    for name in group.keys():
        if isinstance(group.get(name, getlink=True), h5py.SoftLink):
            continue
        obj = group[name]
        attrs[prefix + name] = {k: norm(obj.attrs[k]) for k in obj.attrs}
        if isinstance(obj, h5py.Group):
            walk(obj, prefix + name + "/")
walk(client, "/")
with pynwb.NWBHDF5IO(file=client, mode="r") as io:
    nwbfile = io.read()
    ts = nwbfile.acquisition["ts"]
    series = nwbfile.acquisition["ElectricalSeries"]
    plane = nwbfile.imaging_planes["ImagingPlane"]
    fields = {
        "conversion": float(ts.conversion),
        "resolution": float(ts.resolution),
        "rate": float(ts.rate),
        "channel_conversion": norm(series.channel_conversion[:]),
        "excitation_lambda": float(plane.excitation_lambda),
        "correct": norm(nwbfile.trials["correct"][:]),
    }
print(json.dumps({"attrs": attrs, "fields": fields}))
"""


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [_plain(x) for x in value.tolist()] if value.ndim else _plain(value[()])
    if isinstance(value, list | tuple):
        return [_plain(x) for x in value]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return "<reference>"


def _h5py_attributes(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with h5py.File(path, "r") as f:
        out["/"] = {k: _plain(f.attrs[k]) for k in f.attrs}
        f.visititems(lambda name, obj: out.update({"/" + name: _attrs(obj)}))
    return out


def _attrs(obj: Any) -> dict[str, Any]:
    return {k: _plain(obj.attrs[k]) for k in obj.attrs}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("upstream-dtypes") / "mixed.nwb"
    make_mixed_dtype_nwb(path)
    return path


def _convert(source: Path, dest: Path) -> None:
    lindi.convert(source, dest)


def _export(source: Path, dest: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pynwb.NWBHDF5IO(source, "r") as src:
            lindi.LindiIO.export_io(dest, src_io=src, inline_threshold=None)


@pytest.mark.parametrize(
    ("writer", "name"),
    [(_convert, "converted.nwb.lindi.json"), (_export, "written.nwb.lindi.json")],
)
def test_lindi_046_reads_our_dtype_records(
    source: Path, tmp_path: Path, writer: Any, name: str
) -> None:
    dest = tmp_path / name
    writer(source, dest)
    try:
        theirs = run_upstream(UPSTREAM_READ, str(dest))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    expected = _h5py_attributes(source)
    records = 0
    for path, attrs in theirs["attrs"].items():
        if path.startswith("/specifications"):
            continue
        attrs.pop("_MAXSHAPE", None)  # also ordinary attributes to lindi 0.4.6
        attrs.pop("_HDF5_LAYOUT", None)
        if attrs.pop("_DTYPE", None) is not None:  # only on reference datasets
            with h5py.File(source, "r") as h5file:
                assert h5py.check_ref_dtype(h5file[path].dtype) is h5py.Reference, path
        if attrs.pop("_STRING_ENCODING", None) is not None:  # only where HDF5 has ASCII
            with h5py.File(source, "r") as h5file:
                assert h5py.check_string_dtype(h5file[path].dtype).encoding == "ascii", path
        record = attrs.pop("_ATTRIBUTE_DTYPES", None)
        if record is not None:
            records += 1
            assert all(isinstance(p, list) and len(p) == 2 for p in record), path
            assert {p[0] for p in record} <= set(attrs), path
        want = expected[path]
        if writer is _export:  # hdmf hands LindiIO (and NWBHDF5IO) bytes attributes as str
            want = {k: v for k, v in want.items() if k in attrs}
        assert attrs == want, path
    assert records > 5
    assert theirs["attrs"]["/acquisition/ts"]["u8"] == 200
    assert theirs["fields"] == {
        "conversion": 0.077,
        "resolution": float(np.float32(0.1)),
        "rate": 0.077,
        "channel_conversion": [0.077] * 5,
        "excitation_lambda": 0.077,
        "correct": [False, True, False],
    }
