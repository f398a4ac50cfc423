"""Retrying range reads whose body failed half-way, and the one set of retry defaults.

obstore retries a request that fails before its body starts (connection errors, 5xx, a
timeout waiting for headers), but not one whose body fails after the headers arrived: a body
that stalls past the client timeout, or that ends before its ``Content-Length`` because the
connection was reset or closed. Range reads are idempotent, so these (and only these) are
retried here with the same policy (``RetryConfig``): at most ``max_retries`` more attempts,
backoff from ``init_backoff`` multiplied by ``base`` up to ``max_backoff``, and no new attempt
once ``retry_timeout`` has passed since the first. An error obstore already retried (its
message says "after N retries") is never retried again here: the attempts would multiply.
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

__all__ = ["RetryPolicy", "default_retry_config", "is_transient_body_error"]

# obstore's text of a reqwest/hyper failure while the body was being received, after the
# headers (a reset, a close before ``Content-Length`` bytes, a stall past the timeout) ...
_BODY_ERROR = "request or response body error"
# ... and of a failure its own retry loop gave up on (``RetryError``: "Error performing GET
# <url> in 3s, after 2 retries, ..."), whatever the inner error.
_RETRIED_BY_OBSTORE = re.compile(r"\bafter \d+ retr(y|ies)\b|RetryError")


def is_transient_body_error(exc: BaseException) -> bool:
    """Whether ``exc`` (raised by obstore) is a body failure a new attempt may cure: no HTTP
    status, a failure of the body after the headers, and not one obstore already retried."""
    text = str(exc)
    return (
        http_status_of(exc) is None
        and _BODY_ERROR in text
        and _RETRIED_BY_OBSTORE.search(text) is None
    )


def _seconds(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failed request is tried again (by obstore, and by
    :meth:`call` for range reads whose body failed). The defaults here are the only ones."""

    max_retries: int = 5
    init_backoff: float = 0.1
    max_backoff: float = 5.0
    base: float = 2.0
    retry_timeout: float = 60.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RetryPolicy:
        """The policy an obstore ``RetryConfig`` describes (missing keys: this class's
        defaults, which :meth:`to_config` then hands to obstore as well)."""
        config = config or {}
        backoff = dict(config.get("backoff") or {})
        default = cls()
        return cls(
            max_retries=int(config.get("max_retries", default.max_retries)),
            init_backoff=_seconds(backoff.get("init_backoff"), default.init_backoff),
            max_backoff=_seconds(backoff.get("max_backoff"), default.max_backoff),
            base=float(backoff.get("base", default.base)),
            retry_timeout=_seconds(config.get("retry_timeout"), default.retry_timeout),
        )

    def to_config(self) -> dict[str, Any]:
        """This policy as a complete obstore ``RetryConfig`` (so that obstore's retries and
        ours follow the same numbers, whatever keys the caller left out)."""
        return {
            "max_retries": self.max_retries,
            "backoff": {
                "init_backoff": timedelta(seconds=self.init_backoff),
                "max_backoff": timedelta(seconds=self.max_backoff),
                "base": self.base,
            },
            "retry_timeout": timedelta(seconds=self.retry_timeout),
        }

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


def default_retry_config() -> dict[str, Any]:
    """Retries on 5xx, resets and timeouts: up to 5 times, 100 ms doubling to 5 s, 60 s total
    (:class:`RetryPolicy`'s defaults)."""
    return RetryPolicy().to_config()
