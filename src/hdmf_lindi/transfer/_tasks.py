"""Running many transfer tasks at once: the first failure cancels the rest and is raised as
itself (not wrapped in an ``ExceptionGroup``), so callers see the ``LindiError`` naming the
file or URL."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any

__all__ = ["run_all"]


async def run_all(coroutines: Iterable[Coroutine[Any, Any, Any]]) -> None:
    """Run ``coroutines`` concurrently (in a task group); raise the first error."""
    try:
        async with asyncio.TaskGroup() as group:
            for coroutine in coroutines:
                group.create_task(coroutine)
    except BaseExceptionGroup as errors:
        first: BaseException = errors
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
