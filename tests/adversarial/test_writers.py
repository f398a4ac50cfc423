"""Writers in several processes: two at once, and ``kill -9`` at random points of ``w`` and
``r+``, on every container kind. After each run the file opens and holds either the old state
or a state a writer saved (never a mix), no dataset is torn, nothing saved is lost, and the next
writer can open it (the kernel released the killed writer's lock; its leftovers are cleaned).

``HDMF_LINDI_KILL_RUNS`` sets the number of kill runs per kind and mode (default 4: 24 runs).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hdmf_lindi import LindiH5pyFile
from tests.adversarial.writer_child import expected_values

CHILD = Path(__file__).resolve().parent / "writer_child.py"
NAMES = ["x.lindi.json", "x.lindi.tar", "x.lindi.d"]
KILL_RUNS = int(os.environ.get("HDMF_LINDI_KILL_RUNS", "4"))
COUNT = 30
"""Datasets a killed writer writes (about 0.1 to 0.4 s of work after its ``ready``)."""


def _child(path: Path, mode: str, generation: int, count: int = 10) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(path), mode, str(generation), str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(path: Path, mode: str, generation: int, count: int = 10) -> float:
    """Run a writer to its end; the seconds it spent writing."""
    child = _child(path, mode, generation, count)
    out, err = child.communicate(timeout=180)
    assert child.returncode == 0, err
    return float(out.split()[-1])


def _run_code(code: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run Python ``code`` in a child process (with this repository importable) to its end."""
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, timeout=120
    )


def _state(path: Path) -> set[str]:
    """The datasets of the file, each checked to hold all of its values."""
    with LindiH5pyFile.from_lindi_file(path) as f:
        names = set(f)
        for name in names:
            np.testing.assert_array_equal(f[name][:], expected_values(name), err_msg=name)
    return names


def _new(names: set[str], prefix: str) -> set[int]:
    return {int(n.split("_")[1]) for n in names if n.startswith(prefix)}


@pytest.mark.parametrize("name", NAMES)
def test_two_writers_at_once_lose_nothing(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _run(path, "w", 0, 1)
    children = [_child(path, "race", generation, 6) for generation in (1, 2)]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    for child in children:  # go
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        _out, err = child.communicate(timeout=180)
        assert child.returncode == 0, err
    assert _state(path) == {"w0_0"} | {f"p{g}_{k}" for g in (1, 2) for k in range(6)}
    assert sorted(os.listdir(tmp_path)) == [name]


@pytest.mark.parametrize("name", NAMES)
def test_kill_9_at_random_points_of_w_and_r_plus(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    rng = random.Random(f"{name}-{KILL_RUNS}")
    # one run of each to time the work (the machine's load varies): kills land in [0, 1.2 t]
    duration = {"w": _run(path, "w", 0, COUNT), "r+": _run(path, "r+", 0, COUNT)}
    state = _state(path)
    outcomes: list[str] = []  # printed: where the kills landed
    for generation, mode in enumerate(["w", "r+"] * KILL_RUNS, start=1):
        child = _child(path, mode, generation, COUNT)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.2 * duration[mode]))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        now = _state(path)
        if mode == "w":
            complete = {f"w{generation}_{i}" for i in range(COUNT)}
            assert now in (state, complete), f"run {generation} ({mode}): {sorted(now)}"
            outcomes.append(f"w:{'new' if now == complete else 'old'}")
        else:
            added = now - state
            assert state <= now, f"run {generation}: lost {sorted(state - now)}"
            indices = _new(added, f"g{generation}_")
            assert added == {f"g{generation}_{i}" for i in indices}
            assert indices == set(range(len(indices))), f"run {generation}: {sorted(added)}"
            outcomes.append(f"r+:{len(indices)}/{COUNT}")
        state = now
    print(name, " ".join(outcomes))
    # the next writer opens, and its close leaves nothing but the file
    with LindiH5pyFile.from_lindi_file(path, "r+") as f:
        f.attrs["done"] = True
    assert sorted(os.listdir(tmp_path)) == [name]


def test_kill_between_the_two_renames_of_a_directory_replace(tmp_path: Path) -> None:
    """Where ``renameat2(RENAME_EXCHANGE)`` is missing a ``.lindi.d`` is replaced with two
    renames; a kill between them leaves nothing at the path until the next open restores the
    new, complete copy."""
    path = tmp_path / "x.lindi.d"
    _run(path, "w", 0, 2)
    code = (
        "import os, signal, sys\n"
        "from hdmf_lindi import LindiH5pyFile\n"
        "from hdmf_lindi.storage import replacing\n"
        "from tests.adversarial.writer_child import expected_values\n"
        "replacing._exchange = lambda a, b: False\n"
        "real_replace = os.replace\n"
        "def replace(src, dst):\n"
        "    real_replace(src, dst)\n"
        "    if str(src) == sys.argv[1]:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "replacing.os.replace = replace\n"
        "with LindiH5pyFile.from_lindi_file(sys.argv[1], 'w') as f:\n"
        "    f.create_dataset('w1_0', data=expected_values('w1_0'))\n"
    )
    killed = _run_code(code, str(path))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not path.exists()
    assert _state(path) == {"w1_0"}
    assert sorted(os.listdir(tmp_path)) == ["x.lindi.d"]


@pytest.mark.parametrize("cut", [0, 1, 2])
@pytest.mark.parametrize("saves_before", [0, 2])
def test_a_write_cut_at_a_page_boundary_by_a_kill_tears_nothing(
    tmp_path: Path, saves_before: int, cut: int
) -> None:
    """Linux stops a write of several pages at a page boundary when the process is killed. A
    ``.lindi.tar`` opened ``r+`` never writes over what its live index names, so such a cut
    (here of the ``cut``-th write of more than a page) leaves the previous state (it tore
    ``lindi.json`` in place into a mix of the old and the new document: "invalid base64
    data", or silently other values)."""
    path = tmp_path / "x.lindi.tar"
    _run(path, "w", 1, 40)  # a document of several pages (small chunks are inline)
    for generation in range(2, 2 + saves_before):
        _run(path, "r+", generation, 3)
    before = _state(path)
    code = (
        "import os, signal, sys\n"
        "from hdmf_lindi import LindiH5pyFile\n"
        "from tests.adversarial.writer_child import expected_values\n"
        "real_pwrite = os.pwrite\n"
        "large = [0]\n"
        "def pwrite(fd, data, offset):\n"
        "    data = memoryview(data)\n"
        "    if len(data) > 4096:\n"
        "        large[0] += 1\n"
        "        if large[0] > int(sys.argv[2]):\n"
        "            real_pwrite(fd, data[: 4096 - offset % 4096], offset)\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real_pwrite(fd, data, offset)\n"
        "os.pwrite = pwrite\n"
        "with LindiH5pyFile.from_lindi_file(sys.argv[1], 'r+', inline_threshold=1000) as f:\n"
        "    for i in range(3):\n"
        "        f.create_dataset(f'g9_{i}', data=expected_values(f'g9_{i}'))\n"
    )
    child = _run_code(code, str(path), str(cut))
    assert child.returncode in (0, -signal.SIGKILL), child.stderr
    after = {"g9_0", "g9_1", "g9_2"}
    assert _state(path) in (before, before | after)
    with LindiH5pyFile.from_lindi_file(path, "r+") as f:
        f.attrs["done"] = True
    assert _state(path) in (before, before | after)
