"""Every model of the catalogue through the launched app, with its own form fields (issue 10).

Each model is called through gradio_client the way an API caller (or the page) calls
`/generate`: with a non-default value in every one of its form widgets
(`<model_key>__<field>`), and, for the models that take images, once with uploads and once
with an image URL typed in the URL box. The simulator records exactly what reached the API.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from gradio_client import handle_file
from PIL import Image

from comet.models import MODELS, Field, ModelSpec
from comet.settings import AppSettings
from webui.form import field_param, form_fields, upload_param, url_param

PROMPT = "a lighthouse on a cliff at dusk"
SEED = 4242
IMAGE_URL = "https://example.com/a.png"  # never fetched: the simulator draws a placeholder
ALL_MODELS = [pytest.param(spec, id=spec.name) for spec in MODELS.values()]
IMAGE_MODELS = [pytest.param(spec, id=spec.name) for spec in MODELS.values() if spec.image_field]
# aspect_ratio values that need more than a value: an input image, or width and height
NEEDS_MORE = ("match_input_image", "custom")


def other_value(spec: ModelSpec, field: Field) -> Any:
    """A valid value for the field that is not its default (and that the API would take)."""
    if field.kind == "bool":
        return not field.default
    if field.kind == "enum":
        if field.name == "aspect_ratio" and "custom" in field.choices:
            return "custom"  # so that width and height, which need it, can be given too
        return next(c for c in field.choices if c != field.default and c not in NEEDS_MORE)
    if field.kind in ("int", "float") and field.default is None:
        # an optional size (width/height): on the 32 grid, in range, each different
        return int(field.minimum) + (64 if field.name == "width" else 32)
    if field.kind == "int":
        middle = (field.default + int(field.maximum)) // 2
        return middle if middle != field.default else field.default - 1
    if field.kind == "float":
        return round((field.default + field.maximum) / 2, 2)
    raise AssertionError(f"no other value chosen for {spec.name}.{field.name} ({field.kind})")


def non_default_values(spec: ModelSpec) -> dict[str, Any]:
    """{field name: value} for every form field of the model, none at its default."""
    values = {field.name: other_value(spec, field) for field in form_fields(spec)}
    for field in form_fields(spec):
        assert values[field.name] != field.default, (spec.name, field.name)
    return values


def write_png(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (48, 32)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def decoded(uri: str) -> tuple[tuple[int, int], tuple[int, ...]]:
    """(size, top-left pixel) of the image in a data:image/...;base64 URI."""
    header, _, payload = uri.partition(",")
    assert header.startswith("data:image/") and header.endswith(";base64"), header
    with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
        return image.size, image.convert("RGB").getpixel((0, 0))


@pytest.fixture
def api(connect, launch_app, simulator, tmp_path):
    """A gradio_client Client of the app in demo mode, on the `simulator`."""
    settings = AppSettings(output_dir=tmp_path / "outputs", poll_interval=0.02)
    _, url = launch_app(settings, demo_base_url=simulator.base_url)
    return connect(url)


def generate(api, spec: ModelSpec, **fields: Any) -> str:
    status, gallery, _ = api.predict(
        prompt=PROMPT,
        model=spec.id,
        seed=SEED,
        randomize_seed=False,
        api_name="/generate",
        **fields,
    )
    assert "Succeeded" in status, status
    assert gallery, status
    return status


@pytest.mark.parametrize("spec", ALL_MODELS)
def test_each_model_sends_exactly_the_values_of_its_own_form_fields(api, simulator, spec):
    values = non_default_values(spec)
    by_param = {field_param(spec, spec.field(name)): value for name, value in values.items()}

    generate(api, spec, **by_param)

    [create] = [r for r in simulator.received if r.method == "POST"]
    assert create.path.endswith(f"/models/{spec.id}/predictions")
    assert simulator.created_inputs()[-1] == {"prompt": PROMPT, "seed": SEED, **values}
    assert simulator.errors == []


@pytest.mark.parametrize("spec", IMAGE_MODELS)
def test_each_image_model_sends_uploads_inline_as_data_uris(api, simulator, spec, tmp_path):
    red = write_png(tmp_path / "red.png", (200, 30, 30))
    green = write_png(tmp_path / "green.png", (30, 200, 30), size=(40, 40))
    many = spec.field(spec.image_field).kind == "images"
    upload = [handle_file(red), handle_file(green)] if many else handle_file(red)

    generate(api, spec, **{upload_param(spec): upload})

    sent = simulator.created_inputs()[-1][spec.image_field]
    if many:
        assert isinstance(sent, list), sent[:80]
        assert [decoded(uri) for uri in sent] == [
            ((48, 32), (200, 30, 30)),
            ((40, 40), (30, 200, 30)),
        ]
    else:
        assert isinstance(sent, str), sent
        assert decoded(sent) == ((48, 32), (200, 30, 30))


@pytest.mark.parametrize("spec", IMAGE_MODELS)
def test_each_image_model_sends_an_image_url_as_typed(api, simulator, spec):
    generate(api, spec, **{url_param(spec): IMAGE_URL})

    sent = simulator.created_inputs()[-1]
    many = spec.field(spec.image_field).kind == "images"
    assert sent[spec.image_field] == ([IMAGE_URL] if many else IMAGE_URL)
    # the app sent it on without fetching it (the session guard refuses any such connection),
    # and the simulator drew a placeholder instead of fetching it
    assert simulator.errors == []
