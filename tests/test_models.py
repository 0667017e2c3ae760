"""The model catalogue and local input validation."""

from __future__ import annotations

import pytest

from comet._constants import DEFAULT_MODEL
from comet.errors import InvalidInputError
from comet.models import (
    MODELS,
    Field,
    ModelSpec,
    coerce_value,
    describe_models,
    get_model,
    model_ids,
    validate_input,
)

ALL_IDS = list(MODELS)
URL = "https://example.com/cat.png"
DATA_URI = "data:image/png;base64,iVBORw0KGgo="
EXPECTED_NAMES = [
    "flux-schnell",
    "flux-dev",
    "flux-pro",
    "flux-1.1-pro",
    "flux-1.1-pro-ultra",
    "flux-kontext-pro",
    "flux-kontext-max",
    "flux-2-pro",
    "flux-2-dev",
    "flux-2-flex",
]
CUSTOM_SIZE_MODELS = [m for m in ALL_IDS if MODELS[m].field("width") is not None]


def _raises(model_id: str, values: dict, field: str, *fragments: str, **kwargs) -> str:
    """Assert validation fails for field, naming it; return the message."""
    with pytest.raises(InvalidInputError) as info:
        validate_input(model_id, values, **kwargs)
    message = str(info.value)
    assert info.value.field == field
    assert field in message
    for fragment in fragments:
        assert fragment in message
    return message


# --- the catalogue -------------------------------------------------------------------------------


def test_catalogue_lists_the_ten_models_in_order_with_schnell_first():
    assert model_ids() == [f"black-forest-labs/{name}" for name in EXPECTED_NAMES]
    assert model_ids()[0] == DEFAULT_MODEL


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_spec_is_consistent(model_id):
    spec = MODELS[model_id]
    assert isinstance(spec, ModelSpec)
    assert spec.id == model_id == f"black-forest-labs/{spec.name}"
    assert spec.display_name and spec.description and "\n" not in spec.description
    assert spec.typical_seconds > 0
    names = [f.name for f in spec.fields]
    assert len(names) == len(set(names))
    assert names[0] == "prompt" and spec.field("prompt").required
    assert not spec.field("prompt").advanced
    for f in spec.fields:
        assert isinstance(f, Field)
        assert f.label and f.help
        if f.kind == "enum":
            assert f.choices and f.default in f.choices
        if f.kind in ("image", "images"):
            assert not f.advanced
        if f.only_with is not None:
            assert spec.field(f.only_with[0]) is not None
            assert f.only_with[1] in spec.field(f.only_with[0]).choices
    if spec.image_field is None:
        assert spec.max_images == 0
    else:
        image = spec.field(spec.image_field)
        assert image is not None and image.kind in ("image", "images")
        assert spec.max_images == (image.max_items if image.kind == "images" else 1)


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_output_shape_is_a_list_only_for_schnell_and_dev(model_id):
    spec = MODELS[model_id]
    expected = "list" if spec.name in ("flux-schnell", "flux-dev") else "string"
    assert spec.output == expected


def test_image_fields_and_limits():
    expected = {
        "flux-schnell": (None, 0),
        "flux-dev": ("image", 1),
        "flux-pro": ("image_prompt", 1),
        "flux-1.1-pro": ("image_prompt", 1),
        "flux-1.1-pro-ultra": ("image_prompt", 1),
        "flux-kontext-pro": ("input_image", 1),
        "flux-kontext-max": ("input_image", 1),
        "flux-2-pro": ("input_images", 8),
        "flux-2-dev": ("input_images", 4),
        "flux-2-flex": ("input_images", 10),
    }
    for name, (image_field, max_images) in expected.items():
        spec = get_model(name)
        assert (spec.image_field, spec.max_images) == (image_field, max_images), name


