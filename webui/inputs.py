"""From raw form values to the exact input the API receives, and a preview of that request."""

from __future__ import annotations

import json
import math
import os
import random
import re
import shlex
from collections.abc import Mapping
from typing import Any

from comet._constants import API_PREFIX
from comet.errors import InvalidInputError
from comet.messages import Message
from comet.models import ModelSpec, get_model, validate_input
from comet.outputs import shorten_data_uris

from .i18n import msg
from .uploads import check_image_url, image_to_data_uri

__all__ = [
    "MAX_EXTRA_JSON_CHARS",
    "MAX_EXTRA_KEYS",
    "MAX_EXTRA_LIST_ITEMS",
    "MAX_PROMPT_CHARS",
    "SEED_MAX",
    "check_extra",
    "parse_extra_json",
    "resolve_image_field",
    "upload_paths",
    "build_input",
    "request_preview",
]

MAX_PROMPT_CHARS = 2000
MAX_EXTRA_JSON_CHARS = 20_000
MAX_EXTRA_KEYS = 32
MAX_EXTRA_LIST_ITEMS = 16
MAX_EXTRA_NAME_CHARS = 64
MAX_EXTRA_INT_DIGITS = 40  # enough to name the field in "out of range"; 2**63 has 19
SEED_MAX = 2**31 - 1  # random seeds are drawn from 0..SEED_MAX, inside every model's range
_INT64 = 2**63
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCALARS = (str, int, float, bool, type(None))


class _RefusedJSON(ValueError):
    """A number json.loads must not turn into Python: int() refuses 4,300 digits anyway."""

    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_EXTRA_INT_DIGITS:
        raise _RefusedJSON(len(text.lstrip("-")))
    return int(text)


def _nesting(text: str) -> int:
    """How deeply [ and { nest in JSON text, strings skipped; counted without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _extra_error(said: Message) -> InvalidInputError:
    """An error about the extra JSON box (its message names the box)."""
    return InvalidInputError(said, field="extra_input")


def _extra_value_error(said: Message) -> InvalidInputError:
    """An error about one value in the extra JSON box: "Extra input (JSON): ..." and said."""
    return _extra_error(msg("extra.wrapped", message=said))


def parse_extra_json(text: str | None) -> dict[str, Any]:
    """Parse the "Extra input (JSON)" box: empty is {}, else an object of plain values.

    Each value is text, a finite number, true/false or null, or a short list of those; deeper
    nesting, NaN/Infinity and absurdly long numbers are refused with a message naming the box,
    never raised as another exception. build_input checks the values against the model.
    """
    if text is None or not str(text).strip():
        return {}
    text = str(text)
    if len(text) > MAX_EXTRA_JSON_CHARS:
        raise _extra_error(
            msg("extra.long", count=f"{len(text):,}", limit=f"{MAX_EXTRA_JSON_CHARS:,}")
        )
    if _nesting(text) > 2:  # json.loads recurses per level: 9,000 levels is a RecursionError
        raise _extra_error(msg("extra.nested"))
    try:
        value = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        # exc.msg is the JSON parser's own English ("Expecting value"), kept as it is.
        raise _extra_error(
            msg("extra.invalid", reason=exc.msg, line=exc.lineno, column=exc.colno)
        ) from None
    except _RefusedJSON as exc:
        raise _extra_error(msg("extra.digits", count=f"{exc.digits:,}")) from None
    except (ValueError, RecursionError):
        raise _extra_error(msg("extra.unreadable")) from None
    if not isinstance(value, dict):
        raise _extra_error(msg("extra.not_object"))
    if len(value) > MAX_EXTRA_KEYS:
        raise _extra_error(msg("extra.too_many", count=len(value), limit=MAX_EXTRA_KEYS))
    for name, item in value.items():
        _check_plain(name, item)
    return value


def _check_plain(name: str, value: Any) -> None:
    """A scalar, or a short list of scalars (a list inside a list was refused by _nesting)."""
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and len(value) > MAX_EXTRA_LIST_ITEMS:
        raise _extra_value_error(
            msg("extra.long_list", name=name, count=len(value), limit=MAX_EXTRA_LIST_ITEMS)
        )
    if not all(isinstance(item, _SCALARS) for item in items):
        raise _extra_value_error(msg("extra.not_plain", name=name))
    if any(isinstance(item, float) and not math.isfinite(item) for item in items):
        # JSON has no NaN or Infinity; Python's json reads them (and 1e400 as inf) anyway.
        raise _extra_value_error(msg("extra.not_finite", name=name))


def check_extra(spec: ModelSpec | None, extra: Mapping[str, Any]) -> None:
    """Refuse extra inputs that cannot be right for the model before they are coerced.

    A catalogue field takes what its form widget gives: a single value, or for an image-list
    field a list of strings. Names the catalogue lacks pass through to the API as typed, but
    only with a sane name (letters, digits, _) and whole numbers within 64 bits.
    """
    for name, value in extra.items():
        field = spec.field(name) if spec is not None else None
        if field is None:
            _check_unknown(spec, name, value)
        elif field.kind == "images":
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) or item is None for item in items):
                raise _extra_value_error(msg("extra.url_list", name=name))
        elif isinstance(value, list):
            raise _extra_value_error(msg("extra.one_value", name=name))


def _check_unknown(spec: ModelSpec | None, name: str, value: Any) -> None:
    if name == "prompt":  # a model the catalogue lacks still takes a text prompt
        if not isinstance(value, str):
            raise _extra_value_error(msg("extra.prompt_text"))
        return
    where = msg("extra.for_model", model=spec.name) if spec is not None else msg("extra.here")
    if len(name) > MAX_EXTRA_NAME_CHARS or not _NAME.fullmatch(name):
        raise _extra_value_error(
            msg("extra.bad_name", name=_clip(name), where=where, count=MAX_EXTRA_NAME_CHARS)
        )
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, int) and not isinstance(item, bool) and not -_INT64 <= item < _INT64:
            raise _extra_value_error(msg("extra.big_int", name=name))


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_prompt_length(prompt: Any, *, in_extra: bool = False) -> None:
    if isinstance(prompt, str) and len(prompt) > MAX_PROMPT_CHARS:
        code = "prompt.long_extra" if in_extra else "prompt.long"
        raise InvalidInputError(
            msg(code, count=f"{len(prompt):,}", limit=f"{MAX_PROMPT_CHARS:,}"), field="prompt"
        )


def resolve_image_field(
    spec: ModelSpec, uploads: Any, urls: str | None, *, allow_http: bool = False
) -> str | list[str] | None:
    """Combine uploads (sent inline as data: URIs) and pasted URLs for the model's image input."""
    field_name = spec.image_field
    if field_name is None:
        return None
    field = spec.field(field_name)
    paths = upload_paths(uploads)
    refs = [image_to_data_uri(path, field=field_name) for path in paths]
    for line in (urls or "").replace(",", "\n").splitlines():
        if line.strip():
            refs.append(check_image_url(line, field=field_name, allow_http=allow_http))
    if not refs:
        return None
    if field is not None and field.kind == "images":
        return refs
    if len(refs) > 1:
        raise InvalidInputError(
            msg("image.one", name=field_name, count=len(refs)), field=field_name
        )
    return refs[0]


