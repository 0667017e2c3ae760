"""From form values to the exact API input (webui/inputs.py): defaults, seeds, image inputs and
the "Extra input (JSON)" box, which goes through the form's own checks. Uploads themselves are
in test_images.py; the request preview in test_code_preview.py.
"""

from __future__ import annotations

import json
import random

import pytest
from PIL import Image

from comet.errors import InvalidInputError
from comet.models import get_model
from webui.inputs import build_input, parse_extra_json, resolve_image_field

SCHNELL = "black-forest-labs/flux-schnell"


def refused(extra_json: str, model: str = SCHNELL, prompt: str = "x") -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        build_input(model, prompt, {}, randomize_seed=False, extra_json=extra_json)
    return info.value


def test_defaults_are_omitted_and_changes_and_the_seed_kept():
    fields = {"num_outputs": 1, "aspect_ratio": "16:9", "guidance": 5}  # schnell has no guidance
    values = build_input(SCHNELL, " a boat ", fields, seed=42, randomize_seed=False)
    assert values == {"prompt": "a boat", "aspect_ratio": "16:9", "seed": 42}


def test_randomize_seed_picks_a_seed_that_is_sent():
    values = build_input(SCHNELL, "x", {}, seed=42, randomize_seed=True, rng=random.Random(4))
    assert values["seed"] == random.Random(4).randint(0, 2**31 - 1)


@pytest.mark.parametrize(
    ("prompt", "said"),
    [("x" * 2001, "The prompt is 2,001 characters; the limit is 2,000."), ("   ", "Prompt")],
)
def test_a_prompt_too_long_or_empty_is_refused(prompt, said):
    with pytest.raises(InvalidInputError, match=said) as info:
        build_input(SCHNELL, prompt, {})
    assert info.value.field == "prompt"


def test_image_urls_must_be_https_and_a_single_image_input_takes_one(tmp_path):
    kontext = get_model("flux-kontext-pro")
    url = "https://x.example/a.png"
    assert resolve_image_field(kontext, None, f" {url} ") == url
    with pytest.raises(InvalidInputError, match="input_image"):
        resolve_image_field(kontext, None, "ftp://x.example/a.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    with pytest.raises(InvalidInputError, match="takes one image; got 2"):
        resolve_image_field(kontext, tmp_path / "a.png", url)


def test_several_images_go_to_a_list_input_up_to_its_limit(tmp_path):
    flux2 = get_model("flux-2-dev")
    paths = []
    for i in range(5):
        Image.new("RGB", (8, 8)).save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    refs = resolve_image_field(flux2, paths[:2], "https://x.example/c.png, https://x.example/d.png")
    assert len(refs) == 4 and refs[2:] == ["https://x.example/c.png", "https://x.example/d.png"]
    too_many = resolve_image_field(flux2, paths, None)
    with pytest.raises(InvalidInputError, match='"input_images" takes at most 4 images, got 5'):
        build_input(flux2.id, "x", {}, randomize_seed=False, image=too_many)


# --- the extra JSON box -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"a": ', "is not valid JSON: Expecting value at line 1, column 7."),
        ('{\n  "a": 1,\n}', "line 3, column 1"),
        ("[1, 2]", 'must be a JSON object, e.g. {"guidance": 3.5}.'),
        ('"text"', "must be a JSON object"),
        ('{"a": ' + "[" * 9000 + "]" * 9000 + "}", "is nested too deeply"),
        ('{"a":' * 3000 + "1" + "}" * 3000, "is nested too deeply"),
        ('{"a": [[1]]}', "is nested too deeply"),
        ('{"seed": ' + "9" * 5000 + "}", "has a number of 5,000 digits"),
        ('{"note": "' + "y" * 20_000 + '"}', "is 20,012 characters; the limit is 20,000."),
    ],
    ids=["cut", "trailing-comma", "list", "text", "deep-list", "deep-object", "list-in-list",
         "long-number", "long"],
)  # fmt: skip
def test_extra_json_that_cannot_be_read_says_why_naming_the_box(text, said):
    with pytest.raises(InvalidInputError) as info:
        parse_extra_json(text)
    assert str(info.value).startswith("Extra input (JSON)") and said in str(info.value)
    assert info.value.field == "extra_input"


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert parse_extra_json('{"lora": "[[[{{{\\"]]]"}') == {"lora": '[[[{{{"]]]'}
    assert parse_extra_json('{"lora": "\\" [[[{{{"}') == {"lora": '" [[[{{{'}  # escaped "