def test_documented_defaults_and_ranges():
    dev = get_model("flux-dev")
    assert dev.field("guidance").default == 3
    assert (dev.field("guidance").minimum, dev.field("guidance").maximum) == (0, 10)
    assert dev.field("prompt_strength").default == 0.8
    assert dev.field("num_inference_steps").default == 28
    assert dev.field("num_inference_steps").maximum == 50
    schnell = get_model("flux-schnell")
    assert schnell.defaults() == {
        "aspect_ratio": "1:1",
        "num_outputs": 1,
        "num_inference_steps": 4,
        "output_format": "webp",
        "output_quality": 80,
        "disable_safety_checker": False,
        "go_fast": True,
        "megapixels": "1",
    }
    assert schnell.field("megapixels").choices == ("1", "0.25")
    seed = schnell.field("seed")
    assert seed.default is None and (seed.minimum, seed.maximum) == (-(2**53 - 1), 2**53 - 1)
    width = get_model("flux-pro").field("width")
    assert (width.minimum, width.maximum, width.round_to) == (256, 1440, 32)
    assert width.only_with == ("aspect_ratio", "custom")
    assert get_model("flux-2-pro").field("width").maximum == 2048
    kontext = get_model("flux-kontext-pro")
    assert kontext.defaults()["aspect_ratio"] == "match_input_image"
    assert kontext.defaults()["output_format"] == "png"
    assert kontext.field("safety_tolerance").minimum == 0
    assert get_model("flux-1.1-pro-ultra").defaults()["output_format"] == "jpg"
    assert get_model("flux-2-pro").field("safety_tolerance").maximum == 5
    assert get_model("flux-2-pro").defaults()["resolution"] == "1 MP"


def test_get_model_accepts_full_id_and_short_name():
    assert get_model("flux-dev") is MODELS["black-forest-labs/flux-dev"]
    assert get_model("black-forest-labs/flux-dev") is MODELS["black-forest-labs/flux-dev"]
    assert get_model(" Flux-Dev ") is MODELS["black-forest-labs/flux-dev"]
    assert get_model("flux-9000") is None
    assert get_model("someone-else/flux-dev") is None


def test_field_lookup():
    spec = get_model("flux-schnell")
    assert spec.field("num_outputs").kind == "int"
    assert spec.field("guidance") is None


def test_describe_models_mentions_every_model_and_field():
    text = describe_models()
    for spec in MODELS.values():
        assert spec.name in text
        assert spec.display_name in text
        assert spec.description in text
        for f in spec.fields:
            assert f.name in text
    assert "between 1 and 4" in text
    assert "default 80" in text


# --- validate_input: good input ------------------------------------------------------------------


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_defaults_plus_prompt_validate(model_id):
    spec = MODELS[model_id]
    values = {"prompt": "a red fox", **spec.defaults()}
    assert validate_input(model_id, values) == {"prompt": "a red fox"}
    full = validate_input(model_id, values, omit_defaults=False)
    assert full == values


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_prompt_alone_validates_by_short_name(model_id):
    assert validate_input(MODELS[model_id].name, {"prompt": "x"}) == {"prompt": "x"}


def test_omit_defaults_drops_default_values_but_keeps_others():
    values = {"prompt": "cat", "num_outputs": 1, "num_inference_steps": 2, "go_fast": True}
    assert validate_input("flux-schnell", values) == {"prompt": "cat", "num_inference_steps": 2}
    assert validate_input("flux-schnell", values, omit_defaults=False) == values


def test_none_and_empty_mean_not_given():
    values = {"prompt": "cat", "seed": None, "aspect_ratio": "", "image": None, "guidance": " "}
    assert validate_input("flux-dev", values, omit_defaults=False) == {"prompt": "cat"}
    assert validate_input("flux-2-pro", {"prompt": "cat", "input_images": []}) == {"prompt": "cat"}


