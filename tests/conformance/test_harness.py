"""The conformance harness itself: its lists name real tests, the swaps do what they say, and
a missing sdist fails under CI only."""

from __future__ import annotations

import unittest
from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.h5py_compat import LindiH5pyFile
from tests.conformance import known_failures
from tests.conformance.conftest import SKIPPED, import_suite, report_unavailable
from tests.conformance.pynwb_sdist import SdistUnavailable, pynwb_tests_dir
from tests.conformance.swap import CONTAINERS, module_swaps, remove_test_file


def suite_test_ids() -> set[str]:
    try:
        tests_dir = pynwb_tests_dir()
    except SdistUnavailable as exc:
        report_unavailable(str(exc))
    ids = set()
    for module in import_suite(tests_dir):
        assert module.__file__ is not None
        file_name = Path(module.__file__).name
        for name, cls in vars(module).items():
            if isinstance(cls, type) and issubclass(cls, unittest.TestCase):
                for method in unittest.TestLoader().getTestCaseNames(cls):
                    ids.add(f"{file_name}::{name}::{method}")
    return ids


def test_known_failures_and_skips_name_tests_of_the_suite() -> None:
    ids = suite_test_ids()
    assert len(ids) > 200
    for key in [*known_failures.KNOWN_FAILURES, *SKIPPED]:
        container, _, test_id = key.partition("::")
        if container not in CONTAINERS:
            test_id = key
        assert test_id in ids, key


def test_reason_for_matches_all_containers_or_one(monkeypatch: pytest.MonkeyPatch) -> None:
    failures = {"test_x.py::T::test_all": "everywhere", "lindi.tar::test_x.py::T::test_one": "tar"}
    monkeypatch.setattr(known_failures, "KNOWN_FAILURES", failures)
    assert known_failures.reason_for("lindi.d", "test_x.py::T::test_all") == "everywhere"
    assert known_failures.reason_for("lindi.tar", "test_x.py::T::test_one") == "tar"
    assert known_failures.reason_for("lindi.d", "test_x.py::T::test_one") is None
    assert known_failures.reason_for("lindi.d", "test_x.py::T::test_none") is None


def test_missing_sdist_fails_under_ci_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="offline"):
        report_unavailable("offline")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="offline"):
        report_unavailable("offline")


@pytest.mark.parametrize("param", list(CONTAINERS))
def test_h5py_file_swap_writes_the_container(tmp_path: Path, param: str) -> None:
    swapped_file = module_swaps(CONTAINERS[param])["File"]
    path = tmp_path / "test.nwb"
    with swapped_file(path, "w") as f:
        assert isinstance(f, LindiH5pyFile)
        f.create_dataset("x", data=np.arange(4))
    assert path.is_dir() is (param == "lindi.d")
    with swapped_file(str(path), "r") as f:
        np.testing.assert_array_equal(f["x"][()], np.arange(4))
    remove_test_file(str(path))
    assert not path.exists()
    hdf5 = tmp_path / "plain.h5"
    with h5py.File(hdf5, "w") as f:
        f["y"] = [1, 2]
    with swapped_file(hdf5) as f:
        assert isinstance(f, LindiH5pyFile)
        assert f["y"][()].tolist() == [1, 2]
