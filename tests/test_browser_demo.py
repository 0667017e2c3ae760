"""A demo that holds up in a real browser (desktop and phone), in Debian's Chromium.

Every model with Advanced open, whole (uncropped) results, the status in view on a phone,
examples that show a result, bad values that get a message naming the field, and a key typed
and used straight away. No Gradio toast and no "Error" badge may appear anywhere.
"""

from __future__ import annotations

import pytest

from comet.models import MODELS
from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import (
    FAST_POLLS,
    TIMEOUT_MS,
    VIEWPORT,
    launch_chromium,
    open_app,
    require_browser,
)
from tests.support import wait_for
from webui.generate_tab import EXAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PHONE = {"width": 390, "height": 844}
# The newest gallery image, once loaded and not the "Generating…" placeholder: its sizes.
RESULT_JS = """() => {
    const images = [...document.querySelectorAll("#gallery img")];
    const done = images.filter((img) => img.alt !== "Generating…");
    if (!done.length || !done.every((img) => img.complete && img.naturalWidth > 0)) return null;
    const img = done[0];
    const box = img.getBoundingClientRect();
    return {
        natural: [img.naturalWidth, img.naturalHeight],
        shown: [box.width, box.height],
        fit: getComputedStyle(img).objectFit,
    };
}"""
# The gallery shows this prediction's saved image (its file is named after the id).
SHOWS_JS = """(id) => [...document.querySelectorAll("#gallery img")].some(
    (img) => img.src.includes(id) && img.complete && img.naturalWidth > 0)"""
STATUS_IN_VIEW_JS = """() => {
    const box = document.getElementById("status").getBoundingClientRect();
    return box.top >= 0 && box.top < window.innerHeight;
}"""


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    contexts = []

    def make(url: str, viewport: dict = VIEWPORT):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        open_app(page, url)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def sim():
    with Simulator(time_scale=0.05, image_size=160) as simulator:
        yield simulator


def _expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def _succeeded(page, count: int) -> None:
    """Wait for the status to report the count-th success of this page."""
    expect = _expect()
    expect(page.locator("#status")).to_contain_text("Succeeded")
    page.wait_for_function(RESULT_JS, timeout=TIMEOUT_MS)
    assert page.locator("#status").inner_text().count("Succeeded") == 1, count


def _no_error_anywhere(page) -> None:
    assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
    assert page.get_by_text("Error", exact=True).count() == 0


