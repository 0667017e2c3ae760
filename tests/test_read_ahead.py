"""ReadAhead runs an iterator in its own thread from the start; closing never loses an item."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from comet._constants import DEFAULT_CONCURRENCY
from tests.support import wait_for
from webui.read_ahead import ReadAhead


def _all(_: object) -> bool:
    return True


def _gated(gate: threading.Event, log: list[str]) -> Iterator[int]:
    """1 at once, then 2 only once the gate opens; says what happened in log."""
    log.append("started")
    try:
        yield 1
        log.append("waiting")
        gate.wait(10)
        log.append("second made")
        yield 2
    finally:
        log.append("closed")


def test_the_items_are_made_before_anyone_asks_for_them():
    gate, log = threading.Event(), []
    gate.set()
    items = ReadAhead(_gated(gate, log), keep=_all)
    wait_for(lambda: "closed" in log, "every item, made without iterating")
    assert log == ["started", "waiting", "second made", "closed"]
    assert list(items) == [1, 2]


def test_items_come_in_order_and_an_empty_iterator_gives_none():
    assert list(ReadAhead(iter([1, 2, 3]), keep=_all)) == [1, 2, 3]
    assert list(ReadAhead(iter([]), keep=_all)) == []


def test_only_the_newest_progress_line_waiting_is_handed_on_and_no_kept_item_is_lost():
    made = threading.Event()

    def run() -> Iterator[str]:
        yield from ["p1", "p2", "K3", "p4", "p5", "K6", "p7", "p8"]
        made.set()

    items = ReadAhead(run(), keep=lambda item: item.startswith("K"))
    assert made.wait(10)
    assert list(items) == ["K3", "K6", "p8"]


def test_closing_while_a_step_is_under_way_closes_once_it_returns():
    gate, log = threading.Event(), []
    items = ReadAhead(_gated(gate, log), keep=_all)
    wait_for(lambda: "waiting" in log, "the thread to be in its second step")
    items.close()  # returns at once: the step cannot be interrupted from here
    assert "closed" not in log
    gate.set()
    wait_for(lambda: "closed" in log, "the iterator to be closed after its step")
    assert log == ["started", "waiting", "second made", "closed"]


def test_an_error_reaches_whoever_iterates_after_the_items_made_before_it():
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("no second item")

    iterator = iter(ReadAhead(broken(), keep=_all))
    assert next(iterator) == 1
    with pytest.raises(ValueError, match="no second item"):
        next(iterator)


def _thread_of(seen: list[threading.Thread], gate: threading.Event | None = None) -> Iterator[int]:
    seen.append(threading.current_thread())
    if gate is not None:
        gate.wait(10)
    yield 1


def test_runs_at_once_each_get_a_worker_and_one_beyond_the_bound_waits_its_turn():
    pool = ThreadPoolExecutor(max_workers=3)
    try:
        gate, held = threading.Event(), []
        running = [ReadAhead(_thread_of(held, gate), keep=_all, pool=pool) for _ in range(3)]
        wait_for(lambda: len(held) == 3, "three runs at once, none queued behind another")
        beyond = ReadAhead(_thread_of(held), keep=_all, pool=pool)
        assert len(held) == 3  # every worker is busy: the fourth waits, it is not lost
        gate.set()
        assert [list(r) for r in [*running, beyond]] == [[1]] * 4
        assert len(set(held)) == 3  # the fourth ran on a worker freed by a finished run
    finally:
        pool.shutdown()


def test_the_default_pool_runs_as_many_runs_at_once_as_the_app_allows():
    gate, held = threading.Event(), []
    try:
        running = [ReadAhead(_thread_of(held, gate), keep=_all) for _ in range(DEFAULT_CONCURRENCY)]
        wait_for(lambda: len(held) == DEFAULT_CONCURRENCY, "every run started, none queued")
    finally:
        gate.set()
    assert [list(r) for r in running] == [[1]] * DEFAULT_CONCURRENCY
