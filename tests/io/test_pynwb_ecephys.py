"""pynwb round trips through LindiIO: extracellular electrophysiology (electrodes table with
DynamicTableRegion, ElectricalSeries, LFP, SpikeEventSeries, FeatureExtraction, Units)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import numpy as np
from pynwb import NWBFile
from pynwb.device import Device
from pynwb.ecephys import (
    LFP,
    ElectricalSeries,
    ElectrodeGroup,
    FeatureExtraction,
    FilteredEphys,
    SpikeEventSeries,
)
from pynwb.misc import Units
from pynwb.testing import TestCase

from tests.io.roundtrip import LindiRoundTripMixin


def _add_electrodes(nwbfile: NWBFile, count: int = 4) -> ElectrodeGroup:
    device = nwbfile.create_device(name="probe", description="a probe", manufacturer="lab")
    group = nwbfile.create_electrode_group(
        name="shank0", description="shank", location="CA1", device=device
    )
    for i in range(count):
        nwbfile.add_electrode(
            x=float(i), y=2.0 * i, z=0.5, imp=-1.0, location="CA1", filtering="none", group=group
        )
    return group


class TestElectrodeGroup(LindiRoundTripMixin, TestCase):
    def setUpContainer(self) -> ElectrodeGroup:
        self.device = Device(name="dev1", description="a device")
        return ElectrodeGroup(
            name="elec1",
            description="desc",
            location="loc",
            device=self.device,
            position=np.array((1.0, 2.0, 3.0), dtype=[("x", "f8"), ("y", "f8"), ("z", "f8")]),
        )

    def addContainer(self, nwbfile: NWBFile) -> None:
        nwbfile.add_device(self.device)
        nwbfile.add_electrode_group(self.container)

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.get_electrode_group(self.container.name)


def _now() -> Any:
    from datetime import datetime

    return datetime(2020, 1, 1, tzinfo=UTC)


class _FileLevelMixin(LindiRoundTripMixin):
    """Containers that need the file's electrodes: built in addContainer."""

    def setUpContainer(self) -> Any:
        return Device(name="unused_placeholder")

    def setUp(self) -> None:
        super().setUp()

    def test_roundtrip(self) -> None:
        self.read_container = self.roundtripContainer()
        self.assertIs(self.read_nwbfile.objects[self.container.object_id], self.read_container)
        self.assertContainerEqual(self.read_container, self.container)

    def test_roundtrip_export(self) -> None:
        self.read_container = self.roundtripExportContainer()
        self.assertIs(
            self.read_exported_nwbfile.objects[self.container.object_id], self.read_container
        )
        self.assertContainerEqual(self.read_container, self.container, ignore_hdmf_attrs=True)


class TestElectricalSeries(_FileLevelMixin, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        _add_electrodes(nwbfile)
        region = nwbfile.create_electrode_table_region([0, 2], "two electrodes")
        series = ElectricalSeries(
            name="test_eS",
            data=np.arange(20, dtype=np.int16).reshape(10, 2),
            electrodes=region,
            timestamps=np.arange(10.0) / 10,
            channel_conversion=[1.0, 2.0],
            filtering="none",
        )
        nwbfile.add_acquisition(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.acquisition["test_eS"]

    def test_region_values(self) -> None:
        series = self.roundtripContainer()
        self.assertEqual(list(series.electrodes.data[:]), [0, 2])
        frame = series.electrodes.to_dataframe()
        np.testing.assert_array_equal(frame["x"], [0.0, 2.0])
        np.testing.assert_array_equal(series.data[3:5], [[6, 7], [8, 9]])


class TestLFP(_FileLevelMixin, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        _add_electrodes(nwbfile)
        region = nwbfile.create_electrode_table_region([0, 1, 2], "three")
        series = ElectricalSeries(
            name="lfp_es",
            data=np.random.default_rng(0).normal(size=(50, 3)),
            electrodes=region,
            rate=1000.0,
        )
        lfp = LFP(electrical_series=series)
        module = nwbfile.create_processing_module(name="ecephys", description="ephys")
        module.add(lfp)
        self.container = lfp

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.processing["ecephys"]["LFP"]


class TestFilteredEphys(_FileLevelMixin, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        _add_electrodes(nwbfile)
        region = nwbfile.create_electrode_table_region([3], "one")
        series = ElectricalSeries(
            name="filtered", data=np.ones((5, 1)), electrodes=region, rate=10.0
        )
        filtered = FilteredEphys(electrical_series=series)
        nwbfile.create_processing_module(name="ecephys", description="ephys").add(filtered)
        self.container = filtered

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.processing["ecephys"]["FilteredEphys"]


class TestSpikeEventSeries(_FileLevelMixin, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        _add_electrodes(nwbfile)
        region = nwbfile.create_electrode_table_region([0, 1], "two")
        series = SpikeEventSeries(
            name="spikes",
            data=np.arange(24, dtype=np.float64).reshape(3, 2, 4),
            timestamps=[0.1, 0.2, 0.3],
            electrodes=region,
        )
        nwbfile.add_acquisition(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.acquisition["spikes"]


class TestFeatureExtraction(_FileLevelMixin, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        _add_electrodes(nwbfile)
        region = nwbfile.create_electrode_table_region([0, 1], "two")
        features = FeatureExtraction(
            electrodes=region,
            description=["pc1", "pc2", "pc3"],
            times=[0.5, 1.5],
            features=np.arange(12, dtype=np.float64).reshape(2, 2, 3),
        )
        nwbfile.create_processing_module(name="ecephys", description="ephys").add(features)
        self.container = features

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.processing["ecephys"]["FeatureExtraction"]


class TestUnits(_FileLevelMixin, TestCase):
    """Ragged spike times (VectorIndex), electrodes (DynamicTableRegion, ragged), waveforms
    (doubly ragged), a custom column."""

    def addContainer(self, nwbfile: NWBFile) -> None:
        _add_electrodes(nwbfile)
        nwbfile.add_unit_column(name="quality", description="sorting quality")
        nwbfile.add_unit(spike_times=[0.1, 0.5, 0.9], electrodes=[0, 1], quality=0.9)
        nwbfile.add_unit(spike_times=[0.2], electrodes=[2], quality=0.4)
        nwbfile.add_unit(spike_times=[0.3, 0.4], electrodes=[1, 2, 3], quality=0.7)
        self.container = nwbfile.units

    def getContainer(self, nwbfile: NWBFile) -> Units:
        return nwbfile.units

    def test_dataframe_and_ragged_access(self) -> None:
        units = self.roundtripContainer()
        frame = units.to_dataframe()
        self.assertEqual(list(frame.index), [0, 1, 2])
        np.testing.assert_array_equal(frame["spike_times"][0], [0.1, 0.5, 0.9])
        np.testing.assert_array_equal(frame["spike_times"][2], [0.3, 0.4])
        np.testing.assert_array_equal(frame["quality"], [0.9, 0.4, 0.7])
        self.assertEqual(len(frame["electrodes"][2]), 3)
        np.testing.assert_array_equal(units["spike_times"][1], [0.2])
        np.testing.assert_array_equal(units.get_unit_spike_times(0), [0.1, 0.5, 0.9])
        self.assertEqual(list(units["electrodes"][0].index), [0, 1])
        electrodes = self.read_nwbfile.electrodes.to_dataframe()
        self.assertEqual(list(electrodes["location"]), ["CA1"] * 4)
        np.testing.assert_array_equal(electrodes["x"], [0.0, 1.0, 2.0, 3.0])
