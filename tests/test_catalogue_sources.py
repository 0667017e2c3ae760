"""Each model's inputs match its published schema, written out here from the sources.

The sources: each model's Replicate schema page, https://replicate.com/black-forest-labs/<name>/
api/schema (listed in comet/model_fields.py). Where a newer schema version differs, the newer is
used: flux-pro still takes the deprecated steps, guidance and interval; flux-2-flex has steps,
guidance, prompt upsampling on by default and ten reference images. No schema bounds seed: it is
bounded by what a browser's JSON keeps exactly (2**53 - 1).
"""

from __future__ import annotations

import pytest

from comet import catalogue, model_fields
from comet.models import MODELS, get_model

ASPECT_11 = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
ASPECT_PRO = ("custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3")
ASPECT_ULTRA = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16", "9:21")
ASPECT_KONTEXT = ("match_input_image", "1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
ASPECT_KONTEXT += ("4:5", "5:4", "21:9", "9:21", "2:1", "1:2")
ASPECT_FLUX2 = ("match_input_image", "custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4")
ASPECT_FLUX2 += ("9:16", "3:4", "4:3")

# (kind, minimum, maximum, default) for numbers; (kind, choices, default) for enums;
# (kind, default) for booleans; (kind, at most) for image lists; (kind,) for text and one image.
PROMPT, IMAGE, NO, YES = ("str",), ("image",), ("bool", False), ("bool", True)
SEED = ("int", -(2**53 - 1), 2**53 - 1, None)
FORMAT = ("enum", ("webp", "jpg", "png"), "webp")
JPG_PNG = ("jpg", "png")
QUALITY = ("int", 0, 100, 80)
SIZE_1440, SIZE_2048 = ("int", 256, 1440, None), ("int", 256, 2048, None)
RESOLUTION = ("enum", ("match_input_image", "0.5 MP", "1 MP", "2 MP", "4 MP"), "1 MP")

# fmt: off
SCHNELL = {
    "prompt": PROMPT, "aspect_ratio": ("enum", ASPECT_11, "1:1"), "num_outputs": ("int", 1, 4, 1),
    "num_inference_steps": ("int", 1, 4, 4), "seed": SEED, "output_format": FORMAT,
    "output_quality": QUALITY, "disable_safety_checker": NO, "go_fast": YES,
    "megapixels": ("enum", ("1", "0.25"), "1"),
}
PRO_11 = {
    "prompt": PROMPT, "image_prompt": IMAGE, "aspect_ratio": ("enum", ASPECT_PRO, "1:1"),
    "width": SIZE_1440, "height": SIZE_1440, "prompt_upsampling": NO,
    "safety_tolerance": ("int", 1, 6, 2), "seed": SEED, "output_format": FORMAT,
    "output_quality": QUALITY,
}
KONTEXT = {
    "prompt": PROMPT, "input_image": IMAGE,
    "aspect_ratio": ("enum", ASPECT_KONTEXT, "match_input_image"), "prompt_upsampling": NO,
    "seed": SEED, "output_format": ("enum", JPG_PNG, "png"), "safety_tolerance": ("int", 0, 6, 2),
}
FLUX2_PRO = {
    "prompt": PROMPT, "input_images": ("images", 8), "aspect_ratio": ("enum", ASPECT_FLUX2, "1:1"),
    "resolution": RESOLUTION, "width": SIZE_2048, "height": SIZE_2048,
    "safety_tolerance": ("int", 1, 5, 2), "seed": SEED, "output_format": FORMAT,
    "output_quality": QUALITY,
}
SCHEMAS = {  # model: (inputs, output, image input, images it takes)
    "flux-schnell": (SCHNELL, "list", None, 0),
    "flux-dev": ({**SCHNELL, "num_inference_steps": ("int", 1, 50, 28), "image": IMAGE,
                  "guidance": ("float", 0, 10, 3), "prompt_strength": ("float", 0, 1, 0.8)},
                 "list", "image", 1),
    "flux-pro": ({**PRO_11, "steps": ("int", 1, 50, 25), "guidance": ("float", 2, 5, 3),
                  "interval": ("float", 1, 4, 2)}, "string", "image_prompt", 1),
    "flux-1.1-pro": (PRO_11, "string", "image_prompt", 1),
    "flux-1.1-pro-ultra": ({"prompt": PROMPT, "image_prompt": IMAGE,
                            "image_prompt_strength": ("float", 0, 1, 0.1),
                            "aspect_ratio": ("enum", ASPECT_ULTRA, "1:1"),
                            "safety_tolerance": ("int", 1, 6, 2), "seed": SEED, "raw": NO,
                            "output_format": ("enum", JPG_PNG, "jpg")},
                           "string", "image_prompt", 1),
    "flux-kontext-pro": (KONTEXT, "string", "input_image", 1),
    "flux-kontext-max": (KONTEXT, "string", "input_image", 1),
    "flux-2-pro": (FLUX2_PRO, "string", "input_images", 8),
    "flux-2-dev": ({"prompt": PROMPT, "input_images": ("images", 4), "go_fast": YES,
                    "aspect_ratio": ("enum", ASPECT_FLUX2, "1:1"), "width": SIZE_1440,
                    "height": SIZE_1440, "seed": SEED, "output_format": FORMAT,
                    "output_quality": QUALITY, "disable_safety_checker": NO},
                   "string", "input_images", 4),
    "flux-2-flex": ({**FLUX2_PRO, "input_images": ("images", 10), "steps": ("int", 1, 50, 30),
                     "guidance": ("float", 1.5, 10, 4.5), "prompt_upsampling": YES},
                    "string", "input_images", 10),
}
# fmt: on
# FLUX.1 [pro] models round a custom size to 32 themselves: the app rounds it too, so that what
# is sent (and previewed) is the size used. FLUX.2 versions differ on the grid: left to them.
ROUNDED_HERE = {"flux-pro", "flux-1.1-pro"}


def shape(field) -> tuple:
    if field.kind in ("int", "float"):
        return (field.kind, field.minimum, field.maximum, field.default)
    if field.kind == "enum":
        return (field.kind, field.choices, field.default)
    if field.kind == "bool":
        return (field.kind, field.default)
    if field.kind == "images":
        return (field.kind, field.max_items)
    return (field.kind,)


def test_the_catalogue_has_exactly_the_documented_models():
    assert [spec.name for spec in MODELS.values()] == list(SCHEMAS)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_a_models_inputs_match_its_published_schema(name):
    spec = get_model(name)
    inputs, output, image_field, max_images = SCHEMAS[name]
    assert {f.name: shape(f) for f in spec.fields} == inputs
    assert (spec.output, spec.image_field, spec.max_images) == (output, image_field, max_images)
    assert [f.name for f in spec.fields if f.required] == ["prompt"]
    for size in ("width", "height"):
        field = spec.field(size)
        if field is not None:
            assert field.only_with == ("aspect_ratio", "custom")
            assert (field.round_to, field.multiple_of) == (
                (32, None) if name in ROUNDED_HERE else (None, None)
            )
            assert "rounded to a multiple of 32" in field.help
    for deprecated in ("steps", "interval") if name == "flux-pro" else ():
        assert "deprecated" in spec.field(deprecated).help
    assert f"https://replicate.com/black-forest-labs/{name}/api/schema" in model_fields.__doc__
    assert "https://replicate.com/black-forest-labs/" in catalogue.__doc__


def test_every_default_fits_its_own_field_and_optional_numbers_leave_widgets_unbounded():
    for spec in MODELS.values():
        for f in spec.fields:
            if f.kind not in ("int", "float"):
                assert f.widget_bounds() == (None, None)
            elif f.default is None:  # width, height, seed: an empty widget must not read as 0
                assert f.widget_bounds() == (None, None), (spec.name, f.name)
            else:
                assert f.widget_bounds() == (f.minimum, f.maximum)
                assert f.minimum <= f.default <= f.maximum, (spec.name, f.name)
            if f.kind == "enum":
                assert f.default in f.choices
