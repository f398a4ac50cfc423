"""The ``hdmf-lindi`` command line: ``convert``, ``info``, ``demo``, ``validate``, ``inspect``,
``upload``, ``download``, ``cache`` and ``convert-many`` (more subcommands register in
:data:`SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hdmf_lindi.cli._types import non_negative_int
from hdmf_lindi.conventions import DEFAULT_CONVENTIONS, UNIFIED_ZARR_V3_CONVENTIONS
from hdmf_lindi.errors import LindiError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

type Handler = Callable[[argparse.Namespace], int]
type Registrar = Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


@contextmanager
def _progress(enabled: bool, description: str) -> Iterator[Callable[[str], None] | None]:
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=description, unit=" objects", file=sys.stderr, leave=False) as bar:
        yield lambda _path: bar.update(1)


def _run_convert(args: argparse.Namespace) -> int:
    from hdmf_lindi.hdf5 import convert

    if _is_lindi_or_zarr(args.src):
        # a LINDI file or a plain Zarr v3 directory: re-laid out in the chosen flavour
        from hdmf_lindi.transcode import transcode

        transcode(args.src, args.dest, conventions=args.conventions)
        if args.verbose:
            print(f"wrote {args.dest}", file=sys.stderr)
        return 0

    options: dict[str, Any] = {
        "inline_threshold": args.inline_threshold,
        "max_chunk_bytes": args.max_chunk_bytes,
        "unsupported": args.unsupported,
        "conventions": args.conventions,
    }
    if args.num_chunks_threshold is not None:
        options["num_chunks_threshold"] = args.num_chunks_threshold or None
    if args.creation_time:
        options["creation_time"] = args.creation_time
    with _progress(not args.quiet and sys.stderr.isatty(), "converting") as on_object:
        result = convert(
            args.src, args.dest, on_object=on_object, allow_local=args.allow_local, **options
        )
    if args.verbose:
        ref_map = result.reference_map
        print(f"wrote {args.dest}: {len(ref_map)} refs", file=sys.stderr)
        if result.request_count is not None:
            print(f"remote requests: {result.request_count}", file=sys.stderr)
    return 0


def _is_lindi_or_zarr(source: str) -> bool:
    """Whether ``source`` names a LINDI file (by its suffix), a local directory (a
    ``.lindi.d`` or a plain Zarr v3 directory) or a zip of a Zarr v3 hierarchy; anything else
    is converted as HDF5."""
    from hdmf_lindi.storage.containers import container_kind_from_suffix
    from hdmf_lindi.storage.zarr_directory import is_zarr_zip

    if container_kind_from_suffix(source) is not None:
        return True
    return "://" not in source and (os.path.isdir(source) or is_zarr_zip(source))


def _is_hdf5(source: str) -> bool:
    if "://" in source:
        return not source.rstrip("/").endswith((".json", ".tar", ".lindi.d", ".d"))
    if os.path.isdir(source):
        return False
    try:
        with open(source, "rb") as f:
            return f.read(8) == _HDF5_SIGNATURE
    except OSError as exc:
        from hdmf_lindi.errors import LindiSourceError

        raise LindiSourceError(f"{source}: cannot be read ({exc.strerror or exc})") from exc


def _run_info(args: argparse.Namespace) -> int:
    from hdmf_lindi.cli.info import describe_tree
    from hdmf_lindi.storage.zarr_directory import (
        is_zarr_directory,
        is_zarr_zip,
        load_zarr_directory,
        load_zarr_zip,
    )

    request_count = None
    if _is_hdf5(args.file):
        from hdmf_lindi.hdf5 import translate_source

        with _progress(sys.stderr.isatty(), "reading") as on_object:
            result = translate_source(args.file, on_object=on_object)
        ref_map = result.reference_map
        request_count = result.request_count
        kind = "HDF5"
    elif is_zarr_directory(args.file):
        ref_map = load_zarr_directory(args.file)
        kind = "Zarr v3 directory"
    elif is_zarr_zip(args.file):
        ref_map = load_zarr_zip(args.file)
        kind = "Zarr v3 zip"
    else:
        from hdmf_lindi.storage.store import LindiStore

        store = LindiStore.open(args.file, "r")
        ref_map = store.reference_map
        kind = "LINDI"
    print(f"{args.file} ({kind}, {len(ref_map)} refs)")
    for line in describe_tree(ref_map):
        print(f"{'  ' * (line.depth + 1)}{line.name}  {line.description}")
    if request_count is not None:
        print(f"remote requests: {request_count}")
    return 0


def _register_convert(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "convert",
        help="convert an HDF5/NWB file (path or URL), a LINDI file or a Zarr v3 directory to "
        ".lindi.json/.lindi.d/.lindi.tar",
    )
    parser.add_argument(
        "src",
        help="HDF5/NWB file (local path or http(s)/s3 URL), LINDI file, or Zarr v3 directory "
        "(e.g. *.nwb.zarr written by hdmf-zarr)",
    )
    parser.add_argument("dest", help="output: *.lindi.json, *.lindi.d or *.lindi.tar")
    parser.add_argument(
        "--inline-threshold",
        type=non_negative_int,
        default=4096,
        metavar="N",
        help="store datasets smaller than N bytes inline (default 4096)",
    )
    parser.add_argument(
        "--max-chunk-bytes",
        type=non_negative_int,
        default=20_000_000,
        metavar="N",
        help="split contiguous datasets into chunks of at most N bytes (default 20000000)",
    )
    parser.add_argument(
        "--num-chunks-threshold",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="datasets with more chunks become external array links; 0: no limit (default "
        "1000 for lindi-v1, no limit for unified-zarr-v3)",
    )
    parser.add_argument(
        "--conventions",
        choices=(DEFAULT_CONVENTIONS, UNIFIED_ZARR_V3_CONVENTIONS),
        default=DEFAULT_CONVENTIONS,
        help="layout of the output: lindi-v1 (Zarr v2 keys, read by lindi 0.4.6 and "
        "neurosift; the default) or unified-zarr-v3 (Zarr v3 keys, read by hdmf-zarr 0.14)",
    )
    parser.add_argument(
        "--unsupported",
        choices=("error", "external_link"),
        default="error",
        help="datasets LINDI cannot reference (unsupported filters, ...): fail, or link them",
    )
    parser.add_argument("--creation-time", help="write this as generationMetadata.creationDate")
    parser.add_argument(
        "--allow-local",
        action="store_true",
        default=None,  # not given: the default policy (a local source may link local files)
        help="let a remote source's external links name local files (refused by default)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="report refs and requests")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_run_convert)


def _register_info(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "info",
        help="print the tree of an HDF5/NWB, LINDI or Zarr v3 file with shapes, dtypes and chunks",
    )
    parser.add_argument(
        "file",
        help="HDF5/NWB, .lindi.json/.lindi.d/.lindi.tar or a Zarr v3 directory/zip: path or URL",
    )
    parser.set_defaults(handler=_run_info)


def _register_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hdmf_lindi.cli.demo import register_demo

    register_demo(sub)


def _lazy_registrar(name: str) -> Registrar:
    """``hdmf_lindi.cli.<name>.register_<name>``, imported when the parser is built."""

    def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        import importlib

        getattr(importlib.import_module(f"hdmf_lindi.cli.{name}"), f"register_{name}")(sub)

    return register


SUBCOMMANDS: list[Registrar] = [
    _register_convert,
    _register_info,
    _register_demo,
    *(
        _lazy_registrar(name)
        for name in ("validate", "inspect_nwb", "upload", "download", "cache", "convert_many")
    ),
]
"""Functions adding one subcommand each; append to add more (e.g. ``demo``)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="hdmf-lindi", description="LINDI: HDF5 as Zarr as JSON")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in SUBCOMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (1 with a one-line error on bad input)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["validate"]:
        # pynwb's own parser reads these (options may come before the paths)
        from hdmf_lindi.cli.validate import run_validate

        return run_validate(arguments[1:])
    args = build_parser().parse_args(arguments)
    handler: Handler = args.handler
    try:
        return handler(args)
    except LindiError as exc:
        print(f"hdmf-lindi: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hdmf-lindi: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
