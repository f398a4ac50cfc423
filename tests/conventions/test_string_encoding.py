"""``_STRING_ENCODING``: the ASCII record of variable-length string datasets, in both flavours,
and lindi 0.4.6 reading files that carry it."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import pytest

from hdmf_lindi.conventions import keys
from hdmf_lindi.conventions.abc import Conventions
from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import DataKind, DatasetInfo
from hdmf_lindi.conventions.string_encoding import encode_string_encoding, vlen_string_dtype
from hdmf_lindi.conventions.unified_v3 import UnifiedZarrV3Conventions
from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.h5py_compat import LindiH5pyFile
from hdmf_lindi.storage.reference_map import ReferenceMap
from tests.helpers.upstream_lindi import UpstreamUnavailable, run_upstream


@pytest.mark.parametrize("encoding", ["ascii", "utf-8"])
@pytest.mark.parametrize("conventions", [LindiV1Conventions(), UnifiedZarrV3Conventions()])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_the_encoding_round_trips(
    conventions: Conventions, encoding: str, shape: tuple[int, ...]
) -> None:
    meta = ReferenceMap()
    info = DatasetInfo(shape=shape, dtype=h5py.string_dtype(encoding), kind=DataKind.VLEN_STRING)
    conventions.write_dataset(meta, "/x", info)
    node = conventions.read_node(meta, "/x")
    assert node is not None and node.dataset is not None
    assert h5py.check_string_dtype(node.dataset.dtype).encoding == encoding
    assert keys.STRING_ENCODING not in node.attrs


def test_only_ascii_is_recorded() -> None:
    special: dict[str, object] = {}
    encode_string_encoding(h5py.string_dtype(), special)
    assert special == {}
    encode_string_encoding(h5py.string_dtype("ascii"), special)
    assert special == {keys.STRING_ENCODING: "ascii"}


def test_an_unknown_encoding_is_a_format_error() -> None:
    with pytest.raises(LindiFormatError, match=r"file\.lindi\.json:/x: _STRING_ENCODING"):
        vlen_string_dtype({keys.STRING_ENCODING: "latin-1"}, where="file.lindi.json:/x")
    assert vlen_string_dtype({}) == h5py.string_dtype()


UPSTREAM_READ = r"""
import json, sys
import lindi
f = lindi.LindiH5pyFile.from_lindi_file(sys.argv[1])
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
out = {
    "array": [text(v) for v in f["ascii"][:]],
    "scalar": text(f["ascii_scalar"][()]),
    "attrs": {k: text(v) for k, v in f["ascii"].attrs.items()},
}
print(json.dumps(out))
"""


@pytest.mark.upstream
@pytest.mark.parametrize("suffix", [".lindi.json", ".lindi.tar"])
def test_lindi_046_reads_files_with_the_record(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ascii{suffix}"
    with LindiH5pyFile.from_lindi_file(path, mode="w") as f:
        f.create_dataset("ascii", data=[b"a", b"bc"], dtype=h5py.string_dtype("ascii"))
        f.create_dataset("ascii_scalar", data=b"one", dtype=h5py.string_dtype("ascii"))
    try:
        result = run_upstream(UPSTREAM_READ, os.fspath(path))
    except UpstreamUnavailable as exc:
        pytest.skip(str(exc))
    assert result["array"] == ["a", "bc"]
    assert result["scalar"] == "one"
    # lindi 0.4.6 shows the record as an ordinary attribute, as it does _MAXSHAPE & co.
    assert result["attrs"]["_STRING_ENCODING"] == "ascii"
