"""Test helper: read a LINDI v1 reference map back independently of the library's readers
and compare every dataset and attribute with h5py's values."""

from __future__ import annotations

import math
import posixpath
from typing import Any

import h5py
import numcodecs
import numpy as np

from hdmf_lindi.storage.reference_map import InlineRef, ReferenceMap


def _key(path: str, name: str) -> str:
    prefix = path.strip("/")
    return f"{prefix}/{name}" if prefix else name


def read_bytes(ref_map: ReferenceMap, key: str) -> bytes | None:
    ref = ref_map.resolve(key)
    if ref is None:
        return None
    if isinstance(ref, InlineRef):
        return ref.data
    with open(ref.url, "rb") if "://" not in ref.url else _http(ref.url) as f:
        f.seek(ref.offset)
        data = f.read(ref.size if ref.size is not None else -1)
    assert ref.size is None or len(data) == ref.size, key
    return bytes(data)


def _http(url: str) -> Any:
    import io
    import urllib.request

    with urllib.request.urlopen(url) as response:
        return io.BytesIO(response.read())


def _decode_chunk(zarray: dict[str, Any], data: bytes) -> np.ndarray:
    codecs = [numcodecs.get_codec(dict(c)) for c in zarray.get("filters") or []]
    if zarray.get("compressor"):
        codecs.append(numcodecs.get_codec(dict(zarray["compressor"])))
    out: Any = data
    for codec in reversed(codecs):
        out = codec.decode(out)
    if zarray["dtype"] == "|O":
        return np.asarray(out, dtype=object).reshape(zarray["chunks"])
    return np.frombuffer(bytes(out), dtype=np.dtype(zarray["dtype"])).reshape(zarray["chunks"])


def _fill(zarray: dict[str, Any]) -> Any:
    value = zarray["fill_value"]
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    if zarray["dtype"] == "|O":
        return None
    if isinstance(value, list):
        return complex(*(float(str(v).replace("Infinity", "inf")) for v in value))
    if isinstance(value, str) and np.dtype(zarray["dtype"]).kind == "S":
        return value.encode()
    return value


def read_stored(ref_map: ReferenceMap, path: str) -> np.ndarray:
    """The whole stored Zarr array at ``path`` (shape as stored)."""
    zarray = ref_map.get_json(_key(path, ".zarray"))
    shape = tuple(zarray["shape"])
    chunks = tuple(zarray["chunks"])
    dtype = object if zarray["dtype"] == "|O" else np.dtype(zarray["dtype"])
    out = np.empty(shape, dtype=dtype)
    out[...] = _fill(zarray)
    counts = [math.ceil(n / c) for n, c in zip(shape, chunks, strict=True)]
    for indices in np.ndindex(*counts):
        key = _key(path, ".".join(str(i) for i in indices) or "0")
        data = read_bytes(ref_map, key)
        if data is None:
            continue
        chunk = _decode_chunk(zarray, data)
        region = tuple(
            slice(i * c, min(n, (i + 1) * c))
            for i, c, n in zip(indices, chunks, shape, strict=True)
        )
        sub = tuple(slice(0, r.stop - r.start) for r in region)
        out[region] = chunk[sub]
    return out


def _decode_json(value: Any) -> Any:
    if type(value) is str and value not in ("NaN", "Infinity", "-Infinity"):
        return value
    if isinstance(value, dict) and "_REFERENCE" in value:
        return ("REF", value["_REFERENCE"]["path"], value["_REFERENCE"]["object_id"])
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    if isinstance(value, list):
        return [_decode_json(v) for v in value]
    return value


def _ref_target(h5file: h5py.File, ref: Any) -> Any:
    if not ref:
        return None
    target = h5file[ref]
    oid = target.attrs.get("object_id")
    if isinstance(oid, bytes):
        oid = oid.decode()
    return ("REF", target.name, oid)


