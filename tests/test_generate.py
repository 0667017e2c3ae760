"""Generate and Stop (webui/generate_tab.py, stopping.py, runs.py), through their handlers.

Most tests share one page on a fast simulator; those that stop a run use a simulator on a fake
clock, so a prediction finishes only when the test moves the clock on.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from comet.metadata import read_settings
from comet.models import MODELS, get_model
from comet.simulator import Simulator
from tests.page_support import (
    DEV,
    non_default_values,
    open_page,
    sent,
    visitor,
)
from tests.support import DEADLINE, FakeClock, creates, polls, wait_for
from webui import stopping
from webui.runs import RunTicket

PROMPT = "a lighthouse on a cliff at dusk"
IMAGE_URL = "https://example.com/a.png"  # never fetched: the simulator draws a placeholder


@pytest.fixture
def held(tmp_path):
    """A page (one run at a time per visitor) whose predictions end when the clock moves."""
    clock = FakeClock()
    with (
        Simulator(time_scale=1.0, image_size=64, clock=clock) as sim,
        open_page(tmp_path / "out", sim, max_concurrent_per_visitor=1) as page,
    ):
        yield SimpleNamespace(page=page, sim=sim, clock=clock)


def saved_entry(page, prediction_id: str):
    """Wait until History has the prediction's images saved; the entry."""
    history = page.services.history
    return wait_for(
        lambda: (entry := history.get(prediction_id)) and entry.files and entry,
        f"the images of {prediction_id} to be saved",
    )


# -- a run ---------------------------------------------------------------------------------------


def test_generate_says_submitting_first_then_shows_the_saved_images_and_seed(page, sim):
    updates = page.run(seed=42, randomize_seed=False)
    assert updates[0]["status"] == "Submitting…"
    final = updates[-1]
    assert final["status"].startswith("**Succeeded in") and "demo placeholder" in final["status"]
    [path] = final["gallery"]
    assert Path(path).parent == page.services.output_dir.resolve() and Path(path).is_file()
    assert final["seed_used"] == 42
    prediction_id = final["run_state"]["id"]
    assert prediction_id in sim.predictions and final["run_state"]["done"] is True
    assert any(f"prediction `{prediction_id}`" in u["status"] for u in updates[1:-1])


def test_while_waiting_the_gallery_holds_a_placeholder_of_the_runs_shape(page):
    updates = page.run(model="flux-dev", aspect_ratio="16:9", num_outputs=2)  # a short name
    [(placeholder, caption)] = updates[0]["gallery"]
    with Image.open(placeholder) as image:
        assert image.size == (480, 270)
    assert caption == "Generating…"
    assert len(updates[-1]["gallery"]) == 2 and " · 2 images · " in updates[-1]["status"]
    entry = page.services.history.get(updates[-1]["run_state"]["id"])
    assert entry.model == DEV


def test_a_bad_field_is_refused_by_name_and_nothing_is_sent(page, sim):
    new = sent(sim)
    final = page.run(model=DEV, num_inference_steps=99)[-1]
    assert '"num_inference_steps" must be between 1 and 50, got 99' in final["status"]
    assert final["gallery"] is None  # the placeholder goes
    assert new() == []


def page_values(spec) -> dict:
    """What the page sends for `spec`: its own fields set to non-default values, and every
    other model's widget (hidden, still sent) holding a value of its own."""
    values = {}
    for other in MODELS.values():
        values |= non_default_values(other)
    return values | non_default_values(spec) | {"upload": None, "image_urls": ""}


@pytest.mark.parametrize("model", list(MODELS))
def test_each_model_sends_exactly_the_values_of_its_own_form_fields(page, sim, model):
    spec = get_model(model)
    new = sent(sim)
    final = page.run(PROMPT, model, seed=4242, randomize_seed=False, **page_values(spec))[-1]
    assert final["status"].startswith("**Succeeded"), final["status"]
    [create] = new()
    assert create.path.endswith(f"/models/{model}/predictions")
    assert create.json == {"input": {"prompt": PROMPT, "seed": 4242, **non_default_values(spec)}}


def decoded(uri: str) -> tuple[tuple[int, int], tuple[int, ...]]:
    """(size, top-left pixel) of the image in a data:image/...;base64 URI."""
    header, _, payload = uri.partition(",")
    assert header.startswith("data:image/") and header.endswith(";base64"), header
    with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
        return image.size, image.convert("RGB").getpixel((0, 0))


