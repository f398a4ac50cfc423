"""docs/conventions.md shows exactly what the code writes."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from hdmf_lindi.conventions.attribute_dtypes import user_value
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import ExternalLink, NodeKind, Reference, SoftLink
from hdmf_lindi.conventions.unified_v3 import UnifiedZarrV3Conventions
from hdmf_lindi.hierarchy import Hierarchy
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import LindiStore
from tests.conventions.doc_examples import DOC_PATH, EXAMPLES, documented, render

CONVENTIONS = LindiV1Conventions()


def test_every_example_is_in_the_document() -> None:
    assert DOC_PATH.is_file()
    assert sorted(documented()) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_is_current(name: str) -> None:
    shown = documented()[name]
    assert shown == render(name), (
        f"docs/conventions.md example {name!r} is out of date: "
        "run `python -m tests.conventions.doc_examples`"
    )
    json.loads(shown)  # the example is valid JSON


def _objects(*items: Any) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _compound_values() -> np.ndarray:
    values = np.empty(2, dtype=[("idx", "<i4"), ("val", "<f8"), ("r", "O")])
    values[0] = (1, 2.0, Reference("/grp"))
    values[1] = (2, math.nan, Reference("/scalar"))
    return values


EXPECTED_DATASETS: dict[str, tuple[str, np.ndarray]] = {
    "scalar": ("/scalar", np.array(3.14)),
    "default_codecs": ("/small", np.array([1, 2, 3], dtype="<i2")),
    "strings": ("/vlenstr", _objects("x", "yy", "zzz")),
    "references": ("/refs", _objects(Reference("/scalar"), Reference("/grp"))),
    "compound": ("/compound", _compound_values()),
    "fixed_bytes": ("/fixstr", np.array([b"ab", b"cd"], dtype="S2")),
    "empty": ("/empty", np.zeros((0,), dtype="<f8")),
    "fill_nan_maxshape": ("/timestamps", np.zeros((0, 3), dtype="<f4")),
    "enum": ("/state", np.array([0, 1, 1], dtype="i1")),
}
"""Example name -> (dataset path, the values h5py would return), for the all-inline ones."""


def _assert_same_values(actual: np.ndarray, expected: np.ndarray, where: str) -> None:
    assert actual.shape == expected.shape, where
    assert actual.dtype == expected.dtype, where
    if expected.dtype.names:
        for name in expected.dtype.names:
            _assert_same_values(actual[name], expected[name], f"{where}[{name}]")
    elif expected.dtype == object:
        assert actual.tolist() == expected.tolist(), where
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=where)


def _read_example(name: str) -> ReferenceMap:
    refs = json.loads(render(name))
    return ReferenceMap({".zgroup": {"zarr_format": 2}, **refs})


@pytest.mark.parametrize("name", sorted(EXPECTED_DATASETS))
def test_example_datasets_read_back(name: str) -> None:
    """Each dataset example decodes to the shape, dtype and values it was written with."""
    path, expected = EXPECTED_DATASETS[name]
    meta = _read_example(name)
    node = CONVENTIONS.read_node(meta, path)
    assert node is not None and node.kind == NodeKind.DATASET and node.dataset is not None
    assert node.dataset.shape == expected.shape
    assert node.dataset.dtype == expected.dtype
    stored = CONVENTIONS.read_inline_array(meta, path, max_bytes=1 << 20)
    assert stored is not None, f"{name}: {path} is not all inline"
    _assert_same_values(CONVENTIONS.decode_values(node.dataset, stored), expected, name)


def test_example_fill_nan_maxshape_metadata() -> None:
    node = CONVENTIONS.read_node(_read_example("fill_nan_maxshape"), "/timestamps")
    assert node is not None and node.dataset is not None
    assert node.dataset.chunks == (1000, 3)
    assert node.dataset.maxshape == (None, 3)
    assert math.isnan(node.dataset.fillvalue)


def test_example_external_array_link() -> None:
    path = "/acquisition/es/data"
    node = CONVENTIONS.read_node(_read_example("external_array_link"), path)
    assert node is not None and node.dataset is not None
    assert (node.dataset.shape, node.dataset.dtype) == ((100000, 384), np.dtype("<i2"))
    assert node.dataset.chunks == (64, 384)
    link = node.dataset.external_array_link
    assert link is not None
    assert (link.url, link.name) == ("https://dandiarchive.s3.amazonaws.com/blobs/abc/def", path)


def test_example_attributes() -> None:
    node = CONVENTIONS.read_node(_read_example("attributes"), "/grp")
    assert node is not None and node.kind == NodeKind.GROUP
    attrs = dict(node.attrs)
    assert sorted(attrs) == ["count", "flags", "labels", "name", "target", "values"]
    assert attrs["count"] == 7
    assert attrs["name"] == "hello"
    np.testing.assert_array_equal(attrs["values"], [1.5, math.nan, math.inf, -math.inf])
    np.testing.assert_array_equal(attrs["flags"], [True, False])
    assert list(attrs["labels"]) == ["a", "b"]
    assert attrs["target"] == Reference(path="/scalar", object_id="3f1c-...")


def test_example_attribute_dtypes() -> None:
    node = CONVENTIONS.read_node(_read_example("attribute_dtypes"), "/obj")
    assert node is not None and node.kind == NodeKind.GROUP
    attrs = {name: user_value(value) for name, value in node.attrs.items()}
    expected = {
        "conversion": np.float32(0.077),
        "id": np.uint8(5),
        "offset": np.float64(0.0),
        "label": np.bytes_(b"abc"),
        "unit": np.bytes_(b"\xb5V"),
        "shape": np.array([2, 3], dtype=np.int16),
    }
    assert sorted(attrs) == sorted(expected)
    for name, value in expected.items():
        assert type(attrs[name]) is type(value), name
        assert attrs[name].dtype == value.dtype, name
        np.testing.assert_array_equal(attrs[name], value, err_msg=name)
    assert attrs["conversion"] == np.float32(0.077)  # not rounded through float64
    assert node.inferred_dtypes == frozenset()


def test_example_links() -> None:
    soft = CONVENTIONS.read_node(_read_example("soft_link"), "/soft")
    assert soft is not None and soft.kind == NodeKind.SOFT_LINK
    assert soft.link == SoftLink("/grp")
    external = CONVENTIONS.read_node(_read_example("external_link"), "/ext")
    assert external is not None and external.kind == NodeKind.EXTERNAL_LINK
    assert external.link == ExternalLink(filename="other_file.nwb", path="/acquisition/ts")


def test_every_example_is_checked() -> None:
    checked = (
        set(EXPECTED_DATASETS)
        | {
            "fill_nan_maxshape",
            "external_array_link",
            "attributes",
            "attribute_dtypes",
            "soft_link",
            "external_link",
        }
        | set(V3_CHECKED)
    )
    assert checked == set(EXAMPLES)


def _v3_hierarchy(name: str) -> Hierarchy:
    refs = json.loads(render(name))
    meta = ReferenceMap({"zarr.json": {"zarr_format": 3, "node_type": "group"}, **refs})
    return Hierarchy(LindiStore(meta, read_only=True), UnifiedZarrV3Conventions())


V3_CHECKED: dict[str, tuple[str, Any]] = {
    "v3_scalar": ("/identifier", "id1"),
    "v3_default_codecs": ("/small", [1, 2, 3]),
    "v3_references": ("/refs", [Reference("/grp"), None, Reference("/scalar")]),
    "v3_compound": ("/compound", [(0, 0.0, None)]),
    "v3_fill_nan_maxshape": ("/timestamps", []),
    "v3_links": ("/grp/soft", None),
    "v3_attributes": ("/grp", None),
}


@pytest.mark.parametrize("name", sorted(V3_CHECKED))
def test_v3_examples_read_back(name: str) -> None:
    """Each unified Zarr v3 example reads back through the flavour and through zarr."""
    import zarr

    hierarchy = _v3_hierarchy(name)
    path, expected = V3_CHECKED[name]
    node = hierarchy.node(path)
    assert node is not None
    if name == "v3_links":
        assert node.link == SoftLink("/acquisition/ts/timestamps")
        ext = hierarchy.node("/grp/ext")
        assert ext is not None and ext.link == ExternalLink("other_file.nwb", "/acquisition/ts")
        return
    if name == "v3_attributes":
        assert node.attrs["name"] == "NaN"
        # the _ATTRIBUTE_DTYPES record gives back h5py's dtypes, and is hidden
        assert type(node.attrs["count"]) is np.int32 and type(node.attrs["id"]) is np.uint8
        assert "_ATTRIBUTE_DTYPES" not in node.attrs and node.inferred_dtypes == frozenset()
        values = node.attrs["values"]
        assert (
            values[0] == 1.5
            and math.isnan(values[1])
            and list(values[2:])
            == [
                math.inf,
                -math.inf,
            ]
        )
        group = zarr.open_group(hierarchy.store, path="grp", mode="r", zarr_format=3)
        assert math.isnan(group.attrs["values"][1])
        return
    values = hierarchy.read(path)
    if name == "v3_compound":
        assert [tuple(row) for row in values.tolist()] == expected
    else:
        assert np.asarray(values).tolist() == expected
    array = zarr.open_array(hierarchy.store, path=path.lstrip("/"), mode="r", zarr_format=3)
    assert array.shape == np.asarray(values).shape
