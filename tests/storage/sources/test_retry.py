"""``RetryPolicy``: which failures are retried, how often, and for how long."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from hdmf_lindi.storage.sources._retry import (
    RetryPolicy,
    default_retry_config,
    is_transient_body_error,
)
from hdmf_lindi.storage.sources.http import HTTPSource

RESET = (
    "Generic HTTP error: HTTP error: request or response body error\n\nDebug source:\n"
    "Generic { source: HttpError { kind: Interrupted, source: ConnectionReset } }"
)
STALL = "Generic HTTP error: HTTP error: request or response body error ... kind: Timeout,"
NOT_FOUND = "Generic HTTP error: Server returned non-2xx status code: 404 Not Found"
SERVER_ERROR = "request or response body error after status code: 503"
SHORT_BODY = (
    "Generic HTTP error: HTTP error: request or response body error ... kind: Interrupted, "
    "... Custom { kind: UnexpectedEof, error: IncompleteBody }"
)
# a timeout waiting for headers, which obstore retried already
RETRIED = (
    "Generic HTTP error: Error performing GET http://h/d in 3.0s, after 2 retries, "
    "max_retries: 2, retry_timeout: 20s  - HTTP error: error sending request\n\nDebug source:\n"
    "Generic { source: RetryError(RetryErrorImpl { inner: Http(HttpError { kind: Timeout, "
    "source: reqwest::Error { kind: Request, source: TimedOut } }) }) }"
)
RETRIED_BODY = "Error performing GET http://h/d after 1 retry - request or response body error"


@pytest.mark.parametrize(
    ("text", "transient"),
    [
        (RESET, True),
        (STALL, True),
        (SHORT_BODY, True),
        (NOT_FOUND, False),
        (SERVER_ERROR, False),
        (RETRIED, False),
        (RETRIED_BODY, False),
        ("kind: Timeout, TimedOut", False),
        ("nope", False),
    ],
)
def test_transient_body_errors(text: str, transient: bool) -> None:
    assert is_transient_body_error(RuntimeError(text)) is transient


def test_one_set_of_defaults() -> None:
    """Keys missing from a ``RetryConfig`` take ``RetryPolicy``'s defaults, and the complete
    config (what obstore is given) says the same."""
    assert RetryPolicy.from_config({}) == RetryPolicy.from_config(None) == RetryPolicy()
    assert RetryPolicy.from_config(default_retry_config()) == RetryPolicy()
    partial = RetryPolicy.from_config({"max_retries": 2})
    assert partial == RetryPolicy(max_retries=2)
    assert RetryPolicy.from_config(partial.to_config()) == partial
    source = HTTPSource(retry_config={"max_retries": 2})
    assert source.retry_config == partial.to_config()
    assert source.retry_policy == partial


def test_from_config_reads_obstore_retry_config() -> None:
    policy = RetryPolicy.from_config(
        {
            "max_retries": 2,
            "backoff": {
                "init_backoff": timedelta(milliseconds=5),
                "max_backoff": timedelta(milliseconds=7),
                "base": 3,
            },
            "retry_timeout": timedelta(seconds=4),
        }
    )
    assert policy == RetryPolicy(2, 0.005, 0.007, 3.0, 4.0)
    assert policy._delays() == [0.005, 0.007]


class _Flaky:
    def __init__(self, failures: int, text: str = RESET) -> None:
        self.failures = failures
        self.text = text
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(self.text)
        return "ok"


FAST = RetryPolicy(max_retries=3, init_backoff=0.001, max_backoff=0.002)


def test_transient_failures_are_retried_up_to_max_retries() -> None:
    flaky = _Flaky(3)
    assert FAST.call(flaky) == "ok"
    assert flaky.calls == 4
    flaky = _Flaky(4)
    with pytest.raises(RuntimeError):
        FAST.call(flaky)
    assert flaky.calls == 4


def test_other_failures_are_not_retried() -> None:
    flaky = _Flaky(1, NOT_FOUND)
    with pytest.raises(RuntimeError):
        FAST.call(flaky)
    assert flaky.calls == 1


def test_no_attempt_starts_after_the_retry_timeout() -> None:
    policy = RetryPolicy(max_retries=100, init_backoff=0.05, max_backoff=0.05, retry_timeout=0.2)
    flaky = _Flaky(1000)
    started = time.monotonic()
    with pytest.raises(RuntimeError):
        policy.call(flaky)
    assert time.monotonic() - started < 1
    assert 2 <= flaky.calls <= 5


def test_async_retries() -> None:
    flaky = _Flaky(2)

    async def attempt() -> str:
        return flaky()

    assert asyncio.run(FAST.call_async(attempt)) == "ok"
    assert flaky.calls == 3
