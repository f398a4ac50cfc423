"""Every file written by the original lindi 0.4.6 reads through LindiH5pyFile."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pynwb
import pytest

from hdmf_lindi.h5py_compat import LindiH5pyFile
from tests.h5py_compat.compare import normalized
from tests.helpers.http_server import ServedDirectory

UPSTREAM = Path(__file__).resolve().parent.parent / "data" / "upstream-lindi-0.4.6"


def _features_json(tmp_path: Path, server: ServedDirectory) -> Path:
    shutil.copy(UPSTREAM / "features.h5", server.root / "features.h5")
    document = json.loads((UPSTREAM / "features.lindi.json").read_text())
    document["templates"]["u1"] = f"{server.url}/features.h5"
    path = tmp_path / "features.lindi.json"
    path.write_text(json.dumps(document))
    return path


def test_features_file_matches_the_hdf5_file(tmp_path: Path, http_server: ServedDirectory) -> None:
    path = _features_json(tmp_path, http_server)
    with (
        h5py.File(UPSTREAM / "features.h5", "r") as h5,
        LindiH5pyFile.from_lindi_file(path) as lindi,
    ):
        expected_names: list[str] = []
        h5.visit(expected_names.append)
        actual_names: list[str] = []
        lindi.visit(actual_names.append)
        assert actual_names == expected_names
        for name in expected_names:
            h5_obj, lindi_obj = h5[name], lindi[name]
            assert isinstance(lindi_obj, h5py.Group) == isinstance(h5_obj, h5py.Group), name
            assert sorted(lindi_obj.attrs) == sorted(h5_obj.attrs), name
            if isinstance(h5_obj, h5py.Dataset):
                assert lindi_obj.shape == h5_obj.shape, name
                assert lindi_obj.dtype == h5_obj.dtype, name
                assert normalized(lindi, lindi_obj[()]) == normalized(h5, h5_obj[()]), name
        assert lindi.get("soft", getlink=True).path == h5.get("soft", getlink=True).path
        assert lindi["soft"] == lindi["grp"]
        assert lindi[lindi["grp"].attrs["ref"]].name == h5[h5["grp"].attrs["ref"]].name
        for key in ("farr", "i", "s"):
            assert normalized(lindi, lindi["grp"].attrs[key]) == normalized(
                h5, h5["grp"].attrs[key]
            )
        assert [lindi[r].name for r in lindi["refs"][:]] == [h5[r].name for r in h5["refs"][:]]
        ref_fields = [
            n for n in h5["compound"].dtype.names if h5py.check_dtype(ref=h5["compound"].dtype[n])
        ]
        assert ref_fields
        for field in ref_fields:
            assert [lindi[r].name for r in lindi["compound"][field]] == [
                h5[r].name for r in h5["compound"][field]
            ]
    assert any(r.range for r in http_server.requests)


@pytest.mark.parametrize("name", ["written.lindi.tar", "written.lindi.d"])
def test_lindi_written_containers(name: str) -> None:
    with LindiH5pyFile.from_lindi_file(UPSTREAM / name) as f:
        datasets: dict[str, h5py.Dataset] = {}
        f.visititems(
            lambda n, obj: datasets.__setitem__(n, obj) if isinstance(obj, h5py.Dataset) else None
        )
        assert datasets
        big = [ds for ds in datasets.values() if ds.shape == (1000, 100)]
        assert len(big) == 1
        values = big[0][()]
        assert values.dtype == np.float32
        assert np.array_equal(np.array(big[0])[250:260, 5], values[250:260, 5])
        groups_with_list_attrs = [
            g for n, g in f.items() if isinstance(g, h5py.Group) and len(g.attrs)
        ]
        assert groups_with_list_attrs or len(f.attrs)


@pytest.mark.parametrize("name", ["pynwb_written.nwb.lindi.json", "pynwb_written.nwb.lindi.tar"])
def test_pynwb_reads_upstream_nwb(name: str) -> None:
    with (
        LindiH5pyFile.from_lindi_file(UPSTREAM / name) as f,
        pynwb.NWBHDF5IO(file=f, mode="r") as io,
    ):
        nwbfile = io.read()
        ts = nwbfile.acquisition["ts"]
        linked = nwbfile.acquisition["ts_linked"]
        assert nwbfile.subject is not None
        assert nwbfile.subject.subject_id
        assert np.array_equal(np.asarray(linked.data[:]), np.asarray(ts.data[:]))
        assert f.get("acquisition/ts_linked/data", getlink=True).path == "/acquisition/ts/data"
