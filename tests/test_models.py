"""The model catalogue (comet/catalogue.py, fields.py) and local input validation (validation.py):
a bad value is refused before anything is sent or paid for, with a message naming the field and
what it accepts. One case per kind of check: every field of every model goes through the same
code, and tests/test_catalogue_sources.py pins each model's fields."""

from __future__ import annotations

import pytest

from comet.errors import InvalidInputError
from comet.models import (
    MODELS,
    Field,
    coerce_value,
    describe_models,
    get_model,
    model_ids,
    validate_input,
)

URL = "https://example.com/cat.png"
DATA_URI = "data:image/png;base64,iVBORw0KGgo="
SAFE = 2**53 - 1
URL_RULE = "an https:// or http:// URL or a data:image/...;base64,... URI"
PROMPT_EMPTY = 'Prompt is empty: "prompt" must describe the image you want.'
SCHNELL_INPUTS = (
    "prompt, aspect_ratio, num_outputs, num_inference_steps, seed, output_format, "
    "output_quality, disable_safety_checker, go_fast, megapixels"
)


# -- the catalogue -------------------------------------------------------------------------------


def test_models_are_found_by_full_id_or_short_name_with_schnell_first():
    assert model_ids() == list(MODELS) and model_ids()[0] == "black-forest-labs/flux-schnell"
    dev = MODELS["black-forest-labs/flux-dev"]
    for name in ("flux-dev", "black-forest-labs/flux-dev", " Flux-Dev "):
        assert get_model(name) is dev
    for unknown in ("flux-9000", "someone-else/flux-dev", None, 3):
        assert get_model(unknown) is None
    assert dev.field("guidance").kind == "float" and dev.field("steps") is None
    assert get_model("flux-schnell").defaults() == {
        "aspect_ratio": "1:1",
        "num_outputs": 1,
        "num_inference_steps": 4,
        "output_format": "webp",
        "output_quality": 80,
        "disable_safety_checker": False,
        "go_fast": True,
        "megapixels": "1",
    }


def test_every_model_is_well_formed_for_a_form_and_for_validation():
    for model_id, spec in MODELS.items():
        assert spec.id == model_id == f"black-forest-labs/{spec.name}"
        assert spec.display_name and spec.description and "\n" not in spec.description
        assert spec.typical_seconds > 0
        names = [f.name for f in spec.fields]
        assert names[0] == "prompt" and len(names) == len(set(names))
        for f in spec.fields:
            assert f.label and f.help
            shown_first = f.name == "prompt" or f.kind in ("image", "images")
            assert f.advanced is not shown_first, (spec.name, f.name)
            if f.only_with is not None:
                other, value = f.only_with
                assert value in spec.field(other).choices


def test_the_listing_shows_every_model_and_input_with_what_it_accepts():
    text = describe_models()
    for spec in MODELS.values():
        assert f"{spec.name} - {spec.display_name}" in text and spec.description in text
        assert all(f"    {f.name:<24}" in text for f in spec.fields)
    lines = set(text.splitlines())
    for line in (
        "flux-schnell - FLUX.1 [schnell]  (default)",
        "  id: black-forest-labs/flux-schnell",
        "  Output: a list of image URLs; typically about 1.5 s.",
        "  Output: one image URL; typically about 4 s.",
        "    prompt                  text; required.",
        "    num_outputs             integer between 1 and 4; default 1.",
        "    guidance                number between 1.5 and 10; default 4.5.",
        "    guidance                number between 0 and 10; default 3.",
        "    go_fast                 true/false; default true.",
        "    output_format           one of webp, jpg, png; default webp.",
        "    image                   image URL or data: URI; optional.",
        "    input_images            list of image URLs, at most 8; optional.",
        "    width                   integer between 256 and 1440; optional; only with "
        'aspect_ratio="custom".',
    ):
        assert line in lines, line
    assert "  Inputs:" in lines and text.count("(default)") == 1
    assert " " * 28 + "How many images to make from the prompt." in lines  # each input's help
    assert text.endswith("ignored for png.\n")


# -- what is sent --------------------------------------------------------------------------------


def test_defaults_are_left_to_the_api_unless_asked_for():
    for model_id, spec in MODELS.items():
        values = {"prompt": "a red fox", **spec.defaults()}
        assert validate_input(model_id, values) == {"prompt": "a red fox"}
        assert validate_input(model_id, values, omit_defaults=False) == values
    changed = {"prompt": "cat", "num_outputs": 1, "num_inference_steps": 2, "go_fast": True}
    assert validate_input("flux-schnell", changed) == {"prompt": "cat", "num_inference_steps": 2}


