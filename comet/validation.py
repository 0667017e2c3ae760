"""Coercion and validation of model inputs against the catalogue, and a listing for people."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from .catalogue import _SAFETY_CAP_WITH_IMAGE, MODELS, get_model
from .errors import InvalidInputError
from .fields import Field, ModelSpec
from .messages import Message, message

__all__ = ["coerce_value", "describe_models", "validate_input"]

# ---------------------------------------------------------------------------------------------
# Coercion and validation.

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})
_DATA_URI = re.compile(r"data:image/[\w.+-]+(?:;[\w.+-]+=[^;,]*)*;base64,\S", re.IGNORECASE)


def _show(value: Any, limit: int = 60) -> str:
    """A value as it goes into a message: quoted strings, and no megabytes of data: URI."""
    if isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        text = f"a {value.bit_length()}-bit number"  # repr() refuses more than 4300 digits
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + '..."'


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _range(field: Field) -> tuple[str, dict[str, str]] | None:
    """The field's range as a rule name ("between", "at_least", "at_most") and its bounds."""
    lo, hi = field.minimum, field.maximum
    if lo is not None and hi is not None:
        return "between", {"low": _num(lo), "high": _num(hi)}
    if lo is not None:
        return "at_least", {"low": _num(lo)}
    if hi is not None:
        return "at_most", {"high": _num(hi)}
    return None


def _range_rule(field: Field, kind: str = "") -> Message | None:
    """What the field allows ("a whole number between 1 and 4, a multiple of 16"), if limited.

    kind ("whole", "number") names the kind of number, which a bare range leaves out.
    """
    bounds = _range(field)
    multiple = message("rule.multiple", step=field.multiple_of) if field.multiple_of else None
    if bounds is not None:
        name, values = bounds
        rule = message(f"rule.{kind}_{name}" if kind else f"rule.{name}", **values)
        return message("rule.and", rule=rule, more=multiple) if multiple else rule
    if not kind:
        return multiple
    if multiple is None:
        return message(f"rule.{kind}")
    return message("rule.of_kind", kind=message(f"rule.{kind}"), rule=multiple)


def _range_text(field: Field) -> str:
    rule = _range_rule(field)
    return str(rule) if rule is not None else ""


