"""``write_reference_map`` (what ``convert`` ends with): an existing destination survives a
failure during the write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hdmf_lindi.hdf5.convert import write_reference_map
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import LindiStore

KINDS = [".lindi.json", ".lindi.tar", ".lindi.d"]


def _map(version: str) -> ReferenceMap:
    reference_map = ReferenceMap()
    reference_map.set_json(".zgroup", {"zarr_format": 2})
    reference_map.set_json(".zattrs", {"version": version})
    reference_map.set_url("x/0", "https://example.org/f.nwb", 0, 8)
    return reference_map


def _version_at(dest: Path) -> str:
    store = LindiStore.open(dest, "r")
    try:
        return str(store.reference_map.get_json(".zattrs")["version"])
    finally:
        store.close()


class _Injected(Exception):
    pass


@pytest.mark.parametrize("suffix", KINDS)
def test_a_failure_mid_write_keeps_the_old_file_readable(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / f"out{suffix}"
    write_reference_map(_map("old"), dest)
    before = sorted(p.name for p in tmp_path.iterdir())

    def fail(fd: int) -> None:  # the new bytes are written, not yet synced nor in place
        raise _Injected

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(_Injected):
        write_reference_map(_map("new"), dest)
    monkeypatch.undo()
    assert _version_at(dest) == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary left behind
    write_reference_map(_map("new"), dest)  # the writer lock was released
    assert _version_at(dest) == "new"
