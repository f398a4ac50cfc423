"""Re-laying a LINDI file out in the other flavour: blobs of a container are copied, refs into
other files are kept, values are identical."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.conventions.model import DataKind, DatasetInfo, SoftLink
from hdmf_lindi.errors import LindiSecurityError
from hdmf_lindi.opening import open_hierarchy
from hdmf_lindi.storage.reference_map import UrlRef
from hdmf_lindi.transcode import transcode


def _write(path: Path, conventions: str) -> None:
    opened = open_hierarchy(str(path), "w", conventions=conventions)
    hierarchy = opened.hierarchy
    big = np.arange(20_000, dtype="<f8").reshape(100, 200)
    info = DatasetInfo(shape=big.shape, dtype=big.dtype, chunks=(25, 200), compression="gzip")
    hierarchy.create_dataset("/g/big", info, big, {"unit": "V"})
    text = DatasetInfo(shape=(2,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING)
    hierarchy.create_dataset("/g/text", text, np.array(["a", "b"], dtype=object))
    hierarchy.create_soft_link("/link", "/g/big")
    hierarchy.create_soft_link("/alias", "/g/text", hard=True)
    opened.close()


def _values(path: Path) -> dict[str, object]:
    opened = open_hierarchy(str(path), "r")
    try:
        hierarchy = opened.hierarchy
        return {
            "big": hierarchy.read("/g/big").tolist(),
            "text": hierarchy.read("/g/text").tolist(),
            "attrs": dict(hierarchy.node("/g/big").attrs),  # type: ignore[union-attr]
            "link": hierarchy.resolve("/link").path,  # type: ignore[union-attr]
            "links": [hierarchy.node(p).link for p in ("/link", "/alias")],  # type: ignore[union-attr]
            "flavour": hierarchy.conventions.name,
            "compression": hierarchy.node("/g/big").dataset.compression,  # type: ignore[union-attr]
        }
    finally:
        opened.close(commit=False)


def test_tar_blobs_are_copied_both_ways(tmp_path: Path) -> None:
    v1 = tmp_path / "a.lindi.tar"
    v3 = tmp_path / "b.lindi.d"
    back = tmp_path / "c.lindi.tar"
    _write(v1, "lindi-v1")
    transcode(v1, v3, conventions="unified-zarr-v3")
    v1.unlink()  # the copy does not depend on the source's blobs
    transcode(v3, back, conventions="lindi-v1")
    first, second = _values(v3), _values(back)
    assert first["flavour"] == "unified-zarr-v3" and second["flavour"] == "lindi-v1"
    for values in (first, second):
        assert values["big"] == np.arange(20_000.0).reshape(100, 200).tolist()
        assert values["text"] == ["a", "b"]
        assert values["attrs"] == {"unit": "V"}
        assert values["link"] == "/g/big"
        assert values["links"] == [SoftLink("/g/big"), SoftLink("/g/text", hard=True)]
        assert values["compression"] == "gzip"


def test_refs_into_other_files_are_kept(tmp_path: Path) -> None:
    source = tmp_path / "x.h5"
    with h5py.File(source, "w") as f:
        f.create_dataset("d", data=np.arange(100_000), chunks=(10_000,), compression="gzip")
    from hdmf_lindi import convert

    v1 = tmp_path / "x.lindi.json"
    v3 = tmp_path / "x.v3.lindi.json"
    convert(source, v1)
    transcode(v1, v3, conventions="unified-zarr-v3")
    opened = open_hierarchy(str(v3), "r")
    try:
        ref = opened.store.reference_map.resolve("d/c/3")
        assert isinstance(ref, UrlRef) and ref.url.endswith("x.h5")
        assert opened.hierarchy.read("/d").tolist() == list(range(100_000))
    finally:
        opened.close(commit=False)


def test_remote_document_never_reaches_local_files(tmp_path: Path, http_server: Any) -> None:
    """A remote document's ref to a local path is neither read nor copied into the new file
    (opening the copy locally would read it)."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(4, dtype="<i8").tobytes())
    document = {
        "version": 1,
        "refs": {
            ".zgroup": {"zarr_format": 2},
            "d/.zarray": {
                "chunks": [4],
                "compressor": None,
                "dtype": "<i8",
                "fill_value": 0,
                "filters": None,
                "order": "C",
                "shape": [4],
                "zarr_format": 2,
            },
            "d/0": [str(secret), 0, 32],
        },
    }
    (http_server.root / "evil.lindi.json").write_text(json.dumps(document))
    dest = tmp_path / "copy.lindi.json"
    with pytest.raises(LindiSecurityError):
        transcode(http_server.url_for("evil.lindi.json"), dest, conventions="unified-zarr-v3")
    assert not dest.exists()