@pytest.mark.parametrize("model", [m for m, spec in MODELS.items() if spec.image_field])
def test_each_image_model_sends_an_upload_inline_and_a_url_as_typed(page, sim, tmp_path, model):
    spec = get_model(model)
    many = spec.field(spec.image_field).kind == "images"
    red, green = tmp_path / "red.png", tmp_path / "green.png"
    Image.new("RGB", (48, 32), (200, 30, 30)).save(red)
    Image.new("RGB", (40, 40), (30, 200, 30)).save(green)
    new = sent(sim)

    uploaded = page.run(PROMPT, model, upload=[str(red), str(green)] if many else str(red))
    page.run(PROMPT, model, image_urls=IMAGE_URL)

    by_upload, by_url = (create.json["input"][spec.image_field] for create in new())
    if many:
        assert [decoded(uri) for uri in by_upload] == [
            ((48, 32), (200, 30, 30)),
            ((40, 40), (30, 200, 30)),
        ]
        assert by_url == [IMAGE_URL]
    else:
        assert decoded(by_upload) == ((48, 32), (200, 30, 30))
        assert by_url == IMAGE_URL
    # the saved image keeps its settings, but not megabytes of upload
    [saved] = uploaded[-1]["gallery"][:1]
    embedded = read_settings(saved)["input"][spec.image_field]
    assert all(item.endswith("bytes, omitted)") for item in (embedded if many else [embedded]))


def test_the_run_is_created_and_saved_while_its_status_lines_wait_for_the_page(held):
    run = held.page.start(num_outputs=2)
    assert next(run)["status"] == "Submitting…"  # Gradio asks for more only once it arrived
    [prediction_id] = wait_for(lambda: list(held.sim.predictions), "the create, unasked")
    # polled on, unasked, long enough for more than one progress line (PROGRESS_EVERY)
    wait_for(lambda: len(polls(held.sim)) >= 30, "the run to poll on")
    held.clock.advance(60)  # done on the server
    entry = saved_entry(held.page, prediction_id)  # with nobody asking for the next line
    rest = list(run)
    assert rest[-1]["status"].startswith("**Succeeded")
    assert rest[-1]["gallery"] == held.page.services.shown(entry.files)
    assert [u for u in rest if "gallery" not in u] == []  # progress the result superseded
    # but every image as it was saved, one by one
    assert [len(u["gallery"]) for u in rest if "gallery" in u] == [1, 2]


def test_reuse_seed_puts_the_last_seed_back_and_stops_randomizing(page):
    assert page.generate.reuse_seed(1234) == {"seed": 1234, "randomize_seed": False}
    assert page.generate.reuse_seed(None) == {}  # no run yet: nothing changes


# -- Stop ----------------------------------------------------------------------------------------


def test_stop_before_anything_was_created_says_nothing_was_sent(page, sim):
    new = sent(sim)
    run = page.start("a boat", DEV, num_inference_steps=99)  # refused before any create
    run_state = next(run)["run_state"]
    run.close()
    stopped = page.generate.stop(run_state)
    assert stopped["status"].startswith("Stopped before a prediction was created: nothing was")
    assert stopped["gallery"] is None and stopped["stop"]["interactive"] is False
    assert new() == []


def test_stop_during_submitting_names_the_prediction_and_a_follower_saves_it_holding_the_slot(
    held,
):
    page = held.page
    run = page.start()
    run_state = next(run)["run_state"]  # all the page knows: Submitting…, no id yet
    run.close()  # Stop cancels the run, while its create is in flight or just done
    stopped = page.generate.stop(run_state)
    [prediction_id] = held.sim.predictions
    assert stopped["status"].startswith("**Stopped waiting.**")
    assert f"prediction `{prediction_id}` may still finish" in stopped["status"]
    refused = page.run()[-1]["status"]  # the stopped run still holds the visitor's one slot
    assert "You already have 1 runs in progress (the limit is 1)" in refused
    assert len(creates(held.sim)) == 1
    held.clock.advance(60)  # the prediction finishes on the server
    entry = saved_entry(page, prediction_id)
    assert entry.status == "succeeded" and Path(entry.files[0]).is_file()
    held.sim.time_scale = 0.0  # a later run ends at once
    wait_for(
        lambda: page.run()[-1]["status"].startswith("**Succeeded"),
        "the slot to come back once the prediction ended",
    )


