"""The simulator's timeline on an injected clock: statuses, logs, cancel, URL lifetime, and the
jittered durations benchmarks use. Nothing here waits on the wall clock."""

from __future__ import annotations

import re
import time

import pytest
import requests

from comet.models import MODELS, get_model
from comet.simulator import Simulator
from tests.support import FakeClock

KEY = "test-key-123456"
SCHNELL = "black-forest-labs/flux-schnell"


@pytest.fixture
def http():
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {KEY}"
        yield session


@pytest.fixture
def clock():
    return FakeClock()


def create(http, sim: Simulator, model: str = SCHNELL, **inputs) -> dict:
    inputs.setdefault("prompt", "a kite over the dunes")
    url = f"{sim.base_url}/replicate/v1/models/{model}/predictions"
    response = http.post(url, json={"input": inputs}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def poll(http, prediction: dict) -> dict:
    return http.get(prediction["urls"]["get"], timeout=5).json()


def test_timeline_runs_starting_then_processing_with_growing_logs(http, clock):
    with Simulator(time_scale=1, image_size=64, clock=clock) as sim:
        prediction = create(http, sim)
        duration = MODELS[SCHNELL].typical_seconds
        start = clock.now
        bodies = []
        for tick in range(41):
            clock.now = start + duration * tick / 40
            bodies.append(poll(http, prediction))
    statuses = [b["status"] for b in bodies]
    assert list(dict.fromkeys(statuses)) == ["starting", "processing", "succeeded"]
    assert statuses[-1] == "succeeded" and statuses[-2] == "processing"
    logs = [b["logs"] for b in bodies]
    assert all(later.startswith(earlier) for earlier, later in zip(logs, logs[1:], strict=False))
    assert len(set(logs)) > 4  # the progress lines appear one by one
    assert re.search(r"Using seed: \d+\n", logs[-1])
    assert re.search(r"\d+%\|[█ ]{10}\| 2/4 ", logs[-1])
    assert "started_at" not in bodies[0] and "started_at" in bodies[-1]


def test_a_prediction_turns_terminal_exactly_at_its_completion_time(http, clock):
    duration = 2 * MODELS["black-forest-labs/flux-dev"].typical_seconds
    with Simulator(time_scale=2, image_size=64, clock=clock) as sim:
        prediction = create(http, sim, "black-forest-labs/flux-dev")
        done_at = sim.completion_time(prediction["id"])
        assert done_at == clock.now + duration
        clock.now = done_at - 0.001
        assert poll(http, prediction)["status"] == "processing"
        clock.now = done_at
        done = poll(http, prediction)
    assert done["status"] == "succeeded" and len(done["output"]) == 1
    assert done["metrics"]["predict_time"] == pytest.approx(0.85 * duration)  # after "starting"


def test_completion_time_is_on_the_monotonic_clock_by_default(http):
    with Simulator(time_scale=1, image_size=64, durations={"flux-schnell": (30, 30)}) as sim:
        before = time.monotonic()
        prediction = create(http, sim)
        after = time.monotonic()
        assert before + 30 <= sim.completion_time(prediction["id"]) <= after + 30
        assert sim.completion_time("no-such-id") is None


def durations_seen(seed: int | None, count: int = 6) -> tuple[list[float], float, float]:
    """Run schnell count times, then one dev and one pro; their durations in seconds."""
    clock = FakeClock()
    ranges = {"flux-schnell": (1.0, 3.0), "black-forest-labs/flux-dev": (10.0, 10.0)}
    with (
        requests.Session() as http,
        Simulator(time_scale=2, clock=clock, durations=ranges, rng_seed=seed) as sim,
    ):
        http.headers["Authorization"] = f"Bearer {KEY}"
        ids = [create(http, sim)["id"] for _ in range(count)]
        dev = create(http, sim, "black-forest-labs/flux-dev")["id"]
        pro = create(http, sim, "black-forest-labs/flux-pro")["id"]
        seconds = [sim.completion_time(i) - clock.now for i in ids]
        return seconds, sim.completion_time(dev) - clock.now, sim.completion_time(pro) - clock.now


def test_durations_draw_each_prediction_from_its_range_scaled():
    schnell, dev, pro = durations_seen(seed=7)
    assert all(2.0 <= s <= 6.0 for s in schnell), schnell  # (1, 3) s times time_scale 2
    assert len(set(schnell)) == len(schnell)  # each prediction draws its own
    assert dev == 20.0  # a full id works as a key too
    assert pro == 2 * get_model("flux-pro").typical_seconds  # no range: the catalogue's time


def test_the_same_rng_seed_repeats_the_same_durations():
    assert durations_seen(seed=7) == durations_seen(seed=7)
    assert durations_seen(seed=7)[0] != durations_seen(seed=8)[0]


def test_jittered_durations_drive_the_statuses(http, clock):
    ranges = {"flux-schnell": (5.0, 9.0)}
    with Simulator(time_scale=1, clock=clock, durations=ranges, rng_seed=1) as sim:
        prediction = create(http, sim)
        done_at = sim.completion_time(prediction["id"])
        assert clock.now + 5 <= done_at <= clock.now + 9
        clock.now = done_at - 0.01
        assert poll(http, prediction)["status"] == "processing"
        clock.now = done_at
        assert poll(http, prediction)["status"] == "succeeded"


@pytest.mark.parametrize(
    "durations",
    [{"flux-9": (1, 2)}, {"flux-schnell": (3, 1)}, {"flux-schnell": (-1, 1)}],
)
def test_durations_refuse_unknown_models_and_bad_ranges(durations):
    with pytest.raises(ValueError):
        Simulator(durations=durations)


def test_cancel_stops_a_running_prediction_and_sets_its_completion_time(http, clock):
    with Simulator(time_scale=1, image_size=64, clock=clock) as sim:
        prediction = create(http, sim)
        clock.now += 0.5
        sim.cancel(prediction["id"])
        assert sim.completion_time(prediction["id"]) == clock.now
        clock.now += 100
        done = poll(http, prediction)
        assert done["status"] == "canceled" and done["output"] is None
        other = create(http, sim)
        response = http.post(other["urls"]["cancel"], timeout=5)
        assert response.status_code == 200 and response.json()["status"] == "canceled"


def test_cancel_leaves_a_finished_prediction_alone(http, clock):
    with Simulator(time_scale=1, image_size=64, clock=clock) as sim:
        prediction = create(http, sim)
        done_at = sim.completion_time(prediction["id"])
        clock.now = done_at
        sim.cancel(prediction["id"])
        assert sim.completion_time(prediction["id"]) == done_at
        assert poll(http, prediction)["status"] == "succeeded"
        with pytest.raises(KeyError):
            sim.cancel("no-such-id")


def test_delivery_urls_expire_after_the_ttl(http, clock):
    with Simulator(time_scale=0, image_size=64, url_ttl=10, clock=clock) as sim:
        url = poll(http, create(http, sim))["output"][0]
        assert requests.get(url, timeout=5).status_code == 200
        clock.now += 10
        assert requests.get(url, timeout=5).status_code == 200  # the last moment of its life
        clock.now += 0.001
        assert requests.get(url, timeout=5).status_code == 410


def test_delivery_urls_are_404_until_the_prediction_succeeds(http, clock):
    with Simulator(time_scale=1, image_size=64, clock=clock) as sim:
        prediction = create(http, sim)
        url = sim.predictions[prediction["id"]].output_urls(sim.base_url)[0]
        assert requests.get(url, timeout=5).status_code == 404
        clock.now = sim.completion_time(prediction["id"])
        assert requests.get(url, timeout=5).status_code == 200
