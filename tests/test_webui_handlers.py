"""The UI's handlers called directly, as plain functions: no server, no browser.

The app is built (Blocks, not launched) against a simulator on 127.0.0.1; each handler's
{name: value} result is read by name.
"""

from __future__ import annotations

import contextlib
import json
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from comet import CometClient
from comet.models import MODELS, get_model
from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.support import FakeClock, clean_env, drive, run_python, wait_for
from webui import build_app
from webui.builder import settings_from_history
from webui.form import field_param, form_fields
from webui.i18n import text

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"


def visitor(session: str = "s1", host: str = "127.0.0.1", forwarded: str = "") -> SimpleNamespace:
    """What the handlers read of a gr.Request."""
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    return SimpleNamespace(
        session_hash=session, client=SimpleNamespace(host=host), headers=headers, username=None
    )


def run_generate(app, **kwargs) -> list[dict]:
    kwargs.setdefault("prompt", "a paper boat")
    kwargs.setdefault("model", SCHNELL)
    kwargs.setdefault("request", visitor())
    return list(drive(app.generate_handlers.generate(**kwargs)))


# -- Generate ----------------------------------------------------------------------------------


def test_generate_says_submitting_first_then_shows_the_saved_images_and_seed(app, simulator):
    updates = run_generate(app, seed=42, randomize_seed=False)
    assert updates[0]["status"] == "Submitting…"
    assert updates[0]["run_state"]["id"] is None and updates[0]["run_state"]["done"] is False
    final = updates[-1]
    assert "Succeeded" in final["status"] and "demo placeholder" in final["status"]
    assert final["run_state"]["done"] is True
    [path] = final["gallery"]
    assert Path(path).is_file() and Path(path).parent == app.services.output_dir.resolve()
    assert final["seed_used"] == 42
    [prediction_id] = simulator.predictions
    assert final["run_state"]["id"] == prediction_id
    assert any(f"prediction `{prediction_id}`" in u["status"] for u in updates[1:-1])


def test_while_waiting_the_gallery_holds_a_placeholder_of_the_runs_shape(app):
    from PIL import Image

    updates = run_generate(app, model=DEV, flux_dev__aspect_ratio="16:9", flux_dev__num_outputs=2)
    [(placeholder, caption)] = updates[0]["gallery"]
    with Image.open(placeholder) as image:
        assert image.size == (480, 270)
    assert caption == "Generating…"
    assert len(updates[-1]["gallery"]) == 2


def test_generate_refuses_a_bad_field_by_name_and_sends_nothing(app, simulator):
    updates = run_generate(app, model=DEV, flux_dev__num_inference_steps=99)
    assert "num_inference_steps" in updates[-1]["status"]
    assert updates[-1]["gallery"] is None  # the placeholder goes
    assert simulator.predictions == {}


def test_stop_holds_the_visitors_slot_until_the_prediction_ends_and_its_images_are_saved(
    tmp_path,
):
    clock = FakeClock()  # the simulated run ends only when the test moves this clock on
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        built = build_app(
            AppSettings(
                output_dir=tmp_path / "out", poll_interval=0.02, max_concurrent_per_visitor=1
            ),
            demo_base_url=sim.base_url,
        )
        try:
            run = drive(built.generate_handlers.generate("a boat", SCHNELL, request=visitor()))
            next(run)  # Submitting…
            created = next(run)  # created: the slot is taken
            prediction_id = created["run_state"]["id"]
            run.close()  # what Stop does: nobody waits for it in the page any more
            refused = run_generate(built)[-1]["status"]
            assert "already have 1 run" in refused  # the stopped run still holds the slot
            clock.advance(60)  # the prediction finishes on the server
            history = built.services.history
            entry = wait_for(
                lambda: (e := history.get(prediction_id)) and e.files and e,
                "the background follower to save the stopped run's images",
            )
            assert entry.status == "succeeded" and Path(entry.files[0]).is_file()
            lease = wait_for(
                lambda: _try_acquire(built, visitor()), "the slot to come back once it ended"
            )
            lease.release()
        finally:
            built.close()


