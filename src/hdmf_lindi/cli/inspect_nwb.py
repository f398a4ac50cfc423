"""``hdmf-lindi inspect``: the NWB Inspector's best-practice checks on a file read through
:class:`~hdmf_lindi.io.LindiIO` (LINDI or HDF5, local or URL).

nwbinspector (an optional extra: ``pip install hdmf-lindi[inspect]``) reads local files through
pynwb's backend choice, which does not know LINDI files; this command reads the file with
LindiIO, validates it with pynwb's validator, runs nwbinspector's checks on the NWBFile, and prints
the report as ``nwbinspector`` does (exit code 0, as ``nwbinspector``'s).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["inspect_messages", "register_inspect_nwb"]


@contextmanager
def _locations_of_lindi_datasets() -> Iterator[None]:
    """nwbinspector names where a finding is from the object's h5py dataset or zarr array
    fields (``nwbinspector._registration._parse_location``); LindiIO's datasets are neither, so
    the location is taken from them the same way (the dataset's parent path)."""
    from nwbinspector import _registration

    from hdmf_lindi.io.datasets import LindiDataset

    original = _registration._parse_location

    def parse_location(neurodata_object: object) -> str | None:
        location = original(neurodata_object)
        if location is not None:
            return location
        for field in getattr(neurodata_object, "fields", {}).values():
            if isinstance(field, LindiDataset):
                parent = field.path.rsplit("/", 1)[0]
                return parent or "/"
        return None

    _registration._parse_location = parse_location
    try:
        yield
    finally:
        _registration._parse_location = original


def inspect_messages(
    path: str,
    *,
    config: str | None = None,
    ignore: list[str] | None = None,
    select: list[str] | None = None,
    importance_threshold: str = "BEST_PRACTICE_SUGGESTION",
    skip_validate: bool = False,
) -> Iterator[Any]:
    """Yield nwbinspector's ``InspectorMessage`` objects for the file at ``path``.

    Parameters
    ----------
    path
        A LINDI or HDF5 NWB file: path or URL.
    config
        An nwbinspector configuration: a YAML path or a keyword such as ``"dandi"``.
    ignore, select
        Names of checks to skip / to run alone.
    importance_threshold
        The least important level reported (an ``nwbinspector.Importance`` name).
    skip_validate
        Do not run pynwb's schema validator.
    """
    import pynwb
    from nwbinspector import Importance, InspectorMessage, inspect_nwbfile_object, load_config

    from hdmf_lindi.io import LindiIO
    from hdmf_lindi.io.errors import LindiNotNWBError

    with LindiIO(path, "r") as io, _locations_of_lindi_datasets():
        if io.nwb_version[1] is None:
            raise LindiNotNWBError(f"{path}: not an NWB file (no nwb_version attribute)")
        if not skip_validate:
            for error in pynwb.validate(io=io):
                yield InspectorMessage(
                    message=error.reason,
                    importance=Importance.PYNWB_VALIDATION,
                    check_function_name=error.name,
                    location=error.location,
                    file_path=path,
                )
        nwbfile = io.read()
        for message in inspect_nwbfile_object(
            nwbfile_object=nwbfile,
            config=None if config is None else load_config(filepath_or_keyword=config),
            ignore=ignore,
            select=select,
            importance_threshold=Importance[importance_threshold],
        ):
            message.file_path = path
            yield message


def _split(text: str | None) -> list[str] | None:
    return None if text is None else text.split(",")


def _run_inspect(args: argparse.Namespace) -> int:
    try:
        from nwbinspector import format_messages, print_to_console
    except ImportError:
        print(
            "hdmf-lindi: error: `inspect` needs nwbinspector: pip install hdmf-lindi[inspect]",
            flush=True,
        )
        return 1
    messages = list(
        inspect_messages(
            args.path,
            config=args.config,
            ignore=_split(args.ignore),
            select=_split(args.select),
            importance_threshold=args.threshold,
            skip_validate=args.skip_validate,
        )
    )
    print_to_console(
        formatted_messages=format_messages(
            messages=messages, levels=["importance", "file_path"], nfiles_detected=1
        )
    )
    return 0


def register_inspect_nwb(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``inspect`` subcommand."""
    parser = sub.add_parser(
        "inspect",
        help="the NWB Inspector's checks on a LINDI or HDF5 NWB file, read through LindiIO",
    )
    parser.add_argument("path", help="a LINDI or HDF5 NWB file: path or URL")
    parser.add_argument("--config", help="an nwbinspector configuration (YAML path or 'dandi')")
    parser.add_argument("--ignore", help="comma-separated names of checks to skip")
    parser.add_argument("--select", help="comma-separated names of the only checks to run")
    parser.add_argument(
        "--threshold",
        default="BEST_PRACTICE_SUGGESTION",
        choices=["CRITICAL", "BEST_PRACTICE_VIOLATION", "BEST_PRACTICE_SUGGESTION"],
        help="the least important level to report",
    )
    parser.add_argument(
        "--skip-validate", action="store_true", help="do not run pynwb's schema validator"
    )
    parser.set_defaults(handler=_run_inspect)
