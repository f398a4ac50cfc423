"""``hdmf-lindi download URL DEST``: a local, materialized copy of a LINDI file."""

from __future__ import annotations

import argparse

from hdmf_lindi.cli._types import positive_int

__all__ = ["register_download"]


def _run_download(args: argparse.Namespace) -> int:
    from hdmf_lindi.transfer.download import download

    result = download(
        args.url,
        args.dest,
        mirror=args.mirror,
        concurrency=args.concurrency,
        progress=False if args.quiet else None,
    )
    print(
        f"{result.path}: {result.chunks} chunks, {result.packs_fetched} of {result.packs} packs "
        f"fetched ({result.bytes_fetched} bytes)"
    )
    return 0


def register_download(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``download`` subcommand."""
    parser = sub.add_parser(
        "download",
        help="materialize a LINDI file: .lindi.tar/.lindi.d (self-contained), .lindi.json, .nwb",
        description=(
            "Every chunk is fetched (packs of up to 32 MiB, several at once) and stored in "
            "DEST; a rerun after an interruption fetches only the packs that are missing."
        ),
    )
    parser.add_argument("url", help=".lindi.json, .lindi.d or .lindi.tar: path or URL")
    parser.add_argument("dest", help="*.lindi.tar, *.lindi.d, *.lindi.json or *.nwb")
    parser.add_argument(
        "--mirror",
        metavar="DIR",
        help="for a .lindi.json DEST: store the chunks in DIR and point the refs there",
    )
    parser.add_argument(
        "-j",
        "--concurrency",
        type=positive_int,
        default=4,
        help="packs fetched at once (default 4)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_run_download)