@contextlib.contextmanager
def _held_app(tmp_path: Path):
    """The app on a simulator whose runs end only when the test moves its clock on."""
    clock = FakeClock()
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        built = build_app(
            AppSettings(output_dir=tmp_path / "out", poll_interval=0.02),
            demo_base_url=sim.base_url,
        )
        try:
            yield sim, built, clock
        finally:
            built.close()


def test_the_prediction_is_created_while_submitting_is_still_on_its_way_to_the_page(tmp_path):
    with _held_app(tmp_path) as (sim, built, clock):
        run = drive(built.generate_handlers.generate("a boat", SCHNELL, request=visitor()))
        first = next(run)  # Submitting…: Gradio asks for more only once it reached the page
        assert first["status"] == "Submitting…"
        wait_for(lambda: sim.predictions, "the create, with the generator held at Submitting")
        [prediction_id] = sim.predictions
        assert next(run)["run_state"]["id"] == prediction_id
        run.close()


def test_the_run_polls_and_saves_while_its_status_lines_wait_for_the_page(tmp_path):
    with _held_app(tmp_path) as (sim, built, clock):
        run = drive(built.generate_handlers.generate("a boat", SCHNELL, request=visitor()))
        next(run)  # Submitting…; the page has not asked for anything since
        [prediction_id] = wait_for(lambda: list(sim.predictions), "the create")
        clock.advance(60)  # done on the server
        entry = wait_for(
            lambda: (e := built.services.history.get(prediction_id)) and e.files and e,
            "the run to see it done and save its images, with nobody asking",
        )
        rest = list(run)
        assert "Succeeded" in rest[-1]["status"]
        assert rest[-1]["gallery"] == built.services.shown(entry.files)
        progress = [u for u in rest if "gallery" not in u]
        assert len(progress) <= 1  # lines the page never asked for: the newest only


def test_stop_during_submitting_says_which_prediction_was_created_and_keeps_it(tmp_path):
    with _held_app(tmp_path) as (sim, built, clock):
        run = drive(built.generate_handlers.generate("a boat", SCHNELL, request=visitor()))
        run_state = next(run)["run_state"]  # all the page knows: Submitting…, no id
        run.close()  # Stop, while the create is in flight or just done
        stopped = built.generate_handlers.stop(run_state)
        [prediction_id] = sim.predictions
        assert "Stopped waiting" in stopped["status"] and prediction_id in stopped["status"]
        assert "nothing was sent" not in stopped["status"]
        clock.advance(60)
        entry = wait_for(
            lambda: (e := built.services.history.get(prediction_id)) and e.files and e,
            "the background follower to save the stopped run's images",
        )
        assert entry.status == "succeeded"


def test_stop_before_the_runs_first_line_reached_the_page_names_its_prediction(tmp_path):
    """The page shows its own "Submitting…" and has no state of this run yet (the first run
    of the page): Stop finds the run its session started, and says what it created."""
    with _held_app(tmp_path) as (sim, built, clock):
        handlers = built.generate_handlers
        run = drive(handlers.generate("a boat", SCHNELL, request=visitor("page-1")))
        next(run)  # the handler runs; its first line is not given to Stop (not arrived)
        [prediction_id] = wait_for(lambda: list(sim.predictions), "the create")
        run.close()  # Stop cancels the run
        elsewhere = handlers.stop({"id": None}, "Submitting…", visitor("page-2"))
        assert "nothing was sent" in elsewhere["status"]  # another page started nothing
        stopped = handlers.stop({"id": None}, "Submitting…", visitor("page-1"))
        assert "Stopped waiting" in stopped["status"] and prediction_id in stopped["status"]
        assert stopped["run_state"]["done"] is True
        again = handlers.stop(stopped["run_state"], stopped["status"], visitor("page-1"))
        assert "status" not in again  # said once; the message stays


