"""From raw form values to the exact input the API receives, and a preview of that request."""

from __future__ import annotations

import json
import os
import random
import shlex
from collections.abc import Mapping
from typing import Any

from comet._constants import API_PREFIX
from comet.errors import InvalidInputError
from comet.models import ModelSpec, get_model, validate_input
from comet.outputs import shorten_data_uris

from .uploads import check_image_url, image_to_data_uri

__all__ = [
    "MAX_EXTRA_JSON_CHARS",
    "MAX_PROMPT_CHARS",
    "SEED_MAX",
    "parse_extra_json",
    "resolve_image_field",
    "build_input",
    "request_preview",
]

MAX_PROMPT_CHARS = 2000
MAX_EXTRA_JSON_CHARS = 20_000
SEED_MAX = 2**31 - 1


def parse_extra_json(text: str | None) -> dict[str, Any]:
    """Parse the "Extra input (JSON)" box: empty is {}, anything else must be a JSON object."""
    if text is None or not str(text).strip():
        return {}
    text = str(text)
    if len(text) > MAX_EXTRA_JSON_CHARS:
        raise InvalidInputError(
            f"Extra input (JSON) is {len(text):,} characters; the limit is "
            f"{MAX_EXTRA_JSON_CHARS:,}.",
            field="extra_input",
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"Extra input (JSON) is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}.",
            field="extra_input",
        ) from None
    if not isinstance(value, dict):
        raise InvalidInputError(
            'Extra input (JSON) must be a JSON object, e.g. {"guidance": 3.5}.',
            field="extra_input",
        )
    return value


def resolve_image_field(
    spec: ModelSpec, uploads: Any, urls: str | None, *, allow_http: bool = False
) -> str | list[str] | None:
    """Combine uploads (sent inline as data: URIs) and pasted URLs for the model's image input."""
    field_name = spec.image_field
    if field_name is None:
        return None
    field = spec.field(field_name)
    paths = _as_paths(uploads)
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
            f'"{field_name}" takes one image; got {len(refs)} (an upload and a URL?).',
            field=field_name,
        )
    return refs[0]


def _as_paths(uploads: Any) -> list[str]:
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
    """The cleaned input for the API: validated, defaults omitted, a seed chosen when asked."""
    prompt = (prompt or "").strip()
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInputError(
            f"The prompt is {len(prompt):,} characters; the limit is {MAX_PROMPT_CHARS:,}.",
            field="prompt",
        )
    extra = parse_extra_json(extra_json)
    spec = get_model(model)
    values: dict[str, Any] = {"prompt": prompt}
    if spec is None:  # a model we do not know: send the prompt and the extra JSON as they are
        if not prompt:
            raise InvalidInputError("Prompt is empty: describe the image you want.", field="prompt")
        return {**values, **extra}
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
    return validate_input(spec.id, values, omit_defaults=True, extra=extra or None)


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
