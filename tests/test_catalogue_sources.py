"""The catalogue matches what the models' published Replicate schemas accept (issue #12).

Each test pins one finding from https://replicate.com/black-forest-labs/<name>/api/schema
(listed in comet/model_fields.py): the inputs flux-2-flex really has, flux-pro's guidance and
deprecated steps/interval, sizes the FLUX.1 [pro] models round rather than refuse, and seeds
bounded by what survives the trip to the browser rather than by a minimum the schemas lack.
"""

from __future__ import annotations

import json

import pytest

from comet import catalogue, model_fields
from comet.errors import InvalidInputError
from comet.models import MODELS, get_model, validate_input
from webui.inputs import build_input, request_preview

URL = "https://example.com/cat.png"
SAFE = 2**53 - 1
SEED_MODELS = [m for m, spec in MODELS.items() if spec.field("seed") is not None]
ROUNDING_MODELS = ["flux-pro", "flux-1.1-pro"]


def _refused(model: str, values: dict, field: str) -> str:
    with pytest.raises(InvalidInputError) as info:
        validate_input(model, values)
    assert info.value.field == field
    assert f'"{field}"' in str(info.value)
    return str(info.value)


# --- sources ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [spec.name for spec in MODELS.values()])
def test_every_model_cites_its_public_schema_page(name):
    assert f"https://replicate.com/black-forest-labs/{name}/api/schema" in model_fields.__doc__
    assert "https://replicate.com/black-forest-labs/" in catalogue.__doc__


# --- flux-2-flex -----------------------------------------------------------------------------


def test_flux_2_flex_has_its_own_inputs_not_a_copy_of_flux_2_pro():
    flex, pro = get_model("flux-2-flex"), get_model("flux-2-pro")
    names = [f.name for f in flex.fields]
    assert set(names) - {f.name for f in pro.fields} == {"steps", "guidance", "prompt_upsampling"}
    assert set(names) == {f.name for f in pro.fields} | {"steps", "guidance", "prompt_upsampling"}
    steps, guidance = flex.field("steps"), flex.field("guidance")
    assert (steps.kind, steps.minimum, steps.maximum, steps.default) == ("int", 1, 50, 30)
    assert (guidance.kind, guidance.minimum, guidance.maximum) == ("float", 1.5, 10)
    assert guidance.default == 4.5
    assert flex.field("prompt_upsampling").default is True
    assert pro.field("steps") is None and pro.field("guidance") is None


def test_flux_2_flex_takes_ten_reference_images_and_flux_2_pro_eight():
    flex = get_model("flux-2-flex")
    assert flex.max_images == flex.field("input_images").max_items == 10
    assert "10" in flex.field("input_images").help
    values = {"prompt": "x", "input_images": [URL] * 10}
    assert len(validate_input("flux-2-flex", values)["input_images"]) == 10
    assert "at most 10" in _refused(
        "flux-2-flex", {**values, "input_images": [URL] * 11}, "input_images"
    )
    assert "at most 8" in _refused(
        "flux-2-pro", {**values, "input_images": [URL] * 9}, "input_images"
    )


def test_flux_2_flex_sends_steps_guidance_and_turning_upsampling_off():
    values = {"prompt": "x", "steps": "12", "guidance": 7.5, "prompt_upsampling": False}
    assert validate_input("flux-2-flex", values) == {
        "prompt": "x",
        "steps": 12,
        "guidance": 7.5,
        "prompt_upsampling": False,
    }
    # Its own default (true) is left to the model.
    assert validate_input("flux-2-flex", {"prompt": "x", "prompt_upsampling": True}) == {
        "prompt": "x"
    }
    assert "between 1 and 50" in _refused("flux-2-flex", {"prompt": "x", "steps": 51}, "steps")
    assert "between 1.5 and 10" in _refused(
        "flux-2-flex", {"prompt": "x", "guidance": 1}, "guidance"
    )


# --- flux-pro --------------------------------------------------------------------------------


def test_flux_pro_has_guidance_and_the_deprecated_steps_and_interval():
    pro = get_model("flux-pro")
    expected = {"guidance": (2, 5, 3), "steps": (1, 50, 25), "interval": (1, 4, 2)}
    for name, (low, high, default) in expected.items():
        f = pro.field(name)
        assert (f.minimum, f.maximum, f.default) == (low, high, default), name
    assert pro.field("steps").kind == "int"
    assert pro.field("guidance").kind == pro.field("interval").kind == "float"
    assert "deprecated" in pro.field("steps").help and "deprecated" in pro.field("interval").help
    values = {"prompt": "x", "guidance": 4.5, "steps": 40, "interval": 3.5}
    assert validate_input("flux-pro", values) == values


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("guidance", 5.5, "between 2 and 5"),
        ("guidance", 1, "between 2 and 5"),
        ("steps", 0, "between 1 and 50"),
        ("interval", 4.5, "between 1 and 4"),
    ],
)
def test_flux_pro_refuses_guidance_steps_interval_out_of_range(name, value, allowed):
    assert allowed in _refused("flux-pro", {"prompt": "x", name: value}, name)


