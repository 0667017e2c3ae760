"""The error hierarchy, and the one place that turns an HTTP error response into an error.

Every failure is a CometError with a message a person can act on. `APIStatusError.from_response`
maps a response to its class (like replicate's `ReplicateError.from_response`), following
CometAPI's own error guide:

- 401 refused the key (`AuthenticationError`); 403 accepted the key but blocked the request,
  e.g. a model or a field not enabled for it (`PermissionDeniedError`);
- 400 and 422, and a 5xx whose envelope says `code: invalid_request`, are malformed requests
  (`InvalidInputError`): never retried, and not reported as a create that may have run;
- 404 `NotFoundError`; 429 `RateLimitError` with `retry_after`; other 5xx `ServerError`,
  Cloudflare's 520-530 included (the guide lists 524, a timeout at the origin, as retryable):
  a poll is retried and a create never resent (after a 520, 522 or 524 the origin may have
  acted on it; the rarer others are not told apart), and the message says what the code means.

Bodies are parsed defensively: CometAPI's `{"error": {"message", "code"}}`, Replicate's
`{"detail", "title"}`, or anything else (an HTML page from a gateway).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._redact import Redactor, redact
from .messages import Message, message

if TYPE_CHECKING:
    import requests

    from .prediction import Prediction

__all__ = [
    "CometError",
    "APIStatusError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "InvalidInputError",
    "RateLimitError",
    "ServerError",
    "CometConnectionError",
    "CometTimeout",
    "PredictionFailed",
    "OutputsIncomplete",
]

CONSOLE_URL = "https://api.cometapi.com/console/token"
_CLOUDFLARE = "Cloudflare, in front of CometAPI,"
_GATEWAY_CAUSES = {  # Cloudflare's own 5xx codes: https://developers.cloudflare.com/support/
    520: f"{_CLOUDFLARE} got an empty or unreadable answer from it.",
    521: f"{_CLOUDFLARE} found it refusing connections.",
    522: f"{_CLOUDFLARE} timed out connecting to it.",
    523: f"{_CLOUDFLARE} could not reach it.",
    524: f"{_CLOUDFLARE} gave up waiting for its answer (a timeout).",
    525: f"{_CLOUDFLARE} could not complete a TLS handshake with it.",
    526: f"{_CLOUDFLARE} found its TLS certificate invalid.",
    530: f"{_CLOUDFLARE} could not reach it (the page gives a 1xxx error code).",
}
_SENTENCE_ENDS = (".", "!", "?", "…")


class CometError(Exception):
    """Base of every error this package raises; str() is a human message without secrets."""

    def __init__(self, message: str | Message, *, prediction_id: str | None = None) -> None:
        # msg: what the message says, for a UI to word it by its code; None for plain text
        # (e.g. an upstream's own words). message: the English, as str() gives it.
        self.msg = message.map_text(redact) if isinstance(message, Message) else None
        self.message = redact(str(message))
        self.prediction_id = prediction_id
        super().__init__(self.message)

    def hide_secrets(self, redactor: Redactor) -> None:
        """Hide a client's own key in this error's message (its values too, and body), in place."""
        self.message = redactor.text(self.message)
        if self.msg is not None:
            self.msg = self.msg.map_text(redactor.text)
        self.args = (self.message,)


class APIStatusError(CometError):
    """CometAPI answered with an error status; code is the envelope's error code, if any."""

    def __init__(
        self,
        message: str | Message,
        *,
        status_code: int | None = None,
        body: Any = None,
        code: str | None = None,
        prediction_id: str | None = None,
    ) -> None:
        super().__init__(message, prediction_id=prediction_id)
        self.status_code = status_code
        self.body = body
        self.code = code

    def hide_secrets(self, redactor: Redactor) -> None:
        super().hide_secrets(redactor)
        self.body = redactor.value(self.body)

    @classmethod
    def from_response(
        cls,
        response: requests.Response,
        *,
        creating: bool = False,
        prediction_id: str | None = None,
        redactor: Redactor | None = None,
    ) -> APIStatusError:
        """The error for an error (or redirect) response; secrets are hidden before any cut."""
        return _from_response(response, creating, prediction_id, redactor or Redactor())


class AuthenticationError(APIStatusError):
    """401 (the key was refused), or no key at all; 403 is the PermissionDeniedError subclass."""


class PermissionDeniedError(AuthenticationError):
    """403: the key was accepted, but this model or an input is not enabled for it."""


class NotFoundError(APIStatusError):
    """404: unknown model or prediction."""