def _round_to_grid(field: Field, value: int) -> int:
    """The nearest multiple of field.round_to (halves up), kept within the field's range."""
    step = field.round_to or 1
    rounded = (value + step // 2) // step * step
    lo, hi = field.minimum, field.maximum
    if lo is not None and rounded < lo:
        rounded = -(-int(lo) // step) * step
    if hi is not None and rounded > hi:
        rounded = int(hi) // step * step
    return rounded


def _choices_text(choices: Iterable[str]) -> str:
    return ", ".join(f'"{c}"' for c in choices)


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _must_be(field: Field, rule: Message, raw: Any) -> InvalidInputError:
    return InvalidInputError(
        message("value.must_be", name=field.name, rule=rule, value=_show(raw)), field=field.name
    )


def _bad_number(field: Field, raw: Any, kind: str) -> InvalidInputError:
    """kind: "whole" or "number"; the message names the field's range too."""
    return _must_be(field, _range_rule(field, kind), raw)


def _to_int(field: Field, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _bad_number(field, raw, "whole")
    if isinstance(raw, int):
        return raw
    number: float
    if isinstance(raw, float):
        number = raw
    elif isinstance(raw, str):
        text = raw.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise _bad_number(field, raw, "whole") from None
    else:
        raise _bad_number(field, raw, "whole")
    if not math.isfinite(number) or not number.is_integer():
        raise _bad_number(field, raw, "whole")
    return int(number)


def _to_float(field: Field, raw: Any) -> float:
    if isinstance(raw, bool):
        raise _bad_number(field, raw, "number")
    if isinstance(raw, (int, float)):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            raise _bad_number(field, raw, "number") from None
    else:
        raise _bad_number(field, raw, "number")
    if not math.isfinite(number):
        raise _bad_number(field, raw, "number")
    return number


def _check_range(field: Field, value: float, raw: Any) -> None:
    lo, hi = field.minimum, field.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _must_be(field, _range_rule(field), raw)
    if field.multiple_of and value % field.multiple_of:
        raise _must_be(field, message("rule.multiple", step=field.multiple_of), raw)


def _to_bool(field: Field, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _must_be(field, message("rule.bool"), raw)


def _to_enum(field: Field, raw: Any) -> str:
    candidates: list[str] = []
    if isinstance(raw, str):
        candidates = [raw.strip()]
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        # megapixels is a string enum, but 1 or 0.25 plainly mean "1" / "0.25".
        candidates = [str(raw)]
        if isinstance(raw, float) and raw.is_integer():
            candidates.append(str(int(raw)))
    for candidate in candidates:
        if candidate in field.choices:
            return candidate
    raise _must_be(field, message("rule.one_of", choices=_choices_text(field.choices)), raw)


def _is_image_ref(text: str) -> bool:
    if _DATA_URI.match(text):
        return True
    if any(ch.isspace() for ch in text):
        return False
    parts = urlsplit(text)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _to_image(field: Field, raw: Any) -> str:
    if isinstance(raw, str) and _is_image_ref(raw.strip()):
        return raw.strip()
    raise _must_be(field, message("rule.url"), raw)


def _to_images(field: Field, raw: Any) -> list[str]:
    items: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):  # a JSON list, e.g. from the CLI's --set
            try:
                items = json.loads(text)
            except ValueError:
                raise _must_be(field, message("rule.url_list"), raw) from None
        else:
            items = [text]
    if not isinstance(items, (list, tuple)):
        raise _must_be(field, message("rule.url_or_data_list"), raw)
    images = [_to_image(field, item) for item in items if not _blank(item)]
    if field.max_items is not None and len(images) > field.max_items:
        raise InvalidInputError(
            message(
                "value.too_many_images", name=field.name, limit=field.max_items, count=len(images)
            ),
            field=field.name,
        )
    return images


def coerce_value(field: Field, raw: Any) -> Any:
    """Turn a form or command-line value ("2", "true", "16:9") into the field's type, checked.

    None or a blank string means "not given" and comes back as None. A value within range but
    off a field's round_to grid comes back rounded to the nearest multiple, as the model would.
    """
    if _blank(raw):
        return None
    kind = field.kind
    if kind == "str":
        if not isinstance(raw, str):
            raise _must_be(field, message("rule.text"), raw)
        return raw
    if kind == "int":
        value = _to_int(field, raw)
        _check_range(field, value, raw)
        # The model rounds such a value itself; rounding here sends (and shows) what it uses.
        return _round_to_grid(field, value) if field.round_to else value
    if kind == "float":
        number = _to_float(field, raw)
        _check_range(field, number, raw)
        return number
    if kind == "bool":
        return _to_bool(field, raw)
    if kind == "enum":
        return _to_enum(field, raw)
    if kind == "image":
        return _to_image(field, raw)
    if kind == "images":
        return _to_images(field, raw)
    raise InvalidInputError(f'"{field.name}" has an unknown kind {kind!r}', field=field.name)


def _unknown_field(spec: ModelSpec, name: Any) -> InvalidInputError:
    names = [f.name for f in spec.fields]
    close = difflib.get_close_matches(str(name), names, n=1)
    values = {"name": str(name)[:60], "model": spec.name, "names": ", ".join(names)}
    if close:
        said = message("value.unknown_close", close=close[0], **values)
    else:
        said = message("value.unknown_list", **values)
    return InvalidInputError(said, field=str(name)[:100])


def _effective(spec: ModelSpec, cleaned: dict[str, Any], name: str) -> Any:
    if name in cleaned:
        return cleaned[name]
    other = spec.field(name)
    return other.default if other else None


def _check_together(spec: ModelSpec, cleaned: dict[str, Any]) -> None:
    """Rules between fields: custom size needs width and height and nothing else takes them."""
    for f in spec.fields:
        if f.only_with is None or f.name not in cleaned:
            continue
        other, wanted = f.only_with
        actual = _effective(spec, cleaned, other)
        if actual != wanted:
            raise InvalidInputError(
                message(
                    "value.only_with", name=f.name, other=other, wanted=wanted, actual=_show(actual)
                ),
                field=f.name,
            )
    for f in spec.fields:
        if f.only_with is None or f.name in cleaned:
            continue
        other, wanted = f.only_with
        if _effective(spec, cleaned, other) == wanted:
            needed = [g.name for g in spec.fields if g.only_with == f.only_with]
            needed_text = " and ".join(f'"{n}"' for n in needed)
            raise InvalidInputError(
                message("value.needs", other=other, wanted=wanted, needed=needed_text, name=f.name),
                field=f.name,
            )
    cap = _SAFETY_CAP_WITH_IMAGE.get(spec.family)
    tolerance = cleaned.get("safety_tolerance")
    has_image = spec.image_field is not None and spec.image_field in cleaned
    if cap is not None and has_image and tolerance is not None and tolerance > cap:
        raise InvalidInputError(
            message("value.safety_cap", cap=cap, field=spec.image_field, value=tolerance),
            field="safety_tolerance",
        )


def validate_input(
    model_id: str,
    values: dict[str, Any],
    *,
    omit_defaults: bool = True,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check and clean an input before it is sent, so mistakes are caught locally and explained.

    Values are coerced to each field's type; None or "" means "not given". With omit_defaults,
    values equal to the API's own default are left out (prompt is always kept). extra may add
    inputs the catalogue does not know (passed unchanged); it wins over values.
    """
    spec = get_model(model_id)
    if spec is None:
        known = ", ".join(m.name for m in MODELS.values())
        raise InvalidInputError(
            message("value.unknown_model", model=model_id, known=known), field="model"
        )
    if extra is not None and not isinstance(extra, dict):
        raise InvalidInputError(
            f'"extra" must be a JSON object of input names to values, got {_show(extra)}',
            field="extra",
        )
    for name in values:
        if spec.field(name) is None and (extra is None or name not in extra):
            raise _unknown_field(spec, name)

    cleaned, passthrough = _coerce_all(spec, {**values, **(extra or {})})
    _check_required(spec, cleaned)
    _check_together(spec, cleaned)
    result: dict[str, Any] = {}
    for f in spec.fields:  # catalogue order, so requests and logs read the same every time
        if f.name not in cleaned:
            continue
        value = cleaned[f.name]
        if omit_defaults and not f.required and f.default is not None and value == f.default:
            continue
        result[f.name] = value
    result.update(passthrough)
    return result


def _coerce_all(spec: ModelSpec, merged: dict[str, Any]) -> tuple[dict, dict]:
    """(catalogue fields coerced, blanks dropped; unknown fields passed through as they are)."""
    cleaned: dict[str, Any] = {}
    passthrough: dict[str, Any] = {}
    for name, raw in merged.items():
        f = spec.field(name)
        if f is None:
            passthrough[name] = raw
            continue
        value = coerce_value(f, raw)
        if value is not None and value != []:
            cleaned[name] = value
    return cleaned, passthrough


def _check_required(spec: ModelSpec, cleaned: dict[str, Any]) -> None:
    for f in spec.fields:
        if f.required and f.name not in cleaned:
            if f.name == "prompt":
                raise InvalidInputError(message("value.prompt_empty"), field="prompt")
            raise InvalidInputError(message("value.required", name=f.name), field=f.name)


# ---------------------------------------------------------------------------------------------
# A listing for people.


def _describe_field(f: Field) -> str:
    if f.kind == "enum":
        kind = "one of " + ", ".join(f.choices)
    elif f.kind == "images":
        kind = f"list of image URLs, at most {f.max_items}"
    elif f.kind == "image":
        kind = "image URL or data: URI"
    else:
        kind = {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}[f.kind]
        allowed = _range_text(f)
        if allowed:
            kind = f"{kind} {allowed}"
    if f.required:
        tail = "required"
    elif f.default is not None:
        if f.kind == "bool":
            default = str(f.default).lower()
        elif f.kind == "float":
            default = _num(f.default)
        else:
            default = str(f.default)
        tail = f"default {default}"
    else:
        tail = "optional"
    if f.only_with:
        tail += f'; only with {f.only_with[0]}="{f.only_with[1]}"'
    return f"    {f.name:<24}{kind}; {tail}.\n    {'':<24}{f.help}"


def describe_models() -> str:
    """Every model with its description and inputs, for `python -m comet models`."""
    lines: list[str] = []
    default_id = next(iter(MODELS))
    for spec in MODELS.values():
        mark = "  (default)" if spec.id == default_id else ""
        lines.append(f"{spec.name} - {spec.display_name}{mark}")
        lines.append(f"  id: {spec.id}")
        lines.append(f"  {spec.description}")
        output = "a list of image URLs" if spec.output == "list" else "one image URL"
        lines.append(f"  Output: {output}; typically about {_num(spec.typical_seconds)} s.")
        lines.append("  Inputs:")
        lines.extend(_describe_field(f) for f in spec.fields)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
