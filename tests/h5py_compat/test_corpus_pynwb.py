"""pynwb reads every pynwb-readable NWB file of the shared corpus through LindiH5pyFile
(translated on the fly) exactly as it reads the HDF5 file."""

from __future__ import annotations

import warnings
from pathlib import Path

import pynwb
import pytest

from hdmf_lindi.h5py_compat import LindiH5pyFile
from tests.h5py_compat.test_pynwb_roundtrip import snapshot

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
COLLECTIONS = (
    "bluepyefe",
    "dandi-cli",
    "hdmf-zarr",
    "mies",
    "ndx-pose",
    "neuroconv",
    "nwb-guide",
    "nwb-linkml",
    "nwb_test_data",
    "pynapple",
    "pynwb_history",
)


def _files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    out: list[str] = []
    for collection in COLLECTIONS:
        folder = CORPUS / collection
        if folder.is_dir():
            out += sorted(
                str(p.relative_to(CORPUS))
                for p in folder.rglob("*")
                if p.suffix in (".nwb", ".h5") and p.is_file()
            )
    return out


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("name", _files() or ["<none>"])
def test_pynwb_reads_corpus_file_through_lindi(name: str) -> None:
    path = CORPUS / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with pynwb.NWBHDF5IO(path, "r", load_namespaces=True) as io:
                expected = snapshot(io.read())
        except Exception as exc:  # pynwb cannot read the HDF5 itself
            pytest.skip(f"pynwb cannot read the HDF5 file: {type(exc).__name__}")
        with (
            LindiH5pyFile.from_hdf5_file(path) as f,
            pynwb.NWBHDF5IO(file=f, mode="r", load_namespaces=True) as io,
        ):
            actual = snapshot(io.read())
    assert sorted(actual) == sorted(expected)
    for key, fields in expected.items():
        assert actual[key] == fields, key
