"""The writer lock: one writer per local LINDI file, in this process and across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hdmf_lindi.errors import LindiError, LindiLockedError
from hdmf_lindi.storage.store import LindiStore
from hdmf_lindi.storage.writer_lock import WriterLock, lock_path_for

KINDS = ["x.lindi.json", "x.lindi.tar", "x.lindi.d"]


def test_lock_file_is_beside_the_target_and_removed_on_release(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "a.lindi.d")).acquire()
    assert lock.path == str(tmp_path / ".a.lindi.d.lindi-lock")
    assert lock_path_for(str(tmp_path / "a.lindi.d") + "/") == lock.path
    assert os.path.exists(lock.path)
    lock.release()
    lock.release()  # idempotent
    assert not os.path.exists(lock.path)


def test_second_writer_in_the_same_process_is_refused(tmp_path: Path) -> None:
    first = WriterLock(str(tmp_path / "a.lindi.json")).acquire()
    with pytest.raises(LindiLockedError, match="open for writing by another writer") as excinfo:
        WriterLock(str(tmp_path / "a.lindi.json")).acquire()
    assert isinstance(excinfo.value, LindiError)
    assert str(tmp_path / "a.lindi.json") in str(excinfo.value)
    first.release()
    WriterLock(str(tmp_path / "a.lindi.json")).acquire().release()


def test_waiting_writer_gets_the_lock_once_released(tmp_path: Path) -> None:
    target = str(tmp_path / "a.lindi.tar")
    code = (
        "import sys, time\n"
        "from hdmf_lindi.storage.writer_lock import WriterLock\n"
        "lock = WriterLock(sys.argv[1]).acquire()\n"
        "print('locked', flush=True)\n"
        "time.sleep(0.5)\n"
        "lock.release()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, target], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LindiLockedError):
            WriterLock(target).acquire()
        start = time.monotonic()
        lock = WriterLock(target).acquire(timeout=10)
        assert time.monotonic() - start < 5
        lock.release()
    finally:
        holder.wait(timeout=30)


def test_lock_of_a_killed_writer_is_free(tmp_path: Path) -> None:
    target = str(tmp_path / "a.lindi.json")
    code = (
        "import os, signal, sys\n"
        "from hdmf_lindi.storage.writer_lock import WriterLock\n"
        "lock = WriterLock(sys.argv[1]).acquire()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([sys.executable, "-c", code, target], check=False, timeout=60)
    assert os.path.exists(lock_path_for(target))  # left behind, but not locked
    WriterLock(target).acquire().release()


@pytest.mark.parametrize("name", KINDS)
def test_store_writers_exclude_each_other_readers_do_not(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    LindiStore.open(path, "w").close()
    writer = LindiStore.open(path, "r+")
    with pytest.raises(LindiLockedError):
        LindiStore.open(path, "r+")
    with pytest.raises(LindiLockedError):
        LindiStore.open(path, "w")
    reader = LindiStore.open(path, "r")
    reader.close()
    writer.close()
    LindiStore.open(path, "a").close()


def test_store_releases_the_lock_when_loading_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.lindi.json"
    path.write_text("{not json")
    with pytest.raises(LindiError):
        LindiStore.open(path, "r+")
    assert not os.path.exists(lock_path_for(str(path)))
    WriterLock(str(path)).acquire().release()


def test_a_lock_nobody_references_any_more_is_released(tmp_path: Path) -> None:
    target = str(tmp_path / "a.lindi.json")
    lock = WriterLock(target).acquire()
    path = lock.path
    del lock  # the safety net: a writer dropped without release() frees the file
    assert not os.path.exists(path)
    WriterLock(target).acquire().release()


def test_release_after_the_safety_net_is_a_no_op(tmp_path: Path) -> None:
    target = str(tmp_path / "a.lindi.json")
    lock = WriterLock(target).acquire()
    lock.release()
    second = WriterLock(target).acquire()
    del lock  # the first lock's finalizer must not remove the second one's file
    assert os.path.exists(second.path)
    with pytest.raises(LindiLockedError):
        WriterLock(target).acquire()
    second.release()
