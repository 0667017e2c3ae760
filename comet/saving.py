"""SavingOutputs: a prediction's outputs saved side by side, each handed on as it lands."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import requests

from .downloads import Timeout, download_pool, save_source, shared_session
from .errors import OutputsIncomplete
from .messages import Message, message
from .metadata import settings_of
from .prediction import Prediction
from .saved_files import Failure, SaveFailure, failure_key, safe_stem, write_sidecar

__all__ = ["SavingOutputs"]

log = logging.getLogger(__name__)


class SavingOutputs(Iterator[tuple[int, Path]]):
    """What iter_saved_outputs returns: (index, path) as each file lands; close() to stop early.

    The work runs on the process's download threads (comet.downloads), at most `workers` of
    this prediction's outputs at a time; each finished one starts the next.
    """

    def __init__(
        self,
        prediction: Prediction,
        directory: Path,
        session: requests.Session | None,
        timeout: Timeout,
        max_bytes: int,
        workers: int,
        *,
        embed_settings: bool = True,
    ) -> None:
        self.prediction = prediction
        self.directory = directory
        self.sources = list(prediction.output)
        self._http = session
        self._stem = safe_stem(prediction.id)
        self._timeout, self._max_bytes = timeout, max_bytes
        self._settings = settings_of(prediction) if embed_settings else None
        self._saved: dict[int, Path] = {}
        self._failures: dict[int, Failure] = {}
        self._results: queue.SimpleQueue[tuple[int, Path | BaseException]] = queue.SimpleQueue()
        self._waiting = deque(range(len(self.sources)))  # not handed to a thread yet
        self._started: list[Future[None]] = []
        self._landed: deque[tuple[int, Path]] = deque()  # received, not handed on yet
        self._received = 0
        self._ended = False
        self._lock = threading.Lock()
        for _ in range(max(1, workers)):
            self._start_next()

    def _start_next(self) -> None:
        with self._lock:
            if self._ended or not self._waiting:
                return
            index = self._waiting.popleft()
            try:
                self._started.append(download_pool().submit(self._save, index))
            except RuntimeError:  # the interpreter is shutting down
                self._results.put((index, SaveFailure("the app is shutting down")))

    def _save(self, index: int) -> None:
        http = self._http if self._http is not None else shared_session()
        outcome: Path | BaseException
        try:
            carried = None if self._settings is None else {**self._settings, "output_index": index}
            outcome = save_source(
                http,
                self.sources[index],
                self.directory,
                f"{self._stem}-{index}",
                self._timeout,
                self._max_bytes,
                carried,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, who raises it
            outcome = exc
        self._results.put((index, outcome))
        self._start_next()

    @property
    def pending(self) -> int:
        """Outputs not handed on yet and not failed: 0 once the last file has been."""
        return len(self.sources) - self._received + len(self._landed)

    def wait(self, timeout: float) -> bool:
        """Wait up to timeout seconds for a file to land; True when next() will not block."""
        deadline = time.monotonic() + timeout
        while not self._landed and not self._ended and self._received < len(self.sources):
            left = deadline - time.monotonic()
            if left <= 0 or not self._receive(left):
                return False
        return True

    def __next__(self) -> tuple[int, Path]:
        while not self._landed and not self._ended and self._received < len(self.sources):
            self._receive(None)
        if self._landed:
            index, path = self._landed.popleft()
            self._saved[index] = path
            return index, path
        if not self._ended:
            self._finish()
        raise StopIteration

    def _receive(self, timeout: float | None) -> bool:
        """Take one finished output from the threads; False when none came within timeout."""
        try:
            index, outcome = self._results.get(timeout=timeout)
        except queue.Empty:
            return False
        self._received += 1
        if isinstance(outcome, Path):
            self._landed.append((index, outcome))
        elif isinstance(outcome, SaveFailure):
            reason = str(outcome)
            log.warning("Could not save output %d of %s: %s", index, self.prediction.id, reason)
            self._failures[index] = (failure_key(index, self.sources[index]), reason)
        else:
            self.close()
            raise outcome  # not a download failure: a bug, or an interrupt
        return True

    def _finish(self) -> None:
        """Every output is saved or failed: the sidecar, then OutputsIncomplete if any failed."""
        self._ended = True
        files = [self._saved[index] for index in sorted(self._saved)]
        failures = sorted(self._failures.items())
        try:
            write_sidecar(self.prediction, self.directory, files, [f for _, f in failures])
        except OSError as exc:  # the images matter more than their description
            log.warning("Could not write the sidecar of %s: %s", self.prediction.id, exc)
        if failures:
            raise OutputsIncomplete(
                _incomplete_message(len(self.sources), failures),
                saved=files,
                failures=[failure for _, failure in failures],
                prediction_id=self.prediction.id,
            )

    def close(self) -> None:
        """Stop early: start nothing more. Never waits (on Stop this may be the event loop):
        downloads under way finish in their threads, each file written atomically."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
            self._waiting.clear()
            for future in self._started:
                future.cancel()  # only those still queued behind other runs' downloads


def _incomplete_message(total: int, failures: list[tuple[int, Failure]]) -> Message:
    # Each reason is the download's own account (comet/downloads.py), kept in English.
    details = "; ".join(f"output {index}: {reason}" for index, (_, reason) in failures)
    code = "save.one" if total == 1 else "save.many"
    return message(code, failed=len(failures), total=total, details=details)
