"""One run from create to saved files, recorded in history at every step (CLI and app share it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import CometError, OutputsIncomplete
from .outputs import save_outputs
from .prediction import Prediction

if TYPE_CHECKING:
    from .client import CometClient
    from .history import History

__all__ = ["JobUpdate", "start_job", "follow_job"]

Stage = Literal["created", "waiting", "saved"]


@dataclass
class JobUpdate:
    """What a run looks like now: the latest snapshot, and the saved files once there are some."""

    prediction: Prediction
    stage: Stage
    files: list[Path] = field(default_factory=list)
    note: str = ""
    save_error: str | None = None


def start_job(
    client: CometClient,
    model: str,
    values: Mapping[str, Any],
    *,
    output_dir: str | Path,
    history: History | None = None,
    owner: str | None = None,
    source: str = "app",
    timeout: float | None = None,
) -> Iterator[JobUpdate]:
    """Create a prediction, record it at once, then follow it to saved files."""
    prediction = client.create_prediction(model, values)
    if history is not None:
        history.record_created(prediction, owner=owner, source=source)
    yield JobUpdate(prediction, "created")
    yield from follow_job(
        client, prediction, output_dir=output_dir, history=history, timeout=timeout
    )


def follow_job(
    client: CometClient,
    prediction: Prediction | str,
    *,
    output_dir: str | Path,
    history: History | None = None,
    timeout: float | None = None,
) -> Iterator[JobUpdate]:
    """Poll until terminal, recording every change; save the images of a success.

    Ends normally on any terminal status (the last update says which); raises CometError
    only when waiting itself failed, with the prediction id on the error so it can be resumed.
    """
    notes: list[str] = []

    def remember_retry(error: CometError, wait: float) -> None:
        notes.append(f"{error.message} Retrying in {wait:.1f} s.")

    last: Prediction | None = None
    for snapshot in client.watch(prediction, timeout=timeout, on_retry=remember_retry):
        last = snapshot
        if history is not None:
            history.record_update(snapshot)
        note = notes[-1] if notes else ""
        notes.clear()
        if not snapshot.done:
            yield JobUpdate(snapshot, "waiting", note=note)
    assert last is not None  # noqa: S101 - watch always yields a terminal snapshot or raises
    if not last.succeeded:
        yield JobUpdate(last, "saved")
        return
    yield JobUpdate(last, "waiting")
    files, save_error = save_prediction(last, output_dir, history)
    yield JobUpdate(last, "saved", files=files, save_error=save_error)


def save_prediction(
    prediction: Prediction, output_dir: str | Path, history: History | None = None
) -> tuple[list[Path], str | None]:
    """Save a succeeded prediction's outputs, keeping what could be saved when some fail.

    Outputs already saved in full (resuming a finished prediction) are not fetched again:
    their delivery URLs may have expired since, and the files on disk are what counts.
    """
    entry = history.get(prediction.id) if history is not None else None
    if entry is not None and entry.files and entry.save_error is None:
        kept = [Path(name) for name in entry.files if Path(name).is_file()]
        if len(kept) == len(entry.files) == len(prediction.output):
            return kept, None
    try:
        files = save_outputs(prediction, output_dir)
        error = None
    except OutputsIncomplete as exc:
        files, error = list(exc.saved), exc.message
    if history is not None:
        history.record_files(prediction.id, files, save_error=error)
    return files, error
