"""Words for the status area: progress while waiting, and failures a person can act on."""

from __future__ import annotations

from comet.errors import (
    AuthenticationError,
    CometConnectionError,
    CometError,
    CometTimeout,
    InvalidInputError,
    NotFoundError,
    PredictionFailed,
    RateLimitError,
    ServerError,
)
from comet.prediction import Prediction

from .limits import LimitExceeded

__all__ = ["progress_line", "estimated_progress", "friendly_error", "STOP_NOTE"]

STOP_NOTE = (
    "CometAPI has no cancel route, so prediction `{id}` may still finish and be billed. "
    "Its images are not lost: resume it from the History tab."
)


def estimated_progress(prediction: Prediction, elapsed: float, typical_seconds: float) -> float:
    """A 0–1 estimate from the model's typical duration; never claims 100 % before success."""
    if prediction.succeeded:
        return 1.0
    if prediction.status == "starting":
        return min(0.1, elapsed / max(typical_seconds, 0.1) * 0.1)
    typical = max(typical_seconds, 0.5)
    # approaches 0.95 asymptotically once the typical time has passed
    fraction = elapsed / typical
    return min(0.95, 0.1 + 0.8 * fraction) if fraction < 1 else 0.95 - 0.05 / fraction


def progress_line(
    prediction: Prediction, elapsed: float, typical_seconds: float, note: str = ""
) -> str:
    """One status block: state, elapsed seconds, id, last log line and an estimated bar."""
    fraction = estimated_progress(prediction, elapsed, typical_seconds)
    filled = round(fraction * 20)
    bar = "█" * filled + "░" * (20 - filled)
    lines = [
        f"**{prediction.status.capitalize()}…** {elapsed:.1f} s · prediction `{prediction.id}`",
        f"`{bar}` ~{fraction * 100:.0f} % (typical: {typical_seconds:.0f} s)",
    ]
    if prediction.last_log_line:
        lines.append(f"Log: `{prediction.last_log_line[:160]}`")
    if note:
        lines.append(f"_{note}_")
    return "\n\n".join(lines)


def friendly_error(error: Exception) -> str:
    """Say what went wrong and what to do, in words; never a traceback."""
    resume = ""
    prediction_id = getattr(error, "prediction_id", None)
    if prediction_id:
        resume = f" Prediction `{prediction_id}` is saved in History: resume it from there."
    if isinstance(error, PredictionFailed):
        prediction = error.prediction
        if prediction.status == "canceled":
            return f"**Canceled.** Prediction `{prediction.id}` was canceled."
        reason = prediction.error or "the model gave no reason"
        return (
            f"**The model could not make this image.** {reason}\n\n"
            "Try another prompt or other settings. "
            f"(prediction `{prediction.id}`)"
        )
    if isinstance(error, AuthenticationError):
        return (
            "**CometAPI refused the API key.** Check `COMET_API_KEY` (in `.env` or the Space's "
            "secrets) or the key typed in the API key box. Keys are at "
            "https://api.cometapi.com/console/token."
        )
    if isinstance(error, RateLimitError):
        wait = (
            f"Wait {error.retry_after:.0f} s and try again."
            if error.retry_after is not None
            else "Wait a little and try again."
        )
        return f"**Rate limited by CometAPI.** {wait}{resume}"
    if isinstance(error, LimitExceeded):
        return f"**Limit reached.** {error.message}"
    if isinstance(error, InvalidInputError):
        return f"**Please check the input.** {error.message}"
    if isinstance(error, NotFoundError):
        return f"**Not found.** {error.message}"
    if isinstance(error, CometTimeout):
        return f"**Still waiting after the time limit.** {error.message}{resume}"
    if isinstance(error, CometConnectionError):
        return (
            f"**Could not reach CometAPI.** {error.message} Check your network and "
            f"`COMET_BASE_URL`.{resume}"
        )
    if isinstance(error, ServerError):
        return f"**CometAPI had a problem.** {error.message}{resume}"
    if isinstance(error, CometError):
        return f"**Something went wrong.** {error.message}{resume}"
    return "**Something went wrong in the app.** The details are in the server log."
