"""NWB files whose attribute and dataset dtypes deliberately differ from what the NWB spec
declares (made with pynwb, then changed with h5py), as real files written by other tools and
pynwb versions do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.testing.mock.device import mock_Device
from pynwb.testing.mock.ecephys import mock_ElectricalSeries
from pynwb.testing.mock.ophys import mock_ImagingPlane, mock_OpticalChannel

__all__ = ["EXTRA_ATTRIBUTES", "make_mixed_dtype_nwb"]

EXTRA_ATTRIBUTES: dict[str, Any] = {
    "u8": np.uint8(200),
    "u32": np.uint32(4_000_000_000),
    "i16": np.int16(-5),
    "f32": np.float32(0.1),
    "f64": np.float64(0.077),
    "flag": np.bool_(True),
    "fixed": np.bytes_(b"abc"),
    "fixed_arr": np.array([b"a", b"bc"]),
    "i16_arr": np.array([1, -2], dtype=np.int16),
    "f32_arr": np.array([0.5, 0.1], dtype=np.float32),
    "bool_arr": np.array([True, False]),
    "u64": np.uint64(2**64 - 1),
    "empty_i4": np.array([], dtype=np.int32),
}
"""Attributes no spec names, put on ``/acquisition/ts``."""


def make_mixed_dtype_nwb(path: Path) -> None:
    """Write the file. Against the spec it stores: ``conversion`` float64 0.077 and ``rate``
    float64 0.077 (spec: float32), ``resolution`` float32 0.1 (as the spec), ``interval`` int64
    (spec: int32), ``channel_conversion`` float64 (spec: float32) with ``axis`` uint8 (spec:
    int32), ``excitation_lambda`` a float64 scalar dataset (spec: float32), and
    :data:`EXTRA_ATTRIBUTES`."""
    nwbfile = NWBFile(
        session_description="dtypes differ from the spec",
        identifier="mixed-dtypes",
        session_start_time=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        file_create_date=dt.datetime(2024, 1, 2, 3, 4, 6, tzinfo=dt.UTC),
    )
    nwbfile.add_acquisition(
        TimeSeries(name="ts", data=np.arange(10.0), unit="m", rate=30.0, starting_time=0.5)
    )
    nwbfile.add_acquisition(
        TimeSeries(name="tst", data=np.arange(5, dtype="i2"), unit="m", timestamps=np.arange(5.0))
    )
    # named, and built without the optical channel mock's own extra imaging plane: pynwb's mocks
    # number their default names per process (ElectricalSeries2, ...)
    mock_ImagingPlane(
        name="ImagingPlane",
        nwbfile=nwbfile,
        optical_channel=mock_OpticalChannel(name="OpticalChannel"),
        device=mock_Device(name="Microscope", nwbfile=nwbfile),
    )
    mock_ElectricalSeries(
        name="ElectricalSeries", nwbfile=nwbfile, channel_conversion=[1.0, 2.0, 3.0, 4.0, 5.0]
    )
    nwbfile.add_trial_column("correct", "whether the answer was right")
    for i in range(3):
        nwbfile.add_trial(start_time=float(i), stop_time=i + 0.5, correct=bool(i % 2))
    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)
    with h5py.File(path, "a") as f:
        data = f["acquisition/ts/data"]
        data.attrs["conversion"] = np.float64(0.077)
        data.attrs["resolution"] = np.float32(0.1)
        f["acquisition/ts/starting_time"].attrs["rate"] = np.float64(0.077)
        f["acquisition/tst/timestamps"].attrs["interval"] = np.int64(1)
        series = f["acquisition/ElectricalSeries"]
        del series["channel_conversion"]
        series.create_dataset("channel_conversion", data=np.full(5, 0.077))
        series["channel_conversion"].attrs["axis"] = np.uint8(1)
        plane = f["general/optophysiology/ImagingPlane"]
        del plane["excitation_lambda"]
        plane.create_dataset("excitation_lambda", data=np.float64(0.077))
        for name, value in EXTRA_ATTRIBUTES.items():
            f["acquisition/ts"].attrs[name] = value
