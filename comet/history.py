"""The history store: every prediction recorded the moment it exists, so none is ever lost.

One SQLite file, <output dir>/history.sqlite3, written only through this module. A prediction
is recorded as soon as the create call returns, before any polling, so a crash, a closed tab or
an expired delivery URL still leaves its id behind to resume or inspect. What a row holds, and
the migrations that shape the file, are in comet.history_schema.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._constants import TERMINAL_STATUSES
from .history_schema import (
    COLUMNS,
    MIGRATIONS,
    HistoryEntry,
    HistorySchemaError,
    entry_from_row,
    migrate,
    prediction_values,
)
from .prediction import Prediction, parse_time

__all__ = ["History", "HistoryEntry", "HistorySchemaError", "FILENAME", "MIGRATIONS"]

log = logging.getLogger(__name__)

FILENAME = "history.sqlite3"
_BUSY_TIMEOUT_MS = 10_000
_UNFINISHED_SQL = "status NOT IN ({})".format(", ".join("?" * len(TERMINAL_STATUSES)))
_TERMINAL = tuple(sorted(TERMINAL_STATUSES))


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
        """Bring the file up to the newest schema (comet.history_schema runs the steps)."""
        with self._lock:
            # This module's MIGRATIONS, looked up when a file opens: steps appended later run.
            migrate(self._conn, self.path, list(MIGRATIONS))

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
        values = prediction_values(prediction)
        with self._write() as conn:
            conn.execute(
                f"""
                INSERT INTO predictions ({COLUMNS})
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
        values = prediction_values(prediction)
        with self._write() as conn:
            row = conn.execute(
                "SELECT status FROM predictions WHERE id = ?", (prediction.id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    f"""
                    INSERT INTO predictions ({COLUMNS})
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
        rows = self._query(f"SELECT {COLUMNS} FROM predictions WHERE id = ?", (prediction_id,))  # noqa: S608
        return rows[0] if rows else None

    def list(
        self, *, limit: int = 100, owner: str | None = None, include_all: bool = True
    ) -> list[HistoryEntry]:
        """Newest first; with an owner and include_all=False, only that owner's predictions."""
        if owner is not None and not include_all:
            return self._query(
                f"SELECT {COLUMNS} FROM predictions WHERE owner = ? "  # noqa: S608
                "ORDER BY recorded_at DESC, rowid DESC LIMIT ?",
                (owner, max(0, int(limit))),
            )
        return self._query(
            f"SELECT {COLUMNS} FROM predictions "  # noqa: S608
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
            f"SELECT {COLUMNS} FROM predictions WHERE {where} "  # noqa: S608
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
                f"SELECT {COLUMNS} FROM predictions "  # noqa: S608
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
        return [entry_from_row(row) for row in rows]


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
