"""A writer process for ``test_writers.py``: run as a script, killed or raced by the test.

``writer_child.py PATH MODE GENERATION [COUNT]``

* ``w``: replace ``PATH`` by a file holding ``w<G>_0`` ... ``w<G>_<COUNT-1>``;
* ``r+``: add ``g<G>_0`` ... one by one, saving after each;
* ``race``: once a line arrives on stdin (so that racers start together), ``COUNT`` times:
  open ``r+`` (retrying while another writer holds the lock), add ``p<G>_<k>``, keep the file
  open a moment, close.

Dataset ``<prefix><G>_<i>`` holds :func:`expected_values` of its name, so a reader can tell a
complete dataset from a torn one. Prints ``ready`` once its imports are done.
"""

from __future__ import annotations

import sys
import time

import numpy as np

SIZE = 5000


def expected_values(name: str) -> np.ndarray:
    """What dataset ``name`` (``w3_7``, ``g2_0``, ``p1_4``) holds."""
    generation, index = name[1:].split("_")
    return np.full(SIZE, int(generation) * 1000 + int(index), dtype=np.float64)


def _inline_threshold(path: str) -> int | None:
    return None if path.endswith(".json") else 1000


def main() -> None:
    from hdmf_lindi import LindiH5pyFile, LindiLockedError

    path, mode, generation = sys.argv[1], sys.argv[2], int(sys.argv[3])
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    threshold = _inline_threshold(path)
    _warm_up()
    print("ready", flush=True)
    start = time.monotonic()
    if mode == "w":
        with LindiH5pyFile.from_lindi_file(path, "w", inline_threshold=threshold) as f:
            for i in range(count):
                name = f"w{generation}_{i}"
                f.create_dataset(name, data=expected_values(name))
    elif mode == "r+":
        with LindiH5pyFile.from_lindi_file(path, "r+", inline_threshold=threshold) as f:
            for i in range(count):
                name = f"g{generation}_{i}"
                f.create_dataset(name, data=expected_values(name))
                f.flush()
    elif mode == "race":
        sys.stdin.readline()
        deadline = time.monotonic() + 120
        for k in range(count):
            while True:
                try:
                    f = LindiH5pyFile.from_lindi_file(path, "r+", inline_threshold=threshold)
                    break
                except LindiLockedError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            with f:
                name = f"p{generation}_{k}"
                f.create_dataset(name, data=expected_values(name))
                time.sleep(0.02)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(f"done {time.monotonic() - start:.3f}", flush=True)


def _warm_up() -> None:
    """Import and exercise the write path in memory, so that after ``ready`` the process
    spends its time writing the file (where the test's kills should land)."""
    from hdmf_lindi import LindiH5pyFile

    document = {"version": 1, "refs": {".zgroup": {"zarr_format": 2}}}
    with LindiH5pyFile.from_reference_file_system(document, "r+") as f:
        f.create_dataset("warm", data=expected_values("w0_0"))
        f["warm"][:]


if __name__ == "__main__":
    main()
