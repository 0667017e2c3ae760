"""A small client for CometAPI's Replicate-compatible FLUX prediction API."""

from ._transport import Transport
from .client import CometClient
from .errors import (
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
from .prediction import Prediction

__all__ = [
    "CometClient",
    "Transport",
    "Prediction",
    "CometError",
    "AuthenticationError",
    "NotFoundError",
    "PermissionDeniedError",
    "InvalidInputError",
    "RateLimitError",
    "ServerError",
    "CometConnectionError",
    "CometTimeout",
    "PredictionFailed",
]
