"""When the client polls (comet/polling.py) and the durations it learns from (comet/durations.py),
on an injected clock: nothing here waits."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone

import pytest
import responses

from comet import CometClient
from comet.durations import (
    DurationMemory,
    Observation,
    parse_timestamp,
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
T0 = 1_790_000_000.0  # the fake server's wall clock when the prediction was created


class FakeAPI:
    """The two routes on the fake clock: a prediction that takes `duration` seconds.

    claimed: a lying clock, whose completed_at says the run took that long instead.
    """

    def __init__(
        self, clock, duration, *, model=SCHNELL, faults=(), create_delays=(0, 0), claimed=None
    ):
        self.clock, self.duration, self.model = clock, duration, model
        self.claimed = duration if claimed is None else claimed
        self.create_delays = create_delays  # seconds on the way in, and back out
        self.faults = list(faults)  # (status, headers) answered to the next polls, in order
        self.created = None
        self.stamped = 0.0  # created_at, in seconds after T0
        self.polls, self.statuses = [], []  # when each poll arrived; what each answer said
        responses.add_callback(
            responses.POST, f"{BASE}/replicate/v1/models/{model}/predictions", callback=self._create
        )
        responses.add_callback(
            responses.GET, f"{BASE}/replicate/v1/predictions/{PID}", callback=self._get
        )

    def _iso(self, offset):
        moment = datetime.fromtimestamp(T0 + offset, tz=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def _body(self, status):
        body = load_fixture("create_flux_schnell.json")
        body.update(id=PID, model=self.model, status=status, created_at=self._iso(self.stamped))
        if status == "succeeded":
            body.update(output=["https://example.com/out-0.webp"])
            body["completed_at"] = self._iso(self.stamped + self.claimed)
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
def client(clock):
    """A client on the fake clock, whose wall clock the fake server shares."""
    wall_clock = lambda: T0 + clock.now  # noqa: E731
    with CometClient(
        "sk-poll-test-123456", BASE, 0.5, 120, sleep=clock.sleep, clock=clock, wall_clock=wall_clock
    ) as made:
        yield made


def gaps(times):
    return [b - a for a, b in zip(times, times[1:], strict=False)]


# -- the schedule alone --------------------------------------------------------------------------


# fmt: off
SCHEDULE = [  # window [2, 6] at poll_interval 0.5: gaps sparse 2 s, window 0.35 s, dense 0.15 s
    (0.0, 1.175), (1.175, 2.35),  # before the window: evenly spread up to low + w
    (2.35, 2.35 + 0.35 * math.sqrt(3.65 / 4)),  # inside: w·√(share of the window left)…
    (3.0, 3.0 + 0.35 * math.sqrt(3 / 4)),
    (5.9, 6.05),  # …never closer than d
    (6.0, 6.15), (10.0, 10.55),  # overdue: d + 0.1 s per second overdue…
    (100.0, 102.0),  # …up to s
]
# fmt: on


@pytest.mark.parametrize(("elapsed", "next_poll"), SCHEDULE)
def test_the_schedule_is_sparse_before_the_window_dense_inside_and_slows_when_overdue(
    elapsed, next_poll
):
    schedule = PollSchedule(Expectation(low=2.0, high=6.0, typical=4.0, source="given"), 0.5)
    assert schedule.next_poll(elapsed) == pytest.approx(next_poll)


def test_one_sparse_gap_stretches_rather_than_add_a_poll_and_unknown_runs_are_overdue_at_once():
    slack = PollSchedule(Expectation(low=1.8, high=3.0, typical=2.4, source="given"), 0.5)
    assert slack.next_poll(0) == pytest.approx(2.15)  # up to 1.1·s: one gap, not two
    unknown = PollSchedule(Expectation.unknown(), 0.5)
    times = unknown.times(until=30)
    assert times[:3] == pytest.approx([0.35, 0.535, 0.7385])  # w, then d + 0.1·overdue
    assert gaps(times)[-1] == pytest.approx(2.0)
    assert repr(slack) == "PollSchedule(window=1.80-3.00 s from given, gaps=2.00/0.35/0.15 s)"
    with pytest.raises(ValueError):
        PollSchedule(Expectation.unknown(), 0)


def test_a_steady_models_narrow_window_is_polled_inside_and_first_at_its_longest_run():
    steady = PollSchedule(Expectation.from_samples([2.0] * 20), 0.5)
    assert steady.times(until=2.3) == pytest.approx([2.0, 2.0673, 2.1308, 2.2844], abs=1e-4)

    def first_in_window(samples, **kwargs):
        schedule = PollSchedule(Expectation.from_samples(samples, **kwargs), 0.5)
        return next(t for t in schedule.times(until=4) if t >= schedule.expectation.low)

    # Within one dense gap of each other: the longest (the middle misses a third of the runs).
    assert first_in_window([2.000, 2.002, 2.004] * 7) == pytest.approx(2.004)
    spread = Expectation.from_samples([1.8, 2.0, 2.2] * 7)
    assert first_in_window([1.8, 2.0, 2.2] * 7) == pytest.approx((spread.low + spread.high) / 2)
    assert first_in_window([2.0, 2.004]) < 2.0  # two runs say little
    assert first_in_window([2.0], source="given") < 1.5


def test_every_next_poll_is_later_than_the_last_from_any_moment():
    # A slow answer or a retry may send a poll at any moment, even just before the first one.
    for expectation in (
        Expectation.from_samples([2.0] * 20),
        Expectation.from_samples([1.0, 2.0, 3.0]),
        Expectation(low=2.0, high=6.0, typical=4.0, source="given"),
        Expectation.unknown(),
    ):
        schedule = PollSchedule(expectation, 0.5)
        first = schedule.times(until=60)[0]
        for elapsed in (0.0, first - 0.3, first - 0.01, first - 1e-6, first, 5.0, 59.0):
            elapsed = max(0.0, elapsed)
            assert elapsed < schedule.next_poll(elapsed) <= elapsed + 2.2 + 1e-9


def test_the_expected_window_comes_from_durations_the_catalogue_or_nothing():
    def window(e):
        return (e.low, e.high, e.typical, e.source)

    assert window(Expectation.from_samples([2.0])) == pytest.approx((1.0, 3.0, 2.0, "learned"))
    many = Expectation.from_samples([1.0 + i / 10 for i in range(21)])  # 1.0 … 3.0
    assert (many.low, many.high) == pytest.approx((1 - 2 / 22, 3 + 2 / 22))
    # A run stuck in a queue (over 3 × the median) is left out; so are unusable values.
    queued = Expectation.from_samples([2.0, 2.0, float("nan"), -1.0, 2.0, 60.0])
    assert (queued.low, queued.high, queued.samples) == pytest.approx((1.5, 2.5, 3))
    assert Expectation.from_samples([2.0, 2.0, 2.0, 6.0]).longest == 6.0  # 3 × is still in
    assert Expectation.from_samples([0.0, 0.0, 5.0]).high == 6.25  # instant runs: none left out
    assert Expectation.from_samples([0.5, 0.5, 0.5, 5.0]).longest == 0.5
    with pytest.raises(ValueError):
        Expectation.from_samples([float("inf")])
    assert window(Expectation.from_typical(6.0)) == (3.0, 12.0, 6.0, "catalogue")
    assert window(Expectation.unknown()) == (0.0, 0.0, None, "unknown")
    memory = DurationMemory()
    assert window(memory.expect(PRO, {"prompt": "x"})) == (3.0, 12.0, 6.0, "catalogue")
    assert memory.expect(PRO, expected_seconds=20).source == "given"
    assert memory.expect(PRO, expected_seconds=float("nan")).source == "catalogue"
    assert memory.expect("someone/new-model").source == "unknown"
    assert memory.expect("").source == "unknown"


# -- the client on the schedule ------------------------------------------------------------------


@responses.activate
def test_run_does_not_poll_right_after_create_and_polls_most_near_completion(client, clock):
    api = FakeAPI(clock, duration=10.0, model=PRO)
    client.durations.seed(PRO, [9.0, 10.0, 11.0, 10.5, 9.5])
    client.run(PRO, {"prompt": "x"})
    offsets = api.poll_offsets
    assert offsets[0] > 1.0
    early = [t for t in offsets if t < 7.0]
    near = [t for t in offsets if 7.0 <= t <= 10.0]
    assert len(near) >= 2 * len(early)
    assert offsets[-1] - 10.0 < 0.375 + 1e-9  # seen within one window gap of completion


@responses.activate
def test_polls_count_from_the_answer_of_a_slow_create(client, clock):
    # The server stamps created_at 0.3 s after the create was sent, and the answer takes 0.1 s
    # more: counted from the sending, the first poll would come 0.3 s early and miss.
    api = FakeAPI(clock, duration=2.0, create_delays=(0.3, 0.1))
    client.durations.seed(SCHNELL, [2.0] * 20)
    client.run(SCHNELL, {"prompt": "x"})
    assert api.poll_offsets == [pytest.approx(2.1)]  # one poll, late by the answer's way back


@responses.activate
def test_a_client_learns_the_servers_durations_and_polls_less_the_next_time(client, clock):
    api = FakeAPI(clock, duration=10.0, model=PRO)
    client.run(PRO, {"prompt": "x"})
    assert "processing" in api.statuses  # checked against polls that saw it running…
    assert client.durations.samples(PRO) == [10.0]  # …and kept exact: the server's own figure
    learned = client.durations.expect(PRO, {"prompt": "x"})
    assert (learned.source, learned.typical) == ("learned", 10.0)
    first_run = len(api.polls)
    api.polls.clear()
    client.run(PRO, {"prompt": "x"})
    assert len(api.polls) < first_run
    assert sum(1 for t in api.poll_offsets if t < 5.0) <= 3  # sparse before [5, 15]


@responses.activate
@pytest.mark.parametrize("claimed", [0.05, 9.0])  # less than a poll saw, more than was waited
def test_a_duration_the_polls_contradict_is_not_learned_nor_the_servers_word_after(
    client, clock, claimed, caplog
):
    caplog.set_level(logging.INFO, logger="comet.client")
    api = FakeAPI(clock, duration=2.0, claimed=claimed)
    client.durations.seed(SCHNELL, [claimed] * 3)  # a history of the same server's timestamps
    client.run(SCHNELL, {"prompt": "x"})
    seen = list(zip(api.poll_offsets, api.statuses, strict=True))
    running = max(t for t, status in seen if status == "processing")
    done = min(t for t, status in seen if status == "succeeded")
    assert running < 2.0 <= done
    # Neither the claim nor the seeds taken on the server's word: the middle of what polls saw.
    assert client.durations.samples(SCHNELL) == [pytest.approx((running + done) / 2)]
    assert (
        f"Prediction {PID}: not learning the {claimed:.2f} s its timestamps claim (this client's "
        f"polls contradicted them, now or before); learned {(running + done) / 2:.2f} s from the "
        "polls"
    ) in caplog.text
    # Caught once, it is not believed again, even where no poll could tell (seen done at once).
    assert client.durations.learn(SCHNELL, claimed, Observation(None, 2.2)) == "observed"
    assert client.durations.seed(SCHNELL, [claimed]) == 0
    assert client.durations.samples(SCHNELL)[-1] == 2.2


@responses.activate
def test_expected_seconds_given_to_run_wins_on_the_clients_poll_interval(clock):
    api = FakeAPI(clock, duration=20.0, model=PRO)
    with CometClient("sk-poll-test-123456", BASE, 1.0, 120, sleep=clock.sleep, clock=clock) as slow:
        slow.durations.seed(PRO, [2.0] * 5)
        slow.run(PRO, {"prompt": "x"}, expected_seconds=20.0)
    window = PollSchedule(Expectation.from_samples([20.0]), poll_interval=1.0)
    assert api.poll_offsets[:3] == pytest.approx(window.times(until=30)[:3])


@responses.activate
def test_a_run_asking_for_more_work_is_expected_to_take_longer(client, clock):
    api = FakeAPI(clock, duration=5.0)
    client.durations.seed(SCHNELL, [2.0] * 20)  # one image takes 2 s: four, about 5 s
    client.run(SCHNELL, {"prompt": "x", "num_outputs": 4})
    assert api.poll_offsets == pytest.approx([5 / 3, 10 / 3, 5.0])  # sparse, then at 5 s


@responses.activate
@pytest.mark.parametrize("age", [4.0, 0.5, -3.0])  # -3: the server's clock is ahead of ours
def test_a_prediction_resumed_by_id_is_polled_at_once_then_timed_from_its_created_at(
    client, clock, age
):
    api = FakeAPI(clock, duration=10.0, model=PRO)
    clock.advance(100.0)
    api.created, api.stamped = clock.now - max(age, 0), clock.now - age  # by another process
    start = clock.now
    list(client.watch(PID))
    catalogue = PollSchedule(Expectation.from_typical(6.0), 0.5)  # PRO's window: [3, 12]
    seen = max(age, 0.0)  # a created_at in the future counts as now
    assert api.polls[0] == start  # at once
    assert gaps(api.polls)[0] == pytest.approx(catalogue.next_poll(seen) - seen)
    assert client.durations.samples(PRO) == [10.0]  # the server's word: nothing to contradict it


@responses.activate
def test_after_a_retry_after_the_next_poll_waits_exactly_that(client, clock):
    faults = [(429, {"Retry-After": "3"}), (503, {"Retry-After": "3"})]
    api = FakeAPI(clock, duration=30.0, model=PRO, faults=faults)
    client.durations.seed(PRO, [2.0] * 5)  # the schedule alone would poll every 0.15-0.4 s
    client.run(PRO, {"prompt": "x"})
    assert gaps(api.polls)[:2] == pytest.approx([3.0, 3.0], abs=1e-9)


@responses.activate
def test_a_create_throttled_without_retry_after_backs_off_and_is_then_accepted(client, clock):
    route = f"{BASE}/replicate/v1/models/{SCHNELL}/predictions"
    sent = []
    answers = [(429, {"detail": "slow down"}), (429, {"detail": "slow down"})]

    def create(request):
        sent.append(clock.now)
        if answers:
            status, body = answers.pop(0)
            return status, {}, json.dumps(body)
        return 201, {}, json.dumps({**load_fixture("create_flux_schnell.json"), "id": PID})

    responses.add_callback(responses.POST, route, callback=create)
    created = client.create_prediction(SCHNELL, {"prompt": "x"})
    assert created.id == PID and len(sent) == 3
    # No Retry-After: half to all of 0.5 s, then of 1 s (the backoff doubles per try).
    first, second = gaps(sent)
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


@responses.activate
def test_a_poll_waits_for_its_answer_no_longer_than_the_time_left(client, clock):
    FakeAPI(clock, duration=30.0, model=PRO)
    with pytest.raises(CometTimeout):
        client.run(PRO, {"prompt": "x"}, timeout=3.0)
    reads = [call.request.req_kwargs["timeout"][1] for call in responses.calls[1:]]
    assert reads and all(0.5 <= read <= 3.0 for read in reads)  # not the client's 20 s


@responses.activate
def test_a_resumed_prediction_never_answered_times_out_saying_its_status_is_unknown(client, clock):
    FakeAPI(clock, duration=30.0, model=PRO, faults=[(503, {"Retry-After": "1"})] * 10)
    with pytest.raises(CometTimeout) as raised:
        list(client.watch(PID, timeout=4.0))
    assert str(raised.value).startswith(f"Prediction {PID} is still unknown after 4 s.")


# -- what the durations memory keeps -------------------------------------------------------------


def test_durations_are_kept_apart_or_scaled_by_the_work_asked():
    memory = DurationMemory()
    memory.seed(SCHNELL, [2.0, 2.0, 2.0], input={"num_outputs": 1})
    # Four images: nothing measured at that size, so the one-image runs are scaled up.
    assert memory.expect(SCHNELL, {"num_outputs": 4}).typical == pytest.approx(2.0 * 5 / 2)
    memory.seed(SCHNELL, [7.0, 7.0, 7.0], input={"num_outputs": 4})
    assert memory.expect(SCHNELL, {"num_outputs": 4}).typical == pytest.approx(7.0)
    assert memory.expect(SCHNELL, {"num_outputs": 1}).typical == pytest.approx(2.0)
    for _ in range(3):
        memory.record(SCHNELL, 1.0, {"megapixels": "0.25"})
    memory.seed(SCHNELL, [1.0] * 3, input={"megapixels": "0.25"})
    assert memory.samples(SCHNELL, {"megapixels": "0.25"}) == [1.0] * 6
    nothing_learned = DurationMemory().expect(SCHNELL, {"num_outputs": 4})
    assert nothing_learned.typical == pytest.approx(1.5 * 5 / 2)  # the catalogue's, scaled


def test_the_servers_word_is_dropped_once_caught_wrong_and_the_clients_own_is_kept():
    memory = DurationMemory(limit=3)
    memory.record(SCHNELL, 1.0, reported=False)  # this client's own estimate
    memory.record(SCHNELL, 0.05)  # the server's timestamps
    assert memory.learn(SCHNELL, 0.05, Observation(1.0, 3.0)) == "observed"
    assert memory.samples(SCHNELL) == [1.0, 2.0]
    memory.record(SCHNELL, 2.5, reported=False)
    memory.record(SCHNELL, 2.6, reported=False)
    assert memory.samples(SCHNELL) == [2.0, 2.5, 2.6]  # still at most its limit


DEV, FLUX_PRO, FLUX_2_PRO = (
    f"black-forest-labs/{n}" for n in ("flux-dev", "flux-pro", "flux-2-pro")
)
# fmt: off
WORK = [  # (model, input, work relative to the defaults)
    (SCHNELL, None, 1.0), (SCHNELL, {"num_outputs": 4}, 4.0),
    (SCHNELL, {"megapixels": "0.25"}, 0.25),
    (SCHNELL, {"num_outputs": True, "megapixels": "lots"}, 1.0),  # unreadable: the defaults
    (SCHNELL, {"megapixels": 0.25}, 0.25), (SCHNELL, {"megapixels": 0}, 1.0),
    (SCHNELL, {"megapixels": True}, 1.0), (FLUX_2_PRO, {"resolution": "0 MP"}, 1.0),
    (DEV, {"num_inference_steps": 56}, 2.0), (FLUX_2_PRO, {"resolution": "2 MP"}, 2.0),
    (FLUX_PRO, {"aspect_ratio": "custom", "width": 2000, "height": 1000}, 2.0),
    ("someone/new-model", {"num_outputs": 3}, 3.0),
]
# fmt: on


@pytest.mark.parametrize(("model", "values", "units"), WORK)
def test_work_units_fold_images_steps_and_pixels_into_one_number(model, values, units):
    assert work_units(model, values) == pytest.approx(units)


def test_each_prediction_is_learned_once_and_only_recent_usable_durations_count():
    memory = DurationMemory(limit=3)
    # Seeds are older than what is recorded, newest first, and only fill the room there is.
    assert memory.seed(SCHNELL, [5.0, 6.0, 7.0, 8.0]) == 3 and memory.seed("", [1.0]) == 0
    assert memory.record(SCHNELL, 2.0, prediction_id="abc")
    assert not memory.record(SCHNELL, 3.0, prediction_id="abc")
    assert memory.learn(SCHNELL, 3.0, Observation(1.0, 3.0), prediction_id="abc") is None
    for unusable in (float("nan"), -1.0, True, "2"):
        assert not memory.record(SCHNELL, unusable)
    assert not memory.record("", 2.0) and memory.learn("", 2.0, None) is None
    assert memory.samples(SCHNELL) == [6.0, 5.0, 2.0]
    assert repr(memory) == f"DurationMemory({{'{SCHNELL}': 3}})"
    recent = DurationMemory()
    for i in range(25):
        recent.record(SCHNELL, float(i))
    assert recent.samples(SCHNELL) == [float(i) for i in range(5, 25)]


# fmt: off
SEEN = [  # (what the polls saw, the server's duration, contradicted?, the client's own estimate)
    (Observation(1.0, 3.0), 2.0, False, 2.0),  # seen running at 1 s, done at 3 s: the middle
    (Observation(1.0, 3.0), 0.5, True, 2.0),  # a later poll still saw it running
    (Observation(1.0, 3.0), 0.75, False, 2.0),  # within the slack of 0.25 s
    (Observation(1.0, 3.0), 3.25, False, 2.0),
    (Observation(1.0, 3.0, create_round_trip=0.5), 3.7, False, 2.0),
    (Observation(1.0, 3.0, create_round_trip=0.5), 3.8, True, 2.0),  # longer than waited
    (Observation(None, 3.0, expected_shortest=2.5), 2.0, False, 2.5),  # done at the first poll
    (Observation(None, 3.0, expected_shortest=4.0), 2.0, False, 3.0),
    (Observation(None, 3.0, expected_shortest=0.5), 2.0, False, 0.5),
]
# fmt: on


@pytest.mark.parametrize(("seen", "seconds", "contradicted", "estimate"), SEEN)
def test_what_the_polls_saw_checks_the_servers_duration(seen, seconds, contradicted, estimate):
    assert seen.contradicts(seconds) is contradicted
    assert seen.estimate() == estimate


def test_the_servers_duration_is_read_from_its_timestamps():
    def prediction(created, completed):
        return Prediction(id="a", created_at=created, completed_at=completed)

    assert prediction_seconds(prediction("2026-01-01T00:00:00Z", "2026-01-01T00:00:02.5Z")) == 2.5
    assert prediction_seconds(prediction("2026-01-01T00:00:02Z", "2026-01-01T00:00:00Z")) is None
    assert prediction_seconds(prediction("2026-01-01T00:00:00Z", None)) is None
    assert parse_timestamp("2026-01-01T00:00:00.123456789Z") == pytest.approx(1767225600.123457)
    assert parse_timestamp("soon") is None


def test_durations_are_seeded_from_history_per_image_count(tmp_path):
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
        memory = DurationMemory()
        assert seed_from_history(memory, history, [PRO, "someone/new-model"]) == 0
        assert seed_from_history(memory, history, limit=1) == 2  # the newest of each count
        assert memory.samples(SCHNELL, {"num_outputs": 4}) == [6.0, 2.5]
        memory = DurationMemory()
        assert seed_from_history(memory, history) == 4
    assert memory.samples(SCHNELL, {"num_outputs": 1}) == [1.5, 2.5, 1.0]  # oldest first
    # Fewer than three four-image runs: the one-image runs count too, scaled up by 5/2.
    assert memory.samples(SCHNELL, {"num_outputs": 4}) == [6.0, 3.75, 6.25, 2.5]


# -- against the simulator ----------------------------------------------------------------------


def test_the_client_learns_each_run_once_from_the_simulators_timestamps(simulator, client_for):
    client = client_for(simulator)
    first = client.run(SCHNELL, {"prompt": "x"})
    client.run(SCHNELL, {"prompt": "y"})
    list(client.watch(client.get_prediction(first.id)))  # done already: yielded, not learned
    assert len(polls(simulator)) == 3
    samples = client.durations.samples(SCHNELL)
    assert len(samples) == 2 and all(0 <= s < 0.5 for s in samples)


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
        assert prediction_seconds(last) == pytest.approx(claimed or 2.0, abs=0.002)
    assert polls_sent[0.05] <= 1.5 * polls_sent[None]
