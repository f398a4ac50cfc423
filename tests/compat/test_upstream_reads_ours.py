"""The original lindi 0.4.6 reads what we write (run in its own virtual environment)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import hdmf_lindi  # noqa: F401
from hdmf_lindi.conventions.model import DataKind, DatasetInfo, NodeKind, Reference
from hdmf_lindi.hierarchy import Hierarchy
from hdmf_lindi.storage.store import LindiStore
from tests.compat.upstream_dump import UPSTREAM_DUMP_SCRIPT
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream

pytestmark = pytest.mark.upstream


def _norm(value: Any) -> Any:
    if isinstance(value, Reference):
        return {"ref": value.path}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        if value.dtype.names:
            return [[_norm(x) for x in row] for row in value.tolist()]
        return [_norm(x) for x in value.tolist()] if value.ndim else _norm(value[()])
    if isinstance(value, (list, tuple)):
        return [_norm(x) for x in value]
    if isinstance(value, np.generic):
        return _norm(value.item())
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def our_dump(h: Hierarchy) -> dict[str, Any]:
    """Our side of the comparison, in the upstream script's form (links followed like h5py)."""
    out: dict[str, Any] = {}

    def visit(path: str) -> None:
        node = h.resolve(path)
        assert node is not None
        entry: dict[str, Any] = {"attrs": {k: _norm(v) for k, v in node.attrs.items()}}
        if node.kind is NodeKind.DATASET:
            assert node.dataset is not None
            entry["shape"] = list(node.dataset.shape)
            entry["value"] = _norm(h.read(path, ()))
        out[path] = entry
        if node.kind is NodeKind.GROUP:
            for name in h.children(node.path):
                child = f"{path.rstrip('/')}/{name}"
                if h.node(child) is not None and h.node(child).kind is NodeKind.SOFT_LINK:  # type: ignore[union-attr]
                    continue  # h5py's visititems does not follow soft links
                visit(child)

    visit("/")
    return out


def _write_content(h: Hierarchy) -> None:
    rng = np.random.default_rng(3)
    h.create_group("/grp", {"i": 7, "s": "hello", "farr": np.array([1.5, np.nan, np.inf])})
    h.create_dataset(
        "/grp/big",
        DatasetInfo(shape=(300, 200), dtype=np.dtype("<f4"), chunks=(100, 100)),
        data=rng.normal(size=(300, 200)).astype("<f4"),
        attrs={"unit": "m"},
    )
    h.create_dataset("/small", DatasetInfo(shape=(10,), dtype=np.dtype("<i8")), data=np.arange(10))
    h.create_dataset("/scalar", DatasetInfo(shape=(), dtype=np.dtype("<f8")), data=3.14)
    h.create_dataset(
        "/strscalar",
        DatasetInfo(shape=(), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING),
        data="a string",
    )
    h.create_dataset(
        "/vlenstr",
        DatasetInfo(shape=(3,), dtype=h5py.string_dtype(), kind=DataKind.VLEN_STRING),
        data=["x", "yy", "zzz"],
    )
    h.create_dataset("/fixstr", DatasetInfo(shape=(2,), dtype=np.dtype("S2")), data=[b"ab", b"cd"])
    h.create_dataset("/bools", DatasetInfo(shape=(2,), dtype=np.dtype("?")), data=[True, False])
    h.create_dataset("/empty", DatasetInfo(shape=(0,), dtype=np.dtype("<f8")))
    h.create_dataset(
        "/refs",
        DatasetInfo(shape=(2,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE),
        data=[Reference("/scalar"), Reference("/grp")],
    )
    h.create_dataset(
        "/nullrefs",
        DatasetInfo(shape=(2,), dtype=h5py.ref_dtype, kind=DataKind.REFERENCE),
        data=[None, Reference("/grp")],
    )
    compound = np.dtype([("idx", "<i4"), ("val", "<f8"), ("r", h5py.ref_dtype)])
    h.create_dataset(
        "/compound",
        DatasetInfo(
            shape=(2,),
            dtype=compound,
            kind=DataKind.COMPOUND,
            compound_fields=(("idx", "int32"), ("val", "float64"), ("r", "<REFERENCE>")),
        ),
        data=np.array(
            [(1, 2.0, Reference("/grp")), (2, 3.0, Reference("/scalar"))], dtype=compound
        ),
    )
    h.set_attrs("/grp", {"ref": Reference("/scalar")})
    h.create_soft_link("/soft", "/grp")


@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.d", ".lindi.tar"])
def test_lindi_0_4_6_reads_what_the_hierarchy_writes(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ours{suffix}"
    kwargs: dict[str, Any] = {"inline_threshold": None} if suffix == ".lindi.json" else {}
    store = LindiStore.open(path, mode="w", **kwargs)
    h = Hierarchy(store)
    _write_content(h)
    h.flush()
    if suffix != ".lindi.json":
        # the six chunks of /grp/big went out as one pack: byte ranges of one blob
        refs = [store.reference_map.get_raw(f"grp/big/{i}.{j}") for i in range(3) for j in range(2)]
        assert len({ref[0] for ref in refs}) == 1
        assert [ref[1] for ref in refs] == [sum(r[2] for r in refs[:k]) for k in range(6)]
    store.close()
    ours = our_dump(Hierarchy(LindiStore.open(path, mode="r")))
    try:
        theirs = run_upstream(UPSTREAM_DUMP_SCRIPT, str(path))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    assert set(theirs) == set(ours)
    # lindi 0.4.6 shows the attribute dtypes record as an ordinary attribute (string pairs)
    assert theirs["/grp"]["attrs"].pop("_ATTRIBUTE_DTYPES") == [["farr", "float64"], ["i", "int64"]]
    for key in ("/refs", "/nullrefs"):
        # lindi 0.4.6 shows the reference dataset marker as an ordinary attribute
        assert theirs[key]["attrs"].pop("_DTYPE") == "object_reference"
    for key in ours:
        record = theirs[key]["attrs"].pop("_ATTRIBUTE_DTYPES", [])
        assert {name for name, _ in record} <= set(ours[key]["attrs"]), key
        assert theirs[key] == ours[key], key
