"""A rich NWB file for the unified Zarr v3 tests, and a field-by-field snapshot of what pynwb
reads from it through any backend.

The file is ``tests/h5py_compat/nwb_content.make_nwbfile`` (ecephys with electrodes and an
ElectrodeGroup, icephys tables with compound references, ophys, trials, units, a soft-linked
``timestamps``, strings, scalars) plus a Units table with waveforms, a trials ``timeseries`` column
(compound references), NaN/Inf attributes, an empty dataset and a type of an extension
namespace.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from typing import Any

import numpy as np
import pynwb
from hdmf.build import BuildManager
from hdmf.container import AbstractContainer
from pynwb import TimeSeries, get_type_map
from pynwb.base import TimeSeriesReference, TimeSeriesReferenceVectorData
from pynwb.misc import Units
from pynwb.spec import NWBAttributeSpec, NWBDatasetSpec, NWBGroupSpec, NWBNamespaceBuilder

from tests.h5py_compat.nwb_content import container_path, make_nwbfile

NAMESPACE = "ndx-v3-test"


def write_extension(folder: str) -> str:
    """Write the extension's namespace and return the path of its namespace file."""
    builder = NWBNamespaceBuilder(
        doc="test extension", name=NAMESPACE, version="0.1.0", author="me", contact="me@x.org"
    )
    builder.include_type("TimeSeries", namespace="core")
    builder.add_spec(
        f"{NAMESPACE}.extensions.yaml",
        NWBGroupSpec(
            neurodata_type_def="LabelledSeries",
            neurodata_type_inc="TimeSeries",
            doc="a TimeSeries with labels",
            datasets=[NWBDatasetSpec(name="labels", doc="labels", dtype="text", shape=[None])],
            # JSON attributes lose integer widths: hdmf-zarr gives an int where pynwb wants a
            # uint16 (its own files too), so the extension's attribute is a float
            attributes=[NWBAttributeSpec(name="gain", doc="a gain", dtype="float64")],
        ),
    )
    builder.export(f"{NAMESPACE}.namespace.yaml", outdir=folder)
    return os.path.join(folder, f"{NAMESPACE}.namespace.yaml")


def write_rich_hdf5(path: str, namespace_file: str) -> None:
    """Write the rich file with NWBHDF5IO (specs cached, the extension's too)."""
    type_map = get_type_map()
    type_map.load_namespaces(namespace_file)
    labelled = type_map.get_dt_container_cls("LabelledSeries", NAMESPACE)
    nwbfile = make_nwbfile()
    rng = np.random.default_rng(1)
    sorted_units = Units(
        name="sorted_units",
        description="units with waveforms",
        waveform_rate=30000.0,
        waveform_unit="volts",
    )
    for n_spikes in (2, 3):
        sorted_units.add_unit(
            spike_times=np.arange(n_spikes) * 0.5, waveforms=rng.normal(size=(2, n_spikes, 4))
        )
    nwbfile.create_processing_module("sorting", "spike sorting").add(sorted_units)
    referenced = nwbfile.acquisition["with_timestamps"]
    nwbfile.trials.add_column(
        name="timeseries",
        description="the series of each trial",
        data=[TimeSeriesReference(i, 2, referenced) for i in range(3)],
        col_cls=TimeSeriesReferenceVectorData,
    )
    nwbfile.add_acquisition(
        TimeSeries(
            name="nonfinite",
            data=np.array([1.0, math.nan, math.inf]),
            unit="V",
            rate=float("inf"),
            conversion=float("nan"),
            resolution=-math.inf,
            starting_time=0.0,
        )
    )
    nwbfile.add_acquisition(TimeSeries(name="empty", data=np.zeros((0, 2)), unit="a.u.", rate=1.0))
    nwbfile.add_acquisition(
        labelled(
            name="labelled",
            data=np.arange(3.0),
            unit="m",
            rate=1.0,
            labels=["a", "b", "NaN"],
            gain=7.5,
        )
    )
    with pynwb.NWBHDF5IO(path, "w", manager=BuildManager(type_map)) as io:
        io.write(nwbfile)


def canonical(value: Any, depth: int = 0) -> Any:
    """A plain, comparable form of a container field (containers by their path; lazy arrays
    of any backend read whole)."""
    if depth > 6:
        return "<deep>"
    if isinstance(value, AbstractContainer):
        return ("container", type(value).__name__, container_path(value))
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str | bool | int | dt.datetime) or value is None:
        return value
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value
    if isinstance(value, np.generic):
        return canonical(value.item(), depth + 1)
    if isinstance(value, np.ndarray):
        if value.dtype.names is not None:
            return [canonical(row, depth + 1) for row in value.tolist()]
        if value.dtype.kind in "biuf":
            plain = value.tolist()
            if value.dtype.kind == "f":
                plain = np.where(np.isnan(value), -999.0, value).tolist()
            return ("array", value.dtype.name, value.shape, plain)
        return [canonical(v, depth + 1) for v in value.reshape(-1)]
    if isinstance(value, dict):
        return {k: canonical(v, depth + 1) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [canonical(v, depth + 1) for v in value]
    dtype = getattr(value, "dtype", None)
    shape = getattr(value, "shape", None)
    if shape is not None and isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return canonical(np.asarray(value[()] if shape == () else value[:]), depth + 1)
    if hasattr(value, "__getitem__") and hasattr(value, "__len__"):
        if shape == ():
            return canonical(value[()], depth + 1)
        return canonical([value[i] for i in range(len(value))], depth + 1)
    return repr(type(value))


def snapshot(nwbfile: pynwb.NWBFile) -> dict[str, dict[str, Any]]:
    """Every container (by type and path) with every field, canonicalized."""
    out: dict[str, dict[str, Any]] = {}
    for container in nwbfile.all_children():
        fields = {name: canonical(value) for name, value in container.fields.items()}
        out[f"{type(container).__name__}:{container_path(container)}"] = fields
    return out


def assert_same(actual: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    """Field-by-field equality, naming the first container and field that differ."""
    assert sorted(actual) == sorted(expected)
    for key, fields in expected.items():
        assert sorted(actual[key]) == sorted(fields), key
        for name, value in fields.items():
            assert actual[key][name] == value, (key, name)
