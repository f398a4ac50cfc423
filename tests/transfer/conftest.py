"""Fixtures for the transfer tests: the moto S3 server and LINDI files with local blobs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from hdmf.backends.hdf5 import H5DataIO
from pynwb import NWBFile, TimeSeries

from hdmf_lindi.io import LindiIO
from hdmf_lindi.storage.staging import StagingArea
from tests.helpers.s3_server import S3Bucket, moto_server, s3_bucket

__all__ = ["expected_series", "moto_server", "s3_bucket", "s3_environment", "write_sample"]

SERIES = 6


def expected_series(index: int) -> np.ndarray:
    """The data of acquisition ``ts<index>`` of :func:`write_sample`."""
    return np.random.default_rng(index).random((2000, 4))


def write_sample(path: Path, *, staging_dir: Path | None = None, series: int = SERIES) -> None:
    """An NWB file with ``series`` chunked TimeSeries (one blob each), written with LindiIO;
    a ``.lindi.json`` puts its chunks in a staging area under ``staging_dir``."""
    nwbfile = NWBFile(
        session_description="transfer test",
        identifier="transfer",
        session_start_time=datetime(2024, 1, 2, tzinfo=UTC),
    )
    for index in range(series):
        data = H5DataIO(expected_series(index), chunks=(500, 4))
        nwbfile.add_acquisition(TimeSeries(name=f"ts{index}", data=data, unit="V", rate=1.0))
    if str(path).endswith(".json"):
        assert staging_dir is not None
        staging = StagingArea.create(staging_dir)
        with LindiIO(str(path), "w", staging_area=staging) as io:
            io.write(nwbfile)
    else:
        with LindiIO(str(path), "w") as io:
            io.write(nwbfile)


def check_sample(url: str, *, series: int = SERIES) -> None:
    """Read ``url`` with LindiIO and compare every series with what was written."""
    with LindiIO(url) as io:
        nwbfile = io.read()
        assert nwbfile.identifier == "transfer"
        for index in range(series):
            got = nwbfile.acquisition[f"ts{index}"].data[:]
            np.testing.assert_array_equal(got, expected_series(index))


def s3_environment(bucket: S3Bucket, endpoint: str | None = None) -> dict[str, str]:
    """The standard AWS_* variables for the moto server."""
    return {
        "AWS_ENDPOINT_URL": endpoint or bucket.endpoint_url,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": bucket.region,
        "AWS_ACCESS_KEY_ID": bucket.access_key_id,
        "AWS_SECRET_ACCESS_KEY": bucket.secret_access_key,
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
    }
