"""``hdmf-lindi validate``: ``pynwb validate`` for LINDI files.

pynwb chooses the IO class for a path from a fixed list (``pynwb._get_backend``: ``NWBHDF5IO`` or
``NWBZarrIO``), so its validator refuses ``.lindi.json``/``.lindi.tar``/``.lindi.d`` files
(docs/upstream.md proposes a plugin hook). This command runs pynwb's own command line with LINDI
paths and URLs routed to :class:`~hdmf_lindi.io.LindiIO`: the same options, output and exit codes
as ``pynwb validate``; HDF5 and Zarr files go where pynwb sends them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hdmf_lindi.errors import LindiError

__all__ = ["lindi_files_read_by_lindi_io", "register_validate", "run_validate"]


def _is_lindi(path: str) -> bool:
    from hdmf_lindi.opening import FileKind, file_kind
    from hdmf_lindi.storage.containers import container_kind_from_suffix

    if container_kind_from_suffix(path) is not None:
        return True
    try:
        return file_kind(path) is FileKind.LINDI
    except (LindiError, OSError):
        return False


@contextmanager
def lindi_files_read_by_lindi_io() -> Iterator[None]:
    """While active, pynwb's backend choice (``read_nwb``, ``validate``, ``pynwb validate``)
    gives :class:`~hdmf_lindi.io.LindiIO` for LINDI files."""
    import pynwb

    from hdmf_lindi.io import LindiIO

    original: Callable[..., Any] = pynwb._get_backend

    def get_backend(path: str, method: str | None = None) -> Any:
        if method is None and _is_lindi(os.fspath(path)):
            return LindiIO
        return original(path, method=method)

    pynwb._get_backend = get_backend
    try:
        yield
    finally:
        pynwb._get_backend = original


def run_validate(arguments: Sequence[str]) -> int:
    """Run ``pynwb validate`` with ``arguments`` (LINDI files read by LindiIO); return its exit
    code."""
    from pynwb.validation_cli import validation_cli

    saved_argv = sys.argv
    sys.argv = ["hdmf-lindi validate", *arguments]
    try:
        with lindi_files_read_by_lindi_io():
            validation_cli()
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved_argv
    return 0


def register_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``validate`` subcommand."""
    parser = sub.add_parser(
        "validate",
        help="validate NWB files (LINDI, HDF5 or Zarr) against their schema: `pynwb validate`",
        description="pynwb's validator, reading LINDI files through LindiIO; takes the "
        "arguments of `pynwb validate` (paths, -n/--ns, --no-cached-namespace, "
        "-lns/--list-namespaces, --json-output-path).",
        add_help=False,
    )
    # what follows ``validate`` goes to pynwb's parser as it is (see ``main``)
    parser.add_argument("pynwb_arguments", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=lambda args: run_validate(args.pynwb_arguments))
