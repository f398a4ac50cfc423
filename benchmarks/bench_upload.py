"""Upload a ``.lindi.d`` to S3 (moto on 127.0.0.1): ``hdmf_lindi.upload`` (hash, list, blobs
concurrently, document last) vs a plain recursive copy of the directory with obstore puts (what
``aws s3 cp --recursive`` does), both against the same server.

    python benchmarks/bench_upload.py [--megabytes 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
from datetime import UTC, datetime

import numpy as np

from _support import WORK_DIR, Result, print_table, timed


def make_lindi_d(path: str, megabytes: int) -> None:
    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBFile, TimeSeries

    from hdmf_lindi.io import LindiIO

    nwbfile = NWBFile(
        session_description="upload benchmark",
        identifier="upload",
        session_start_time=datetime(2024, 1, 1, tzinfo=UTC),
    )
    rows = megabytes * 1024 * 1024 // (64 * 8)
    data = np.random.default_rng(0).random((rows, 64))  # incompressible
    nwbfile.add_acquisition(
        TimeSeries(name="raw", data=H5DataIO(data, chunks=(4096, 64)), unit="V", rate=1.0)
    )
    with LindiIO(path, "w") as io:
        io.write(nwbfile)


async def copy_recursive(store: object, root: str, prefix: str, concurrency: int = 8) -> int:
    import obstore

    limit = asyncio.Semaphore(concurrency)
    files = [os.path.join(d, f) for d, _s, names in os.walk(root) for f in names]

    async def one(path: str) -> None:
        async with limit:
            with open(path, "rb") as f:
                data = f.read()
            await obstore.put_async(store, f"{prefix}/{os.path.relpath(path, root)}", data)

    await asyncio.gather(*(one(p) for p in files))
    return len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=300)
    args = parser.parse_args()

    import boto3
    from obstore.store import S3Store
    from tests.helpers.s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, run_moto_server

    from hdmf_lindi.transfer import upload

    source = str(WORK_DIR / f"upload-{args.megabytes}mb.lindi.d")
    if not os.path.exists(source):
        partial = str(WORK_DIR / f"upload-{args.megabytes}mb.tmp.lindi.d")
        shutil.rmtree(partial, ignore_errors=True)
        make_lindi_d(partial, args.megabytes)
        shutil.move(partial, source)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _s, n in os.walk(source) for f in n)
    results: list[Result] = []
    with run_moto_server() as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )
        client.create_bucket(Bucket="bench-upload")
        options = {
            "endpoint": endpoint,
            "region": REGION,
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": SECRET_ACCESS_KEY,
            "virtual_hosted_style_request": False,
        }
        store = S3Store("bench-upload", client_options={"allow_http": True}, **options)  # type: ignore[arg-type]
        asyncio.run(copy_recursive(store, source, "warm-up"))
        count, seconds = timed(lambda: asyncio.run(copy_recursive(store, source, "plain")))
        results.append(
            Result(
                "obstore put of every file (aws s3 cp --recursive)", seconds, None, f"{count} files"
            )
        )
        result, seconds = timed(
            lambda: upload(source, "s3://bench-upload/x.lindi.d", s3_options=options)
        )
        results.append(
            Result("hdmf_lindi.upload", seconds, None, f"{result.blobs} blobs + lindi.json")
        )
        _, seconds = timed(
            lambda: upload(source, "s3://bench-upload/x.lindi.d", s3_options=options)
        )
        results.append(
            Result("hdmf_lindi.upload, rerun (nothing missing)", seconds, None, "lindi.json only")
        )
    print_table(
        f"Upload a {size / 1e6:.0f} MB .lindi.d to S3 (moto on 127.0.0.1)",
        results,
        "obstore put of every file (aws s3 cp --recursive)",
    )


if __name__ == "__main__":
    main()
