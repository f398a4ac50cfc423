"""pynwb's round-trip test mixins, run with LindiIO in place of NWBHDF5IO.

``NWBH5IOMixin`` / ``AcquisitionH5IOMixin`` / ``NWBH5IOFlexMixin`` open ``NWBHDF5IO`` by name in
``roundtripContainer`` and ``roundtripExportContainer``; these subclasses override exactly those
two methods (and ``validate``, which opens files by path through pynwb's backend lookup) and keep
everything else: ``test_roundtrip`` and ``test_roundtrip_export`` with their assertions
(``assertContainerEqual``, object ids preserved, a fresh object).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from typing import Any

from hdmf.backends.warnings import BrokenLinkWarning
from hdmf.build.warnings import MissingRequiredBuildWarning
from pynwb import NWBFile
from pynwb import validate as pynwb_validate
from pynwb.testing.testh5io import AcquisitionH5IOMixin, NWBH5IOFlexMixin, NWBH5IOMixin

from hdmf_lindi.io import LindiIO

__all__ = ["LindiAcquisitionMixin", "LindiFlexMixin", "LindiRoundTripMixin"]

SUFFIX = ".lindi.tar"


def _raise_on_build_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, (MissingRequiredBuildWarning, BrokenLinkWarning)):
            raise AssertionError(f"{w.category.__name__}: {w.message}")


def validate_lindi(path: str, manager: Any = None, namespace: str | None = None) -> list[Any]:
    """pynwb's schema validation of a LINDI file, against ``namespace`` (default: core) as
    loaded in the reader's type map (loading the cached namespaces into a fresh catalog costs
    hdmf seconds per file, the same for every backend)."""
    with LindiIO(path, mode="r", manager=manager) as io:
        cached = namespace is not None
        return list(pynwb_validate(io=io, use_cached_namespaces=cached, namespace=namespace))


class _LindiFiles:
    """Temporary directory and file names for one test."""

    filename: str
    export_filename: str
    _tmpdir: str

    def _use_tmpdir(self, container_type: str) -> None:
        self._tmpdir = tempfile.mkdtemp(prefix="lindi-io-test-")
        self.filename = os.path.join(self._tmpdir, f"test_{container_type}{SUFFIX}")
        self.export_filename = os.path.join(self._tmpdir, f"test_export_{container_type}{SUFFIX}")

    def _drop_tmpdir(self) -> None:
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    def validate(self) -> None:
        for path in (self.filename, self.export_filename):
            if os.path.exists(path):
                errors = validate_lindi(
                    path, manager=self._validation_manager(), namespace=self._namespace()
                )
                if errors:
                    raise AssertionError("\n".join(str(e) for e in errors))

    def _validation_manager(self) -> Any:
        return None

    def _namespace(self) -> str | None:
        return None


class LindiRoundTripMixin(_LindiFiles, NWBH5IOMixin):
    """``NWBH5IOMixin`` writing and reading with LindiIO."""

    def setUp(self) -> None:
        super().setUp()
        self._use_tmpdir(self.container_type)

    def tearDown(self) -> None:
        super().tearDown()
        self._drop_tmpdir()

    def roundtripContainer(self, cache_spec: bool = True) -> Any:
        nwbfile = NWBFile(
            session_description=f"a file to test writing and reading a {self.container_type}",
            identifier=f"TEST_{self.container_type}",
            session_start_time=self.start_time,
            file_create_date=self.create_date,
        )
        self.addContainer(nwbfile)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with LindiIO(self.filename, mode="w") as write_io:
                write_io.write(nwbfile, cache_spec=cache_spec)
            self.validate()
            self.reader = LindiIO(self.filename, mode="r")
            self.read_nwbfile = self.reader.read()
        _raise_on_build_warnings(caught)
        return self.getContainer(self.read_nwbfile)

    def roundtripExportContainer(self, cache_spec: bool = True) -> Any:
        self.roundtripContainer(cache_spec=cache_spec)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            LindiIO.export_io(self.export_filename, src_io=self.reader, cache_spec=cache_spec)
            self.validate()
            self.export_reader = LindiIO(self.export_filename, mode="r")
            self.read_exported_nwbfile = self.export_reader.read()
        _raise_on_build_warnings(caught)
        return self.getContainer(self.read_exported_nwbfile)


class LindiAcquisitionMixin(LindiRoundTripMixin, AcquisitionH5IOMixin):
    """``AcquisitionH5IOMixin`` with LindiIO."""


class LindiFlexMixin(_LindiFiles, NWBH5IOFlexMixin):
    """``NWBH5IOFlexMixin`` with LindiIO."""

    def setUp(self) -> None:
        super().setUp()
        self._use_tmpdir(self.getContainerType().replace(" ", "_"))

    def tearDown(self) -> None:
        super().tearDown()
        self._drop_tmpdir()

    def _validation_manager(self) -> Any:
        return None

    def roundtripContainer(self, cache_spec: bool = True) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with LindiIO(self.filename, mode="w", manager=self.get_manager()) as write_io:
                write_io.write(self.nwbfile, cache_spec=cache_spec)
            self.validate()
            self.reader = LindiIO(self.filename, mode="r", manager=self.get_manager())
            self.read_nwbfile = self.reader.read()
        _raise_on_build_warnings(caught)
        return self.getContainer(self.read_nwbfile)

    def roundtripExportContainer(self, cache_spec: bool = True) -> Any:
        self.roundtripContainer(cache_spec=cache_spec)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            LindiIO.export_io(self.export_filename, src_io=self.reader, cache_spec=cache_spec)
            self.validate()
            self.export_reader = LindiIO(self.export_filename, mode="r", manager=self.get_manager())
            self.read_exported_nwbfile = self.export_reader.read()
        _raise_on_build_warnings(caught)
        return self.getContainer(self.read_exported_nwbfile)