def test_stop_over_a_finished_runs_state_says_nothing_more_was_sent_and_names_that_run(app):
    """The page shows its own "Submitting…" over a finished run's state: the new run never
    started (Stop took it out of the queue) or finished before its lines arrived."""
    finished = run_generate(app, request=visitor("page-1"))[-1]
    run_state, prediction_id = finished["run_state"], finished["run_state"]["id"]
    stopped = app.generate_handlers.stop(run_state, "Submitting…", visitor("page-1"))
    assert "Nothing more was sent" in stopped["status"] and prediction_id in stopped["status"]
    assert "gallery" not in stopped  # whatever it shows stays
    in_vietnamese = text("gen.submitting", "vi")  # the page's own words, in its language
    assert prediction_id in app.generate_handlers.stop(run_state, in_vietnamese, None)["status"]
    too_late = app.generate_handlers.stop(run_state, finished["status"], visitor("page-1"))
    assert "status" not in too_late  # the result stands


def test_stop_over_a_stopped_runs_state_says_nothing_was_sent(app):
    stopped = app.generate_handlers.stop({"id": "abc123", "done": False}, None, visitor())
    again = app.generate_handlers.stop(stopped["run_state"], "Submitting…", visitor())
    assert "nothing was sent" in again["status"]  # the new run never started
    assert "abc123" not in again["status"]


def test_stop_before_anything_was_created_says_nothing_was_sent(app, simulator):
    run = drive(
        app.generate_handlers.generate(
            "a boat", DEV, request=visitor(), flux_dev__num_inference_steps=99
        )
    )
    run_state = next(run)["run_state"]
    run.close()
    stopped = app.generate_handlers.stop(run_state)
    assert "nothing was sent" in stopped["status"]
    assert simulator.predictions == {}


def test_stop_says_when_it_cannot_know_yet_whether_the_request_arrived(app, monkeypatch):
    from webui import stopping
    from webui.runs import RunTicket

    monkeypatch.setattr(stopping, "STOP_WAIT_SECONDS", 0.01)
    unsettled = {"id": None, "done": False, "ticket": RunTicket()}  # a create still in flight
    stopped = app.generate_handlers.stop(unsettled)
    assert "still on its way" in stopped["status"] and "History" in stopped["status"]
    assert "nothing was sent" not in stopped["status"]


def test_closing_the_app_ends_the_background_follower_of_a_stopped_run(tmp_path, caplog):
    clock = FakeClock()  # the simulated run never ends on its own here
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        built = build_app(
            AppSettings(output_dir=tmp_path / "out", poll_interval=0.02),
            demo_base_url=sim.base_url,
        )
        run = drive(built.generate_handlers.generate("a boat", SCHNELL, request=visitor()))
        next(run)
        prediction_id = next(run)["run_state"]["id"]
        run.close()  # Stop: a background follower keeps waiting for it
        name = f"follow-{prediction_id}"
        # Listed as soon as it is starting: wait until it runs (a starting thread is not alive).
        follower = wait_for(
            lambda: next(
                (t for t in threading.enumerate() if t.name == name and t.is_alive()), None
            ),
            "the background follower",
        )
        with caplog.at_level("INFO", logger="webui.services"):
            built.close()
            wait_for(lambda: not follower.is_alive(), "the follower to end with the app")
    ended = [r for r in caplog.records if r.name == "webui.services"]
    assert [r.levelname for r in ended] == ["INFO"]  # told to stop, not failing
    assert "app was closed" in ended[0].getMessage()


def _try_acquire(app, request):
    from webui.limits import LimitExceeded

    try:
        return app.services.limiter.acquire(
            app.services.identities(request), count_towards_hourly=False
        )
    except LimitExceeded:
        return None


def test_a_second_resume_of_a_followed_prediction_is_refused_with_a_message(app):
    with CometClient(api_key="k-123456", base_url=app.services.demo_base_url) as client:
        created = client.create_prediction(SCHNELL, {"prompt": "followed"})
    assert app.services.claim(created.id)  # as a run or a first Resume does
    updates = list(app.history_handlers.resume(created.id, None, visitor()))
    assert "already being followed" in updates[-1]["status"]
    app.services.unclaim(created.id)
    assert (
        "Resumed: succeeded"
        in list(app.history_handlers.resume(created.id, None, visitor()))[-1]["status"]
    )


