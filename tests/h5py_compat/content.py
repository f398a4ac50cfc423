"""The same content written through h5py's API to an h5py.File and to a LindiH5pyFile."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

OBJECT_ID_ROOT = "0f6e2a6c-0000-4000-8000-000000000000"
OBJECT_ID_GRP = "0f6e2a6c-0000-4000-8000-000000000001"
OBJECT_ID_FLOAT = "0f6e2a6c-0000-4000-8000-000000000002"


def write_content(f: Any) -> None:
    """Write a file with groups, links, references and every dtype NWB uses, using only the
    h5py API (so it runs unchanged on h5py.File and LindiH5pyFile)."""
    f.attrs["object_id"] = OBJECT_ID_ROOT
    f.attrs["title"] = "content"
    f.attrs["int_attr"] = np.int32(7)
    f.attrs["float_attr"] = 2.5
    f.attrs["float_array"] = np.array([1.5, np.nan, np.inf, -np.inf])
    f.attrs["str_list"] = np.array(["a", "bc"], dtype=h5py.string_dtype())
    f.attrs["int_list"] = [1, 2, 3]

    grp = f.create_group("grp")
    grp.attrs["object_id"] = OBJECT_ID_GRP
    grp.attrs["neurodata_type"] = "Thing"
    sub = grp.create_group("sub/deeper")
    sub.attrs["level"] = 2

    data = f.create_group("data")
    floats = data.create_dataset(
        "float", data=np.linspace(0, 1, 100), chunks=(30,), compression="gzip"
    )
    floats.attrs["object_id"] = OBJECT_ID_FLOAT
    floats.attrs["unit"] = "volts"
    data.create_dataset("int2d", data=np.arange(600, dtype="i2").reshape(20, 30), chunks=(5, 10))
    data.create_dataset("uint3d", data=np.arange(60, dtype="u1").reshape(3, 4, 5))
    data.create_dataset("scalar_float", data=3.25)
    data.create_dataset("scalar_int", data=np.int64(-4))
    data.create_dataset("scalar_str", data="a scalar string", dtype=h5py.string_dtype())
    data.create_dataset("fixed_bytes", data=np.array([b"ab", b"cd", b"e"], dtype="S2"))
    data.create_dataset("vlen_str", data=["x", "yy", "zzz", "ünï"], dtype=h5py.string_dtype())
    data.create_dataset("bools", data=np.array([True, False, True]))
    data.create_dataset("empty", shape=(0,), dtype="f8")
    data.create_dataset("growable", data=np.arange(5, dtype="i8"), maxshape=(None,), chunks=(4,))
    data.create_dataset("filled", shape=(6,), dtype="f4", fillvalue=-1.0, chunks=(3,))

    f.attrs["ref_attr"] = grp.ref
    grp.attrs["ref_to_float"] = floats.ref
    refs = data.create_dataset("refs", shape=(3,), dtype=h5py.ref_dtype)
    refs[:] = [grp.ref, floats.ref, f["data/int2d"].ref]
    compound_dtype = np.dtype([("idx", "<i4"), ("val", "<f8"), ("r", h5py.ref_dtype)])
    rows = data.create_dataset("compound", shape=(3,), dtype=compound_dtype)
    rows[:] = [(1, 0.5, grp.ref), (2, 1.5, floats.ref), (3, -2.0, grp.ref)]

    f["soft"] = h5py.SoftLink("/grp")
    grp["link_to_float"] = h5py.SoftLink("/data/float")
