"""``_HDF5_LAYOUT``: encoding, decoding and refusal of malformed values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from hdmf_lindi.conventions.datasets import dataset_info_from_zarray, zarray_from_dataset_info
from hdmf_lindi.conventions.hdf5_layout import decode_hdf5_layout, encode_hdf5_layout
from hdmf_lindi.conventions.model import DatasetInfo, HDF5Layout
from hdmf_lindi.errors import LindiFormatError


@pytest.mark.parametrize(
    ("layout", "encoded"),
    [
        (HDF5Layout(), ["layout=contiguous"]),
        (HDF5Layout(layout="compact"), ["layout=compact"]),
        (
            HDF5Layout(layout="chunked", chunks=(10, 2), compression="gzip", compression_opts=4),
            ["layout=chunked", "chunks=10,2", "compression=gzip", "compression_opts=4"],
        ),
        (
            HDF5Layout(
                layout="chunked",
                chunks=(5,),
                compression="szip",
                compression_opts=("nn", 32),
                shuffle=True,
                fletcher32=True,
                scaleoffset=0,
            ),
            [
                "layout=chunked",
                "chunks=5",
                "compression=szip",
                "compression_opts=nn,32",
                "shuffle",
                "fletcher32",
                "scaleoffset=0",
            ],
        ),
        (
            HDF5Layout(layout="chunked", chunks=(3,), compression="lzf"),
            ["layout=chunked", "chunks=3", "compression=lzf"],
        ),
    ],
)
def test_round_trip(layout: HDF5Layout, encoded: list[str]) -> None:
    assert encode_hdf5_layout(layout) == encoded
    assert decode_hdf5_layout(encoded) == layout


def test_unknown_items_are_ignored() -> None:
    assert decode_hdf5_layout(["layout=contiguous", "future=1"]) == HDF5Layout()


@pytest.mark.parametrize(
    "value",
    [
        "layout=contiguous",
        [],
        [1],
        ["chunks=10"],
        ["layout=virtual"],
        ["layout=chunked"],
        ["layout=contiguous", "chunks=10"],
        ["layout=chunked", "chunks=a"],
        ["layout=chunked", "chunks=2", "scaleoffset=x"],
    ],
)
def test_malformed_values_are_refused(value: Any) -> None:
    with pytest.raises(LindiFormatError, match=r"d\.h5: _HDF5_LAYOUT"):
        decode_hdf5_layout(value, where="d.h5")


def test_dataset_info_carries_the_layout_and_the_filters() -> None:
    layout = HDF5Layout(layout="chunked", chunks=(10,), compression="gzip", compression_opts=4)
    info = DatasetInfo(
        shape=(100,), dtype=np.dtype("<f4"), chunks=(100,), shuffle=True, fletcher32=True
    )
    zarray, special = zarray_from_dataset_info(replace(info, hdf5_layout=layout))
    assert zarray["filters"] == [{"id": "shuffle", "elementsize": 4}, {"id": "fletcher32"}]
    assert zarray["compressor"] is None
    assert special["_HDF5_LAYOUT"] == encode_hdf5_layout(layout)
    read = dataset_info_from_zarray(zarray, special)
    assert (read.shuffle, read.fletcher32, read.hdf5_layout) == (True, True, layout)
    assert read.chunks == (100,)


def test_gzip_with_fletcher32_puts_the_checksum_before_the_compressor() -> None:
    info = DatasetInfo(
        shape=(10,),
        dtype=np.dtype("<i2"),
        chunks=(5,),
        compression="gzip",
        compression_opts=6,
        fletcher32=True,
    )
    zarray, _ = zarray_from_dataset_info(info)
    assert zarray["filters"] == [{"id": "fletcher32"}]
    assert zarray["compressor"] == {"id": "zlib", "level": 6}
    read = dataset_info_from_zarray(zarray, {})
    assert (read.compression, read.compression_opts, read.fletcher32) == ("gzip", 6, True)
