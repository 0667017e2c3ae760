"""Fault injection: the jobs layer and the app against the simulator's fault switches.

Each fault ends in one of two ways: the run succeeds with its images saved, or it stops with a
message a person can act on while the prediction's id stays in history. Each test's ledger
checks, when the test ends, that every prediction its simulators created is in a history file.

No test races the wall clock: job clients sleep on a FakeClock, a simulator that must stay
mid-run runs on one until the test moves it on, and a hang lasts until the test is over.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from comet.errors import CometConnectionError, CometTimeout, ServerError
from comet.history import History
from comet.jobs import JobUpdate, follow_job, start_job
from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.page_support import Page, visitor
from tests.support import (
    APP,
    DEADLINE,
    CleanEnv,
    FakeClock,
    clean_env,
    creates,
    free_port,
    polls,
    start_python,
    wait_for,
)

MODEL = "black-forest-labs/flux-schnell"
APP_START_DEADLINE = 120.0  # `python app.py` imports gradio (about 5 s on an idle machine)
HANG = DEADLINE  # a hang that outlasts any test; stopping the simulator ends it
LATER = 3600.0  # how far to move a simulator's FakeClock for every run on it to have finished


# -- helpers ----------------------------------------------------------------------------------


def downloads(sim: Simulator) -> list:
    return [r for r in sim.received if r.method == "GET" and r.path.startswith("/delivery/")]


def run_job(client, history: History, out: Path, prompt: str = "a lighthouse") -> list[JobUpdate]:
    updates = start_job(client, MODEL, {"prompt": prompt}, output_dir=out, history=history)
    return list(updates)


def assert_readable_images(paths) -> None:
    assert paths, "no image was saved"
    for path in paths:
        with Image.open(path) as image:
            image.load()
            assert image.size[0] > 0


def assert_saved(final: JobUpdate, history: History) -> None:
    """The run succeeded, its images are on disk and readable, and history says so."""
    assert final.stage == "saved"
    assert final.prediction.succeeded
    assert final.save_error is None
    assert_readable_images(final.files)
    entry = history.get(final.prediction.id)
    assert entry is not None
    assert entry.status == "succeeded"
    assert entry.files == [str(Path(p).resolve()) for p in final.files]
    assert entry.save_error is None


def gallery_ids(gallery: list) -> list[str]:
    """Prediction ids of the files a run shows: saved files are named <id>-<index>.<ext>."""
    return [Path(path).name.split("-")[0] for path in gallery]


def app_settings(sim: Simulator, out: Path, **kwargs: Any) -> AppSettings:
    """The app in CometAPI mode against one simulator, polling fast."""
    kwargs.setdefault("poll_interval", 0.02)
    return AppSettings(owner_key="k", base_url=sim.base_url, output_dir=out, **kwargs)


class Ledger:
    """Simulators and history files of one test, accounted for when it ends."""

    def __init__(self) -> None:
        self.sims: list[Simulator] = []
        self.paths: list[Path] = []
        self.open: list[History] = []

    def simulator(self, **kwargs: Any) -> Simulator:
        kwargs.setdefault("time_scale", 0.0)
        kwargs.setdefault("image_size", 64)
        sim = Simulator(**kwargs).start()
        self.sims.append(sim)
        return sim

    def history(self, directory: Path) -> History:
        history = History.in_directory(directory)
        self.open.append(history)
        self.track(history.path)
        return history

    def track(self, path: Path) -> None:
        self.paths.append(Path(path))


@pytest.fixture
def ledger():
    """Request it before connect and launch_app, so the apps close before the simulators stop.

    When the test ends: no simulator answered an internal error, and every prediction a
    simulator created is in one of the test's history files.
    """
    book = Ledger()
    yield book
    for history in book.open:
        history.close()
    errors: list[str] = []
    created: set[str] = set()
    recorded: set[str] = set()
    for sim in book.sims:
        sim.stop()
        errors.extend(sim.errors)
        created.update(sim.predictions)
    for path in book.paths:
        if path.exists():
            with History(path) as history:
                recorded.update(entry.id for entry in history.list(limit=1_000_000))
    assert errors == [], f"the simulator answered internal errors: {errors}"
    assert created <= recorded, f"created but in no history: {sorted(created - recorded)}"


@pytest.fixture
def clock():
    """The job client's clock: it waits without sleeping."""
    return FakeClock()


