"""Coalescing many byte ranges of one object into fewer, bounded requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

__all__ = ["CoalescedRange", "fetch_coalesced", "plan_coalesced", "split_coalesced"]

DEFAULT_MAX_GAP = 64 * 1024
DEFAULT_MAX_REQUEST_SIZE = 16 * 1024 * 1024
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class CoalescedRange:
    """One request covering ``[start, end)`` that serves the ranges at ``members``
    (indices into the planned sequence)."""

    start: int
    end: int
    members: tuple[int, ...]


def plan_coalesced(
    ranges: Sequence[tuple[int, int]],
    *,
    max_gap: int = DEFAULT_MAX_GAP,
    max_request_size: int = DEFAULT_MAX_REQUEST_SIZE,
) -> list[CoalescedRange]:
    """Group ``(offset, size)`` ranges into requests.

    Ranges (in any order, possibly overlapping) whose gap to the previous range is at most
    ``max_gap`` bytes join one request, as long as that request stays within
    ``max_request_size`` bytes (a single range larger than that is its own request).
    Zero-size ranges are not planned (they need no bytes).
    """
    order = sorted((i for i, (_, size) in enumerate(ranges) if size > 0), key=lambda i: ranges[i])
    plan: list[CoalescedRange] = []
    start = end = 0
    members: list[int] = []
    for index in order:
        offset, size = ranges[index]
        range_end = offset + size
        if members and offset - end <= max_gap and max(end, range_end) - start <= max_request_size:
            end = max(end, range_end)
            members.append(index)
            continue
        if members:
            plan.append(CoalescedRange(start, end, tuple(members)))
        start, end, members = offset, range_end, [index]
    if members:
        plan.append(CoalescedRange(start, end, tuple(members)))
    return plan


def split_coalesced(
    plan: Sequence[CoalescedRange], data: Sequence[bytes], ranges: Sequence[tuple[int, int]]
) -> list[bytes]:
    """The bytes of each of ``ranges`` cut from ``data``, the bytes of each planned request."""
    results: list[bytes] = [b""] * len(ranges)
    for request, chunk in zip(plan, data, strict=True):
        view = memoryview(chunk)
        for index in request.members:
            offset, size = ranges[index]
            results[index] = bytes(view[offset - request.start : offset - request.start + size])
    return results


async def fetch_coalesced(
    fetch_range: Callable[[int, int], Awaitable[bytes | memoryview]],
    ranges: Sequence[tuple[int, int]],
    *,
    max_gap: int = DEFAULT_MAX_GAP,
    max_request_size: int = DEFAULT_MAX_REQUEST_SIZE,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[bytes]:
    """Read every ``(offset, size)`` range with ``fetch_range(offset, size)`` calls on coalesced
    ranges, at most ``concurrency`` in flight; results in the order of ``ranges``."""
    results: list[bytes] = [b""] * len(ranges)
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def run(request: CoalescedRange) -> None:
        async with semaphore:
            data = memoryview(await fetch_range(request.start, request.end - request.start))
        for index in request.members:
            offset, size = ranges[index]
            results[index] = bytes(data[offset - request.start : offset - request.start + size])

    plan = plan_coalesced(ranges, max_gap=max_gap, max_request_size=max_request_size)
    if len(plan) == 1:
        await run(plan[0])
    else:
        await asyncio.gather(*(run(request) for request in plan))
    return results
