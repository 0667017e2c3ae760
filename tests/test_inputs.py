"""From form values to the API input: validation, seeds, images, extra JSON, the preview."""

from __future__ import annotations

import base64
import json
import random

import pytest
from PIL import Image

from comet.errors import InvalidInputError
from comet.models import get_model
from webui.inputs import build_input, parse_extra_json, request_preview, resolve_image_field
from webui.uploads import image_to_data_uri

SCHNELL = "black-forest-labs/flux-schnell"


def _png(path, size=(32, 32), color=(255, 0, 0)):
    Image.new("RGB", size, color).save(path)
    return path


def test_defaults_are_omitted_and_changes_kept():
    values = build_input(
        SCHNELL, "a boat", {"num_outputs": 1, "aspect_ratio": "16:9"}, randomize_seed=False
    )
    assert values == {"prompt": "a boat", "aspect_ratio": "16:9"}


def test_randomize_seed_picks_a_seed_that_is_sent():
    values = build_input(SCHNELL, "x", {}, randomize_seed=True, rng=random.Random(4))
    assert values["seed"] == random.Random(4).randint(0, 2**31 - 1)


def test_fixed_seed_is_sent_when_not_randomized():
    assert build_input(SCHNELL, "x", {}, seed=42, randomize_seed=False)["seed"] == 42


def test_fields_of_other_models_are_ignored():
    values = build_input(SCHNELL, "x", {"guidance": 5}, randomize_seed=False)
    assert "guidance" not in values


@pytest.mark.parametrize(
    ("text", "where"),
    [('{"a": ', "line 1, column 7"), ('{\n  "a": 1,\n}', "line 3, column 1")],
)
def test_invalid_extra_json_says_where(text, where):
    with pytest.raises(InvalidInputError) as info:
        parse_extra_json(text)
    assert where in str(info.value)


@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "3"])
def test_extra_json_must_be_an_object(text):
    with pytest.raises(InvalidInputError) as info:
        parse_extra_json(text)
    assert "JSON object" in str(info.value)


def test_extra_json_adds_unknown_fields_and_validates_known_ones():
    values = build_input(SCHNELL, "x", {}, randomize_seed=False, extra_json='{"lora": "abc"}')
    assert values["lora"] == "abc"
    with pytest.raises(InvalidInputError) as info:
        build_input(SCHNELL, "x", {}, randomize_seed=False, extra_json='{"num_outputs": 12}')
    assert "num_outputs" in str(info.value)


def test_prompt_length_is_limited():
    with pytest.raises(InvalidInputError) as info:
        build_input(SCHNELL, "x" * 2001, {})
    assert "2,000" in str(info.value)


def test_empty_prompt_is_refused():
    with pytest.raises(InvalidInputError) as info:
        build_input(SCHNELL, "   ", {})
    assert "prompt" in str(info.value).lower()


def test_upload_becomes_a_data_uri(tmp_path):
    uri = image_to_data_uri(_png(tmp_path / "a.png"), field="input_image")
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_large_upload_is_downscaled(tmp_path):
    uri = image_to_data_uri(_png(tmp_path / "big.png", size=(3000, 1500)), field="image")
    raw = base64.b64decode(uri.split(",", 1)[1])
    from io import BytesIO

    with Image.open(BytesIO(raw)) as image:
        assert max(image.size) == 2048


def test_oversize_upload_is_refused_with_the_field(tmp_path):
    path = _png(tmp_path / "a.png")
    with pytest.raises(InvalidInputError) as info:
        image_to_data_uri(path, field="input_image", max_bytes=10)
    assert "input_image" in str(info.value) and "MB" in str(info.value)


