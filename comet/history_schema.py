"""The history file's schema: its migrations, and how a prediction maps to a row and back.

comet.history's History class is the only writer; this module holds what the rows look like,
so a new column is one migration here plus its place in HistoryEntry and the row mapping.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._constants import TERMINAL_STATUSES
from .data_uris import shorten_data_uris
from .errors import CometError
from .prediction import STATUSES, Prediction, normalise_status, parse_time

__all__ = [
    "COLUMNS",
    "MIGRATIONS",
    "HistoryEntry",
    "HistorySchemaError",
    "Migration",
    "entry_from_row",
    "migrate",
    "prediction_values",
    "read_version",
]

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]


class HistorySchemaError(CometError):
    """The history file cannot be used by this version (newer schema, or not a database)."""


# --- migrations -------------------------------------------------------------------------------


def _migration_1(conn: sqlite3.Connection) -> None:
    """The predictions table as first shipped."""
    conn.execute(
        """
        CREATE TABLE predictions (
            id           TEXT PRIMARY KEY,
            model        TEXT NOT NULL DEFAULT '',
            status       TEXT NOT NULL DEFAULT 'starting',
            prompt       TEXT NOT NULL DEFAULT '',
            input        TEXT NOT NULL DEFAULT '{}',
            output       TEXT NOT NULL DEFAULT '[]',
            files        TEXT NOT NULL DEFAULT '[]',
            error        TEXT,
            logs         TEXT NOT NULL DEFAULT '',
            metrics      TEXT NOT NULL DEFAULT '{}',
            created_at   TEXT,
            started_at   TEXT,
            completed_at TEXT,
            recorded_at  REAL NOT NULL,
            updated_at   REAL NOT NULL,
            owner        TEXT,
            source       TEXT NOT NULL DEFAULT 'app',
            save_error   TEXT
        )
        """
    )
    conn.execute("CREATE INDEX predictions_by_time ON predictions (recorded_at DESC)")
    conn.execute("CREATE INDEX predictions_by_owner ON predictions (owner, recorded_at DESC)")
    conn.execute("CREATE INDEX predictions_by_status ON predictions (status)")


# Applied in order, each in its own transaction; the file's version is how many have run.
# Only ever append: an old file then gains the new steps and a new file runs them all.
MIGRATIONS: list[Migration] = [_migration_1]


def migrate(conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration]) -> None:
    """Bring the file up to the newest schema, one transaction per step.

    conn is in autocommit mode (isolation_level=None) and used by this thread only meanwhile.
    """
    while True:
        conn.execute("BEGIN IMMEDIATE")  # another process may migrate as well
        try:
            version = read_version(conn)
            if version > len(migrations):
                raise HistorySchemaError(
                    f"{path} was written by a newer version of comet-flux (history "
                    f"schema {version}; this version knows up to {len(migrations)}). "
                    "Upgrade comet-flux, or use another output directory."
                )
            if version == len(migrations):
                conn.execute("COMMIT")
                return
            migrations[version](conn)
            conn.execute("UPDATE schema_version SET version = ?", (version + 1,))
            conn.execute("COMMIT")
            log.info("History %s migrated to schema %d", path, version + 1)
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def read_version(conn: sqlite3.Connection) -> int:
    """How many migrations the file has had (0 for a new file, which gets the table for it)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    if row is None or row[0] is None:
        conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        return 0
    return int(row[0])


# --- entries ----------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    """One recorded prediction, with when and by whom it was started and what was saved."""

    id: str
    model: str = ""
    status: str = "starting"
    prompt: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    error: str | None = None
    logs: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    recorded_at: float = 0.0
    updated_at: float = 0.0
    owner: str | None = None
    source: str = "app"
    save_error: str | None = None

    @property
    def done(self) -> bool:
        """True once the prediction can no longer change (no need to resume it)."""
        return self.status in TERMINAL_STATUSES

    @property
    def duration(self) -> float | None:
        """Seconds from created to completed, else the model's predict_time, else None."""
        start, end = parse_time(self.created_at), parse_time(self.completed_at)
        if start is not None and end is not None and end >= start:
            return (end - start).total_seconds()
        predict_time = self.metrics.get("predict_time")
        if isinstance(predict_time, (int, float)) and not isinstance(predict_time, bool):
            return float(predict_time)
        return None

    def to_prediction(self) -> Prediction:
        """The entry as a Prediction, to resume polling or to show like a fresh result."""
        status = self.status if self.status in STATUSES else normalise_status(self.status)
        return Prediction(
            id=self.id,
            model=self.model,
            status=status,  # type: ignore[arg-type]
            input=dict(self.input),
            output=list(self.output),
            error=self.error,
            logs=self.logs,
            metrics=dict(self.metrics),
            created_at=self.created_at,
            started_at=self.started_at,
            completed_at=self.completed_at,
        )


# --- rows -------------------------------------------------------------------------------------

COLUMNS = (
    "id, model, status, prompt, input, output, files, error, logs, metrics, created_at, "
    "started_at, completed_at, recorded_at, updated_at, owner, source, save_error"
)
_COLUMN_NAMES = tuple(name.strip() for name in COLUMNS.split(","))


def prediction_values(prediction: Prediction) -> dict[str, Any]:
    """The columns of a prediction, data: URIs shortened (uploads can be megabytes)."""
    prompt = prediction.input.get("prompt") if isinstance(prediction.input, dict) else None
    return {
        "id": prediction.id,
        "model": prediction.model or "",
        "status": prediction.status,
        "prompt": prompt if isinstance(prompt, str) else "",
        "input": _dumps(shorten_data_uris(prediction.input or {})),
        "output": _dumps(shorten_data_uris(list(prediction.output))),
        "error": prediction.error,
        "logs": prediction.logs or "",
        "metrics": _dumps(prediction.metrics or {}),
        "created_at": prediction.created_at,
        "started_at": prediction.started_at,
        "completed_at": prediction.completed_at,
    }


def entry_from_row(row: Sequence[Any]) -> HistoryEntry:
    """A row selected as COLUMNS, as an entry; a damaged JSON column reads as empty."""
    values = dict(zip(_COLUMN_NAMES, row, strict=True))
    return HistoryEntry(
        id=values["id"],
        model=values["model"] or "",
        status=values["status"] or "starting",
        prompt=values["prompt"] or "",
        input=_loads(values["input"], {}),
        output=_loads(values["output"], []),
        files=_loads(values["files"], []),
        error=values["error"],
        logs=values["logs"] or "",
        metrics=_loads(values["metrics"], {}),
        created_at=values["created_at"],
        started_at=values["started_at"],
        completed_at=values["completed_at"],
        recorded_at=float(values["recorded_at"] or 0.0),
        updated_at=float(values["updated_at"] or 0.0),
        owner=values["owner"],
        source=values["source"] or "app",
        save_error=values["save_error"],
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _loads(text: str | None, default: Any) -> Any:
    try:
        value = json.loads(text) if text else default
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default
