"""Replacing a local LINDI file: only what is ours, atomically or recoverably."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hdmf_lindi.errors import LindiSourceError
from hdmf_lindi.storage import replacing
from hdmf_lindi.storage.replacing import (
    COMPLETE_NAME,
    MARKER_NAME,
    TemporarySibling,
    check_replaceable,
    recover,
    recover_if_interrupted,
)
from hdmf_lindi.storage.store import LindiStore


def _lindi_d(path: Path, value: str) -> None:
    store = LindiStore.open(path, "w")
    store.reference_map.set_json(".zattrs", {"value": value})
    store.close()


def _value(path: Path) -> str:
    store = LindiStore.open(path, "r")
    try:
        return str(store.reference_map.get_json(".zattrs")["value"])
    finally:
        store.close()


def test_check_replaceable(tmp_path: Path) -> None:
    check_replaceable(str(tmp_path / "missing.lindi.d"), directory=True)
    (tmp_path / "empty.lindi.d").mkdir()
    check_replaceable(str(tmp_path / "empty.lindi.d"), directory=True)
    _lindi_d(tmp_path / "ours.lindi.d", "x")
    check_replaceable(str(tmp_path / "ours.lindi.d"), directory=True)
    user = tmp_path / "results.d"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    with pytest.raises(LindiSourceError, match=r"not a \.lindi\.d"):
        check_replaceable(str(user), directory=True)
    with pytest.raises(LindiSourceError, match="is a directory"):
        check_replaceable(str(tmp_path / "ours.lindi.d"), directory=False)
    (tmp_path / "file.lindi.d").write_text("x")
    with pytest.raises(LindiSourceError, match="not a directory"):
        check_replaceable(str(tmp_path / "file.lindi.d"), directory=True)
    (tmp_path / "old.lindi.json").write_text("{}")
    check_replaceable(str(tmp_path / "old.lindi.json"), directory=False)


def test_commit_refuses_a_user_directory_that_appeared_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "results.lindi.d"
    temporary = TemporarySibling(str(target))
    _lindi_d(Path(temporary.path), "new")
    target.mkdir()
    (target / "data.csv").write_text("1,2")
    with pytest.raises(LindiSourceError):
        temporary.commit()
    assert (target / "data.csv").read_text() == "1,2"
    assert sorted(os.listdir(tmp_path)) == ["results.lindi.d"]


@pytest.mark.parametrize("exchange", [True, False])
def test_commit_replaces_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(replacing, "_exchange", lambda a, b: False)
    target = tmp_path / "x.lindi.d"
    _lindi_d(target, "old")
    temporary = TemporarySibling(str(target))
    _lindi_d(Path(temporary.path), "new")
    temporary.commit()
    assert _value(target) == "new"
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.d"]


def _interrupted(tmp_path: Path, *, complete: bool) -> Path:
    """The state a kill between the two renames of a directory replacement leaves."""
    target = tmp_path / "x.lindi.d"
    _lindi_d(target, "old")
    temporary = TemporarySibling(str(target))
    _lindi_d(Path(temporary.path), "new")
    directory = Path(temporary.path).parent
    if complete:
        (directory / COMPLETE_NAME).write_bytes(b"")
    os.replace(target, directory / ".lindi-replaced")
    assert not target.exists()
    return target


@pytest.mark.parametrize(("complete", "expected"), [(True, "new"), (False, "old")])
def test_recover_after_a_kill_between_the_renames(
    tmp_path: Path, complete: bool, expected: str
) -> None:
    target = _interrupted(tmp_path, complete=complete)
    recover_if_interrupted(str(target))
    assert _value(target) == expected
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.d"]


@pytest.mark.parametrize("mode", ["r", "r+"])
def test_opening_a_store_recovers(tmp_path: Path, mode: str) -> None:
    target = _interrupted(tmp_path, complete=True)
    LindiStore.open(target, mode).close()  # type: ignore[call-overload]
    assert _value(target) == "new"
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.d"]


def test_recover_removes_only_our_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "x.lindi.json"
    LindiStore.open(target, "w").close()
    stale = TemporarySibling(str(target))
    Path(stale.path).write_text("half written")
    lookalike = tmp_path / ".x.lindi.json.tmp-user"
    lookalike.mkdir()
    (lookalike / "mine.txt").write_text("not LINDI's")
    recover(str(target))
    assert not Path(stale.path).parent.exists()
    assert (lookalike / "mine.txt").read_text() == "not LINDI's"
    assert MARKER_NAME not in os.listdir(tmp_path)


def test_writer_open_removes_temporary_files_of_killed_saves(tmp_path: Path) -> None:
    json_path = tmp_path / "x.lindi.json"
    directory = tmp_path / "y.lindi.d"
    LindiStore.open(json_path, "w").close()
    _lindi_d(directory, "v")
    leftovers = [
        tmp_path / ".x.lindi.json.ab_cd123.tmp",
        directory / ".lindi.json.k2j4h5g6.tmp",
    ]
    kept = [tmp_path / ".x.lindi.json.notours.tmp", tmp_path / "x.lindi.json.abcdefgh.tmp"]
    for path in leftovers + kept:
        path.write_text("{")
    LindiStore.open(json_path, "r+").close()
    LindiStore.open(directory, "r+").close()
    assert [p.exists() for p in leftovers] == [False, False]
    assert [p.exists() for p in kept] == [True, True]


def test_temporary_emptied_up_to_its_marker_is_still_ours(tmp_path: Path) -> None:
    target = tmp_path / "x.lindi.d"
    _lindi_d(target, "v")
    temporary = TemporarySibling(str(target))
    (Path(temporary.path).parent / MARKER_NAME).unlink()  # a removal killed right here
    assert os.listdir(Path(temporary.path).parent) == []
    LindiStore.open(target, "r+").close()
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.d"]


def test_exchange_swaps_two_directories_where_the_os_can(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "from_a").write_text("a")
    (tmp_path / "b").mkdir()
    if not replacing._exchange(str(tmp_path / "a"), str(tmp_path / "b")):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here: the two-rename path is used")
    assert os.listdir(tmp_path / "b") == ["from_a"]
    assert os.listdir(tmp_path / "a") == []


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar", "x.lindi.d"])
def test_store_w_keeps_the_old_file_until_close(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    _lindi_d(target, "old")
    store = LindiStore.open(target, "w")
    assert _value(target) == "old"  # not emptied at open
    store.reference_map.set_json(".zattrs", {"value": "new"})
    store.flush()
    assert _value(target) == "old"  # a flush saves the new file beside it
    store.close()
    assert _value(target) == "new"
    assert sorted(os.listdir(tmp_path)) == [name]


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar", "x.lindi.d"])
@pytest.mark.parametrize("mode", ["w", "w-", "a"])
def test_store_close_without_commit_leaves_no_new_file(
    tmp_path: Path, name: str, mode: str
) -> None:
    target = tmp_path / name
    if mode == "w":
        _lindi_d(target, "old")
    store = LindiStore.open(target, mode)  # type: ignore[call-overload]
    store.reference_map.set_json(".zattrs", {"value": "new"})
    store.close(commit=False)
    if mode == "w":
        assert _value(target) == "old"
        assert sorted(os.listdir(tmp_path)) == [name]
    else:
        assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar", "x.lindi.d"])
@pytest.mark.parametrize("noreplace", [True, False])
def test_exclusive_commit_never_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, noreplace: bool
) -> None:
    if not noreplace:
        monkeypatch.setattr(replacing, "_rename_noreplace", lambda a, b: False)
    target = tmp_path / name
    first = TemporarySibling(str(target), exclusive=True)
    second = TemporarySibling(str(target), exclusive=True)
    _lindi_d(Path(first.path), "first")
    _lindi_d(Path(second.path), "second")
    first.commit()
    with pytest.raises(LindiSourceError, match="already exists"):
        second.commit()
    assert _value(target) == "first"
    assert sorted(os.listdir(tmp_path)) == [name]


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar", "x.lindi.d"])
@pytest.mark.parametrize("mode", ["w-", "x", "a"])
def test_exclusive_open_checks_again_with_the_lock_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, mode: str
) -> None:
    """Another creator finishes between this opener's check and its lock."""
    from hdmf_lindi.opening import open_hierarchy
    from hdmf_lindi.storage import store as store_module

    target = tmp_path / name
    real = store_module.locked_for_writing
    raced: list[bool] = []

    def racing(location: str, *args: object) -> object:
        if not raced:
            raced.append(True)
            _lindi_d(target, "first")
        return real(location, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "locked_for_writing", racing)
    if mode == "a":
        opened = open_hierarchy(target, "a")
        assert opened.store.reference_map.get_json(".zattrs") == {"value": "first"}
        opened.close()
    else:
        with pytest.raises(LindiSourceError, match="already exists"):
            open_hierarchy(target, mode)  # type: ignore[arg-type]
    assert raced
    assert _value(target) == "first"
    assert sorted(os.listdir(tmp_path)) == [name]


