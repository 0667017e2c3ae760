"""A click is answered on the page itself (issue 11): "Submitting…" and Stop need no server.

The page's queue joins (or its event stream) are held back by the browser (Playwright routes
them and lets them go later), so whatever the page shows before they are released, it showed
on its own.
"""

from __future__ import annotations

import pytest

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import FAST_POLLS, TIMEOUT_MS, wait_for_gallery
from tests.support import FakeClock, wait_for

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


def test_stop_of_a_run_still_in_the_queue_says_nothing_more_was_sent(
    launch_app, new_context, tmp_path
):
    """Runs queue behind another visitor's (one at a time here). The page shows its own
    "Submitting…" over its finished run's state, and Stop takes the new run out of the queue:
    Stop says nothing more was sent and names the finished run, and leaves no error badge.
    (Before, Stop saw the finished run's state, answered "too late", and "Submitting…" stayed.)
    """
    expect = _expect()
    clock = FakeClock()  # a run ends only when the test moves this clock on
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        settings = AppSettings(
            output_dir=tmp_path / "outputs",
            poll_interval=FAST_POLLS,
            concurrency=1,
            max_concurrent_per_visitor=0,
            max_runs_per_hour=0,
        )
        _, url = launch_app(settings, demo_base_url=sim.base_url)
        page, other = new_context().new_page(), new_context().new_page()
        for visitor in (page, other):
            visitor.goto(url)
            visitor.locator("#prompt textarea").fill("a kite over the sea")
        status, stop = page.locator("#status"), page.locator("#stop-button")
        page.locator("#generate-button").click()  # a finished run first: its state stays
        wait_for(lambda: page.evaluate("true") and sim.predictions, "the first create")
        clock.advance(60)
        expect(status).to_contain_text("Succeeded")
        [finished_id] = sim.predictions
        other.locator("#generate-button").click()  # the other visitor's run takes the one slot
        wait_for(lambda: page.evaluate("true") and len(sim.predictions) == 2, "the second run")

        page.locator("#generate-button").click()  # queued behind it
        expect(status).to_contain_text("Submitting…")
        stop.click()
        expect(status).to_contain_text("Nothing more was sent")
        expect(status).to_contain_text(finished_id)
        expect(stop).to_be_disabled()
        expect(page.get_by_text("Error", exact=True)).to_have_count(0)
        assert len(sim.predictions) == 2  # the queued run never started
        clock.advance(60)  # the other visitor's run ends
        expect(other.locator("#status")).to_contain_text("Succeeded")
