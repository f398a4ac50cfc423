"""Argument types shared by the subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from hdmf_lindi._dandi_urls import DANDI_API_URL, STAGING_API_URL

__all__ = ["add_dandi_api_arguments", "non_negative_int", "positive_int"]


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}: {text!r}")
        return value

    parse.__name__ = f"int >= {minimum}"
    return parse


non_negative_int = _int_at_least(0)
"""An integer >= 0 (sizes, thresholds)."""
positive_int = _int_at_least(1)
"""An integer >= 1 (counts of concurrent requests, workers)."""


def add_dandi_api_arguments(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--dandi-api URL`` and ``--dandi-token-variable NAME``."""
    parser.add_argument(
        "--dandi-api",
        default=DANDI_API_URL,
        metavar="URL",
        help=f"DANDI API {purpose} (default {DANDI_API_URL}, token DANDI_API_KEY; staging: "
        f"{STAGING_API_URL}, token DANDI_STAGING_API_KEY)",
    )
    parser.add_argument(
        "--dandi-token-variable",
        metavar="NAME",
        help="environment variable holding the API key (required for another DANDI instance)",
    )
