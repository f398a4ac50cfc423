"""Every attribute of every HDF5 file of ``../shared/corpus``: encoded to JSON and decoded back,
it equals what h5py returns (numbers, bools, strings, references), or it is refused with
LindiUnsupportedError for the kinds LINDI cannot hold."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi import _json
from hdmf_lindi.conventions.attribute_dtypes import user_value
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.conventions.values import bytes_to_text, decode_attr_value, encode_attr_value
from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.storage.reference_map import ReferenceMap

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", ".tsv"))


def _as_ours(value: Any, h5file: h5py.File) -> Any:
    """h5py's value with h5py references replaced by ours (what the converter passes)."""
    if isinstance(value, h5py.Reference):
        return Reference(path=h5file[value].name) if value else value
    if isinstance(value, np.ndarray) and value.dtype.kind == "O" and value.dtype.names is None:
        out = np.empty(value.shape, dtype=object)
        for index, item in np.ndenumerate(value):
            out[index] = _as_ours(item, h5file)
        return out
    return value


def _unsupported(value: Any) -> bool:
    """Kinds LINDI cannot hold (lindi 0.4.6 neither)."""
    if isinstance(value, h5py.Empty):
        return True
    dtype = getattr(value, "dtype", None)
    if dtype is not None and (dtype.kind == "c" or dtype.names is not None):
        return True
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return any(
            isinstance(x, np.ndarray | h5py.Reference) for x in value.ravel().tolist()
        ) or any(isinstance(x, h5py.Reference) and not x for x in value.ravel().tolist())
    return False


def _objects(h5file: h5py.File) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = [("/", h5file)]
    # a user-defined link stops h5py's walk; what was found so far is checked
    with contextlib.suppress(RuntimeError, KeyError, TypeError):
        h5file.visititems(lambda name, obj: found.append((name, obj)))
    return found


def _text(x: Any) -> Any:
    return bytes_to_text(bytes(x)) if isinstance(x, bytes | np.bytes_) else x


def _assert_same(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), where
        flat = expected.ravel().tolist()
        if expected.size == 0:
            assert actual.size == 0, where
            return
        assert actual.shape == expected.shape, where
        got = actual.ravel().tolist()
        for e, a in zip(flat, got, strict=True):
            _assert_same(e, a, where)
    elif isinstance(expected, bytes | np.bytes_ | str):
        assert actual == _text(expected), where
    elif isinstance(expected, float | np.floating) and math.isnan(expected):
        assert math.isnan(actual), where
    else:
        assert actual == expected, where


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_every_corpus_attribute_round_trips() -> None:
    checked = refused = 0
    for path in _files():
        try:
            h5file = h5py.File(path, "r")
        except OSError:
            continue  # not HDF5 (or the known truncated file)
        with h5file:
            for name, obj in _objects(h5file):
                for key in obj.attrs:
                    where = f"{path.name}:{name}:{key}"
                    try:
                        value = _as_ours(obj.attrs[key], h5file)
                    except (OSError, TypeError, ValueError, KeyError):
                        continue  # h5py itself cannot read it
                    if _unsupported(value):
                        with pytest.raises(LindiUnsupportedError):
                            encode_attr_value(value, where=where)
                        refused += 1
                        continue
                    stored = _json.loads(_json.dumps(encode_attr_value(value, where=where)))
                    _assert_same(value, decode_attr_value(stored, where=where), where)
                    checked += 1
    assert checked > 10_000
    assert refused < checked // 50


def _numeric_or_fixed_bytes(value: Any) -> bool:
    if not isinstance(value, np.ndarray | np.generic):
        return False  # h5py.Empty too
    return value.dtype.kind in "biufS" and value.dtype.names is None


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_every_corpus_number_and_fixed_bytes_attribute_keeps_its_dtype() -> None:
    """Through the conventions with the ``_ATTRIBUTE_DTYPES`` record, every numeric, boolean
    and fixed-width bytes attribute reads back with h5py's type, dtype and value."""
    conventions = LindiV1Conventions()
    checked = 0
    for path in _files():
        try:
            h5file = h5py.File(path, "r")
        except OSError:
            continue
        with h5file:
            for name, obj in _objects(h5file):
                attrs: dict[str, Any] = {}
                for key in obj.attrs:
                    try:
                        value = obj.attrs[key]
                    except (OSError, TypeError, ValueError, KeyError):
                        continue
                    if _numeric_or_fixed_bytes(value) and not _special_text(value):
                        attrs[key] = value
                if not attrs:
                    continue
                meta = ReferenceMap()
                conventions.write_group(meta, "/g", attrs)
                node = conventions.read_node(ReferenceMap.from_bytes(meta.dumps()), "/g")
                assert node is not None
                for key, value in attrs.items():
                    where = f"{path.name}:{name}:{key}"
                    actual = user_value(node.attrs[key])
                    assert type(actual) is type(value), where
                    assert actual.dtype == value.dtype, where
                    if value.dtype.kind == "f":
                        assert np.array_equal(actual, value, equal_nan=True), where
                    else:
                        assert np.array_equal(actual, value), where
                    checked += 1
    assert checked > 1_000


def _special_text(value: Any) -> bool:
    """Fixed-width bytes spelling a non-finite float, which LINDI refuses to store."""
    if value.dtype.kind != "S":
        return False
    return any(bytes(x) in (b"NaN", b"Infinity", b"-Infinity") for x in np.ravel(value))
