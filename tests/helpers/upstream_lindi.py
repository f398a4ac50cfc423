"""The original ``lindi`` 0.4.6 in a virtual environment of its own (it pins zarr < 3, so it
cannot share ours). Tests and benchmarks run scripts with it to prove compatibility."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
UPSTREAM_VENV = Path(os.environ.get("HDMF_LINDI_UPSTREAM_VENV", REPO_ROOT / ".venv-upstream"))
UPSTREAM_REQUIREMENTS = ["lindi==0.4.6", "pynwb"]


class UpstreamUnavailable(RuntimeError):
    """lindi 0.4.6 could not be installed (offline?)."""


def upstream_python() -> Path:
    """The interpreter of the lindi 0.4.6 environment, created on first use (once: pytest-xdist
    workers wait for each other on a lock file; a failed install is remembered for an hour so
    that each test does not try again)."""
    python = UPSTREAM_VENV / "bin" / "python"
    stamp = UPSTREAM_VENV / ".installed"
    failed = UPSTREAM_VENV.with_name(UPSTREAM_VENV.name + ".failed")
    if python.exists() and stamp.exists():
        return python
    UPSTREAM_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(UPSTREAM_VENV.with_name(UPSTREAM_VENV.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists():
            return python
        if failed.exists() and time.time() - failed.stat().st_mtime < 3600:
            raise UpstreamUnavailable(failed.read_text())
        try:
            if not python.exists():
                subprocess.run(
                    [sys.executable, "-m", "venv", str(UPSTREAM_VENV)],
                    check=True,
                    capture_output=True,
                    timeout=300,
                )
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", *UPSTREAM_REQUIREMENTS],
                check=True,
                capture_output=True,
                timeout=600,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            output = getattr(exc, "stderr", b"") or b""
            message = (
                f"cannot install {UPSTREAM_REQUIREMENTS} into {UPSTREAM_VENV}: "
                f"{output.decode(errors='replace')[-500:]}"
            )
            failed.write_text(message)
            raise UpstreamUnavailable(message) from exc
        stamp.touch()
        failed.unlink(missing_ok=True)
    return python


def run_upstream(script: str, *args: str, timeout: float = 300) -> Any:
    """Run ``script`` (Python source) with lindi 0.4.6; it prints its result as one line of JSON
    (lindi may print warnings after it), which is returned parsed."""
    python = upstream_python()
    completed = subprocess.run(
        [str(python), "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"lindi 0.4.6 failed (exit {completed.returncode}):\n{completed.stderr[-4000:]}"
        )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(("{", "[")):
            return json.loads(line)
    raise AssertionError(f"lindi 0.4.6 printed no JSON result:\n{completed.stdout[-2000:]}")


if __name__ == "__main__":
    # `python -m tests.helpers.upstream_lindi`: create the environment ahead of a test run
    try:
        print(upstream_python())
    except UpstreamUnavailable as exc:
        print(f"lindi 0.4.6 unavailable (its tests will be skipped): {exc}", file=sys.stderr)