def _expected_value(h5file: h5py.File, value: Any) -> Any:
    if isinstance(value, h5py.Reference):
        return _ref_target(h5file, value)
    if isinstance(value, np.void) and value.dtype.names:
        return [_expected_value(h5file, v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        if value.dtype.names:
            return [_expected_value(h5file, v) for v in value.reshape(-1)]
        return (
            [_expected_value(h5file, v) for v in value.tolist()]
            if value.ndim
            else (_expected_value(h5file, value[()]))
        )
    if isinstance(value, list):
        return [_expected_value(h5file, v) for v in value]
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")  # how the conventions store non-UTF-8 bytes
    if isinstance(value, np.generic):
        return value.item()
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, (float, int)) and not isinstance(b, bool):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return (bool(a) == bool(b) and type(a) is type(b)) or a == b
    return bool(a == b)


def check_attrs(ref_map: ReferenceMap, h5file: h5py.File, obj: Any, path: str) -> int:
    stored = ref_map.get_json(_key(path, ".zattrs")) or {}
    count = 0
    for name in obj.attrs:
        expected = _expected_value(h5file, obj.attrs[name])
        assert name in stored, f"{path}: attribute {name!r} missing"
        got = _decode_json(stored[name])
        assert _same(got, expected), f"{path} attr {name!r}: {got!r} != {expected!r}"
        count += 1
    return count


def _json_items(stored: np.ndarray) -> list[Any]:
    return [_decode_json(v) for v in stored.reshape(-1).tolist()]


def check_dataset(ref_map: ReferenceMap, h5file: h5py.File, dataset: h5py.Dataset) -> None:
    path = dataset.name
    zattrs = ref_map.get_json(_key(path, ".zattrs")) or {}
    if "_EXTERNAL_ARRAY_LINK" in zattrs:
        link = zattrs["_EXTERNAL_ARRAY_LINK"]
        assert link["name"] == path
        return
    stored = read_stored(ref_map, path)
    if dataset.shape == ():
        assert zattrs.get("_SCALAR") is True, path
        assert stored.shape == (1,), path
    else:
        assert stored.shape == dataset.shape, f"{path}: {stored.shape} != {dataset.shape}"
    if stored.dtype == object:
        dt = dataset.dtype
        if h5py.check_string_dtype(dt) is not None and dt.kind == "O":
            expected = np.asarray(dataset.asstr()[()], dtype=object).reshape(-1).tolist()
        else:
            expected = _expected_value(h5file, dataset[()])
            if dataset.shape == () or not isinstance(expected, list):
                expected = [expected]
        got = _json_items(stored)
        assert got == expected or _same(got, expected), f"{path}: {got[:5]!r} != {expected[:5]!r}"
        return
    expected_array = np.asarray(dataset[()])
    got_array = stored.reshape(expected_array.shape)
    # byte order may differ (inline chunks are written in the conventions' order)
    assert got_array.dtype.newbyteorder("=") == dataset.dtype.newbyteorder("="), path
    np.testing.assert_array_equal(got_array, expected_array, err_msg=path)


def check_file(ref_map: ReferenceMap, h5file: h5py.File) -> dict[str, int]:
    """Compare every reachable object; returns counts of checked datasets/attributes/links."""
    counts = {"datasets": 0, "attributes": 0, "groups": 0, "links": 0}
    seen: set[tuple[int, int]] = set()

    def walk(group: h5py.Group, path: str) -> None:
        counts["attributes"] += check_attrs(ref_map, h5file, group, path)
        counts["groups"] += 1
        for name in sorted(group.keys()):
            child = posixpath.join(path, name)
            link = group.get(name, getlink=True)
            zattrs = ref_map.get_json(_key(child, ".zattrs")) or {}
            if isinstance(link, h5py.SoftLink):
                assert zattrs.get("_SOFT_LINK", {}).get("path") is not None, child
                counts["links"] += 1
                continue
            if isinstance(link, h5py.ExternalLink):
                assert any(k.startswith("_EXTERNAL") for k in zattrs), child
                counts["links"] += 1
                continue
            obj = group[name]
            if isinstance(obj, h5py.Datatype):
                continue
            info = h5py.h5o.get_info(obj.id)
            identity = (info.fileno, info.addr)
            if identity in seen and "_SOFT_LINK" in zattrs:
                counts["links"] += 1
                continue
            seen.add(identity)
            if isinstance(obj, h5py.Group):
                walk(obj, child)
            else:
                counts["attributes"] += check_attrs(ref_map, h5file, obj, child)
                check_dataset(ref_map, h5file, obj)
                counts["datasets"] += 1

    walk(h5file, "/")
    return counts
