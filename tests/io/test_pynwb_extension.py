"""An extension namespace through LindiIO: written with the extension's type map, read back
with a plain pynwb type map (the namespace comes from the file's cached specification)."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from hdmf.build import BuildManager
from hdmf.spec import RefSpec
from pynwb import NWBFile, get_class, get_type_map
from pynwb.spec import NWBAttributeSpec, NWBDatasetSpec, NWBGroupSpec, NWBNamespaceBuilder

from hdmf_lindi.io import LindiIO
from tests.io.roundtrip import validate_lindi

NAMESPACE = "ndx-lindi-test"


@pytest.fixture(scope="module")
def extension_namespace(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("extension")
    builder = NWBNamespaceBuilder(
        doc="test extension", name=NAMESPACE, version="0.1.0", author="me", contact="me@x.org"
    )
    builder.include_type("TimeSeries", namespace="core")
    builder.include_type("NWBDataInterface", namespace="core")
    labelled = NWBGroupSpec(
        neurodata_type_def="LabelledSeries",
        neurodata_type_inc="TimeSeries",
        doc="a TimeSeries with labels",
        datasets=[
            NWBDatasetSpec(name="labels", doc="labels", dtype="text", shape=[None]),
        ],
        attributes=[
            NWBAttributeSpec(name="gain_index", doc="an index", dtype="uint16"),
        ],
    )
    holder = NWBGroupSpec(
        neurodata_type_def="SeriesHolder",
        neurodata_type_inc="NWBDataInterface",
        doc="references a series",
        links=[],
        attributes=[
            NWBAttributeSpec(
                name="target",
                doc="the series",
                dtype=RefSpec(target_type="TimeSeries", reftype="object"),
            ),
        ],
    )
    source = "ndx-lindi-test.extensions.yaml"
    builder.add_spec(source, labelled)
    builder.add_spec(source, holder)
    builder.export(f"{NAMESPACE}.namespace.yaml", outdir=str(folder))
    return os.path.join(folder, f"{NAMESPACE}.namespace.yaml")


def test_extension_round_trip(extension_namespace: str, tmp_path: Path) -> None:
    type_map = get_type_map()
    type_map.load_namespaces(extension_namespace)
    labelled_series = type_map.get_dt_container_cls("LabelledSeries", NAMESPACE)
    series_holder = type_map.get_dt_container_cls("SeriesHolder", NAMESPACE)
    nwbfile = NWBFile(session_description="ext", identifier="ext", session_start_time=_start_time())
    series = labelled_series(
        name="labelled",
        data=np.arange(3.0),
        unit="m",
        rate=1.0,
        labels=["a", "b", "c"],
        gain_index=np.uint16(7),
    )
    nwbfile.add_acquisition(series)
    holder = series_holder(name="holder", target=series)
    nwbfile.add_acquisition(holder)
    path = str(tmp_path / "extension.lindi.json")
    with LindiIO(path, mode="w", manager=BuildManager(type_map)) as io:
        io.write(nwbfile)

    assert NAMESPACE in LindiIO.get_namespaces(path)
    assert validate_lindi(path, namespace=NAMESPACE) == []
    # a fresh pynwb type map: the extension is loaded from the file's cached specification
    with LindiIO(path, mode="r") as io:
        read = io.read()
        read_series = read.acquisition["labelled"]
        assert type(read_series).__name__ == "LabelledSeries"
        assert list(read_series.labels[:]) == ["a", "b", "c"]
        assert read_series.gain_index == 7
        assert read_series.gain_index.dtype == np.uint16
        np.testing.assert_array_equal(read_series.data[:], [0.0, 1.0, 2.0])
        assert read.acquisition["holder"].target is read_series
        assert read_series.object_id == series.object_id


def test_extension_given_as_namespace_path(extension_namespace: str, tmp_path: Path) -> None:
    path = str(tmp_path / "plain.lindi.json")
    nwbfile = NWBFile(session_description="x", identifier="x", session_start_time=_start_time())
    with LindiIO(path, mode="w", extensions=extension_namespace) as io:
        io.write(nwbfile)
    assert NAMESPACE in LindiIO.get_namespaces(path)
    assert get_class  # the pynwb helper stays importable alongside


def _start_time():  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime(2021, 5, 4, tzinfo=UTC)
