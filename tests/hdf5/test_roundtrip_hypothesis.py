"""Property test: any numeric dataset (dtype x shape x layout x filters x thresholds)
translates to refs that decode to h5py's values."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hdmf_lindi.hdf5 import TranslateOptions, translate_source
from tests.hdf5.lindi_check import check_file

DTYPES = ["i1", "<u2", ">i4", "<i8", "<f2", "<f4", ">f8", "<c8", "|b1", "|S3"]


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, Any]:
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12))
    data = draw(hnp.arrays(dtype, shape))
    layout = draw(st.sampled_from(["contiguous", "chunked", "compact"]))
    spec: dict[str, Any] = {"data": data, "layout": layout, "kwargs": {}}
    if layout == "chunked" and shape and 0 not in shape:
        chunks = tuple(draw(st.integers(1, n)) for n in shape)
        kwargs: dict[str, Any] = {"chunks": chunks}
        if draw(st.booleans()):
            kwargs["compression"] = "gzip"
            kwargs["compression_opts"] = draw(st.integers(0, 9))
        kwargs["shuffle"] = draw(st.booleans())
        kwargs["fletcher32"] = draw(st.booleans())
        if dtype.kind in "iuf" and draw(st.booleans()):
            kwargs["fillvalue"] = data.reshape(-1)[0] if data.size else dtype.type(0)
        spec["kwargs"] = kwargs
    elif layout == "chunked":
        spec["layout"] = "contiguous"
    spec["options"] = TranslateOptions(
        inline_threshold=draw(st.sampled_from([0, 16, 4096])),
        max_chunk_bytes=draw(st.sampled_from([1, 7, 64, 1000, 20_000_000])),
    )
    return spec


def _write(path: Path, spec: dict[str, Any]) -> None:
    data = spec["data"]
    with h5py.File(path, "w") as f:
        if spec["layout"] == "compact" and data.shape and data.nbytes < 30_000 and data.size:
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_layout(h5py.h5d.COMPACT)
            space = h5py.h5s.create_simple(data.shape)
            dsid = h5py.h5d.create(f.id, b"x", h5py.h5t.py_create(data.dtype), space, dcpl=dcpl)
            dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(data))
        else:
            f.create_dataset("x", data=data, **spec["kwargs"])
            if spec["kwargs"].get("chunks"):
                # leave one chunk unallocated when possible: it must read as the fill value
                f.create_dataset("y", shape=data.shape, dtype=data.dtype, **spec["kwargs"])
                if data.size:
                    f["y"][tuple(slice(0, 1) for _ in data.shape)] = data[
                        tuple(slice(0, 1) for _ in data.shape)
                    ]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=datasets())
def test_numeric_round_trip(spec: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.h5"
        _write(path, spec)
        ref_map = translate_source(path, options=spec["options"]).reference_map
        with h5py.File(path) as f:
            counts = check_file(ref_map, f)
        assert counts["datasets"] >= 1
