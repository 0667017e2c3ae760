"""What only a browser shows, in Debian's Chromium: the page's own JavaScript, the reshaping
form as a person uses it, whole images, the phone view, the drop zone, Stop, History.

One demo app (no key: the built-in simulator, fast runs) serves the module; each test opens
its own page. No Gradio toast and no "Error" badge may appear anywhere.
"""

from __future__ import annotations

import re
import time

import pytest
from PIL import Image

from comet.models import MODELS, get_model
from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import (
    TIMEOUT_MS,
    open_app,
    result_sources,
    wait_for_gallery,
)
from tests.support import free_port, wait_for
from webui.form import form_fields
from webui.texts import TABLE

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PHONE = {"width": 390, "height": 844}
SLOW = "black-forest-labs/flux-1.1-pro-ultra"  # models whose runs take long here (Stop)
SLOW_TOO = "black-forest-labs/flux-kontext-max"
# The first result's sizes once a wide one has loaded (not the "Generating…" placeholder).
WIDE_RESULT_JS = """() => {
    const done = [...document.querySelectorAll("#gallery img")]
        .filter((img) => img.alt !== "Generating…");
    if (!done.length || !done.every((img) => img.complete && img.naturalWidth > 0)) return null;
    if (done[0].naturalWidth <= done[0].naturalHeight) return null;  // not the 16:9 run yet
    const box = done[0].getBoundingClientRect();
    return {natural: [done[0].naturalWidth, done[0].naturalHeight], shown: [box.width, box.height]};
}"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The URL of a demo app whose runs take 0.3 s (SLOW and SLOW_TOO: 6 s), and the app.

    No limit of runs at once: a stopped run's follower holds its slot until the run ends.
    """
    from webui import build_app

    durations = {name: (0.3, 0.3) for name in MODELS} | {SLOW: (6.0, 6.0), SLOW_TOO: (6.0, 6.0)}
    with Simulator(time_scale=1.0, image_size=192, durations=durations) as sim:
        settings = AppSettings(
            output_dir=tmp_path_factory.mktemp("demo"),
            poll_interval=0.05,
            max_concurrent_per_visitor=0,
        )
        app = build_app(settings, demo_base_url=sim.base_url)
        port = free_port()
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
        try:
            yield f"http://127.0.0.1:{port}/", app
        finally:
            app.close()


@pytest.fixture(scope="module")
def context(browser):
    """One browser context for the module's pages: Gradio's scripts are fetched once."""
    from tests.browser_support import VIEWPORT, quiet_context

    shared = quiet_context(browser.new_context(viewport=VIEWPORT))
    yield shared
    shared.close()


@pytest.fixture
def page(demo, context):
    opened = context.new_page()
    open_app(opened, demo[0])
    yield opened
    assert_no_error_anywhere(opened)
    opened.close()


def expect():
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=TIMEOUT_MS)
    return playwright_expect


def assert_no_error_anywhere(page) -> None:
    toasts = page.locator(".toast-body").all_inner_texts()
    assert toasts == [], toasts
    assert page.get_by_text("Error", exact=True).count() == 0


def choose_model(page, model: str) -> None:
    spec = get_model(model)
    page.locator("#model input").click()
    page.get_by_role("option", name=f"{spec.display_name} · {spec.id}", exact=True).click()
    expect()(page.locator("#model-info")).to_contain_text(spec.display_name)


def shown_fields(page) -> set[str]:
    return set(
        page.locator("[id^=field-]:visible").evaluate_all(
            "els => els.map(e => e.id.slice('field-'.length))"
        )
    )


def generate(page, prompt: str = "a paper boat") -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()


# One model of each shape (the handlers' tests go through all ten): steps and guidance, an
# image input, other ranges and choices, and several images at once.
# In this order: FLUX.1 [dev]'s 28 steps stay in the hidden slider through Kontext (whose
# image input is cleared on the way out) until [schnell] shows it with a range of 1-4.
SHAPES = [
    "black-forest-labs/flux-dev",
    "black-forest-labs/flux-kontext-pro",
    "black-forest-labs/flux-schnell",
    "black-forest-labs/flux-1.1-pro-ultra",
    "black-forest-labs/flux-2-pro",
]


