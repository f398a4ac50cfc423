"""A deterministic NWB file with ecephys, units, trials, icephys, ophys and linked timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from hdmf.data_utils import DataChunkIterator
from pynwb import NWBFile, TimeSeries
from pynwb.ecephys import LFP, ElectricalSeries
from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries
from pynwb.ophys import (
    Fluorescence,
    ImageSegmentation,
    OpticalChannel,
    RoiResponseSeries,
)

START = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_nwbfile() -> NWBFile:
    """Build the file (same content every call, apart from object ids)."""
    rng = np.random.default_rng(0)
    nwbfile = NWBFile(
        session_description="round trip",
        identifier="lindi-roundtrip",
        session_start_time=START,
        file_create_date=[START],
        experimenter=["A. Person", "B. Person"],
        keywords=["lindi", "test"],
    )
    # ecephys: electrodes table, ElectricalSeries with a DynamicTableRegion
    device = nwbfile.create_device(name="probe", description="a probe")
    group = nwbfile.create_electrode_group(
        name="shank0", description="shank", location="CA1", device=device
    )
    for i in range(4):
        nwbfile.add_electrode(group=group, location="CA1", x=float(i), y=0.0, z=-1.5)
    region = nwbfile.create_electrode_table_region([0, 2, 3], "three electrodes")
    series = ElectricalSeries(
        name="raw",
        data=H5DataIO(rng.normal(size=(500, 3)).astype("f4"), compression="gzip", chunks=True),
        electrodes=region,
        rate=1000.0,
        starting_time=0.5,
    )
    nwbfile.add_acquisition(series)
    ecephys = nwbfile.create_processing_module("ecephys", "processed ecephys")
    lfp_series = ElectricalSeries(
        name="lfp",
        data=DataChunkIterator(data=iter(rng.normal(size=(50, 3))), buffer_size=7),
        electrodes=nwbfile.create_electrode_table_region([0, 1, 2], "lfp electrodes"),
        rate=100.0,
    )
    ecephys.add(LFP(electrical_series=lfp_series))

    # units: ragged spike times
    nwbfile.add_unit_column(name="quality", description="sorting quality")
    for i, n in enumerate((5, 0, 12)):
        nwbfile.add_unit(
            spike_times=np.sort(rng.uniform(0, 10, size=n)),
            quality=["good", "noise", "mua"][i],
            electrodes=[i],
        )

    # trials with a custom column
    nwbfile.add_trial_column(name="correct", description="whether the answer was correct")
    for i in range(3):
        nwbfile.add_trial(start_time=float(i), stop_time=i + 0.5, correct=bool(i % 2))

    # linked timestamps
    stamps = TimeSeries(
        name="with_timestamps", data=np.arange(6.0), unit="m", timestamps=np.linspace(0, 1, 6)
    )
    nwbfile.add_acquisition(stamps)
    nwbfile.add_acquisition(
        TimeSeries(name="shares_timestamps", data=np.arange(6.0) * 2, unit="m", timestamps=stamps)
    )

    # icephys: intracellular recordings table (compound references)
    amplifier = nwbfile.create_device(name="amplifier")
    electrode = nwbfile.create_icephys_electrode(
        name="patch", description="a patch electrode", device=amplifier
    )
    stimulus = CurrentClampStimulusSeries(
        name="stim",
        data=np.sin(np.arange(40) / 4.0),
        electrode=electrode,
        gain=0.5,
        rate=100.0,
        sweep_number=np.uint32(1),
    )
    response = CurrentClampSeries(
        name="resp",
        data=np.cos(np.arange(40) / 4.0),
        electrode=electrode,
        gain=0.25,
        rate=100.0,
        sweep_number=np.uint32(1),
    )
    nwbfile.add_stimulus(stimulus)
    nwbfile.add_acquisition(response)
    recording = nwbfile.add_intracellular_recording(
        electrode=electrode, stimulus=stimulus, response=response
    )
    simultaneous = nwbfile.add_icephys_simultaneous_recording(recordings=[recording])
    nwbfile.add_icephys_sequential_recording(
        simultaneous_recordings=[simultaneous], stimulus_type="square"
    )

    # ophys: plane segmentation and ROI responses
    channel = OpticalChannel(name="green", description="green", emission_lambda=520.0)
    plane = nwbfile.create_imaging_plane(
        name="plane",
        optical_channel=channel,
        description="a plane",
        device=device,
        excitation_lambda=920.0,
        indicator="GCaMP",
        location="V1",
        imaging_rate=30.0,
    )
    ophys = nwbfile.create_processing_module("ophys", "optical physiology")
    segmentation = ImageSegmentation()
    ophys.add(segmentation)
    planes = segmentation.create_plane_segmentation(
        name="cells", description="cells", imaging_plane=plane
    )
    for i in range(3):
        mask = np.zeros((8, 8), dtype="f4")
        mask[i : i + 3, i : i + 2] = 1.0
        planes.add_roi(image_mask=mask)
    rois = planes.create_roi_table_region(region=[0, 2], description="two cells")
    ophys.add(
        Fluorescence(
            roi_response_series=RoiResponseSeries(
                name="dff", data=rng.normal(size=(30, 2)), rois=rois, unit="n.a.", rate=30.0
            )
        )
    )
    return nwbfile


def container_path(container: Any) -> str:
    names = []
    while container is not None:
        names.append(container.name)
        container = container.parent
    return "/".join(reversed(names[:-1]))
