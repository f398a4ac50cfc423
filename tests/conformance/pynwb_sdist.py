"""pynwb's sdist (for its ``tests/`` tree), fetched once with ``pip download`` into the
repository's gitignored ``.cache/`` and unpacked there.

``python -m tests.conformance.pynwb_sdist`` fetches it ahead of a test run (CI does, so that
the download does not count against collection); the collector fetches it when missing.
pytest-xdist workers wait for each other on a lock file; a failed fetch is remembered for an
hour so that every worker and every run does not wait for pip's retries again.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PYNWB_VERSION = "4.2.0"
CACHE_DIR = REPO_ROOT / ".cache"
SDIST = CACHE_DIR / f"pynwb-{PYNWB_VERSION}.tar.gz"
UNPACKED = CACHE_DIR / f"pynwb-{PYNWB_VERSION}"
_LOCK = CACHE_DIR / f"pynwb-{PYNWB_VERSION}.lock"
_FAILED = CACHE_DIR / f"pynwb-{PYNWB_VERSION}.failed"
_DONE = UNPACKED / ".unpacked"
_RETRY_AFTER_SECONDS = 3600


class SdistUnavailable(RuntimeError):
    """The sdist could not be fetched (offline?) or unpacked."""


def pynwb_tests_dir() -> Path:
    """The unpacked ``tests/`` directory of pynwb's sdist, fetched and unpacked on first use.

    Raises
    ------
    SdistUnavailable
        ``pip download`` failed (now or within the last hour), or the archive is unusable.
    """
    tests_dir = UNPACKED / "tests"
    if _DONE.exists():
        return tests_dir
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _DONE.exists():
            return tests_dir
        if not SDIST.exists():
            if _FAILED.exists() and time.time() - _FAILED.stat().st_mtime < _RETRY_AFTER_SECONDS:
                raise SdistUnavailable(_FAILED.read_text())
            _download()
        _unpack()
    return tests_dir


def _download() -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-binary",
        ":all:",
        "--no-deps",
        "--disable-pip-version-check",
        f"pynwb=={PYNWB_VERSION}",
        "-d",
        str(CACHE_DIR),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        output = getattr(exc, "stderr", b"") or b""
        message = (
            f"cannot fetch the pynwb {PYNWB_VERSION} sdist ({' '.join(command)}): "
            f"{output.decode(errors='replace')[-800:] or exc}"
        )
        _FAILED.write_text(message)
        raise SdistUnavailable(message) from exc
    if not SDIST.exists():
        message = f"pip download did not leave {SDIST}"
        _FAILED.write_text(message)
        raise SdistUnavailable(message)
    _FAILED.unlink(missing_ok=True)


def _unpack() -> None:
    prefix = f"pynwb-{PYNWB_VERSION}/tests/"
    try:
        with tarfile.open(SDIST) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith(prefix)]
            if not members:
                raise SdistUnavailable(f"{SDIST} holds no {prefix}")
            archive.extractall(CACHE_DIR, members=members, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise SdistUnavailable(f"cannot unpack {SDIST}: {exc}") from exc
    _DONE.touch()


if __name__ == "__main__":
    try:
        print(pynwb_tests_dir())
    except SdistUnavailable as exc:
        print(
            f"pynwb sdist unavailable (the conformance tests will say so): {exc}", file=sys.stderr
        )
