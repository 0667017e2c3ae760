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
from comet.messages import Message
from comet.prediction import Prediction

from .i18n import text, translated
from .limits import LimitExceeded
from .texts import TABLE

__all__ = ["friendly_error", "plain_error", "progress_line", "shown", "state_name", "stop_note"]


def stop_note(prediction_id: str, lang: str = "en") -> str:
    """Why a stopped prediction may still be billed, and where its images will be."""
    return text("status.stop_note", lang, id=prediction_id)


def state_name(status: str, lang: str = "en") -> str:
    """A prediction's status ("succeeded", ...) in words of `lang`; unknown ones as they are."""
    key = f"state.{status}"
    return text(key, lang) if key in TABLE else status


def progress_line(
    prediction: Prediction,
    elapsed: float,
    typical_seconds: float,
    note: str | Message = "",
    lang: str = "en",
) -> str:
    """One honest status block: the real state, the time so far against the typical time.

    No estimated percentage: a bar that guesses disagrees with the model's own log, which is
    shown as it is when there is one.
    """
    if prediction.status in ("starting", "processing"):
        state = text(f"progress.{prediction.status}", lang)
    else:
        state = state_name(prediction.status, lang).capitalize()
    seconds = f"{typical_seconds:.0f}"
    if elapsed > typical_seconds * 1.5 + 2:
        typical = text("progress.longer", lang, seconds=seconds)
    elif typical_seconds >= 1:
        typical = text("progress.usually", lang, seconds=seconds)
    else:
        typical = text("progress.usually_quick", lang)
    lines = [
        text("progress.line", lang, state=state, seconds=f"{elapsed:.1f}", typical=typical),
        text("progress.prediction", lang, id=prediction.id),
    ]
    if prediction.last_log_line:
        # Inside a code span Markdown shows text as it is ("<" stays "<"); no backtick may end it.
        log_line = " ".join(prediction.last_log_line[:160].replace("`", "'").split())
        lines.append(text("progress.log", lang, line=log_line))
    if note:
        lines.append(f"_{shown(translated(note, lang))}_")
    return "\n\n".join(lines)


def friendly_error(error: Exception, lang: str = "en") -> str:
    """Say what went wrong and what to do, in words of `lang`; never a traceback.

    An error's Message is worded in `lang` by its code (webui/i18n.py `translated`). Text
    from upstream (the model's error, the API's message) stays as it came, escaped: it is
    shown as Markdown in other visitors' browsers too (History), so it must never become HTML.
    """
    if isinstance(error, PredictionFailed):
        return _prediction_failed(error.prediction, lang)
    if not isinstance(error, CometError):
        return text("status.app_error", lang)
    message = shown(translated(error, lang))
    resume = ""
    if error.prediction_id:
        resume = text("status.resume_hint", lang, id=error.prediction_id)
    values = {"message": message, "resume": resume, "wait": _wait(error, lang)}
    for kind, key in _TEMPLATES:
        if isinstance(error, kind):
            return text(key, lang, **values)
    return text("status.generic", lang, message=message, resume=resume)


def shown(text: str | None) -> str:
    """Upstream text made safe for a Markdown component: no HTML, no runaway length."""
    return html.escape(text or "", quote=False)


def _prediction_failed(prediction: Prediction, lang: str) -> str:
    if prediction.status == "canceled":
        return text("status.canceled", lang, id=prediction.id)
    reason = shown(prediction.error)  # the model's own words
    reason = reason or text("status.no_reason", lang)
    return text("status.model_failed", lang, reason=reason, id=prediction.id)


def _wait(error: CometError, lang: str) -> str:
    retry_after = getattr(error, "retry_after", None)
    if retry_after is None:
        return text("status.wait", lang)
    return text("status.wait_seconds", lang, seconds=f"{retry_after:.0f}")


# First match wins: subclasses before their bases. The words are in webui/texts/status.py.
_TEMPLATES: tuple[tuple[type[CometError], str], ...] = (
    (PermissionDeniedError, "status.permission_denied"),
    (AuthenticationError, "status.auth"),
    (RateLimitError, "status.rate_limited"),
    (LimitExceeded, "status.limit"),
    (InvalidInputError, "status.invalid_input"),
    (NotFoundError, "status.not_found"),
    (CometTimeout, "status.timeout"),
    (CometConnectionError, "status.connection"),
    (ServerError, "status.server"),
)


def plain_error(error: Exception, lang: str = "en") -> str:
    """What went wrong, for a program or an AI assistant: the page's message as plain text."""
    markdown = friendly_error(error, lang)
    return html.unescape(" ".join(markdown.replace("**", "").replace("`", "").split()))