@pytest.fixture
def job_env(ledger, client_for, clock, tmp_path):
    """A fast simulator, a client for it, a history file and an output folder.

    clock.waited(n) is how long the client waited after the simulator's nth request.
    """
    sim = ledger.simulator()
    clock.mark = lambda: len(sim.received)
    out = tmp_path / "out"
    return sim, client_for(sim, clock=clock, sleep=clock.sleep), ledger.history(out), out


# -- the jobs layer: each fault ends saved, or stopped with the prediction's id kept -----------


def test_a_throttled_create_waits_retry_after_and_creates_once(job_env, clock):
    sim, client, history, out = job_env
    sim.add_fault("create", status=429, retry_after=0.3, times=2)

    final = run_job(client, history, out)[-1]

    assert_saved(final, history)
    assert len(creates(sim)) == 3  # two refused, one accepted
    assert list(sim.predictions) == [final.prediction.id]
    assert [clock.waited(1), clock.waited(2)] == pytest.approx([0.3, 0.3])  # Retry-After


def test_polls_survive_throttling_error_pages_garbage_drops_and_odd_statuses(
    job_env, clock, caplog
):
    sim, client, history, out = job_env
    sim.add_fault("create", status_value="weird")
    sim.add_fault("get", status=429, retry_after=0.2)
    sim.add_fault("get", status=524)  # Cloudflare's origin timeout, as an HTML page
    sim.add_fault("get", malformed=True)
    sim.add_fault("get", drop=True)
    sim.add_fault("get", status_value="weird")
    caplog.set_level(logging.WARNING, logger="comet.client")
    updates, stored = [], []

    for update in start_job(client, MODEL, {"prompt": "a fox"}, output_dir=out, history=history):
        updates.append(update)
        stored.append(history.get(update.prediction.id).status)

    assert_saved(updates[-1], history)
    assert len(creates(sim)) == 1 and len(polls(sim)) == 6  # four failed, one odd, one done
    # An unknown status counts as still running, and is stored as one of the five.
    assert [u.prediction.status for u in updates[:2]] == stored[:2] == ["processing"] * 2
    assert clock.waited(2) == pytest.approx(0.2)  # request 2 is the throttled poll
    assert "server error (HTTP 524 (<html>" in caplog.text  # a page became a short message
    assert "not valid JSON" in caplog.text and caplog.text.count("Poll of") == 4


def test_a_create_that_may_have_arrived_is_not_resent_and_nothing_is_recorded(job_env):
    sim, client, history, out = job_env
    for fault, error, said in (
        ({"malformed": True}, ServerError, "not valid JSON"),
        ({"drop": True}, CometConnectionError, "not retried so that you do not pay twice"),
    ):
        sim.add_fault("create", **fault)
        with pytest.raises(error) as info:
            run_job(client, history, out)
        assert said in info.value.message
    assert len(creates(sim)) == 2  # once each: either might have been billed
    assert sim.predictions == {} and history.count() == 0


def test_a_poll_hanging_past_the_read_timeout_is_abandoned_and_retried(
    ledger, client_for, clock, tmp_path, caplog
):
    sim = ledger.simulator()
    history = ledger.history(tmp_path / "out")
    client = client_for(sim, read_timeout=0.5, clock=clock, sleep=clock.sleep)
    sim.add_fault("get", delay=HANG)  # only the first poll hangs
    caplog.set_level(logging.WARNING, logger="comet.client")

    final = run_job(client, history, tmp_path / "out")[-1]

    assert_saved(final, history)
    assert "did not answer within 0.5 s" in caplog.text
    assert len(polls(sim)) == 2


