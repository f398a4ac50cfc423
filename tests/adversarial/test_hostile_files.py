"""Every file of the hostile corpus (``hostile_files.py``) is refused with a ``LindiError``
naming the file and the key, within a bounded amount of memory and time: through the h5py
view, through zarr over ``LindiStore``, and through ``hdmf-lindi info``."""

from __future__ import annotations

import os
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zarr

import hdmf_lindi as lindi
from hdmf_lindi.cli.main import main
from hdmf_lindi.errors import LindiError, LindiLimitError
from hdmf_lindi.storage.chunk_limits import UNKNOWN_SIZE_LIMIT
from hdmf_lindi.storage.store import LindiStore
from tests.adversarial.hostile_files import CASES, TAR_CASES, HostileCase

_MEMORY_BOUND = 32 << 20
_TIME_BOUND = 20.0


def _run_bounded(fn: Callable[[], Any]) -> BaseException | None:
    """``fn()`` in a thread with a deadline (a hang fails the test instead of the run) and
    tracemalloc's peak checked; the exception it raised, if any."""
    outcome: list[BaseException | None] = [None]

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            outcome[0] = exc

    tracemalloc.start()
    try:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(_TIME_BOUND)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not thread.is_alive(), f"still running after {_TIME_BOUND} s"
    assert peak < _MEMORY_BOUND, f"peak of {peak / 2**20:.0f} MiB traced memory"
    return outcome[0]


def _read_h5py_view(path: Path, case: HostileCase) -> None:
    f = lindi.LindiH5pyFile.from_lindi_file(str(path))
    try:
        if case.dataset is not None:
            f[case.dataset][case.selection]
    finally:
        f.close()


def _check_refused(error: BaseException | None, path: Path, case: HostileCase) -> None:
    assert error is not None, f"{case.name}: read without an error"
    if not isinstance(error, LindiError):
        raise AssertionError(f"{case.name}: {type(error).__name__} escaped") from error
    message = str(error)
    assert case.names in message, message
    assert str(path) in message or case.names.startswith("/dev/"), message


@pytest.fixture
def made(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[HostileCase, Path]]:
    case: HostileCase = request.param
    yield case, case.make(tmp_path)


_ALL = [c for c in CASES + TAR_CASES if c.error != "none"]


@pytest.mark.parametrize("made", _ALL, ids=[c.name for c in _ALL], indirect=True)
def test_hostile_file_is_refused_through_the_h5py_view(made: tuple[HostileCase, Path]) -> None:
    case, path = made
    _check_refused(_run_bounded(lambda: _read_h5py_view(path, case)), path, case)


_ZARR = [c for c in CASES if c.dataset is not None and c.refused_by_store]


@pytest.mark.parametrize("made", _ZARR, ids=[c.name for c in _ZARR], indirect=True)
def test_hostile_chunk_is_refused_through_zarr(made: tuple[HostileCase, Path]) -> None:
    case, path = made

    def read() -> None:
        store = LindiStore.open(path)
        try:
            array = zarr.open_array(store, path=case.dataset, mode="r")
            array[case.selection if case.selection != () else ...]
        finally:
            store.close()

    error = _run_bounded(read)
    assert isinstance(error, LindiError), repr(error)
    if "bomb" in case.name or "declares" in case.name:
        assert isinstance(error, LindiLimitError), repr(error)


_BOMBS = [c for c in CASES if "bomb" in c.name or "declares" in c.name]


@pytest.mark.parametrize("made", _BOMBS, ids=[c.name for c in _BOMBS], indirect=True)
def test_bombs_are_limit_errors(made: tuple[HostileCase, Path]) -> None:
    case, path = made
    error = _run_bounded(lambda: _read_h5py_view(path, case))
    assert isinstance(error, LindiLimitError), repr(error)


_INFO = [c for c in CASES if c.dataset is not None]


@pytest.mark.parametrize("made", _INFO, ids=[c.name for c in _INFO], indirect=True)
def test_info_reports_or_refuses_hostile_files(
    made: tuple[HostileCase, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, path = made
    code = main(["info", str(path)])
    assert code in (0, 1)
    if code == 1:
        assert capsys.readouterr().err.startswith("hdmf-lindi: error:")


def test_valid_tar_of_the_corpus_reads(tmp_path: Path) -> None:
    """The tar builder makes a valid archive: the tar cases fail for what they change."""
    (valid,) = [c for c in TAR_CASES if c.error == "none"]
    path = valid.make(tmp_path)
    with lindi.LindiH5pyFile.from_lindi_file(str(path)) as f:
        assert f["x"][()].tolist() == list(range(10))


def test_object_arrays_get_the_unknown_size_limit(tmp_path: Path) -> None:
    """A string dataset's chunk may decode to far more than 8 bytes per element."""
    path = tmp_path / "strings.lindi.tar"
    with lindi.LindiH5pyFile.from_lindi_file(str(path), mode="w") as f:
        f.create_dataset("s", data=["x" * 5000, "y" * 5000], dtype=str_dtype())
    with lindi.LindiH5pyFile.from_lindi_file(str(path)) as f:
        assert [len(v) for v in f["s"][()]] == [5000, 5000]
    assert UNKNOWN_SIZE_LIMIT >= 1 << 20


def str_dtype() -> Any:
    import h5py

    return h5py.string_dtype()


@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.tar"])
def test_a_directory_or_fifo_named_like_a_lindi_file_is_refused(
    tmp_path: Path, suffix: str
) -> None:
    from hdmf_lindi.storage.reference_map import ReferenceMap

    directory = tmp_path / f"dir{suffix}"
    directory.mkdir()
    fifo = tmp_path / f"fifo{suffix}"
    os.mkfifo(fifo)
    for path in (directory, fifo):
        for open_it in (
            lambda p=path: lindi.LindiH5pyFile.from_lindi_file(str(p)),
            lambda p=path: lindi.LindiIO(str(p), "r").read(),
            lambda p=path: ReferenceMap.load(p),
        ):
            error = _run_bounded(open_it)
            assert isinstance(error, LindiError), repr(error)
            assert str(path) in str(error)
