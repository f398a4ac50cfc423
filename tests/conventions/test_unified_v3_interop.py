"""HDF5 -> unified Zarr v3 LINDI files, read by hdmf-zarr 0.14's NWBZarrIO (through fsspec's
ReferenceFileSystem and zarr's FsspecStore) and by LindiIO: every container field equals what
NWBHDF5IO reads from the HDF5 original."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import fsspec
import pynwb
import pytest
import zarr
from hdmf_zarr.nwb import NWBZarrIO

import hdmf_lindi
from hdmf_lindi.cli.main import main as cli_main
from hdmf_lindi.conventions.model import Reference
from hdmf_lindi.io import LindiIO
from hdmf_lindi.storage.reference_map import ReferenceMap, UrlRef
from hdmf_lindi.storage.store import LindiStore
from tests.conventions.nwb_rich import assert_same, snapshot, write_extension, write_rich_hdf5

V3 = "unified-zarr-v3"


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The rich HDF5 NWB file and the snapshot NWBHDF5IO reads from it."""
    folder = tmp_path_factory.mktemp("rich")
    source = folder / "rich.nwb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_rich_hdf5(str(source), write_extension(str(folder)))
    with pynwb.NWBHDF5IO(source, "r") as io:
        return source, snapshot(io.read())


def _strict_json(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _read_with_nwbzarrio(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    fs = fsspec.filesystem("reference", fo=document, asynchronous=True)
    store = zarr.storage.FsspecStore(fs, read_only=True, path="")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBZarrIO(store, mode="r") as io:
            return snapshot(io.read())


def test_hdf5_to_v3_json_read_by_nwbzarrio(
    rich: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    source, expected = rich
    dest = tmp_path / "rich.nwb.lindi.json"
    hdmf_lindi.convert(source, dest, conventions=V3)
    document = _strict_json(dest.read_text())
    refs = document["refs"]
    assert "zarr.json" in refs and ".zgroup" not in refs
    assert not any(key.endswith((".zarray", ".zattrs", ".zgroup")) for key in refs)
    # the NaN/Inf attributes are in a string-valued zarr.json, bare tokens inside
    nonfinite = refs["acquisition/nonfinite/data/zarr.json"]
    assert isinstance(nonfinite, str) and "NaN" in nonfinite and "-Infinity" in nonfinite
    # big chunks stay in the HDF5 file
    ranges = ReferenceMap.from_dict(document).resolve("acquisition/raw/data/c/0/0")
    assert isinstance(ranges, UrlRef) and ranges.url.endswith("rich.nwb")
    assert_same(_read_with_nwbzarrio(document), expected)


@pytest.mark.parametrize("suffix", [".nwb.lindi.json", ".nwb.lindi.tar", ".nwb.lindi.d"])
def test_hdf5_to_v3_read_by_lindiio(
    suffix: str, rich: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    source, expected = rich
    dest = tmp_path / f"rich{suffix}"
    hdmf_lindi.convert(source, dest, conventions=V3)
    with LindiIO(str(dest), "r") as io:
        assert io.hierarchy.conventions.name == V3  # detected from the keys
        assert_same(snapshot(io.read()), expected)


def test_cli_convert_with_conventions(
    rich: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    source, _expected = rich
    v3 = tmp_path / "cli-v3.nwb.lindi.json"
    v1 = tmp_path / "cli-v1.nwb.lindi.json"
    assert cli_main(["convert", str(source), str(v3), "--conventions", V3, "-q"]) == 0
    assert cli_main(["convert", str(source), str(v1), "-q"]) == 0
    assert "zarr.json" in _strict_json(v3.read_text())["refs"]
    assert ".zgroup" in _strict_json(v1.read_text())["refs"]  # the default stays lindi-v1
    store = LindiStore.open(v3, "r")
    try:
        group = zarr.open_group(store, mode="r", zarr_format=3)
        assert group["acquisition/raw/data"].shape == (500, 3)
    finally:
        store.close()


def _tree(path: Path) -> dict[str, Any]:
    """Every node of a LINDI file: kind, link, attributes, dataset info and values."""
    from hdmf_lindi.opening import open_hierarchy

    opened = open_hierarchy(str(path), "r")
    try:
        hierarchy = opened.hierarchy
        out: dict[str, Any] = {}
        for node in hierarchy.walk("/"):
            entry: dict[str, Any] = {
                "kind": node.kind,
                "link": node.link,
                "attrs": {k: _plain(v) for k, v in node.attrs.items()},
            }
            info = node.dataset
            if info is not None:
                entry["info"] = (
                    info.shape,
                    info.dtype,
                    info.kind,
                    info.chunks,
                    info.maxshape,
                    info.compression,
                    info.compound_fields,
                    _plain(info.fillvalue),
                )
                entry["values"] = _plain(hierarchy.read(node.path))
            out[node.path] = entry
        return out
    finally:
        opened.close(commit=False)


def _plain(value: Any) -> Any:
    """Comparable values; a reference by its target (the unified Zarr v3 convention stores a
    dataset's references as paths: their ``object_id`` consistency check is not kept)."""
    import numpy as np

    if isinstance(value, Reference):
        return ("reference", value.path, value.source)
    if isinstance(value, np.ndarray):
        if value.dtype.names is not None:
            return [tuple(_plain(x) for x in row) for row in value.tolist()]
        return (value.dtype.str, value.shape, [_plain(x) for x in value.ravel().tolist()])
    if isinstance(value, float | np.floating) and np.isnan(value):
        return "nan"
    if isinstance(value, np.generic):
        return (value.dtype.str, _plain(value.item()))
    return value


def test_v1_v3_v1_without_loss(
    rich: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    from hdmf_lindi.transcode import transcode

    source, expected = rich
    v1 = tmp_path / "rich-v1.nwb.lindi.json"
    v3 = tmp_path / "rich-v3.nwb.lindi.json"
    back = tmp_path / "rich-back.nwb.lindi.tar"
    hdmf_lindi.convert(source, v1, num_chunks_threshold=None)
    transcode(v1, v3, conventions=V3)
    transcode(v3, back, conventions="lindi-v1")
    original = _tree(v1)
    assert _tree(v3) == original
    assert _tree(back) == original
    document = _strict_json(v3.read_text())
    # the big chunks are not copied: they still point into the HDF5 file
    ranges = ReferenceMap.from_dict(document).resolve("acquisition/raw/data/c/0/0")
    assert isinstance(ranges, UrlRef) and ranges.url.endswith("rich.nwb")
    assert_same(_read_with_nwbzarrio(document), expected)
    with LindiIO(str(back), "r") as io:
        assert io.hierarchy.conventions.name == "lindi-v1"
        assert_same(snapshot(io.read()), expected)
