"""lindi 0.4.6 (in its own environment) reads a map written with LindiV1Conventions, including
the hdmf_lindi additions (external links, enums, maxshape, vlen bytes, string fields in compound
rows), which it must at least not fail on."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.conventions.chunks import encode_chunk
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Reference
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream

pytestmark = pytest.mark.upstream

CONV = LindiV1Conventions()

SCRIPT = r"""
import json, sys
import numpy as np
import h5py
import lindi

def norm(v):
    if isinstance(v, h5py.Reference):
        return {"ref": f[v].name}
    if isinstance(v, dict) and "_REFERENCE" in v:
        return {"ref": v["_REFERENCE"]["path"]}
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, np.ndarray):
        return [norm(x) for x in v.tolist()] if v.ndim else norm(v[()])
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, np.generic):
        return norm(v.item())
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return str(v)
    return v

f = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1])
out = {}
def visit(name, obj):
    entry = {"attrs": {k: norm(obj.attrs[k]) for k in obj.attrs}}
    if isinstance(obj, h5py.Dataset):
        entry["shape"] = list(obj.shape)
        if obj.dtype.names:
            fields = [n for n in obj.dtype.names if n != "s"]
            entry["value"] = [[norm(x) for x in obj[n][:]] for n in fields]
        else:
            entry["value"] = norm(obj[()] if obj.shape == () else obj[:])
    out[name] = entry
for name in f.keys():
    link = f.get(name, getlink=True)
    if not isinstance(link, h5py.SoftLink):
        visit(name, f[name])
out["/"] = {"attrs": {k: norm(f.attrs[k]) for k in f.attrs}}
out["soft->"] = norm(f["soft"].attrs["count"])
print(json.dumps(out))
"""


def _write(meta: ReferenceMap, path: str, info: DatasetInfo, values: Any) -> None:
    zarray = CONV.write_dataset(meta, path, info)
    stored = CONV.encode_values(info, values)
    if stored.size:
        key = CONV.zarr_path(path) + "/" + ".".join("0" * stored.ndim)
        meta.set_inline(key, encode_chunk(zarray, stored))


def _objects(*items: Any) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _build(path: Path) -> None:
    meta = ReferenceMap()
    CONV.write_group(meta, "/", {"title": "t", "nan": math.nan})
    CONV.write_group(
        meta,
        "/grp",
        {
            "count": np.uint32(7),
            "floats": np.array([1.5, np.nan, np.inf]),
            "labels": np.array(["a", "b"], dtype=object),
            "flags": np.array([True, False]),
            "target": Reference("/scalar"),
        },
    )
    _write(meta, "/scalar", DatasetInfo(shape=(), dtype=np.dtype("<f8")), 3.25)
    _write(
        meta,
        "/strscalar",
        DatasetInfo(shape=(), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING),
        "a string",
    )
    _write(
        meta,
        "/strings",
        DatasetInfo(shape=(3,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING),
        _objects("x", "yy", "é"),
    )
    _write(
        meta,
        "/refs",
        DatasetInfo(shape=(2,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE),
        _objects(Reference("/scalar"), Reference("/grp")),
    )
    dtype = np.dtype([("idx", "<i4"), ("r", h5py.ref_dtype)])
    rows = np.array([(1, Reference("/grp")), (2, Reference("/scalar"))], dtype=dtype)
    _write(meta, "/compound", DatasetInfo(shape=(2,), dtype=dtype, kind=DataKind.COMPOUND), rows)
    # lindi 0.4.6 reads compound datasets field by field and takes every object field for a
    # reference: it cannot read the string field "s" (it never writes such fields either)
    dtype = np.dtype([("idx", "<i4"), ("r", h5py.ref_dtype), ("s", h5py.string_dtype())])
    rows = np.array([(1, Reference("/grp"), "one"), (2, Reference("/scalar"), "two")], dtype=dtype)
    info = DatasetInfo(shape=(2,), dtype=dtype, kind=DataKind.COMPOUND)
    _write(meta, "/compound_str", info, rows)
    _write(
        meta,
        "/state",
        DatasetInfo(shape=(3,), dtype=h5py.enum_dtype({"OFF": 0, "ON": 1}, basetype="i1")),
        np.array([0, 1, 1], dtype="i1"),
    )
    _write(
        meta,
        "/growing",
        DatasetInfo(shape=(4,), dtype=np.dtype("<f4"), chunks=(2,), maxshape=(None,)),
        np.arange(4, dtype="<f4")[:2],
    )
    _write(
        meta,
        "/blobs",
        DatasetInfo(shape=(2,), dtype=h5py.vlen_dtype(bytes), kind=DataKind.VLEN_BYTES),
        _objects(b"\x00\xff", b"ab"),
    )
    _write(meta, "/fixed", DatasetInfo(shape=(2,), dtype=np.dtype("S2")), np.array([b"ab", b"c"]))
    CONV.write_dataset(meta, "/empty", DatasetInfo(shape=(0,), dtype=np.dtype("<f8")))
    CONV.write_soft_link(meta, "/soft", "/grp")
    CONV.write_external_link(meta, "/ext", "other.nwb", "/acquisition/ts")
    meta.write(path)


def test_lindi_046_reads_what_we_write(tmp_path: Path) -> None:
    path = tmp_path / "ours.lindi.json"
    _build(path)
    try:
        dump = run_upstream(SCRIPT, str(path))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    # the attribute dtypes record is an ordinary attribute to lindi 0.4.6 (a 2-D string array)
    assert dump["/"]["attrs"] == {
        "title": "t",
        "nan": "NaN",
        "_ATTRIBUTE_DTYPES": [["nan", "float64"]],
    }
    assert dump["grp"]["attrs"] == {
        "count": 7,
        "floats": [1.5, "NaN", "inf"],
        "labels": ["a", "b"],
        "flags": [True, False],
        "target": {"ref": "/scalar"},
        "_ATTRIBUTE_DTYPES": [["count", "uint32"], ["flags", "bool"], ["floats", "float64"]],
    }
    assert dump["scalar"] == {"attrs": {}, "shape": [], "value": 3.25}
    assert dump["strscalar"]["shape"] == [] and dump["strscalar"]["value"] == "a string"
    assert dump["strings"]["value"] == ["x", "yy", "é"]
    assert dump["refs"]["value"] == [{"ref": "/scalar"}, {"ref": "/grp"}]
    assert dump["compound"]["value"] == [[1, 2], [{"ref": "/grp"}, {"ref": "/scalar"}]]
    assert dump["compound_str"]["value"] == dump["compound"]["value"]
    assert dump["state"]["value"] == [0, 1, 1]
    assert dump["state"]["attrs"] == {"_ENUM_NAMES": ["OFF", "ON"], "_ENUM_VALUES": [0, 1]}
    assert dump["growing"]["value"] == [0.0, 1.0, 0.0, 0.0]
    assert dump["growing"]["attrs"] == {"_MAXSHAPE": [-1]}
    assert dump["blobs"]["value"] == [{"bytes": "00ff"}, {"bytes": "6162"}]
    assert dump["fixed"]["value"] == [{"bytes": "6162"}, {"bytes": "63"}]
    assert dump["empty"]["shape"] == [0]
    assert dump["ext"]["attrs"] == {"_EXTERNAL_LINK": ["other.nwb", "/acquisition/ts"]}
    assert dump["soft->"] == 7
    json.dumps(dump)
