"""A script run with lindi 0.4.6 (in its own environment): opens a LINDI file with
``lindi.LindiH5pyFile.from_lindi_file`` and prints every object's attributes and values as one
JSON document, in a form :func:`normalize` also produces from our side."""

UPSTREAM_DUMP_SCRIPT = r"""
import json, sys
import numpy as np
import h5py
import lindi

def norm(v):
    if isinstance(v, h5py.Reference):
        return {"ref": f[v].name}
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        if v.dtype.names:
            return [[norm(x) for x in row] for row in v.tolist()]
        return [norm(x) for x in v.tolist()] if v.ndim else norm(v[()])
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, np.generic):
        return norm(v.item())
    if isinstance(v, float) and v != v:
        return "NaN"
    return v

f = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1])
out = {}
def visit(name, obj):
    entry = {"attrs": {k: norm(obj.attrs[k]) for k in obj.attrs}}
    if isinstance(obj, h5py.Dataset):
        entry["shape"] = list(obj.shape)
        if obj.dtype.names:
            columns = [[norm(x) for x in obj[n][:]] for n in obj.dtype.names]
            entry["value"] = [list(row) for row in zip(*columns)]
        else:
            entry["value"] = norm(obj[()] if obj.shape == () else obj[:])
    out["/" + name if name else "/"] = entry
def walk(group, prefix):
    for name in group.keys():
        link = group.get(name, getlink=True)
        if isinstance(link, h5py.SoftLink):
            continue
        obj = group[name]
        visit(prefix + name, obj)
        if isinstance(obj, h5py.Group):
            walk(obj, prefix + name + "/")

visit("", f)
walk(f, "")
print(json.dumps(out))
"""
