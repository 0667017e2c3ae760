"""The FLUX models CometAPI serves on its Replicate route, with their inputs.

CometAPI publishes no schema for this route and hides the model version, so the app carries its
own table, taken from each model's public Replicate input schema,
https://replicate.com/black-forest-labs/<name>/api/schema (e.g.
https://replicate.com/black-forest-labs/flux-2-flex/api/schema); model_fields.py lists the
pages and what each contributed. Validation (validation.py) uses the table to refuse a bad input
with a clear message before anything is sent or paid for; the simulator serves exactly these
models.
"""

from __future__ import annotations

from . import model_fields as build
from .fields import OWNER, Field, ModelSpec

__all__ = ["MODELS", "get_model", "model_ids"]


def _spec(
    name: str,
    display_name: str,
    description: str,
    family: str,
    fields: tuple[Field, ...],
    typical_seconds: float,
    image_field: str | None,
    max_images: int,
) -> ModelSpec:
    return ModelSpec(
        id=f"{OWNER}/{name}",
        name=name,
        display_name=display_name,
        description=description,
        family=family,
        fields=fields,
        output="list" if family in ("schnell", "dev") else "string",
        typical_seconds=typical_seconds,
        image_field=image_field,
        max_images=max_images,
    )


_CATALOGUE = (
    _spec(
        "flux-schnell",
        "FLUX.1 [schnell]",
        "The fastest: 1-4 steps, about 1-2 s; good for drafts and trying out prompts.",
        "schnell",
        build.fields_schnell(),
        1.5,
        None,
        0,
    ),
    _spec(
        "flux-dev",
        "FLUX.1 [dev]",
        "Open-weight FLUX.1 with guidance and image-to-image; more detail, about 3-10 s.",
        "dev",
        build.fields_dev(),
        6.0,
        "image",
        1,
    ),
    _spec(
        "flux-pro",
        "FLUX.1 [pro]",
        "High prompt fidelity, custom sizes and an optional image prompt; about 3-10 s.",
        "pro",
        build.fields_pro(),  # still takes steps, guidance and interval
        6.0,
        "image_prompt",
        1,
    ),
    _spec(
        "flux-1.1-pro",
        "FLUX1.1 [pro]",
        "Faster, sharper successor to FLUX.1 [pro], with custom sizes; about 3-10 s.",
        "pro",
        build.fields_pro11(),
        6.0,
        "image_prompt",
        1,
    ),
    _spec(
        "flux-1.1-pro-ultra",
        "FLUX1.1 [pro] Ultra",
        "Images up to 4 MP, with a raw mode for natural-looking photos; about 3-10 s.",
        "ultra",
        build.fields_ultra(),
        6.0,
        "image_prompt",
        1,
    ),
    _spec(
        "flux-kontext-pro",
        "FLUX.1 Kontext [pro]",
        "Edits an input image from a text instruction, or makes a new one; about 3-5 s.",
        "kontext",
        build.fields_kontext(),
        4.0,
        "input_image",
        1,
    ),
    _spec(
        "flux-kontext-max",
        "FLUX.1 Kontext [max]",
        "Kontext's strongest tier: best prompt following and text in edits; about 3-5 s.",
        "kontext",
        build.fields_kontext(),
        4.0,
        "input_image",
        1,
    ),
    _spec(
        "flux-2-pro",
        "FLUX.2 [pro]",
        "High-quality generation and editing with up to 8 reference images; about 6 s.",
        "flux2",
        build.fields_flux2_pro(),
        6.0,
        "input_images",
        8,
    ),
    _spec(
        "flux-2-dev",
        "FLUX.2 [dev]",
        "Open-weight FLUX.2 with up to 4 reference images and a fast mode; about 6 s.",
        "flux2",
        build.fields_flux2_dev(),
        6.0,
        "input_images",
        4,
    ),
    _spec(
        "flux-2-flex",
        "FLUX.2 [flex]",
        "FLUX.2 with adjustable steps and guidance and up to 10 reference images; about 6 s.",
        "flux2",
        build.fields_flux2_flex(),
        6.0,
        "input_images",
        10,
    ),
)

MODELS: dict[str, ModelSpec] = {spec.id: spec for spec in _CATALOGUE}

# Models whose safety_tolerance is capped when an input image is given: family -> cap.
_SAFETY_CAP_WITH_IMAGE = {"kontext": 2}


def get_model(model_id: str) -> ModelSpec | None:
    """The spec for a full id ("black-forest-labs/flux-dev") or a short name ("flux-dev")."""
    if not isinstance(model_id, str):
        return None
    key = model_id.strip().lower()
    return MODELS.get(key) or MODELS.get(f"{OWNER}/{key}")


def model_ids() -> list[str]:
    """Every full model id, in catalogue order (the default first)."""
    return list(MODELS)
