"""The FLUX model catalogue: each model's inputs, types, ranges and defaults, and validation.

CometAPI publishes no schema for its Replicate route and hides the model version, so the app
carries its own table (from the public Replicate model pages, see MODELS.md). Validating here
lets the UI and CLI refuse a bad input with a clear message before anything is sent or paid for.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from .errors import InvalidInputError

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

FieldKind = Literal["str", "int", "float", "bool", "enum", "image", "images"]

OWNER = "black-forest-labs"


@dataclass(frozen=True)
class Field:
    """One input of a model, with enough detail to build a form widget and to check a value."""

    name: str
    kind: FieldKind
    label: str
    help: str
    default: Any = None  # None = no default: optional, the API decides
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None  # a widget hint; multiple_of is what validation enforces
    choices: tuple[str, ...] = ()
    max_items: int | None = None  # for kind "images"
    advanced: bool = True  # prompt and image inputs are shown up front, the rest folded away
    multiple_of: int | None = None
    only_with: tuple[str, str] | None = None  # (other field, value it must have), e.g. custom size


@dataclass(frozen=True)
class ModelSpec:
    """What the app knows about one model, since the API itself will not say."""

    id: str
    name: str
    display_name: str
    description: str
    family: str  # "schnell" | "dev" | "pro" | "ultra" | "kontext" | "flux2"
    fields: tuple[Field, ...]
    output: Literal["list", "string"]
    typical_seconds: float
    image_field: str | None
    max_images: int

    def field(self, name: str) -> Field | None:
        """The field called name, or None when this model has no such input."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def defaults(self) -> dict[str, Any]:
        """Every field that has a default, e.g. to pre-fill a form."""
        return {f.name: f.default for f in self.fields if f.default is not None}


# ---------------------------------------------------------------------------------------------
# Building blocks: the same idea recurs across models with different ranges and defaults.

ASPECT_11 = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
ASPECT_PRO = ("custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3")
ASPECT_ULTRA = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16", "9:21")
ASPECT_KONTEXT = (
    "match_input_image",
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4",
    "3:2",
    "2:3",
    "4:5",
    "5:4",
    "21:9",
    "9:21",
    "2:1",
    "1:2",
)
ASPECT_FLUX2 = (
    "match_input_image",
    "custom",
    "1:1",
    "16:9",
    "3:2",
    "2:3",
    "4:5",
    "5:4",
    "9:16",
    "3:4",
    "4:3",
)
FORMAT = ("webp", "jpg", "png")
RESOLUTION_FLUX2 = ("match_input_image", "0.5 MP", "1 MP", "2 MP", "4 MP")


def _prompt(help_text: str = "Describe the image you want.") -> Field:
    return Field("prompt", "str", "Prompt", help_text, required=True, advanced=False)


def _aspect(choices: tuple[str, ...], default: str) -> Field:
    return Field(
        "aspect_ratio",
        "enum",
        "Aspect ratio",
        "Shape of the image, width to height.",
        default=default,
        choices=choices,
    )


def _seed() -> Field:
    return Field(
        "seed",
        "int",
        "Seed",
        "Set a number to get the same image again; leave empty for a random one.",
        minimum=0,
        step=1,
    )


def _output_format(choices: tuple[str, ...] = FORMAT, default: str = "webp") -> Field:
    return Field(
        "output_format",
        "enum",
        "Output format",
        "File format of the images.",
        default=default,
        choices=choices,
    )


def _output_quality() -> Field:
    return Field(
        "output_quality",
        "int",
        "Output quality",
        "Compression quality for jpg and webp, 100 is best; ignored for png.",
        default=80,
        minimum=0,
        maximum=100,
        step=1,
    )


def _safety(minimum: int, maximum: int, extra: str = "") -> Field:
    return Field(
        "safety_tolerance",
        "int",
        "Safety tolerance",
        f"How permissive the content filter is, {minimum} strictest to {maximum} most lenient"
        f"{extra}.",
        default=2,
        minimum=minimum,
        maximum=maximum,
        step=1,
    )


def _size(name: str, maximum: int, multiple_of: int | None, step: int = 32) -> Field:
    # FLUX.2 rounds a size to a multiple of 32 itself; FLUX.1 [pro] documents it as a rule.
    rule = f", a multiple of {multiple_of}" if multiple_of else f", rounded to a multiple of {step}"
    return Field(
        name,
        "int",
        name.capitalize(),
        f"Image {name} in pixels{rule}; only used when the aspect ratio is custom.",
        minimum=256,
        maximum=maximum,
        step=step,
        multiple_of=multiple_of,
        only_with=("aspect_ratio", "custom"),
    )


def _bool(name: str, label: str, help_text: str, default: bool) -> Field:
    return Field(name, "bool", label, help_text, default=default)