def test_polls_hanging_until_the_deadline_end_with_a_resumable_timeout(
    ledger, client_for, clock, tmp_path
):
    sim = ledger.simulator()
    out = tmp_path / "out"
    history = ledger.history(out)
    client = client_for(sim, read_timeout=0.5, timeout=1.0, clock=clock, sleep=clock.sleep)
    sim.add_fault("get", delay=HANG, times=50)
    job = start_job(client, MODEL, {"prompt": "a kite"}, output_dir=out, history=history)

    created = next(job)
    with pytest.raises(CometTimeout) as info:
        list(job)

    prediction_id = created.prediction.id
    assert info.value.prediction_id == prediction_id
    assert f"python -m comet get {prediction_id}" in info.value.message
    assert history.get(prediction_id).status == "starting"  # recorded, marked unfinished
    assert [e.id for e in history.unfinished()] == [prediction_id]

    sim.clear_faults()
    final = list(follow_job(client, prediction_id, output_dir=out, history=history))[-1]
    assert_saved(final, history)
    assert history.unfinished() == []


def test_simulator_restarted_mid_run_the_run_still_finishes(ledger, client_for, tmp_path, caplog):
    sim_clock = FakeClock()
    sim = ledger.simulator(time_scale=1.0, clock=sim_clock)  # mid-run until the clock moves
    out = tmp_path / "out"
    history = ledger.history(out)
    client = client_for(sim)
    caplog.set_level(logging.WARNING, logger="comet.client")
    port = sim.port
    updates: list[JobUpdate] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            updates.extend(run_job(client, history, out, "a windmill"))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    wait_for(lambda: polls(sim), "the first poll")
    sim.stop()
    wait_for(lambda: "Could not reach" in caplog.text, "a poll to fail while the server is down")
    prediction_id = next(iter(sim.predictions))
    assert history.get(prediction_id).status == "starting"  # mid-run
    sim.start()
    assert sim.port == port
    sim_clock.advance(LATER)
    thread.join(timeout=DEADLINE)

    assert not thread.is_alive(), "the run did not finish after the simulator came back"
    assert failures == []
    assert updates[-1].prediction.id == prediction_id
    assert_saved(updates[-1], history)
    assert len(creates(sim)) == 1


def test_outputs_expired_before_saving_end_with_a_save_error_in_history(job_env):
    sim, client, history, out = job_env
    job = start_job(client, MODEL, {"prompt": "a tram"}, output_dir=out, history=history)
    created = next(job)
    sim.expire_outputs()  # after success, before the client has polled or downloaded anything

    final = list(job)[-1]

    assert final.stage == "saved" and final.prediction.succeeded
    assert final.files == []
    assert "could not be saved" in final.save_error
    assert "expired (HTTP 410)" in final.save_error
    entry = history.get(created.prediction.id)
    assert entry.status == "succeeded"
    assert entry.save_error == final.save_error
    assert entry.files == []
    assert entry.output == final.prediction.output  # the URLs are kept, for the record


def test_resuming_a_saved_prediction_after_its_urls_expired_keeps_its_files(job_env):
    sim, client, history, out = job_env
    first = run_job(client, history, out, "a quiet harbour")[-1]
    assert_saved(first, history)
    saved = [path.read_bytes() for path in first.files]
    sim.expire_outputs()

    again = list(follow_job(client, first.prediction.id, output_dir=out, history=history))[-1]

    assert again.files == first.files
    assert again.save_error is None
    assert [path.read_bytes() for path in again.files] == saved
    assert_saved(again, history)
    assert len(downloads(sim)) == 1  # fetched once, before the URL expired


# -- the app (its handlers: tests/page_support.py) -----------------------------------------


@pytest.fixture
def open_app(ledger, tmp_path):
    """The app's handlers in CometAPI mode on a simulator; each app's history is accounted for."""
    pages: list[Page] = []

    def open_page(sim: Simulator, **kwargs: Any) -> Page:
        page = Page(app_settings(sim, tmp_path / "outputs", **kwargs))
        ledger.track(page.services.history.path)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


def test_app_429_burst_on_create_and_polls_succeeds_with_one_prediction(ledger, open_app):
    sim = ledger.simulator()
    app = open_app(sim)
    sim.add_fault("create", status=429, retry_after=0.2, times=2)
    sim.add_fault("get", status=429, retry_after=0.2, times=2)

    final = app.run("a red bicycle", MODEL)[-1]

    assert final["status"].startswith("**Succeeded"), final["status"]
    [prediction_id] = sim.predictions
    assert len(creates(sim)) == 3
    assert gallery_ids(final["gallery"]) == [prediction_id]
    assert_readable_images(final["gallery"])
    assert app.services.history.get(prediction_id).status == "succeeded"


