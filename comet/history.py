"""The history store: every prediction recorded the moment it exists, so none is ever lost.

One SQLite file, <output dir>/history.sqlite3, written only through this module. A prediction
is recorded as soon as the create call returns, before any polling, so a crash, a closed tab or
an expired delivery URL still leaves its id behind to resume or inspect.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._constants import TERMINAL_STATUSES
from .errors import CometError
from .outputs import shorten_data_uris
from .prediction import STATUSES, Prediction, normalise_status, parse_time

__all__ = ["History", "HistoryEntry", "HistorySchemaError", "FILENAME", "MIGRATIONS"]

log = logging.getLogger(__name__)

FILENAME = "history.sqlite3"
_BUSY_TIMEOUT_MS = 10_000
_UNFINISHED_SQL = "status NOT IN ({})".format(", ".join("?" * len(TERMINAL_STATUSES)))
_TERMINAL = tuple(sorted(TERMINAL_STATUSES))


class HistorySchemaError(CometError):
    """The history file cannot be used by this version (newer schema, or not a database)."""


# --- schema -----------------------------------------------------------------------------------


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
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migration_1]


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


# --- the store --------------------------------------------------------------------------------

_COLUMNS = (
    "id, model, status, prompt, input, output, files, error, logs, metrics, created_at, "
    "started_at, completed_at, recorded_at, updated_at, owner, source, save_error"
)
_COLUMN_NAMES = tuple(name.strip() for name in _COLUMNS.split(","))


class History:
    """The history file: safe to share between handler threads and between processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection guarded by a lock: simple, and close() works from any thread. WAL and
        # the busy timeout cover a second process (the CLI next to the app) on the same file.
        self._lock = threading.RLock()
        self._closed = True
        try:
            self._conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=10.0
            )
        except sqlite3.Error as exc:
            raise HistorySchemaError(f"Could not open the history file {self.path}: {exc}") from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise HistorySchemaError(
                f"{self.path} is not a readable history file ({exc}); move it aside to start "
                "a new history."
            ) from exc
        except BaseException:
            self._conn.close()
            raise
        self._closed = False

    @classmethod
    def in_directory(cls, directory: str | Path) -> History:
        """The history kept next to the images of an output directory."""
        return cls(Path(directory) / FILENAME)

    def __repr__(self) -> str:
        return f"History({str(self.path)!r})"

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- schema ---

    def _migrate(self) -> None:
        """Bring the file up to the newest schema, one transaction per step."""
        migrations = list(MIGRATIONS)
        with self._lock:
            while True:
                self._conn.execute("BEGIN IMMEDIATE")  # another process may migrate as well
                try:
                    version = self._read_version()
                    if version > len(migrations):
                        raise HistorySchemaError(
                            f"{self.path} was written by a newer version of comet-flux (history "
                            f"schema {version}; this version knows up to {len(migrations)}). "
                            "Upgrade comet-flux, or use another output directory."
                        )
                    if version == len(migrations):
                        self._conn.execute("COMMIT")
                        return
                    migrations[version](self._conn)
                    self._conn.execute("UPDATE schema_version SET version = ?", (version + 1,))
                    self._conn.execute("COMMIT")
                    log.info("History %s migrated to schema %d", self.path, version + 1)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    def _read_version(self) -> int:
        self._conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        if row is None or row[0] is None:
            self._conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            return 0
        return int(row[0])

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0])

    # --- writing ---

    def record_created(
        self, prediction: Prediction, *, owner: str | None = None, source: str = "app"
    ) -> None:
        """Record a prediction the moment the create call returns, before any polling."""
        now = time.time()
        values = _prediction_values(prediction)
        with self._write() as conn:
            conn.execute(
                f"""
                INSERT INTO predictions ({_COLUMNS})
                VALUES (:id, :model, :status, :prompt, :input, :output, '[]', :error, :logs,
                        :metrics, :created_at, :started_at, :completed_at, :now, :now, :owner,
                        :source, NULL)
                ON CONFLICT (id) DO UPDATE SET
                    owner = COALESCE(predictions.owner, excluded.owner),
                    source = excluded.source,
                    updated_at = excluded.updated_at
                """,  # noqa: S608 - the column list is a constant
                {**values, "now": now, "owner": owner, "source": source},
            )

    def record_update(self, prediction: Prediction) -> bool:
        """Store the latest snapshot; True when the status changed (an unknown id is inserted).

        A late, stale snapshot never takes a finished prediction back to running.
        """
        now = time.time()
        values = _prediction_values(prediction)
        with self._write() as conn:
            row = conn.execute(
                "SELECT status FROM predictions WHERE id = ?", (prediction.id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    f"""
                    INSERT INTO predictions ({_COLUMNS})
                    VALUES (:id, :model, :status, :prompt, :input, :output, '[]', :error, :logs,
                            :metrics, :created_at, :started_at, :completed_at, :now, :now, NULL,
                            'app', NULL)
                    """,  # noqa: S608 - the column list is a constant
                    {**values, "now": now},
                )
                return True
            old_status = row[0]
            if old_status in TERMINAL_STATUSES and prediction.status not in TERMINAL_STATUSES:
                return False
            conn.execute(
                """
                UPDATE predictions SET
                    model = CASE WHEN :model != '' THEN :model ELSE model END,
                    status = :status,
                    prompt = CASE WHEN :has_input THEN :prompt ELSE prompt END,
                    input = CASE WHEN :has_input THEN :input ELSE input END,
                    output = :output,
                    error = :error,
                    logs = :logs,
                    metrics = :metrics,
                    created_at = COALESCE(:created_at, created_at),
                    started_at = COALESCE(:started_at, started_at),
                    completed_at = COALESCE(:completed_at, completed_at),
                    updated_at = :now
                WHERE id = :id
                """,
                {**values, "now": now, "has_input": bool(prediction.input)},
            )
            return old_status != prediction.status

    def record_files(
        self, prediction_id: str, files: Sequence[str | Path], *, save_error: str | None = None
    ) -> None:
        """Remember which files were saved (absolute paths) and why any could not be."""
        names = json.dumps([str(Path(file).resolve()) for file in files], ensure_ascii=False)
        now = time.time()
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE predictions SET files = ?, save_error = ?, updated_at = ? WHERE id = ?",
                (names, save_error, now, prediction_id),
            )
            if cursor.rowcount == 0:
                # Unknown here (another history file made it?): keep the files, and let the
                # 'starting' status mark it as one to look up again.
                log.warning("Saved files of %s, which the history did not know", prediction_id)
                conn.execute(
                    "INSERT INTO predictions (id, files, save_error, recorded_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (prediction_id, names, save_error, now, now),
                )

    # --- reading ---

    def get(self, prediction_id: str) -> HistoryEntry | None:
        """One entry by prediction id, or None."""
        rows = self._query(f"SELECT {_COLUMNS} FROM predictions WHERE id = ?", (prediction_id,))  # noqa: S608
        return rows[0] if rows else None

    def list(
        self, *, limit: int = 100, owner: str | None = None, include_all: bool = True
    ) -> list[HistoryEntry]:
        """Newest first; with an owner and include_all=False, only that owner's predictions."""
        if owner is not None and not include_all:
            return self._query(
                f"SELECT {_COLUMNS} FROM predictions WHERE owner = ? "  # noqa: S608
                "ORDER BY recorded_at DESC, rowid DESC LIMIT ?",
                (owner, max(0, int(limit))),
            )
        return self._query(
            f"SELECT {_COLUMNS} FROM predictions "  # noqa: S608
            "ORDER BY recorded_at DESC, rowid DESC LIMIT ?",
            (max(0, int(limit)),),
        )

    def unfinished(self, *, owner: str | None = None) -> list[HistoryEntry]:
        """Predictions not known to be finished, to resume; newest first, optionally one owner's."""
        where, params = _UNFINISHED_SQL, list(_TERMINAL)
        if owner is not None:
            where += " AND owner = ?"
            params.append(owner)
        return self._query(
            f"SELECT {_COLUMNS} FROM predictions WHERE {where} "  # noqa: S608
            "ORDER BY recorded_at DESC, rowid DESC",
            tuple(params),
        )

    def recent_durations(
        self, model: str, limit: int = 20, *, num_outputs: int | None = None
    ) -> list[float]:
        """Seconds from created to completed of model's latest successes, newest first.

        With num_outputs, only runs that asked for that many images (1 when not given). For
        seeding a client's DurationMemory: `memory.seed(model, history.recent_durations(model))`.
        """
        found: list[float] = []
        offset, batch = 0, max(1, int(limit)) * 4
        while len(found) < limit:
            rows = self._query(
                f"SELECT {_COLUMNS} FROM predictions "  # noqa: S608
                "WHERE model = ? AND status = 'succeeded' "
                "AND created_at IS NOT NULL AND completed_at IS NOT NULL "
                "ORDER BY recorded_at DESC, rowid DESC LIMIT ? OFFSET ?",
                (model, batch, offset),
            )
            for entry in rows:
                asked = entry.input.get("num_outputs", 1)
                if num_outputs is not None and (isinstance(asked, bool) or asked != num_outputs):
                    continue
                start, end = parse_time(entry.created_at), parse_time(entry.completed_at)
                if start is not None and end is not None and end >= start:
                    found.append((end - start).total_seconds())
                    if len(found) >= limit:
                        break
            if len(rows) < batch:
                break
            offset += batch
        return found

    def delete(self, prediction_id: str) -> bool:
        """Forget one prediction (its files stay where they are); True if it was there."""
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM predictions WHERE id = ?", (prediction_id,))
            return cursor.rowcount > 0

    def abandon_unfinished(self, *, source: str, reason: str) -> int:
        """Mark the unfinished predictions of one source failed (they can never finish)."""
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE predictions SET status = 'failed', error = ?, updated_at = ? "  # noqa: S608
                f"WHERE source = ? AND {_UNFINISHED_SQL}",
                (reason, time.time(), source, *_TERMINAL),
            )
            return cursor.rowcount

    def count(self) -> int:
        """How many predictions are recorded."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0])

    def close(self) -> None:
        """Close the file; calling it again does nothing."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    # --- plumbing ---

    def _write(self) -> _Transaction:
        return _Transaction(self)

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[HistoryEntry]:
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_entry(row) for row in rows]


class _Transaction:
    """Hold the lock and one IMMEDIATE transaction: commit on success, roll back on error."""

    def __init__(self, history: History) -> None:
        self._history = history

    def __enter__(self) -> sqlite3.Connection:
        self._history._lock.acquire()
        try:
            self._history._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._history._lock.release()
            raise
        return self._history._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._history._conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._history._lock.release()


def _prediction_values(prediction: Prediction) -> dict[str, Any]:
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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _loads(text: str | None, default: Any) -> Any:
    try:
        value = json.loads(text) if text else default
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
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
