"""How long predictions take, remembered per model and input size, to plan when to poll.

A client records the duration of every prediction it sees succeed (created_at to completed_at
as the API reports them, else its own observation) and asks this memory when the next one is
likely to finish. The app and the CLI seed it from the history file once, and share it:

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
from typing import Any

from . import _constants as C
from .models import MODELS, get_model
from .polling import Expectation
from .prediction import Prediction, parse_time

__all__ = [
    "DurationMemory",
    "seed_from_history",
    "work_units",
    "prediction_seconds",
    "parse_timestamp",
]

_MEGAPIXELS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:MP)?\s*$", re.IGNORECASE)


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
        # model -> (prediction id or None, work units, seconds), oldest first
        self._runs: dict[str, deque[tuple[str | None, float, float]]] = {}
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
    ) -> bool:
        """Remember one duration (once per prediction id); False when it was not kept."""
        if not model or not _usable(seconds):
            return False
        work = work_units(model, input)
        with self._lock:
            runs = self._runs.setdefault(model, deque(maxlen=self._limit))
            if prediction_id is not None and any(run[0] == prediction_id for run in runs):
                return False
            runs.append((prediction_id, work, float(seconds)))
        return True

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
            for value in seconds:
                if len(runs) >= self._limit:
                    break  # full of fresher durations already
                if _usable(value):
                    runs.appendleft((None, work, float(value)))
                    kept += 1
        return kept

    def samples(self, model: str, input: Mapping[str, Any] | None = None) -> list[float]:  # noqa: A002
        """The recent durations for model, scaled to input's size, oldest first."""
        work = work_units(model, input)
        with self._lock:
            runs = list(self._runs.get(model, ()))
        same = [seconds for _, w, seconds in runs if math.isclose(w, work, rel_tol=0.01)]
        if len(same) >= C.DURATION_SAME_INPUT:
            return same[-C.DURATION_SAMPLES :]
        return [seconds * _scale(work) / _scale(w) for _, w, seconds in runs][-C.DURATION_SAMPLES :]

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
