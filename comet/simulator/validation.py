"""Checking a create's input against the catalogue the way the real API's JSON schema does.

Types are strict (a JSON API refuses "2" for an integer), ranges, enums and list lengths come
from comet.models, and every problem is one Replicate-style line: "- input.<field>: ...".
Unknown fields are ignored, as the real API ignores them; null counts as not given.
"""

from __future__ import annotations

import math
from typing import Any

from ..models import Field, ModelSpec

__all__ = ["input_problems", "is_int"]

_URI_SCHEMES = ("http://", "https://", "data:")


def is_int(value: Any) -> bool:
    """True for a JSON integer (a bool is not one, whatever Python thinks)."""
    return isinstance(value, int) and not isinstance(value, bool)


def input_problems(spec: ModelSpec, data: dict[str, Any]) -> list[str]:
    """Every problem with data for the model, one "- input.<field>: ..." line each."""
    problems = []
    for f in spec.fields:
        value = data.get(f.name)
        if value is None:
            problem = f"{f.name} is required" if f.required else None
        else:
            problem = _field_problem(f, value)
        if problem:
            problems.append(f"- input.{f.name}: {problem}")
    return problems


def _field_problem(f: Field, value: Any) -> str | None:
    if f.kind in ("int", "float"):
        return _number_problem(f, value)
    if f.kind == "bool":
        return None if isinstance(value, bool) else _wrong_type("boolean", value)
    if f.kind == "images":
        return _images_problem(f, value)
    if not isinstance(value, str):
        return _wrong_type("string", value)
    if f.kind == "enum" and value not in f.choices:
        choices = ", ".join(f'"{c}"' for c in f.choices)
        return f"{f.name} must be one of the following: {choices}"
    if f.kind == "image" and not value.startswith(_URI_SCHEMES):
        return "Does not match format 'uri'"
    if f.required and not value.strip():
        return f"{f.name} is required"
    return None


def _number_problem(f: Field, value: Any) -> str | None:
    integral = isinstance(value, float) and value.is_integer()
    if f.kind == "int" and not (is_int(value) or integral):
        return _wrong_type("integer", value)
    if not (is_int(value) or isinstance(value, float)) or not math.isfinite(value):
        return _wrong_type("number", value)
    if f.minimum is not None and value < f.minimum:
        return f"Must be greater than or equal to {_num(f.minimum)}"
    if f.maximum is not None and value > f.maximum:
        return f"Must be less than or equal to {_num(f.maximum)}"
    if f.multiple_of and value % f.multiple_of:
        return f"Must be a multiple of {f.multiple_of}"
    return None


def _images_problem(f: Field, value: Any) -> str | None:
    if not isinstance(value, list):
        return _wrong_type("array", value)
    if f.max_items is not None and len(value) > f.max_items:
        return f"Array must have at most {f.max_items} items"
    for i, item in enumerate(value):
        if not isinstance(item, str):
            return f"{i}: {_wrong_type('string', item)}"
        if not item.startswith(_URI_SCHEMES):
            return f"{i}: Does not match format 'uri'"
    return None


def _wrong_type(expected: str, value: Any) -> str:
    return f"Invalid type. Expected: {expected}, given: {_json_type(value)}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_int(value) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
