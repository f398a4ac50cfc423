"""``Conventions.chunk_key``: chunk store keys as lindi 0.4.6 writes them."""

from __future__ import annotations

import numpy as np
import pytest

from hdmf_lindi.conventions.lindi_v1 import LindiV1Conventions
from hdmf_lindi.conventions.model import DataKind, DatasetInfo
from hdmf_lindi.errors import LindiFormatError
from hdmf_lindi.storage.reference_map import ReferenceMap


@pytest.mark.parametrize(
    ("path", "index", "key"),
    [
        ("/a/b", (1, 2), "a/b/1.2"),
        ("a/b", (7,), "a/b/7"),
        ("/x", (), "x/0"),
        ("/g/d", (0, 0, 10), "g/d/0.0.10"),
    ],
)
def test_chunk_key(path: str, index: tuple[int, ...], key: str) -> None:
    assert LindiV1Conventions().chunk_key(path, index) == key


def test_chunk_key_refuses_metadata_names() -> None:
    with pytest.raises(LindiFormatError, match=r"\.zarray"):
        LindiV1Conventions().chunk_key("/a/.zarray", (0,))


def test_chunk_key_matches_the_written_array_grid() -> None:
    conv = LindiV1Conventions()
    meta = ReferenceMap.from_dict({"version": 1, "refs": {".zgroup": {"zarr_format": 2}}})
    info = DatasetInfo(shape=(4, 6), dtype=np.dtype("<i2"), kind=DataKind.NUMERIC, chunks=(2, 3))
    zarray = conv.write_dataset(meta, "/g/d", info, codecs={"filters": None, "compressor": None})
    data = np.arange(6, dtype="<i2").reshape(2, 3)
    meta.set_inline(conv.chunk_key("/g/d", (1, 1)), data.tobytes())
    assert zarray["compressor"] is None
    assert zarray["filters"] is None
    assert "g/d/1.1" in meta
