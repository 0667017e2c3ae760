"""EarlyStart makes an iterator's first item in a thread at once; closing never loses it."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator

import pytest

from tests.support import wait_for
from webui.early_start import EarlyStart, RunTicket


def _gated(gate: threading.Event, log: list[str]) -> Iterator[int]:
    log.append("started")
    try:
        gate.wait(10)
        log.append("first made")
        yield 1
        yield 2
    finally:
        log.append("closed")


def test_the_first_item_is_made_before_anyone_asks_for_it():
    gate, log = threading.Event(), []
    gate.set()
    items = EarlyStart(_gated(gate, log))
    wait_for(lambda: "first made" in log, "the first item, made without iterating")
    assert list(items) == [1, 2]


def test_items_come_in_order_and_an_empty_iterator_gives_none():
    assert list(EarlyStart(iter([1, 2, 3]))) == [1, 2, 3]
    assert list(EarlyStart(iter([]))) == []


def test_closing_while_the_first_item_is_made_closes_once_it_is_made():
    gate, log = threading.Event(), []
    items = EarlyStart(_gated(gate, log))
    wait_for(lambda: "started" in log, "the thread to start making the first item")
    items.close()  # returns at once: the first item is still being made
    assert "closed" not in log
    gate.set()
    wait_for(lambda: "closed" in log, "the iterator to be closed after its first item")
    assert log == ["started", "first made", "closed"]


def test_closing_after_the_first_item_closes_at_once():
    gate, log = threading.Event(), []
    gate.set()
    items = EarlyStart(_gated(gate, log))
    iterator = iter(items)
    assert next(iterator) == 1
    items.close()
    assert log[-1] == "closed"


def test_an_error_making_the_first_item_reaches_whoever_iterates():
    def broken() -> Iterator[int]:
        raise ValueError("no first item")
        yield 1  # pragma: no cover - makes this a generator

    with pytest.raises(ValueError, match="no first item"):
        list(EarlyStart(broken()))


def test_a_ticket_settles_with_the_created_id_or_with_nothing():
    ticket = RunTicket()
    assert not ticket.wait(0.01) and not ticket.settled
    waiting = threading.Thread(target=ticket.wait, args=(10,))
    waiting.start()
    ticket.created("abc")
    waiting.join(10)
    assert not waiting.is_alive() and ticket.prediction_id == "abc"
    ticket.ended()
    assert ticket.prediction_id == "abc"  # ending later does not forget the prediction
    ended = RunTicket()
    ended.ended()
    assert ended.wait(0) and ended.prediction_id is None
    assert copy.deepcopy({"ticket": ticket})["ticket"] is ticket  # one run, one ticket
