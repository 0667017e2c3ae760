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
