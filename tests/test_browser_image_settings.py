"""Load settings from an image, in a real browser: the image a run saved fills the form again.

Debian's Chromium through Playwright (see tests/browser_support.py); skips without them.
"""

from __future__ import annotations

import re

import pytest
from PIL import Image

from comet.metadata import read_settings
from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import (
    TIMEOUT_MS,
    VIEWPORT,
    choose_option,
    open_app,
    wait_for_gallery,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

DEV = "black-forest-labs/flux-dev"
SCHNELL = "black-forest-labs/flux-schnell"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def _pick(page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def _drop(page, path) -> None:
    panel = page.locator("#settings-image-panel")
    if not panel.locator("#settings-image").is_visible():
        page.get_by_role("button", name="Load settings from an image").click()
    page.locator("#settings-image input[type=file]").set_input_files(str(path))


def test_dropping_a_saved_image_restores_its_run_and_a_plain_image_says_why_not(
    launch_app, page, tmp_path
):
    expect = _expect()
    outputs = tmp_path / "outputs"
    prompt = page.get_by_label("Prompt", exact=True)
    seed = page.locator("#seed input")
    randomize = page.locator("#randomize-seed input")
    aspect = page.locator("#flux_dev__aspect_ratio input")
    note = page.locator("#settings-image-note")
    with Simulator(time_scale=0.0, image_size=128) as sim:
        _, url = launch_app(AppSettings(output_dir=outputs), demo_base_url=sim.base_url)
        open_app(page, url)

        # A run on flux-dev with a seed of our own and a non-default aspect ratio...
        choose_option(page, "Model", DEV)
        _pick(page, "flux_dev__aspect_ratio", "3:2")
        page.get_by_role("button", name="Advanced").click()
        randomize.uncheck()
        seed.fill("4242")
        seed.press("Tab")
        prompt.fill("a red kite over the dunes")
        page.get_by_role("button", name="Generate", exact=True).click()
        expect(page.locator("#status")).to_contain_text("Succeeded")
        wait_for_gallery(page)
        [saved] = outputs.glob("*.webp")
        assert read_settings(saved)["input"]["aspect_ratio"] == "3:2"

        # ...then the form is changed to something else entirely...
        choose_option(page, "Model", SCHNELL)
        prompt.fill("something else")
        seed.fill("1")
        randomize.check()
        expect(page.locator("#fields-flux_dev")).to_be_hidden()

        # ...and dropping the saved image brings all of it back.
        _drop(page, saved)
        expect(note).to_contain_text("Loaded the settings of")
        expect(note).to_contain_text("seed 4242")
        expect(page.get_by_label("Model", exact=True)).to_have_value(re.compile("flux-dev"))
        expect(prompt).to_have_value("a red kite over the dunes")
        expect(seed).to_have_value("4242")
        expect(randomize).not_to_be_checked()
        expect(page.locator("#fields-flux_dev")).to_be_visible()
        expect(aspect).to_have_value("3:2")
        expect(page.locator("#model-info")).to_contain_text("[dev]")
        # the drop zone is empty again, ready for the next image
        expect(page.locator("#settings-image input[type=file]")).to_have_count(1)

        # An image that was not saved by the app: a clear message, and the form stays.
        plain = tmp_path / "holiday.png"
        Image.new("RGB", (64, 48), (200, 120, 30)).save(plain)
        _drop(page, plain)
        expect(note).to_contain_text("This image holds no settings from this app")
        expect(prompt).to_have_value("a red kite over the dunes")

        # Not an image at all: said in place too, never in a toast.
        notes = tmp_path / "notes.txt"
        notes.write_text("a shopping list")
        _drop(page, notes)
        expect(note).to_contain_text("That file is not a PNG, JPEG or WebP image")
        expect(prompt).to_have_value("a red kite over the dunes")
        assert page.locator(".toast-body").count() == 0