def test_values_are_coerced_to_their_fields_types_and_blanks_mean_not_given():
    values = {
        "prompt": "cat",
        "num_outputs": "2",
        "num_inference_steps": 10.0,
        "guidance": "3.5",
        "prompt_strength": 1,
        "go_fast": "false",
        "disable_safety_checker": 1,
        "megapixels": 0.25,
        "seed": " 0 ",
        "aspect_ratio": " 16:9 ",
        "image": None,
        "output_format": "",
        "output_quality": "  ",
    }
    result = validate_input("flux-dev", values)
    assert result == {
        "prompt": "cat",
        "aspect_ratio": "16:9",
        "num_outputs": 2,
        "num_inference_steps": 10,
        "seed": 0,
        "disable_safety_checker": True,
        "go_fast": False,
        "megapixels": "0.25",
        "guidance": 3.5,
        "prompt_strength": 1.0,
    }
    assert list(result) == [f.name for f in get_model("flux-dev").fields if f.name in result]
    assert type(result["num_outputs"]) is int and type(result["prompt_strength"]) is float
    assert validate_input("flux-2-pro", {"prompt": "cat", "input_images": []}) == {"prompt": "cat"}


# fmt: off
COERCIONS = [  # (kind, a value from a form or the command line, what is sent)
    ("int", " 3 ", 3), ("int", "2.0", 2), ("int", 4.0, 4),
    ("float", "0.5", 0.5), ("float", 2, 2.0),
    ("bool", "True", True), ("bool", "off", False), ("bool", 0, False),
    ("enum", 1.0, "1"), ("enum", 0.25, "0.25"),  # megapixels is a string enum: 1 means "1"
    ("image", f" {DATA_URI} ", DATA_URI), ("image", "http://x.org/a.png", "http://x.org/a.png"),
    ("images", URL, [URL]), ("images", (URL, None), [URL]),
    ("images", f'["{URL}", "", "{DATA_URI}"]', [URL, DATA_URI]),  # a JSON list, from the CLI
    ("str", "", None),
]
ROUNDING = [  # (model, custom width given, width sent)
    ("flux-pro", 500, 512), ("flux-pro", "1000", 992), ("flux-pro", 272, 288),  # a half: up
    ("flux-1.1-pro", 1439, 1440), ("flux-1.1-pro", 271, 256),  # never out of range
    ("flux-pro", 256, 256),
    ("flux-2-pro", 500, 500),  # FLUX.2 rounds it itself: sent as given
]
# fmt: on
FIELDS = {
    "int": ("flux-dev", "num_outputs"),
    "float": ("flux-dev", "guidance"),
    "bool": ("flux-dev", "go_fast"),
    "enum": ("flux-dev", "megapixels"),
    "image": ("flux-dev", "image"),
    "images": ("flux-2-pro", "input_images"),
    "str": ("flux-dev", "prompt"),
}


@pytest.mark.parametrize(("kind", "raw", "value"), COERCIONS)
def test_a_form_or_command_line_value_becomes_the_fields_type(kind, raw, value):
    model, name = FIELDS[kind]
    coerced = coerce_value(get_model(model).field(name), raw)
    assert coerced == value and type(coerced) is type(value)


@pytest.mark.parametrize(("model", "given", "sent"), ROUNDING)
def test_a_custom_size_is_rounded_to_the_grid_the_model_uses(model, given, sent):
    values = {"prompt": "x", "aspect_ratio": "custom", "width": given, "height": 1440}
    assert validate_input(model, values) == {**values, "width": sent}


def test_extra_inputs_pass_through_unchanged_and_known_ones_are_checked_and_win():
    extra = {"lora_scale": 0.7, "nested": {"a": [1, 2]}, "flag": None}
    result = validate_input("flux-dev", {"seed": 3, "prompt": "x"}, extra=extra)
    assert result == {"prompt": "x", "seed": 3, **extra}
    assert list(result) == ["prompt", "seed", "lora_scale", "nested", "flag"]  # extras last
    assert validate_input(
        "flux-schnell", {"num_outputs": 2}, extra={"prompt": "y", "num_outputs": "3"}
    ) == {
        "prompt": "y",
        "num_outputs": 3,
    }


