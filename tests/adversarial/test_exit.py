"""The interpreter exits promptly when files are left open (issue 9, items 0 and 9).

The habit of every notebook and of ``io = LindiIO(path); nwbfile = io.read()`` scripts: open,
read, never close. hdmf's atexit handler then closes the files after zarr's atexit handler
stopped zarr's event loop; a close that waited on that loop hung forever. A redirect check
trickling from a hostile server must not hold the exit either.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hdmf_lindi
from hdmf_lindi.cli.sample import SampleSpec, make_sample_nwb
from tests.adversarial.fault_server import FaultServer, fault_server

EXIT_SECONDS = 5.0
STARTUP_SECONDS = 120.0  # importing pynwb on a loaded machine

SCRIPT = """
import sys
import hdmf_lindi
for _ in range(2):
    io = hdmf_lindi.LindiIO(sys.argv[1], "r")
    nwbfile = io.read()
    assert len(nwbfile.acquisition) > 0
print("opened", flush=True)
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small NWB file and its conversions to every container kind."""
    root = tmp_path_factory.mktemp("exit")
    nwb = root / "sample.nwb"
    make_sample_nwb(nwb, SampleSpec(n_channels=4, n_samples=2000, n_small_series=1))
    found = {"nwb": nwb}
    for suffix in ("lindi.json", "lindi.d", "lindi.tar"):
        target = root / f"sample.nwb.{suffix}"
        hdmf_lindi.convert(str(nwb), str(target))
        found[suffix] = target
    return found


def _run_without_closing(location: str) -> tuple[float, str]:
    """Run :data:`SCRIPT` on ``location``; the seconds from its last read to its exit, and
    its stderr. Fails when it does not exit within :data:`EXIT_SECONDS` of the read."""
    env = dict(os.environ)
    source_root = str(Path(hdmf_lindi.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, location],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        started = time.monotonic()
        for line in process.stdout:  # ends when the script prints "opened" or dies
            if line.strip() == "opened":
                break
        else:
            _, stderr = process.communicate(timeout=EXIT_SECONDS)
            pytest.fail(f"the script failed: {stderr}")
        assert time.monotonic() - started < STARTUP_SECONDS
        read_done = time.monotonic()
        try:
            _, stderr = process.communicate(timeout=EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the interpreter did not exit within {EXIT_SECONDS} s of the last read")
        # -6: aborted at exit (an obstore thread finishing a request while CPython finalized)
        assert process.returncode == 0, stderr[-2000:]
        return time.monotonic() - read_done, stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=EXIT_SECONDS)


@pytest.mark.parametrize("kind", ["nwb", "lindi.json", "lindi.d", "lindi.tar"])
def test_exit_with_files_left_open(files: dict[str, Path], kind: str) -> None:
    seconds, stderr = _run_without_closing(str(files[kind]))
    assert seconds < EXIT_SECONDS
    assert "never awaited" not in stderr
    assert "Traceback" not in stderr


@pytest.fixture
def served(files: dict[str, Path]) -> Iterator[FaultServer]:
    with fault_server(max_stall=60) as server:
        for kind, path in files.items():
            if kind != "lindi.d":
                server.serve(f"/{path.name}", path.read_bytes())
        yield server


@pytest.mark.parametrize("kind", ["nwb", "lindi.json", "lindi.tar"])
def test_exit_while_the_redirect_check_trickles(
    served: FaultServer, files: dict[str, Path], kind: str
) -> None:
    """Every redirect check answers one byte a second; reads go on without it and the process
    exits at once, although the resolutions are still running."""
    name = f"/{files[kind].name}"
    served.inject(name, "slow_headers", 1.0, user_agent="redirect check")
    seconds, stderr = _run_without_closing(served.url_for(name))
    assert seconds < EXIT_SECONDS
    assert "never awaited" not in stderr
    assert [r for r in served.requests_for(name) if r.fault == "slow_headers"]
