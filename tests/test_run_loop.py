"""The run loop: what the page is shown while a run polls, and how often."""

from __future__ import annotations

from comet.jobs import JobUpdate
from comet.prediction import Prediction
from tests.support import FakeClock
from webui.run_loop import PROGRESS_EVERY, follow_run

SCHNELL = "black-forest-labs/flux-schnell"


def snapshot(status: str) -> Prediction:
    return Prediction.from_json(
        {"id": "p1", "model": SCHNELL, "status": status, "input": {"prompt": "a boat"}}
    )


def polls(clock: FakeClock, timeline: list[tuple[float, str]]):
    """One JobUpdate per (seconds after the previous one, status), moving the clock."""
    for gap, status in timeline:
        clock.advance(gap)
        yield JobUpdate(snapshot(status), "waiting" if status != "starting" else "created")


def progress_views(clock: FakeClock, timeline: list[tuple[float, str]]) -> list:
    """The views shown while the run was in flight (not its ending, here a failure)."""
    views = follow_run(polls(clock, timeline), describe_success=lambda *_: "", clock=clock)
    return [view for view in views if not view.done]


def test_polls_that_change_only_the_seconds_are_shown_at_most_every_progress_interval():
    clock = FakeClock()
    timeline = [(0.0, "starting")] + [(0.05, "processing")] * 40  # 2 s of fast polls
    views = progress_views(clock, timeline)
    # the first line, the first "processing" line, then one every PROGRESS_EVERY seconds
    assert 2 + 2.0 // PROGRESS_EVERY - 1 <= len(views) <= 2 + 2.0 / PROGRESS_EVERY
    assert len(views) < 41 / 4


def test_a_change_of_status_is_shown_at_once():
    clock = FakeClock()
    timeline = [(0.0, "starting"), (0.01, "processing"), (0.01, "processing")]
    views = progress_views(clock, timeline)
    assert len(views) == 2  # starting, then processing at once; the repeat 10 ms later is not