def test_a_key_typed_in_the_box_is_used_without_pressing_use_this_key(tmp_path, simulator):
    settings = AppSettings(
        output_dir=tmp_path / "o", base_url=simulator.base_url, poll_interval=0.02
    )
    app = build_app(settings, demo_base_url="http://127.0.0.1:9")  # never the demo
    try:
        updates = run_generate(app, typed_key=" sk-typed-123456 ")
    finally:
        app.close()
    assert "Succeeded" in updates[-1]["status"]
    assert "demo placeholder" not in updates[-1]["status"]  # the visitor's key, not the demo
    [create] = [r for r in simulator.received if r.method == "POST"]
    assert create.headers["Authorization"] == "Bearer sk-typed-123456"


def test_runs_of_different_visitors_share_the_apps_open_connection(tmp_path, simulator):
    """Each run has a client of its own (its visitor's key) on the app's one kept connection:
    a run's create does not wait for a TCP (and, on the real API, TLS) handshake."""
    settings = AppSettings(
        output_dir=tmp_path / "o", base_url=simulator.base_url, poll_interval=0.02
    )
    app = build_app(settings, demo_base_url="http://127.0.0.1:9")
    try:
        for key in ("sk-typed-one-123456", "sk-typed-two-123456"):
            assert "Succeeded" in run_generate(app, typed_key=key)[-1]["status"]
    finally:
        app.close()
    api_calls = [r for r in simulator.received if "/predictions" in r.path]
    assert len({r.connection for r in api_calls}) == 1
    creates = [r.headers["Authorization"] for r in api_calls if r.method == "POST"]
    assert creates == ["Bearer sk-typed-one-123456", "Bearer sk-typed-two-123456"]


def test_a_typed_key_that_cannot_be_a_key_is_refused_without_echoing_it(app, simulator):
    updates = run_generate(app, typed_key="sk-with a space")
    assert "not a CometAPI key" in updates[-1]["status"]
    assert "with a space" not in updates[-1]["status"]
    assert simulator.received == []


def test_stop_says_what_happened_to_the_prediction(app):
    assert "nothing was sent" in app.generate_handlers.stop({"id": None})["status"]
    stopped = app.generate_handlers.stop({"id": "abc123", "done": False})
    assert "`abc123`" in stopped["status"] and stopped["stop"]["interactive"] is False


def test_stop_after_the_run_finished_leaves_the_result_alone(app):
    assert "status" not in app.generate_handlers.stop({"id": "abc123", "done": True})


def test_the_preview_shows_the_body_generate_would_send(app):
    preview = app.generate_handlers.preview(
        "a lighthouse", DEV, seed=7, randomize_seed=False, flux_dev__guidance=4.5
    )
    body = json.loads(preview["preview_json"])
    assert body == {"input": {"prompt": "a lighthouse", "guidance": 4.5, "seed": 7}}
    assert "/models/black-forest-labs/flux-dev/predictions" in preview["preview_curl"]


def test_the_page_arrives_with_the_preview_of_its_first_values(app):
    """Part of the page itself, so no event after load has to reach the closed accordion."""
    shown = {
        block["props"]["elem_id"]: block["props"]["value"]
        for block in app.blocks.get_config_file()["components"]
        if str(block.get("props", {}).get("elem_id", "")).startswith("preview-")
    }
    assert json.loads(shown["preview-json"]) == {"input": {"prompt": "…"}}
    assert shown["preview-curl"].startswith(
        "curl -s -X POST https://api.cometapi.com/replicate/v1/models/"
        "black-forest-labs/flux-schnell/predictions"
    )
    assert "Bearer $COMET_API_KEY" in shown["preview-curl"]
    assert "--model flux-schnell" in shown["preview-cli"]
    assert '"black-forest-labs/flux-schnell"' in shown["preview-python"]


