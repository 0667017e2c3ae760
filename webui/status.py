"""Words for the status area: progress while waiting, and failures a person can act on."""

from __future__ import annotations

import html

from comet.errors import (
    AuthenticationError,
    CometConnectionError,
    CometError,
    CometTimeout,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PredictionFailed,
    RateLimitError,
    ServerError,
)
from comet.prediction import Prediction

from .limits import LimitExceeded

__all__ = ["progress_line", "friendly_error", "shown", "STOP_NOTE"]

STOP_NOTE = (
    "CometAPI has no cancel route, so prediction `{id}` may still finish and be billed. "
    "Its images are not lost: resume it from the History tab."
)


def progress_line(
    prediction: Prediction, elapsed: float, typical_seconds: float, note: str = ""
) -> str:
    """One honest status block: the real state, the time so far against the typical time.

    No estimated percentage: a bar that guesses disagrees with the model's own log, which is
    shown as it is when there is one.
    """
    state = {"starting": "Starting (waiting for a worker)", "processing": "Generating"}.get(
        prediction.status, prediction.status.capitalize()
    )
    typical = f"usually about {typical_seconds:.0f} s" if typical_seconds >= 1 else "usually ~1 s"
    if elapsed > typical_seconds * 1.5 + 2:
        typical = f"longer than the usual {typical_seconds:.0f} s"
    lines = [
        f"**{state}…** {elapsed:.1f} s · {typical}",
        f"prediction `{prediction.id}`",
    ]
    if prediction.last_log_line:
        log_line = shown(prediction.last_log_line[:160]).replace("`", "'")
        lines.append(f"Log: `{log_line}`")
    if note:
        lines.append(f"_{shown(note)}_")
    return "\n\n".join(lines)


def friendly_error(error: Exception) -> str:
    """Say what went wrong and what to do, in words; never a traceback.

    Text from upstream (the model's error, the API's message) is escaped: it is shown as
    Markdown in other visitors' browsers too (History), so it must never become HTML.
    """
    if isinstance(error, PredictionFailed):
        return _prediction_failed(error.prediction)
    if not isinstance(error, CometError):
        return "**Something went wrong in the app.** The details are in the server log."
    message = shown(error.message)
    resume = ""
    if error.prediction_id:
        resume = f" Prediction `{error.prediction_id}` is saved in History: resume it from there."
    for kind, template in _TEMPLATES:
        if isinstance(error, kind):
            return template.format(message=message, resume=resume, wait=_wait(error))
    return f"**Something went wrong.** {message}{resume}"


def shown(text: str | None) -> str:
    """Upstream text made safe for a Markdown component: no HTML, no runaway length."""
    return html.escape(text or "", quote=False)


def _prediction_failed(prediction: Prediction) -> str:
    if prediction.status == "canceled":
        return f"**Canceled.** Prediction `{prediction.id}` was canceled."
    reason = shown(prediction.error) or "the model gave no reason"
    return (
        f"**The model could not make this image.** {reason}\n\n"
        f"Try another prompt or other settings. (prediction `{prediction.id}`)"
    )


def _wait(error: CometError) -> str:
    retry_after = getattr(error, "retry_after", None)
    if retry_after is None:
        return "Wait a little and try again."
    return f"Wait {retry_after:.0f} s and try again."


# First match wins: subclasses before their bases.
_TEMPLATES: tuple[tuple[type[CometError], str], ...] = (
    (
        PermissionDeniedError,
        "**CometAPI blocked this request.** The key was accepted, but this model or one of "
        "its inputs is not enabled for it: check the model's access in your CometAPI "
        "console. ({message})",
    ),
    (
        AuthenticationError,
        "**CometAPI refused the API key.** Check `COMET_API_KEY` (in `.env` or the Space's "
        "secrets) or the key typed in the API key box. Keys are at "
        "https://api.cometapi.com/console/token.",
    ),
    (RateLimitError, "**Rate limited by CometAPI.** {wait}{resume}"),
    (LimitExceeded, "**Limit reached.** {message}"),
    (InvalidInputError, "**Please check the input.** {message}"),
    (NotFoundError, "**Not found.** {message}"),
    (CometTimeout, "**Still waiting after the time limit.** {message}{resume}"),
    (
        CometConnectionError,
        "**Could not reach CometAPI.** {message} Check your network and `COMET_BASE_URL`.{resume}",
    ),
    (ServerError, "**CometAPI had a problem.** {message}{resume}"),
)