def test_each_shape_of_model_reshapes_the_form_and_the_preview_keeping_what_was_set(page):
    page.get_by_role("button", name="Advanced").click()
    page.get_by_text("Request preview").click()
    cli = page.locator("#preview-cli")
    for model in SHAPES:
        spec = get_model(model)
        choose_model(page, model)
        expect()(cli).to_contain_text(f"--model {spec.name}")  # followed, with no toast
        wanted = {f.name for f in form_fields(spec)}
        page.wait_for_function(
            "(n) => document.querySelectorAll('[id^=field-]').length && "
            "[...document.querySelectorAll('[id^=field-]')].filter(e => e.offsetParent)"
            ".length === n",
            arg=len(wanted),
        )
        assert shown_fields(page) == wanted, model
        assert page.locator("#image-inputs").is_visible() == bool(spec.image_field)
        assert_no_error_anywhere(page)
    # Set a value on FLUX.1 [dev], go elsewhere and back: it is still there.
    choose_model(page, "black-forest-labs/flux-dev")
    guidance = page.locator("#field-guidance input[type=number]")
    guidance.fill("7.5")
    guidance.press("Enter")
    choose_model(page, "black-forest-labs/flux-1.1-pro")
    expect()(page.locator("#field-guidance")).to_be_hidden()
    choose_model(page, "black-forest-labs/flux-dev")
    expect()(guidance).to_have_value("7.5")
    # The request preview follows the form, with the command line and Python to copy.
    page.get_by_label("Prompt", exact=True).fill("a copied boat")
    expect()(cli).to_contain_text("python -m comet generate 'a copied boat'")
    expect()(cli).to_contain_text("guidance=7.5")
    expect()(page.locator("#preview-python")).to_contain_text("CometClient.from_env()")
    assert page.locator("#preview-cli button").count() > 0  # Gradio's copy button
    # An English browser gets the page in English: its title, and no Vietnamese anywhere.
    assert page.title() == "FLUX through CometAPI"
    shown = {line.strip() for line in page.locator("body").inner_text().splitlines()}
    assert [vi for en, vi in TABLE.values() if vi != en and vi in shown] == []


def test_an_upload_in_the_image_input_is_sent_with_the_run(page, tmp_path, demo):
    picture = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture)
    choose_model(page, "black-forest-labs/flux-kontext-pro")
    page.locator("#image-inputs").get_by_text("Input image").first.click()
    page.locator("#image-upload input[type=file]").set_input_files(str(picture))
    expect()(page.locator("#image-upload")).to_contain_text(re.compile(r"photo\s*\.png"))
    generate(page, "make it blue")
    expect()(page.locator("#status")).to_contain_text("Succeeded")
    entry = demo[1].services.history.list(limit=1)[0]
    assert entry.input["input_image"].startswith("data:image/png;base64,")


def test_on_a_phone_the_page_fits_a_bad_value_is_named_and_the_status_comes_into_view(
    demo, context
):
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    open_app(phone, demo[0])
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("button", name="Advanced").click()
    phone.locator("#randomize-seed input").uncheck()
    phone.locator("#seed input").fill("99999999999999999999")
    generate(phone)
    expect()(phone.locator("#status")).to_contain_text('"seed"')  # named, before anything is sent
    phone.locator("#seed input").fill("42")
    generate(phone)
    phone.wait_for_function(
        "() => { const b = document.getElementById('status').getBoundingClientRect();"
        " return b.top >= 0 && b.top < innerHeight; }"
    )
    expect()(phone.locator("#status")).to_contain_text("seed 42")
    assert_no_error_anywhere(phone)
    phone.close()


def test_the_click_says_submitting_at_once_and_stop_says_which_prediction_goes_on(page, demo):
    choose_model(page, SLOW)
    # The page's own JavaScript answers the click before any server round trip.
    held, holding = [], [True]

    def hold(route) -> None:  # every join while holding (other events of the page join too)
        if holding:
            held.append(route)
        else:
            route.continue_()

    page.route("**/gradio_api/queue/join*", hold)
    generate(page, "a long one")
    expect()(page.locator("#status")).to_contain_text("Submitting…")
    expect()(page.locator("#stop-button")).to_be_enabled()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held:  # Playwright hands the request to the route handler while it waits
        assert time.monotonic() < deadline, "the run's request never reached the route"
        page.wait_for_timeout(20)
    holding.clear()
    for route in held:
        route.continue_()
    page.unroute("**/gradio_api/queue/join*")
    expect()(page.locator("#status")).to_contain_text("prediction")
    page.get_by_role("button", name="Stop").click()
    expect()(page.locator("#status")).to_contain_text("Stopped waiting")
    prediction_id = re.search(r"`?(\w{20,})`?", page.locator("#status").inner_text())[1]
    history = demo[1].services.history
    wait_for(lambda: history.get(prediction_id).files, "the stopped run's images in History")
    expect()(page.locator("#stop-button")).to_be_disabled()