def _prompt_upsampling() -> Field:
    return _bool(
        "prompt_upsampling",
        "Prompt upsampling",
        "Let the model rewrite the prompt for a more creative result.",
        False,
    )


def _disable_safety_checker() -> Field:
    return _bool(
        "disable_safety_checker",
        "Disable safety checker",
        "Skip the check that blanks out unsafe images.",
        False,
    )


def _go_fast() -> Field:
    return _bool(
        "go_fast",
        "Go fast",
        "Use a faster, slightly lower-quality mode of the model.",
        True,
    )


def _fields_schnell_like(steps_max: int, steps_default: int) -> list[Field]:
    return [
        _prompt(),
        _aspect(ASPECT_11, "1:1"),
        Field(
            "num_outputs",
            "int",
            "Number of images",
            "How many images to make from the prompt.",
            default=1,
            minimum=1,
            maximum=4,
            step=1,
        ),
        Field(
            "num_inference_steps",
            "int",
            "Steps",
            "Denoising steps: more give more detail but take longer.",
            default=steps_default,
            minimum=1,
            maximum=steps_max,
            step=1,
        ),
        _seed(),
        _output_format(),
        _output_quality(),
        _disable_safety_checker(),
        _go_fast(),
        Field(
            "megapixels",
            "enum",
            "Megapixels",
            "Approximate image size in megapixels.",
            default="1",
            choices=("1", "0.25"),
        ),
    ]


def _fields_schnell() -> tuple[Field, ...]:
    return tuple(_fields_schnell_like(4, 4))


def _fields_dev() -> tuple[Field, ...]:
    fields = _fields_schnell_like(50, 28)
    fields[1:1] = [
        Field(
            "image",
            "image",
            "Input image",
            "Optional image to start from (image-to-image); its size sets the output size.",
            advanced=False,
        )
    ]
    fields += [
        Field(
            "guidance",
            "float",
            "Guidance",
            "How closely to follow the prompt; lower values look more natural.",
            default=3.0,
            minimum=0,
            maximum=10,
            step=0.1,
        ),
        Field(
            "prompt_strength",
            "float",
            "Prompt strength",
            "With an input image: 1 replaces it entirely, lower values keep more of it.",
            default=0.8,
            minimum=0,
            maximum=1,
            step=0.01,
        ),
    ]
    return tuple(fields)


def _image_prompt() -> Field:
    return Field(
        "image_prompt",
        "image",
        "Image prompt",
        "Optional image whose style and content guide the result.",
        advanced=False,
    )


def _fields_pro() -> tuple[Field, ...]:
    # Newer versions dropped steps, guidance and interval; only the current inputs are listed.
    return (
        _prompt(),
        _image_prompt(),
        _aspect(ASPECT_PRO, "1:1"),
        _size("width", 1440, 32),
        _size("height", 1440, 32),
        _prompt_upsampling(),
        _safety(1, 6),
        _seed(),
        _output_format(),
        _output_quality(),
    )


def _fields_ultra() -> tuple[Field, ...]:
    return (
        _prompt(),
        _image_prompt(),
        Field(
            "image_prompt_strength",
            "float",
            "Image prompt strength",
            "How much the image prompt shapes the result, from 0 to 1.",
            default=0.1,
            minimum=0,
            maximum=1,
            step=0.01,
        ),
        _aspect(ASPECT_ULTRA, "1:1"),
        _safety(1, 6),
        _seed(),
        _bool("raw", "Raw", "Less processed, more natural-looking photos.", False),
        _output_format(("jpg", "png"), "jpg"),
    )


def _fields_kontext() -> tuple[Field, ...]:
    return (
        _prompt("Describe the change to make to the input image, or the image to create."),
        Field(
            "input_image",
            "image",
            "Input image",
            "The image to edit (jpeg, png, gif or webp).",
            advanced=False,
        ),
        _aspect(ASPECT_KONTEXT, "match_input_image"),
        _prompt_upsampling(),
        _seed(),
        _output_format(("jpg", "png"), "png"),
        _safety(0, 6, "; at most 2 with an input image"),
    )


def _input_images(max_items: int) -> Field:
    return Field(
        "input_images",
        "images",
        "Reference images",
        f"Up to {max_items} images to edit or take characters, objects or style from.",
        max_items=max_items,
        advanced=False,
    )


def _fields_flux2_pro() -> tuple[Field, ...]:
    # The API rounds width/height to a multiple of 32 itself, so step is only a widget hint.
    return (
        _prompt(),
        _input_images(8),
        _aspect(ASPECT_FLUX2, "1:1"),
        Field(
            "resolution",
            "enum",
            "Resolution",
            "Image size in megapixels; 2 MP or less is recommended.",
            default="1 MP",
            choices=RESOLUTION_FLUX2,
        ),
        _size("width", 2048, None),
        _size("height", 2048, None),
        _safety(1, 5),
        _seed(),
        _output_format(),
        _output_quality(),
    )