def test_switching_models_carries_shared_values_and_shows_the_new_columns(app):
    form = app.generate_handlers.form
    updates = form.switch_model(
        SCHNELL, DEV, flux_schnell__aspect_ratio="16:9", flux_schnell__num_outputs=1
    )
    assert updates["current_model"] == DEV
    assert updates["flux_dev__aspect_ratio"]["value"] == "16:9"
    assert "flux_dev__num_outputs" not in updates  # the default is not carried
    assert updates["fields-flux_dev"]["visible"] is True
    assert updates["fields-flux_schnell"]["visible"] is False


# -- History and Resume ------------------------------------------------------------------------


def test_history_lists_a_run_and_its_details(app):
    final = run_generate(app, prompt="a red kite")[-1]
    prediction_id = final["run_state"]["id"]
    listing = app.history_handlers.refresh("Asia/Ho_Chi_Minh", visitor())
    assert listing["history_ids"] == [prediction_id]
    [(thumbnail, caption)] = listing["history_gallery"]
    assert thumbnail == final["gallery"][0]
    assert caption.startswith("succeeded · flux-schnell") and "demo" in caption
    assert "a red kite" in caption
    details = app.history_handlers.details(app.history_handlers.find(prediction_id, visitor()))
    assert details["selected_id"] == prediction_id
    assert details["detail_input"]["prompt"] == "a red kite"
    assert details["detail_gallery"] == final["gallery"]


def test_history_shows_times_in_the_visitors_own_time_zone():
    from webui.history_tab import local_time

    stamp = "2026-11-26T21:05:00.123456Z"
    assert local_time(stamp, "Asia/Ho_Chi_Minh") == "2026-11-27 04:05"
    assert local_time(stamp, "") == "2026-11-26 21:05 UTC"
    assert local_time(stamp, "Not/AZone") == "2026-11-26 21:05 UTC"


def test_remove_from_history_forgets_the_entry_but_keeps_its_files(app):
    final = run_generate(app, prompt="kept on disk")[-1]
    prediction_id = final["run_state"]["id"]
    result = app.history_handlers.delete(prediction_id, visitor())
    assert "Removed" in result["detail_head"] and result["selected_id"] is None
    assert app.services.history.get(prediction_id) is None
    assert Path(final["gallery"][0]).is_file()


def test_demo_runs_left_unfinished_are_closed_when_the_app_starts_again(tmp_path, simulator):
    first = build_app(AppSettings(output_dir=tmp_path / "out"), demo_base_url=simulator.base_url)
    simulator.time_scale = 1.0
    run = drive(first.generate_handlers.generate("a slow one", SCHNELL, request=visitor()))
    next(run)
    next(run)  # created and recorded, still waiting
    run.close()
    [entry] = first.services.history.list()
    assert entry.source == "demo" and entry.status in ("starting", "processing")
    first.close()
    again = build_app(AppSettings(output_dir=tmp_path / "out"), demo_base_url=simulator.base_url)
    try:
        entry = again.services.history.get(entry.id)
        assert entry.status == "failed" and "Nothing was billed" in entry.error
        assert again.history_handlers.refresh(None, visitor())["history_note"] == ""
    finally:
        again.close()


def test_the_history_zip_holds_the_images_and_the_sidecar(app):
    final = run_generate(app, prompt="two kites", model=DEV, flux_dev__num_outputs=2)[-1]
    prediction_id = final["run_state"]["id"]
    files = final["gallery"]
    archive = app.history_handlers.download_zip(prediction_id, visitor())["zip_file"]["value"]
    with zipfile.ZipFile(archive) as zf:
        names = sorted(zf.namelist())
        assert names == sorted([Path(p).name for p in files] + [f"{prediction_id}.json"])
        for path in files:
            assert zf.read(Path(path).name) == Path(path).read_bytes()
        sidecar = json.loads(zf.read(f"{prediction_id}.json"))
    assert sidecar["id"] == prediction_id and sidecar["input"]["prompt"] == "two kites"


