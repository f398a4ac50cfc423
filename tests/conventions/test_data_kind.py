"""The one DataKind rule for h5py-facing dtypes (``conventions.datasets.data_kind_of``)."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.conventions.datasets import (
    data_kind_of,
    dataset_info_from_zarray,
    zarray_from_dataset_info,
)
from hdmf_lindi.conventions.model import DataKind, DatasetInfo
from hdmf_lindi.errors import LindiUnsupportedError


@pytest.mark.parametrize(
    ("dtype", "kind"),
    [
        (np.dtype("<f4"), DataKind.NUMERIC),
        (np.dtype("|b1"), DataKind.NUMERIC),
        (np.dtype("|S7"), DataKind.NUMERIC),
        (h5py.string_dtype("ascii", 5), DataKind.NUMERIC),
        (h5py.enum_dtype({"a": 0, "b": 1}, "u1"), DataKind.NUMERIC),
        (h5py.string_dtype(), DataKind.VLEN_STRING),
        (h5py.string_dtype("ascii"), DataKind.VLEN_STRING),
        (h5py.vlen_dtype(bytes), DataKind.VLEN_STRING),
        (h5py.vlen_dtype(str), DataKind.VLEN_STRING),
        (h5py.ref_dtype, DataKind.REFERENCE),
        (np.dtype([("x", "<i4"), ("y", "<f8")]), DataKind.COMPOUND),
        (np.dtype([("r", h5py.ref_dtype), ("s", h5py.string_dtype())]), DataKind.COMPOUND),
    ],
)
def test_data_kind_of(dtype: np.dtype[Any], kind: DataKind) -> None:
    assert data_kind_of(dtype) is kind


@pytest.mark.parametrize(
    ("dtype", "message"),
    [
        (h5py.regionref_dtype, "region references"),
        (h5py.vlen_dtype(np.int32), "ragged"),
        (np.dtype(object), "without h5py"),
        (np.dtype(("<f4", (3,))), "array dtype"),
        (np.dtype("V8"), "opaque"),
        (np.dtype("M8[s]"), "opaque type"),
        (np.dtype([("a", "<i4", (2,))]), "compound field 'a'"),
        (np.dtype([("v", h5py.vlen_dtype(np.int32))]), "compound field 'v'"),
    ],
)
def test_data_kind_of_refuses_with_location(dtype: np.dtype[Any], message: str) -> None:
    with pytest.raises(LindiUnsupportedError, match=message) as info:
        data_kind_of(dtype, where="f.h5:/x")
    assert "f.h5:/x" in str(info.value)


@pytest.mark.parametrize("dtype", [h5py.string_dtype(), h5py.string_dtype("ascii")])
def test_vlen_strings_store_as_json_text_and_read_back_as_strings(dtype: np.dtype[Any]) -> None:
    kind = data_kind_of(dtype)
    info = DatasetInfo(shape=(2,), dtype=dtype, kind=kind)
    zarray, special = zarray_from_dataset_info(info)
    assert zarray["dtype"] == "|O"
    assert zarray["filters"][0]["id"] == "json2"
    read = dataset_info_from_zarray(zarray, special)
    assert read.kind is DataKind.VLEN_STRING
    assert data_kind_of(read.dtype) is DataKind.VLEN_STRING