UPSTREAM_DIR = Path(__file__).resolve().parent / "data" / "upstream-lindi-0.4.6"
FLAVOURS = ["lindi-v1", "unified-zarr-v3"]


def _upstream_source(name: str, tmp_path: Path) -> Path:
    """A lindi 0.4.6 fixture; ``features.lindi.json`` with its template pointing at the
    local ``features.h5`` (it names the server it was made from)."""
    path = UPSTREAM_DIR / name
    if not path.exists():
        pytest.skip(f"missing fixture {path}")
    if name != "features.lindi.json":
        return path
    document = json.loads(path.read_text())
    document["templates"]["u1"] = str(UPSTREAM_DIR / "features.h5")
    copy = tmp_path / name
    copy.write_text(json.dumps(document))
    return copy


def _attributes(path: Path) -> dict[str, tuple[dict[str, Any], frozenset[str]]]:
    """Every object's attributes (value and dtype) and ``inferred_dtypes``."""
    opened = open_hierarchy(str(path), "r")
    try:
        return {
            node.path: (
                {
                    name: (repr(np.asarray(value).tolist()), np.asarray(value).dtype.str)
                    for name, value in node.attrs.items()
                    if not hasattr(value, "path")  # references: compared by other tests
                },
                node.inferred_dtypes,
            )
            for node in opened.hierarchy.walk("/")
        }
    finally:
        opened.close(commit=False)


def _records(path: Path) -> dict[str, Any]:
    """The ``_ATTRIBUTE_DTYPES`` records of a ``.lindi.json`` by metadata key."""
    refs = json.loads(path.read_text())["refs"]
    out = {}
    for key, value in refs.items():
        if key.endswith((".zattrs", "zarr.json")):
            document = json.loads(value) if isinstance(value, str) else value
            attributes = document.get("attributes", document) if isinstance(document, dict) else {}
            if "_ATTRIBUTE_DTYPES" in attributes:
                out[key] = attributes["_ATTRIBUTE_DTYPES"]
    return out


@pytest.mark.parametrize("conventions", FLAVOURS)
@pytest.mark.parametrize(
    "name", ["pynwb_written.nwb.lindi.json", "written.lindi.tar", "features.lindi.json"]
)
def test_lindi_046_files_transcode_without_inventing_attribute_dtypes(
    tmp_path: Path, name: str, conventions: str
) -> None:
    """lindi 0.4.6 records no attribute dtypes: the copy records none either, so its numbers
    keep JSON's natural types and stay ``inferred_dtypes`` (LindiIO casts them to the spec's
    dtype where exact) instead of claiming int64/float64 as written dtypes."""
    source = _upstream_source(name, tmp_path)
    dest = tmp_path / "copy.lindi.json"
    transcode(source, dest, conventions=conventions)
    assert _records(dest) == {}
    expected, copied = _attributes(source), _attributes(dest)
    assert copied == expected
    assert any(inferred for _attrs, inferred in expected.values())


@pytest.mark.parametrize("conventions", FLAVOURS)
def test_transcoding_keeps_exactly_the_recorded_attribute_dtypes(
    tmp_path: Path, conventions: str
) -> None:
    """A record that covers some attributes is copied as it is: recorded ones keep their
    dtype, unrecorded ones stay inferred."""
    source = tmp_path / "mixed.lindi.json"
    opened = open_hierarchy(str(source), "w")
    opened.hierarchy.create_group("/g", {"gain": np.uint8(3), "scale": np.float32(0.5)})
    opened.hierarchy.set_attrs(
        "/g", {"count": 7, "ratio": 0.25}, inferred_dtypes={"count", "ratio"}
    )
    opened.close()
    before = _attributes(source)
    assert before["/g"][1] == {"count", "ratio"}
    dest = tmp_path / "copy.lindi.json"
    transcode(source, dest, conventions=conventions)
    assert list(_records(dest).values()) == [[["gain", "uint8"], ["scale", "float32"]]]
    assert _attributes(dest) == before
