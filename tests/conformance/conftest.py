"""pynwb 4.2.0's ``tests/integration/hdf5``, unchanged, as our conformance suite.

``test_pynwb_integration_hdf5.py`` is collected by :class:`PynwbIntegrationSuite`: the test
modules of pynwb's sdist (see ``pynwb_sdist.py``), imported once as the package
``pynwb_sdist_tests``, collected once per LINDI container (node ids
``.../test_pynwb_integration_hdf5.py::lindi.tar::test_io.py::TestNWBHDF5IO::test_...``).
While a test runs, ``pynwb.testing`` and the test modules see LindiIO where they named
NWBHDF5IO (see ``swap.py``), and the test runs in a fresh temporary working directory (the
tests write relative paths).

Without the sdist (offline) the suite is one test that fails when ``CI`` is set and skips
elsewhere, saying why. ``known_failures.py`` lists the failures that belong to other work.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import h5py
import hdmf.backends.hdf5
import pynwb
import pynwb.testing.icephys_testutils
import pynwb.testing.testh5io
import pynwb.testing.utils
import pytest

from tests.conformance import known_failures
from tests.conformance.pynwb_sdist import PYNWB_VERSION, SdistUnavailable, pynwb_tests_dir
from tests.conformance.swap import CONTAINERS, module_swaps

ANCHOR = Path(__file__).with_name("test_pynwb_integration_hdf5.py")
PACKAGE = "pynwb_sdist_tests"

#: the one test left out: it checks NWBHDF5IO's advice to name HDF5 files ``.nwb``
SKIPPED = {
    "test_io.py::TestNWBHDF5IO::test_warn_for_nwb_extension": (
        "checks NWBHDF5IO's advice to name HDF5 files '.nwb' (a warning about HDF5 naming, "
        "which LindiIO does not write)"
    ),
}

_PYNWB_TESTING_MODULES = (
    pynwb.testing.testh5io,
    pynwb.testing.icephys_testutils,
    pynwb.testing.utils,
)
_ORIGINALS: dict[str, Any] = {
    "NWBHDF5IO": pynwb.NWBHDF5IO,
    "HDF5IO": hdmf.backends.hdf5.HDF5IO,
    "File": h5py.File,
    "h5py": h5py,
    "validate": pynwb.validate,
    "pynwb_validate": pynwb.validate,
    "remove_test_file": pynwb.testing.utils.remove_test_file,
    "os": os,
    "urllib": sys.modules["urllib"],
}


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    if module_path == ANCHOR:
        return PynwbIntegrationSuite.from_parent(parent, path=module_path)
    return None


class PynwbIntegrationSuite(pytest.File):
    """The anchor file: one :class:`ContainerRun` per LINDI container."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        if pynwb.__version__ != PYNWB_VERSION:
            yield SuiteUnavailable.from_parent(
                self,
                name="pynwb_suite_unavailable",
                reason=f"pynwb {pynwb.__version__} is installed; the suite is pynwb "
                f"{PYNWB_VERSION}'s",
            )
            return
        try:
            tests_dir = pynwb_tests_dir()
        except SdistUnavailable as exc:
            yield SuiteUnavailable.from_parent(
                self, name="pynwb_suite_unavailable", reason=str(exc)
            )
            return
        modules = import_suite(tests_dir)
        for param, kind in CONTAINERS.items():
            yield ContainerRun.from_parent(
                self, name=param, nodeid=f"{self.nodeid}::{param}", kind=kind, modules=modules
            )


class ContainerRun(pytest.Collector):
    """The suite's modules, run with files in one container."""

    def __init__(self, *, kind: str, modules: list[types.ModuleType], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.modules = modules

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        for module in self.modules:
            assert module.__file__ is not None
            name = Path(module.__file__).name
            yield UpstreamModule.from_parent(
                self,
                path=Path(module.__file__),
                name=name,
                nodeid=f"{self.nodeid}::{name}",
                module=module,
            )


class UpstreamModule(pytest.Module):
    """A module of the suite (imported once, shared by the three container runs)."""

    def __init__(self, *, module: types.ModuleType, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._module = module

    def _getobj(self) -> types.ModuleType:
        return self._module


class SuiteUnavailable(pytest.Item):
    """Stands for the suite when its sdist cannot be had."""

    def __init__(self, *, reason: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reason = reason

    def runtest(self) -> None:
        report_unavailable(self.reason)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.name


def report_unavailable(reason: str) -> NoReturn:
    """Fail under CI (``CI`` set to true), else skip, saying why the suite cannot run."""
    message = f"pynwb's integration tests cannot run: {reason}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def import_suite(tests_dir: Path) -> list[types.ModuleType]:
    """Import the sdist's ``tests`` as :data:`PACKAGE` (its own name ``tests`` is ours) and
    return the modules of ``integration/hdf5``."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, tests_dir / "__init__.py", submodule_search_locations=[str(tests_dir)]
        )
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    directory = tests_dir / "integration" / "hdf5"
    return [
        importlib.import_module(f"{PACKAGE}.integration.hdf5.{path.stem}")
        for path in sorted(directory.glob("test_*.py"))
    ]


def _container_run(item: pytest.Item) -> ContainerRun | None:
    return item.getparent(ContainerRun)


def _local_id(item: pytest.Item, run: ContainerRun) -> str:
    """``test_io.py::TestNWBHDF5IO::test_...``: the id within one container run."""
    return item.nodeid[len(run.nodeid) + 2 :]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        run = _container_run(item)
        if run is None:
            continue
        local = _local_id(item, run)
        if local in SKIPPED:
            item.add_marker(pytest.mark.skip(reason=SKIPPED[local]))
        reason = known_failures.reason_for(run.name, local)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture(autouse=True)
def _lindi_in_place_of_nwbhdf5io(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    run = _container_run(request.node)
    if run is None:
        yield
        return
    swaps = module_swaps(run.kind)  # type: ignore[arg-type]
    for module in [*_PYNWB_TESTING_MODULES, *run.modules]:
        for name, replacement in swaps.items():
            if name in vars(module) and vars(module)[name] is _ORIGINALS[name]:
                monkeypatch.setattr(module, name, replacement)
    monkeypatch.setitem(sys.modules, "h5py", swaps["h5py"])  # `import h5py` inside a test
    monkeypatch.chdir(tmp_path)
    yield