def test_values_are_coerced_to_field_types():
    values = {
        "prompt": "cat",
        "num_outputs": "2",
        "num_inference_steps": 10.0,
        "guidance": "3.5",
        "prompt_strength": 1,
        "go_fast": "false",
        "disable_safety_checker": 1,
        "megapixels": 0.25,
        "seed": "42",
        "aspect_ratio": " 16:9 ",
    }
    result = validate_input("flux-dev", values)
    assert result == {
        "prompt": "cat",
        "aspect_ratio": "16:9",
        "num_outputs": 2,
        "num_inference_steps": 10,
        "seed": 42,
        "disable_safety_checker": True,
        "go_fast": False,
        "megapixels": "0.25",
        "guidance": 3.5,
        "prompt_strength": 1.0,
    }
    assert type(result["num_outputs"]) is int
    assert type(result["prompt_strength"]) is float


def test_integer_megapixels_matches_string_enum():
    result = validate_input("flux-schnell", {"prompt": "x", "megapixels": 1}, omit_defaults=False)
    assert result["megapixels"] == "1"


def test_seed_zero_is_kept():
    assert validate_input("flux-schnell", {"prompt": "x", "seed": 0}) == {"prompt": "x", "seed": 0}


@pytest.mark.parametrize("image", [URL, "http://example.com/a.jpg", DATA_URI])
def test_image_urls_and_data_uris_are_accepted(image):
    result = validate_input("flux-dev", {"prompt": "x", "image": image})
    assert result["image"] == image


def test_input_images_accepts_a_list_up_to_the_limit():
    images = [URL] * 8
    assert (
        validate_input("flux-2-pro", {"prompt": "x", "input_images": images})["input_images"]
        == images
    )
    assert validate_input("flux-2-dev", {"prompt": "x", "input_images": (URL, DATA_URI)})[
        "input_images"
    ] == [URL, DATA_URI]


@pytest.mark.parametrize("model_id", CUSTOM_SIZE_MODELS)
def test_custom_size_with_width_and_height(model_id):
    values = {"prompt": "x", "aspect_ratio": "custom", "width": "512", "height": 768}
    result = validate_input(model_id, values)
    assert result == {"prompt": "x", "aspect_ratio": "custom", "width": 512, "height": 768}


def test_kontext_safety_tolerance_up_to_6_without_image_and_2_with():
    assert validate_input("flux-kontext-pro", {"prompt": "x", "safety_tolerance": 6}) == {
        "prompt": "x",
        "safety_tolerance": 6,
    }
    values = {"prompt": "x", "input_image": URL, "safety_tolerance": 1}
    assert validate_input("flux-kontext-max", values) == values


def test_result_follows_catalogue_order_with_extras_last():
    values = {"seed": 3, "prompt": "x", "num_outputs": 2}
    result = validate_input("flux-schnell", values, extra={"zzz": 1})
    assert list(result) == ["prompt", "num_outputs", "seed", "zzz"]


# --- extra JSON ----------------------------------------------------------------------------------


def test_extra_passes_unknown_fields_unchanged():
    extra = {"lora_scale": 0.7, "nested": {"a": [1, 2]}, "flag": None}
    result = validate_input("flux-dev", {"prompt": "x"}, extra=extra)
    assert result == {"prompt": "x", **extra}


def test_extra_known_fields_are_validated_and_win():
    result = validate_input(
        "flux-schnell", {"prompt": "x", "num_outputs": 2}, extra={"num_outputs": "3"}
    )
    assert result == {"prompt": "x", "num_outputs": 3}
    _raises(
        "flux-schnell", {"prompt": "x"}, "num_outputs", "between 1 and 4", extra={"num_outputs": 9}
    )


def test_extra_may_supply_the_prompt():
    assert validate_input("flux-schnell", {}, extra={"prompt": "from json"}) == {
        "prompt": "from json"
    }


def test_extra_must_be_an_object():
    _raises("flux-schnell", {"prompt": "x"}, "extra", extra=[1, 2])


# --- validate_input: bad input -------------------------------------------------------------------


def test_unknown_model_is_an_error():
    with pytest.raises(InvalidInputError, match="flux-9000"):
        validate_input("flux-9000", {"prompt": "x"})


@pytest.mark.parametrize("prompt", ["", "   ", None])
def test_empty_prompt_is_an_error(prompt):
    _raises("flux-schnell", {"prompt": prompt}, "prompt", "Prompt is empty")


