"""A link that reopens a result (?prediction=ID), and Copy as code, in a real browser.

Each test launches its own app against its own simulator; separate browser contexts are
separate visitors (their own localStorage, so their own visitor id on a shared app).
"""

from __future__ import annotations

import re

import pytest

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import (
    TIMEOUT_MS,
    open_app,
    wait_for_gallery,
)
from tests.support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

NOT_YOURS = "in your History"


@pytest.fixture
def sim():
    with Simulator(time_scale=0, image_size=128) as simulator:
        yield simulator


def _expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def _history_tab(page):
    return page.get_by_role("tab", name="History")


def _generate_in_page(page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    _expect()(page.locator("#status")).to_contain_text("Succeeded")


def test_a_prediction_link_opens_its_details_on_the_history_tab(
    launch_app, sim, new_context, tmp_path
):
    expect = _expect()
    app, url = launch_app(
        AppSettings(output_dir=tmp_path / "outputs", poll_interval=0.02),
        demo_base_url=sim.base_url,
    )
    page = new_context().new_page()
    open_app(page, url)
    _generate_in_page(page, "a linked lighthouse")
    [prediction_id] = sim.predictions

    page.goto(f"{url}?prediction={prediction_id}")
    expect(_history_tab(page)).to_have_attribute("aria-selected", "true")
    details = page.locator("#history-detail")
    expect(details).to_contain_text(prediction_id)
    expect(details).to_contain_text("succeeded")
    expect(details).to_contain_text(f"?prediction={prediction_id}")
    wait_for_gallery(page, "#history-images img")
    page.get_by_role("button", name="Input").click()
    expect(page.get_by_text("a linked lighthouse").first).to_be_visible()

    # The details' own link reopens it, wherever the visitor is in the page.
    page.goto(url)
    _history_tab(page).click()
    page.locator("#history-gallery button.thumbnail-item").first.click()
    link = page.locator("#history-detail a", has_text=f"?prediction={prediction_id}")
    expect(link).to_have_attribute("href", f"?prediction={prediction_id}")

    page.goto(f"{url}?prediction=doesnotexist123")
    expect(_history_tab(page)).to_have_attribute("aria-selected", "true")
    expect(details).to_contain_text(f"No prediction doesnotexist123 {NOT_YOURS}")


def test_on_a_shared_app_a_link_opens_only_for_the_visitor_who_made_it(
    launch_app, sim, new_context, tmp_path
):
    expect = _expect()
    _, url = launch_app(
        AppSettings(output_dir=tmp_path / "outputs", shared=True, poll_interval=0.02),
        demo_base_url=sim.base_url,
    )
    maker = new_context()
    page = maker.new_page()
    open_app(page, url)
    _generate_in_page(page, "made by the first visitor")
    [prediction_id] = sim.predictions
    link = f"{url}?prediction={prediction_id}"

    # The same browser (another tab, later) opens it: it is this visitor's own.
    again = maker.new_page()
    again.goto(link)
    expect(again.locator("#history-detail")).to_contain_text("succeeded")
    expect(again.locator("#history-detail")).to_contain_text(prediction_id)

    # Another visitor with the same link is told what an unknown id is told, and sees nothing.
    stranger = new_context().new_page()
    stranger.goto(link)
    expect(_history_tab(stranger)).to_have_attribute("aria-selected", "true")
    refused = stranger.locator("#history-detail")
    expect(refused).to_contain_text("No prediction")
    expect(refused).to_contain_text(NOT_YOURS)
    expect(stranger.get_by_text("No predictions yet.")).to_be_visible()
    refused_text = refused.inner_text()
    assert "succeeded" not in refused_text
    assert "made by the first visitor" not in stranger.content()
    assert stranger.locator("#history-images img").count() == 0

    stranger.goto(f"{url}?prediction=q4chw5rey9rmt0cww76t4h3ma4")
    expect(refused).to_contain_text("q4chw5rey9rmt0cww76t4h3ma4")
    unknown_text = refused.inner_text()
    assert unknown_text.replace("q4chw5rey9rmt0cww76t4h3ma4", prediction_id) == refused_text
    assert stranger.locator(".toast-body").count() == 0  # a message in the panel, not a toast


def test_the_request_preview_offers_the_command_line_and_python_to_copy(
    launch_app, sim, new_context, tmp_path
):
    expect = _expect()
    _, url = launch_app(AppSettings(output_dir=tmp_path / "outputs"), demo_base_url=sim.base_url)
    page = new_context().new_page()
    open_app(page, url)
    page.get_by_label("Prompt", exact=True).fill('a "quoted" café')
    page.get_by_role("button", name="Request preview").click()
    cli = page.locator("#preview-cli")
    python = page.locator("#preview-python")
    expect(cli).to_contain_text("python -m comet generate")
    expect(cli).to_contain_text("'a \"quoted\" café'")
    expect(python).to_contain_text("CometClient.from_env()")
    for block in (cli, python):
        expect(block.get_by_role("button", name=re.compile("copy", re.I))).to_be_visible()
    wait_for(lambda: "café" in python.inner_text(), "the snippet to follow the prompt")