def test_wrong_type_upload_is_refused(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("not an image at all")
    with pytest.raises(InvalidInputError) as info:
        image_to_data_uri(fake, field="input_image")
    assert "input_image" in str(info.value) and "not an image" in str(info.value)


def test_bmp_upload_is_refused(tmp_path):
    path = tmp_path / "a.bmp"
    Image.new("RGB", (8, 8)).save(path)
    with pytest.raises(InvalidInputError) as info:
        image_to_data_uri(path, field="image")
    assert "BMP" in str(info.value)


def test_image_urls_must_be_https():
    spec = get_model("flux-kontext-pro")
    assert resolve_image_field(spec, None, "https://x.example/a.png") == "https://x.example/a.png"
    with pytest.raises(InvalidInputError) as info:
        resolve_image_field(spec, None, "ftp://x.example/a.png")
    assert "input_image" in str(info.value)


def test_flux2_takes_several_images_up_to_its_limit(tmp_path):
    spec = get_model("flux-2-dev")
    paths = [_png(tmp_path / f"{i}.png") for i in range(5)]
    refs = resolve_image_field(spec, paths[:2], "https://x.example/c.png")
    assert len(refs) == 3
    with pytest.raises(InvalidInputError) as info:
        build_input(
            spec.id,
            "x",
            {},
            randomize_seed=False,
            image=resolve_image_field(spec, paths, None),
        )
    assert "input_images" in str(info.value) and "4" in str(info.value)


def test_single_image_field_refuses_two_images(tmp_path):
    spec = get_model("flux-kontext-pro")
    with pytest.raises(InvalidInputError):
        resolve_image_field(spec, _png(tmp_path / "a.png"), "https://x.example/a.png")


def test_preview_is_the_body_and_a_curl_with_a_placeholder_key():
    values = build_input(SCHNELL, "it's a boat", {"num_outputs": 2}, seed=1, randomize_seed=False)
    body, curl = request_preview("https://api.cometapi.com", SCHNELL, values)
    assert json.loads(body) == {"input": values}
    assert "$COMET_API_KEY" in curl
    assert "https://api.cometapi.com/replicate/v1/models/black-forest-labs/flux-schnell/" in curl
    import shlex

    tokens = shlex.split(curl.replace("\\\n", " "))
    assert json.loads(tokens[tokens.index("-d") + 1]) == {"input": values}


def test_preview_shortens_inline_images(tmp_path):
    uri = image_to_data_uri(_png(tmp_path / "a.png"), field="input_image")
    body, curl = request_preview(
        "https://h", "black-forest-labs/flux-kontext-pro", {"prompt": "x", "input_image": uri}
    )
    assert uri not in body and uri not in curl
    assert "data:image/png;base64," in body


# --- extra JSON goes through the form's own checks ------------------------------------------


def _extra_refused(extra_json: str, model: str = SCHNELL, **kwargs) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        build_input(model, "x", {}, randomize_seed=False, extra_json=extra_json, **kwargs)
    return info.value


def test_extra_json_cannot_take_the_prompt_past_its_limit():
    error = _extra_refused(json.dumps({"prompt": "y" * 2001}))
    assert error.field == "prompt" and "2,000" in str(error) and "Extra input (JSON)" in str(error)
    error = _extra_refused(json.dumps({"prompt": "y" * 2001}), model="someone/unknown-model")
    assert "2,000" in str(error)
    ok = build_input(SCHNELL, "x", {}, randomize_seed=False, extra_json='{"prompt": "a cat"}')
    assert ok["prompt"] == "a cat"


@pytest.mark.parametrize("value", ["4.9", '"4.9"', "true", '"four"'])
def test_extra_json_int_field_refuses_what_the_form_would(value):
    error = _extra_refused(f'{{"num_outputs": {value}}}')
    assert error.field == "num_outputs"
    assert '"num_outputs"' in str(error) and "whole number" in str(error)
    assert str(error).startswith("Extra input (JSON)")


def test_extra_json_known_fields_are_coerced_like_the_form():
    values = build_input(
        SCHNELL, "x", {}, randomize_seed=False, extra_json='{"num_outputs": "3", "go_fast": 0}'
    )
    assert values == {"prompt": "x", "num_outputs": 3, "go_fast": False}
    values = build_input(
        "flux-pro",
        "x",
        {},
        randomize_seed=False,
        extra_json='{"aspect_ratio": "custom", "width": 500, "height": 1000}',
    )
    assert (values["width"], values["height"]) == (512, 992)  # rounded, as from the form


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("name", ["guidance", "not_in_the_catalogue"])
def test_extra_json_refuses_nan_and_infinity_naming_the_box(constant, name):
    error = _extra_refused(f'{{"{name}": {constant}}}', model="flux-dev")
    assert str(error).startswith("Extra input (JSON)") and f'"{name}"' in str(error)
    assert "NaN or Infinity" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": ' + "[" * 9000 + "]" * 9000 + "}",
        '{"a":' * 3000 + "1" + "}" * 3000,
        "[" * 9000 + "]" * 9000,
        '{"a": [[1]]}',
    ],
    ids=["9000-deep-list", "3000-deep-object", "9000-deep-top-level", "list-in-list"],
)
def test_deeply_nested_extra_json_is_a_clear_error_not_a_recursion_error(text):
    with pytest.raises(InvalidInputError) as info:
        parse_extra_json(text)
    assert str(info.value).startswith("Extra input (JSON)") and "nested" in str(info.value)
    assert info.value.field == "extra_input"


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert parse_extra_json('{"lora": "[[[{{{\\"]]]"}') == {"lora": '[[[{{{"]]]'}


def test_a_number_too_long_for_python_is_a_clear_error():
    error = _extra_refused('{"seed": ' + "9" * 5000 + "}")
    assert str(error).startswith("Extra input (JSON)") and "5,000 digits" in str(error)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"lora": {"scale": 1}}, '"lora" must be text, a number'),
        ({"lora": [1, {"a": 2}]}, "nested too deeply"),
        ({"lora": list(range(17))}, "limit is 16"),
        ({"bad name": 1}, "letters, digits and _"),
        ({"x" * 65: 1}, "at most 64"),
        ({"lora": 2**64}, "beyond 64 bits"),
        ({"num_outputs": [2]}, '"num_outputs" takes one value'),
        ({f"k{i}": i for i in range(33)}, "the limit is 32"),
    ],
)
def test_extra_json_values_must_be_plain_and_of_a_sane_size(extra, fragment):
    error = _extra_refused(json.dumps(extra))
    assert fragment in str(error) and str(error).startswith("Extra input (JSON)")


def test_extra_json_image_list_must_be_strings():
    error = _extra_refused('{"input_images": ["https://x.example/a.png", 3]}', model="flux-2-dev")
    assert '"input_images"' in str(error) and "strings" in str(error)
    values = build_input(
        "flux-2-dev",
        "x",
        {},
        randomize_seed=False,
        extra_json='{"input_images": ["https://x.example/a.png"]}',
    )
    assert values["input_images"] == ["https://x.example/a.png"]


def test_extra_json_unknown_plain_keys_still_pass_through():
    extra = {"lora_scale": 0.7, "flags": ["a", "b"], "strength": None, "count": 2**40}
    values = build_input(SCHNELL, "x", {}, randomize_seed=False, extra_json=json.dumps(extra))
    assert values == {"prompt": "x", **extra}


def test_extra_json_for_a_model_outside_the_catalogue_is_checked_too():
    error = _extra_refused('{"steps": NaN}', model="someone/unknown-model")
    assert '"steps"' in str(error)
    error = _extra_refused('{"prompt": 5}', model="someone/unknown-model")
    assert '"prompt" must be text' in str(error)
    values = build_input(
        "someone/unknown-model", "x", {}, randomize_seed=False, extra_json='{"steps": 3}'
    )
    assert values == {"prompt": "x", "steps": 3}
