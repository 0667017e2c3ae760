"""A run's first step starts while its "Submitting…" line is still on its way to the page.

Gradio advances a generator handler one yield at a time, and asks for the next item only once
the previous one has been sent to the page. A run that yields "Submitting…" and then creates
its prediction therefore created it a full round trip late: with 32 visitors pressing Generate
together that round trip took ≈ 0.2 s (bench/README.md), every one of them paid it before the
generation could even start. `EarlyStart` makes the first item in a thread from the moment it
is made, so the create and the round trip overlap; later items are made as usual.

`RunTicket` lets Stop say truthfully what was sent: the create may be in flight when Stop is
pressed, and the run's state on the page cannot know its outcome yet.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Generic, TypeVar

__all__ = ["EarlyStart", "RunTicket"]

T = TypeVar("T")
_END = object()


class EarlyStart(Generic[T]):
    """Iterate `items`, whose first item is already being made in a background thread."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._first: Future = Future()
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._make_first,), name="run-start", daemon=True
        ).start()

    def _make_first(self) -> None:
        try:
            self._first.set_result(next(self._items, _END))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever iterates
            self._first.set_exception(exc)

    def __iter__(self) -> Iterator[T]:
        first = self._first.result()
        if first is _END:
            return
        yield first
        yield from self._items

    def close(self) -> None:
        """Close `items` now, or (while the first is still being made) as soon as it is made.

        Closing never waits: on Stop this may run on the server's event loop.
        """
        self._first.add_done_callback(lambda _: self._items.close())


class RunTicket:
    """What one run has sent: nothing yet, a created prediction, or nothing ever (ended)."""

    def __init__(self) -> None:
        self._settled = threading.Event()
        self.prediction_id: str | None = None

    def __repr__(self) -> str:
        return f"RunTicket(prediction_id={self.prediction_id!r}, settled={self.settled})"

    def __deepcopy__(self, memo: dict) -> RunTicket:
        return self  # one run has one ticket, whoever holds a copy of the run's state

    @property
    def settled(self) -> bool:
        return self._settled.is_set()

    def created(self, prediction_id: str) -> None:
        """The prediction exists (it may be billed)."""
        self.prediction_id = prediction_id
        self._settled.set()

    def ended(self) -> None:
        """The run is over; if nothing was created by now, nothing ever will be."""
        self._settled.set()

    def wait(self, timeout: float) -> bool:
        """Wait until it is known whether a prediction was created; False on timeout."""
        return self._settled.wait(timeout)