def upload_paths(uploads: Any) -> list[str]:
    """The file paths of whatever a File, Image or Gallery input gave (none, one or many)."""
    if not uploads:
        return []
    if isinstance(uploads, (str, os.PathLike)):
        return [os.fspath(uploads)]
    paths = []
    for item in uploads:
        if isinstance(item, (tuple, list)):  # a Gallery gives (path, caption)
            item = item[0]
        if isinstance(item, Mapping):
            item = item.get("path") or item.get("name")
        if isinstance(item, os.PathLike):
            item = os.fspath(item)
        elif not isinstance(item, str):
            item = getattr(item, "name", None)  # a tempfile wrapper, as older Gradio gave
        if item:
            paths.append(str(item))
    return paths


def build_input(
    model: str,
    prompt: str,
    fields: Mapping[str, Any],
    *,
    seed: Any = None,
    randomize_seed: bool = True,
    extra_json: str | None = None,
    image: str | list[str] | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The cleaned input for the API: validated, defaults omitted, a seed chosen when asked.

    Extra JSON goes through the same checks as the form (and wins over it): the prompt limit,
    each catalogue field's coercion, range and rounding.
    """
    prompt = (prompt or "").strip()
    _check_prompt_length(prompt)
    extra = parse_extra_json(extra_json)
    spec = get_model(model)
    check_extra(spec, extra)
    _check_prompt_length(extra.get("prompt"), in_extra=True)
    values: dict[str, Any] = {"prompt": prompt}
    if spec is None:  # a model we do not know: send the prompt and the extra JSON as they are
        merged = {**values, **extra}
        if not str(merged["prompt"]).strip():
            raise InvalidInputError(msg("prompt.empty"), field="prompt")
        return merged
    for name, value in fields.items():
        if spec.field(name) is not None and name not in ("prompt", "seed"):
            values[name] = value
    if image is not None and spec.image_field:
        values[spec.image_field] = image
    if spec.field("seed") is not None:
        if randomize_seed:
            values["seed"] = (rng or random.SystemRandom()).randint(0, SEED_MAX)
        elif seed not in (None, ""):
            values["seed"] = seed
    try:
        return validate_input(spec.id, values, omit_defaults=True, extra=extra or None)
    except InvalidInputError as exc:
        if exc.field in extra:  # a value from the extra JSON box: say so
            wrapped = msg("extra.wrapped", message=exc.msg or exc.message)
            raise InvalidInputError(wrapped, field=exc.field) from None
        raise


def request_preview(base_url: str, model: str, values: Mapping[str, Any]) -> tuple[str, str]:
    """The JSON body Generate sends and the same request as curl, with $COMET_API_KEY."""
    body = json.dumps({"input": shorten_data_uris(dict(values))}, indent=2, ensure_ascii=False)
    url = f"{base_url.rstrip('/')}{API_PREFIX}/models/{model}/predictions"
    curl = (
        f"curl -s -X POST {shlex.quote(url)} \\\n"
        '  -H "Authorization: Bearer $COMET_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d {shlex.quote(json.dumps({'input': shorten_data_uris(dict(values))}))}"
    )
    return body, curl
