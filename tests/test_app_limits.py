"""The app's run limits, seen from outside (issue 10): Resume and Generate share one limit.

COMET_CONCURRENCY caps how many runs the app serves at once, across all visitors. A Resume
waits on the API just as a run does, so it counts against the same limit: with a limit of 1, a
running Generate makes a Resume wait, and a running Resume makes a Generate wait.

The simulator runs on a fake clock, so a prediction finishes only when the test moves it. A
waiting event is seen in Gradio's public queue status (`/gradio_api/queue/status` counts the
events that wait for a slot, not those running); the order of the simulator's requests shows
that the waiting one sent nothing until the other had finished.
"""

from __future__ import annotations

import pytest
import requests

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.support import DEADLINE, FakeClock, wait_for

SCHNELL = "black-forest-labs/flux-schnell"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sim(clock):
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as simulator:
        yield simulator


@pytest.fixture
def one_at_a_time(connect, launch_app, sim, tmp_path):
    """The app with COMET_CONCURRENCY=1 (no per-visitor limit); returns its url."""
    settings = AppSettings(
        output_dir=tmp_path / "outputs",
        poll_interval=0.02,
        concurrency=1,
        max_concurrent_per_visitor=0,
    )
    _, url = launch_app(settings, demo_base_url=sim.base_url)
    return url


def waiting_events(url: str) -> int:
    """How many events wait in the app's queue for a free slot (running ones not counted)."""
    status = requests.get(f"{url}gradio_api/queue/status", timeout=DEADLINE).json()
    return status["queue_size"]


def requests_about(sim: Simulator, prediction_id: str) -> list[int]:
    """Positions in sim.received of the polls and downloads of one prediction."""
    return [n for n, r in enumerate(sim.received) if prediction_id in r.path]


def create_positions(sim: Simulator) -> list[int]:
    """Positions in sim.received of the create requests."""
    return [n for n, r in enumerate(sim.received) if r.method == "POST"]


def wait_for_more_polls(sim: Simulator, prediction_id: str) -> None:
    """Let the running one poll twice more: time enough for the waiting one to have started."""
    seen = len(requests_about(sim, prediction_id))
    wait_for(
        lambda: len(requests_about(sim, prediction_id)) >= seen + 2,
        f"two more polls of {prediction_id}",
    )


def test_a_running_generate_makes_a_resume_wait_for_the_one_slot(
    one_at_a_time, connect, client_for, sim, clock
):
    url = one_at_a_time
    elsewhere = client_for(sim).create_prediction(SCHNELL, {"prompt": "made with the CLI"})
    generating = connect(url).submit(prompt="holds the slot", api_name="/generate")
    [generated] = wait_for(
        lambda: [p for p in sim.predictions if p != elsewhere.id and requests_about(sim, p)],
        "the generate to create its prediction and poll it",
    )

    resuming = connect(url).submit(prediction_id=elsewhere.id, api_name="/resume")
    wait_for(lambda: waiting_events(url) == 1, "the resume to wait in the queue")
    wait_for_more_polls(sim, generated)
    assert requests_about(sim, elsewhere.id) == []  # the resume has not started
    assert not resuming.done()

    clock.advance(60)  # both predictions finish on the server
    status, gallery, _ = generating.result(timeout=DEADLINE)
    resumed, resumed_gallery = resuming.result(timeout=DEADLINE)

    assert "Succeeded" in status and gallery, status
    assert "Resumed: succeeded" in resumed, resumed
    assert resumed_gallery
    # the resume's first request came after the generate's last (its image download)
    assert min(requests_about(sim, elsewhere.id)) > max(requests_about(sim, generated))


def test_a_running_resume_makes_a_generate_wait_for_the_one_slot(
    one_at_a_time, connect, client_for, sim, clock
):
    url = one_at_a_time
    elsewhere = client_for(sim).create_prediction(SCHNELL, {"prompt": "made with the CLI"})
    resuming = connect(url).submit(prediction_id=elsewhere.id, api_name="/resume")
    wait_for(lambda: requests_about(sim, elsewhere.id), "the resume to poll its prediction")

    generating = connect(url).submit(prompt="waits for the slot", api_name="/generate")
    wait_for(lambda: waiting_events(url) == 1, "the generate to wait in the queue")
    wait_for_more_polls(sim, elsewhere.id)
    assert len(create_positions(sim)) == 1  # only the CLI's: the generate sent nothing
    assert not generating.done()

    clock.advance(60)
    resumed, _ = resuming.result(timeout=DEADLINE)
    assert "Resumed: succeeded" in resumed, resumed
    # the generate's create comes after the resume's last request; then it runs on the clock
    wait_for(lambda: len(create_positions(sim)) == 2, "the generate to create its prediction")
    [_, generate_create] = create_positions(sim)
    assert generate_create > max(requests_about(sim, elsewhere.id))
    clock.advance(60)
    status, gallery, _ = generating.result(timeout=DEADLINE)
    assert "Succeeded" in status and gallery, status
