"""The original lindi 0.4.6 (in its own virtual environment) reads the containers we write,
and we read what it appends to ours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from hdmf_lindi.storage.store import LindiStore
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream

pytestmark = pytest.mark.upstream

READ_SCRIPT = """
import json, sys
import numpy as np
import lindi
f = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1], mode="r")
out = {"attrs": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in f.attrs.items()}}
out["grp_x"] = np.asarray(f["grp"].attrs["x"]).tolist()
out["big"] = np.asarray(f["big"][()]).tolist()
out["small"] = np.asarray(f["small"][()]).tolist()
out["mixed"] = np.asarray(f["grp/mixed"][()]).tolist()
print(json.dumps(out))
"""

APPEND_SCRIPT = """
import json, sys
import numpy as np
import lindi
with lindi.LindiH5pyFile.from_lindi_file(sys.argv[1], mode="a") as f:
    f.attrs["added_by"] = "lindi-0.4.6"
    ds = f.create_dataset("added", shape=(300, 10), dtype="f4")
    ds[...] = np.arange(3000, dtype="f4").reshape(300, 10)
print(json.dumps({"ok": True}))
"""


def _run(script: str, *args: str) -> Any:
    try:
        return run_upstream(script, *args)
    except UpstreamUnavailable as exc:
        pytest.skip(f"lindi 0.4.6 cannot be installed here: {exc}")


def _write_sample(path: Path, *, grow: bool = False) -> None:
    threshold = None if path.name.endswith(".json") else 1000
    with LindiStore.open(path, "w", inline_threshold=threshold) as store:
        root = zarr.open_group(store, mode="r+", zarr_format=2)
        root.attrs.update({"title": "ours", "n": 3})
        root.create_group("grp").attrs["x"] = [1, 2, 3]
        big = root.create_array("big", shape=(100, 50), chunks=(50, 50), dtype="f8")
        big[...] = np.arange(5000, dtype="f8").reshape(100, 50)
        small = root.create_array("small", shape=(10,), chunks=(5,), dtype="i4")
        small[...] = np.arange(10, dtype="i4")
        mixed = root.create_array("grp/mixed", shape=(300,), chunks=(200,), dtype="i8")
        mixed[...] = np.arange(300, dtype="i8") * 7
    if grow:
        # outgrow the padded lindi.json and the index so both are re-appended
        with LindiStore.open(path, "r+", inline_threshold=0) as store:
            root = zarr.open_group(store, mode="r+", zarr_format=2)
            root.attrs["payload"] = ["z" * 50] * 300
            many = root.create_array("many", shape=(250,), chunks=(1,), dtype="u1")
            many[...] = np.arange(250, dtype="u1")


@pytest.mark.parametrize(
    ("name", "grow"),
    [
        ("ours.lindi.tar", False),
        ("grown.lindi.tar", True),
        ("ours.lindi.d", False),
        ("ours.lindi.json", False),
    ],
)
def test_upstream_reads_what_we_write(tmp_path: Path, name: str, grow: bool) -> None:
    path = tmp_path / name
    _write_sample(path, grow=grow)
    out = _run(READ_SCRIPT, str(path))
    assert out["attrs"]["title"] == "ours" and out["attrs"]["n"] == 3
    assert out["grp_x"] == [1, 2, 3]
    assert out["big"] == np.arange(5000, dtype="f8").reshape(100, 50).tolist()
    assert out["small"] == list(range(10))
    assert out["mixed"] == (np.arange(300) * 7).tolist()


@pytest.mark.parametrize("name", ["ours.lindi.tar", "ours.lindi.d"])
def test_we_read_what_upstream_appends_to_ours(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _write_sample(path)
    assert _run(APPEND_SCRIPT, str(path)) == {"ok": True}
    root = zarr.open_group(LindiStore.open(path), mode="r", zarr_format=2)
    assert root.attrs["added_by"] == "lindi-0.4.6"
    added = root["added"]
    assert isinstance(added, zarr.Array)
    np.testing.assert_array_equal(added[...], np.arange(3000, dtype="f4").reshape(300, 10))
    big = root["big"]
    assert isinstance(big, zarr.Array)
    np.testing.assert_array_equal(big[...], np.arange(5000, dtype="f8").reshape(100, 50))
    # and we can keep appending after lindi 0.4.6 did
    with LindiStore.open(path, "r+") as store:
        zarr.open_group(store, mode="r+", zarr_format=2).attrs["again"] = True
    assert zarr.open_group(LindiStore.open(path), mode="r", zarr_format=2).attrs["again"] is True