def test_stop_before_the_runs_first_line_reached_the_page_names_its_prediction(held):
    """The page shows its own "Submitting…" over no state of this run yet: Stop finds the run
    the page's session started last, and says what it created."""
    stop = held.page.generate.stop
    run = held.page.start(request=visitor("page-1"))
    next(run)  # handled, but not given to Stop: it has not reached the page
    [prediction_id] = wait_for(lambda: list(held.sim.predictions), "the create")
    run.close()
    elsewhere = stop({"id": None}, "Submitting…", visitor("page-2"))
    assert "nothing was sent" in elsewhere["status"]  # that page started nothing
    stopped = stop({"id": None}, "Submitting…", visitor("page-1"))
    assert f"prediction `{prediction_id}` may still finish" in stopped["status"]
    assert "status" not in stop(stopped["run_state"], stopped["status"], visitor("page-1"))
    # the page's own "Submitting…" over the stopped run: the next run never started
    again = stop(stopped["run_state"], "Submitting…", visitor("page-1"))["status"]
    assert "nothing was sent" in again and prediction_id not in again


@pytest.mark.parametrize(
    ("run_state", "shown", "said"),
    [
        pytest.param({"id": None}, None, "nothing was sent", id="nothing-created"),
        pytest.param(
            {"id": "abc123", "done": False}, "...", "prediction `abc123` may still", id="created"
        ),
        pytest.param({"id": "abc123", "done": True}, "**Succeeded**", None, id="too-late"),
        pytest.param(
            {"id": "abc123", "done": True},
            "Submitting…",  # the page's own words over a finished run: the new one never ran
            "Nothing more was sent: the last run, prediction `abc123`, had already finished",
            id="next-never-started",
        ),
    ],
)
def test_stop_says_what_became_of_the_run_the_page_shows(page, run_state, shown, said):
    stopped = page.generate.stop(run_state, shown, visitor("stop-table"))
    assert stopped["stop"]["interactive"] is False
    if said is None:
        assert set(stopped) == {"stop"}  # the result stands
    else:
        assert said in stopped["status"]


def test_stop_says_when_it_cannot_know_yet_whether_the_request_arrived(page, monkeypatch):
    monkeypatch.setattr(stopping, "STOP_WAIT_SECONDS", 0.01)
    in_flight = {"id": None, "done": False, "ticket": RunTicket()}  # a create not yet answered
    status = page.generate.stop(in_flight)["status"]
    assert "still on its way" in status and "History" in status


def test_a_ticket_settles_with_the_created_id_or_with_nothing():
    ticket = RunTicket()
    assert not ticket.wait(0.01) and not ticket.settled
    ticket.created("abc")
    ticket.ended()  # ending later does not forget the prediction
    assert ticket.wait(0) and ticket.prediction_id == "abc"
    ended = RunTicket()
    ended.ended()
    assert ended.wait(0) and ended.prediction_id is None


def test_closing_the_app_ends_the_background_follower_of_a_stopped_run(tmp_path, caplog):
    clock = FakeClock()  # the prediction never ends on its own here
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        with open_page(tmp_path / "out", sim) as page:
            run = page.start()
            next(run)
            prediction_id = next(run)["run_state"]["id"]
            run.close()  # Stop: the run is handed to a follower once its current step returns
            follower = wait_for(
                lambda: next(
                    (t for t in threading.enumerate() if t.name == f"follow-{prediction_id}"),
                    None,
                ),
                "the background follower",
            )
            caplog.set_level(logging.INFO, logger="webui.services")
        follower.join(DEADLINE)
        assert not follower.is_alive()
    [ended] = [r for r in caplog.records if r.name == "webui.services"]
    assert ended.levelname == "INFO"  # told to stop, not failing
    assert f"Stopped following {prediction_id}: The app was closed" in ended.getMessage()


# -- whose key, which connection -----------------------------------------------------------------


def test_keys_typed_in_the_box_are_used_unpressed_and_visitors_share_the_apps_connection(
    tmp_path, sim
):
    """Each run has a client of its own (its visitor's key) on the app's one kept connection."""
    new = sent(sim)
    with open_page(tmp_path / "o", None, base_url=sim.base_url) as page:  # never the demo
        first = page.run(typed_key=" sk-typed-one-123456 ", request=visitor("a"))[-1]
        page.run(typed_key="sk-typed-two-123456", request=visitor("b"))
        page.run(visitor_key="sk-session-123456", request=visitor("c"))  # "Use this key"
    assert first["status"].startswith("**Succeeded") and "demo" not in first["status"]
    assert [c.headers["Authorization"] for c in new()] == [
        "Bearer sk-typed-one-123456",
        "Bearer sk-typed-two-123456",
        "Bearer sk-session-123456",
    ]
    assert len({c.connection for c in new()}) == 1