@pytest.mark.parametrize("model_id", list(MODELS))
def test_use_these_settings_restores_every_field(app, model_id):
    spec = get_model(model_id)
    form = app.generate_handlers.form
    chosen = {}
    for field in form_fields(spec):  # a non-default value for every field that has a choice
        if field.kind == "enum":
            chosen[field.name] = field.choices[-1]
        elif field.kind == "bool":
            chosen[field.name] = not field.default
    entry_input = {"prompt": "restored", "seed": 99, **chosen}
    with CometClient(api_key="k-123456", base_url=app.services.demo_base_url) as client:
        created = client.create_prediction(model_id, {"prompt": "restored", "seed": 99})
    created.input = entry_input
    app.services.history.record_created(created)
    updates = settings_from_history(app.history_handlers, form, created.id, visitor())
    assert updates["model"]["value"] == model_id and updates["current_model"] == model_id
    assert updates["prompt"] == "restored"
    assert (updates["seed"], updates["randomize_seed"]) == (99, False)
    for field in form_fields(spec):
        expected = chosen.get(field.name, field.default)
        assert updates[field_param(spec, field)]["value"] == expected, field.name


def test_resume_waits_for_a_prediction_and_saves_its_images(app):
    with CometClient(api_key="k-123456", base_url=app.services.demo_base_url) as client:
        created = client.create_prediction(SCHNELL, {"prompt": "resumed"})
    updates = list(app.history_handlers.resume(created.id, None, visitor()))
    assert updates[0]["status"] == f"Resuming `{created.id}`…"
    assert "Resumed: succeeded" in updates[-1]["status"]
    [path] = updates[-1]["gallery"]
    assert Path(path).is_file()
    assert app.services.history.get(created.id).status == "succeeded"


def test_resume_without_an_id_says_so(app):
    updates = list(app.history_handlers.resume("  ", None, visitor()))
    assert "Enter a prediction id" in updates[-1]["status"]


# -- keys --------------------------------------------------------------------------------------


def test_a_set_key_is_kept_in_the_session_and_never_echoed(app):
    result = app.key_handlers.set_key(" sk-visitor-1234 ", remember=False)
    assert result["visitor_key"] == "sk-visitor-1234"
    assert result["key_box"] == "" and result["remembered_key"] == "none"
    assert "sk-visitor" not in result["banner"] + result["key_note"]


def test_a_remembered_key_is_sealed_and_restored_by_this_server_only(app, tmp_path, simulator):
    sealed = app.key_handlers.set_key("sk-visitor-1234", remember=True)["remembered_key"]
    assert "sk-visitor-1234" not in sealed
    assert app.key_handlers.restore_key(sealed)["visitor_key"] == "sk-visitor-1234"
    other = build_app(AppSettings(output_dir=tmp_path / "o2"), demo_base_url=simulator.base_url)
    try:
        restored = other.key_handlers.restore_key(sealed)
        assert restored["visitor_key"] is None and "enter it again" in restored["key_note"]
    finally:
        other.close()


def test_a_key_entered_while_the_page_loads_is_not_undone_by_the_load(app):
    # "Use this key" pressed before the page-load chain reached the restore step (a slow Space)
    entered = app.key_handlers.set_key("sk-visitor-1234", remember=False)["visitor_key"]
    for remembered in ("", "none"):
        kept = app.key_handlers.restore_key(remembered, entered)
        assert all(value == gr.skip() for value in kept.values())
        assert set(kept) == {"visitor_key", "key_note", "banner"}
    assert app.key_handlers.restore_key("", None)["visitor_key"] is None  # no key: as before


def test_forget_clears_the_session_and_the_browser(app):
    result = app.key_handlers.forget_key()
    assert result["visitor_key"] is None and result["remembered_key"] == "none"


# -- import has no side effects ----------------------------------------------------------------


def test_importing_app_in_an_empty_folder_creates_no_files(tmp_path):
    (tmp_path / "tmp").mkdir()
    (tmp_path / "empty").mkdir()
    env = clean_env(tmp_path / "home").updated(TMPDIR=str(tmp_path / "tmp"))
    done = run_python(["-c", "import app"], cwd=tmp_path / "empty", env=env)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "empty").iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "home").exists()


def test_building_the_app_creates_nothing_on_disk(tmp_path, simulator):
    built = build_app(
        AppSettings(output_dir=tmp_path / "outputs"), demo_base_url=simulator.base_url
    )
    built.close()
    assert not (tmp_path / "outputs").exists()


