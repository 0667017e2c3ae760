"""The one loop that turns a job's updates into what the status area and gallery show.

Generate and Resume (and anything later) hand it a generator of `JobUpdate`s that does its own
set-up and clean-up; the loop turns each update into a `RunView` and any failure, whenever it
happens, into a friendly message. Closing the loop (Stop) closes the job, so its `finally` runs.
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from comet.errors import CometError, PredictionFailed
from comet.jobs import JobUpdate
from comet.models import get_model

from .i18n import text, translated
from .status import friendly_error, progress_line

__all__ = ["RunView", "follow_run"]

DEFAULT_TYPICAL_SECONDS = 5.0
# A poll that changes nothing but the elapsed time is shown at most this often: every yield is
# a round trip to the page and a re-render there (fast polls would flood a slow browser).
PROGRESS_EVERY = 0.4

log = logging.getLogger("webui.run")


@dataclass
class RunView:
    """One moment of a run as the page shows it."""

    status: str
    prediction_id: str | None = None
    files: list[str] | None = None  # set once, when the images are saved
    seed: int | None = None
    done: bool = False
    failed: bool = False
    notes: list[str] = field(default_factory=list)


def follow_run(
    updates: Iterator[JobUpdate],
    *,
    typical_seconds: float | None = None,
    describe_success: Callable[[JobUpdate, float], str],
    clock: Callable[[], float] = time.monotonic,
    lang: str = "en",
) -> Iterator[RunView]:
    """Yield a RunView per update, then the result; errors become the last, failed view.

    Everything it says is in `lang`; `describe_success` words the result itself.
    """
    started = clock()
    prediction_id = None
    shown: tuple[Any, float] = (None, 0.0)  # what the last progress line said, and when
    try:
        final = None
        for update in updates:
            final = update
            prediction_id = update.prediction.id
            if update.stage == "saving":  # images appear one by one, as each file is saved
                line = text(
                    "gen.saving",
                    lang,
                    saved=len(update.files),
                    total=len(update.prediction.output),
                    seconds=f"{clock() - started:.1f}",
                )
                yield RunView(line, prediction_id, files=[str(p) for p in update.files])
            elif update.stage != "saved":
                note = update.note_message or update.note
                said = (update.stage, update.prediction.status, str(note))
                if said == shown[0] and clock() - shown[1] < PROGRESS_EVERY:
                    continue  # only the seconds would change
                shown = (said, clock())
                typical = typical_seconds or _typical(update.prediction.model)
                elapsed = clock() - started
                line = progress_line(update.prediction, elapsed, typical, note, lang)
                yield RunView(line, prediction_id)
        if final is None:
            return
        if not final.prediction.succeeded:
            raise PredictionFailed(final.prediction)
        status = describe_success(final, clock() - started)
        if final.save_error:
            warning = translated(final.save_message or final.save_error, lang)
            status += "\n\n" + text("status.save_warning", lang, message=warning)
        files = [str(p) for p in final.files]
        yield RunView(status, prediction_id, files, final.prediction.seed, done=True)
    except CometError as exc:
        yield RunView(friendly_error(exc, lang), prediction_id, done=True, failed=True)
    except Exception:
        log.exception("A run failed unexpectedly")
        yield RunView(friendly_error(RuntimeError(), lang), prediction_id, done=True, failed=True)
    finally:
        updates.close()


def _typical(model: str) -> float:
    spec = get_model(model or "")
    return spec.typical_seconds if spec else DEFAULT_TYPICAL_SECONDS
