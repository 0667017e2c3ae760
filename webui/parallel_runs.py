"""Several runs at once, one thread each, their views merged into one stream (Compare).

Each run is a `follow_run` iterator, so it does its own set-up, clean-up and hand-off. A
generator cannot be closed from another thread while it runs, so Stop does not close the runs
itself: closing the merged stream sets an event, and each run's own thread closes its run at
its next update (a closed run hands its prediction to a background follower). The merged
stream yields at least every `heartbeat` seconds, so Gradio can close it promptly.
"""

import logging
import queue
import threading
from collections import deque
from collections.abc import Iterator, Sequence

from .run_loop import RunView

__all__ = ["follow_together"]

HEARTBEAT = 0.25  # s: the longest the merged stream goes without yielding

log = logging.getLogger("webui.parallel")
_DONE = object()


def follow_together(
    runs: Sequence[Iterator[RunView]], *, heartbeat: float = HEARTBEAT, at_most: int = 0
) -> Iterator[list[tuple[int, RunView]]]:
    """Run every view iterator in its own thread; yield the (index, view) pairs seen since the
    last yield (an empty list when there were none for `heartbeat` seconds) until all end.

    With `at_most` > 0 (a visitor's limit of runs at once), only that many run at a time, in
    order, and the next starts when one ends; closed early, the runs not started never start.
    """
    stop = threading.Event()
    merged: queue.Queue = queue.Queue()
    waiting = deque(enumerate(runs))

    def start_next() -> None:
        index, run = waiting.popleft()
        threading.Thread(
            target=_drive, args=(index, run, stop, merged), name=f"run-{index}", daemon=True
        ).start()

    for _ in range(min(at_most, len(waiting)) if at_most > 0 else len(waiting)):
        start_next()
    running = len(runs)  # runs that have not ended, started or not
    try:
        while running:
            batch: list[tuple[int, RunView]] = []
            try:
                item = merged.get(timeout=heartbeat)
                while True:
                    if item[1] is _DONE:
                        running -= 1
                        if waiting:
                            start_next()
                    else:
                        batch.append(item)
                    item = merged.get_nowait()
            except queue.Empty:
                pass
            if batch or running:
                yield batch
    finally:
        stop.set()  # instant: each thread closes its own run at its next update


def _drive(index: int, run: Iterator[RunView], stop: threading.Event, merged: queue.Queue) -> None:
    """Follow one run, passing on its views; once stopped, close it at its next view."""
    try:
        if not stop.is_set():
            for view in run:
                merged.put((index, view))
                if stop.is_set():
                    break
    except Exception:
        log.exception("Run %d of a comparison failed unexpectedly", index)
    finally:
        try:
            close = getattr(run, "close", None)
            if close is not None:
                close()  # a run stopped before its images were saved hands them off here
        finally:
            merged.put((index, _DONE))
