"""HDF5 -> .lindi.json conversion of a remote NWB file: hdmf_lindi vs the original lindi 0.4.6
vs kerchunk's SingleHdf5ToZarr vs VirtualiZarr's HDF parser (the whole hierarchy, links and
references kept: ``HDFParser(links_and_references=True)``).

The sample NWB file (see ``_support.SCALES``) is served from 127.0.0.1 with injected latency per
request; each tool converts it from its URL. Reported: wall time, requests the server saw, and
ratios to lindi 0.4.6.

    python benchmarks/bench_convert.py [--scale small|full] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _support import WORK_DIR, Result, print_table, run_upstream, sample_nwb, served, timed

UPSTREAM_CONVERT = r"""
import json, sys, time
import lindi
url, out = sys.argv[1], sys.argv[2]
start = time.perf_counter()
client = lindi.LindiH5pyFile.from_hdf5_file(url)
client.write_lindi_file(out)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def _count_refs(path: Path) -> int:
    return len(json.loads(path.read_text())["refs"])


def _virtualizarr(url: str, server_url: str, requests: list[object]) -> Result | None:
    """VirtualiZarr 2.8's HDF parser over the same URL (obstore's HTTP store), or ``None`` when
    it is not installed or fails (reported, not hidden)."""
    try:
        from obspec_utils.registry import ObjectStoreRegistry
        from obstore.store import HTTPStore
        from virtualizarr.parsers import HDFParser
    except ImportError as exc:  # pragma: no cover - optional
        print(f"virtualizarr not available: {exc}", file=sys.stderr)
        return None
    requests.clear()

    def parse() -> object:
        store = HTTPStore.from_url(server_url, client_options={"allow_http": True})
        registry = ObjectStoreRegistry({server_url: store})
        return HDFParser(links_and_references=True)(url, registry)

    try:
        _, seconds = timed(parse)
    except Exception as exc:
        print(f"virtualizarr failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    return Result("VirtualiZarr 2.8 HDFParser", seconds, len(requests), "ManifestStore in memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--skip-upstream", action="store_true")
    parser.add_argument("--skip-kerchunk", action="store_true")
    parser.add_argument("--skip-virtualizarr", action="store_true")
    parser.add_argument(
        "--skip-all-chunks",
        action="store_true",
        help="skip the variant listing every chunk (it reads the whole chunk index)",
    )
    args = parser.parse_args()

    from hdmf_lindi.hdf5 import convert

    source = sample_nwb(args.scale)
    out_dir = WORK_DIR / "convert-out"
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    with served(source.parent, args.latency) as server:
        url = server.url_for(source.name)

        server.requests.clear()
        dest = out_dir / "hdmf_lindi.lindi.json"
        _, seconds = timed(lambda: convert(url, dest))
        results.append(
            Result("hdmf_lindi", seconds, len(server.requests), f"{_count_refs(dest)} refs")
        )

        if not args.skip_all_chunks:
            server.requests.clear()
            dest_all = out_dir / "hdmf_lindi-all-chunks.lindi.json"
            _, seconds = timed(lambda: convert(url, dest_all, num_chunks_threshold=None))
            results.append(
                Result(
                    "hdmf_lindi (every chunk listed)",
                    seconds,
                    len(server.requests),
                    f"{_count_refs(dest_all)} refs",
                )
            )

        if not args.skip_upstream:
            server.requests.clear()
            dest_up = out_dir / "lindi-0.4.6.lindi.json"
            reply = run_upstream(UPSTREAM_CONVERT, url, str(dest_up), timeout=3600)
            results.append(
                Result(
                    "lindi 0.4.6",
                    reply["seconds"],
                    len(server.requests),
                    f"{_count_refs(dest_up)} refs",
                )
            )

        if not args.skip_kerchunk:
            try:
                import fsspec
                from kerchunk.hdf import SingleHdf5ToZarr
            except ImportError as exc:  # pragma: no cover - optional
                print(f"kerchunk not available: {exc}", file=sys.stderr)
            else:
                server.requests.clear()

                def run_kerchunk() -> dict[str, object]:
                    with fsspec.open(url, "rb") as f:
                        return SingleHdf5ToZarr(f, url, inline_threshold=4096).translate()

                try:
                    refs, seconds = timed(run_kerchunk)
                    results.append(
                        Result(
                            "kerchunk SingleHdf5ToZarr",
                            seconds,
                            len(server.requests),
                            f"{len(refs['refs'])} refs",
                        )
                    )
                except Exception as exc:  # kerchunk's own limitations are reported, not hidden
                    print(f"kerchunk failed: {type(exc).__name__}: {exc}", file=sys.stderr)

        if not args.skip_virtualizarr:
            result = _virtualizarr(url, server.url, server.requests)
            if result is not None:
                results.append(result)

    baseline = "lindi 0.4.6" if any(r.name == "lindi 0.4.6" for r in results) else "hdmf_lindi"
    print_table(
        f"Convert a remote NWB file to .lindi.json ({args.scale} sample, "
        f"{source.stat().st_size / 1e6:.0f} MB, "
        f"{args.latency * 1000:.0f} ms latency)",
        results,
        baseline,
    )


if __name__ == "__main__":
    main()