def test_missing_prompt_is_an_error():
    _raises("flux-2-pro", {}, "prompt", "Prompt is empty")


def test_prompt_must_be_text():
    _raises("flux-schnell", {"prompt": 5}, "prompt", "text")


@pytest.mark.parametrize(
    ("model_id", "field", "value", "allowed"),
    [
        ("flux-schnell", "num_outputs", 7, "between 1 and 4, got 7"),
        ("flux-schnell", "num_inference_steps", 5, "between 1 and 4"),
        ("flux-dev", "num_inference_steps", 51, "between 1 and 50"),
        ("flux-dev", "guidance", 10.5, "between 0 and 10"),
        ("flux-dev", "prompt_strength", -0.1, "between 0 and 1"),
        ("flux-schnell", "output_quality", 101, "between 0 and 100"),
        ("flux-schnell", "seed", 2**53, "between -9007199254740991 and 9007199254740991"),
        ("flux-pro", "safety_tolerance", 0, "between 1 and 6"),
        ("flux-2-pro", "safety_tolerance", 6, "between 1 and 5"),
        ("flux-kontext-pro", "safety_tolerance", 7, "between 0 and 6"),
        ("flux-1.1-pro-ultra", "image_prompt_strength", 2, "between 0 and 1"),
    ],
)
def test_out_of_range_is_an_error(model_id, field, value, allowed):
    _raises(model_id, {"prompt": "x", field: value}, field, allowed, str(value))


@pytest.mark.parametrize(
    ("model_id", "field", "value"),
    [
        ("flux-schnell", "aspect_ratio", "7:3"),
        ("flux-schnell", "aspect_ratio", "custom"),
        ("flux-schnell", "output_format", "gif"),
        ("flux-schnell", "megapixels", 2),
        ("flux-1.1-pro-ultra", "output_format", "webp"),
        ("flux-2-pro", "resolution", "8 MP"),
    ],
)
def test_value_not_in_enum_is_an_error(model_id, field, value):
    spec = get_model(model_id)
    message = _raises(model_id, {"prompt": "x", field: value}, field, str(value))
    for choice in spec.field(field).choices:
        assert f'"{choice}"' in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("num_outputs", "two", "whole number"),
        ("num_outputs", 1.5, "whole number"),
        ("num_outputs", True, "whole number"),
        ("num_outputs", [1], "whole number"),
        ("seed", "nan", "whole number"),
        ("guidance", "lots", "a number"),
        ("guidance", float("inf"), "a number"),
        ("go_fast", "maybe", "true or false"),
        ("go_fast", 2, "true or false"),
        ("image", "cat.png", "URL"),
        ("image", "ftp://example.com/a.png", "URL"),
        ("image", "data:text/plain;base64,aGk=", "URL"),
        ("image", 42, "URL"),
    ],
)
def test_wrong_type_is_an_error(field, value, expected):
    _raises("flux-dev", {"prompt": "x", field: value}, field, expected)


@pytest.mark.parametrize(("model_id", "limit"), [("flux-2-pro", 8), ("flux-2-dev", 4)])
def test_too_many_images_is_an_error(model_id, limit):
    images = [URL] * (limit + 1)
    _raises(model_id, {"prompt": "x", "input_images": images}, "input_images", f"at most {limit}")


def test_bad_item_in_image_list_is_an_error():
    _raises("flux-2-pro", {"prompt": "x", "input_images": [URL, "nope"]}, "input_images", "URL")


def test_unknown_field_offers_did_you_mean():
    message = _raises("flux-schnell", {"prompt": "x", "num_output": 2}, "num_output")
    assert message == 'Unknown input "num_output" for flux-schnell. Did you mean "num_outputs"?'


def test_unknown_field_without_close_match_lists_valid_names():
    message = _raises("flux-schnell", {"prompt": "x", "zebra": 1}, "zebra")
    assert "num_outputs" in message and "megapixels" in message


