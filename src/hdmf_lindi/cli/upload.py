"""``hdmf-lindi upload SRC DEST``: a local LINDI file and its local blobs to cloud storage."""

from __future__ import annotations

import argparse

from hdmf_lindi.cli._types import add_dandi_api_arguments, positive_int

__all__ = ["register_upload"]


def _run_upload(args: argparse.Namespace) -> int:
    from hdmf_lindi.transfer import upload

    if args.dest.startswith("dandi://"):
        from hdmf_lindi.transfer.dandi import upload_to_dandi

        result = upload_to_dandi(
            args.src,
            args.dest,
            api_url=args.dandi_api,
            token_variable=args.dandi_token_variable,
            concurrency=args.concurrency,
            progress=False if args.quiet else None,
        )
        print(f"{args.dest}: {result.url} ({result.blobs_sent} of {result.blobs} blobs sent)")
        return 0
    result = upload(
        args.src,
        args.dest,
        concurrency=args.concurrency,
        progress=False if args.quiet else None,
        absolute_refs=args.absolute_refs,
    )
    print(
        f"{result.url}: {result.blobs_sent} of {result.blobs} blobs sent "
        f"({result.bytes_sent} bytes)"
    )
    return 0


def register_upload(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``upload`` subcommand."""
    parser = sub.add_parser(
        "upload",
        help="upload a .lindi.json (with staged chunks), .lindi.d or .lindi.tar and its blobs",
        description=(
            "Blobs go first, to <dest dir>/blobs/sha1/<sha1> (or inside a .lindi.d "
            "destination), then the document with refs rewritten; a rerun sends only what is "
            "missing. Credentials and endpoints come from AWS_*/GOOGLE_*/AZURE_* variables."
        ),
    )
    parser.add_argument("src", help="local .lindi.json, .lindi.d or .lindi.tar")
    parser.add_argument(
        "dest",
        help="s3://, gs://, az:// or http(s):// URL ending in .lindi.json or .lindi.d, or "
        "dandi://<dandiset>/<path>.lindi.json",
    )
    parser.add_argument(
        "-j", "--concurrency", type=positive_int, default=8, help="blobs sent at once (default 8)"
    )
    parser.add_argument(
        "--absolute-refs",
        action="store_true",
        help="refs name the blobs' full URLs (default: relative ./blobs/sha1/...)",
    )
    add_dandi_api_arguments(parser, "for dandi:// destinations")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_run_upload)
