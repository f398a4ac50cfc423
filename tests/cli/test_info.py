"""``hdmf-lindi info`` over links, references, compound data and enums (read through the
conventions, not by parsing special attributes)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from hdmf_lindi.cli.info import TreeLine, describe_tree, format_size
from hdmf_lindi.cli.main import main
from hdmf_lindi.hdf5.convert import translate_source


@pytest.fixture
def linked_h5(tmp_path: Path) -> Path:
    path = tmp_path / "linked.h5"
    with h5py.File(path, "w") as f:
        f.attrs["title"] = "linked"
        data = f.create_dataset(
            "grp/data", data=np.arange(4000, dtype="<i2"), chunks=(1000,), compression="gzip"
        )
        data.attrs["unit"] = "V"
        refs = f.create_dataset("grp/refs", shape=(2,), dtype=h5py.ref_dtype)
        refs[0] = f["grp"].ref
        refs[1] = data.ref
        compound = np.dtype([("idx", "<i4"), ("target", h5py.ref_dtype)])
        table = f.create_dataset("table", shape=(2,), dtype=compound)
        table[0] = (1, data.ref)
        table[1] = (2, f["grp"].ref)
        f.create_dataset(
            "state", data=np.array([0, 1], "u1"), dtype=h5py.enum_dtype({"off": 0, "on": 1}, "u1")
        )
        f.create_dataset("ascii", data=[b"x", b"yz"], dtype=h5py.string_dtype("ascii"))
        f["soft"] = h5py.SoftLink("/grp/data")
        f["external"] = h5py.ExternalLink("other.h5", "/acquisition/ts")
    return path


def _lines(path: Path) -> dict[str, TreeLine]:
    ref_map = translate_source(path, options=None).reference_map
    return {line.name: line for line in describe_tree(ref_map)}


def test_describe_tree_links_references_compound(linked_h5: Path) -> None:
    lines = _lines(linked_h5)
    assert lines["external"].description == "-> other.h5:/acquisition/ts (external link)"
    assert lines["soft"].description == "-> /grp/data (soft link)"
    assert lines["grp/"].description == "group, 0 attributes"
    assert lines["grp/"].depth == 0 and lines["data"].depth == 1
    assert lines["data"].description.startswith(
        "shape (4000,), dtype <i2, chunks (1000,): 4/4 stored"
    )
    assert lines["data"].description.endswith("codecs zlib")
    assert lines["refs"].description.startswith("shape (2,), dtype object reference")
    assert lines["table"].description.startswith(
        "shape (2,), dtype compound(idx: int32, target: <REFERENCE>)"
    )
    assert lines["state"].description.startswith("shape (2,), dtype enum(|u1: off, on)")
    assert lines["ascii"].description.startswith("shape (2,), dtype str (variable length)")
    assert lines["table"].description.endswith("codecs json2+blosc")


def test_info_command_on_external_links(
    linked_h5: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "linked.lindi.json"
    assert main(["convert", str(linked_h5), str(dest), "--inline-threshold", "0", "-q"]) == 0
    capsys.readouterr()
    assert main(["info", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "  external  -> other.h5:/acquisition/ts (external link)" in out
    assert "    data  shape (4000,), dtype <i2, chunks (1000,): 4/4 stored" in out
    assert "  table  shape (2,), dtype compound(idx: int32, target: <REFERENCE>)" in out
    assert main(["info", str(linked_h5)]) == 0
    assert "external  -> other.h5:/acquisition/ts (external link)" in capsys.readouterr().out


def test_describe_tree_external_array_link(linked_h5: Path) -> None:
    from hdmf_lindi.hdf5.options import TranslateOptions

    options = TranslateOptions(num_chunks_threshold=2)
    ref_map = translate_source(linked_h5, options=options).reference_map
    lines = {line.name: line for line in describe_tree(ref_map)}
    assert lines["data"].description == (
        f"shape (4000,), dtype <i2, external array link to {linked_h5.resolve()}:/grp/data"
    )


def test_format_size() -> None:
    assert format_size(999) == "999 B"
    assert format_size(1234567) == "1.2 MB"
