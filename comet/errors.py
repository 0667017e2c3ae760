"""The error hierarchy: every failure is a CometError with a message a person can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._redact import redact

if TYPE_CHECKING:
    from .prediction import Prediction

__all__ = [
    "CometError",
    "APIStatusError",
    "AuthenticationError",
    "NotFoundError",
    "InvalidInputError",
    "RateLimitError",
    "ServerError",
    "CometConnectionError",
    "CometTimeout",
    "PredictionFailed",
    "OutputsIncomplete",
]


class CometError(Exception):
    """Base of every error this package raises; str() is a human message without secrets."""

    def __init__(self, message: str, *, prediction_id: str | None = None) -> None:
        self.message = redact(message)
        self.prediction_id = prediction_id
        super().__init__(self.message)


class APIStatusError(CometError):
    """CometAPI answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: Any = None,
        prediction_id: str | None = None,
    ) -> None:
        super().__init__(message, prediction_id=prediction_id)
        self.status_code = status_code
        self.body = body


class AuthenticationError(APIStatusError):
    """401/403, or no key at all."""


class NotFoundError(APIStatusError):
    """404: unknown model or prediction."""


class InvalidInputError(APIStatusError):
    """400/422 from the API, or input refused locally before anything was sent."""

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field


class RateLimitError(APIStatusError):
    """429; retry_after is the wait in seconds when the server gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx, or a response that is not what the API documents."""


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

    def __init__(self, message: str, *, saved: list, failures: list, prediction_id: str) -> None:
        super().__init__(message, prediction_id=prediction_id)
        self.saved = saved
        self.failures = failures
