"""When to poll a prediction: sparsely while it cannot be done yet, densely when it may be."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from . import _constants as C

__all__ = ["Expectation", "PollSchedule"]

Source = Literal["given", "learned", "catalogue", "unknown"]


@dataclass(frozen=True)
class Expectation:
    """The window, in seconds after creation, in which a prediction is likely to complete.

    How the window is made is part of the schedule: see PollSchedule.
    """

    low: float
    high: float
    typical: float | None
    source: Source
    shortest: float | None = None  # the durations learned (outliers left out), if any
    longest: float | None = None
    samples: int = 0

    @classmethod
    def from_samples(cls, samples: Iterable[float], source: Source = "learned") -> Expectation:
        """The window from durations seen before (at least one)."""
        values = sorted(float(s) for s in samples if math.isfinite(s) and s >= 0)
        if not values:
            raise ValueError("from_samples needs at least one duration")
        median = statistics.median(values)
        if median > 0:
            values = [v for v in values if v <= C.DURATION_OUTLIER * median]
        low, high = values[0], values[-1]
        margin = max(high - low, median) / (len(values) + 1)
        return cls(max(0.0, low - margin), high + margin, median, source, low, high, len(values))

    @classmethod
    def from_typical(cls, seconds: float, source: Source = "catalogue") -> Expectation:
        """The wide window around a typical duration, when nothing was learned."""
        early, late = C.CATALOGUE_WINDOW
        return cls(early * seconds, late * seconds, seconds, source)

    @classmethod
    def unknown(cls) -> Expectation:
        """No idea at all: the prediction counts as overdue from the start."""
        return cls(0.0, 0.0, None, "unknown")


class PollSchedule:
    """When to poll next, given when completion is expected.

    Times are seconds since the prediction was created; p is the client's poll interval
    (COMET_POLL_INTERVAL, 0.5 s by default). The gaps: sparse s = 4·p (2 s), window w = 0.7·p
    (0.35 s), dense d = 0.3·p (0.15 s).

    The expected window [low, high] comes from what is known, best first:
      - `expected_seconds=E` given by the caller: [0.5·E, 1.5·E];
      - durations learned for this model (and input size, see comet/durations.py), n of them
        with median m, leaving out any over 3·m (a queue, not the model): from the shortest to
        the longest, widened on each side by max(longest − shortest, m) / (n + 1); so one
        duration x gives [0.5·x, 1.5·x], and twenty of a 1–3 s model about [0.9, 3.1];
      - the catalogue's typical_seconds T: [0.5·T, 2·T] (runs are late more often than early);
      - nothing (an unknown model): [0, 0]: one poll at w, then the run counts as overdue.

    Then, for a prediction the client has just created (there is no poll right after the
    create; its time counts from the create's answer, see comet.client):
      1. Before the window, completion is unlikely: polls are spread evenly, at most s apart
         (or up to 1.1·s, rather than one more poll), so that one lands at low + w (for a
         1–3 s model that is the first poll, at ~1.3 s).
      2. Within the window, the gap is w·√((high − t) / (high − low)), never under d. The
         longer a run has gone on inside its window, the likelier it is to finish in the next
         moment, so polls close in; the square root is the classic spacing for inspections
         (gap ∝ 1/√hazard, which for an evenly spread finish is ∝ √(time left in the window)).
         Against a fixed gap this sees completion as soon with about 10 % fewer polls.
      3. After high, the run is overdue: the gap is d + 0.1·(seconds overdue), up to s.
    A window narrower than 2·w (durations learned from a steady model) scales w and d down
    to half and a third of its width (never under 0.05 s), so the first poll lands in its
    middle and the next ones inside it, not after it. When at least 3 durations were learned
    and they all lie within one dense gap d of each other, the first poll lands at the
    longest of them instead (if that is later): in the middle it would miss about half the
    runs by a hair and cost each a whole gap, while at the longest n of n + 1 runs are done.
    A prediction the client did not create (resumed by id) is polled at once, then the same.
    Each gap counts from when the previous poll was sent, so slow answers do not add up.

    Around this schedule the client keeps its other rules: a failed poll is retried after the
    server's Retry-After exactly (up to 60 s), else after capped exponential backoff with
    jitter; every wait is cut at the watch's overall deadline, which then raises CometTimeout
    with the prediction id.
    """

    def __init__(
        self, expectation: Expectation, poll_interval: float = C.DEFAULT_POLL_INTERVAL
    ) -> None:
        if not poll_interval > 0:
            raise ValueError("poll_interval must be positive")
        self.expectation = expectation
        self.sparse = C.POLL_SPARSE_FACTOR * poll_interval
        self.window = C.POLL_WINDOW_FACTOR * poll_interval
        self.dense = C.POLL_DENSE_FACTOR * poll_interval

    def __repr__(self) -> str:
        e = self.expectation
        return (
            f"PollSchedule(window={e.low:.2f}-{e.high:.2f} s from {e.source}, "
            f"gaps={self.sparse:.2f}/{self.window:.2f}/{self.dense:.2f} s)"
        )

    def next_poll(self, elapsed: float) -> float:
        """The time (seconds since creation) of the poll after one sent at elapsed."""
        low, high = self.expectation.low, self.expectation.high
        width = high - low
        window, dense = self.window, self.dense
        if width > 0:  # an empty window ([0, 0]: unknown) keeps the plain gaps
            window = min(window, max(C.POLL_MIN_GAP, width / 2))
            dense = min(dense, max(C.POLL_MIN_GAP, width / 3))
        first = max(low + window, self._steady_longest(dense))
        if elapsed < first - 1e-9:
            ahead = first - elapsed
            return elapsed + ahead / max(1, math.ceil(ahead / self.sparse - C.POLL_SPARSE_SLACK))
        if elapsed < high:
            left = (high - elapsed) / width
            return elapsed + max(dense, window * math.sqrt(left))
        overdue = elapsed - high
        return elapsed + min(self.sparse, self.dense + C.POLL_OVERDUE_SLOWDOWN * overdue)

    def _steady_longest(self, dense: float) -> float:
        """The longest duration learned, when the learned ones lie within one dense gap; else 0."""
        e = self.expectation
        if e.samples < C.STEADY_MIN_SAMPLES or e.shortest is None or e.longest is None:
            return 0.0
        return e.longest if e.longest - e.shortest <= dense + 1e-9 else 0.0

    def times(self, until: float, start: float = 0.0) -> list[float]:
        """Every poll time after start up to until, as the schedule alone would place them."""
        times: list[float] = []
        at = self.next_poll(start)
        while at <= until:
            times.append(at)
            at = self.next_poll(at)
        return times
