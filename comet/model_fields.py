"""Field builders: the same input recurs across models with different ranges and defaults.

Sources: each model's public Replicate page (replicate.com/black-forest-labs/<name>, its API
schema), summarised in the team's MODELS.md; see catalogue.py for the models themselves.
"""

from __future__ import annotations

from .fields import Field

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


def fields_pro() -> tuple[Field, ...]:
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


def fields_flux2_pro() -> tuple[Field, ...]:
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


def fields_flux2_dev() -> tuple[Field, ...]:
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
