"""The FLUX model catalogue and its validation, in one import.

The parts live in their own modules: `fields` (Field, ModelSpec), `model_fields` (the input
builders), `catalogue` (the models: MODELS, get_model) and `validation` (coerce_value,
validate_input, describe_models).
"""

from .catalogue import MODELS, get_model, model_ids
from .fields import OWNER, Field, FieldKind, ModelSpec
from .validation import coerce_value, describe_models, validate_input

__all__ = [
    "FieldKind",
    "Field",
    "ModelSpec",
    "MODELS",
    "OWNER",
    "get_model",
    "model_ids",
    "validate_input",
    "coerce_value",
    "describe_models",
]
