"""One simulated prediction: its timeline, derived lazily from a clock, and its API body."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._constants import API_PREFIX, DELIVERY_PREFIX, START_FRACTION

__all__ = ["SimPrediction", "new_id"]

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
TERMINAL = ("succeeded", "failed", "canceled")


@dataclass
class SimPrediction:
    """One simulated prediction; its status is derived from the time since creation."""

    id: str
    model: str  # "owner/name", a catalogue id
    input: dict[str, Any]
    list_output: bool  # the catalogue's output == "list"
    seed: int
    steps: int
    image_count: int
    output_format: str
    size: tuple[int, int]
    quality: int
    created_wall: float
    created_mono: float  # on the simulator's clock
    duration: float
    # A lying clock: the seconds of work its timestamps claim, whatever it really takes
    # (None: they tell the truth). Only the timestamps and metrics lie; the statuses do not.
    claimed: float | None = None
    fail_error: str | None = None
    fail_status: str = "failed"
    canceled_mono: float | None = None
    expired: bool = False
    # bytes: a decoded-safe input image; str: the label of a placeholder drawn instead
    input_images: list[bytes | str] = field(default_factory=list, repr=False)
    images: dict[int, bytes] = field(default_factory=dict, repr=False)

    @property
    def final_status(self) -> str:
        return self.fail_status if self.fail_error is not None else "succeeded"

    def status_at(self, now: float) -> str:
        """The status at time now on the simulator's clock."""
        if self.canceled_mono is not None:
            return "canceled"
        # Compared as sums, so a status flips exactly at completed_mono(), rounding included.
        if now >= self.created_mono + self.duration:
            return self.final_status
        if now >= self.created_mono + self.duration * START_FRACTION:
            return "processing"
        return "starting"

    def completed_mono(self) -> float:
        """When it ended (or will end) on the simulator's clock."""
        if self.canceled_mono is not None:
            return self.canceled_mono
        return self.created_mono + self.duration

    def output_urls(self, base_url: str) -> list[str]:
        """The delivery URLs of its images, whether or not they are ready."""
        ext = self.output_format
        return [
            f"{base_url}{DELIVERY_PREFIX}/{self.id}/out-{i}.{ext}" for i in range(self.image_count)
        ]

    def to_json(self, base_url: str, now: float, *, fresh: bool = False) -> dict[str, Any]:
        """The API body at time now (fresh: as the create answer shows it)."""
        status = "starting" if fresh else self.status_at(now)
        effective = min(now, self.completed_mono()) - self.created_mono
        start_offset = self.duration * START_FRACTION
        started = not fresh and effective >= start_offset
        terminal = status in TERMINAL
        get_url = f"{base_url}{API_PREFIX}/predictions/{self.id}"
        done_share = effective / self.duration if self.duration > 0 else 1.0
        stamped_start = self._stamped(start_offset, START_FRACTION)
        stamped_end = self._stamped(effective, done_share)
        output, error, metrics = self._outcome(
            base_url, status, stamped_end - stamped_start, started
        )
        body: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "version": "hidden",
            "input": self.input,
            "logs": "" if fresh else self._logs(status, effective),
            "output": output,
            "data_removed": False,
            "error": error,
            "source": "api",
            "status": status,
            "created_at": _iso(self.created_wall),
        }
        if started:
            body["started_at"] = _iso(self.created_wall + stamped_start)
        if terminal:
            body["completed_at"] = _iso(self.created_wall + stamped_end)
        body["urls"] = {"cancel": f"{get_url}/cancel", "get": get_url}
        if terminal:
            body["metrics"] = metrics
        return body

    def _stamped(self, offset: float, share: float) -> float:
        """Seconds after creation the timestamps give for a moment offset s (share) into the run."""
        return offset if self.claimed is None else share * self.claimed

    def _outcome(
        self, base_url: str, status: str, processing: float, started: bool
    ) -> tuple[Any, str | None, dict[str, Any]]:
        """(output, error, metrics) for the status; processing: seconds the timestamps show."""
        predict_time = round(max(0.0, processing), 3)
        if status == "succeeded":
            urls = self.output_urls(base_url)
            metrics = {"predict_time": predict_time, "image_count": self.image_count}
            return (urls if self.list_output else urls[0]), None, metrics
        if status in TERMINAL:
            error = self.fail_error if status == self.fail_status else None
            return None, error, ({"predict_time": predict_time} if started else {})
        return None, None, {}

    def _logs(self, status: str, elapsed: float) -> str:
        start_offset = self.duration * START_FRACTION
        if status == "starting" or elapsed < start_offset:
            return ""
        lines = [f"Using seed: {self.seed}"]
        run = self.duration - start_offset
        finished = status in ("succeeded", "failed") and self.canceled_mono is None
        for step in range(1, self.steps + 1):
            if not finished and elapsed < start_offset + run * step / (self.steps + 1):
                break
            lines.append(_progress_line(step, self.steps, run * step / (self.steps + 1)))
        if status == "succeeded":
            n = self.image_count
            lines.append(f"Total safe images: {n} out of {n}")
            lines.append(f"generate image took {max(0.0, run):.2f} seconds")
        return "".join(line + "\n" for line in lines)


def _progress_line(step: int, total: int, elapsed: float) -> str:
    pct = step * 100 // total
    filled = step * 10 // total
    rate = step / elapsed if elapsed > 0 else 0.0
    remaining = (total - step) / rate if rate else 0.0
    bar = "█" * filled + " " * (10 - filled)
    return f"{pct:4d}%|{bar}| {step}/{total} [{_mmss(elapsed)}<{_mmss(remaining)}, {rate:.2f}it/s]"


def _mmss(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _iso(wall: float) -> str:
    moment = datetime.fromtimestamp(wall, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id() -> str:
    """A fresh 26-character prediction id like Replicate's."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(26))
