"""Load settings from an image (webui/image_settings.py): an image the app saved fills the form
again exactly as History's "Use these settings" does; anything else gets a clear note.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from comet.metadata import with_settings
from comet.simulator import Simulator
from tests.page_support import DEV, KONTEXT, SCHNELL, open_page, visitor
from webui.builder import settings_from_history
from webui.form import ModelForm
from webui.image_settings import NO_SETTINGS, NOT_AN_IMAGE, settings_from_image


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with (
        Simulator(time_scale=0.0, image_size=64) as sim,
        open_page(tmp_path_factory.mktemp("image-settings"), sim) as opened,
    ):
        yield opened


@pytest.fixture(scope="module")
def form():
    """The model form on its own (not laid out): what the drop zone restores into."""
    return ModelForm()


def saved_by_the_app(tmp_path: Path, document: dict) -> Path:
    """A PNG holding `document` as its settings, as the app writes them (edited, say)."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, "PNG")
    path = tmp_path / "edited.png"
    path.write_bytes(with_settings(buffer.getvalue(), document))
    return path


def as_sent(updates: dict) -> str:
    """The updates as Gradio sends them to the page (labels are translation keys there)."""
    return json.dumps(updates, default=str, sort_keys=True)


def test_an_image_saved_by_the_app_restores_exactly_what_use_these_settings_restores(page):
    final = page.run(
        "a lantern festival",
        DEV,
        seed=777,
        randomize_seed=False,
        aspect_ratio="3:2",
        num_inference_steps=12,
        go_fast=False,
    )[-1]
    path, prediction_id = final["gallery"][0], final["run_state"]["id"]

    from_image = settings_from_image(page.form, path)
    from_history = settings_from_history(page.history, page.form, prediction_id, visitor())

    assert from_image.pop("settings_image") is None  # the drop zone is ready for the next one
    assert from_image.pop("settings_note") == (
        f"Loaded the settings of **{Path(path).name}**: FLUX.1 [dev], seed 777 "
        f"(prediction `{prediction_id}`)."
    )
    from_history.pop("tabs")
    assert as_sent(from_image) == as_sent(from_history)
    assert (from_image["prompt"], from_image["seed"]) == ("a lantern festival", 777)
    assert from_image["model"]["value"] == DEV and from_image["randomize_seed"] is False
    restored = {n: from_image[n]["value"] for n in ("aspect_ratio", "num_inference_steps")}
    assert restored == {"aspect_ratio": "3:2", "num_inference_steps": 12}
    assert from_image["go_fast"]["value"] is False


def test_an_uploaded_input_image_is_named_as_gone_and_not_restored(form, tmp_path):
    document = {
        "model": KONTEXT,
        "input": {"prompt": "make it blue", "input_image": "data:image/png;base64,… (9 bytes)"},
    }
    updates = settings_from_image(form, str(saved_by_the_app(tmp_path, document)))
    assert updates["upload"]["value"] is None and updates["image_urls"]["value"] == ""
    assert updates["settings_note"].endswith(
        "The input image was an upload, which the file does not hold: add it again."
    )


def test_a_file_that_is_not_an_image_gets_a_clear_message(form, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("just some notes")
    updates = settings_from_image(form, str(text))
    assert updates == {"settings_image": None, "settings_note": NOT_AN_IMAGE}
    assert NOT_AN_IMAGE.startswith("**That file is not a PNG, JPEG or WebP image**")


def test_an_image_without_settings_gets_a_clear_message(form, tmp_path):
    plain = tmp_path / "photo.jpg"
    Image.new("RGB", (20, 20), "navy").save(plain)
    updates = settings_from_image(form, str(plain))
    assert updates == {"settings_image": None, "settings_note": NO_SETTINGS}
    assert NO_SETTINGS.startswith("**This image holds no settings from this app.**")


def test_a_model_this_app_does_not_offer_changes_nothing(form, tmp_path):
    path = saved_by_the_app(tmp_path, {"model": "someone/else", "input": {"prompt": "x"}})
    assert settings_from_image(form, str(path)) == {
        "settings_image": None,
        "settings_note": "**edited.png** was made with `someone/else`, which this app does not "
        "offer, so nothing was changed.",
    }


def test_edited_values_the_form_cannot_take_are_left_at_their_defaults_and_named(form, tmp_path):
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
    updates = settings_from_image(form, str(saved_by_the_app(tmp_path, document)))
    assert updates["prompt"] == "edited" and "seed" not in updates
    assert updates["aspect_ratio"]["value"] == "1:1"
    assert updates["num_inference_steps"]["value"] == 4
    assert updates["go_fast"]["value"] is False  # valid: kept
    assert updates["settings_note"].endswith(
        "Left at their defaults (not valid here): Aspect ratio, Steps."
    )


def test_nothing_dropped_changes_nothing(form):
    assert settings_from_image(form, None) == {}
