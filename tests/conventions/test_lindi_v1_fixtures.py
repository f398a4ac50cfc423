"""LindiV1Conventions.read_node / list_children on files written by lindi 0.4.6, checked against
the fixture README and against h5py reading the original HDF5 file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from hdmf_lindi.conventions import detect_conventions, get_conventions
from hdmf_lindi.conventions.chunks import decode_chunk
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, Node, NodeKind, Reference, SoftLink
from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.conventions.conftest import FEATURES_H5, load_map, ref_bytes

CONV = LindiV1Conventions()


def read_values(meta: ReferenceMap, node: Node, base: Path | None = None) -> np.ndarray:
    """All values of a dataset, decoded chunk by chunk without zarr (fill for missing)."""
    assert node.dataset is not None
    info = node.dataset
    prefix = CONV.zarr_path(node.path)
    zarray = meta.get_json(f"{prefix}/.zarray")
    shape = tuple(zarray["shape"])
    chunks = tuple(zarray["chunks"])
    stored = np.empty(shape, dtype=object if zarray["dtype"] == "|O" else np.dtype(zarray["dtype"]))
    grid = [range(math.ceil(s / c)) for s, c in zip(shape, chunks, strict=True)]
    for index in np.ndindex(*[len(g) for g in grid]):
        key = f"{prefix}/{'.'.join(map(str, index))}"
        data = ref_bytes(meta, key, base) if base else ref_bytes(meta, key)
        region = tuple(
            slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(index, chunks, shape, strict=True)
        )
        if data is None:
            stored[region] = zarray["fill_value"]
            continue
        chunk = decode_chunk(zarray, data, key=key)
        stored[region] = chunk[tuple(slice(0, r.stop - r.start) for r in region)]
    return CONV.decode_values(info, stored)


def dataset_at(meta: ReferenceMap, path: str) -> DatasetInfo:
    node = CONV.read_node(meta, path)
    assert node is not None and node.dataset is not None, path
    return node.dataset


def all_nodes(meta: ReferenceMap) -> dict[str, Node]:
    out: dict[str, Node] = {}
    pending = ["/"]
    while pending:
        path = pending.pop()
        node = CONV.read_node(meta, path)
        assert node is not None, path
        out[path] = node
        if node.kind == NodeKind.GROUP:
            for name in CONV.list_children(meta, path):
                pending.append(f"{path.rstrip('/')}/{name}")
    return out


def test_factory_and_detection(upstream_dir: Path) -> None:
    meta = load_map("features.lindi.json")
    assert isinstance(get_conventions(), LindiV1Conventions)
    assert isinstance(get_conventions("lindi-v1"), LindiV1Conventions)
    assert isinstance(detect_conventions(meta), LindiV1Conventions)
    assert isinstance(detect_conventions(ReferenceMap()), LindiV1Conventions)
    assert isinstance(
        detect_conventions(ReferenceMap({"a/.zgroup": {"zarr_format": 2}})), LindiV1Conventions
    )
    v3_root = {"zarr_format": 3, "node_type": "group"}
    assert detect_conventions(ReferenceMap({"zarr.json": v3_root})).name == "unified-zarr-v3"
    assert detect_conventions(ReferenceMap({"a/zarr.json": v3_root})).name == "unified-zarr-v3"
    with pytest.raises(LindiFormatError, match="both Zarr v2"):
        detect_conventions(ReferenceMap({"zarr.json": v3_root, ".zgroup": {"zarr_format": 2}}))
    with pytest.raises(LindiFormatError, match="not Zarr v3"):
        detect_conventions(ReferenceMap({"zarr.json": {"zarr_format": 2}}))
    with pytest.raises(LindiUnsupportedError, match="nope"):
        get_conventions("nope")


def test_features_tree(upstream_dir: Path) -> None:
    meta = load_map("features.lindi.json")
    assert CONV.list_children(meta, "/") == [
        "bools",
        "chunked",
        "compound",
        "contig",
        "empty",
        "fixstr",
        "grp",
        "refs",
        "scalar",
        "soft",
        "strscalar",
        "vlenstr",
    ]
    assert CONV.list_children(meta, "/grp") == []
    assert CONV.read_node(meta, "/nothing") is None
    assert CONV.read_node(meta, "/chunked/0.0") is None


def test_features_group_attributes(upstream_dir: Path) -> None:
    node = CONV.read_node(load_map("features.lindi.json"), "/grp")
    assert node is not None and node.kind == NodeKind.GROUP
    attrs = dict(node.attrs)
    assert set(attrs) == {"farr", "i", "ref", "s"}
    assert attrs["i"] == 7 and isinstance(attrs["i"], np.int64)
    assert attrs["s"] == "hello" and isinstance(attrs["s"], str)
    farr = attrs["farr"]
    assert farr.dtype == np.float64 and farr[0] == 1.5 and np.isnan(farr[1]) and farr[2] == np.inf
    assert attrs["ref"] == Reference(path="/scalar", source=".")


def test_features_soft_link(upstream_dir: Path) -> None:
    node = CONV.read_node(load_map("features.lindi.json"), "/soft")
    assert node == Node(path="/soft", kind=NodeKind.SOFT_LINK, link=SoftLink("/grp"))


EXPECTED_DATASETS: dict[str, dict[str, Any]] = {
    "/bools": {"shape": (2,), "dtype": np.dtype(bool), "kind": DataKind.NUMERIC},
    "/chunked": {
        "shape": (1000, 100),
        "dtype": np.dtype("<i2"),
        "kind": DataKind.NUMERIC,
        "chunks": (100, 100),
        "compression": "gzip",
        "compression_opts": 4,
    },
    "/compound": {"shape": (2,), "kind": DataKind.COMPOUND},
    "/contig": {"shape": (50000,), "dtype": np.dtype("<f4"), "kind": DataKind.NUMERIC},
    "/empty": {"shape": (0,), "dtype": np.dtype("<f8"), "kind": DataKind.NUMERIC},
    "/fixstr": {"shape": (2,), "dtype": np.dtype("S2"), "kind": DataKind.NUMERIC},
    "/refs": {"shape": (2,), "dtype": h5py.ref_dtype, "kind": DataKind.REFERENCE},
    "/scalar": {"shape": (), "dtype": np.dtype("<f8"), "kind": DataKind.NUMERIC, "chunks": None},
    "/strscalar": {"shape": (), "kind": DataKind.VLEN_STRING},
    "/vlenstr": {"shape": (3,), "kind": DataKind.VLEN_STRING},
}


@pytest.mark.parametrize("path", sorted(EXPECTED_DATASETS))
def test_features_datasets(upstream_dir: Path, path: str) -> None:
    node = CONV.read_node(load_map("features.lindi.json"), path)
    assert node is not None and node.kind == NodeKind.DATASET and node.dataset is not None
    assert dict(node.attrs) == {}
    info = node.dataset
    for field, expected in EXPECTED_DATASETS[path].items():
        assert getattr(info, field) == expected, field
    assert info.maxshape == info.shape


def test_string_and_reference_dtypes_are_h5pys(upstream_dir: Path) -> None:
    meta = load_map("features.lindi.json")
    for path in ("/vlenstr", "/strscalar"):
        string_info = h5py.check_string_dtype(dataset_at(meta, path).dtype)
        assert string_info is not None and string_info.encoding == "utf-8"
    assert h5py.check_ref_dtype(dataset_at(meta, "/refs").dtype) is h5py.Reference
    compound = dataset_at(meta, "/compound")
    assert compound.dtype.names == ("idx", "val", "r")
    assert compound.dtype["idx"] == np.dtype("int32")
    assert compound.dtype["val"] == np.dtype("float64")
    assert h5py.check_ref_dtype(compound.dtype["r"]) is h5py.Reference
    assert compound.compound_fields == (("idx", "int32"), ("val", "float64"), ("r", "<REFERENCE>"))


def _h5_equivalent(h5_value: Any, ours: Any, h5file: h5py.File) -> None:
    if isinstance(h5_value, h5py.Reference):
        assert isinstance(ours, Reference)
        assert h5file[h5_value].name == ours.path
    elif isinstance(h5_value, bytes) and isinstance(ours, str):
        assert h5_value.decode() == ours
    elif isinstance(h5_value, float) and math.isnan(h5_value):
        assert math.isnan(ours)
    else:
        assert h5_value == ours


def test_values_match_h5py(upstream_dir: Path) -> None:
    meta = load_map("features.lindi.json")
    with h5py.File(FEATURES_H5, "r") as h5file:
        for path in EXPECTED_DATASETS:
            node = CONV.read_node(meta, path)
            assert node is not None and node.dataset is not None
            h5ds = h5file[path]
            ours = read_values(meta, node)
            assert ours.shape == h5ds.shape, path
            expected = h5ds[()]
            if node.dataset.kind == DataKind.NUMERIC:
                assert ours.dtype == h5ds.dtype, path
                np.testing.assert_array_equal(ours, expected)
            elif node.dataset.kind == DataKind.COMPOUND:
                assert ours.dtype.names == h5ds.dtype.names
                for row_ours, row_h5 in zip(ours, expected, strict=True):
                    for a, b in zip(row_h5.tolist(), row_ours.tolist(), strict=True):
                        _h5_equivalent(a, b, h5file)
            else:
                for a, b in zip(
                    np.atleast_1d(expected).ravel(), np.atleast_1d(ours).ravel(), strict=True
                ):
                    _h5_equivalent(a, b, h5file)
        for name, value in h5file["grp"].attrs.items():
            ours_attr = CONV.read_node(meta, "/grp").attrs[name]  # type: ignore[union-attr]
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, ours_attr)
            else:
                _h5_equivalent(value, ours_attr, h5file)


def test_pynwb_written_every_node(upstream_dir: Path) -> None:
    meta = load_map("pynwb_written.nwb.lindi.json")
    nodes = all_nodes(meta)
    root = nodes["/"]
    assert root.attrs["neurodata_type"] == "NWBFile"
    specloc = root.attrs[".specloc"]
    assert isinstance(specloc, Reference) and specloc.path == "/specifications"
    assert specloc.source_object_id == "c63d2f7f-d652-42de-be01-fdd5f65e7687"
    linked = nodes["/acquisition/ts_linked/data"]
    assert linked.kind == NodeKind.SOFT_LINK
    assert linked.link == SoftLink("/acquisition/ts/data")
    data = nodes["/acquisition/ts/data"]
    assert data.dataset is not None and data.dataset.shape == (1000,)
    assert data.attrs == {"conversion": 1.0, "offset": 0.0, "resolution": -1.0, "unit": "m"}
    starting = nodes["/acquisition/ts/starting_time"]
    assert starting.dataset is not None and starting.dataset.is_scalar
    assert starting.attrs == {"rate": 10.0, "unit": "seconds"}
    for path in ("/identifier", "/session_start_time", "/general/subject/species"):
        info = nodes[path].dataset
        assert info is not None and info.kind == DataKind.VLEN_STRING and info.shape == ()
    values = read_values(meta, nodes["/general/subject/species"])
    assert values.shape == () and values[()] == "Mus musculus"
    created = nodes["/file_create_date"].dataset
    assert created is not None and created.kind == DataKind.VLEN_STRING and created.shape == (1,)
    assert read_values(meta, nodes["/file_create_date"])[0].startswith("2026-")
    np.testing.assert_array_equal(read_values(meta, data), np.arange(1000.0))
    datasets = [n for n in nodes.values() if n.kind == NodeKind.DATASET]
    assert len(datasets) >= 30


def test_written_d(upstream_dir: Path) -> None:
    meta = load_map("written.lindi.d")
    nodes = all_nodes(meta)
    assert set(nodes) == {"/", "/dataset1", "/grp", "/small"}
    assert nodes["/"].attrs == {"attr1": "value1", "attr2": 7}
    np.testing.assert_array_equal(nodes["/grp"].attrs["x"], np.array([1, 2, 3]))
    small = read_values(meta, nodes["/small"], upstream_dir / "written.lindi.d")
    assert small.dtype == np.int64 and small.tolist() == list(range(10))
    info = nodes["/dataset1"].dataset
    assert info is not None and info.shape == (1000, 100) and info.chunks == (100, 100)


@pytest.mark.parametrize("name", ["pynwb_written.nwb.lindi.tar", "written.lindi.tar"])
def test_tar_fixtures_every_node(upstream_dir: Path, name: str) -> None:
    import tarfile

    with tarfile.open(upstream_dir / name) as tar:
        member = tar.extractfile("lindi.json")
        assert member is not None
        meta = ReferenceMap.from_bytes(member.read(), source=f"{name}/lindi.json")
    nodes = all_nodes(meta)
    datasets = {path: n for path, n in nodes.items() if n.kind == NodeKind.DATASET}
    assert datasets
    for node in datasets.values():
        assert node.dataset is not None and node.dataset.kind in DataKind
    if name.startswith("pynwb"):
        spec = nodes["/specifications/core/2.11.0/nwb.base"].dataset
        assert spec is not None and spec.kind == DataKind.VLEN_STRING and spec.shape == ()
        assert nodes["/acquisition/ts_linked/data"].link == SoftLink("/acquisition/ts/data")
