"""The dataset description both flavours share (``conventions/dataset_info.py``): whatever a
dataset is, lindi-v1 and unified-zarr-v3 write it and read it back as the same
:class:`DatasetInfo` (they had drifted apart: v3 read shuffle/fletcher32 as False and did not
write ``_HDF5_LAYOUT``)."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hdmf_lindi.conventions.dataset_info import codec_report, reported_layout
from hdmf_lindi.conventions.datasets import dataset_info_from_zarray, zarray_from_dataset_info
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, ExternalArrayLink, HDF5Layout
from hdmf_lindi.conventions.v3_metadata import (
    array_metadata_from_info,
    dataset_info_from_array_metadata,
)

_DTYPES = [
    np.dtype("<i2"),
    np.dtype(">f8"),
    np.dtype("u1"),
    np.dtype("bool"),
    h5py.enum_dtype({"A": 0, "B": 3}, basetype="i1"),
]


@st.composite
def _layouts(draw: Any, ndim: int) -> HDF5Layout | None:
    if ndim == 0 or draw(st.booleans()):  # h5py never chunks a scalar
        return None
    kind = draw(st.sampled_from(["chunked", "contiguous", "compact"]))
    compression = draw(st.sampled_from([None, "gzip", "lzf", "unknown"]))
    return HDF5Layout(
        layout=kind,
        chunks=tuple(draw(st.integers(1, 50)) for _ in range(ndim)) if kind == "chunked" else None,
        compression=compression,
        compression_opts=draw(st.integers(0, 9)) if compression == "gzip" else None,
        shuffle=draw(st.booleans()),
        fletcher32=draw(st.booleans()),
        scaleoffset=draw(st.none() | st.integers(0, 4)),
    )


@st.composite
def _infos(draw: Any) -> DatasetInfo:
    shape = tuple(draw(st.lists(st.integers(0, 20), min_size=0, max_size=3)))
    scalar = shape == ()
    chunks = None if scalar else tuple(max(1, n // 2) for n in shape)
    compression = draw(st.sampled_from([None, "gzip"]))
    maxshape = None
    if not scalar and draw(st.booleans()):
        maxshape = tuple(draw(st.sampled_from([None, n, n + 5])) for n in shape)
    link = None
    if draw(st.booleans()):
        link = ExternalArrayLink(url="https://example.org/f.nwb", name="/a/b")
    return DatasetInfo(
        shape=shape,
        dtype=draw(st.sampled_from(_DTYPES)),
        kind=DataKind.NUMERIC,
        chunks=chunks,
        maxshape=maxshape,
        fillvalue=None,
        compression=compression,
        compression_opts=draw(st.integers(0, 9)) if compression else None,
        shuffle=not scalar and draw(st.booleans()),
        fletcher32=not scalar and draw(st.booleans()),
        external_array_link=link,
        hdf5_layout=draw(_layouts(len(shape))),
    )


def _comparable(info: DatasetInfo) -> dict[str, Any]:
    return {
        "shape": info.shape,
        "dtype": info.dtype,
        "enum": h5py.check_enum_dtype(info.dtype),
        "chunks": info.chunks,
        "maxshape": info.maxshape,
        "compression": info.compression,
        "compression_opts": info.compression_opts,
        "shuffle": info.shuffle,
        "fletcher32": info.fletcher32,
        "external_array_link": info.external_array_link,
        "hdf5_layout": info.hdf5_layout,
    }


@given(_infos())
def test_both_flavours_read_back_what_they_wrote(info: DatasetInfo) -> None:
    zarray, zattrs = zarray_from_dataset_info(info)
    v1 = dataset_info_from_zarray(zarray, zattrs)
    metadata, attributes = array_metadata_from_info(info)
    v3 = dataset_info_from_array_metadata(metadata, attributes)
    assert _comparable(v1) == _comparable(v3)
    expected = _comparable(info)
    expected["maxshape"] = info.maxshape if info.maxshape is not None else info.shape
    expected["compression_opts"] = (
        (4 if info.compression_opts is None else info.compression_opts)
        if info.compression
        else None
    )
    assert _comparable(v1) == expected


def test_codec_report_names_deflate_gzip_as_h5py() -> None:
    assert codec_report([("shuffle", {}), ("zlib", {"level": 3}), ("fletcher32", {})]) == (
        "gzip",
        3,
        True,
        True,
    )
    assert codec_report([("blosc", {"clevel": 5})]) == (None, None, False, False)
    assert reported_layout((4,), [("gzip", {"level": 1})]) == HDF5Layout(
        layout="chunked", chunks=(4,), compression="gzip", compression_opts=1
    )
