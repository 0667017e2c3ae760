"""What Stop says: nothing was sent, or which prediction was created and where it will be.

Stop first cancels the run (Gradio's `cancels=`), then this says what happened. A create in
flight is waited for briefly, so that "nothing was sent" is true. The run's state is the one
Gradio keeps on the server (the last yield's); the page may not have received it yet, or the
new run may not have yielded at all: the status the page shows, and the ticket of the run its
session started last, tell which run Stop is about.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from .i18n import LANGUAGES, language, text
from .runs import RunTicket
from .sessions import PerSession
from .status import stop_note

__all__ = ["STOP_WAIT_SECONDS", "TICKETS_REMEMBERED", "stop_run"]

# How long Stop waits for a create in flight to say whether a prediction exists.
STOP_WAIT_SECONDS = 10.0
# Page sessions whose newest run's ticket Stop can find (a few hundred bytes each).
TICKETS_REMEMBERED = 4096


def stop_run(
    run: dict | None, shown: str | None, request: gr.Request | None, tickets: PerSession[RunTicket]
) -> dict[str, Any]:
    """Stop's outputs, by name: status, gallery, Stop and the run's state (or Stop alone)."""
    run = run or {}
    ticket = run.get("ticket")
    lang = language(request)
    off = gr.update(interactive=False)
    submitting = _shows_submitting(shown)
    newest = tickets.get(request) if submitting else None
    if newest is not None and newest is not ticket:
        run, ticket = {}, newest  # this run's first line never reached the page
    elif run.get("done"):
        if not submitting:
            return {"stop": off}  # too late: the result stands
        if run.get("id") and not run.get("stopped"):
            # The page's own "Submitting…" over a finished run's state: the new run never
            # started, or it finished before any of its lines arrived. Either way, nothing
            # more was sent, and the run that was is in History.
            return {"status": text("gen.stopped_finished", lang, id=run["id"]), "stop": off}
        run, ticket = {}, None  # the new run never started: nothing was sent
    prediction_id = run.get("id")
    settled = True
    if not prediction_id and isinstance(ticket, RunTicket):
        settled = ticket.wait(STOP_WAIT_SECONDS)
        prediction_id = ticket.prediction_id
    if prediction_id:
        status = text("gen.stopped_waiting", lang, note=stop_note(prediction_id, lang))
    elif settled:
        status = text("gen.stopped_early", lang)
    else:
        status = text("gen.stopped_sending", lang)
    stopped = {"id": prediction_id, "done": True, "stopped": True, "ticket": ticket}
    return {"status": status, "gallery": None, "stop": off, "run_state": stopped}


def _shows_submitting(shown: str | None) -> bool:
    """True when the status is still the page's own "Submitting…" (in any language)."""
    if not isinstance(shown, str):
        return False
    return shown.strip() in {text("gen.submitting", lang) for lang in LANGUAGES}