def test_limits_the_models_document_are_accepted_up_to_the_edge():
    for seed in (-SAFE, SAFE, -1):
        assert validate_input("flux-2-dev", {"prompt": "x", "seed": seed})["seed"] == seed
    eight = validate_input("flux-2-pro", {"prompt": "x", "input_images": [URL] * 8})
    assert len(eight["input_images"]) == 8
    no_image = {"prompt": "x", "safety_tolerance": 6}
    assert validate_input("flux-kontext-pro", no_image) == no_image
    with_image = {"prompt": "x", "input_image": URL, "safety_tolerance": 2}
    assert validate_input("flux-kontext-max", with_image, omit_defaults=False) == with_image
    assert validate_input(
        "flux-pro", {"prompt": "x", "aspect_ratio": "custom", "width": 256, "height": 1440}
    )


# -- what is refused, and how it is said ----------------------------------------------------------


WHOLE_1_4 = "a whole number between 1 and 4"
GUIDANCE = "a number between 0 and 10"
SEED_RANGE = f"between {-SAFE} and {SAFE}"
ASPECTS = '"1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"'
# fmt: off
MUST_BE = [  # one of each kind of check: (model, inputs, field, what it accepts, value as shown)
    ("flux-schnell", {"prompt": 5}, "prompt", "text", "5"),
    ("flux-schnell", {"num_outputs": "two"}, "num_outputs", WHOLE_1_4, '"two"'),
    ("flux-schnell", {"num_outputs": 1.5}, "num_outputs", WHOLE_1_4, "1.5"),
    ("flux-schnell", {"num_outputs": True}, "num_outputs", WHOLE_1_4, "True"),
    ("flux-schnell", {"num_outputs": [1]}, "num_outputs", WHOLE_1_4, "[1]"),
    ("flux-schnell", {"num_outputs": 7}, "num_outputs", "between 1 and 4", "7"),
    ("flux-dev", {"prompt_strength": -0.1}, "prompt_strength", "between 0 and 1", "-0.1"),
    ("flux-dev", {"guidance": "lots"}, "guidance", GUIDANCE, '"lots"'),
    ("flux-dev", {"guidance": float("inf")}, "guidance", GUIDANCE, "inf"),
    ("flux-dev", {"guidance": True}, "guidance", GUIDANCE, "True"),
    ("flux-dev", {"guidance": [1]}, "guidance", GUIDANCE, "[1]"),
    ("flux-schnell", {"go_fast": "maybe"}, "go_fast", "true or false", '"maybe"'),
    ("flux-schnell", {"go_fast": 2}, "go_fast", "true or false", "2"),
    ("flux-schnell", {"aspect_ratio": "7:3"}, "aspect_ratio", f"one of {ASPECTS}", '"7:3"'),
    ("flux-schnell", {"megapixels": 2}, "megapixels", 'one of "1", "0.25"', "2"),
    ("flux-schnell", {"megapixels": ["1"]}, "megapixels", 'one of "1", "0.25"', "['1']"),
    ("flux-dev", {"image": "cat.png"}, "image", URL_RULE, '"cat.png"'),
    ("flux-dev", {"image": "ftp://x.org/a.png"}, "image", URL_RULE, '"ftp://x.org/a.png"'),
    ("flux-dev", {"image": "data:text/plain;base64,aGk="}, "image", URL_RULE,
     '"data:text/plain;base64,aGk="'),
    ("flux-dev", {"image": "https://x.org/a b.png"}, "image", URL_RULE, '"https://x.org/a b.png"'),
    ("flux-dev", {"image": 42}, "image", URL_RULE, "42"),
    ("flux-dev", {"image": "x" * 58}, "image", URL_RULE, '"' + "x" * 58 + '"'),  # 60: whole
    ("flux-dev", {"image": "x" * 5000}, "image", URL_RULE, '"' + "x" * 55 + '..."'),  # cut short
    ("flux-2-pro", {"input_images": "[nope"}, "input_images", "a list of image URLs", '"[nope"'),
    ("flux-2-pro", {"input_images": {"a": 1}}, "input_images",
     "a list of image URLs or data: URIs", "{'a': 1}"),
    ("flux-2-pro", {"input_images": [URL, "no"]}, "input_images", URL_RULE, '"no"'),
    ("flux-schnell", {"seed": SAFE + 1}, "seed", SEED_RANGE, str(SAFE + 1)),
    ("flux-schnell", {"seed": -(2**300)}, "seed", SEED_RANGE, "a 301-bit number"),
    ("flux-pro", {"aspect_ratio": "custom", "width": 1441, "height": 512}, "width",
     "between 256 and 1440", "1441"),
]
REFUSED = [  # (model, inputs, field, message)
    ("flux-9000", {}, "model",
     'Unknown model "flux-9000". Known models: flux-schnell, flux-dev, flux-pro, flux-1.1-pro, '
     "flux-1.1-pro-ultra, flux-kontext-pro, flux-kontext-max, flux-2-pro, flux-2-dev, "
     "flux-2-flex."),
    ("flux-2-pro", {"prompt": None}, "prompt", PROMPT_EMPTY),
    ("flux-schnell", {"prompt": " "}, "prompt", PROMPT_EMPTY),
    ("flux-schnell", {"num_output": 2}, "num_output",
     'Unknown input "num_output" for flux-schnell. Did you mean "num_outputs"? Valid inputs: '
     f"{SCHNELL_INPUTS}."),
    ("flux-schnell", {"guidance": 3}, "guidance",  # an input of another model
     f'Unknown input "guidance" for flux-schnell. Valid inputs: {SCHNELL_INPUTS}.'),
    ("flux-2-pro", {"input_images": [URL] * 9}, "input_images",
     '"input_images" takes at most 8 images, got 9'),
    ("flux-pro", {"width": 512}, "width",
     '"width" is only used when "aspect_ratio" is "custom", but "aspect_ratio" is "1:1"; set '
     '"aspect_ratio" to "custom" or leave "width" empty'),
    ("flux-2-dev", {"aspect_ratio": "custom", "width": 512}, "height",
     '"aspect_ratio" "custom" needs "width" and "height"; "height" is missing'),
    ("flux-kontext-pro", {"input_image": URL, "safety_tolerance": "5"}, "safety_tolerance",
     '"safety_tolerance" can be at most 2 when an "input_image" is given, got 5'),
]
# fmt: on


