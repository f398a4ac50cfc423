"""pynwb round trips through LindiIO: base types (TimeSeries, linking, images, processing)."""

from __future__ import annotations

import numpy as np
from pynwb import TimeSeries
from pynwb.base import Image, ImageReferences, Images, ProcessingModule
from pynwb.image import GrayscaleImage, RGBImage
from pynwb.testing import TestCase

from tests.io.roundtrip import LindiAcquisitionMixin, LindiRoundTripMixin


class TestTimeSeries(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> TimeSeries:
        return TimeSeries(
            name="test_timeseries",
            data=list(range(1000)),
            unit="SIunit",
            timestamps=np.arange(1000.0),
            resolution=0.1,
            continuity="continuous",
        )


class TestTimeSeriesRate(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> TimeSeries:
        return TimeSeries(
            name="rate_series",
            data=np.arange(12, dtype=np.int16).reshape(4, 3),
            unit="V",
            starting_time=2.5,
            rate=30.0,
            conversion=2.0,
            offset=-1.0,
            comments="a comment",
            description="a description",
        )


class TestTimeSeriesStrings(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> TimeSeries:
        return TimeSeries(
            name="text_series", data=["a", "bb", "ccc"], unit="n/a", timestamps=[0.0, 1.0, 2.0]
        )


class TestProcessingModule(LindiRoundTripMixin, TestCase):
    def setUpContainer(self) -> ProcessingModule:
        module = ProcessingModule(name="test_module", description="a module")
        module.add(TimeSeries(name="ts_in_module", data=[1.0, 2.0, 3.0], unit="m", rate=1.0))
        return module

    def addContainer(self, nwbfile: object) -> None:
        nwbfile.add_processing_module(self.container)  # type: ignore[attr-defined]

    def getContainer(self, nwbfile: object) -> ProcessingModule:
        return nwbfile.processing["test_module"]  # type: ignore[attr-defined]


class TestImages(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> Images:
        gray = GrayscaleImage(name="gray", data=np.arange(64, dtype=np.uint8).reshape(8, 8))
        rgb = RGBImage(name="rgb", data=np.arange(192, dtype=np.uint8).reshape(8, 8, 3))
        return Images(
            name="images",
            images=[gray, rgb],
            description="two images",
            order_of_images=ImageReferences(name="order_of_images", data=[rgb, gray]),
        )


class TestImage(LindiAcquisitionMixin, TestCase):
    def setUpContainer(self) -> Images:
        return Images(
            name="single", images=[Image(name="img", data=np.ones((3, 4)), resolution=1.5)]
        )