@pytest.mark.parametrize("name", ["x.lindi.json", "x.lindi.tar", "x.lindi.d"])
def test_reader_never_waits_for_nor_takes_the_lock_of_a_creating_writer(
    tmp_path: Path, name: str
) -> None:
    from hdmf_lindi.opening import open_hierarchy

    target = tmp_path / name
    writer = open_hierarchy(target, "w")  # a live writer: its temporary beside the missing path
    try:
        start = time.monotonic()
        with pytest.raises(LindiSourceError, match="no such"):
            LindiStore.open(target, "r")
        with pytest.raises(LindiSourceError, match="no such"):
            open_hierarchy(target, "r")
        assert time.monotonic() - start < 2  # no waiting for the writer
    finally:
        writer.close()
    assert sorted(os.listdir(tmp_path)) == [name]


def test_reader_leaves_an_unfinished_new_file_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.lindi.d"
    temporary = TemporarySibling(str(target))  # a writer killed while creating: not complete
    _lindi_d(Path(temporary.path), "new")

    def no_lock(*args: object, **kwargs: object) -> None:
        raise AssertionError("a reader took the writer lock")

    monkeypatch.setattr(replacing.WriterLock, "acquire", no_lock)
    recover_if_interrupted(str(target))
    with pytest.raises(LindiSourceError, match="no such"):
        LindiStore.open(target, "r")
    assert os.path.isdir(Path(temporary.path).parent)  # left to the next writer
    monkeypatch.undo()
    LindiStore.open(target, "a").close()  # a writer removes it
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.d"]


def test_reader_does_not_recover_while_a_live_writer_holds_the_lock(tmp_path: Path) -> None:
    target = _interrupted(tmp_path, complete=True)
    lock = replacing.WriterLock(str(target)).acquire()
    try:
        start = time.monotonic()
        recover_if_interrupted(str(target))
        assert time.monotonic() - start < 2  # at once, without waiting
        assert not target.exists()
    finally:
        lock.release()
    recover_if_interrupted(str(target))
    assert _value(target) == "new"
