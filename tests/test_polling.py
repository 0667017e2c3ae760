"""The poll schedule and the durations it learns from, on an injected clock (no real waiting)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import responses

from comet import CometClient
from comet.durations import (
    DurationMemory,
    Observation,
    prediction_seconds,
    seed_from_history,
    work_units,
)
from comet.errors import CometTimeout
from comet.history import History
from comet.polling import Expectation, PollSchedule
from comet.prediction import Prediction
from comet.simulator import Simulator
from tests.support import FakeClock, load_fixture, polls

BASE = "https://comet.example"
SCHNELL = "black-forest-labs/flux-schnell"
PRO = "black-forest-labs/flux-1.1-pro"
PID = "q4chw5rey9rmt0cww76t4h3ma4"
T0 = 1_790_000_000.0  # the fake server's wall clock at creation


class FakeAPI:
    """The two routes on the fake clock: a prediction that takes `duration` seconds.

    claimed: a lying clock, whose completed_at says the run took that long instead.
    """

    def __init__(
        self, clock, duration, *, model=SCHNELL, faults=(), create_delays=(0.0, 0.0), claimed=None
    ):
        self.clock = clock
        self.duration = duration
        self.claimed = duration if claimed is None else claimed
        self.create_delays = create_delays  # seconds on the way in, and back out
        self.model = model
        self.faults = list(faults)  # (status, headers) answered to the next polls, in order
        self.created = None
        self.polls = []  # clock readings when each poll arrived
        self.statuses = []  # what each answered poll said
        owner, name = model.split("/")
        responses.add_callback(
            responses.POST,
            f"{BASE}/replicate/v1/models/{owner}/{name}/predictions",
            callback=self._create,
        )
        responses.add_callback(
            responses.GET, f"{BASE}/replicate/v1/predictions/{PID}", callback=self._get
        )

    def _iso(self, offset):
        moment = datetime.fromtimestamp(T0 + offset, tz=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def _body(self, status):
        body = load_fixture("create_flux_schnell.json")
        body.update(id=PID, model=self.model, status=status, created_at=self._iso(0))
        if status == "succeeded":
            body.update(output=["https://example.com/out-0.webp"])
            body["completed_at"] = self._iso(self.claimed)
        return body

    def _create(self, request):
        on_the_way, back = self.create_delays
        self.clock.advance(on_the_way)
        self.created = self.clock.now
        self.clock.advance(back)
        return 201, {}, json.dumps(self._body("starting"))

    def _get(self, request):
        self.polls.append(self.clock.now)
        if self.faults:
            status, headers = self.faults.pop(0)
            return status, headers, json.dumps({"detail": "slow down"})
        done = self.clock.now - self.created >= self.duration
        self.statuses.append("succeeded" if done else "processing")
        return 200, {}, json.dumps(self._body(self.statuses[-1]))

    @property
    def poll_offsets(self):
        return [t - self.created for t in self.polls]


@pytest.fixture
def clock():
    return FakeClock(start=0.0)


@pytest.fixture
def make_client(clock):
    made = []

    def make(**kwargs):
        kwargs.setdefault("poll_interval", 0.5)
        kwargs.setdefault("timeout", 120)
        client = CometClient(
            api_key="sk-poll-test-123456",
            base_url=BASE,
            sleep=clock.sleep,
            clock=clock,
            wall_clock=lambda: T0 + clock.now,
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _gaps(times):
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def _rising(values):
    return all(b >= a - 1e-9 for a, b in zip(values, values[1:], strict=False))


def _falling(values):
    return _rising([-v for v in values])


# --- the schedule alone -----------------------------------------------------------------------


def test_schedule_polls_densely_near_the_expected_completion_and_sparsely_before():
    schedule = PollSchedule(Expectation.from_samples([10.0, 11.0, 12.0]), poll_interval=0.5)
    times = schedule.times(until=30)
    low, high = schedule.expectation.low, schedule.expectation.high
    before = _gaps([0.0] + [t for t in times if t <= low + schedule.window])
    inside = _gaps([t for t in times if low <= t <= high])
    assert len(before) >= 3 and len(inside) >= 5
    assert min(before) > 4 * max(inside)  # sparse far from completion, dense near it
    assert max(before) <= 1.1 * schedule.sparse + 1e-9
    assert sum(1 for t in times if t < low) <= 5  # about one poll every 2 s for 8 s
    assert sum(1 for t in times if low <= t <= high) >= 2 * sum(1 for t in times if t < low)


def test_schedule_closes_in_as_the_window_runs_out_then_backs_off_when_overdue():
    schedule = PollSchedule(Expectation(low=2.0, high=6.0, typical=4.0, source="given"))
    times = schedule.times(until=40)
    inside = _gaps([t for t in times if 2.0 <= t <= 6.0])
    after = _gaps([t for t in times if t >= 6.0])
    assert _falling(inside) and inside[0] > 2 * inside[-1]
    assert _rising(after) and after[0] < after[-1]
    assert after[-1] == pytest.approx(schedule.sparse)  # capped


def test_a_steady_models_narrow_window_is_polled_inside_not_after():
    steady = Expectation.from_samples([2.0] * 20)  # a model that always takes 2 s
    assert steady.high - steady.low < 2 * PollSchedule(steady).window
    times = PollSchedule(steady, poll_interval=0.5).times(until=4)
    inside = [t for t in times if steady.low <= t <= steady.high]
    assert len(inside) >= 2  # the plain gaps would have put the first poll after the window
    after_typical = [t for t in times if t >= 2.0]
    assert after_typical[0] - 2.0 <= 0.1  # completion at 2 s is seen within 0.1 s
    assert min(_gaps(times)) >= 0.05 - 1e-9


def test_a_steady_model_is_first_polled_at_the_longest_duration_learned():
    alike = [2.000, 2.002, 2.004] * 7  # a spread well under one dense gap

    def first_in_window(schedule):
        return next(t for t in schedule.times(until=4) if t >= schedule.expectation.low)

    steady = PollSchedule(Expectation.from_samples(alike), poll_interval=0.5)
    assert first_in_window(steady) == pytest.approx(2.004)  # the middle (2.002) misses a third
    spread = PollSchedule(Expectation.from_samples([1.8, 2.0, 2.2] * 7), poll_interval=0.5)
    e = spread.expectation
    assert first_in_window(spread) == pytest.approx(e.low + (e.high - e.low) / 2)
    two = PollSchedule(Expectation.from_samples([2.0, 2.004]), poll_interval=0.5)
    assert first_in_window(two) < 2.0  # two runs say little: the window's own first poll
    given = PollSchedule(Expectation.from_samples([2.0], source="given"), poll_interval=0.5)
    assert first_in_window(given) < 1.5


@pytest.mark.parametrize(
    "expectation",
    [
        Expectation.from_samples([2.0] * 20),
        Expectation.from_samples([1.0, 2.0, 3.0]),
        Expectation(low=2.0, high=6.0, typical=4.0, source="given"),
        Expectation.unknown(),
    ],
)
def test_every_next_poll_is_later_than_the_last_from_any_moment(expectation):
    # Whatever moment a poll is sent at (a slow answer, a retry), the next one is later:
    # a poll sent just before the window's first poll must not divide by zero.
    schedule = PollSchedule(expectation, poll_interval=0.5)
    first = schedule.times(until=60)[0] if expectation.high else schedule.window
    moments = [0.0, first - 0.3, first - 0.15, first - 0.01, first - 1e-6, first, 5.0, 59.0]
    for elapsed in moments:
        after = schedule.next_poll(max(0.0, elapsed))
        assert max(0.0, elapsed) < after <= max(0.0, elapsed) + 1.1 * schedule.sparse + 1e-9


def test_an_unknown_duration_counts_as_overdue_from_the_start():
    schedule = PollSchedule(Expectation.unknown(), poll_interval=0.5)
    times = schedule.times(until=60)
    assert times[0] == pytest.approx(schedule.window)
    gaps = _gaps(times)
    assert gaps[0] == pytest.approx(schedule.dense, rel=0.3)
    assert _rising(gaps) and gaps[-1] == pytest.approx(schedule.sparse)


def test_expectation_from_samples_narrows_as_durations_accumulate():
    one = Expectation.from_samples([2.0])
    assert (one.low, one.high) == pytest.approx((1.0, 3.0))
    many = Expectation.from_samples([1.0 + i / 10 for i in range(21)])  # 1.0 … 3.0
    assert 0.85 < many.low < 1.0 and 3.0 < many.high < 3.15
    queued = Expectation.from_samples([2.0, 2.0, 2.0, 60.0])  # one run stuck in a queue
    assert queued.high < 5


# --- the client on the schedule ---------------------------------------------------------------


@responses.activate
def test_run_does_not_poll_right_after_create_and_polls_most_near_completion(make_client, clock):
    api = FakeAPI(clock, duration=10.0, model=PRO)
    client = make_client()
    client.durations.seed(PRO, [9.0, 10.0, 11.0, 10.5, 9.5])
    client.run(PRO, {"prompt": "x"})
    offsets = api.poll_offsets
    assert offsets[0] > 1.0
    early = [t for t in offsets if t < 7.0]
    near = [t for t in offsets if 7.0 <= t <= 10.0]
    assert len(near) >= 2 * len(early)
    assert offsets[-1] - 10.0 < 0.375 + 1e-9  # seen within one window gap of completion


@responses.activate
def test_polls_count_from_the_answer_of_a_slow_create(make_client, clock):
    # The server stamps created_at 0.3 s after the create was sent, and the answer takes 0.1 s
    # more: counted from the sending, the first poll would come 0.3 s early and miss.
    api = FakeAPI(clock, duration=2.0, create_delays=(0.3, 0.1))
    client = make_client()
    client.durations.seed(SCHNELL, [2.0] * 20)
    client.run(SCHNELL, {"prompt": "x"})
    assert api.poll_offsets == [pytest.approx(2.1)]  # one poll, late by the answer's way back


@responses.activate
def test_seeded_durations_move_the_polls(make_client, clock):
    api = FakeAPI(clock, duration=10.0, model=PRO)
    fresh = make_client()
    fresh.run(PRO, {"prompt": "x"})
    catalogue_polls = list(api.poll_offsets)
    api.polls.clear()
    seeded = make_client()
    seeded.durations.seed(PRO, [10.0] * 5)
    seeded.run(PRO, {"prompt": "x"})
    assert len(api.poll_offsets) < len(catalogue_polls)
    assert min(api.poll_offsets) > min(catalogue_polls)


@responses.activate
def test_a_client_learns_durations_from_its_own_runs(make_client, clock):
    api = FakeAPI(clock, duration=10.0, model=PRO)
    client = make_client()
    assert client.durations.expect(PRO, {"prompt": "x"}).source == "catalogue"
    client.run(PRO, {"prompt": "x"})
    assert "processing" in api.statuses  # checked against polls that saw it running…
    assert client.durations.samples(PRO) == [10.0]  # …and kept exact: the server's own figure
    learned = client.durations.expect(PRO, {"prompt": "x"})
    assert learned.source == "learned" and learned.typical == 10.0
    first_run = len(api.polls)
    api.polls.clear()
    client.run(PRO, {"prompt": "x"})
    assert len(api.polls) < first_run
    assert sum(1 for t in api.poll_offsets if t < 5.0) <= 3  # sparse before [5, 15]


@responses.activate
@pytest.mark.parametrize("claimed", [0.05, 9.0])  # less than a poll saw, more than was waited
def test_a_duration_the_polls_contradict_is_not_learned_nor_the_servers_word_after(
    make_client, clock, claimed
):
    api = FakeAPI(clock, duration=2.0, claimed=claimed)
    client = make_client()
    client.durations.seed(SCHNELL, [claimed] * 3)  # a history of the same server's timestamps
    client.run(SCHNELL, {"prompt": "x"})
    seen = list(zip(api.poll_offsets, api.statuses, strict=True))
    running = max(t for t, status in seen if status == "processing")
    done = min(t for t, status in seen if status == "succeeded")
    assert running < 2.0 <= done
    # Neither the claim nor the seeds taken on the server's word: the middle of what polls saw.
    assert client.durations.samples(SCHNELL) == [pytest.approx((running + done) / 2)]
    # Caught once, it is not believed again, even where no poll could tell (seen done at once).
    assert client.durations.learn(SCHNELL, claimed, Observation(None, 2.2)) == "observed"
    assert client.durations.samples(SCHNELL)[-1] == 2.2


@responses.activate
def test_expected_seconds_given_to_run_wins(make_client, clock):
    api = FakeAPI(clock, duration=20.0, model=PRO)
    client = make_client()
    client.durations.seed(PRO, [2.0] * 5)
    client.run(PRO, {"prompt": "x"}, expected_seconds=20.0)
    window = PollSchedule(Expectation.from_samples([20.0]), 0.5)
    assert api.poll_offsets[:3] == pytest.approx(window.times(until=30)[:3])
    assert all(t < 20.0 + window.window for t in api.poll_offsets)


def test_durations_are_kept_apart_or_scaled_by_input_size():
    memory = DurationMemory()
    memory.seed(SCHNELL, [2.0, 2.0, 2.0], input={"num_outputs": 1})
    # Four images: nothing measured at that size, so the one-image runs are scaled up.
    assert memory.expect(SCHNELL, {"num_outputs": 4}).typical == pytest.approx(2.0 * 5 / 2)
    memory.seed(SCHNELL, [7.0, 7.0, 7.0], input={"num_outputs": 4})
    assert memory.expect(SCHNELL, {"num_outputs": 4}).typical == pytest.approx(7.0)
    assert memory.expect(SCHNELL, {"num_outputs": 1}).typical == pytest.approx(2.0)
    assert work_units(SCHNELL, {"megapixels": "0.25"}) == pytest.approx(0.25)
    assert work_units("black-forest-labs/flux-dev", {"num_inference_steps": 56}) == 2.0


def test_a_prediction_is_learned_once():
    memory = DurationMemory()
    assert memory.record(SCHNELL, 2.0, prediction_id="abc")
    assert not memory.record(SCHNELL, 2.0, prediction_id="abc")
    assert not memory.record(SCHNELL, float("nan"))
    assert memory.samples(SCHNELL) == [2.0]


# --- deadline and Retry-After -----------------------------------------------------------------


@responses.activate
def test_the_deadline_is_never_passed_and_the_timeout_names_the_prediction(make_client, clock):
    api = FakeAPI(clock, duration=1000.0, model=PRO)
    client = make_client(timeout=30)
    with pytest.raises(CometTimeout) as info:
        client.run(PRO, {"prompt": "x"})
    assert info.value.prediction_id == PID and PID in str(info.value)
    assert clock.now - api.created == pytest.approx(30.0, abs=1e-9)  # last wait cut to it
    assert api.polls[-1] < api.created + 30.0


@responses.activate
def test_a_retry_after_longer_than_the_time_left_is_cut_at_the_deadline(make_client, clock):
    api = FakeAPI(clock, duration=5.0, faults=[(429, {"Retry-After": "50"})])
    client = make_client(timeout=20)
    with pytest.raises(CometTimeout):
        client.run(SCHNELL, {"prompt": "x"})
    assert len(api.polls) == 1
    assert clock.now - api.created == pytest.approx(20.0, abs=1e-9)


@responses.activate
@pytest.mark.parametrize("seconds", [0, 1, 3, 7])
def test_after_retry_after_the_wait_is_exactly_that(make_client, clock, seconds):
    faults = [(429, {"Retry-After": str(seconds)}), (503, {"Retry-After": str(seconds)})]
    api = FakeAPI(clock, duration=30.0, model=PRO, faults=faults)
    client = make_client()
    client.durations.seed(PRO, [2.0] * 5)  # the schedule alone would poll every 0.15-0.4 s
    waits = []
    for _ in client.generate(PRO, {"prompt": "x"}, on_retry=lambda e, w: waits.append(w)):
        pass
    assert waits == [seconds, seconds]
    gaps = _gaps(api.polls)
    assert gaps[0] == pytest.approx(seconds, abs=1e-9)
    assert gaps[1] == pytest.approx(seconds, abs=1e-9)


# --- with the real simulator and the history file ---------------------------------------------


def test_the_client_learns_from_the_simulators_timestamps():
    with Simulator(time_scale=0.0, image_size=64) as sim:
        with CometClient(api_key="sk-sim-123456", base_url=sim.base_url, poll_interval=0.02) as c:
            first = c.run(SCHNELL, {"prompt": "x"})
            c.run(SCHNELL, {"prompt": "y"})
            resumed = c.get_prediction(first.id)
            list(c.watch(resumed))  # done already: yielded, not learned twice
        assert len(polls(sim)) == 3
    samples = c.durations.samples(SCHNELL)
    assert len(samples) == 2 and all(0 <= s < 1.0 for s in samples)


def test_a_lying_clock_costs_at_most_half_again_the_polls_of_an_honest_one():
    # Timestamps claiming 0.05 s of work for 2 s runs: believed, they cost 55 polls, not 15.
    polls_sent = {}
    for claimed in (None, 0.05):
        clock = FakeClock()
        durations = {SCHNELL: (2.0, 2.0)}
        with Simulator(
            image_size=16, clock=clock, durations=durations, claimed_seconds=claimed
        ) as sim:
            with CometClient(
                api_key="sk-sim-123456", base_url=sim.base_url, clock=clock, sleep=clock.sleep
            ) as client:
                last = [client.run(SCHNELL, {"prompt": "x"}) for _ in range(6)][-1]
            polls_sent[claimed] = len(polls(sim))
        claims = prediction_seconds(last)
        assert claims == pytest.approx(claimed or 2.0, abs=0.002)  # what the timestamps say
        assert sim.completion_time(last.id) - sim.predictions[last.id].created_mono == 2.0
    assert polls_sent[0.05] <= 1.5 * polls_sent[None]


def test_history_durations_seed_a_memory(tmp_path):
    def done(pid, seconds, images):
        start = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc).timestamp()
        iso = lambda t: datetime.fromtimestamp(t, tz=timezone.utc).isoformat()  # noqa: E731
        return Prediction(
            id=pid,
            model=SCHNELL,
            status="succeeded",
            input={"prompt": "x", "num_outputs": images},
            created_at=iso(start),
            completed_at=iso(start + seconds),
        )

    with History.in_directory(tmp_path) as history:
        for i, (seconds, images) in enumerate([(1.5, 1), (2.5, 1), (6.0, 4), (1.0, 1)]):
            history.record_update(done(f"p{i}", seconds, images))
        history.record_update(Prediction(id="running", model=SCHNELL, status="processing"))
        assert history.recent_durations(SCHNELL) == [1.0, 6.0, 2.5, 1.5]
        assert history.recent_durations(SCHNELL, 2, num_outputs=1) == [1.0, 2.5]
        assert history.recent_durations(PRO) == []
        memory = DurationMemory()
        assert seed_from_history(memory, history) == 4
    assert memory.expect(SCHNELL, {"num_outputs": 1}).typical == pytest.approx(1.5)
    assert memory.samples(SCHNELL, {"num_outputs": 4}) != []
