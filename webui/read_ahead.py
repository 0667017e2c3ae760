"""A run goes on while its status lines travel to the page.

Gradio advances a generator handler one yield at a time and asks for the next item only once
the previous one has been sent to the page. A run that yields "Submitting…" and then creates
its prediction created it a round trip late, and a run that showed "Generating…" polled again
only once that line had reached the page: with 32 visitors at once a round trip took ≈ 0.2 s
(bench/README.md), paid before the generation started and again between seeing it nearly done
and seeing it done. `ReadAhead` runs the run's steps in a thread of their own from the start;
the handler hands the page what they produced, the newest progress line only.

Those threads come from a ThreadPoolExecutor and are reused: starting a thread waits until it
runs, and the handler starts its run on the server's event loop, where with 32 runs starting at
once each start waited for its turn at the interpreter lock (≈ 5 ms of the loop per run,
cProfile). The pool is bounded, and must never be smaller than the runs allowed at once: each
run holds its worker while it waits, and a run beyond the bound would wait for a free one. Its
default is room for DEFAULT_CONCURRENCY runs plus STOPPED_SPARE; an app allowing more runs
passes `read_ahead_pool(settings.concurrency)` as `pool`. The pool's threads are joined when
the interpreter exits (concurrent.futures does that), so the app's close must end the runs'
waiting first (Services.close does: each run's next wait raises AppClosing).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from comet._constants import DEFAULT_CONCURRENCY

__all__ = ["STOPPED_SPARE", "ReadAhead", "read_ahead_pool"]

T = TypeVar("T")
_END = object()
# Workers beyond the runs allowed at once: a run stopped while a step was under way keeps its
# worker until that step returns (one request's timeout at most) while a new run starts.
STOPPED_SPARE = 32


def read_ahead_pool(concurrency: int = DEFAULT_CONCURRENCY) -> ThreadPoolExecutor:
    """A pool with a worker for each of `concurrency` runs at once, plus STOPPED_SPARE."""
    return ThreadPoolExecutor(max(1, concurrency) + STOPPED_SPARE, thread_name_prefix="run-ahead")


_default_lock = threading.Lock()
_default_pool: ThreadPoolExecutor | None = None


def _shared_pool() -> ThreadPoolExecutor:
    """The pool of runs made without one of their own, made when first needed."""
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            _default_pool = read_ahead_pool()
        return _default_pool


def _forget_pool() -> None:
    """A forked child has none of the parent's threads: it makes its own pool when needed."""
    global _default_pool, _default_lock
    _default_lock = threading.Lock()
    _default_pool = None


os.register_at_fork(after_in_child=_forget_pool)


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():  # a consumer cancelled (Stop) no longer waits
        waiter.set_result(None)


class ReadAhead(Generic[T]):
    """Iterate `items` in a thread of their own, started the moment this is made.

    The consumer gets every item `keep` says must be seen, in order; of the others (progress
    lines) only the newest waiting one. Closing never waits: the thread closes `items` itself
    once its current step returns (a close from here could not interrupt it). The thread is a
    worker of `pool` (by default one shared pool, see read_ahead_pool).
    """

    def __init__(
        self, items: Iterator[T], *, keep: Callable[[T], bool], pool: Executor | None = None
    ) -> None:
        self._items = items
        self._keep = keep
        self._ready: deque[T] = deque()
        self._changed = threading.Condition()
        self._finished = False
        self._closing = False
        self._error: BaseException | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []
        context = contextvars.copy_context()
        (pool if pool is not None else _shared_pool()).submit(context.run, self._produce)

    def _produce(self) -> None:
        try:
            for item in self._items:
                with self._changed:
                    if self._closing:
                        break
                    self._ready.append(item)
                    self._changed.notify_all()
                    self._wake_waiters()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever iterates
            self._error = exc
        finally:
            with self._changed:
                closing = self._closing
                self._finished = True
                self._changed.notify_all()
                self._wake_waiters()
            if closing:
                self._close_items()

    def __iter__(self) -> Iterator[T]:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._ready or self._finished)
                taken = self._take()
            if taken is _END:
                return
            yield taken

    async def __aiter__(self) -> AsyncIterator[T]:
        """The same items for an async consumer: it waits on its event loop, not in a thread."""
        loop = asyncio.get_running_loop()
        while True:
            with self._changed:
                if self._ready or self._finished:
                    taken, waiter = self._take(), None
                else:
                    waiter = loop.create_future()
                    self._waiters.append((loop, waiter))
            if waiter is not None:
                await waiter
                continue
            if taken is _END:
                return
            yield taken

    def _take(self) -> Any:
        """The next item to hand on (under the lock), _END when there are no more."""
        while len(self._ready) > 1 and not self._keep(self._ready[0]):
            self._ready.popleft()  # superseded by a newer line
        if self._ready:
            return self._ready.popleft()
        if self._error is not None:
            raise self._error
        return _END

    def _wake_waiters(self) -> None:
        for loop, waiter in self._waiters:
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_wake, waiter)
        self._waiters.clear()

    def close(self) -> None:
        """Stop reading ahead; `items` is closed by its thread (at once if it has ended)."""
        with self._changed:
            self._closing = True
            finished = self._finished
        if finished:
            self._close_items()

    def _close_items(self) -> None:
        close = getattr(self._items, "close", None)  # generators; plain iterators have none
        if close is not None:
            close()
