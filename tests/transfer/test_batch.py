"""convert-many on a real distributed.LocalCluster (2 workers, 127.0.0.1), and LINDI datasets
as dask arrays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pynwb import NWBHDF5IO, NWBFile, TimeSeries

from hdmf_lindi import LindiH5pyFile
from hdmf_lindi.cli.main import main as cli_main
from hdmf_lindi.dask_arrays import as_dask_array
from hdmf_lindi.errors import LindiUnsupportedError
from hdmf_lindi.io import LindiIO
from hdmf_lindi.transfer.batch import convert_many, output_name
from tests.helpers.http_server import ServedDirectory
from tests.transfer.conftest import expected_series, write_sample


def _nwb(path: Path, index: int) -> None:
    nwbfile = NWBFile(
        session_description=f"file {index}",
        identifier=f"id-{index}",
        session_start_time=datetime(2024, 1, 1, tzinfo=UTC),
    )
    data = np.arange(100, dtype=np.int32) * index
    nwbfile.add_acquisition(TimeSeries(name="ts", data=data, unit="m", rate=1.0))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local.scheduler_address


def test_output_names() -> None:
    assert output_name("/d/x.nwb").startswith("x.nwb-") and output_name("/d/x.nwb") != (
        output_name("/e/x.nwb")
    )
    assert output_name("https://api/x/api/assets/abc/download/").startswith("abc-")
    assert output_name("s3://b/k/f.nwb", ".lindi.tar").endswith(".lindi.tar")


def test_twenty_files_one_broken_on_two_workers(
    tmp_path: Path, http_server: ServedDirectory
) -> None:
    sources: list[str] = []
    for index in range(20):
        if index % 4 == 0:  # some remote
            _nwb(http_server.root / f"f{index}.nwb", index)
            sources.append(http_server.url_for(f"/f{index}.nwb"))
        else:
            _nwb(tmp_path / f"f{index}.nwb", index)
            sources.append(str(tmp_path / f"f{index}.nwb"))
    broken = tmp_path / "broken.nwb"
    broken.write_bytes(b"not an HDF5 file at all" * 10)
    sources.insert(7, str(broken))
    out = tmp_path / "out"
    outcomes = convert_many(sources, out, n_workers=2)
    assert [o.source for o in outcomes] == sources
    statuses = [o.status for o in outcomes]
    assert statuses.count("ok") == 20 and statuses[7] == "error"
    assert "broken.nwb" in (outcomes[7].error or "") or "unknown" in (outcomes[7].error or "")
    assert all(o.refs and o.refs > 5 for o in outcomes if o.status == "ok")
    assert any(o.requests for o in outcomes if o.source.startswith("http"))
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(m["source"] for m in manifest) == sorted(sources)
    with LindiIO(outcomes[3].output) as io:
        assert list(io.read().acquisition["ts"].data[:5]) == [0, 3, 6, 9, 12]
    # resumable: a rerun converts nothing that is done
    again = convert_many(sources, out, n_workers=1)
    assert [o.status for o in again].count("skipped") == 20
    assert again[7].status == "error"


def test_cli_on_an_existing_scheduler(
    tmp_path: Path, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in range(3):
        _nwb(tmp_path / f"g{index}.nwb", index)
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(tmp_path / f"g{i}.nwb") for i in range(3)) + "\n")
    argv = ["convert-many", str(listing), "-o", str(tmp_path / "o"), "--scheduler", cluster]
    assert cli_main([*argv, "-q"]) == 0
    assert "3 converted, 0 skipped, 0 failed" in capsys.readouterr().out
    (tmp_path / "h.nwb").write_bytes(b"garbage")
    assert cli_main([*argv[:2], str(tmp_path / "h.nwb"), *argv[2:]]) == 2
    assert "0 converted, 3 skipped, 1 failed" in capsys.readouterr().out


def test_clients_sharing_a_scheduler_get_their_own_results(tmp_path: Path, cluster: str) -> None:
    """Another client's task under a key convert-many used to use (``convert-0``) is not
    taken for ours: keys are unique per call."""
    from distributed import Client

    _nwb(tmp_path / "k.nwb", 2)
    with Client(cluster) as other:
        theirs = other.submit(lambda: {"not": "ours"}, key="convert-0", pure=False)
        theirs.result()
        outcomes = convert_many([str(tmp_path / "k.nwb")], tmp_path / "o", scheduler=cluster)
        assert [o.status for o in outcomes] == ["ok"], outcomes
        assert theirs.result() == {"not": "ours"}
    with LindiIO(outcomes[0].output) as io:
        assert list(io.read().acquisition["ts"].data[:3]) == [0, 2, 4]


def test_datasets_as_dask_arrays(tmp_path: Path, cluster: str) -> None:
    from distributed import Client

    path = tmp_path / "x.nwb.lindi.d"
    write_sample(path, series=2)
    with Client(cluster) as client, LindiIO(str(path)) as io:
        data = as_dask_array(io.read().acquisition["ts1"].data)
        assert data.chunks[0] == (500, 500, 500, 500)
        total = client.compute(data.sum(axis=0)).result()
        np.testing.assert_allclose(total, expected_series(1).sum(axis=0))
    with LindiH5pyFile.from_lindi_file(str(path)) as f:
        array = as_dask_array(f["acquisition/ts0/data"])
        np.testing.assert_array_equal(array.compute(), expected_series(0))
        with pytest.raises(LindiUnsupportedError, match="numeric"):
            as_dask_array(f["file_create_date"])


def _corpus_nwb_files(count: int) -> list[Path]:
    from tests.hdf5.corpus_expected import EXPECTED_REFUSALS
    from tests.hdf5.test_corpus import CORPUS, FILES

    candidates = [
        CORPUS / name for name in FILES if name.endswith(".nwb") and name not in EXPECTED_REFUSALS
    ]
    return sorted(candidates, key=lambda p: p.stat().st_size)[:count]


@pytest.mark.corpus
def test_twenty_corpus_files_and_a_broken_one(tmp_path: Path, cluster: str) -> None:
    files = _corpus_nwb_files(20)
    if len(files) < 20:
        pytest.skip("fewer than 20 convertible .nwb files in the corpus")
    broken = tmp_path / "truncated.nwb"
    broken.write_bytes(files[0].read_bytes()[:2000])  # a real NWB file, cut short
    sources = [str(p) for p in files] + [str(broken)]
    outcomes = convert_many(sources, tmp_path / "out", scheduler=cluster)
    assert [o.status for o in outcomes].count("ok") == 20, [o.error for o in outcomes]
    assert outcomes[-1].status == "error" and outcomes[-1].error