def _fields_flux2_dev() -> tuple[Field, ...]:
    return (
        _prompt(),
        _input_images(4),
        _go_fast(),
        _aspect(ASPECT_FLUX2, "1:1"),
        _size("width", 1440, None),
        _size("height", 1440, None),
        _seed(),
        _output_format(),
        _output_quality(),
        _disable_safety_checker(),
    )


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
        _fields_schnell(),
        1.5,
        None,
        0,
    ),
    _spec(
        "flux-dev",
        "FLUX.1 [dev]",
        "Open-weight FLUX.1 with guidance and image-to-image; more detail, about 3-10 s.",
        "dev",
        _fields_dev(),
        6.0,
        "image",
        1,
    ),
    _spec(
        "flux-pro",
        "FLUX.1 [pro]",
        "High prompt fidelity, custom sizes and an optional image prompt; about 3-10 s.",
        "pro",
        _fields_pro(),
        6.0,
        "image_prompt",
        1,
    ),
    _spec(
        "flux-1.1-pro",
        "FLUX1.1 [pro]",
        "Faster, sharper successor to FLUX.1 [pro], with custom sizes; about 3-10 s.",
        "pro",
        _fields_pro(),
        6.0,
        "image_prompt",
        1,
    ),
    _spec(
        "flux-1.1-pro-ultra",
        "FLUX1.1 [pro] Ultra",
        "Images up to 4 MP, with a raw mode for natural-looking photos; about 3-10 s.",
        "ultra",
        _fields_ultra(),
        6.0,
        "image_prompt",
        1,
    ),
    _spec(
        "flux-kontext-pro",
        "FLUX.1 Kontext [pro]",
        "Edits an input image from a text instruction, or makes a new one; about 3-5 s.",
        "kontext",
        _fields_kontext(),
        4.0,
        "input_image",
        1,
    ),
    _spec(
        "flux-kontext-max",
        "FLUX.1 Kontext [max]",
        "Kontext's strongest tier: best prompt following and text in edits; about 3-5 s.",
        "kontext",
        _fields_kontext(),
        4.0,
        "input_image",
        1,
    ),
    _spec(
        "flux-2-pro",
        "FLUX.2 [pro]",
        "High-quality generation and editing with up to 8 reference images; about 6 s.",
        "flux2",
        _fields_flux2_pro(),
        6.0,
        "input_images",
        8,
    ),
    _spec(
        "flux-2-dev",
        "FLUX.2 [dev]",
        "Open-weight FLUX.2 with up to 4 reference images and a fast mode; about 6 s.",
        "flux2",
        _fields_flux2_dev(),
        6.0,
        "input_images",
        4,
    ),
    _spec(
        "flux-2-flex",
        "FLUX.2 [flex]",
        "The quality-focused FLUX.2 tier, with up to 8 reference images; about 6 s.",
        "flux2",
        _fields_flux2_pro(),  # treated like flux-2-pro until its page says otherwise
        6.0,
        "input_images",
        8,
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


# ---------------------------------------------------------------------------------------------
# Coercion and validation.

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})
_DATA_URI = re.compile(r"data:image/[\w.+-]+(?:;[\w.+-]+=[^;,]*)*;base64,\S", re.IGNORECASE)


def _show(value: Any, limit: int = 60) -> str:
    """A value as it goes into a message: quoted strings, and no megabytes of data: URI."""
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 4] + '..."'


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _range_text(field: Field) -> str:
    lo, hi = field.minimum, field.maximum
    if lo is not None and hi is not None:
        text = f"between {_num(lo)} and {_num(hi)}"
    elif lo is not None:
        text = f"at least {_num(lo)}"
    elif hi is not None:
        text = f"at most {_num(hi)}"
    else:
        text = ""
    if field.multiple_of:
        rule = f"a multiple of {field.multiple_of}"
        text = f"{text}, {rule}" if text else rule
    return text


def _choices_text(choices: Iterable[str]) -> str:
    return ", ".join(f'"{c}"' for c in choices)


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _bad_number(field: Field, raw: Any, what: str) -> InvalidInputError:
    allowed = _range_text(field)
    suffix = f" {allowed}" if allowed else ""
    return InvalidInputError(
        f'"{field.name}" must be {what}{suffix}, got {_show(raw)}', field=field.name
    )


