"""Compare's Stop without Gradio's `cancels=`: the comparison is asked to end, and ends itself.

A cancel racing one of the comparison's frequent yields could end the event with an error,
which marked every column with an "Error" badge. Instead Stop presses the session's
StopRequest; the comparison looks at it after each yield (at least every
parallel_runs.HEARTBEAT), hands its runs to background followers and says so. A Stop pressed
while the comparison still waits in the queue is kept for it, so it creates nothing.
"""

import threading
import time
from collections.abc import Callable

__all__ = ["SessionStops", "StopRequest"]

PENDING_FOR = 60.0  # s: a Stop pressed while its comparison waited in the queue
JUST_ENDED = 2.0  # s: a Stop arriving as a comparison ends was for that one


class StopRequest:
    """Stop, pressed (or not) for one comparison."""

    def __init__(self) -> None:
        self._pressed = threading.Event()

    def __repr__(self) -> str:
        return f"StopRequest(pressed={self.pressed})"

    def __deepcopy__(self, memo: dict) -> "StopRequest":
        return self  # Gradio copies State values; one comparison has one Stop

    @property
    def pressed(self) -> bool:
        return self._pressed.is_set()

    def press(self) -> None:
        self._pressed.set()


class SessionStops:
    """Each browser session's comparison: running, just ended, or waiting with Stop pressed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._running: dict[str, StopRequest] = {}
        self._ended: dict[str, float] = {}
        self._pending: dict[str, float] = {}

    def begin(self, session: str | None) -> StopRequest:
        """A comparison starts: its StopRequest, already pressed if Stop came while it queued."""
        stop = StopRequest()
        if not session:
            return stop
        with self._lock:
            self._forget_old()
            if self._pending.pop(session, None) is not None:
                stop.press()
            self._running[session] = stop
        return stop

    def end(self, session: str | None, stop: StopRequest) -> None:
        if not session:
            return
        with self._lock:
            if self._running.get(session) is stop:
                del self._running[session]
                self._ended[session] = self.clock()

    def press(self, session: str | None) -> None:
        """Stop pressed in this session: for its running comparison, else for the one queued."""
        if not session:
            return
        with self._lock:
            self._forget_old()
            running = self._running.get(session)
            if running is not None:
                running.press()
            elif session not in self._ended:  # not a Stop that arrived as one ended
                self._pending[session] = self.clock()

    def _forget_old(self) -> None:
        now = self.clock()
        for marks, keep in ((self._ended, JUST_ENDED), (self._pending, PENDING_FOR)):
            for session in [s for s, at in marks.items() if now - at > keep]:
                del marks[session]