# Two halves of the catalogue: each half is one page (a page load costs more than a run), and
# the halves run side by side under pytest-xdist.
HALVES = [list(MODELS)[: len(MODELS) // 2], list(MODELS)[len(MODELS) // 2 :]]


@pytest.mark.parametrize("models", HALVES, ids=["first-half", "second-half"])
def test_every_model_with_advanced_open_generates_with_its_defaults(
    launch_app, sim, open_page, tmp_path, models
):
    expect = _expect()
    _, url = launch_app(
        AppSettings(output_dir=tmp_path / "out", poll_interval=FAST_POLLS),
        demo_base_url=sim.base_url,
    )
    page = open_page(url)
    page.get_by_role("button", name="Advanced").click()
    page.get_by_label("Prompt", exact=True).fill("a lighthouse")
    for n, model_id in enumerate(models, start=1):
        spec = MODELS[model_id]
        page.get_by_label("Model", exact=True).click()
        page.get_by_role("option", name=f"{spec.display_name} · {model_id}", exact=True).click()
        expect(page.locator("#model-info")).to_contain_text(spec.display_name)
        page.get_by_role("button", name="Generate", exact=True).click()
        prediction_id = wait_for(
            lambda n=n: len(sim.predictions) == n and list(sim.predictions)[-1], f"run {n}"
        )
        page.wait_for_function(SHOWS_JS, arg=prediction_id, timeout=TIMEOUT_MS)
        expect(page.locator("#status")).to_contain_text("Succeeded")
        create = [r for r in sim.received if r.method == "POST"][-1]
        assert model_id in create.path and create.json["input"]["prompt"] == "a lighthouse"
        _no_error_anywhere(page)


def test_a_wide_result_is_shown_whole_not_cropped(launch_app, sim, open_page, tmp_path):
    _, url = launch_app(
        AppSettings(output_dir=tmp_path / "out", poll_interval=FAST_POLLS),
        demo_base_url=sim.base_url,
    )
    page = open_page(url)
    page.locator("#top-flux_schnell").get_by_label("Aspect ratio").click()
    page.get_by_role("option", name="16:9", exact=True).click()
    page.get_by_label("Prompt", exact=True).fill("a wide panorama")
    page.get_by_role("button", name="Generate", exact=True).click()
    result = page.wait_for_function(RESULT_JS, timeout=TIMEOUT_MS).json_value()
    width, height = result["natural"]
    assert width / height == pytest.approx(16 / 9, rel=0.03)
    shown_width, shown_height = result["shown"]
    assert shown_width / shown_height == pytest.approx(16 / 9, rel=0.03)  # whole, not a square
    assert result["fit"] == "contain"
    assert shown_width > 500  # one result is shown large
    _no_error_anywhere(page)


def test_on_a_phone_the_status_comes_into_view_after_generate(launch_app, sim, open_page, tmp_path):
    _, url = launch_app(
        AppSettings(output_dir=tmp_path / "out", poll_interval=FAST_POLLS),
        demo_base_url=sim.base_url,
    )
    page = open_page(url, PHONE)
    # Below the fold before the run, once the form has its full height (a loaded machine
    # may still be laying it out when the page first answers).
    page.wait_for_function(f"() => !({STATUS_IN_VIEW_JS})()", timeout=TIMEOUT_MS)
    page.get_by_label("Prompt", exact=True).fill("a paper boat")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function(STATUS_IN_VIEW_JS, timeout=TIMEOUT_MS)
    _expect()(page.locator("#status")).to_contain_text("Succeeded")
    _no_error_anywhere(page)


def test_an_example_sets_prompt_and_model_and_shows_a_result_in_demo_mode(
    launch_app, sim, open_page, tmp_path
):
    expect = _expect()
    _, url = launch_app(
        AppSettings(output_dir=tmp_path / "out", poll_interval=FAST_POLLS),
        demo_base_url=sim.base_url,
    )
    page = open_page(url)
    prompt, model_id = EXAMPLES[1]
    page.get_by_text(prompt[:30]).first.click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(prompt)
    expect(page.locator("#model-info")).to_contain_text(MODELS[model_id].display_name)
    expect(page.locator("#fields-flux_dev")).to_be_attached()
    expect(page.locator("#status")).to_contain_text("Succeeded")
    page.wait_for_function(RESULT_JS, timeout=TIMEOUT_MS)
    [create] = [r for r in sim.received if r.method == "POST"]
    assert model_id in create.path and create.json["input"]["prompt"] == prompt
    _no_error_anywhere(page)


def test_a_huge_seed_gets_a_message_naming_the_field_and_the_next_run_works(
    launch_app, sim, open_page, tmp_path
):
    expect = _expect()
    _, url = launch_app(
        AppSettings(output_dir=tmp_path / "out", poll_interval=FAST_POLLS),
        demo_base_url=sim.base_url,
    )
    page = open_page(url)
    page.get_by_role("button", name="Advanced").click()
    page.get_by_label("Randomize seed").uncheck()
    seed = page.locator("#seed input")
    seed.fill("18446744073709551615")
    page.get_by_label("Prompt", exact=True).fill("a lighthouse")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#status")).to_contain_text('"seed" must be between')
    assert sim.received == []
    _no_error_anywhere(page)
    seed.fill("42")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#status")).to_contain_text("seed 42")
    assert sim.created_inputs()[-1]["seed"] == 42
    _no_error_anywhere(page)


def test_a_key_typed_and_generate_pressed_straight_away_is_used(
    launch_app, sim, open_page, tmp_path
):
    with Simulator(time_scale=0.0, image_size=64) as cometapi:  # stands in for CometAPI
        settings = AppSettings(output_dir=tmp_path / "out", base_url=cometapi.base_url)
        _, url = launch_app(settings, demo_base_url=sim.base_url)
        page = open_page(url)
        page.get_by_role("button", name="API key").click()
        page.get_by_label("API key", exact=True).fill("sk-typed-not-submitted-99")
        page.get_by_label("Prompt", exact=True).fill("with my own key")
        page.get_by_role("button", name="Generate", exact=True).click()
        _expect()(page.locator("#status")).to_contain_text("Succeeded")
        [create] = [r for r in cometapi.received if r.method == "POST"]
        assert create.headers["Authorization"] == "Bearer sk-typed-not-submitted-99"
        assert sim.received == []  # not the demo
        assert "sk-typed-not-submitted-99" not in page.content()


def test_in_shared_mode_a_visitors_history_survives_a_reload(launch_app, sim, open_page, tmp_path):
    expect = _expect()
    settings = AppSettings(output_dir=tmp_path / "out", shared=True)
    _, url = launch_app(settings, demo_base_url=sim.base_url)
    page = open_page(url)
    page.get_by_label("Prompt", exact=True).fill("remember me")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Succeeded")
    [prediction_id] = sim.predictions
    page.reload()
    page.get_by_role("tab", name="History").click()
    expect(page.locator("#history-summary")).to_contain_text("1")
    page.locator("#history-gallery").get_by_text("remember me").first.click()
    expect(page.locator("#history-detail")).to_contain_text(prediction_id)
    # another browser (its own storage) sees nothing of it
    other = open_page(url)
    other.get_by_role("tab", name="History").click()
    expect(other.locator("#history-summary")).to_contain_text("No predictions yet")
    _no_error_anywhere(page)
