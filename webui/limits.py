"""Per-visitor limits for a shared deployment, so one visitor cannot spend the owner's key."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from comet.errors import CometError
from comet.messages import Message

from .i18n import msg

__all__ = ["LimitExceeded", "RunLimiter", "Lease"]


class LimitExceeded(CometError):
    """A visitor is over a limit; the message says when they can try again."""


@dataclass
class Lease:
    """A run in progress; release() frees its concurrency slot (safe to call twice)."""

    limiter: RunLimiter
    keys: tuple[str, ...]
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limiter._release(self.keys)


class RunLimiter:
    """Runs per hour and runs at once, counted for every identity of a visitor (session, IP)."""

    def __init__(
        self,
        *,
        max_runs_per_hour: int,
        max_concurrent: int,
        window: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_runs_per_hour = max_runs_per_hour
        self.max_concurrent = max_concurrent
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._starts: dict[str, deque[float]] = defaultdict(deque)
        self._running: dict[str, int] = defaultdict(int)

    def acquire(self, identities: Iterable[str], *, count_towards_hourly: bool) -> Lease:
        """Take a slot for a run, or raise LimitExceeded saying why and when to retry."""
        keys = tuple(dict.fromkeys(key for key in identities if key))
        now = self._clock()
        with self._lock:
            for key in keys:
                if self.max_concurrent and self._running[key] >= self.max_concurrent:
                    raise LimitExceeded(
                        msg(
                            "limit.concurrent",
                            running=self._running[key],
                            limit=self.max_concurrent,
                        )
                    )
            if count_towards_hourly:
                self._charge_hour(keys, now)
            for key in keys:
                self._running[key] += 1
        return Lease(self, keys)

    def charge(self, lease: Lease) -> None:
        """Count a run held by `lease` towards the hourly limit (after its input was checked)."""
        with self._lock:
            self._charge_hour(lease.keys, self._clock())

    def _charge_hour(self, keys: tuple[str, ...], now: float) -> None:
        """Refuse when any identity has used its hour, else count one run for each (locked)."""
        if self.max_runs_per_hour <= 0:
            return
        for key in keys:
            starts = self._starts[key]
            while starts and now - starts[0] >= self.window:
                starts.popleft()
            if len(starts) >= self.max_runs_per_hour:
                wait = self.window - (now - starts[0])
                raise LimitExceeded(
                    msg("limit.hourly", limit=self.max_runs_per_hour, wait=_minutes(wait))
                )
        for key in keys:
            self._starts[key].append(now)

    def _release(self, keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._running[key] = max(0, self._running[key] - 1)


def _minutes(seconds: float) -> Message:
    minutes = max(1, round(seconds / 60))
    return msg("minute" if minutes == 1 else "minutes", count=minutes)