def test_stop_in_compare_stops_every_column_and_history_still_gets_the_images(page, demo):
    page.get_by_role("tab", name="Compare").click()
    page.get_by_label("Prompt for every model").fill("stopped in the page")
    for model in (SLOW, SLOW_TOO):
        page.get_by_label(get_model(model).display_name, exact=True).check()
    page.get_by_role("button", name="Compare", exact=True).click()
    for i in range(2):
        expect()(page.locator(f"#compare-note-{i}")).to_contain_text("prediction")
    page.locator("#compare-stop").click()
    expect()(page.locator("#compare-status")).to_contain_text("Stopped.")
    for i in range(2):
        expect()(page.locator(f"#compare-note-{i}")).to_contain_text("Stopped waiting")
    expect()(page.locator("#compare-stop")).to_be_disabled()
    history = demo[1].services.history

    def stopped_runs_saved():
        found = [e for e in history.list() if e.prompt == "stopped in the page"]
        return len(found) == 2 and all(e.files for e in found) and found

    entries = wait_for(stopped_runs_saved, "both stopped runs saved by their background followers")
    assert sorted(e.model for e in entries) == sorted([SLOW, SLOW_TOO])
    assert all(e.status == "succeeded" for e in entries)


def test_an_example_shows_its_result_and_a_run_shows_its_image_whole_and_its_seed(page):
    page.get_by_text("A cozy reading nook").click()
    expect()(page.locator("#model-info")).to_contain_text("FLUX.1 [dev]")
    expect()(page.locator("#status")).to_contain_text("Succeeded")
    wait_for_gallery(page)
    example_status = page.locator("#status").inner_text()
    # A wide run after it: the whole image (not cropped to a square), and the seed it used.
    page.locator("#field-aspect_ratio input").click()
    page.get_by_role("option", name="16:9", exact=True).click()
    generate(page, "a wide harbour")
    result = page.wait_for_function(WIDE_RESULT_JS, timeout=TIMEOUT_MS).json_value()
    natural, shown = result["natural"], result["shown"]  # the simulator drew 16:9
    expect()(page.locator("#status")).not_to_have_text(example_status)
    expect()(page.locator("#status")).to_contain_text("Succeeded")
    assert abs(shown[0] / shown[1] - natural[0] / natural[1]) < 0.05  # not cropped to a square
    seed = re.search(r"seed (\d+)", page.locator("#status").inner_text())[1]
    expect()(page.locator("#seed-used input")).to_have_value(seed)


def test_dropping_a_saved_image_restores_its_run_and_a_plain_image_says_why(page, demo, tmp_path):
    choose_model(page, "black-forest-labs/flux-schnell")
    generate(page, "a lighthouse at dusk")
    expect()(page.locator("#status")).to_contain_text("Succeeded")
    saved = demo[1].services.history.list(limit=1)[0].files[0]
    # The image brings its model back, from a form holding a value past [schnell]'s range.
    choose_model(page, "black-forest-labs/flux-dev")
    page.get_by_role("button", name="Advanced").click()
    steps = page.locator("#field-num_inference_steps input[type=number]")
    steps.fill("50")
    steps.press("Enter")
    page.get_by_label("Prompt", exact=True).fill("")
    page.get_by_text("Load settings from an image").click()
    page.locator("#settings-image input[type=file]").set_input_files(saved)
    expect()(page.locator("#settings-image-note")).to_contain_text("FLUX.1 [schnell]")
    expect()(page.get_by_label("Prompt", exact=True)).to_have_value("a lighthouse at dusk")
    expect()(page.locator("#model-info")).to_contain_text("FLUX.1 [schnell]")
    expect()(steps).to_have_value("4")
    assert_no_error_anywhere(page)
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    page.locator("#settings-image input[type=file]").set_input_files(str(plain))
    expect()(page.locator("#settings-image-note")).to_contain_text("no settings")


def test_history_shows_a_run_fills_the_form_from_it_and_a_link_reopens_it(page, demo):
    choose_model(page, "black-forest-labs/flux-1.1-pro")
    generate(page, "a tiny city")
    expect()(page.locator("#status")).to_contain_text("Succeeded")
    page.get_by_role("tab", name="History").click()
    page.locator("#history-gallery img").first.click()
    expect()(page.locator("#history-detail")).to_contain_text("flux-1.1-pro")
    page.get_by_role("button", name="Use these settings").click()
    expect()(page.get_by_label("Prompt", exact=True)).to_have_value("a tiny city")
    expect()(page.locator("#model-info")).to_contain_text("FLUX1.1 [pro]")
    entry = demo[1].services.history.list(limit=1)[0]
    page.goto(f"{demo[0]}?prediction={entry.id}")
    expect()(page.locator("#history-detail")).to_contain_text(entry.id)
    wait_for_gallery(page, "#history-images img")
    assert result_sources(page, "#history-images img")
