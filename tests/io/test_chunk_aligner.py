"""ChunkAligner: blocks from a data chunk iterator are gathered into whole chunks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hdmf_lindi.io.chunk_aligner import ChunkAligner


class _Recorder:
    """A dataset in memory that records every write it gets."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.values = np.zeros(shape, dtype="<i8")
        self.writes: list[tuple[slice, ...]] = []

    def __call__(self, selection: tuple[slice, ...], values: np.ndarray) -> None:
        self.writes.append(selection)
        self.values[selection] = values


@settings(deadline=None, max_examples=60)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=12),
    chunk=st.integers(1, 6),
    axis=st.sampled_from([0, 1]),
)
def test_blocks_are_written_in_whole_chunks(sizes: list[int], chunk: int, axis: int) -> None:
    total = sum(sizes)
    shape = (total, 3) if axis == 0 else (3, total)
    chunks = (chunk, 3) if axis == 0 else (3, chunk)
    recorder = _Recorder(shape)
    aligner = ChunkAligner(recorder, chunks, axis=axis)
    expected = np.arange(total * 3).reshape(shape)
    start = 0
    for size in sizes:
        index = [slice(None), slice(None)]
        index[axis] = slice(start, start + size)
        aligner.add(tuple(index), expected[tuple(index)], shape)
        start += size
    aligner.flush()
    np.testing.assert_array_equal(recorder.values, expected)
    along = [selection[axis] for selection in recorder.writes]
    assert [s.start for s in along] == sorted(s.start for s in along)
    for s in along[:-1]:  # every write but the last is whole chunks
        assert s.start % chunk == 0 and (s.stop - s.start) % chunk == 0
    # at most one write per block (and the rest), fewer when blocks are smaller than chunks
    assert len(recorder.writes) <= min(len(sizes), total // chunk) + 1


def test_blocks_that_do_not_continue_are_written_as_they_come() -> None:
    recorder = _Recorder((20, 4))
    aligner = ChunkAligner(recorder, (5, 4))
    ones = np.ones((3, 4), dtype="<i8")
    aligner.add((slice(0, 3), slice(0, 4)), ones, (20, 4))  # buffered
    aligner.add((slice(10, 13), slice(0, 4)), 2 * ones, (20, 4))  # a gap: flush, buffer
    aligner.add((slice(13, 15), slice(0, 2)), 3 * ones[:2, :2], (20, 4))  # part of a row
    aligner.add((slice(7, 8), slice(0, 4)), 4 * ones[:1], (20, 4))  # starts mid-chunk
    aligner.flush()
    assert recorder.writes == [
        (slice(0, 3), slice(0, 4)),
        (slice(10, 13), slice(0, 4)),
        (slice(13, 15), slice(0, 2)),
        (slice(7, 8), slice(0, 4)),
    ]
    assert recorder.values[14, 1] == 3 and recorder.values[7, 0] == 4 and recorder.values[9, 0] == 0


def test_large_blocks_keep_only_the_partial_chunk() -> None:
    recorder = _Recorder((100,))
    aligner = ChunkAligner(recorder, (8,))
    aligner.add((slice(0, 45),), np.arange(45), (100,))
    assert recorder.writes == [(slice(0, 40),)]
    aligner.add((slice(45, 100),), np.arange(45, 100), (100,))
    aligner.flush()
    assert recorder.writes == [(slice(0, 40),), (slice(40, 96),), (slice(96, 100),)]
    np.testing.assert_array_equal(recorder.values, np.arange(100))


def test_scalar_and_stepped_selections_go_straight_through() -> None:
    writes: list[object] = []
    aligner = ChunkAligner(lambda sel, values: writes.append(sel), ())
    aligner.add((), np.asarray(5), ())
    stepped = ChunkAligner(lambda sel, values: writes.append(sel), (4,))
    stepped.add((slice(0, 8, 2),), np.arange(4), (8,))
    assert writes == [(), (slice(0, 8, 2),)]


def test_buffered_blocks_are_copies() -> None:
    """An iterator may refill the array it yielded: what is buffered must not change."""
    recorder = _Recorder((10,))
    aligner = ChunkAligner(recorder, (4,))
    buffer = np.zeros(1, dtype="<i8")
    for i in range(10):
        buffer[0] = i
        aligner.add((slice(i, i + 1),), buffer, (10,))
    aligner.flush()
    np.testing.assert_array_equal(recorder.values, np.arange(10))


def test_blocks_are_cast_to_the_dataset_dtype_before_they_are_joined() -> None:
    written: list[np.ndarray] = []
    aligner = ChunkAligner(lambda sel, values: written.append(values), (2,), dtype=np.dtype("<u8"))
    aligner.add((slice(0, 1),), np.array([2**62 + 1], dtype="<i8"), (2,))
    aligner.add((slice(1, 2),), np.array([2**63 + 1], dtype="<u8"), (2,))
    assert written[0].dtype == np.dtype("<u8")
    assert written[0].tolist() == [2**62 + 1, 2**63 + 1]  # not rounded through float64