def test_field_of_another_model_is_unknown():
    _raises("flux-schnell", {"prompt": "x", "guidance": 3}, "guidance")


@pytest.mark.parametrize("model_id", CUSTOM_SIZE_MODELS)
def test_width_without_custom_aspect_ratio_is_an_error(model_id):
    message = _raises(model_id, {"prompt": "x", "width": 512}, "width", "aspect_ratio", "custom")
    assert "1:1" in message
    _raises(model_id, {"prompt": "x", "aspect_ratio": "16:9", "height": 512}, "height", "16:9")


@pytest.mark.parametrize("model_id", CUSTOM_SIZE_MODELS)
def test_custom_aspect_ratio_needs_width_and_height(model_id):
    values = {"prompt": "x", "aspect_ratio": "custom", "width": 512}
    _raises(model_id, values, "height", "custom", "width")
    _raises(model_id, {"prompt": "x", "aspect_ratio": "custom"}, "width", "height")


def test_flux_pro_width_is_rounded_to_a_multiple_of_32():
    values = {"prompt": "x", "aspect_ratio": "custom", "width": 500, "height": 512}
    assert validate_input("flux-pro", values)["width"] == 512
    _raises("flux-pro", {**values, "width": 1441}, "width", "between 256 and 1440", "1441")


def test_flux2_width_is_rounded_by_the_api_so_any_integer_in_range_passes():
    values = {"prompt": "x", "aspect_ratio": "custom", "width": 500, "height": 2048}
    assert validate_input("flux-2-pro", values)["width"] == 500
    _raises("flux-2-dev", {**values, "height": 2048}, "height", "between 256 and 1440")


@pytest.mark.parametrize("model_id", ["flux-kontext-pro", "flux-kontext-max"])
def test_kontext_safety_tolerance_above_2_with_image_is_an_error(model_id):
    values = {"prompt": "x", "input_image": URL, "safety_tolerance": "5"}
    _raises(model_id, values, "safety_tolerance", "at most 2", "input_image", "5")


# --- coerce_value --------------------------------------------------------------------------------


def _field(model: str, name: str) -> Field:
    return get_model(model).field(name)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("num_outputs", "2", 2),
        ("num_outputs", " 3 ", 3),
        ("num_outputs", 4.0, 4),
        ("num_outputs", "2.0", 2),
        ("guidance", "0.5", 0.5),
        ("guidance", 2, 2.0),
        ("go_fast", "true", True),
        ("go_fast", "False", False),
        ("go_fast", "0", False),
        ("go_fast", 1, True),
        ("aspect_ratio", "16:9", "16:9"),
        ("megapixels", "0.25", "0.25"),
        ("megapixels", 1.0, "1"),
        ("image", URL, URL),
        ("seed", "", None),
        ("seed", None, None),
    ],
)
def test_coerce_value_from_cli_strings(name, raw, expected):
    value = coerce_value(_field("flux-dev", name), raw)
    assert value == expected
    assert type(value) is type(expected)


def test_coerce_value_for_image_lists():
    field = _field("flux-2-pro", "input_images")
    assert coerce_value(field, URL) == [URL]
    assert coerce_value(field, f'["{URL}", "{DATA_URI}"]') == [URL, DATA_URI]
    with pytest.raises(InvalidInputError, match="input_images"):
        coerce_value(field, "[not json")


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("num_outputs", "9"),
        ("num_outputs", "x"),
        ("aspect_ratio", "2:7"),
        ("go_fast", "yes please"),
    ],
)
def test_coerce_value_errors_name_field_and_value(name, raw):
    with pytest.raises(InvalidInputError) as info:
        coerce_value(_field("flux-dev", name), raw)
    assert info.value.field == name
    assert f'"{name}"' in str(info.value)
    assert raw in str(info.value)


def test_long_values_are_shortened_in_messages():
    huge = "x" * 5000
    with pytest.raises(InvalidInputError) as info:
        coerce_value(_field("flux-dev", "image"), huge)
    assert len(str(info.value)) < 300
