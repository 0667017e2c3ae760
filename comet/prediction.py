"""The Prediction data object: what the API says about one run, normalised."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from ._constants import TERMINAL_STATUSES

__all__ = [
    "Prediction",
    "Status",
    "STATUSES",
    "normalise_output",
    "normalise_status",
    "parse_time",
]

log = logging.getLogger(__name__)

Status = Literal["starting", "processing", "succeeded", "failed", "canceled"]
STATUSES: tuple[str, ...] = ("starting", "processing", "succeeded", "failed", "canceled")
# Names other Replicate-like services use for the same states.
_STATUS_ALIASES = {
    "queued": "starting",
    "pending": "starting",
    "created": "starting",
    "running": "processing",
    "in_progress": "processing",
    "completed": "succeeded",
    "success": "succeeded",
    "error": "failed",
    "cancelled": "canceled",
}
_SEED_RE = re.compile(r"Using seed:\s*(-?\d+)", re.IGNORECASE)
_FRACTION = re.compile(r"(\.\d+)")


def parse_time(value: Any) -> datetime | None:
    """An API timestamp ('...Z', 3 to 9 fraction digits) as an aware datetime, on 3.10 too."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: (m.group(1) + "000000")[:7], text, count=1)
    try:
        parsed = datetime.fromisoformat(text)  # 3.10 needs the fraction at 6 digits
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def normalise_output(output: Any) -> list[str]:
    """Turn the API's output (None, one URL string, a list of URLs) into a list of strings."""
    if output is None:
        return []
    if isinstance(output, str):
        return [output] if output else []
    if isinstance(output, dict):  # some proxies wrap it: {"images": [...]} or {"url": ...}
        for key in ("images", "output", "urls", "url", "image"):
            if key in output:
                return normalise_output(output[key])
        return []
    if isinstance(output, (list, tuple)):
        result: list[str] = []
        for item in output:
            result.extend(normalise_output(item))
        return result
    return []


def normalise_status(raw: Any) -> Status:
    """Map the API's status to one of the five; an unknown one counts as still running."""
    status = str(raw or "starting").strip().lower()
    if status in STATUSES:
        return status  # type: ignore[return-value]
    if status in _STATUS_ALIASES:
        return _STATUS_ALIASES[status]  # type: ignore[return-value]
    log.warning("Unknown prediction status %r; treating it as still processing", raw)
    return "processing"


@dataclass
class Prediction:
    """One prediction as last seen; unknown fields of the API's body are ignored."""

    id: str
    model: str = ""
    status: Status = "starting"
    input: dict[str, Any] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    error: str | None = None
    logs: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prediction:
        """Build a Prediction from a response body, tolerating missing and odd fields."""
        if not isinstance(data, dict) or not data.get("id"):
            raise ValueError("a prediction body must be a JSON object with an id")
        error = data.get("error")
        if error is not None and not isinstance(error, str):
            error = error.get("message", str(error)) if isinstance(error, dict) else str(error)
        return cls(
            id=str(data["id"]),
            model=str(data.get("model") or ""),
            status=normalise_status(data.get("status")),
            input=data.get("input") if isinstance(data.get("input"), dict) else {},
            output=normalise_output(data.get("output")),
            error=error or None,
            logs=data.get("logs") if isinstance(data.get("logs"), str) else "",
            metrics=data.get("metrics") if isinstance(data.get("metrics"), dict) else {},
            created_at=data.get("created_at"),
            started_at=data.get("started_at"),
            completed_at=data.get("completed_at"),
            urls=data.get("urls") if isinstance(data.get("urls"), dict) else {},
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)

    @property
    def done(self) -> bool:
        """True once the prediction can no longer change."""
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def seed(self) -> int | None:
        """The seed used: from the input when given, else parsed from 'Using seed: N' in logs."""
        seed = self.input.get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            return seed
        match = _SEED_RE.search(self.logs or "")
        return int(match.group(1)) if match else None

    @property
    def last_log_line(self) -> str:
        lines = [line for line in (self.logs or "").splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""
