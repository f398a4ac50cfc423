"""``hdmf-lindi cache info|clear``: the local byte-range cache (``LocalCache``)."""

from __future__ import annotations

import argparse

__all__ = ["register_cache"]


def _run_cache(args: argparse.Namespace) -> int:
    from hdmf_lindi.cli.info import format_size
    from hdmf_lindi.errors import LindiSourceError
    from hdmf_lindi.storage.cache import LocalCache, default_cache_dir

    directory = args.cache_dir or default_cache_dir()
    cache = LocalCache(cache_dir=directory)
    try:
        if args.action == "clear":
            try:
                cleared = format_size(cache.total_bytes)
            except LindiSourceError as exc:
                cleared = f"an unreadable database ({exc})"
            cache.clear()
            print(f"{cache.database_path}: cleared {cleared}")
            return 0
        print(f"directory: {cache.cache_dir}")
        print(f"database: {cache.database_path}")
        print(f"entries: {len(cache)}")
        print(f"stored: {format_size(cache.total_bytes)} ({cache.total_bytes} bytes)")
        print(f"limit: {format_size(cache.max_size_bytes)} (least recently used evicted beyond)")
        return 0
    finally:
        cache.close()


def register_cache(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cache`` subcommand."""
    parser = sub.add_parser("cache", help="show or clear the local cache of remote byte ranges")
    parser.add_argument(
        "action",
        choices=("info", "clear"),
        help="info: where the cache is, its entries and size; clear: remove every entry",
    )
    parser.add_argument(
        "--cache-dir",
        help="cache directory (default $XDG_CACHE_HOME/hdmf_lindi, else ~/.cache/hdmf_lindi)",
    )
    parser.set_defaults(handler=_run_cache)
