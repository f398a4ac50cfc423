"""An HDF5 file with every feature NWB files use, built with h5py."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np


def build_feature_file(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        f.attrs["title"] = "features"
        f.attrs["int_attr"] = np.int32(7)
        f.attrs["float_array"] = np.array([1.5, np.nan, np.inf, -np.inf])
        f.attrs["str_list"] = np.array(["a", "bc"], dtype=h5py.string_dtype())
        f.attrs["fixed_bytes"] = np.bytes_("fixed")
        f.attrs["empty_float_array"] = np.zeros((0,), dtype="f8")
        f.attrs["nan_scalar"] = np.float64("nan")
        f.attrs["bool_attr"] = np.bool_(True)
        f.attrs["int_matrix"] = np.arange(6, dtype="i2").reshape(2, 3)

        target = f.create_group("target")
        target.attrs["object_id"] = "3f1b2c9e-0000-4000-8000-000000000001"
        target.attrs["neurodata_type"] = "Thing"
        f.attrs["ref_attr"] = target.ref
        f.attrs["ref_list"] = np.array([target.ref, target.ref], dtype=h5py.ref_dtype)

        f.create_dataset("scalar_float", data=3.25)
        f.create_dataset("scalar_int", data=np.int64(-4))
        f.create_dataset("scalar_str", data="a scalar string", dtype=h5py.string_dtype())
        f.create_dataset("scalar_bytes", data=np.bytes_("xyz"))
        f.create_dataset("fixed_str", data=np.array([b"ab", b"cd", b"e"], dtype="S2"))
        f.create_dataset("vlen_str", data=["x", "yy", "zzz", "ünï"], dtype=h5py.string_dtype())
        f.create_dataset(
            "vlen_ascii", data=[b"p", b"qq"], dtype=h5py.string_dtype(encoding="ascii")
        )
        f.create_dataset("bools", data=np.array([True, False, True]))
        enum_type = h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 2}, basetype="u1")
        f.create_dataset("enum", data=np.array([0, 2, 1, 1], dtype="u1"), dtype=enum_type)
        f.create_dataset("empty", shape=(0,), dtype="f8")
        f.create_dataset("empty_2d", shape=(3, 0), dtype="i4")
        f.create_dataset("empty_chunked", shape=(0, 4), maxshape=(None, 4), dtype="f4")
        f.create_dataset("compact", data=np.arange(10, dtype="i4"), track_times=False)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        space = h5py.h5s.create_simple((20,))
        compact = h5py.h5d.create(f.id, b"compact_layout", h5py.h5t.STD_I16LE, space, dcpl=dcpl)
        compact.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(20, dtype="<i2"))

        f.create_dataset("contiguous", data=np.linspace(0, 1, 20000, dtype="f4"))
        f.create_dataset("contiguous_2d", data=np.arange(3000 * 7, dtype="<i8").reshape(3000, 7))
        f.create_dataset("big_endian", data=np.arange(2000, dtype=">i4"))
        f.create_dataset(
            "chunked_gzip",
            data=np.arange(100_000, dtype="i2").reshape(1000, 100),
            chunks=(100, 100),
            compression="gzip",
            shuffle=True,
        )
        f.create_dataset(
            "chunked_fletcher",
            data=np.arange(5000, dtype="f8"),
            chunks=(512,),
            fletcher32=True,
            compression="gzip",
            compression_opts=9,
        )
        partial = f.create_dataset(
            "chunked_partial", shape=(1000,), chunks=(100,), dtype="f4", fillvalue=np.nan
        )
        partial[150:350] = np.arange(200, dtype="f4")
        fill = f.create_dataset("fill_int", shape=(5000,), chunks=(1000,), dtype="i4", fillvalue=-7)
        fill[4000:] = 1
        f.create_dataset("unallocated_contiguous", shape=(3000,), dtype="f8", fillvalue=2.5)
        f.create_dataset("expandable", data=np.arange(3000.0), maxshape=(None,), chunks=(256,))
        f.create_dataset("complex", data=np.arange(400) * (1 + 2j))
        f.create_dataset("float16", data=np.arange(3000, dtype="f2"))

        f.create_dataset("obj_refs", data=[target.ref, f["scalar_float"].ref], dtype=h5py.ref_dtype)
        compound_type = np.dtype(
            [("idx", "i4"), ("val", "f8"), ("name", h5py.string_dtype()), ("r", h5py.ref_dtype)]
        )
        compound = np.zeros(3, dtype=compound_type)
        compound["idx"] = [1, 2, 3]
        compound["val"] = [0.5, np.nan, 2.5]
        compound["name"] = ["one", "two", "three"]
        compound["r"] = [target.ref, f["vlen_str"].ref, target.ref]
        f.create_dataset("compound", data=compound)
        plain_compound = np.array([(1, 2.0), (3, 4.0)], dtype=[("a", "<i2"), ("b", "<f4")])
        f.create_dataset("plain_compound", data=plain_compound)

        nested = f.create_group("a/b/c")
        nested.attrs["depth"] = 3
        nested.create_dataset("leaf", data=np.arange(5))
        f["soft"] = h5py.SoftLink("/target")
        f["a/relative_soft"] = h5py.SoftLink("b/c")
        f["dangling"] = h5py.SoftLink("/does/not/exist")
        f["external"] = h5py.ExternalLink("other.h5", "/some/path")
        f["hard_alias_group"] = f["a/b"]
        f["hard_alias_dataset"] = f["contiguous"]
        f.create_group("empty_group")
    return path
