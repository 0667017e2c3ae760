"""Field builders: the same input recurs across models with different ranges and defaults.

Sources: each model's public input schema on Replicate (the API tab of its page), which
CometAPI's docs point to since its Replicate route publishes none:

- https://replicate.com/black-forest-labs/flux-schnell/api/schema
- https://replicate.com/black-forest-labs/flux-dev/api/schema
- https://replicate.com/black-forest-labs/flux-pro/api/schema (version 2b8181d8: steps 1-50,
  default 25, and interval 1-4, default 2, both "Deprecated" but still accepted; guidance 2-5,
  default 3; width/height 256-1440, "rounded to nearest multiple of 32"; safety_tolerance 1-6)
- https://replicate.com/black-forest-labs/flux-1.1-pro/api/schema (no steps/guidance/interval)
- https://replicate.com/black-forest-labs/flux-1.1-pro-ultra/api/schema
- https://replicate.com/black-forest-labs/flux-kontext-pro/api/schema
- https://replicate.com/black-forest-labs/flux-kontext-max/api/schema
- https://replicate.com/black-forest-labs/flux-2-pro/api/schema (version 285631b5: at most 8
  input_images, width/height 256-2048, safety_tolerance 1-5)
- https://replicate.com/black-forest-labs/flux-2-dev/api/schema
- https://replicate.com/black-forest-labs/flux-2-flex/api/schema (at most 10 input_images;
  steps 1-50, default 30; guidance 1.5-10, default 4.5; prompt_upsampling default true)

A machine-readable copy of the flux-schnell, flux-dev and flux-1.1-pro schemas is generated
into https://github.com/genfeedai/genfeed, packages/types/src/replicate/models.ts (commit
d2dd9fc, generated 2026-01-28); it agrees with the table here.

No schema gives seed a range. The app bounds it by what survives the trip: the seed used is
shown in the browser as a JSON number, exact only up to 2**53 - 1, and Gradio's server refuses
integers beyond 64 bits; so seeds are whole numbers within +/-(2**53 - 1) (SEED_LIMIT).
"""

from __future__ import annotations

from .fields import Field

# The largest whole number a browser's JSON keeps exactly (Number.MAX_SAFE_INTEGER); well
# inside the 64-bit range of the models' seed.
SEED_LIMIT = 2**53 - 1

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
        "Set a whole number to get the same image again; leave empty for a random one.",
        minimum=-SEED_LIMIT,
        maximum=SEED_LIMIT,
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


def _size(name: str, maximum: int, *, round_here: bool) -> Field:
    # Every model with a custom size rounds it to a multiple of 32 itself. For FLUX.1 [pro] the
    # app rounds it too (round_to), so the request and its preview show the size really used;
    # FLUX.2 versions differ on the grid (16 or 32), so there the model is left to do it.
    return Field(
        name,
        "int",
        name.capitalize(),
        f"Image {name} in pixels, rounded to a multiple of 32; only used when the aspect ratio "
        "is custom.",
        minimum=256,
        maximum=maximum,
        step=32,
        round_to=32 if round_here else None,
        only_with=("aspect_ratio", "custom"),
    )


def _bool(name: str, label: str, help_text: str, default: bool) -> Field:
    return Field(name, "bool", label, help_text, default=default)


def _prompt_upsampling(default: bool = False) -> Field:
    return _bool(
        "prompt_upsampling",
        "Prompt upsampling",
        "Let the model rewrite the prompt for a more creative result.",
        default,
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


def fields_schnell_like(steps_max: int, steps_default: int) -> list[Field]:
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


def fields_schnell() -> tuple[Field, ...]:
    return tuple(fields_schnell_like(4, 4))


def fields_dev() -> tuple[Field, ...]:
    fields = fields_schnell_like(50, 28)
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


def _steps(maximum: int, default: int, help_text: str) -> Field:
    return Field(
        "steps",
        "int",
        "Steps",
        help_text,
        default=default,
        minimum=1,
        maximum=maximum,
        step=1,
    )


def _guidance(minimum: float, maximum: float, default: float, help_text: str) -> Field:
    return Field(
        "guidance",
        "float",
        "Guidance",
        help_text,
        default=default,
        minimum=minimum,
        maximum=maximum,
        step=0.1,
    )


def fields_pro() -> tuple[Field, ...]:
    """FLUX.1 [pro]: its schema still takes steps and interval, marked deprecated, and guidance."""
    return (
        _prompt(),
        _image_prompt(),
        _aspect(ASPECT_PRO, "1:1"),
        _size("width", 1440, round_here=True),
        _size("height", 1440, round_here=True),
        _steps(50, 25, "Diffusion steps (deprecated by the model; it may ignore them)."),
        _guidance(
            2,
            5,
            3.0,
            "How closely to follow the prompt; lower values are more creative and varied.",
        ),
        Field(
            "interval",
            "float",
            "Interval",
            "Higher values give more varied outputs (deprecated by the model; it may ignore it).",
            default=2.0,
            minimum=1,
            maximum=4,
            step=0.1,
        ),
        _prompt_upsampling(),
        _safety(1, 6),
        _seed(),
        _output_format(),
        _output_quality(),
    )


def fields_pro11() -> tuple[Field, ...]:
    """FLUX1.1 [pro]: as FLUX.1 [pro] without steps, guidance and interval."""
    return (
        _prompt(),
        _image_prompt(),
        _aspect(ASPECT_PRO, "1:1"),
        _size("width", 1440, round_here=True),
        _size("height", 1440, round_here=True),
        _prompt_upsampling(),
        _safety(1, 6),
        _seed(),
        _output_format(),
        _output_quality(),
    )


def fields_ultra() -> tuple[Field, ...]:
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


def fields_kontext() -> tuple[Field, ...]:
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


def _resolution() -> Field:
    return Field(
        "resolution",
        "enum",
        "Resolution",
        "Image size in megapixels; 2 MP or less is recommended.",
        default="1 MP",
        choices=RESOLUTION_FLUX2,
    )


def fields_flux2_pro() -> tuple[Field, ...]:
    return (
        _prompt(),
        _input_images(8),
        _aspect(ASPECT_FLUX2, "1:1"),
        _resolution(),
        _size("width", 2048, round_here=False),
        _size("height", 2048, round_here=False),
        _safety(1, 5),
        _seed(),
        _output_format(),
        _output_quality(),
    )


def fields_flux2_flex() -> tuple[Field, ...]:
    """FLUX.2 [flex]: flux-2-pro's inputs plus steps and guidance, 10 images, upsampling on."""
    return (
        _prompt(),
        _input_images(10),
        _aspect(ASPECT_FLUX2, "1:1"),
        _resolution(),
        _size("width", 2048, round_here=False),
        _size("height", 2048, round_here=False),
        _steps(50, 30, "Inference steps: more give more detail but take longer."),
        _guidance(
            1.5,
            10,
            4.5,
            "How closely to follow the prompt; higher follows it more strictly.",
        ),
        _prompt_upsampling(default=True),
        _safety(1, 5),
        _seed(),
        _output_format(),
        _output_quality(),
    )


def fields_flux2_dev() -> tuple[Field, ...]:
    return (
        _prompt(),
        _input_images(4),
        _go_fast(),
        _aspect(ASPECT_FLUX2, "1:1"),
        _size("width", 1440, round_here=False),
        _size("height", 1440, round_here=False),
        _seed(),
        _output_format(),
        _output_quality(),
        _disable_safety_checker(),
    )
