"""The JSON examples of ``docs/conventions.md``, produced by the code they document.

``test_docs.py`` checks that the document shows exactly these; to refresh the document after a
deliberate change, run ``python -m tests.conventions.doc_examples``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from hdmf_lindi.conventions.chunks import encode_chunk
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, ExternalArrayLink, Reference
from hdmf_lindi.conventions.unified_v3 import UnifiedZarrV3Conventions
from hdmf_lindi.storage.reference_map import ReferenceMap

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "conventions.md"
CONV = LindiV1Conventions()
PLAIN = {"filters": None, "compressor": None}
"""No compression, so that inline chunks are readable in the examples."""

_MARKER = re.compile(r"<!-- example: (?P<name>[a-z0-9_]+) -->\n```json\n(?P<body>[^`]*?)\n?```")


def _dataset(
    meta: ReferenceMap,
    path: str,
    info: DatasetInfo,
    values: Any = None,
    attrs: dict[str, Any] | None = None,
    codecs: dict[str, Any] | None = None,
) -> None:
    zarray = CONV.write_dataset(meta, path, info, attrs, codecs=codecs)
    if values is not None:
        stored = CONV.encode_values(
            info, np.asarray(values) if info.kind == DataKind.NUMERIC else values
        )
        key = CONV.zarr_path(path) + "/" + (".".join("0" * stored.ndim))
        meta.set_inline(key, encode_chunk(zarray, stored))


def _objects(*items: Any) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _scalar(meta: ReferenceMap) -> None:
    _dataset(meta, "/scalar", DatasetInfo(shape=(), dtype=np.dtype("<f8")), 3.14, codecs=PLAIN)


def _default_codecs(meta: ReferenceMap) -> None:
    _dataset(meta, "/small", DatasetInfo(shape=(3,), dtype=np.dtype("<i2")), [1, 2, 3])


def _attributes(meta: ReferenceMap) -> None:
    CONV.write_group(
        meta,
        "/grp",
        {
            "count": np.int32(7),
            "name": "hello",
            "values": np.array([1.5, math.nan, math.inf, -math.inf]),
            "flags": np.array([True, False]),
            "labels": np.array(["a", "b"], dtype=object),
            "target": Reference(path="/scalar", object_id="3f1c-..."),
        },
    )


def _attribute_dtypes(meta: ReferenceMap) -> None:
    CONV.write_group(
        meta,
        "/obj",
        {
            "conversion": np.float32(0.077),
            "id": np.uint8(5),
            "offset": 0.0,
            "label": np.bytes_(b"abc"),
            "unit": np.bytes_(b"\xb5V"),
            "shape": np.array([2, 3], dtype=np.int16),
        },
    )


def _soft_link(meta: ReferenceMap) -> None:
    CONV.write_soft_link(meta, "/soft", "/grp")


def _external_link(meta: ReferenceMap) -> None:
    CONV.write_external_link(meta, "/ext", "other_file.nwb", "/acquisition/ts")


def _strings(meta: ReferenceMap) -> None:
    info = DatasetInfo(shape=(3,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    _dataset(meta, "/vlenstr", info, _objects("x", "yy", "zzz"), codecs=PLAIN)


def _references(meta: ReferenceMap) -> None:
    info = DatasetInfo(shape=(2,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE)
    _dataset(meta, "/refs", info, _objects(Reference("/scalar"), Reference("/grp")), codecs=PLAIN)


def _compound(meta: ReferenceMap) -> None:
    dtype = np.dtype([("idx", "<i4"), ("val", "<f8"), ("r", h5py.ref_dtype)])
    values = np.empty(2, dtype=dtype)
    values[0] = (1, 2.0, Reference("/grp"))
    values[1] = (2, math.nan, Reference("/scalar"))
    info = DatasetInfo(shape=(2,), dtype=dtype, kind=DataKind.COMPOUND)
    _dataset(meta, "/compound", info, values, codecs=PLAIN)


def _fixed_bytes(meta: ReferenceMap) -> None:
    info = DatasetInfo(shape=(2,), dtype=np.dtype("S2"))
    _dataset(meta, "/fixstr", info, np.array([b"ab", b"cd"]), codecs=PLAIN)


def _empty(meta: ReferenceMap) -> None:
    _dataset(meta, "/empty", DatasetInfo(shape=(0,), dtype=np.dtype("<f8")), codecs=PLAIN)


def _fill_nan_maxshape(meta: ReferenceMap) -> None:
    info = DatasetInfo(
        shape=(0, 3), dtype=np.dtype("<f4"), chunks=(1000, 3), maxshape=(None, 3),
        fillvalue=math.nan, compression="gzip", compression_opts=4,
    )  # fmt: skip
    _dataset(meta, "/timestamps", info)


def _enum(meta: ReferenceMap) -> None:
    dtype = h5py.enum_dtype({"OFF": 0, "ON": 1}, basetype="i1")
    _dataset(meta, "/state", DatasetInfo(shape=(3,), dtype=dtype), [0, 1, 1], codecs=PLAIN)


def _external_array_link(meta: ReferenceMap) -> None:
    info = DatasetInfo(
        shape=(100000, 384), dtype=np.dtype("<i2"), chunks=(64, 384),
        external_array_link=ExternalArrayLink(
            url="https://dandiarchive.s3.amazonaws.com/blobs/abc/def", name="/acquisition/es/data"
        ),
    )  # fmt: skip
    _dataset(meta, "/acquisition/es/data", info, codecs=PLAIN)


# ------------------------------------------------------------------ unified Zarr v3 flavour
V3 = UnifiedZarrV3Conventions()
V3_PLAIN: dict[str, Any] = {"codecs": []}
"""No bytes-to-bytes codec, so that inline chunks are readable in the examples."""


def _v3_dataset(
    meta: ReferenceMap,
    path: str,
    info: DatasetInfo,
    values: Any = None,
    attrs: dict[str, Any] | None = None,
    codecs: dict[str, Any] | None = V3_PLAIN,
) -> None:
    V3.write_dataset(meta, path, info, attrs, codecs=codecs)
    if values is not None:
        stored = V3.encode_values(info, values)
        chunks = V3.encode_region(meta, path, (0,) * stored.ndim, stored)
        assert chunks is not None
        for key, data in chunks:
            meta.set_inline(key, data)


def _v3_scalar(meta: ReferenceMap) -> None:
    info = DatasetInfo(shape=(), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    _v3_dataset(meta, "/identifier", info, "id1")


def _v3_default_codecs(meta: ReferenceMap) -> None:
    _v3_dataset(
        meta, "/small", DatasetInfo(shape=(3,), dtype=np.dtype("<i2")), [1, 2, 3], codecs=None
    )


def _v3_links(meta: ReferenceMap) -> None:
    V3.write_group(meta, "/grp")
    V3.write_soft_link(meta, "/grp/soft", "/acquisition/ts/timestamps")
    V3.write_external_link(meta, "/grp/ext", "other_file.nwb", "/acquisition/ts")


def _v3_attributes(meta: ReferenceMap) -> None:
    V3.write_group(
        meta,
        "/grp",
        {
            "count": np.int32(7),
            "id": np.uint8(5),
            "name": "NaN",
            "values": np.array([1.5, math.nan, math.inf, -math.inf]),
            "target": Reference(path="/scalar"),
        },
    )


def _v3_references(meta: ReferenceMap) -> None:
    info = DatasetInfo(shape=(3,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE)
    _v3_dataset(meta, "/refs", info, _objects(Reference("/grp"), None, Reference("/scalar")))


def _v3_compound(meta: ReferenceMap) -> None:
    dtype = np.dtype([("idx", "<i4"), ("val", "<f8"), ("r", h5py.ref_dtype)])
    values = np.empty(1, dtype=dtype)
    values[0] = (1, 2.0, Reference("/grp"))
    info = DatasetInfo(shape=(1,), dtype=dtype, kind=DataKind.COMPOUND)
    # the 2 KB row (two 512-character fields would not be readable): metadata only
    _v3_dataset(meta, "/compound", info)


def _v3_fill_nan_maxshape(meta: ReferenceMap) -> None:
    info = DatasetInfo(
        shape=(0, 3), dtype=np.dtype("<f4"), chunks=(1000, 3), maxshape=(None, 3),
        fillvalue=math.nan, compression="gzip", compression_opts=4,
    )  # fmt: skip
    _v3_dataset(meta, "/timestamps", info, codecs=None)


V3_EXAMPLES: dict[str, Callable[[ReferenceMap], None]] = {
    "v3_scalar": _v3_scalar,
    "v3_default_codecs": _v3_default_codecs,
    "v3_links": _v3_links,
    "v3_attributes": _v3_attributes,
    "v3_references": _v3_references,
    "v3_compound": _v3_compound,
    "v3_fill_nan_maxshape": _v3_fill_nan_maxshape,
}


EXAMPLES: dict[str, Callable[[ReferenceMap], None]] = {
    "scalar": _scalar,
    "default_codecs": _default_codecs,
    "attributes": _attributes,
    "attribute_dtypes": _attribute_dtypes,
    "soft_link": _soft_link,
    "external_link": _external_link,
    "strings": _strings,
    "references": _references,
    "compound": _compound,
    "fixed_bytes": _fixed_bytes,
    "empty": _empty,
    "fill_nan_maxshape": _fill_nan_maxshape,
    "enum": _enum,
    "external_array_link": _external_array_link,
    **V3_EXAMPLES,
}


def render(name: str) -> str:
    """The refs one example writes (the root group left out), one key per line."""
    meta = ReferenceMap()
    if name in V3_EXAMPLES:
        V3.write_group(meta, "/")
    else:
        meta.set_json(".zgroup", {"zarr_format": 2})
    EXAMPLES[name](meta)
    refs = meta.to_dict(use_templates=False)["refs"]
    shown = {k: v for k, v in refs.items() if k not in (".zgroup", "zarr.json")}
    if name == "external_array_link":
        shown = {k: v for k, v in shown.items() if k.startswith("acquisition/es/data/")}
    lines = [
        f"  {json.dumps(key)}: {json.dumps(value, sort_keys=True, separators=(', ', ': '))}"
        for key, value in sorted(shown.items())
    ]
    return "{\n" + ",\n".join(lines) + "\n}"


def documented() -> dict[str, str]:
    """The examples as the document shows them."""
    text = DOC_PATH.read_text(encoding="utf-8")
    return {m["name"]: m["body"] for m in _MARKER.finditer(text)}


def refresh_document() -> None:
    """Rewrite every example block of the document from the code."""
    text = DOC_PATH.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        return f"<!-- example: {name} -->\n```json\n{render(name)}\n```"

    DOC_PATH.write_text(_MARKER.sub(replace, text), encoding="utf-8")


if __name__ == "__main__":
    refresh_document()
