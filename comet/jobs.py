"""One run from create to saved files, recorded in history at every step (CLI and app share it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._constants import SUCCESS_UPDATE_AFTER
from .errors import CometError, OutputsIncomplete
from .messages import Message, message
from .outputs import SavingOutputs, iter_saved_outputs
from .prediction import Prediction

if TYPE_CHECKING:
    from .client import CometClient
    from .history import History

__all__ = ["JobUpdate", "start_job", "follow_job", "save_prediction", "saving_prediction"]

# created: the create answered; waiting: a poll (or a success whose images are slow to come);
# saving: one more image is on disk, more are coming (files: those so far); saved: the end.
Stage = Literal["created", "waiting", "saving", "saved"]


@dataclass
class JobUpdate:
    """What a run looks like now: the latest snapshot, and the saved files once there are some.

    note and save_error are English text (the CLI prints them, History stores save_error);
    note_message and save_message say the same as a Message, for a UI to word by its code.
    """

    prediction: Prediction
    stage: Stage
    files: list[Path] = field(default_factory=list)
    note: str = ""
    save_error: str | None = None
    note_message: Message | None = None
    save_message: Message | None = None


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
        client,
        prediction,
        output_dir=output_dir,
        history=history,
        timeout=timeout,
        sent=(model, values),
    )


def follow_job(
    client: CometClient,
    prediction: Prediction | str,
    *,
    output_dir: str | Path,
    history: History | None = None,
    timeout: float | None = None,
    sent: tuple[str, Mapping[str, Any]] | None = None,
) -> Iterator[JobUpdate]:
    """Poll until terminal, recording every change; save the images of a success.

    The downloads start as soon as success is seen; if no image has landed within
    SUCCESS_UPDATE_AFTER, a "waiting" update with the succeeded prediction says so. Then a
    "saving" update follows each file as it lands while more are to come (files: those saved
    so far, in output order), so a page can show every image the moment it exists; the last
    one comes with "saved". Ends normally on any terminal status (the last update says which);
    raises CometError only when waiting itself failed, with the prediction id on the error so
    it can be resumed. Each image carries the run's settings in its metadata: the model and
    input the API reports, else `sent` (the model and input of the create), else History's.
    """
    notes: list[Message] = []

    def remember_retry(error: CometError, wait: float) -> None:
        said = error.msg or error.message  # plain text (an upstream's words) goes in as it is
        notes.append(message("wait.retrying", message=said, seconds=f"{wait:.1f}"))

    last: Prediction | None = None
    for snapshot in client.watch(prediction, timeout=timeout, on_retry=remember_retry):
        last = snapshot
        if history is not None:
            history.record_update(snapshot)
        note = notes[-1] if notes else None
        notes.clear()
        if not snapshot.done:
            yield JobUpdate(snapshot, "waiting", note=str(note or ""), note_message=note)
    assert last is not None  # noqa: S101 - watch always yields a terminal snapshot or raises
    if not last.succeeded:
        yield JobUpdate(last, "saved")
        return
    kept = _already_saved(last, history)
    if kept is not None:  # resumed after its files were saved: they are what counts
        yield JobUpdate(last, "waiting")
        yield JobUpdate(last, "saved", files=kept)
        return
    saving = iter_saved_outputs(_described(last, history, sent), output_dir)  # under way at once
    try:
        # Say the run succeeded only when its images take a while: every update is a round
        # trip through the page, and one replaced a moment later only delays the images.
        if not saving.wait(SUCCESS_UPDATE_AFTER):
            yield JobUpdate(last, "waiting")
        files, incomplete = yield from _saving_updates(last, saving, history)
    finally:
        saving.close()  # Stop while saving: cancel what has not started, never wait
    yield JobUpdate(
        last,
        "saved",
        files=files,
        save_error=incomplete.message if incomplete else None,
        save_message=incomplete.msg if incomplete else None,
    )


def save_prediction(
    prediction: Prediction, output_dir: str | Path, history: History | None = None
) -> tuple[list[Path], str | None]:
    """Save a succeeded prediction's outputs, keeping what could be saved when some fail.

    Outputs already saved in full (resuming a finished prediction) are not fetched again:
    their delivery URLs may have expired since, and the files on disk are what counts.
    """
    saving = saving_prediction(prediction, output_dir, history)
    while True:
        try:
            next(saving)
        except StopIteration as end:
            return end.value


def saving_prediction(
    prediction: Prediction, output_dir: str | Path, history: History | None = None
) -> Generator[JobUpdate, None, tuple[list[Path], str | None]]:
    """save_prediction, yielding a "saving" update as each file lands; returns (files, error).

    History records the files once, at the end. Closed early (Stop), the downloads not yet
    started are cancelled and nothing is recorded: whoever follows the run next saves again.
    """
    kept = _already_saved(prediction, history)
    if kept is not None:
        return kept, None
    saving = iter_saved_outputs(_described(prediction, history), output_dir)
    try:
        files, incomplete = yield from _saving_updates(prediction, saving, history)
    finally:
        saving.close()
    return files, incomplete.message if incomplete else None


def _described(
    prediction: Prediction,
    history: History | None,
    sent: tuple[str, Mapping[str, Any]] | None = None,
) -> Prediction:
    """The prediction as its images describe it: a poll body without its model or input (some
    gateways leave them out) gets them from what was sent, else from History's record."""
    if prediction.model and prediction.input:
        return prediction
    model, values = sent if sent is not None else ("", {})
    entry = history.get(prediction.id) if history is not None else None
    if entry is not None:
        model, values = model or entry.model, values or entry.input
    return dataclasses.replace(
        prediction, model=prediction.model or model, input=prediction.input or dict(values)
    )


def _already_saved(prediction: Prediction, history: History | None) -> list[Path] | None:
    """The files of a prediction History says were all saved and still are; else None."""
    entry = history.get(prediction.id) if history is not None else None
    if entry is not None and entry.files and entry.save_error is None:
        kept = [Path(name) for name in entry.files if Path(name).is_file()]
        if len(kept) == len(entry.files) == len(prediction.output):
            return kept
    return None


def _saving_updates(
    prediction: Prediction, saving: SavingOutputs, history: History | None
) -> Generator[JobUpdate, None, tuple[list[Path], OutputsIncomplete | None]]:
    """A "saving" update per file while more are to come (the last comes with "saved")."""
    saved: dict[int, Path] = {}
    incomplete = None
    try:
        for index, path in saving:
            saved[index] = path
            if saving.pending:
                yield JobUpdate(prediction, "saving", files=[saved[i] for i in sorted(saved)])
    except OutputsIncomplete as exc:
        incomplete = exc
    files = [saved[index] for index in sorted(saved)]
    if history is not None:  # History keeps the English text (a UI shows it as stored)
        save_error = incomplete.message if incomplete else None
        history.record_files(prediction.id, files, save_error=save_error)
    return files, incomplete
