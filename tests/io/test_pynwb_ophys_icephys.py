"""pynwb round trips through LindiIO: optical physiology and intracellular electrophysiology
(including the icephys metadata tables, whose columns hold compound rows with references)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hdmf.common.hierarchicaltable import to_hierarchical_dataframe
from pynwb import NWBFile
from pynwb.device import Device
from pynwb.icephys import (
    CurrentClampSeries,
    CurrentClampStimulusSeries,
    IntracellularElectrode,
    VoltageClampSeries,
    VoltageClampStimulusSeries,
)
from pynwb.ophys import (
    DfOverF,
    Fluorescence,
    ImageSegmentation,
    OnePhotonSeries,
    OpticalChannel,
    TwoPhotonSeries,
)
from pynwb.testing import TestCase

from tests.io.roundtrip import LindiRoundTripMixin


class _BuiltInAddContainer(LindiRoundTripMixin):
    """The container is created in ``addContainer`` (it needs the file's devices/tables)."""

    def setUpContainer(self) -> Any:
        return Device(name="placeholder_device")


# ------------------------------------------------------------------------------------ icephys
def _electrode(nwbfile: NWBFile) -> IntracellularElectrode:
    device = nwbfile.create_device(name="amplifier", description="amp")
    return nwbfile.create_icephys_electrode(
        name="elec0", description="pipette", device=device, resistance="10 MOhm", slice="s1"
    )


class TestIntracellularElectrode(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        self.container = _electrode(nwbfile)

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.icephys_electrodes["elec0"]


class TestCurrentClampSeries(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        electrode = _electrode(nwbfile)
        series = CurrentClampSeries(
            name="ccs",
            data=np.linspace(-70, -40, 100),
            electrode=electrode,
            gain=0.02,
            rate=10000.0,
            bias_current=1e-12,
            bridge_balance=70e6,
            capacitance_compensation=1e-12,
            sweep_number=np.uint32(3),
        )
        nwbfile.add_acquisition(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.acquisition["ccs"]


class TestVoltageClampSeries(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        electrode = _electrode(nwbfile)
        series = VoltageClampSeries(
            name="vcs",
            data=np.arange(50.0),
            electrode=electrode,
            gain=1.0,
            rate=20000.0,
            capacitance_fast=1e-12,
            capacitance_slow=2e-12,
            resistance_comp_bandwidth=1.0,
            resistance_comp_correction=2.0,
            resistance_comp_prediction=3.0,
            whole_cell_capacitance_comp=4.0,
            whole_cell_series_resistance_comp=5.0,
        )
        nwbfile.add_acquisition(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.acquisition["vcs"]


class TestIcephysMetadataTables(_BuiltInAddContainer, TestCase):
    """IntracellularRecordingsTable (compound TimeSeriesReference rows), SimultaneousRecordings,
    SequentialRecordings, Repetitions, ExperimentalConditions: tables of regions into tables."""

    def addContainer(self, nwbfile: NWBFile) -> None:
        electrode = _electrode(nwbfile)
        rows = []
        for i in range(3):
            stimulus = VoltageClampStimulusSeries(
                name=f"stim{i}",
                data=np.arange(10.0) + i,
                electrode=electrode,
                gain=1.0,
                rate=100.0,
                sweep_number=np.uint32(i),
            )
            response = VoltageClampSeries(
                name=f"resp{i}",
                data=np.arange(10.0) * i,
                electrode=electrode,
                gain=1.0,
                rate=100.0,
                sweep_number=np.uint32(i),
            )
            nwbfile.add_stimulus(stimulus)
            nwbfile.add_acquisition(response)
            rows.append(
                nwbfile.add_intracellular_recording(
                    electrode=electrode,
                    stimulus=stimulus,
                    response=response,
                    id=10 + i,
                    stimulus_start_index=1,
                    stimulus_index_count=5,
                )
            )
        simultaneous = nwbfile.add_icephys_simultaneous_recording(recordings=[rows[0], rows[1]])
        simultaneous2 = nwbfile.add_icephys_simultaneous_recording(recordings=[rows[2]])
        sequential = nwbfile.add_icephys_sequential_recording(
            simultaneous_recordings=[simultaneous, simultaneous2], stimulus_type="square"
        )
        repetition = nwbfile.add_icephys_repetition(sequential_recordings=[sequential])
        nwbfile.add_icephys_experimental_condition(repetitions=[repetition])
        self.container = nwbfile.intracellular_recordings

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.intracellular_recordings

    def test_table_values(self) -> None:
        table = self.roundtripContainer()
        self.assertEqual(list(table.id[:]), [10, 11, 12])
        frame = table.to_dataframe()
        stimulus = frame[("stimuli", "stimulus")]
        self.assertEqual(stimulus.iloc[1].idx_start, 1)
        self.assertEqual(stimulus.iloc[1].count, 5)
        self.assertEqual(stimulus.iloc[1].timeseries.name, "stim1")
        response = frame[("responses", "response")]
        self.assertEqual(response.iloc[2].timeseries.name, "resp2")
        np.testing.assert_array_equal(response.iloc[2].timeseries.data[:3], [0.0, 2.0, 4.0])
        conditions = to_hierarchical_dataframe(self.read_nwbfile.icephys_experimental_conditions)
        self.assertEqual(len(conditions), 3)
        sequential = self.read_nwbfile.icephys_sequential_recordings
        self.assertEqual(list(sequential["stimulus_type"][:]), ["square"])


class TestCurrentClampStimulus(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        electrode = _electrode(nwbfile)
        series = CurrentClampStimulusSeries(
            name="ccss", data=np.ones(20), electrode=electrode, gain=2.0, rate=1000.0
        )
        nwbfile.add_stimulus(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.stimulus["ccss"]


# ------------------------------------------------------------------------------------ ophys
def _imaging_plane(nwbfile: NWBFile) -> Any:
    device = nwbfile.create_device(name="microscope", description="2p")
    channel = OpticalChannel(name="green", description="gcamp", emission_lambda=510.0)
    return nwbfile.create_imaging_plane(
        name="plane0",
        optical_channel=channel,
        description="plane",
        device=device,
        excitation_lambda=920.0,
        imaging_rate=30.0,
        indicator="GCaMP6f",
        location="V1",
        grid_spacing=[0.5, 0.5],
        grid_spacing_unit="microns",
    )


class TestImagingPlane(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        self.container = _imaging_plane(nwbfile)

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.imaging_planes["plane0"]


class TestTwoPhotonSeries(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        plane = _imaging_plane(nwbfile)
        series = TwoPhotonSeries(
            name="2ps",
            data=np.arange(5 * 4 * 3, dtype=np.uint16).reshape(5, 4, 3),
            imaging_plane=plane,
            rate=30.0,
            unit="n.a.",
            field_of_view=[0.3, 0.4],
            pmt_gain=1.5,
            scan_line_rate=10.0,
            dimension=[4, 3],
        )
        nwbfile.add_acquisition(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.acquisition["2ps"]


class TestOnePhotonSeries(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        plane = _imaging_plane(nwbfile)
        series = OnePhotonSeries(
            name="1ps",
            data=np.ones((3, 2, 2)),
            imaging_plane=plane,
            rate=10.0,
            unit="n.a.",
            exposure_time=0.01,
            binning=np.uint8(2),
            power=1.0,
            intensity=2.0,
        )
        nwbfile.add_acquisition(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.acquisition["1ps"]


class TestPlaneSegmentationAndTraces(_BuiltInAddContainer, TestCase):
    """ImageSegmentation with image masks and pixel masks (ragged compound), Fluorescence and
    DfOverF RoiResponseSeries with ROI table regions."""

    def addContainer(self, nwbfile: NWBFile) -> None:
        plane = _imaging_plane(nwbfile)
        module = nwbfile.create_processing_module(name="ophys", description="ophys")
        segmentation = ImageSegmentation()
        module.add(segmentation)
        planes = segmentation.create_plane_segmentation(
            name="seg", description="rois", imaging_plane=plane
        )
        for i in range(3):
            mask = np.zeros((4, 3))
            mask[i, :] = 1.0
            planes.add_roi(image_mask=mask, pixel_mask=[(i, 0, 1.0), (i, 1, 0.5)][: i + 1])
        region = planes.create_roi_table_region(region=[0, 2], description="two rois")
        fluorescence = Fluorescence()
        module.add(fluorescence)
        fluorescence.create_roi_response_series(
            name="raw", data=np.arange(10.0).reshape(5, 2), rois=region, unit="lumens", rate=30.0
        )
        dff = DfOverF()
        module.add(dff)
        dff.create_roi_response_series(
            name="dff", data=np.ones((5, 2)), rois=region, unit="n.a.", rate=30.0
        )
        self.container = segmentation

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.processing["ophys"]["ImageSegmentation"]

    def test_masks_and_traces(self) -> None:
        segmentation = self.roundtripContainer()
        planes = segmentation["seg"]
        self.assertEqual(len(planes), 3)
        np.testing.assert_array_equal(planes["image_mask"][1][1], [1.0, 1.0, 1.0])
        pixels = planes["pixel_mask"][2]
        self.assertEqual(len(pixels), 2)
        self.assertEqual(int(pixels[1][0]), 2)
        raw = self.read_nwbfile.processing["ophys"]["Fluorescence"]["raw"]
        self.assertEqual(list(raw.rois.data[:]), [0, 2])
        np.testing.assert_array_equal(raw.data[4], [8.0, 9.0])
