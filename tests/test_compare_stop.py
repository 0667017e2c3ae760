"""Compare's Stop (webui/compare_stop.py): which comparison a press is for, queued ones too.

The comparison ending itself on Stop, with its runs handed to background followers, is in
test_compare.py; the page without an "Error" badge after Stop, in test_browser.py.
"""

from __future__ import annotations

from tests.page_support import DEV, SCHNELL, open_page, visitor
from tests.support import FakeClock, creates
from webui.compare_stop import JUST_ENDED, PENDING_FOR, SessionStops


def test_a_press_stops_the_sessions_running_comparison_only():
    stops = SessionStops(FakeClock())
    mine, theirs = stops.begin("me"), stops.begin("them")
    stops.press("me")
    assert mine.pressed and not theirs.pressed


def test_a_press_while_the_comparison_waits_in_the_queue_is_kept_for_it_a_while():
    clock = FakeClock()
    stops = SessionStops(clock)
    stops.press("me")  # nothing running yet: the comparison is still queued
    assert stops.begin("me").pressed
    assert not stops.begin("me").pressed  # used once
    stops.press("late")
    clock.advance(PENDING_FOR + 1)
    assert not stops.begin("late").pressed  # too old to be for this one


def test_a_press_as_a_comparison_ends_does_not_stop_the_next_one():
    clock = FakeClock()
    stops = SessionStops(clock)
    stops.end("me", stops.begin("me"))
    stops.press("me")  # arrived just after the end: it was for that comparison
    assert not stops.begin("me").pressed
    stops.end("me", stops.begin("me"))
    clock.advance(JUST_ENDED + 1)
    stops.press("me")
    assert stops.begin("me").pressed


def test_a_comparison_whose_stop_came_while_it_queued_sends_nothing(tmp_path, simulator):
    with open_page(tmp_path / "out", simulator, max_concurrent_per_visitor=0) as page:
        page.compare.stop(None, request=visitor("queued"))
        updates = list(page.compare.compare("x", [SCHNELL, DEV], request=visitor("queued")))
    last = updates[-1]
    assert last["compare_status"].startswith("**Stopped.**")
    assert last["note0"].startswith("Stopped before this model's prediction was created")
    assert creates(simulator) == []
