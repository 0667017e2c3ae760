"""What a program or an AI assistant sends to /generate, checked before anything is sent.

The page's form has a widget per field and an "Extra input" box that passes unknown names
through; the programmatic API is stricter: `inputs` holds the model's own fields by their API
names (as in the catalogue, `list_models`), and any other name is refused with a message that
names it and lists what the model takes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

from comet._constants import DEFAULT_MODEL
from comet.errors import InvalidInputError
from comet.models import MODELS, ModelSpec, get_model, validate_input

from .i18n import msg
from .inputs import MAX_PROMPT_CHARS, SEED_MAX
from .uploads import check_image_url

__all__ = ["api_input", "resolve_model"]

_CLIP = 60


def _clip(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"


def resolve_model(model: Any) -> ModelSpec:
    """The catalogue model a short name ("flux-dev") or full id names; refused otherwise."""
    if model in (None, ""):
        model = DEFAULT_MODEL
    spec = get_model(model) if isinstance(model, str) else None
    if spec is None:
        names = ", ".join(s.name for s in MODELS.values())
        raise InvalidInputError(
            f'Unknown model "{_clip(model)}". Choose one of: {names}.', field="model"
        )
    return spec


def _inputs_object(inputs: Any) -> dict[str, Any]:
    """`inputs` as a dict: an object, JSON text of one, or nothing."""
    if inputs in (None, ""):
        return {}
    if isinstance(inputs, str):
        try:
            inputs = json.loads(inputs)
        except ValueError:
            inputs = None
    if not isinstance(inputs, Mapping):
        raise InvalidInputError(
            '"inputs" must be an object of the model\'s fields by name, e.g. {"num_outputs": 2}.',
            field="inputs",
        )
    return dict(inputs)


def _image_value(spec: ModelSpec, image_url: str) -> str | list[str]:
    """The model's image input from `image_url` (one URL, or several for a list input)."""
    if not spec.image_field:
        raise InvalidInputError(
            f'{spec.name} takes no input image: leave "image_url" empty, or choose a model '
            "with an image input (list_models says which).",
            field="image_url",
        )
    field = spec.field(spec.image_field)
    urls = [part for part in image_url.replace(",", "\n").split() if part.strip()]
    refs = [check_image_url(url, field="image_url") for url in urls]
    if field is not None and field.kind == "images":
        return refs
    if len(refs) != 1:
        raise InvalidInputError(
            f'{spec.name} takes one input image; "image_url" holds {len(refs)}.',
            field="image_url",
        )
    return refs[0]


def api_input(
    spec: ModelSpec,
    prompt: Any,
    *,
    aspect_ratio: Any = None,
    seed: Any = None,
    inputs: Any = None,
    image_url: Any = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The exact input a run of `spec` sends: checked, defaults left out, a seed chosen."""
    fields = _inputs_object(inputs)
    if "prompt" in fields:
        raise InvalidInputError('Give the prompt as "prompt", not inside "inputs".', field="inputs")
    prompt = prompt.strip() if isinstance(prompt, str) else prompt
    if isinstance(prompt, str) and len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInputError(
            msg("prompt.long", count=f"{len(prompt):,}", limit=f"{MAX_PROMPT_CHARS:,}"),
            field="prompt",
        )
    values: dict[str, Any] = {"prompt": prompt, **fields}
    if aspect_ratio not in (None, ""):
        values["aspect_ratio"] = aspect_ratio
    if isinstance(image_url, str) and image_url.strip():
        values[spec.image_field or "image_url"] = _image_value(spec, image_url)
    if seed not in (None, ""):
        values["seed"] = seed
    elif "seed" not in values and spec.field("seed") is not None:
        values["seed"] = (rng or random.SystemRandom()).randint(0, SEED_MAX)
    # Strict: a name the model lacks is refused, naming it and listing the model's fields.
    return validate_input(spec.id, values, omit_defaults=True)