class InvalidInputError(APIStatusError):
    """400/422 (or a 5xx saying invalid_request) from the API, or input refused locally."""

    def __init__(self, message: str | Message, *, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field


class RateLimitError(APIStatusError):
    """429; retry_after is the wait in seconds when the server gave one."""

    def __init__(
        self, message: str | Message, *, retry_after: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx, or a response that is not what the API documents; retry_after as for a 429."""

    def __init__(
        self, message: str | Message, *, retry_after: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class CometConnectionError(CometError):
    """The server could not be reached or dropped the connection."""


class CometTimeout(CometError):
    """A request or a whole wait ran out of time; prediction_id says what to resume."""


class PredictionFailed(CometError):
    """The prediction ended failed or canceled; .prediction keeps all of it."""

    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction
        if prediction.status == "canceled":
            message = f"Prediction {prediction.id} was canceled."
        else:
            reason = prediction.error or "no reason given"
            message = f"Prediction {prediction.id} failed: {reason}"
        super().__init__(message, prediction_id=prediction.id)


class OutputsIncomplete(CometError):
    """Some outputs could not be saved; .saved lists those that were, .failures the rest."""

    def __init__(
        self, message: str | Message, *, saved: list, failures: list, prediction_id: str
    ) -> None:
        super().__init__(message, prediction_id=prediction_id)
        self.saved = saved
        self.failures = failures


# --- parsing error responses ------------------------------------------------------------------


def sentence(text: str) -> str:
    """text ending in exactly one full stop (or its own ?, ! or …), so messages join cleanly."""
    text = _without_full_stop(text)
    return text if text.endswith(_SENTENCE_ENDS) else text + "."


def _without_full_stop(text: str) -> str:
    text = text.strip()
    return text.rstrip(".").rstrip() if not text.endswith("…") else text


def snippet(text: str, limit: int = 120, redactor: Redactor | None = None) -> str:
    """A one-line, redacted, then shortened excerpt of a body, for a message."""
    text = " ".join((text or "").split())
    text = (redactor or Redactor()).text(text)  # before cutting: a cut key is no longer found
    if not text:
        return "empty body"
    return text if len(text) <= limit else text[:limit] + "…"


def parse_retry_after(response: requests.Response, body: Any) -> float | None:
    """Seconds to wait from the Retry-After header or a retry_after field; None if absent."""
    candidates = [response.headers.get("Retry-After")]
    if isinstance(body, dict):
        candidates.append(body.get("retry_after"))
        error = body.get("error")
        if isinstance(error, dict):
            candidates.append(error.get("retry_after"))
    for value in candidates:
        if value is None or isinstance(value, bool):
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            continue  # an HTTP-date Retry-After: fall back to backoff
    return None


def _error_code(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if code is None or isinstance(code, (dict, list)):
        return None
    return str(code).strip() or None


def _error_message(body: Any) -> str | None:
    """The human message of CometAPI's, Replicate's or an unknown error body, if it has one."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        message = str(error.get("message") or "").strip()
        if message:
            return message
        code = _error_code(body)
        if code:
            return f"error code {code}"
    if isinstance(error, str) and error.strip():
        return error.strip()
    detail, title = body.get("detail"), body.get("title")
    if isinstance(detail, list):  # FastAPI-style validation list
        detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    if detail and title:
        return str(detail) if str(detail).startswith(str(title)) else f"{title}: {detail}"
    if detail or title or body.get("message"):
        return str(detail or title or body.get("message"))
    return None


def _from_response(
    response: requests.Response,
    creating: bool,
    prediction_id: str | None,
    redactor: Redactor,
) -> APIStatusError:
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    code = _error_code(body)
    found = _error_message(body)
    page = found is None and not (isinstance(body, dict) and body)  # HTML, text or nothing
    if found is not None:
        plain = redactor.text(found)
    elif page:
        plain = snippet(response.text, 80, redactor)
    else:
        plain = "no details given"
    plain = _without_full_stop(plain)
    detail = sentence(plain)
    kwargs: dict[str, Any] = {
        "status_code": status,
        "body": redactor.value(body),
        "code": code,
        "prediction_id": prediction_id,
    }
    if status == 401:
        return AuthenticationError(
            f"CometAPI refused the API key (HTTP 401): {detail} Check COMET_API_KEY, or the key "
            f"you entered (keys are at {CONSOLE_URL}).",
            **kwargs,
        )
    if status == 403:
        return PermissionDeniedError(
            message("api.blocked", detail=detail, url=CONSOLE_URL), **kwargs
        )
    if status == 404:
        what = message("api.what_prediction" if prediction_id else "api.what_route")
        return NotFoundError(message("api.not_found", what=what, detail=detail), **kwargs)
    if status in (400, 422) or (status >= 500 and code == "invalid_request"):
        # CometAPI answers a malformed request with a 500 and code invalid_request: it is the
        # request that is wrong, so it is neither retried nor reported as a possible charge.
        why = f"HTTP {status}, {code}" if code else f"HTTP {status}"
        return InvalidInputError(message("api.rejected", why=why, detail=detail), **kwargs)
    if status == 429:
        retry_after = parse_retry_after(response, body)
        wait = f" Try again in {retry_after:.0f} s." if retry_after is not None else ""
        return RateLimitError(
            f"Rate limited by CometAPI: {detail}{wait}", retry_after=retry_after, **kwargs
        )
    if status >= 500:
        inner = f"HTTP {status} ({plain})" if page else f"HTTP {status}: {plain}"
        cause = f" {_GATEWAY_CAUSES[status]}" if status in _GATEWAY_CAUSES else ""
        return ServerError(
            message("api.server_creating" if creating else "api.server", inner=inner, cause=cause),
            retry_after=parse_retry_after(response, body),
            **kwargs,
        )
    if 300 <= status < 400:
        location = snippet(response.headers.get("Location", "?"), 200, redactor)
        return ServerError(message("api.redirect", status=status, location=location), **kwargs)
    return APIStatusError(message("api.status", status=status, detail=detail), **kwargs)
