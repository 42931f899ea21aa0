"""The ledger's promises on both stores (SQLite file, real Redis): once, in order, taken over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.queue import ClaimLost, Ledger, QueueFull, RedisLedger, SqliteLedger
from tests.bot.redis_server import RedisServer

LEASE_S = 1.0


@pytest.fixture(params=["sqlite", "redis"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """A fresh ledger with two worker slots registered, on each kind of store."""
    store: Ledger
    if request.param == "sqlite":
        store = SqliteLedger(tmp_path / "queue.db", LEASE_S, queue_max=3)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        store = RedisLedger(server.url, LEASE_S, queue_max=3)
    store.set_workers("machine-1", 2, time.time() + 60)
    yield store
    store.close()


def test_a_key_is_accepted_once(ledger: Ledger) -> None:
    assert ledger.accept("file:F1", {"kind": "file"}) == 0
    assert ledger.accept("file:F1", {"kind": "file"}) is None
    assert ledger.known("file:F1") and not ledger.known("file:F2")


def test_places_count_past_the_free_workers_and_the_line_has_an_end(ledger: Ledger) -> None:
    places = [ledger.accept(f"file:F{i}", {}) for i in range(5)]
    assert places == [0, 0, 1, 2, 3]  # two workers free, then a line of queue_max=3
    with pytest.raises(QueueFull, match="try again in a few minutes"):
        ledger.accept("file:F9", {})
    assert ledger.counts() == (0, 5)


def test_one_claim_at_a_time_and_a_finished_job_is_never_run_again(ledger: Ledger) -> None:
    ledger.accept("file:F1", {})
    assert ledger.claim("file:F1", "worker-a") is not None
    assert ledger.claim("file:F1", "worker-b") is None  # a duplicate task in the queue
    assert ledger.counts() == (1, 0)
    ledger.finish("file:F1", "worker-a")
    assert ledger.claim("file:F1", "worker-b") is None
    assert ledger.counts() == (0, 0)


def test_a_silent_workers_job_is_due_again_and_its_late_post_is_refused(ledger: Ledger) -> None:
    ledger.accept("file:F1", {})
    ledger.claim("file:F1", "worker-a")
    assert ledger.due_again(in_queue=set()) == []  # the lease still runs
    time.sleep(LEASE_S + 0.1)
    assert ledger.due_again(in_queue=set()) == ["file:F1"]
    assert ledger.claim("file:F1", "worker-b") is not None
    with pytest.raises(ClaimLost):
        ledger.check_post("file:F1", "worker-a")  # woke up late: must not post
    assert ledger.check_post("file:F1", "worker-b") is None
    ledger.mark_posted("file:F1", "worker-b", "1700000000.000100")
    # worker-b dies after posting; the next attempt learns where the answer is.
    time.sleep(LEASE_S + 0.1)
    assert ledger.due_again(in_queue=set()) == ["file:F1"]
    ledger.claim("file:F1", "worker-c")
    assert ledger.check_post("file:F1", "worker-c") == "1700000000.000100"


def test_a_job_handed_back_is_queued_again(ledger: Ledger) -> None:
    ledger.accept("file:F1", {})
    ledger.claim("file:F1", "worker-a")
    assert ledger.release("file:F1", "worker-a")
    assert ledger.counts() == (0, 1)
    assert ledger.claim("file:F1", "worker-b") is not None
