"""``DaemonPool``: work on daemon threads, results and errors through futures."""

from __future__ import annotations

import threading

import pytest

from hdmf_lindi.storage.sources._daemon_pool import DaemonPool


def test_results_errors_and_daemon_threads() -> None:
    pool = DaemonPool(2, "test-pool")
    seen: list[threading.Thread] = []

    def work(x: int) -> int:
        seen.append(threading.current_thread())
        if x < 0:
            raise ValueError(x)
        return 2 * x

    assert [pool.submit(work, i).result(timeout=10) for i in range(5)] == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError):
        pool.submit(work, -1).result(timeout=10)
    assert all(t.daemon and t.name.startswith("test-pool-") for t in seen)
    assert len({t.name for t in seen}) <= 2


def test_at_most_max_workers_run_at_once() -> None:
    pool = DaemonPool(2, "test-pool")
    release = threading.Event()
    running = threading.Semaphore(0)

    def block() -> None:
        running.release()
        release.wait(10)

    futures = [pool.submit(block) for _ in range(4)]
    assert running.acquire(timeout=10) and running.acquire(timeout=10)
    assert not running.acquire(timeout=0.2)  # the third waits for a free worker
    release.set()
    for future in futures:
        future.result(timeout=10)


def test_two_jobs_submitted_to_one_idle_worker_run_at_once() -> None:
    """With one idle worker, the second of two jobs submitted together gets a new worker
    instead of waiting behind the first (both see one idle worker: it serves only one)."""
    pool = DaemonPool(2, "test-pool")
    assert pool.submit(lambda: 1).result(timeout=10) == 1
    for _ in range(1000):  # the worker counts itself idle just after setting the result
        if pool._idle == 1:
            break
        threading.Event().wait(0.01)
    assert pool._idle == 1
    both = threading.Barrier(2, timeout=10)
    futures = [pool.submit(both.wait) for _ in range(2)]
    assert sorted(f.result(timeout=20) for f in futures) == [0, 1]