def test_extra_json_wins_over_the_form_and_is_coerced_like_it():
    values = build_input(
        SCHNELL, "x", {"num_outputs": 2}, randomize_seed=False,
        extra_json='{"num_outputs": "3", "go_fast": 0, "lora": "abc", "prompt": "a cat"}',
    )  # fmt: skip
    assert values == {"prompt": "a cat", "num_outputs": 3, "go_fast": False, "lora": "abc"}
    custom = '{"aspect_ratio": "custom", "width": 500, "height": 1000}'
    sized = build_input("flux-pro", "x", {}, randomize_seed=False, extra_json=custom)
    assert (sized["width"], sized["height"]) == (512, 992)  # rounded, as from the form


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"prompt": "y" * 2001}, "The prompt in Extra input (JSON) is 2,001 characters"),
        ({"num_outputs": 12}, '"num_outputs" must be'),
        ({"num_outputs": 4.9}, "whole number"),
        ({"num_outputs": "four"}, "whole number"),
        ({"num_outputs": [2]}, '"num_outputs" takes one value'),
        ({"lora": {"scale": 1}}, '"lora" must be text, a number'),
        ({"lora": list(range(17))}, "limit is 16"),
        ({"bad name": 1}, "letters, digits and _"),
        ({"x" * 65: 1}, "at most 64"),
        ({"lora": 2**64}, "beyond 64 bits"),
        ({f"k{i}": i for i in range(33)}, "the limit is 32"),
    ],
)
def test_extra_json_values_must_be_right_for_the_model_plain_and_of_a_sane_size(extra, said):
    error = refused(json.dumps(extra))
    assert said in str(error)
    assert str(error).startswith(("Extra input (JSON)", "The prompt in Extra input (JSON)"))


@pytest.mark.parametrize(
    ("constant", "name"),
    [("NaN", "guidance"), ("Infinity", "not_in_the_catalogue"), ("1e400", "guidance")],
)
def test_extra_json_refuses_nan_and_infinity(constant, name):
    error = refused(f'{{"{name}": {constant}}}', model="flux-dev")
    assert f'"{name}" must be a finite number, not NaN or Infinity.' in str(error)


def test_extra_json_image_lists_must_be_strings():
    error = refused('{"input_images": ["https://x.example/a.png", 3]}', model="flux-2-dev")
    assert '"input_images" must be a list of image URLs (strings).' in str(error)
    extra = '{"input_images": ["https://x.example/a.png"]}'
    values = build_input("flux-2-dev", "x", {}, randomize_seed=False, extra_json=extra)
    assert values["input_images"] == ["https://x.example/a.png"]


def test_extra_json_names_the_catalogue_lacks_pass_through_as_typed():
    extra = {"lora_scale": 0.7, "flags": ["a", "b"], "strength": None, "count": 2**40}
    values = build_input(SCHNELL, "x", {}, randomize_seed=False, extra_json=json.dumps(extra))
    assert values == {"prompt": "x", **extra}


def test_a_model_outside_the_catalogue_gets_the_prompt_and_checked_extra_json():
    unknown = "someone/unknown-model"
    assert '"steps"' in str(refused('{"steps": NaN}', model=unknown))
    assert '"prompt" must be text' in str(refused('{"prompt": 5}', model=unknown))
    assert "2,001 characters" in str(refused(json.dumps({"prompt": "y" * 2001}), model=unknown))
    values = build_input(
        unknown, "x", {"guidance": 3}, randomize_seed=True, extra_json='{"steps": 3}'
    )
    assert values == {"prompt": "x", "steps": 3}


def test_an_api_callers_seed_inside_inputs_is_sent_as_given():
    from webui.api_inputs import api_input
    from webui.inputs import SEED_MAX

    spec = get_model("flux-schnell")
    assert api_input(spec, "a boat", inputs={"seed": 7}, rng=random.Random(1))["seed"] == 7
    chosen = api_input(spec, "a boat", rng=random.Random(1))["seed"]  # none given: one is drawn
    assert chosen == random.Random(1).randint(0, SEED_MAX)