def test_app_429_on_every_create_says_rate_limited_and_nothing_is_created(ledger, open_app):
    sim = ledger.simulator()
    app = open_app(sim)
    sim.add_fault("create", status=429, retry_after=0.1, times=3)

    final = app.run("a red bicycle", MODEL)[-1]

    assert final["status"].startswith("**Rate limited by CometAPI.**"), final["status"]
    assert "Traceback" not in final["status"]
    assert final["gallery"] is None  # the placeholder goes
    assert len(creates(sim)) == 3  # the client's whole allowance, then it gave up
    assert sim.predictions == {}
    assert app.services.history.count() == 0


def test_app_5xx_pages_on_polls_are_survived(ledger, open_app):
    sim = ledger.simulator()
    app = open_app(sim)
    for status_code in (500, 502, 503):
        sim.add_fault("get", status=status_code)

    final = app.run("a green door", MODEL)[-1]

    assert final["status"].startswith("**Succeeded"), final["status"]
    [prediction_id] = sim.predictions
    assert gallery_ids(final["gallery"]) == [prediction_id]
    assert len(creates(sim)) == 1
    assert len(polls(sim)) == 4
    assert app.services.history.get(prediction_id).files


def test_app_5xx_until_the_deadline_names_the_prediction_and_resume_brings_its_images(
    ledger, open_app
):
    sim = ledger.simulator()
    app = open_app(sim, timeout=2.0)
    sim.add_fault("get", status=503, times=1000)

    final = app.run("a moth", MODEL)[-1]

    [prediction_id] = sim.predictions
    assert final["status"].startswith("**Still waiting after the time limit.**"), final["status"]
    assert f"`{prediction_id}` is saved in History" in final["status"]
    assert final["gallery"] is None
    assert app.services.history.get(prediction_id).status == "starting"

    sim.clear_faults()
    resumed = list(app.history.resume(prediction_id))[-1]

    assert resumed["status"].startswith("**Resumed: succeeded**"), resumed["status"]
    assert gallery_ids(resumed["gallery"]) == [prediction_id]
    entry = app.services.history.get(prediction_id)
    assert entry.status == "succeeded"
    assert_readable_images(entry.files)
    assert len(creates(sim)) == 1


def test_app_saved_images_still_show_after_the_delivery_urls_expire(ledger, open_app):
    sim = ledger.simulator()
    app = open_app(sim)

    final = app.run("a glass whale", MODEL)[-1]

    assert final["status"].startswith("**Succeeded"), final["status"]
    [prediction_id] = sim.predictions
    saved = [Path(p).read_bytes() for p in app.services.history.get(prediction_id).files]
    sim.expire_outputs()
    delivery_url = sim.predictions[prediction_id].output_urls(sim.base_url)[0]
    assert requests.get(delivery_url, timeout=DEADLINE).status_code == 410
    # Resuming it by id shows the saved images and leaves the record of them intact.
    resumed = list(app.history.resume(prediction_id))[-1]

    assert resumed["status"].startswith("**Resumed: succeeded**"), resumed["status"]
    assert [Path(p).read_bytes() for p in resumed["gallery"]] == saved
    entry = app.services.history.get(prediction_id)
    assert [Path(p).read_bytes() for p in entry.files] == saved
    assert entry.save_error is None


def test_app_outputs_expiring_before_saving_warn_and_keep_the_id(ledger, open_app):
    sim = ledger.simulator(url_ttl=0)  # a delivery URL has expired by the time it is fetched
    app = open_app(sim)

    final = app.run("a paper crane", MODEL)[-1]

    [prediction_id] = sim.predictions
    assert final["status"].startswith("**Succeeded"), final["status"]
    assert "⚠️ 1 of 1 image could not be saved" in final["status"]
    assert "the delivery URL has expired (HTTP 410)" in final["status"]
    assert final["gallery"] == []
    entry = app.services.history.get(prediction_id)
    assert entry.status == "succeeded"
    assert "expired (HTTP 410)" in entry.save_error
    assert entry.files == []