def test_width_and_height_are_not_sent_unless_the_aspect_ratio_is_custom(app, simulator):
    # A browser shows an empty number as 0: untouched width/height must not break a run.
    pro = "black-forest-labs/flux-pro"
    updates = run_generate(app, model=pro, flux_pro__width=0, flux_pro__height=0)
    assert "Succeeded" in updates[-1]["status"]
    assert "width" not in simulator.created_inputs()[-1]
    custom = run_generate(
        app, model=pro, flux_pro__aspect_ratio="custom", flux_pro__width=0, flux_pro__height=512
    )
    assert '"width" must be between 256' in custom[-1]["status"]


def test_hf_sign_in_is_offered_only_on_a_space(tmp_path, simulator):
    local = build_app(
        AppSettings(output_dir=tmp_path / "o", hf_sign_in=True), demo_base_url=simulator.base_url
    )
    try:
        kinds = {type(block).__name__ for block in local.blocks.blocks.values()}
        assert "LoginButton" not in kinds
    finally:
        local.close()


# -- a link that reopens a result (?prediction=ID) ---------------------------------------------


def with_link(request: SimpleNamespace, prediction_id: str) -> SimpleNamespace:
    """The request of a page opened at ?prediction=<id>."""
    return SimpleNamespace(**vars(request), query_params={"prediction": prediction_id})


def test_a_prediction_link_opens_its_details_on_the_history_tab(app):
    final = run_generate(app, prompt="a linked kite")[-1]
    prediction_id = final["run_state"]["id"]
    opened = app.history_handlers.open_link(None, with_link(visitor(), prediction_id))
    assert opened["tabs"]["selected"] == "history-tab"
    assert opened["selected_id"] == prediction_id
    assert opened["detail_input"]["prompt"] == "a linked kite"
    assert opened["detail_gallery"] == final["gallery"]
    assert f"[`?prediction={prediction_id}`](?prediction={prediction_id})" in opened["detail_head"]
    unlinked = app.history_handlers.open_link(None, visitor())
    assert list(unlinked) == ["tabs"] and unlinked["tabs"] == gr.skip()  # no link: no change


@pytest.mark.parametrize("wanted", ["abc123unknown", "<b>not an id</b>", ""])
def test_an_unknown_prediction_link_says_so_on_the_history_tab(app, wanted):
    opened = app.history_handlers.open_link(None, with_link(visitor(), wanted))
    assert opened["tabs"]["selected"] == "history-tab"
    assert opened["selected_id"] is None
    assert opened["detail_head"].startswith("No prediction")
    assert "in your History" in opened["detail_head"]
    assert "<b>" not in opened["detail_head"]  # the page shows no text a link made up


def test_on_a_shared_app_a_link_opens_only_the_visitors_own_prediction(tmp_path, simulator):
    shared = build_app(
        AppSettings(output_dir=tmp_path / "outputs", shared=True, poll_interval=0.02),
        demo_base_url=simulator.base_url,
    )
    try:
        handlers = shared.history_handlers
        owner, other = visitor("owner-session"), visitor("other-session")
        shared.services.bind_visitor(owner, None)
        shared.services.bind_visitor(other, None)
        final = run_generate(shared, prompt="mine only", request=owner)[-1]
        prediction_id = final["run_state"]["id"]

        mine = handlers.open_link(None, with_link(owner, prediction_id))
        theirs = handlers.open_link(None, with_link(other, prediction_id))
        unknown = handlers.open_link(None, with_link(other, "q4chw5rey9rmt0cww76t4h3ma4"))
    finally:
        shared.close()
    assert mine["selected_id"] == prediction_id
    assert theirs["selected_id"] is None and theirs["detail_input"] == {}
    assert "mine only" not in json.dumps(theirs, default=str)
    # Refused the same way as an id nobody made: the message tells nothing of its owner.
    assert theirs["detail_head"] == unknown["detail_head"].replace(
        "q4chw5rey9rmt0cww76t4h3ma4", prediction_id
    )
