"""Planning and fetching coalesced ranges."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from hdmf_lindi.storage.sources.coalesce import CoalescedRange, fetch_coalesced, plan_coalesced


def test_adjacent_ranges_join() -> None:
    plan = plan_coalesced([(0, 10), (10, 10), (20, 5)], max_gap=0)
    assert plan == [CoalescedRange(0, 25, (0, 1, 2))]


def test_gap_threshold() -> None:
    ranges = [(0, 10), (15, 5), (100, 1)]
    assert plan_coalesced(ranges, max_gap=5) == [
        CoalescedRange(0, 20, (0, 1)),
        CoalescedRange(100, 101, (2,)),
    ]
    assert len(plan_coalesced(ranges, max_gap=4)) == 3


def test_unsorted_and_overlapping_ranges() -> None:
    plan = plan_coalesced([(50, 10), (0, 30), (10, 5)], max_gap=100)
    assert plan == [CoalescedRange(0, 60, (1, 2, 0))]


def test_max_request_size_splits() -> None:
    plan = plan_coalesced([(i * 10, 10) for i in range(10)], max_gap=0, max_request_size=30)
    assert [(p.start, p.end) for p in plan] == [(0, 30), (30, 60), (60, 90), (90, 100)]


def test_single_range_larger_than_max_request_size() -> None:
    assert plan_coalesced([(0, 100)], max_request_size=10) == [CoalescedRange(0, 100, (0,))]


def test_zero_size_ranges_need_no_request() -> None:
    assert plan_coalesced([(5, 0), (9, 0)]) == []


@given(
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 300)), max_size=40),
    st.integers(0, 500),
    st.integers(1, 2000),
)
def test_fetch_coalesced_returns_exact_ranges(
    ranges: list[tuple[int, int]], max_gap: int, max_request_size: int
) -> None:
    data = bytes(i % 251 for i in range(6000))
    calls: list[tuple[int, int]] = []

    async def fetch(offset: int, size: int) -> bytes:
        calls.append((offset, size))
        return data[offset : offset + size]

    results = asyncio.run(
        fetch_coalesced(fetch, ranges, max_gap=max_gap, max_request_size=max_request_size)
    )
    assert results == [data[o : o + s] for o, s in ranges]
    assert len(calls) <= sum(1 for _, s in ranges if s > 0)
    for offset, size in calls:
        covered = [(o, s) for o, s in ranges if s > 0 and offset <= o and o + s <= offset + size]
        assert covered
