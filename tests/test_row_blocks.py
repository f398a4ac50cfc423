"""Row iteration in blocks of whole chunks (``hdmf_lindi._row_blocks``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hdmf_lindi._row_blocks import BLOCK_BYTES, block_rows, iter_rows


@given(
    length=st.integers(0, 300),
    rows_per_block=st.integers(1, 50),
    columns=st.integers(0, 3),
)
def test_rows_equal_per_row_reads(length: int, rows_per_block: int, columns: int) -> None:
    data = np.arange(length * max(columns, 1)).reshape((length, columns) if columns else (length,))
    reads: list[slice] = []

    def read_block(selection: slice) -> np.ndarray:
        reads.append(selection)
        return data[selection]

    rows = list(iter_rows(length, rows_per_block, read_block))
    assert len(rows) == length
    for index, row in enumerate(rows):
        np.testing.assert_array_equal(row, data[index])
        if isinstance(row, np.ndarray):
            assert not np.shares_memory(row, data)  # a copy, as a per-row read returns
    assert len(reads) == -(-length // rows_per_block)


def test_block_is_whole_chunks_of_about_block_bytes() -> None:
    assert block_rows((10**7,), (1000,), 8) == (BLOCK_BYTES // 8000) * 1000
    assert block_rows((100, 10**7), (1, 1000), 8) == 1  # a row bigger than a block: one chunk
    assert block_rows((10**7,), None, 8) == BLOCK_BYTES // 8
    assert block_rows((5, 0), (5, 1), 8) >= 5
