"""pynwb round trips through LindiIO: behavior, image, misc, ogen, epochs and trials
(TimeSeriesReferenceVectorData: compound rows with references), file-level fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from hdmf.common import DynamicTable, VectorData
from pynwb import NWBFile, TimeSeries
from pynwb.behavior import (
    BehavioralEpochs,
    BehavioralEvents,
    CompassDirection,
    EyeTracking,
    Position,
    PupilTracking,
    SpatialSeries,
)
from pynwb.device import Device
from pynwb.file import LabMetaData, Subject
from pynwb.image import ImageSeries, IndexSeries, OpticalSeries
from pynwb.misc import AbstractFeatureSeries, AnnotationSeries, DecompositionSeries, IntervalSeries
from pynwb.ogen import OptogeneticSeries, OptogeneticStimulusSite
from pynwb.testing import TestCase

from tests.io.roundtrip import LindiAcquisitionMixin, LindiRoundTripMixin


class _BuiltInAddContainer(LindiRoundTripMixin):
    def setUpContainer(self) -> Any:
        return Device(name="placeholder_device")


# ----------------------------------------------------------------------------------- behavior
class TestPosition(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> Position:
        return Position(
            spatial_series=SpatialSeries(
                name="pos",
                data=np.arange(20.0).reshape(10, 2),
                reference_frame="origin at corner",
                timestamps=np.linspace(0, 1, 10),
            )
        )


class TestCompassDirection(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> CompassDirection:
        return CompassDirection(
            spatial_series=SpatialSeries(
                name="heading",
                data=np.linspace(0, 3, 5),
                reference_frame="north",
                unit="radians",
                rate=2.0,
            )
        )


class TestEyeAndPupil(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> EyeTracking:
        return EyeTracking(
            spatial_series=SpatialSeries(
                name="eye", data=np.ones((4, 2)), reference_frame="screen", rate=60.0
            )
        )


class TestPupilTracking(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> PupilTracking:
        return PupilTracking(
            time_series=TimeSeries(name="pupil", data=[1.0, 1.5, 2.0], unit="mm", rate=30.0)
        )


class TestBehavioralEvents(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> BehavioralEvents:
        return BehavioralEvents(
            time_series=TimeSeries(
                name="licks", data=[1, 1, 1], unit="n/a", timestamps=[0.5, 1.0, 2.0]
            )
        )


class TestBehavioralEpochs(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> BehavioralEpochs:
        return BehavioralEpochs(
            interval_series=IntervalSeries(
                name="running", data=[1, -1, 1, -1], timestamps=[0.0, 1.0, 2.0, 3.0]
            )
        )


# -------------------------------------------------------------------------------------- image
class TestImageSeriesExternal(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> ImageSeries:
        return ImageSeries(
            name="movie",
            external_file=["movie1.avi", "movie2.avi"],
            starting_frame=[0, 100],
            format="external",
            timestamps=[0.0, 1.0, 2.0],
        )


class TestOpticalSeries(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> OpticalSeries:
        return OpticalSeries(
            name="stim_movie",
            data=np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
            unit="n/a",
            distance=0.7,
            field_of_view=[0.2, 0.3],
            orientation="upright",
            rate=10.0,
        )


class TestIndexSeries(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        from pynwb.base import Image, Images

        images = Images(
            name="stim_images",
            images=[Image(name=f"img{i}", data=np.full((2, 2), i, dtype=np.uint8)) for i in (0, 1)],
        )
        nwbfile.add_stimulus_template(images)
        series = IndexSeries(
            name="stim_index",
            data=[0, 1, 0],
            unit="N/A",
            indexed_images=images,
            timestamps=[0.0, 1.0, 2.0],
        )
        nwbfile.add_stimulus(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.stimulus["stim_index"]


# --------------------------------------------------------------------------------------- misc
class TestAnnotationSeries(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> AnnotationSeries:
        return AnnotationSeries(
            name="notes", data=["start", "middle", "end"], timestamps=[0.0, 1.0, 2.0]
        )


class TestAbstractFeatureSeries(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> AbstractFeatureSeries:
        return AbstractFeatureSeries(
            name="features",
            feature_units=["Hz", "dB"],
            features=["frequency", "power"],
            data=np.arange(6.0).reshape(3, 2),
            timestamps=[0.0, 0.1, 0.2],
        )


class TestDecompositionSeries(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        source = TimeSeries(name="source", data=np.ones((10, 2)), unit="V", rate=100.0)
        nwbfile.add_acquisition(source)
        series = DecompositionSeries(
            name="bands",
            data=np.arange(40.0).reshape(10, 2, 2),
            metric="amplitude",
            rate=100.0,
            source_timeseries=source,
        )
        series.add_band(band_name="theta", band_limits=(4.0, 8.0), band_mean=6.0, band_stdev=1.0)
        series.add_band(band_name="gamma", band_limits=(30.0, 80.0), band_mean=55.0, band_stdev=5.0)
        nwbfile.create_processing_module(name="ecephys", description="x").add(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.processing["ecephys"]["bands"]


# --------------------------------------------------------------------------------------- ogen
class TestOptogeneticSeries(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        device = nwbfile.create_device(name="laser", description="473 nm")
        site = OptogeneticStimulusSite(
            name="site", device=device, description="blue", excitation_lambda=473.0, location="M1"
        )
        nwbfile.add_ogen_site(site)
        series = OptogeneticSeries(name="stim", data=[0.0, 1.5, 0.0], site=site, rate=10.0)
        nwbfile.add_stimulus(series)
        self.container = series

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.stimulus["stim"]


# ------------------------------------------------------------------------------ epochs/trials
class TestTrials(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        nwbfile.add_trial_column(name="correct", description="correct answer")
        nwbfile.add_trial_column(name="stimulus", description="stimulus name")
        for i in range(4):
            nwbfile.add_trial(
                start_time=float(i), stop_time=i + 0.5, correct=bool(i % 2), stimulus=f"s{i}"
            )
        self.container = nwbfile.trials

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.trials

    def test_dataframe(self) -> None:
        trials = self.roundtripContainer()
        frame = trials.to_dataframe()
        np.testing.assert_array_equal(frame["start_time"], [0.0, 1.0, 2.0, 3.0])
        self.assertEqual(list(frame["stimulus"]), ["s0", "s1", "s2", "s3"])
        self.assertEqual(list(frame["correct"]), [False, True, False, True])


class TestEpochsWithTimeseries(_BuiltInAddContainer, TestCase):
    """The epochs table's ``timeseries`` column: compound (idx_start, count, reference) rows,
    plus ragged tags."""

    def addContainer(self, nwbfile: NWBFile) -> None:
        series = TimeSeries(name="ts", data=np.arange(100.0), unit="m", rate=10.0)
        nwbfile.add_acquisition(series)
        nwbfile.add_epoch(start_time=0.0, stop_time=2.0, tags=["a", "b"], timeseries=[series])
        nwbfile.add_epoch(start_time=3.0, stop_time=5.0, tags=["c"], timeseries=[series])
        self.container = nwbfile.epochs

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.epochs

    def test_references(self) -> None:
        epochs = self.roundtripContainer()
        frame = epochs.to_dataframe()
        self.assertEqual(list(frame["tags"][0]), ["a", "b"])
        reference = frame["timeseries"][1][0]
        self.assertEqual(reference.idx_start, 30)
        self.assertEqual(reference.count, 20)
        self.assertIs(reference.timeseries, self.read_nwbfile.acquisition["ts"])
        np.testing.assert_array_equal(reference.data, np.arange(30.0, 50.0))


class TestCustomIntervals(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        from pynwb.epoch import TimeIntervals

        intervals = TimeIntervals(name="sleep", description="sleep stages")
        intervals.add_column(name="stage", description="stage")
        intervals.add_interval(start_time=0.0, stop_time=10.0, stage="REM")
        nwbfile.add_time_intervals(intervals)
        self.container = intervals

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.intervals["sleep"]


# --------------------------------------------------------------------------------- file level
class TestSubject(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        nwbfile.subject = Subject(
            subject_id="mouse1",
            age="P90D",
            description="a mouse",
            genotype="wt",
            sex="M",
            species="Mus musculus",
            weight="20 g",
            date_of_birth=datetime(2019, 10, 1, tzinfo=UTC),
        )
        self.container = nwbfile.subject

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.subject


class TestGeneralFields(_BuiltInAddContainer, TestCase):
    """NWBFile text fields, lists of strings, keywords, lab metadata, a scratch table."""

    def addContainer(self, nwbfile: NWBFile) -> None:
        nwbfile.experimenter = ("Doe, Jane", "Roe, Rick")
        nwbfile.experiment_description = "an experiment"
        nwbfile.session_id = "session-7"
        nwbfile.institution = "Institute"
        nwbfile.keywords = ["memory", "hippocampus"]
        nwbfile.notes = "notes with unicode: µm, ∆F/F"
        nwbfile.pharmacology = "none"
        nwbfile.protocol = "protocol 1"
        nwbfile.related_publications = ("doi:1", "doi:2")
        nwbfile.slices = "slices"
        nwbfile.stimulus_notes = "stimulus notes"
        nwbfile.surgery = "surgery"
        nwbfile.virus = "virus"
        nwbfile.data_collection = "collected"
        table = DynamicTable(
            name="scratch_table",
            description="scratch",
            columns=[VectorData(name="col", description="c", data=[1, 2, 3])],
        )
        nwbfile.add_scratch(table)
        self.container = nwbfile.get_scratch("scratch_table", convert=False)

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.get_scratch("scratch_table", convert=False)

    def test_file_fields(self) -> None:
        self.roundtripContainer()
        nwbfile = self.read_nwbfile
        self.assertEqual(tuple(nwbfile.experimenter), ("Doe, Jane", "Roe, Rick"))
        self.assertEqual(list(nwbfile.keywords[:]), ["memory", "hippocampus"])
        self.assertEqual(nwbfile.notes, "notes with unicode: µm, ∆F/F")
        self.assertEqual(nwbfile.session_id, "session-7")
        self.assertEqual(nwbfile.identifier, "TEST_Device")
        self.assertEqual(nwbfile.session_start_time, self.start_time)
        version = self.reader.nwb_version[1]
        assert version is not None
        self.assertEqual(version[0], 2)


class TestLabMetaDataFree(_BuiltInAddContainer, TestCase):
    def addContainer(self, nwbfile: NWBFile) -> None:
        device = nwbfile.create_device(name="rig", description="the rig", model_number="X1")
        self.container = device

    def getContainer(self, nwbfile: NWBFile) -> Any:
        return nwbfile.devices["rig"]


__all__ = ["LabMetaData"]
