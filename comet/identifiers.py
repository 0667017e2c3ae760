"""Checks on the ids that go into a URL path, so nothing odd is ever sent."""

from __future__ import annotations

import re

from . import _constants as C
from .errors import InvalidInputError

__all__ = ["validate_model_id", "validate_prediction_id"]

_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$")
_PREDICTION_ID_RE = re.compile(r"^[A-Za-z0-9]{1,100}$")


def validate_model_id(model: str) -> str:
    """Refuse a model id that is not owner/name of safe characters, before anything is sent."""
    if not isinstance(model, str) or not _MODEL_ID_RE.match(model.strip()):
        raise InvalidInputError(
            f"Invalid model id {model!r}: expected owner/name, e.g. {C.DEFAULT_MODEL}, "
            "using letters, digits, '.', '_' and '-' only.",
            field="model",
        )
    owner, name = model.strip().split("/")
    if owner in (".", "..") or name in (".", ".."):
        raise InvalidInputError(f"Invalid model id {model!r}.", field="model")
    return model.strip()


def validate_prediction_id(prediction_id: str) -> str:
    """Refuse a prediction id that is not alphanumeric, before anything is sent."""
    if not isinstance(prediction_id, str) or not _PREDICTION_ID_RE.match(prediction_id.strip()):
        raise InvalidInputError(
            f"Invalid prediction id {str(prediction_id)[:120]!r}: "
            "expected letters and digits only.",
            field="id",
        )
    return prediction_id.strip()
