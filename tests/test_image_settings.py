"""Images saved by the app carry their settings, and "Load settings from an image" restores
them: through gradio_client on the launched app, and the drop zone's handler called directly.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from comet.metadata import read_settings, with_settings
from comet.models import get_model
from comet.settings import AppSettings
from tests.support import drive
from webui.builder import settings_from_history
from webui.form import ModelForm, field_param, form_fields
from webui.image_settings import NO_SETTINGS, NOT_AN_IMAGE, settings_from_image

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"
KONTEXT = "black-forest-labs/flux-kontext-pro"
KEY = "sk-owner-key-for-metadata-5150"


def visitor() -> SimpleNamespace:
    return SimpleNamespace(
        session_hash="s1", client=SimpleNamespace(host="127.0.0.1"), headers={}, username=None
    )


@pytest.fixture
def form():
    """The model form on its own (not laid out): what the drop zone's handler restores into."""
    return ModelForm()


def generate(app, **kwargs) -> tuple[dict, list[str]]:
    """Run Generate through its handler; (the last update, the saved files)."""
    kwargs.setdefault("request", visitor())
    *_, last = drive(app.generate_handlers.generate(**kwargs))
    assert "Succeeded" in last["status"], last["status"]
    return last, [str(p) for p in last["gallery"]]


def pillow_settings(path: str | Path) -> dict:
    """The settings as Pillow reads them, without our reader: PNG text, EXIF UserComment."""
    with Image.open(path) as image:
        if image.format == "PNG":
            return json.loads(image.text["comet"])
        comment = image.getexif().get_ifd(0x8769)[0x9286]
        assert image.info["xmp"]  # and the XMP packet is there too
        return json.loads(comment[8:])


# -- saved by the app ---------------------------------------------------------------------------


def test_an_image_generated_through_gradio_client_holds_its_settings(
    connect, launch_app, simulator, tmp_path
):
    settings = AppSettings(  # the owner's key, sent to the simulator as to CometAPI
        owner_key=KEY,
        base_url=simulator.base_url,
        output_dir=tmp_path / "outputs",
        poll_interval=0.02,
    )
    _, url = launch_app(settings)
    api = connect(url)
    status, gallery, seed_used = api.predict(
        prompt="a harbour at dusk",
        model=DEV,
        seed=31337,
        randomize_seed=False,
        flux_dev__aspect_ratio="16:9",
        flux_dev__guidance=4.5,
        api_name="/generate",
    )[:3]
    assert "Succeeded" in status and seed_used == 31337
    [item] = gallery
    [saved] = (tmp_path / "outputs").glob("*.webp")
    for path in (item["image"], saved):  # the copy the API caller got, and the file on disk
        found = pillow_settings(path)
        assert found == read_settings(path)
        assert found["model"] == DEV and found["prompt"] == "a harbour at dusk"
        assert found["seed"] == 31337 and found["prediction_id"] == saved.stem.rsplit("-", 1)[0]
        assert found["input"]["aspect_ratio"] == "16:9" and found["input"]["guidance"] == 4.5
        assert found["input"]["prompt"] == "a harbour at dusk"
        assert KEY.encode() not in Path(path).read_bytes()
    with Image.open(saved) as image:
        assert image.size[0] > image.size[1]  # 16:9, and it decodes
        image.load()


def test_an_uploaded_input_image_is_shortened_in_the_saved_images(app, tmp_path):
    upload = tmp_path / "input.png"
    Image.new("RGB", (300, 200), (10, 200, 90)).save(upload)
    _, [path] = generate(
        app,
        prompt="make it blue",
        model=KONTEXT,
        seed=5,
        randomize_seed=False,
        flux_kontext_pro__input_image=str(upload),
    )
    embedded = read_settings(path)["input"]["input_image"]
    assert embedded.startswith("data:image/") and embedded.endswith("bytes, omitted)")
    assert Path(path).stat().st_size < 200_000


# -- Load settings from an image ----------------------------------------------------------------


def test_an_image_restores_exactly_what_use_these_settings_restores(app):
    form = app.generate_handlers.form
    _, [path] = generate(
        app,
        prompt="a lantern festival",
        model=DEV,
        seed=777,
        randomize_seed=False,
        flux_dev__aspect_ratio="3:2",
        flux_dev__num_inference_steps=12,
        flux_dev__go_fast=False,
    )
    prediction_id = read_settings(path)["prediction_id"]

    from_image = settings_from_image(form, path)
    from_history = settings_from_history(app.history_handlers, form, prediction_id, visitor())

    assert from_image.pop("settings_image") is None  # the drop zone is ready for the next one
    note = from_image.pop("settings_note")
    assert Path(path).name in note and "seed 777" in note and prediction_id in note
    from_history.pop("tabs")
    assert _plain(from_image) == _plain(from_history)
    assert from_image["prompt"] == "a lantern festival"
    assert (from_image["seed"], from_image["randomize_seed"]) == (777, False)
    assert from_image["model"]["value"] == DEV
    dev = get_model(DEV)
    fields = {f.name: f for f in form_fields(dev)}
    assert from_image[field_param(dev, fields["aspect_ratio"])]["value"] == "3:2"
    assert from_image[field_param(dev, fields["num_inference_steps"])]["value"] == 12
    assert from_image[field_param(dev, fields["go_fast"])]["value"] is False


def _plain(updates: dict) -> dict:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in updates.items()}


def test_a_file_that_is_not_an_image_gets_a_clear_message(form, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("just some notes")
    assert settings_from_image(form, str(text)) == {
        "settings_image": None,
        "settings_note": NOT_AN_IMAGE,
    }


def test_an_image_without_settings_gets_a_clear_message(form, tmp_path):
    plain = tmp_path / "photo.jpg"
    Image.new("RGB", (20, 20), "navy").save(plain)
    updates = settings_from_image(form, str(plain))
    assert updates == {"settings_image": None, "settings_note": NO_SETTINGS}


def test_a_model_this_app_does_not_offer_changes_nothing(form, tmp_path):
    path = _with(tmp_path, {"model": "someone/else", "input": {"prompt": "x"}})
    updates = settings_from_image(form, str(path))
    assert set(updates) == {"settings_image", "settings_note"}
    assert "someone/else" in updates["settings_note"]


def test_edited_values_the_form_cannot_take_are_left_at_their_defaults(form, tmp_path):
    document = {
        "model": SCHNELL,
        "input": {
            "prompt": "edited",
            "seed": "not a number",
            "aspect_ratio": "99:1",
            "num_inference_steps": 4000,
            "go_fast": False,
        },
    }
    updates = settings_from_image(form, str(_with(tmp_path, document)))
    schnell = get_model(SCHNELL)
    fields = {f.name: f for f in form_fields(schnell)}
    assert updates["prompt"] == "edited" and "seed" not in updates
    assert updates[field_param(schnell, fields["aspect_ratio"])]["value"] == "1:1"
    assert updates[field_param(schnell, fields["num_inference_steps"])]["value"] == 4
    assert updates[field_param(schnell, fields["go_fast"])]["value"] is False
    assert "Aspect ratio" in updates["settings_note"]


def test_nothing_dropped_changes_nothing(form):
    assert settings_from_image(form, None) == {}


def _with(tmp_path: Path, document: dict) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, "PNG")
    path = tmp_path / "edited.png"
    path.write_bytes(with_settings(buffer.getvalue(), document))
    return path