def _start_app(env: CleanEnv, cwd: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`python <repo>/app.py` in cwd on a free port, logging to a file; returns once it answers."""
    port = free_port()
    with open(log_path, "ab") as log_file:
        process = start_python(
            [str(APP)],
            cwd=cwd,
            env=env.updated(GRADIO_SERVER_PORT=str(port)),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"app.py exited early:\n{log_path.read_text()[-3000:]}")
        try:
            return requests.get(url, timeout=DEADLINE).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answers, "app.py to serve", timeout=APP_START_DEADLINE)
    return process, url


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(timeout=DEADLINE)


def test_app_killed_mid_run_and_restarted_resumes_the_prediction(
    ledger, connect, open_app, tmp_path
):
    sim_clock = FakeClock()
    sim = ledger.simulator(time_scale=1.0, clock=sim_clock)  # mid-run until the clock moves
    out = tmp_path / "outputs"
    ledger.track(out / "history.sqlite3")
    env = clean_env(
        tmp_path,
        COMET_API_KEY="k",
        COMET_BASE_URL=sim.base_url,
        COMET_OUTPUT_DIR=str(out),
        COMET_POLL_INTERVAL="0.05",
    )
    log_path = tmp_path / "app.log"
    first = None
    try:
        first, url = _start_app(env, tmp_path, log_path)
        connect(url).submit(prompt="a lantern in fog", model=MODEL, api_name="/generate")

        def recorded() -> list:
            if not creates(sim):
                return []
            with History.in_directory(out) as history:
                return history.list()

        [entry] = wait_for(recorded, "the app to create and record a prediction")
        prediction_id = entry.id
        assert list(sim.predictions) == [prediction_id]
        assert entry.status == "starting"
        first.kill()  # SIGKILL: no clean-up of any kind
        first.wait(timeout=DEADLINE)
        sim_clock.advance(LATER)  # it finished on CometAPI while the app was down

        # Started again on the same folder (in-process: the restart is about what was kept).
        restarted = open_app(sim)
        assert [e.id for e in restarted.services.history.unfinished()] == [prediction_id]
        updates = list(restarted.history.resume(prediction_id, None, visitor()))

        assert "succeeded" in updates[-1]["status"].lower(), updates[-1]["status"]
        assert_readable_images(updates[-1]["gallery"])
        assert_readable_images(sorted(out.glob(f"{prediction_id}-*.webp")))
        with History.in_directory(out) as history:
            entry = history.get(prediction_id)
            assert entry.status == "succeeded"
            assert history.unfinished() == []
        assert len(creates(sim)) == 1
    finally:
        _stop(first)


def test_two_users_generating_at_once_each_get_only_their_own_images(ledger, open_app):
    sim_clock = FakeClock()
    sim = ledger.simulator(time_scale=1.0, clock=sim_clock)  # runs wait for the clock to move
    app = open_app(sim)
    prompts = {"alice": "a lighthouse at dusk", "bob": "a submarine in a teacup"}
    runs = {
        user: app.start(prompt, MODEL, request=visitor(user, f"10.0.0.{n}"))
        for n, (user, prompt) in enumerate(prompts.items())
    }
    seen = {user: [next(run)] for user, run in runs.items()}  # both Submitting…

    wait_for(lambda: len(sim.predictions) == 2, "both users' predictions to be created")
    wait_for(lambda: len({r.path for r in polls(sim)}) == 2, "both runs to be waiting")
    id_for_prompt = {p.input["prompt"]: p.id for p in sim.predictions.values()}
    sim_clock.advance(LATER)  # both finish now, while both are being waited on

    for user, run in runs.items():
        updates = seen[user] + list(run)
        own = id_for_prompt[prompts[user]]
        assert updates[-1]["status"].startswith("**Succeeded"), updates[-1]["status"]
        assert gallery_ids(updates[-1]["gallery"]) == [own]
        assert updates[-1]["run_state"]["id"] == own
        said = " ".join(u["status"] for u in updates)
        assert not any(other in said for other in set(id_for_prompt.values()) - {own})
    assert len(creates(sim)) == 2
