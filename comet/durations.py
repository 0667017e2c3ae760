"""How long predictions take, remembered per model and input size, to plan when to poll.

A client records the duration of every prediction it sees succeed (created_at to completed_at
as the API reports them, checked against what its own polls saw: see `DurationMemory.learn`)
and asks this memory when the next one is likely to finish. The app and the CLI seed it from
the history file once, and share it:

    memory = DurationMemory()
    seed_from_history(memory, history)            # every catalogue model, per image count
    client = CometClient(..., durations=memory)   # or client.durations.seed(model, [...])

Inputs that change the amount of work (number of images, steps, megapixels) are folded into
one number, `work_units`: 1.0 at the model's defaults. Durations measured at another size
are scaled by (1 + work) / (1 + their work): half of a run is taken as fixed overhead.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from . import _constants as C
from .models import MODELS, get_model
from .polling import Expectation
from .prediction import Prediction, parse_time

__all__ = [
    "DurationMemory",
    "Observation",
    "seed_from_history",
    "work_units",
    "prediction_seconds",
    "parse_timestamp",
]

_MEGAPIXELS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:MP)?\s*$", re.IGNORECASE)

Learned = Literal["reported", "observed"]


@dataclass(frozen=True)
class Observation:
    """What a client saw of one run, in seconds on its own clock since the create's answer.

    The server stamped created_at at most create_round_trip before that answer, and the run
    ended after the last poll that saw it running was sent (running; None when no poll did)
    and before the answer that saw it finished arrived (done). Only these intervals are
    compared with the server's duration, never wall times: the server's clock may be set
    differently from ours, but a second is a second on both. expected_shortest is the
    shortest duration the client expected when it scheduled the run (0: no idea).
    """

    running: float | None
    done: float
    create_round_trip: float = 0.0
    expected_shortest: float = 0.0

    def contradicts(self, seconds: float) -> bool:
        """True when the server's duration cannot be what happened, beyond a network's slack."""
        slack = C.OBSERVATION_SLACK
        if self.running is not None and seconds < self.running - slack:
            return True  # a poll sent later than that still saw it running
        return seconds > self.done + self.create_round_trip + slack  # longer than we waited

    def estimate(self) -> float:
        """The client's own guess at the run's duration: as fine as its polls, no finer.

        Seen running, then done: the middle of the two. Seen done at the first poll: the run
        ended at some moment before it that the poll cannot tell. Taking the poll's own time
        would make each such run look as long as the poll was late: the shortest duration
        learned would rise, the next first poll come later, and the guesses drift later run
        after run (a lag that grows). So such a run counts as the shortest one expected: it
        confirms that runs end that early and leaves the schedule where it was; one that
        ended before even that counts as `done`, which moves the schedule earlier.
        """
        if self.running is not None:
            return (self.running + self.done) / 2
        if 0 < self.expected_shortest < self.done:
            return self.expected_shortest
        return self.done


class _Run(NamedTuple):
    prediction_id: str | None
    work: float
    seconds: float
    reported: bool  # the server's word (its timestamps, or history's copy of them)


def work_units(model: str, input: Mapping[str, Any] | None = None) -> float:  # noqa: A002
    """How much work input asks of model, relative to its defaults: images × steps × pixels."""
    spec = get_model(model)
    values: dict[str, Any] = dict(spec.defaults()) if spec is not None else {}
    values.update(input or {})
    work = _positive(values.get("num_outputs"), 1.0)
    if spec is None:
        return work
    steps = spec.field("num_inference_steps")
    if steps is not None and steps.default:
        work *= _positive(values.get("num_inference_steps"), steps.default) / steps.default
    for name in ("megapixels", "resolution"):
        field = spec.field(name)
        if field is not None and field.default is not None:
            default = _megapixels(field.default) or 1.0
            work *= (_megapixels(values.get(name)) or default) / default
    if values.get("aspect_ratio") == "custom":
        width, height = _positive(values.get("width"), 0), _positive(values.get("height"), 0)
        if width and height:
            work *= width * height / 1_000_000
    return work


def prediction_seconds(prediction: Prediction) -> float | None:
    """Seconds from created_at to completed_at as the API reported them, or None."""
    start, end = parse_timestamp(prediction.created_at), parse_timestamp(prediction.completed_at)
    if start is None or end is None or end < start:
        return None
    return end - start


def parse_timestamp(value: Any) -> float | None:
    """An API timestamp as POSIX seconds; None if unreadable."""
    parsed = parse_time(value)
    return parsed.timestamp() if parsed is not None else None


class DurationMemory:
    """Recent durations per model; thread-safe, and shareable between clients."""

    def __init__(self, limit: int = C.DURATION_MEMORY) -> None:
        self._limit = limit
        self._runs: dict[str, deque[_Run]] = {}  # per model, oldest first
        self._doubted: set[str] = set()  # models whose server timestamps a poll contradicted
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        with self._lock:
            counts = {model: len(runs) for model, runs in self._runs.items()}
        return f"DurationMemory({counts})"

    def record(
        self,
        model: str,
        seconds: float,
        input: Mapping[str, Any] | None = None,  # noqa: A002
        *,
        prediction_id: str | None = None,
        reported: bool = True,
    ) -> bool:
        """Remember one duration (once per prediction id); False when it was not kept.

        reported: the duration is the server's word (its timestamps), not the client's own
        observation; those are forgotten if the server's timestamps are ever caught wrong.
        """
        if not model or not _usable(seconds):
            return False
        work = work_units(model, input)
        with self._lock:
            runs = self._runs.setdefault(model, deque(maxlen=self._limit))
            if prediction_id is not None and any(
                run.prediction_id == prediction_id for run in runs
            ):
                return False
            runs.append(_Run(prediction_id, work, float(seconds), reported))
        return True

    def learn(
        self,
        model: str,
        reported: float | None,
        observed: Observation | None,
        input: Mapping[str, Any] | None = None,  # noqa: A002
        *,
        prediction_id: str | None = None,
    ) -> Learned | None:
        """Record one finished run: the server's duration if the client's polls allow it.

        The server's duration (created_at to completed_at) is exact where the client's own
        observation is only as fine as its polls, so it is kept whenever the observation
        allows it. One that the observation contradicts (a poll sent later still saw the run
        going, or the client could not have waited that long) is discarded, and so is every
        duration taken on the server's word for this model (seeds from history included):
        timestamps caught wrong once are not believed again for this model, since a poll
        that comes first after the run ended cannot tell a true duration from a false one.

        In their place, and whenever the server gives no duration, the client learns its own
        estimate (Observation.estimate) rather than nothing: what a schedule has to predict is
        when a poll will see the run finished, which is just what the polls measured; and
        learning nothing would leave a model whose server lies on the catalogue's wide window
        for good, paying a cold start's polls on every run. Returns which was learned, or
        None when nothing was (no observation to fall back on, or this id is known already).
        """
        if not model:
            return None
        if reported is not None and observed is not None and observed.contradicts(reported):
            with self._lock:
                self._doubted.add(model)
                runs = self._runs.get(model, ())
                kept = [run for run in runs if not run.reported]
                if len(kept) < len(runs):
                    self._runs[model] = deque(kept, maxlen=self._limit)
        with self._lock:
            believed = reported is not None and model not in self._doubted
        if believed and self.record(model, reported, input, prediction_id=prediction_id):
            return "reported"
        if not believed and observed is not None:
            own = observed.estimate()
            if self.record(model, own, input, prediction_id=prediction_id, reported=False):
                return "observed"
        return None

    def seed(
        self,
        model: str,
        seconds: Iterable[float],
        *,
        input: Mapping[str, Any] | None = None,  # noqa: A002
    ) -> int:
        """Add older durations, newest first (as History.recent_durations gives them).

        They count as older than anything recorded since; input says what they were measured
        with (the model's defaults when None). Returns how many were kept.
        """
        if not model:
            return 0
        work = work_units(model, input)
        kept = 0
        with self._lock:
            runs = self._runs.setdefault(model, deque(maxlen=self._limit))
            if model in self._doubted:
                return 0  # history's durations are the server's timestamps, caught wrong
            for value in seconds:
                if len(runs) >= self._limit:
                    break  # full of fresher durations already
                if _usable(value):
                    runs.appendleft(_Run(None, work, float(value), True))
                    kept += 1
        return kept

    def samples(self, model: str, input: Mapping[str, Any] | None = None) -> list[float]:  # noqa: A002
        """The recent durations for model, scaled to input's size, oldest first."""
        work = work_units(model, input)
        with self._lock:
            runs = list(self._runs.get(model, ()))
        same = [run.seconds for run in runs if math.isclose(run.work, work, rel_tol=0.01)]
        if len(same) >= C.DURATION_SAME_INPUT:
            return same[-C.DURATION_SAMPLES :]
        scaled = [run.seconds * _scale(work) / _scale(run.work) for run in runs]
        return scaled[-C.DURATION_SAMPLES :]

    def expect(
        self,
        model: str,
        input: Mapping[str, Any] | None = None,  # noqa: A002
        *,
        expected_seconds: float | None = None,
    ) -> Expectation:
        """When a prediction of model with input is likely to finish (see PollSchedule)."""
        if expected_seconds is not None and _usable(expected_seconds):
            return Expectation.from_samples([expected_seconds], source="given")
        if not model:
            return Expectation.unknown()
        samples = self.samples(model, input)
        if samples:
            return Expectation.from_samples(samples)
        spec = get_model(model)
        if spec is None:
            return Expectation.unknown()
        return Expectation.from_typical(spec.typical_seconds * _scale(work_units(model, input)))


def seed_from_history(
    memory: DurationMemory,
    history: Any,
    models: Iterable[str] | None = None,
    *,
    limit: int = C.DURATION_SAMPLES,
) -> int:
    """Seed memory from history.recent_durations of each model; returns how many were added.

    Models default to the catalogue's; a model with a num_outputs input is seeded per count.
    """
    kept = 0
    for model in models if models is not None else list(MODELS):
        spec = get_model(model)
        images = spec.field("num_outputs") if spec is not None else None
        counts = range(1, int(images.maximum or 1) + 1) if images is not None else (None,)
        for count in counts:
            seconds = history.recent_durations(model, limit, num_outputs=count)
            kept += memory.seed(model, seconds, input={"num_outputs": count} if count else None)
    return kept


def _scale(work: float) -> float:
    return (1.0 + work) / 2.0


def _usable(seconds: Any) -> bool:
    return (
        isinstance(seconds, (int, float))
        and not isinstance(seconds, bool)
        and math.isfinite(seconds)
        and seconds >= 0
    )


def _positive(value: Any, default: float) -> float:
    if isinstance(value, bool):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and number > 0 else default


def _megapixels(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value > 0 else None
    match = _MEGAPIXELS.match(str(value)) if isinstance(value, str) else None
    if match is None:
        return None
    number = float(match.group(1))
    return number if number > 0 else None
