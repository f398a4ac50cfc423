"""The three containers written through zarr and read back: layout, determinism, crash safety,
refs that may not escape a ``.lindi.d``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from hdmf_lindi import _json
from hdmf_lindi.errors import (
    LindiFormatError,
    LindiReadOnlyError,
    LindiSecurityError,
    LindiSourceError,
)
from hdmf_lindi.storage.containers import (
    DirectoryContainer,
    JsonFileContainer,
    TarContainer,
    container_for,
)
from hdmf_lindi.storage.containers.tar_format import (
    INITIAL_PADDED_SIZE,
    build_header,
    parse_header_name,
)
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import DEFAULT_INLINE_THRESHOLD, LindiStore, OpenMode
from tests.helpers.http_server import ServedDirectory
from tests.helpers.zarr_values import array_of, values_of

UPSTREAM = Path(__file__).resolve().parent.parent / "data" / "upstream-lindi-0.4.6"
SUFFIXES = ["lindi.json", "lindi.d", "lindi.tar"]


def _open(
    path: Path, mode: OpenMode, inline_threshold: int | None = DEFAULT_INLINE_THRESHOLD
) -> LindiStore:
    """Open ``path``; a ``.lindi.json`` keeps every chunk inline (it has no blobs)."""
    if path.name.endswith(".lindi.json"):
        inline_threshold = None
    return LindiStore.open(path, mode, inline_threshold=inline_threshold)


def write_sample(store: LindiStore) -> dict[str, np.ndarray]:
    """Groups, attributes and arrays whose chunks are 20 bytes (inline) to 20000 (blob)."""
    root = zarr.open_group(store, mode="r+", zarr_format=2)
    root.attrs.update({"title": "sample", "n": 3, "nested": {"a": [1, 2]}})
    grp = root.create_group("grp")
    grp.attrs["x"] = [1, 2, 3]
    values = {
        "big": np.arange(5000, dtype="f8").reshape(100, 50),
        "small": np.arange(10, dtype="i4"),
        "grp/mixed": np.arange(300, dtype="i8") * 7,
    }
    chunks = {"big": (50, 50), "small": (5,), "grp/mixed": (200,)}
    for name, data in values.items():
        array = root.create_array(
            name, shape=data.shape, chunks=chunks[name], dtype=data.dtype, compressors=None
        )
        array[...] = data
    return values


def check_sample(path: Path, values: dict[str, np.ndarray]) -> None:
    store = LindiStore.open(path)
    root = zarr.open_group(store, mode="r", zarr_format=2)
    assert dict(root.attrs) == {"title": "sample", "n": 3, "nested": {"a": [1, 2]}}
    assert dict(root["grp"].attrs) == {"x": [1, 2, 3]}
    for name, data in values.items():
        np.testing.assert_array_equal(values_of(root, name), data)
    store.close()


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"sample.{suffix}"
    with _open(path, "w") as store:
        values = write_sample(store)
    check_sample(path, values)


@pytest.mark.parametrize("suffix", ["lindi.d", "lindi.tar"])
def test_small_chunks_inline_large_chunks_blobs(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"sample.{suffix}"
    with _open(path, "w") as store:
        write_sample(store)
        reference_map = store.reference_map
        assert isinstance(reference_map.get_raw("small/0"), str)  # 20 bytes
        assert reference_map.get_raw("big/0.0") == ["./blobs/big/0.0", 0, 20000]
        assert reference_map.get_raw("grp/mixed/1") == ["./blobs/grp/mixed/1", 0, 1600]
        assert isinstance(reference_map.get_json("big/.zarray"), dict)


def test_json_without_blob_destination_keeps_large_chunks_inline(tmp_path: Path) -> None:
    store = LindiStore.open(tmp_path / "x.lindi.json", "w")
    root = zarr.open_group(store, mode="r+", zarr_format=2)
    array = root.create_array("a", shape=(2000,), chunks=(2000,), dtype="u1", compressors=None)
    array[...] = 1
    assert isinstance(store.reference_map.get_raw("a/0"), str)  # inline, not a blob ref
    np.testing.assert_array_equal(array[...], np.full(2000, 1, "u1"))
    array2 = root.create_array("b", shape=(10,), chunks=(10,), dtype="u1", compressors=None)
    array2[...] = 2  # 10 bytes: inline
    np.testing.assert_array_equal(array2[...], np.full(10, 2, "u1"))


def test_json_inline_threshold_none_inlines_everything(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    with LindiStore.open(path, "w", inline_threshold=None) as store:
        root = zarr.open_group(store, mode="r+", zarr_format=2)
        array = root.create_array("a", shape=(3000,), chunks=(3000,), dtype="u1", compressors=None)
        array[...] = np.arange(3000) % 251
    reopened = LindiStore.open(path)
    assert isinstance(reopened.reference_map.get_raw("a/0"), str)
    root = zarr.open_group(reopened, mode="r", zarr_format=2)
    np.testing.assert_array_equal(values_of(root, "a"), np.arange(3000) % 251)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_same_content_same_bytes(tmp_path: Path, suffix: str) -> None:
    documents = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.{suffix}"
        # a tar's member order is the order blobs arrive in: with zarr writing chunks
        # concurrently that order (not the content) can differ, so write one chunk at a time
        with _open(path, "w") as store, zarr.config.set({"async.concurrency": 1}):
            write_sample(store)
        document = path / "lindi.json" if suffix == "lindi.d" else path
        documents.append(document.read_bytes())
    assert documents[0] == documents[1]


def test_json_document_is_sorted_compact_json(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    with _open(path, "w") as store:
        write_sample(store)
    data = path.read_bytes()
    document = _json.loads(data)
    assert document["version"] == 1
    assert data == _json.dumps(document)
    assert list(document["refs"]) == sorted(document["refs"])


# ---------------------------------------------------------------------- modes
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_modes(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"m.{suffix}"
    with pytest.raises(LindiSourceError, match="no such LINDI file"):
        LindiStore.open(path, "r")
    with pytest.raises(LindiSourceError, match="no such LINDI file"):
        LindiStore.open(path, "r+")
    with _open(path, "a") as store:  # creates
        assert store.reference_map.get_json(".zgroup") == {"zarr_format": 2}
        zarr.open_group(store, mode="r+", zarr_format=2).attrs["k"] = 1
    with pytest.raises(LindiSourceError, match="already exists"):
        LindiStore.open(path, "w-")
    with _open(path, "r+") as store:
        assert zarr.open_group(store, mode="r", zarr_format=2).attrs["k"] == 1
    reader = LindiStore.open(path, "r")
    with pytest.raises(ValueError, match="read-only"):
        zarr.open_group(reader, mode="r+", zarr_format=2).attrs["k"] = 2
    with _open(path, "w") as store:  # replaces
        assert sorted(store.reference_map.keys()) == [".zgroup"]
    assert "k" not in dict(zarr.open_group(LindiStore.open(path), mode="r", zarr_format=2).attrs)
    with pytest.raises(LindiSourceError, match="already exists"):
        LindiStore.open(path, "x")  # h5py's and every opener's alias of "w-"
    with pytest.raises(ValueError, match="mode must be one of"):
        LindiStore.open(path, "q")  # type: ignore[call-overload]


def test_content_sniffing_without_suffix(tmp_path: Path) -> None:
    shutil.copy(UPSTREAM / "written.lindi.tar", tmp_path / "archive")
    shutil.copytree(UPSTREAM / "written.lindi.d", tmp_path / "folder")
    shutil.copy(UPSTREAM / "written.lindi.d" / "lindi.json", tmp_path / "document")
    assert isinstance(container_for(tmp_path / "archive"), TarContainer)
    assert isinstance(container_for(tmp_path / "folder"), DirectoryContainer)
    assert isinstance(container_for(tmp_path / "document"), JsonFileContainer)
    for name in ("archive", "folder"):
        root = zarr.open_group(LindiStore.open(tmp_path / name), mode="r", zarr_format=2)
        assert values_of(root, "small").tolist() == list(range(10))


def test_remote_store_is_edited_in_memory_only(http_server: ServedDirectory) -> None:
    shutil.copy(UPSTREAM / "written.lindi.tar", http_server.root / "w.lindi.tar")
    store = LindiStore.open(f"{http_server.url}/w.lindi.tar", "r+")
    zarr.open_group(store, mode="r+", zarr_format=2).attrs["new"] = 1
    assert store.reference_map.get_json(".zattrs")["new"] == 1
    with pytest.raises(LindiReadOnlyError, match="cannot be saved"):
        store.flush()
    store.close()  # does not raise, does not write
    assert (http_server.root / "w.lindi.tar").read_bytes() == (
        UPSTREAM / "written.lindi.tar"
    ).read_bytes()
    with pytest.raises(LindiReadOnlyError):
        LindiStore.open(f"{http_server.url}/new.lindi.tar", "w")


# ---------------------------------------------------------------------- .lindi.tar layout
def test_tar_layout_matches_lindi_046(tmp_path: Path) -> None:
    path = tmp_path / "t.lindi.tar"
    with _open(path, "w") as store:
        write_sample(store)
    ours = path.read_bytes()
    theirs = (UPSTREAM / "written.lindi.tar").read_bytes()
    # the .tar_entry.json header is byte-for-byte the one lindi 0.4.6 writes
    assert ours[:512] == theirs[:512]
    with tarfile.open(path) as archive:
        members = archive.getmembers()
    first = [(m.name, m.offset, m.offset_data, m.size) for m in members[:3]]
    assert first == [
        (".tar_entry.json", 0, 512, 1024),
        (".tar_index.json", 1536, 2048, 8192),
        ("lindi.json", 10240, 10752, 8192),
    ]
    assert all(m.uid == 0 and m.gid == 0 and m.mtime == 0 and m.mode == 0o644 for m in members)
    assert all(m.isfile() for m in members)
    blob_names = sorted(m.name for m in members[3:])
    assert blob_names == [
        "blobs/big/0.0",
        "blobs/big/1.0",
        "blobs/grp/mixed/0",
        "blobs/grp/mixed/1",
    ]
    entry = _json.loads(ours[512:1536])
    assert entry == {"index": {"d": 2048, "n": ".tar_index.json", "o": 1536, "s": 8192}}
    index = _json.loads(ours[2048 : 2048 + 8192])
    listed = {f["n"]: (f["o"], f["d"], f["s"]) for f in index["files"]}
    assert listed == {m.name: (m.offset, m.offset_data, m.size) for m in members}
    assert ours[10752 : 10752 + 8192].endswith(b" ")  # padded lindi.json
    assert len(ours) % 512 == 0 and ours[-1024:] == b"\0" * 1024


@pytest.mark.skipif(shutil.which("tar") is None, reason="no tar executable on this machine")
def test_tar_tf_lists_our_archive(tmp_path: Path) -> None:
    path = tmp_path / "t.lindi.tar"
    with _open(path, "w") as store:
        write_sample(store)
    listing = subprocess.run(
        ["tar", "tf", str(path)], check=True, capture_output=True, text=True
    ).stdout.split()
    assert listing[:3] == [".tar_entry.json", ".tar_index.json", "lindi.json"]
    assert "blobs/big/0.0" in listing


def test_tar_grows_lindi_json_and_index_by_appending(tmp_path: Path) -> None:
    path = tmp_path / "g.lindi.tar"
    with _open(path, "w") as store:
        write_sample(store)
    # enough attributes to outgrow the 8192-byte lindi.json, enough blobs to outgrow the index
    with _open(path, "r+", inline_threshold=0) as store:
        root = zarr.open_group(store, mode="r+", zarr_format=2)
        root.attrs["payload"] = ["x" * 50] * 300
        many = root.create_array("many", shape=(250,), chunks=(1,), dtype="u1", compressors=None)
        many[...] = np.arange(250, dtype="u1")
    with tarfile.open(path) as archive:
        names = archive.getnames()
    assert names.count("lindi.json") == 1
    assert names.count(".tar_index.json") == 1
    assert ".trash/lindi.json.10240" in names
    assert ".trash/.tar_index.json.1536" in names
    data = path.read_bytes()
    entry = _json.loads(data[512:1536])["index"]
    assert entry["o"] > 10240 and entry["s"] >= INITIAL_PADDED_SIZE
    index = _json.loads(data[entry["d"] : entry["d"] + entry["s"]])
    live = {f["n"]: f for f in index["files"]}
    assert live[".tar_index.json"]["d"] == entry["d"]
    assert live["lindi.json"]["o"] > 10240 and live["lindi.json"]["s"] > INITIAL_PADDED_SIZE
    store = LindiStore.open(path)
    root = zarr.open_group(store, mode="r", zarr_format=2)
    assert root.attrs["payload"] == ["x" * 50] * 300
    np.testing.assert_array_equal(values_of(root, "many"), np.arange(250, dtype="u1"))
    np.testing.assert_array_equal(
        values_of(root, "big"), np.arange(5000, dtype="f8").reshape(100, 50)
    )


def test_tar_rewritten_chunk_gets_a_new_member(tmp_path: Path) -> None:
    path = tmp_path / "v.lindi.tar"
    with _open(path, "w") as store:
        values = write_sample(store)
    with _open(path, "r+") as store:
        root = zarr.open_group(store, mode="r+", zarr_format=2)
        array_of(root, "big")[:50, :] = -1
        assert store.reference_map.get_raw("big/0.0") == ["./blobs/big/0.0.v2", 0, 20000]
    values["big"][:50, :] = -1
    check_sample(path, values)


def test_tar_appends_keep_python_tarfile_happy(tmp_path: Path) -> None:
    path = tmp_path / "a.lindi.tar"
    with _open(path, "w") as store:
        write_sample(store)
    for i in range(3):
        with _open(path, "a") as store:
            zarr.open_group(store, mode="r+", zarr_format=2).attrs[f"round{i}"] = i
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            extracted = archive.extractfile(member)
            assert extracted is not None and len(extracted.read()) == member.size
    root = zarr.open_group(LindiStore.open(path), mode="r", zarr_format=2)
    assert [root.attrs[f"round{i}"] for i in range(3)] == [0, 1, 2]


def test_tar_long_member_names_use_the_ustar_prefix() -> None:
    name = "blobs/" + "/".join([f"segment{i:02d}" for i in range(12)]) + "/0.0"
    assert len(name) > 100
    header = build_header(name, 5)
    assert parse_header_name(header) == name


def test_remote_tar_open_takes_three_range_reads(http_server: ServedDirectory) -> None:
    shutil.copy(UPSTREAM / "pynwb_written.nwb.lindi.tar", http_server.root / "p.lindi.tar")
    store = LindiStore.open(f"{http_server.url}/p.lindi.tar")
    gets = [r for r in http_server.requests if r.method == "GET"]
    assert len(gets) == 3 and all(r.range is not None for r in gets)
    assert gets[0].range == "bytes=0-1535"
    http_server.requests.clear()
    root = zarr.open_group(store, mode="r", zarr_format=2)
    text = str(values_of(root, "specifications/core/2.11.0/namespace")[0])
    assert '"name":"core"' in text.replace(" ", "")
    blob_reads = [r for r in http_server.requests if r.method == "GET"]
    assert blob_reads and all(r.range is not None for r in blob_reads)


def test_not_a_lindi_tar(tmp_path: Path) -> None:
    path = tmp_path / "plain.tar"
    with tarfile.open(path, "w") as archive:
        archive.add(UPSTREAM / "README.md", arcname="README.md")
    with pytest.raises(LindiFormatError, match=r"not a \.lindi\.tar"):
        LindiStore.open(path)


# ---------------------------------------------------------------------- .lindi.d
def test_directory_layout(tmp_path: Path) -> None:
    path = tmp_path / "d.lindi.d"
    with _open(path, "w") as store:
        write_sample(store)
    files = sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())
    assert files == [
        "blobs/big/0.0",
        "blobs/big/1.0",
        "blobs/grp/mixed/0",
        "blobs/grp/mixed/1",
        "lindi.json",
    ]
    assert (path / "blobs/big/1.0").read_bytes() == np.arange(2500, 5000, dtype="f8").tobytes()


def test_directory_rewrite_keeps_old_blob_until_saved(tmp_path: Path) -> None:
    path = tmp_path / "d.lindi.d"
    with _open(path, "w") as store:
        values = write_sample(store)
    store = _open(path, "r+")
    root = zarr.open_group(store, mode="r+", zarr_format=2)
    array_of(root, "big")[:50, :] = 5
    assert (path / "blobs/big/0.0.v2").exists()
    # not saved yet: the file on disk still reads the old values
    check_sample(path, values)
    store.close()
    assert not (path / "blobs/big/0.0").exists()  # superseded blob removed after the save
    values["big"][:50, :] = 5
    check_sample(path, values)


def _blob_files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in (path / "blobs").rglob("*") if p.is_file())


def test_directory_overwrite_failing_before_lindi_json_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.lindi.d"
    with _open(path, "w") as store:
        values = write_sample(store)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise _Boom("disk on fire")

    monkeypatch.setattr(os, "replace", fail)  # the rename that puts the new lindi.json in place
    with pytest.raises(_Boom):
        _open(path, "w")
    monkeypatch.undo()
    check_sample(path, values)  # old lindi.json and every blob it names are still there


def test_directory_overwrite_failing_after_lindi_json_leaves_only_unreferenced_blobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.lindi.d"
    with _open(path, "w") as store:
        values = write_sample(store)
    old_blobs = _blob_files(path)
    assert len(old_blobs) == 4

    def fail(*args: Any, **kwargs: Any) -> None:
        raise _Boom("crash before the old blobs were removed")

    monkeypatch.setattr(DirectoryContainer, "_remove_stale_blobs", fail)
    with pytest.raises(_Boom):
        _open(path, "w")  # a store's "w" writes beside the old file: it stays as it was
    check_sample(path, values)
    assert sorted(os.listdir(tmp_path)) == ["d.lindi.d"]
    with pytest.raises(_Boom):
        DirectoryContainer(path).create(ReferenceMap({".zgroup": {"zarr_format": 2}}))
    monkeypatch.undo()
    # created in place: the new (empty) file is in place and consistent; the old blobs are
    # leftovers
    root = zarr.open_group(LindiStore.open(path), mode="r", zarr_format=2)
    assert list(root.keys()) == []
    assert _blob_files(path) == old_blobs
    # the next overwrite removes the leftovers once its own lindi.json is saved
    with _open(path, "w") as store:
        values = write_sample(store)
    check_sample(path, values)
    assert _blob_files(path) == old_blobs  # same names, freshly written


def test_directory_create_keeps_blobs_the_new_map_names(tmp_path: Path) -> None:
    path = tmp_path / "d.lindi.d"
    with _open(path, "w") as store:
        values = write_sample(store)
    container = DirectoryContainer(path)
    reference_map = ReferenceMap.from_bytes((path / "lindi.json").read_bytes(), source=str(path))
    (path / "blobs" / "stray").write_bytes(b"not referenced")
    container.create(reference_map)
    assert "blobs/stray" not in _blob_files(path)
    check_sample(path, values)


def test_directory_refs_cannot_escape(tmp_path: Path) -> None:
    path = tmp_path / "evil.lindi.d"
    path.mkdir()
    (tmp_path / "secret").write_bytes(b"secret")
    document = {
        "version": 1,
        "refs": {
            ".zgroup": {"zarr_format": 2},
            "a/.zarray": {
                "chunks": [6],
                "compressor": None,
                "dtype": "|u1",
                "fill_value": 0,
                "filters": None,
                "order": "C",
                "shape": [6],
                "zarr_format": 2,
            },
            "a/0": ["./blobs/../../secret", 0, 6],
        },
    }
    (path / "lindi.json").write_bytes(_json.dumps(document))
    with pytest.raises(LindiSecurityError, match="escapes"):
        LindiStore.open(path)


def test_directory_keys_cannot_escape(tmp_path: Path) -> None:
    container = DirectoryContainer(tmp_path / "k.lindi.d")
    with pytest.raises(LindiSecurityError, match="cannot be stored as a blob"):
        container.write_blob("a/../../x", b"1")
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------- crash safety
class _Boom(RuntimeError):
    pass


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failed_save_leaves_previous_file_readable(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / f"c.{suffix}"
    with _open(path, "w") as store:
        values = write_sample(store)
    store = _open(path, "r+")
    root = zarr.open_group(store, mode="r+", zarr_format=2)
    array_of(root, "big")[...] = -3
    root.attrs["payload"] = ["y" * 40] * 400  # forces the tar to re-append lindi.json

    def fail(*args: Any, **kwargs: Any) -> None:
        raise _Boom("disk on fire")

    if suffix == "lindi.tar":
        # fail at the first in-place write (the index), after the new members were appended
        monkeypatch.setattr(TarContainer, "_write_index", fail)
    else:
        monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(_Boom):
        store.flush()
    monkeypatch.undo()
    check_sample(path, values)
    if suffix == "lindi.tar":
        with tarfile.open(path) as archive:
            assert archive.getmember("blobs/big/0.0").size == 20000


def test_exception_while_writing_through_zarr_keeps_file(tmp_path: Path) -> None:
    path = tmp_path / "e.lindi.tar"
    with _open(path, "w") as store:
        values = write_sample(store)
    with pytest.raises(_Boom), _open(path, "r+") as store:
        array_of(zarr.open_group(store, mode="r+", zarr_format=2), "big")[:50, :] = 9
        raise _Boom("user code failed before closing")
    # the context manager's close() saved what had been written before the exception;
    # whichever state it is, the file reads consistently
    root = zarr.open_group(LindiStore.open(path), mode="r", zarr_format=2)
    assert set(np.unique(array_of(root, "big")[:50, :])) == {9.0}
    np.testing.assert_array_equal(array_of(root, "big")[50:, :], values["big"][50:, :])
