"""A sample NWB file made with pynwb: the demo's embedded default and the benchmarks' input.

It holds the kinds of content real NWB files have: an electrodes table and an ElectricalSeries
(chunked, optionally with very many chunks), units with ragged spike times, trials, a
processing module with behavior, many small TimeSeries (for "thousands of objects"), subject
metadata and linked timestamps.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pynwb import NWBFile

__all__ = ["SampleSpec", "build_sample_nwbfile", "make_sample_nwb"]


@dataclass(frozen=True)
class SampleSpec:
    """How big the sample is.

    Parameters
    ----------
    n_channels
        Electrodes / ElectricalSeries columns.
    n_samples
        ElectricalSeries rows (int16): ``n_channels * n_samples * 2`` bytes of raw data.
    chunk_rows
        Rows per ElectricalSeries chunk (small values give very many chunks).
    n_units
        Units with ragged spike times.
    n_trials
        Rows of the trials table.
    n_small_series
        Extra small TimeSeries in a processing module (each adds a handful of objects).
    """

    n_channels: int = 32
    n_samples: int = 30_000
    chunk_rows: int = 1_000
    n_units: int = 20
    n_trials: int = 50
    n_small_series: int = 20


def make_sample_nwb(path: str | os.PathLike[str], spec: SampleSpec | None = None) -> None:
    """Write a sample NWB file to ``path`` with ``pynwb.NWBHDF5IO``."""
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(os.fspath(path), "w") as io:
        io.write(build_sample_nwbfile(spec))


def build_sample_nwbfile(spec: SampleSpec | None = None) -> NWBFile:
    """The sample as an in-memory ``pynwb.NWBFile`` (not yet written)."""
    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBFile, TimeSeries
    from pynwb.behavior import Position
    from pynwb.ecephys import ElectricalSeries
    from pynwb.file import Subject

    spec = spec or SampleSpec()
    rng = np.random.default_rng(0)
    nwbfile = NWBFile(
        session_description="hdmf_lindi sample session",
        identifier="hdmf-lindi-sample",
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        experimenter=["Doe, Jane"],
        lab="LINDI lab",
        institution="hdmf_lindi",
        subject=Subject(subject_id="mouse-1", species="Mus musculus", age="P90D", sex="F"),
    )
    device = nwbfile.create_device(name="probe", description="a 32-channel probe")
    group = nwbfile.create_electrode_group(
        name="shank0", description="shank 0", location="CA1", device=device
    )
    for i in range(spec.n_channels):
        nwbfile.add_electrode(
            group=group,
            location="CA1",
            x=float(i),
            y=0.0,
            z=0.0,
            imp=float("nan"),
            filtering="none",
        )
    region = nwbfile.create_electrode_table_region(
        region=list(range(spec.n_channels)), description="all electrodes"
    )
    raw = rng.integers(-2000, 2000, size=(spec.n_samples, spec.n_channels), dtype=np.int16)
    nwbfile.add_acquisition(
        ElectricalSeries(
            name="ElectricalSeries",
            data=H5DataIO(raw, chunks=(min(spec.chunk_rows, spec.n_samples), spec.n_channels)),
            electrodes=region,
            rate=30_000.0,
            starting_time=0.0,
            conversion=0.195e-6,
        )
    )
    for _ in range(spec.n_units):
        spikes = np.sort(rng.uniform(0, spec.n_samples / 30_000.0, size=int(rng.integers(5, 200))))
        nwbfile.add_unit(spike_times=spikes, obs_intervals=[[0.0, spec.n_samples / 30_000.0]])
    nwbfile.add_trial_column(name="correct", description="whether the trial was correct")
    for t in range(spec.n_trials):
        nwbfile.add_trial(start_time=float(t), stop_time=t + 0.5, correct=bool(t % 2))
    behavior = nwbfile.create_processing_module(name="behavior", description="behavior")
    timestamps = np.arange(1000) / 100.0
    position = Position(name="Position")
    position.create_spatial_series(
        name="position",
        data=rng.normal(size=(1000, 2)),
        timestamps=timestamps,
        reference_frame="arena center",
    )
    behavior.add(position)
    behavior.add(
        TimeSeries(
            name="speed",
            data=rng.normal(size=1000),
            timestamps=position["position"],  # linked timestamps
            unit="m/s",
        )
    )
    misc = nwbfile.create_processing_module(name="misc", description="many small series")
    for i in range(spec.n_small_series):
        misc.add(
            TimeSeries(
                name=f"series_{i:05d}",
                data=rng.normal(size=10),
                rate=1.0,
                unit="a.u.",
                description=f"small series {i}",
            )
        )
    return nwbfile
