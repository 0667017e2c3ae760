"""A click is answered on the page itself (issue 11): "Submitting…" and Stop need no server.

The page's queue joins are held back by the browser (Playwright routes them and lets them go
later), so whatever the page shows before they are released, it showed on its own.
"""

from __future__ import annotations

import pytest

from comet.settings import AppSettings
from tests.browser_support import FAST_POLLS, TIMEOUT_MS, wait_for_gallery
from tests.support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

QUEUE_JOIN = "**/gradio_api/queue/join*"


def _expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def _creates(sim) -> list:
    return [r for r in sim.received if r.method == "POST" and r.path.endswith("/predictions")]


@pytest.mark.parametrize(
    ("locale", "submitting", "succeeded"),
    [("en-US", "Submitting…", "Succeeded"), ("vi-VN", "Đang gửi…", "Thành công")],
)
def test_the_click_shows_submitting_and_enables_stop_before_the_server_hears_of_it(
    launch_app, simulator, new_context, tmp_path, locale, submitting, succeeded
):
    expect = _expect()
    _, url = launch_app(
        AppSettings(output_dir=tmp_path / "outputs", poll_interval=FAST_POLLS),
        demo_base_url=simulator.base_url,
    )
    page = new_context(locale=locale).new_page()
    page.goto(url)
    page.locator("#prompt textarea").fill("a lighthouse in fog")
    status, stop = page.locator("#status"), page.locator("#stop-button")
    expect(stop).to_be_disabled()

    held, holding = [], [True]

    def hold(route) -> None:
        held.append(route) if holding[0] else route.continue_()

    page.route(QUEUE_JOIN, hold)
    page.locator("#generate-button").click()

    expect(status).to_contain_text(submitting)
    expect(stop).to_be_enabled()
    # page.evaluate lets Playwright deliver the held requests to the route handler
    wait_for(
        lambda: page.evaluate("true") and any("queue/join" in r.request.url for r in held),
        "the run's queue join to be held",
        timeout=TIMEOUT_MS / 1000,
    )
    assert not _creates(simulator)  # the run has not reached the server: the page did this

    holding[0] = False
    for route in held:
        route.continue_()
    expect(status).to_contain_text(succeeded)
    wait_for_gallery(page)
    expect(stop).to_be_disabled()
    expect(page.locator("#seed-used")).to_be_visible()
    assert len(_creates(simulator)) == 1
