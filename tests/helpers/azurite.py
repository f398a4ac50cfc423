"""Azurite, Microsoft's Azure Storage emulator (npm ``azurite``), as a Blob service on
127.0.0.1 for tests: the real request handling and SharedKey authentication of Azure Blob
Storage, in memory.

``python -m tests.helpers.azurite`` installs the pinned version with ``npm`` into
``.cache/azurite`` (``.ci/run`` does it before the tests); ``HDMF_LINDI_AZURITE`` may name an
``azurite-blob`` executable instead. Clients reach it through the standard variables::

    AZURE_STORAGE_USE_EMULATOR=true  AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:PORT

(the emulator's well-known account ``devstoreaccount1`` and key, which obstore uses then).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

__all__ = ["AZURITE_VERSION", "Azurite", "AzuriteUnavailable", "azurite_executable", "run_azurite"]

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURITE_VERSION = "3.37.0"
INSTALL_DIR = REPO_ROOT / ".cache" / "azurite"
ACCOUNT = "devstoreaccount1"
# the emulator's documented well-known key (not a secret)
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_LISTENING = re.compile(
    r"Blob service (?:successfully listens on|is successfully listening at) (http://\S+)"
)


class AzuriteUnavailable(RuntimeError):
    """No ``azurite-blob`` executable (not installed, or node missing)."""


def azurite_executable() -> str:
    """The ``azurite-blob`` to run: ``HDMF_LINDI_AZURITE``, the one in ``.cache/azurite``, or
    one on ``PATH``."""
    candidates = [
        os.environ.get("HDMF_LINDI_AZURITE", ""),
        str(INSTALL_DIR / "node_modules" / ".bin" / "azurite-blob"),
        shutil.which("azurite-blob") or "",
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise AzuriteUnavailable(
        f"azurite-blob not found; install it with `python -m tests.helpers.azurite` "
        f"(npm install azurite@{AZURITE_VERSION} into {INSTALL_DIR})"
    )


def install() -> str:
    """Install azurite with npm into ``.cache/azurite`` (once: pytest-xdist workers wait for
    each other on a lock file); its ``azurite-blob``. ``AzuriteUnavailable`` when npm is
    missing or the install fails."""
    executable = INSTALL_DIR / "node_modules" / ".bin" / "azurite-blob"
    if executable.exists():
        return str(executable)
    npm = shutil.which("npm")
    if npm is None:
        raise AzuriteUnavailable("npm not found: Azurite (the Azure emulator) cannot be installed")
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    with open(INSTALL_DIR.with_name("azurite.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if executable.exists():
            return str(executable)
        try:
            subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(INSTALL_DIR),
                    f"azurite@{AZURITE_VERSION}",
                ],
                check=True,
                capture_output=True,
                timeout=900,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            output = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")[-500:]
            raise AzuriteUnavailable(f"npm install azurite@{AZURITE_VERSION}: {output}") from exc
    return str(executable)


@dataclass(frozen=True, slots=True)
class Azurite:
    """A running Azurite Blob service."""

    url: str
    """``http://127.0.0.1:PORT`` (path-style: ``<url>/devstoreaccount1/<container>/<blob>``)."""

    def environment(self) -> dict[str, str]:
        """The standard variables that point obstore's ``AzureStore`` here."""
        return {"AZURE_STORAGE_USE_EMULATOR": "true", "AZURITE_BLOB_STORAGE_URL": self.url}

    def create_container(self, name: str) -> None:
        """Create a container (a SharedKey-signed ``PUT ?restype=container``: obstore has no
        call for it)."""
        self._request("PUT", f"/{ACCOUNT}/{name}", {"restype": "container"})

    def get_blob(self, container: str, name: str) -> bytes:
        """A blob's bytes, read with a request of our own (independent of obstore)."""
        return self._request("GET", f"/{ACCOUNT}/{container}/{name}", {})

    def _request(self, method: str, path: str, query: dict[str, str]) -> bytes:
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": "2021-08-06"}
        canonical_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
        canonical_resource = f"/{ACCOUNT}{path}" + "".join(
            f"\n{k}:{v}" for k, v in sorted(query.items())
        )
        # Content-Length is empty for 0 (version 2015-02-21 and later)
        to_sign = f"{method}\n" + "\n" * 11 + canonical_headers + canonical_resource
        signature = base64.b64encode(
            hmac.new(base64.b64decode(ACCOUNT_KEY), to_sign.encode(), hashlib.sha256).digest()
        ).decode()
        headers["Authorization"] = f"SharedKey {ACCOUNT}:{signature}"
        url = (
            self.url
            + urllib.request.quote(path)
            + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        )
        request = urllib.request.Request(url, method=method, headers=headers, data=None)
        if method == "PUT":
            request.add_header("Content-Length", "0")
        with urllib.request.urlopen(request, timeout=30) as answer:
            data: bytes = answer.read()
            return data


@contextmanager
def run_azurite(*, timeout: float = 60.0) -> Iterator[Azurite]:
    """Run Azurite's Blob service on 127.0.0.1 (a free port, its data in a temporary
    directory) for the block."""
    executable = azurite_executable()
    with tempfile.TemporaryDirectory(prefix="azurite-") as workspace:
        process = subprocess.Popen(
            [
                executable,
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--location",
                workspace,
                "--skipApiVersionCheck",
                "--disableProductStyleUrl",
                "--silent",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + timeout
            url = None
            seen: list[str] = []
            assert process.stdout is not None
            while url is None and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                seen.append(line)
                match = _LISTENING.search(line)
                if match:
                    url = match.group(1).rstrip("/")
            if url is None:
                raise AzuriteUnavailable(f"azurite did not start: {''.join(seen)[-2000:]}")
            yield Azurite(url)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == "__main__":
    print(install(), file=sys.stderr)