@pytest.mark.parametrize(("model", "values", "field", "rule", "shown"), MUST_BE)
def test_a_bad_value_is_refused_naming_the_field_and_what_it_accepts(
    model, values, field, rule, shown
):
    with pytest.raises(InvalidInputError) as info:
        validate_input(model, {"prompt": "a fox", **values})
    assert str(info.value) == f'"{field}" must be {rule}, got {shown}'
    assert info.value.field == field


@pytest.mark.parametrize(("model", "values", "field", "message"), REFUSED)
def test_a_refused_input_says_what_is_wrong_and_how_to_fix_it(model, values, field, message):
    with pytest.raises(InvalidInputError) as info:
        validate_input(model, {"prompt": "a fox", **values})
    assert str(info.value) == message
    assert info.value.field == field


def test_extra_must_be_an_object_and_a_rule_without_a_range_still_says_what_fits():
    with pytest.raises(InvalidInputError) as info:
        validate_input("flux-schnell", {"prompt": "x"}, extra=[1, 2])
    assert str(info.value) == '"extra" must be a JSON object of input names to values, got [1, 2]'
    assert info.value.field == "extra"
    refusals = [
        (
            Field("n", "int", "N", "h", minimum=1),
            "2x",
            '"n" must be a whole number at least 1, got "2x"',
        ),
        (Field("n", "float", "N", "h", maximum=9), "x", '"n" must be a number at most 9, got "x"'),
        (Field("n", "float", "N", "h"), "x", '"n" must be a number, got "x"'),
        (Field("n", "int", "N", "h", maximum=5), 6, '"n" must be at most 5, got 6'),
        (Field("n", "int", "N", "h", multiple_of=16), 20, '"n" must be a multiple of 16, got 20'),
        (
            Field("n", "int", "N", "h", minimum=0, maximum=64, multiple_of=16),
            "x",
            '"n" must be a whole number between 0 and 64, a multiple of 16, got "x"',
        ),
        (
            Field("n", "int", "N", "h", multiple_of=16),
            "x",
            '"n" must be a whole number a multiple of 16, got "x"',
        ),
        (Field("n", "weird", "N", "h"), "1", "\"n\" has an unknown kind 'weird'"),
    ]
    for field, raw, message in refusals:
        with pytest.raises(InvalidInputError) as info:
            coerce_value(field, raw)
        assert str(info.value) == message
    assert coerce_value(Field("n", "int", "N", "h", multiple_of=16), "32") == 32
    off_grid = Field("n", "int", "N", "h", minimum=260, maximum=990, round_to=32)
    assert [coerce_value(off_grid, n) for n in (265, 600, 990)] == [288, 608, 960]  # in range
