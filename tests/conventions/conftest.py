"""Fixtures for the conventions tests: the files written by lindi 0.4.6."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.core.buffer import default_buffer_prototype
from zarr.storage import MemoryStore

from hdmf_lindi.conventions.zarr_dtypes import JSONObject, register_zarr_dtypes
from hdmf_lindi.storage.reference_map import InlineRef, ReferenceMap

UPSTREAM_DIR = Path(__file__).resolve().parents[1] / "data" / "upstream-lindi-0.4.6"
FEATURES_H5 = UPSTREAM_DIR / "features.h5"


@pytest.fixture(scope="session", autouse=True)
def _zarr_dtypes_registered() -> None:
    register_zarr_dtypes()


@pytest.fixture(scope="session")
def upstream_dir() -> Path:
    """The lindi 0.4.6 fixtures (a copy of ``../shared/fixtures/upstream-lindi-0.4.6``)."""
    if not UPSTREAM_DIR.is_dir():
        pytest.skip(f"missing fixtures directory {UPSTREAM_DIR}")
    return UPSTREAM_DIR


def load_map(name: str) -> ReferenceMap:
    """A fixture's reference map (``written.lindi.d`` names its ``lindi.json``)."""
    path = UPSTREAM_DIR / name
    if path.is_dir():
        path = path / "lindi.json"
    return ReferenceMap.load(path)


def ref_bytes(meta: ReferenceMap, key: str, base_dir: Path = UPSTREAM_DIR) -> bytes | None:
    """The bytes of a ref: inline data, a range of features.h5 (for the fixture's
    ``http://127.0.0.1:8765/features.h5`` URL) or a range of a file relative to ``base_dir``."""
    ref = meta.resolve(key)
    if ref is None:
        return None
    if isinstance(ref, InlineRef):
        return ref.data
    if ref.url.endswith("/features.h5"):
        path = FEATURES_H5
    else:
        path = base_dir / ref.url
    data = path.read_bytes()
    if ref.size is None:
        return data
    return data[ref.offset : ref.offset + ref.size]


def memory_store(meta: ReferenceMap, base_dir: Path = UPSTREAM_DIR) -> MemoryStore:
    """A zarr MemoryStore holding every key of ``meta`` as bytes."""
    buffer = default_buffer_prototype().buffer
    contents = {}
    for key in meta:
        data = ref_bytes(meta, key, base_dir)
        assert data is not None
        contents[key] = buffer.from_bytes(data)
    return MemoryStore(contents)


def open_fixture_group(name: str) -> zarr.Group:
    """``zarr.open_group`` over a MemoryStore filled from a fixture's refs."""
    directory = UPSTREAM_DIR / name if (UPSTREAM_DIR / name).is_dir() else UPSTREAM_DIR
    return zarr.open_group(memory_store(load_map(name), directory), mode="r", zarr_format=2)


def array_in(group: zarr.Group, name: str) -> zarr.Array[Any]:
    """The array ``name`` of ``group`` (fails the test when it is not an array)."""
    member = group[name]
    assert isinstance(member, zarr.Array), name
    return member


def values_of(array: zarr.Array[Any], selection: Any = ...) -> np.ndarray:
    """``array[selection]`` as a numpy array."""
    return np.asarray(array[selection])


def json2_dtype() -> Any:
    """The json2 zarr data type (typed loosely: zarr's annotations expect numpy scalars)."""
    return JSONObject()
