"""The owner's daily budget: runs per UTC day on the owner's key, all visitors together.

Per-visitor limits (limits.py) stop one visitor; a public Space has many, and MCP callers
besides, so the owner also caps what all of them together spend in a day
(COMET_MAX_RUNS_PER_DAY). Runs on a visitor's or caller's own key do not count. The count is
kept in a small file in the output folder, so a restart does not hand out a fresh budget.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from comet.messages import Message

from .i18n import msg
from .limits import LimitExceeded

__all__ = ["BUDGET_FILE", "DailyBudget"]

BUDGET_FILE = "daily-budget.json"
log = logging.getLogger("webui.budget")


class DailyBudget:
    """Counts the owner's runs of the current UTC day; refuses the one over the limit."""

    def __init__(self, limit: int, folder: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.path = Path(folder) / BUDGET_FILE
        self._clock = clock
        self._lock = threading.Lock()
        self._day: str | None = None
        self._runs = 0

    def __repr__(self) -> str:
        return f"DailyBudget(limit={self.limit}, used={self.used()})"

    def used(self) -> int:
        """Runs counted today (UTC)."""
        with self._lock:
            self._load()
            return self._runs

    def charge(self) -> None:
        """Count one run on the owner's key, or raise LimitExceeded when today's are spent."""
        if self.limit <= 0:
            return
        with self._lock:
            self._load()
            if self._runs >= self.limit:
                raise LimitExceeded(msg("limit.daily", limit=self.limit, wait=self._until_reset()))
            self._runs += 1
            self._save()

    def refund(self) -> None:
        """Give back a run charged for a run that was then refused before anything was sent."""
        if self.limit <= 0:
            return
        with self._lock:
            self._load()
            self._runs = max(0, self._runs - 1)
            self._save()

    # -- the file -------------------------------------------------------------------------

    def _today(self) -> str:
        return datetime.fromtimestamp(self._clock(), timezone.utc).strftime("%Y-%m-%d")

    def _load(self) -> None:
        today = self._today()
        if self._day == today:
            return
        self._day, self._runs = today, 0
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("Could not read %s (%s): counting today's runs from 0", self.path, exc)
            return
        if isinstance(stored, dict) and stored.get("day") == today:
            runs = stored.get("runs")
            self._runs = runs if isinstance(runs, int) and runs >= 0 else 0

    def _save(self) -> None:
        body = json.dumps({"day": self._day, "runs": self._runs})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.path.parent, prefix=".budget-", delete=False, encoding="utf-8"
            ) as file:
                file.write(body)
            os.replace(file.name, self.path)
        except OSError as exc:
            log.warning("Could not save the daily budget in %s: %s", self.path, exc)

    def _until_reset(self) -> Message:
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        minutes = max(1, round((midnight - now).total_seconds() / 60))
        hours, minutes = divmod(minutes, 60)
        if hours:
            return msg("hours_minutes", hours=hours, minutes=minutes)
        return msg("minute" if minutes == 1 else "minutes", count=minutes)
