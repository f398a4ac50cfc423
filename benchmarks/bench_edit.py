"""Edit a file in place through the h5py API: delete and move groups one by one in a LINDI file
(``LindiH5pyFile``, ``r+``) vs an HDF5 file (``h5py.File``), side by side in one run (ratios to
h5py).

The file holds ``--groups`` groups, each with an attribute and a small dataset, and
``--links`` soft links (to every tenth group). Half of the groups are deleted one by one, then
a quarter moved one by one; the file is closed (saved) at the end of each case. A delete or
move must find the soft links that point into the object (LINDI keeps a second name of an
object as a soft link and moves the object there when its first name goes): this once walked
the whole file for every delete.

    python benchmarks/bench_edit.py [--groups 4000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _support import WORK_DIR, Result, print_table, timed


def _fill(f: Any, groups: int) -> None:
    import h5py

    for i in range(groups):
        group = f.create_group(f"g{i:05d}")
        group.attrs["index"] = i
        group.create_dataset("d", data=[i, i + 1, i + 2])
    for i in range(0, groups, 10):
        f[f"link{i:05d}"] = h5py.SoftLink(f"/g{i:05d}/d")


def _edit(f: Any, groups: int, action: str) -> None:
    if action == "delete":
        for i in range(1, groups, 2):
            del f[f"g{i:05d}"]
    else:
        for i in range(1, groups, 4):
            f.move(f"g{i:05d}", f"moved{i:05d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per case")
    args = parser.parse_args()

    import h5py

    import hdmf_lindi

    work = WORK_DIR / "edit"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    def lindi_open(path: Path, mode: str) -> Any:
        return hdmf_lindi.LindiH5pyFile.from_lindi_file(str(path), mode=mode)

    openers: dict[str, tuple[str, Callable[[Path, str], Any]]] = {
        "h5py (.h5)": (".h5", lambda path, mode: h5py.File(path, mode)),
        "LindiH5pyFile (.lindi.json)": (".lindi.json", lindi_open),
        "LindiH5pyFile (.lindi.tar)": (".lindi.tar", lindi_open),
    }
    for action in ("delete", "move"):
        results = []
        for name, (suffix, opener) in openers.items():
            best = float("inf")
            for run in range(args.repeat):
                path = work / f"{action}-{run}{suffix}"
                with opener(path, "w") as f:
                    _fill(f, args.groups)

                def edit(path: Path = path, opener: Any = opener, action: str = action) -> None:
                    with opener(path, "r+") as f:
                        _edit(f, args.groups, action)

                _, seconds = timed(edit)
                best = min(best, seconds)
            count = args.groups // 2 if action == "delete" else args.groups // 4
            results.append(Result(name, best, note=f"{count} {action}s, {args.groups} groups"))
        print_table(f"{action} groups one by one", results, baseline="h5py (.h5)")
        print()


if __name__ == "__main__":
    main()