def _to_int(field: Field, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _bad_number(field, raw, "a whole number")
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
            raise _bad_number(field, raw, "a whole number") from None
    else:
        raise _bad_number(field, raw, "a whole number")
    if not math.isfinite(number) or not number.is_integer():
        raise _bad_number(field, raw, "a whole number")
    return int(number)


def _to_float(field: Field, raw: Any) -> float:
    if isinstance(raw, bool):
        raise _bad_number(field, raw, "a number")
    if isinstance(raw, (int, float)):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            raise _bad_number(field, raw, "a number") from None
    else:
        raise _bad_number(field, raw, "a number")
    if not math.isfinite(number):
        raise _bad_number(field, raw, "a number")
    return number


def _check_range(field: Field, value: float, raw: Any) -> None:
    lo, hi = field.minimum, field.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InvalidInputError(
            f'"{field.name}" must be {_range_text(field)}, got {_show(raw)}', field=field.name
        )
    if field.multiple_of and value % field.multiple_of:
        raise InvalidInputError(
            f'"{field.name}" must be a multiple of {field.multiple_of}, got {_show(raw)}',
            field=field.name,
        )


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
    raise InvalidInputError(
        f'"{field.name}" must be true or false, got {_show(raw)}', field=field.name
    )


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
    raise InvalidInputError(
        f'"{field.name}" must be one of {_choices_text(field.choices)}, got {_show(raw)}',
        field=field.name,
    )


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
    raise InvalidInputError(
        f'"{field.name}" must be an https:// or http:// URL or a data:image/...;base64,... URI, '
        f"got {_show(raw)}",
        field=field.name,
    )


def _to_images(field: Field, raw: Any) -> list[str]:
    items: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):  # a JSON list, e.g. from the CLI's --set
            try:
                items = json.loads(text)
            except ValueError:
                raise InvalidInputError(
                    f'"{field.name}" must be a list of image URLs, got {_show(raw)}',
                    field=field.name,
                ) from None
        else:
            items = [text]
    if not isinstance(items, (list, tuple)):
        raise InvalidInputError(
            f'"{field.name}" must be a list of image URLs or data: URIs, got {_show(raw)}',
            field=field.name,
        )
    images = [_to_image(field, item) for item in items if not _blank(item)]
    if field.max_items is not None and len(images) > field.max_items:
        raise InvalidInputError(
            f'"{field.name}" takes at most {field.max_items} images, got {len(images)}',
            field=field.name,
        )
    return images


def coerce_value(field: Field, raw: Any) -> Any:
    """Turn a form or command-line value ("2", "true", "16:9") into the field's type, checked.

    None or a blank string means "not given" and comes back as None.
    """
    if _blank(raw):
        return None
    kind = field.kind
    if kind == "str":
        if not isinstance(raw, str):
            raise InvalidInputError(
                f'"{field.name}" must be text, got {_show(raw)}', field=field.name
            )
        return raw
    if kind == "int":
        value = _to_int(field, raw)
        _check_range(field, value, raw)
        return value
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
    if close:
        hint = f'Did you mean "{close[0]}"?'
    else:
        hint = f"Valid inputs: {', '.join(names)}."
    return InvalidInputError(f'Unknown input "{name}" for {spec.name}. {hint}', field=str(name))


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
                f'"{f.name}" is only used when "{other}" is "{wanted}", but "{other}" is '
                f'{_show(actual)}; set "{other}" to "{wanted}" or leave "{f.name}" empty',
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
                f'"{other}" "{wanted}" needs {needed_text}; "{f.name}" is missing',
                field=f.name,
            )
    cap = _SAFETY_CAP_WITH_IMAGE.get(spec.family)
    tolerance = cleaned.get("safety_tolerance")
    has_image = spec.image_field is not None and spec.image_field in cleaned
    if cap is not None and has_image and tolerance is not None and tolerance > cap:
        raise InvalidInputError(
            f'"safety_tolerance" can be at most {cap} when an "{spec.image_field}" is given, '
            f"got {tolerance}",
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
            f'Unknown model "{model_id}". Known models: {known}.', field="model"
        )
    if extra is not None and not isinstance(extra, dict):
        raise InvalidInputError(
            f'"extra" must be a JSON object of input names to values, got {_show(extra)}',
            field="extra",
        )
    for name in values:
        if spec.field(name) is None and (extra is None or name not in extra):
            raise _unknown_field(spec, name)

    merged = {**values, **(extra or {})}
    cleaned: dict[str, Any] = {}
    passthrough: dict[str, Any] = {}
    for name, raw in merged.items():
        f = spec.field(name)
        if f is None:
            passthrough[name] = raw
            continue
        value = coerce_value(f, raw)
        if value is None or value == []:
            continue
        cleaned[name] = value

    for f in spec.fields:
        if f.required and f.name not in cleaned:
            if f.name == "prompt":
                raise InvalidInputError(
                    'Prompt is empty: "prompt" must describe the image you want.', field="prompt"
                )
            raise InvalidInputError(f'"{f.name}" is required.', field=f.name)
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