def test_flux_1_1_pro_has_none_of_flux_pros_extra_inputs():
    spec = get_model("flux-1.1-pro")
    for name in ("guidance", "steps", "interval"):
        assert spec.field(name) is None
        _refused("flux-1.1-pro", {"prompt": "x", name: 3}, name)


# --- sizes the FLUX.1 [pro] models round -----------------------------------------------------


@pytest.mark.parametrize("model", ROUNDING_MODELS)
@pytest.mark.parametrize(
    ("given", "sent"),
    [(500, 512), ("1000", 992), (1439, 1440), (271, 256), (272, 288), (256, 256), (1440, 1440)],
)
def test_a_custom_size_is_rounded_to_a_multiple_of_32_and_the_rounded_value_sent(
    model, given, sent
):
    values = {"prompt": "x", "aspect_ratio": "custom", "width": given, "height": given}
    assert validate_input(model, values) == {**values, "width": sent, "height": sent}


@pytest.mark.parametrize("model", ROUNDING_MODELS)
def test_the_request_the_form_sends_and_previews_carries_the_rounded_size(model):
    fields = {"aspect_ratio": "custom", "width": 1000, "height": 700}
    values = build_input(model, "a boat", fields, randomize_seed=False)
    assert (values["width"], values["height"]) == (992, 704)
    body, curl = request_preview("https://api.cometapi.com", model, values)
    assert json.loads(body)["input"]["width"] == 992
    assert '"width": 992' in curl


@pytest.mark.parametrize("model", ROUNDING_MODELS)
@pytest.mark.parametrize("outside", [255, 1441, 2000])
def test_a_size_outside_the_range_is_still_refused(model, outside):
    values = {"prompt": "x", "aspect_ratio": "custom", "width": outside, "height": 512}
    assert "between 256 and 1440" in _refused(model, values, "width")


@pytest.mark.parametrize("model", ROUNDING_MODELS)
def test_size_help_says_it_is_rounded(model):
    spec = get_model(model)
    for name in ("width", "height"):
        f = spec.field(name)
        assert "rounded to a multiple of 32" in f.help
        assert f.round_to == 32 and f.multiple_of is None


# --- seeds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", SEED_MODELS)
@pytest.mark.parametrize("seed", [-1, -123456789, -SAFE, SAFE, 0])
def test_any_whole_number_seed_a_browser_keeps_exactly_is_accepted(model, seed):
    assert validate_input(model, {"prompt": "x", "seed": seed})["seed"] == seed


@pytest.mark.parametrize("model", SEED_MODELS)
@pytest.mark.parametrize("seed", [2**60, -(2**60), SAFE + 1, -SAFE - 1, float(2**60), str(2**64)])
def test_a_seed_beyond_2_to_53_is_refused_naming_the_field(model, seed):
    message = _refused(model, {"prompt": "x", "seed": seed}, "seed")
    assert "between -9007199254740991 and 9007199254740991" in message


def test_the_form_and_extra_json_give_seeds_the_same_rules():
    assert build_input("flux-dev", "x", {}, seed=-7, randomize_seed=False)["seed"] == -7
    extra = build_input("flux-dev", "x", {}, randomize_seed=False, extra_json='{"seed": -7}')
    assert extra["seed"] == -7
    for kwargs in ({"seed": 2**60}, {"extra_json": json.dumps({"seed": 2**60})}):
        with pytest.raises(InvalidInputError) as info:
            build_input("flux-dev", "x", {}, randomize_seed=False, **kwargs)
        assert info.value.field == "seed" and '"seed"' in str(info.value)


# --- values a form widget can always hold ----------------------------------------------------


@pytest.mark.parametrize("model", list(MODELS))
def test_optional_numbers_have_no_default_and_no_widget_bounds(model):
    spec = MODELS[model]
    for name in ("width", "height", "seed"):
        f = spec.field(name)
        if f is not None:
            assert f.default is None
            assert f.widget_bounds() == (None, None)


@pytest.mark.parametrize("model", list(MODELS))
def test_every_numeric_default_is_valid_for_its_own_field(model):
    for f in MODELS[model].fields:
        if f.kind not in ("int", "float") or f.default is None:
            continue
        assert f.widget_bounds() == (f.minimum, f.maximum)
        assert f.minimum <= f.default <= f.maximum, f.name
        if f.round_to:
            assert f.default % f.round_to == 0
        assert (
            validate_input(model, {"prompt": "x", f.name: f.default}, omit_defaults=False)[f.name]
            == f.default
        )
