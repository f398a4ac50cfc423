"""Real NWB files written by pynwb convert, and every value reads back equal to h5py's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.hdf5 import TranslateOptions, translate_source
from tests.hdf5.lindi_check import check_file
from tests.hdf5.zarr_check import check_via_zarr

pynwb = pytest.importorskip("pynwb")


def _build_nwb(path: Path) -> None:
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.ecephys import ElectricalSeries
    from pynwb.file import Subject
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries
    from pynwb.ophys import ImageSegmentation, OpticalChannel

    nwbfile = NWBFile(
        session_description="lindi test",
        identifier="lindi-test-0001",
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        subject=Subject(subject_id="m1", species="Mus musculus", age="P90D"),
    )
    device = nwbfile.create_device(name="probe")
    group = nwbfile.create_electrode_group(
        name="shank0", description="shank", location="CA1", device=device
    )
    for i in range(6):
        nwbfile.add_electrode(
            group=group, location="CA1", x=float(i), y=0.0, z=0.0, imp=np.nan, filtering="none"
        )
    region = nwbfile.create_electrode_table_region(list(range(4)), "first four")
    nwbfile.add_acquisition(
        ElectricalSeries(
            name="ephys",
            data=np.arange(4000 * 4, dtype="i2").reshape(4000, 4),
            electrodes=region,
            rate=30000.0,
        )
    )
    stamped = TimeSeries(
        name="stamped",
        data=np.linspace(0, 1, 500),
        unit="V",
        timestamps=np.arange(500) / 10.0,
    )
    nwbfile.add_acquisition(stamped)
    nwbfile.add_acquisition(
        TimeSeries(name="linked", data=np.ones(500), unit="A", timestamps=stamped)
    )
    nwbfile.add_unit_column(name="quality", description="sorting quality")
    for i in range(3):
        nwbfile.add_unit(spike_times=np.arange(i + 2) * 0.5 + i, quality=f"q{i}")
    nwbfile.add_trial_column(name="outcome", description="trial outcome")
    for i in range(4):
        nwbfile.add_trial(start_time=float(i), stop_time=i + 0.5, outcome=f"o{i}")

    amp = nwbfile.create_icephys_electrode(name="amp", description="patch", device=device)
    stimulus = CurrentClampStimulusSeries(
        name="stim", data=np.ones(100), starting_time=0.0, rate=1000.0, electrode=amp, gain=1.0
    )
    response = CurrentClampSeries(
        name="resp", data=np.arange(100.0), starting_time=0.0, rate=1000.0, electrode=amp, gain=1.0
    )
    recording = nwbfile.add_intracellular_recording(
        electrode=amp, stimulus=stimulus, response=response
    )
    sweep = nwbfile.add_icephys_simultaneous_recording(recordings=[recording])
    nwbfile.add_icephys_sequential_recording(
        simultaneous_recordings=[sweep], stimulus_type="square"
    )

    channel = OpticalChannel(name="green", description="gfp", emission_lambda=510.0)
    plane = nwbfile.create_imaging_plane(
        name="plane",
        optical_channel=channel,
        description="plane",
        device=device,
        excitation_lambda=488.0,
        imaging_rate=30.0,
        indicator="GCaMP",
        location="V1",
    )
    segmentation = ImageSegmentation()
    seg = segmentation.create_plane_segmentation(
        name="rois", description="rois", imaging_plane=plane
    )
    for i in range(3):
        mask = np.zeros((8, 8), dtype="f4")
        mask[i : i + 2, i : i + 3] = 1.0
        seg.add_roi(image_mask=mask)
    module = nwbfile.create_processing_module(name="ophys", description="ophys")
    module.add(segmentation)

    with NWBHDF5IO(path, "w") as io:
        io.write(nwbfile)


@pytest.fixture(scope="module")
def nwb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nwb") / "test.nwb"
    _build_nwb(path)
    return path


@pytest.mark.parametrize("inline_threshold", [0, 4096])
def test_nwb_values_match_h5py(nwb_file: Path, inline_threshold: int) -> None:
    ref_map = translate_source(
        nwb_file, options=TranslateOptions(inline_threshold=inline_threshold)
    ).reference_map
    with h5py.File(nwb_file) as f:
        counts = check_file(ref_map, f)
        compared = check_via_zarr(ref_map, f)
    assert counts["datasets"] > 60
    assert compared > 200


def test_nwb_references_carry_object_ids(nwb_file: Path) -> None:
    ref_map = translate_source(nwb_file).reference_map
    with h5py.File(nwb_file) as f:
        electrodes_id = f["general/extracellular_ephys/electrodes"].attrs["object_id"]
        timestamps_link = f.get("acquisition/linked/timestamps", getlink=True)
    electrodes_attr = ref_map.get_json("acquisition/ephys/electrodes/.zattrs")["table"]
    assert electrodes_attr["_REFERENCE"]["object_id"] == electrodes_id
    assert electrodes_attr["_REFERENCE"]["path"] == "/general/extracellular_ephys/electrodes"
    # pynwb links timestamps by a soft link or a hard link: either way the path resolves
    zattrs = ref_map.get_json("acquisition/linked/timestamps/.zattrs") or {}
    if isinstance(timestamps_link, h5py.SoftLink):
        assert zattrs["_SOFT_LINK"]["path"] == timestamps_link.path
    else:
        assert "acquisition/linked/timestamps/.zarray" in ref_map or "_SOFT_LINK" in zattrs
    # compound rows with references (icephys intracellular recordings table)
    compound = ref_map.get_json(
        "general/intracellular_ephys/intracellular_recordings/responses/response/.zattrs"
    )
    assert ["idx_start", "int32"] in compound["_COMPOUND_DTYPE"]
    assert ["timeseries", "<REFERENCE>"] in compound["_COMPOUND_DTYPE"]
