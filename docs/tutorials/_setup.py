"""What the tutorials share, run in a hidden first cell: a working directory of its own, a sample
NWB file made with pynwb, and an HTTP server on 127.0.0.1 (with Range requests, like a cloud
store) serving it, so that every example runs without the internet."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "src"))

from tests.helpers.http_server import serve_directory  # noqa: E402

from hdmf_lindi.cli.sample import SampleSpec, make_sample_nwb  # noqa: E402

_stack = contextlib.ExitStack()
atexit.register(_stack.close)
server = None
"""The running server (``tests.helpers.http_server.ServedDirectory``), after :func:`start`."""


def start() -> str:
    """Work in a fresh temporary directory holding ``sample.nwb``; serve it; return its URL."""
    workdir = Path(_stack.enter_context(tempfile.TemporaryDirectory(prefix="hdmf-lindi-docs-")))
    os.chdir(workdir)
    served = workdir / "served"
    served.mkdir()
    make_sample_nwb(served / "sample.nwb", SampleSpec(n_channels=16, n_samples=20_000))
    global server
    server = _stack.enter_context(serve_directory(served))
    return f"{server.url}/sample.nwb"
