"""LindiH5pyFile over the shared opener: where new chunks go, atomic creation, external-link
files, and references checked against the object they were made to."""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.errors import LindiFormatError, LindiUnsupportedError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.storage.store import LindiStore


def test_large_numeric_chunk_kept_inline_in_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "big.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("x", data=np.arange(5000, dtype=np.float64))
    refs = json.loads(path.read_text())["refs"]
    chunks = [v for k, v in refs.items() if k.startswith("x/") and not k.startswith("x/.")]
    assert chunks and all(isinstance(v, str) and v.startswith("base64:") for v in chunks)
    with LindiH5pyFile.from_lindi_file(path) as f:
        np.testing.assert_array_equal(f["x"][()], np.arange(5000, dtype=np.float64))


def test_large_string_and_reference_chunks_stay_inline(tmp_path: Path) -> None:
    path = tmp_path / "text.lindi.tar"
    words = [f"word number {i}" for i in range(500)]
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("words", data=words, dtype=h5py.string_dtype())
        target = f.create_group("target")
        f.create_dataset("refs", data=[target.ref] * 200, dtype=h5py.ref_dtype)
        f.create_dataset("numbers", data=np.arange(5000, dtype=np.float64))
    with LindiH5pyFile.from_lindi_file(path) as f:
        refs = f.store.reference_map
        assert isinstance(refs.get_raw("words/0"), str)
        assert isinstance(refs.get_raw("refs/0"), str)
        assert isinstance(refs.get_raw("numbers/0"), list)
        assert [w.decode() if isinstance(w, bytes) else w for w in f["words"][:]] == words
        assert f[f["refs"][199]].name == "/target"


def test_mode_w_replaces_only_on_close(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.attrs["version"] = 1
    f = LindiH5pyFile.from_lindi_file(path, mode="w")
    f.attrs["version"] = 2
    f.flush()
    with LindiH5pyFile.from_lindi_file(path) as old:
        assert old.attrs["version"] == 1
    f.close()
    with LindiH5pyFile.from_lindi_file(path) as new:
        assert new.attrs["version"] == 2
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.json"]


def test_mode_w_replaces_a_directory_of_the_same_name(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.d"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("numbers", data=np.arange(5000, dtype=np.float64))
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.attrs["second"] = True
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert "numbers" not in f
        assert bool(f.attrs["second"])
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.d"]


def test_creating_without_lindi_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LindiUnsupportedError, match="lindi"):
        LindiH5pyFile.from_lindi_file(tmp_path / "x.h5", mode="w")
    assert os.listdir(tmp_path) == []


def test_external_link_files_are_closed_with_the_file(tmp_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(tmp_path / "other.lindi.json", mode="w") as other:
        other.create_dataset("data", data=np.arange(5))
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json", mode="w") as f:
        f["ext"] = h5py.ExternalLink("other.lindi.json", "/data")
    f = LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json")
    linked = f["ext"]
    assert linked[()].tolist() == [0, 1, 2, 3, 4]
    assert f["ext"].file is linked.file
    f.close()
    assert not linked.file


def test_external_link_to_missing_file_is_a_key_error(tmp_path: Path) -> None:
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json", mode="w") as f:
        f["ext"] = h5py.ExternalLink("missing.lindi.json", "/data")
    with LindiH5pyFile.from_lindi_file(tmp_path / "x.lindi.json") as f, pytest.raises(KeyError):
        f["ext"]


def test_reference_to_a_replaced_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "refs.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        target = f.create_group("target")
        target.attrs["object_id"] = "11111111-1111-4111-8111-111111111111"
        f.attrs["points_to"] = target.ref
    with LindiH5pyFile.from_lindi_file(path) as f:
        assert f[f.attrs["points_to"]].name == "/target"
    with LindiH5pyFile.from_lindi_file(path, mode="r+") as f:
        del f["target"]
        replacement = f.create_group("target")
        replacement.attrs["object_id"] = "22222222-2222-4222-8222-222222222222"
    with LindiH5pyFile.from_lindi_file(path) as f:
        with pytest.raises(LindiFormatError, match="expected object_id") as excinfo:
            f[f.attrs["points_to"]]
        assert "11111111" in str(excinfo.value)


def test_reference_file_system_path_is_copied_to_memory(tmp_path: Path) -> None:
    path = tmp_path / "x.lindi.json"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.attrs["a"] = 1
    with LindiH5pyFile.from_reference_file_system(path, mode="r+") as f:
        f.attrs["a"] = 2
        assert f.attrs["a"] == 2
    with LindiStore.open(path) as store:
        assert store.reference_map.get_json(".zattrs")["a"] == 1


@pytest.mark.parametrize("compression", [None, "gzip", 1, 9])
def test_create_dataset_shuffle_is_stored(tmp_path: Path, compression: object) -> None:
    path = tmp_path / "shuffled.lindi.tar"
    values = np.linspace(0, 1, 3000, dtype=np.float32)
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("x", data=values, chunks=(1000,), shuffle=True, compression=compression)
    with LindiStore.open(path) as store:
        zarray = store.reference_map.get_json("x/.zarray")
    assert zarray["filters"] == [{"id": "shuffle", "elementsize": 4}]
    expected_level = {None: None, "gzip": 4, 1: 1, 9: 9}[compression]  # type: ignore[index]
    if expected_level is None:
        assert zarray["compressor"] is None
    else:
        assert zarray["compressor"] == {"id": "zlib", "level": expected_level}
    with LindiH5pyFile.from_lindi_file(path) as f:
        np.testing.assert_array_equal(f["x"][()], values)
        assert f["x"].compression == ("gzip" if expected_level is not None else None)


def test_create_dataset_shuffle_of_strings_is_refused(tmp_path: Path) -> None:
    with (
        LindiH5pyFile.from_lindi_file(tmp_path / "s.lindi.tar", mode="w") as f,
        pytest.raises(LindiUnsupportedError, match="shuffle"),
    ):
        f.create_dataset("s", data=["a", "b"], shuffle=True)
