"""The cost of the chunk size checks (``storage/chunk_limits.py``) on reads through zarr:
the same zarr selection over ``LindiStore``, with the checks and with them switched off, in
one run. zlib chunks (the HDF5 deflate filter's format) are decompressed twice with the
checks: once bounded by the store, once by zarr; blosc and uncompressed chunks only have
their headers or sizes compared.

    python benchmarks/bench_chunk_limits.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import zarr

from hdmf_lindi.storage import chunk_limits
from hdmf_lindi.storage.reference_map import ReferenceMap
from hdmf_lindi.storage.store import LindiStore

_ROWS, _CHANNELS, _CHUNK_ROWS = 262_144, 64, 32_768  # 8 chunks of 4 MiB of int16


def _map(directory: Path, compressor: Any) -> ReferenceMap:
    rng = np.random.default_rng(0)
    steps = rng.integers(-50, 50, (_ROWS, _CHANNELS))
    data = (np.cumsum(steps, axis=0) % 3000).astype("<i2")
    m = ReferenceMap()
    m.set_json(".zgroup", {"zarr_format": 2})
    m.set_json(
        "x/.zarray",
        {
            "zarr_format": 2,
            "shape": [_ROWS, _CHANNELS],
            "chunks": [_CHUNK_ROWS, _CHANNELS],
            "dtype": "<i2",
            "compressor": None if compressor is None else compressor.get_config(),
            "filters": None,
            "fill_value": 0,
            "order": "C",
        },
    )
    for i in range(_ROWS // _CHUNK_ROWS):
        block = np.ascontiguousarray(data[i * _CHUNK_ROWS : (i + 1) * _CHUNK_ROWS])
        stored = block.tobytes() if compressor is None else bytes(compressor.encode(block))
        path = directory / f"{type(compressor).__name__}-{i}"
        path.write_bytes(stored)
        m.set_url(f"x/{i}.0", str(path), 0, len(stored))
    return m


def _cpu_seconds(reference_map: ReferenceMap) -> float:
    store = LindiStore(reference_map, read_only=True)
    array = zarr.open_array(store, path="x", mode="r")
    start = time.process_time()
    array[...]
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    checked = chunk_limits.ChunkLimits.check_encoded
    print(
        f"read {_ROWS}x{_CHANNELS} int16 in 4 MiB chunks through zarr, CPU time, best of "
        f"{args.repeat}"
    )
    print()
    print("| compressor | with checks (s) | without (s) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for compressor in (numcodecs.Zlib(4), numcodecs.Blosc("lz4"), None):
            m = _map(Path(tmp), compressor)
            on, off = [], []
            for _ in range(args.repeat):
                chunk_limits.ChunkLimits.check_encoded = checked  # type: ignore[method-assign]
                on.append(_cpu_seconds(m))
                chunk_limits.ChunkLimits.check_encoded = (  # type: ignore[method-assign]
                    lambda self, data, *, where: None
                )
                off.append(_cpu_seconds(m))
            chunk_limits.ChunkLimits.check_encoded = checked  # type: ignore[method-assign]
            name = "none" if compressor is None else compressor.codec_id
            print(f"| {name} | {min(on):.3f} | {min(off):.3f} | {min(on) / min(off):.2f} |")


if __name__ == "__main__":
    main()
