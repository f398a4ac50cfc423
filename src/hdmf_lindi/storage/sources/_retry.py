"""Retrying range reads whose body failed half-way.

obstore retries a request that fails before its body starts (connection errors, 5xx, a
timeout waiting for headers), but not one whose body stalls or is cut by a reset. Range reads
are idempotent, so these are retried here with the same policy (``RetryConfig``): at most
``max_retries`` more attempts, backoff from ``init_backoff`` multiplied by ``base`` up to
``max_backoff``, and no new attempt once ``retry_timeout`` has passed since the first.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hdmf_lindi.storage.sources._obstore_errors import http_status_of

__all__ = ["RetryPolicy", "is_transient_body_error"]

# obstore's debug text of a reqwest/hyper failure while the body was being received
# (kind Interrupted: reset or closed early; kind Timeout: stalled past the client timeout).
_TRANSIENT = re.compile(
    r"request or response body error|kind: (Interrupted|Timeout)\b|ConnectionReset|TimedOut"
)


def is_transient_body_error(exc: BaseException) -> bool:
    """Whether ``exc`` (raised by obstore) is a transport failure a new attempt may cure: no
    HTTP status (those obstore retried already, or are final) and a body reset or stall."""
    return http_status_of(exc) is None and bool(_TRANSIENT.search(str(exc)))


def _seconds(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failed range read is tried again."""

    max_retries: int = 5
    init_backoff: float = 0.1
    max_backoff: float = 5.0
    base: float = 2.0
    retry_timeout: float = 60.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetryPolicy:
        """The policy an obstore ``RetryConfig`` describes (missing keys: obstore's defaults)."""
        backoff = dict(config.get("backoff") or {})
        return cls(
            max_retries=int(config.get("max_retries", 10)),
            init_backoff=_seconds(backoff.get("init_backoff"), 0.1),
            max_backoff=_seconds(backoff.get("max_backoff"), 15.0),
            base=float(backoff.get("base", 2.0)),
            retry_timeout=_seconds(config.get("retry_timeout"), 180.0),
        )

    def _delays(self) -> list[float]:
        delays, delay = [], self.init_backoff
        for _ in range(max(0, self.max_retries)):
            delays.append(min(delay, self.max_backoff))
            delay *= self.base
        return delays

    def _may_retry(self, exc: BaseException, started: float, delay: float) -> bool:
        elapsed = time.monotonic() - started
        return is_transient_body_error(exc) and elapsed + delay < self.retry_timeout

    def call[T](self, attempt: Callable[[], T]) -> T:
        """``attempt()``, retried on transient body errors (sleeping in this thread)."""
        started = time.monotonic()
        for delay in self._delays():
            try:
                return attempt()
            except Exception as exc:
                if not self._may_retry(exc, started, delay):
                    raise
            time.sleep(delay)
        return attempt()

    async def call_async[T](self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``await attempt()``, retried on transient body errors."""
        started = time.monotonic()
        for delay in self._delays():
            try:
                return await attempt()
            except Exception as exc:
                if not self._may_retry(exc, started, delay):
                    raise
            await asyncio.sleep(delay)
        return await attempt()
