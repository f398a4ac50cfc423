"""``hdmf-lindi convert-many``: many HDF5/NWB files to LINDI on dask.distributed."""

from __future__ import annotations

import argparse
import sys

from hdmf_lindi.cli._types import add_dandi_api_arguments, non_negative_int, positive_int

__all__ = ["register_convert_many"]


def _sources(args: argparse.Namespace) -> list[str]:
    sources: list[str] = []
    for item in args.sources:
        if item == "-" or item.endswith(".txt"):
            stream = sys.stdin if item == "-" else open(item, encoding="utf-8")  # noqa: SIM115
            with stream:
                sources.extend(
                    line.strip() for line in stream if line.strip() and not line.startswith("#")
                )
        else:
            sources.append(item)
    if args.dandiset:
        from hdmf_lindi.transfer.dandi_api import DandiAPI

        dandiset, _, version = args.dandiset.partition("@")
        api = DandiAPI(args.dandi_api, token_variable=args.dandi_token_variable)
        sources.extend(
            api.download_url(str(asset["asset_id"]))
            for asset in api.assets(dandiset, version or "draft")
            if str(asset.get("path", "")).endswith(".nwb")
        )
    return sources


def _run_convert_many(args: argparse.Namespace) -> int:
    from hdmf_lindi.transfer.batch import ConvertOutcome, convert_many

    sources = _sources(args)
    if not sources:
        print("hdmf-lindi: error: no sources", file=sys.stderr)
        return 1

    def report(outcome: ConvertOutcome) -> None:
        if not args.quiet:
            detail = outcome.error or f"{outcome.refs} refs, {outcome.requests} requests"
            print(f"{outcome.status:7} {outcome.seconds:7.2f} s  {outcome.source}  {detail}")

    outcomes = convert_many(
        sources,
        args.output_dir,
        scheduler=args.scheduler,
        n_workers=args.workers,
        suffix=args.suffix,
        manifest=args.manifest,
        on_outcome=report,
        inline_threshold=args.inline_threshold,
    )
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "error")}
    print(f"{counts['ok']} converted, {counts['skipped']} skipped, {counts['error']} failed")
    return 2 if counts["error"] else 0


def register_convert_many(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``convert-many`` subcommand."""
    parser = sub.add_parser(
        "convert-many",
        help="convert many HDF5/NWB files (paths, URLs, a list file, a dandiset) on dask",
        description=(
            "One task per file on dask.distributed; a failing file is a row of the report "
            "(exit status 2), outputs that exist are skipped, outcomes are appended to a "
            "JSON-lines manifest."
        ),
    )
    parser.add_argument(
        "sources", nargs="*", help="paths or URLs; a *.txt file or - lists one per line"
    )
    parser.add_argument("-o", "--output-dir", required=True, help="directory of the outputs")
    parser.add_argument("--scheduler", help="tcp://host:port of a running dask scheduler")
    parser.add_argument(
        "--workers", type=positive_int, default=2, help="workers of the local cluster (default 2)"
    )
    parser.add_argument(
        "--suffix",
        default=".lindi.json",
        choices=(".lindi.json", ".lindi.tar", ".lindi.d"),
        help="output kind (default .lindi.json)",
    )
    parser.add_argument("--manifest", help="manifest path (default OUTPUT_DIR/manifest.jsonl)")
    parser.add_argument(
        "--inline-threshold",
        type=non_negative_int,
        default=4096,
        metavar="N",
        help="store datasets smaller than N bytes inline (default 4096)",
    )
    parser.add_argument("--dandiset", metavar="ID[@VERSION]", help="every .nwb asset of it")
    add_dandi_api_arguments(parser, "for --dandiset")
    parser.add_argument("-q", "--quiet", action="store_true", help="only the summary line")
    parser.set_defaults(handler=_run_convert_many)
