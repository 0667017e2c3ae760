"""The app's settings, read once from the environment (and .env) with clear errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ._constants import DEFAULT_BASE_URL, DEFAULT_OUTPUT_DIR

__all__ = ["AppSettings"]

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{name} must be more than 0, got {raw!r}")
    return value


@dataclass
class AppSettings:
    """Everything the web app reads from the environment; the owner key is never in repr."""

    owner_key: str = field(default="", repr=False)
    base_url: str = DEFAULT_BASE_URL
    output_dir: Path = Path(DEFAULT_OUTPUT_DIR)
    concurrency: int = 16
    require_user_key: bool = False
    max_runs_per_hour: int = 20
    max_concurrent_per_visitor: int = 2
    max_images_per_run: int = 4
    shared: bool = False
    poll_interval: float | None = None
    timeout: float | None = None

    @classmethod
    def from_env(cls) -> AppSettings:
        """Read COMET_* (and SPACE_ID) variables; bad numbers raise ValueError naming them."""
        return cls(
            owner_key=os.environ.get("COMET_API_KEY", "").strip(),
            base_url=(os.environ.get("COMET_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/"),
            output_dir=Path(os.environ.get("COMET_OUTPUT_DIR") or DEFAULT_OUTPUT_DIR),
            concurrency=_int("COMET_CONCURRENCY", 16, minimum=1),
            require_user_key=_flag("COMET_REQUIRE_USER_KEY"),
            max_runs_per_hour=_int("COMET_MAX_RUNS_PER_HOUR", 20),
            max_concurrent_per_visitor=_int("COMET_MAX_CONCURRENT_PER_VISITOR", 2, minimum=1),
            max_images_per_run=_int("COMET_MAX_IMAGES_PER_RUN", 4, minimum=1),
            shared=_flag("COMET_SHARED") or bool(os.environ.get("SPACE_ID")),
            poll_interval=_float("COMET_POLL_INTERVAL"),
            timeout=_float("COMET_TIMEOUT"),
        )

    @property
    def demo(self) -> bool:
        """No owner key: visitors without their own key get the offline simulator."""
        return not self.owner_key
