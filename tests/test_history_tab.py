"""History (webui/history_tab.py, and "Use these settings" in builder.py) through its handlers:
the list and details, remove, zip, Resume and ?prediction= links. Privacy on a shared app is in
test_sharing.py.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from comet import CometClient
from comet.models import MODELS, get_model
from comet.prediction import Prediction
from comet.simulator import Simulator
from tests.page_support import DEV, SCHNELL, non_default_values, open_page, visitor
from tests.support import FakeClock
from webui.builder import settings_from_history
from webui.form import form_fields
from webui.history_tab import local_time

ZONE = "Asia/Ho_Chi_Minh"


def made_elsewhere(sim, prompt: str = "made with the CLI") -> str:
    """A prediction created straight on the API (as the CLI does): the app has not seen it."""
    with CometClient(api_key="sk-elsewhere-123456", base_url=sim.base_url) as client:
        return client.create_prediction(SCHNELL, {"prompt": prompt}).id


def test_history_lists_a_run_and_selecting_it_shows_its_details_in_the_visitors_time(page):
    prompt = "a red kite over the dunes at noon, long ribbons trailing in a strong wind"
    final = page.run(prompt)[-1]
    prediction_id = final["run_state"]["id"]
    listing = page.history.refresh(ZONE, visitor())
    ids = listing["history_ids"]
    assert ids[0] == prediction_id  # newest first
    assert listing["history_summary"] == f"**{len(ids)}** prediction(s)"
    thumbnail, caption = listing["history_gallery"][0]
    assert thumbnail == final["gallery"][0]
    entry = page.services.history.get(prediction_id)
    when = local_time(entry.created_at, ZONE)
    assert caption.startswith("succeeded · flux-schnell") and " · demo · " + when in caption
    assert caption.endswith("\n" + prompt[:59] + "…")  # a long prompt is cut

    details = page.history.select(ids, ZONE, SimpleNamespace(index=0), visitor())
    assert details["selected_id"] == prediction_id
    assert details["detail_input"]["prompt"] == prompt
    assert details["detail_gallery"] == final["gallery"]
    assert details["detail_head"].startswith(
        f"**succeeded** · `{prediction_id}` · {SCHNELL} · demo (simulated)"
    )
    assert f"Created {when}" in details["detail_head"]
    assert f"[`?prediction={prediction_id}`](?prediction={prediction_id})" in details["detail_head"]
    assert details["resume"]["interactive"] is False  # finished: nothing to resume
    outside = page.history.select(ids, ZONE, SimpleNamespace(index=len(ids)), visitor())
    assert outside["selected_id"] is None and outside["detail_head"] == "Select a prediction."


def test_times_read_as_the_visitors_own_clock_and_utc_when_the_zone_is_unknown():
    stamp = "2026-11-26T21:05:00.123456Z"
    assert local_time(stamp, ZONE) == "2026-11-27 04:05"
    assert local_time(stamp, "") == "2026-11-26 21:05 UTC"
    assert local_time(stamp, "Not/AZone") == "2026-11-26 21:05 UTC"


def test_remove_from_history_forgets_the_entry_but_keeps_its_files(page):
    final = page.run("kept on disk")[-1]
    prediction_id = final["run_state"]["id"]
    removed = page.history.delete(prediction_id, visitor())
    assert removed["detail_head"].startswith(f"Removed `{prediction_id}` from History.")
    assert removed["selected_id"] is None and removed["detail_gallery"] == []
    assert removed["detail_input"] == {} and removed["detail_logs"] == ""
    assert removed["resume"]["interactive"] is False
    assert page.services.history.get(prediction_id) is None
    assert prediction_id not in page.history.refresh(None, visitor())["history_ids"]
    assert Path(final["gallery"][0]).is_file()
    assert page.history.delete(None, visitor()) == {"detail_head": "Select a prediction first."}


def test_the_zip_holds_the_images_and_the_sidecar(page):
    final = page.run("two kites", DEV, num_outputs=2)[-1]
    prediction_id, files = final["run_state"]["id"], final["gallery"]
    shown = page.history.download_zip(prediction_id, visitor())["zip_file"]
    archive = shown["value"]
    assert shown["visible"] is True
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == sorted(
            [Path(p).name for p in files] + [f"{prediction_id}.json"]
        )
        assert all(zf.read(Path(p).name) == Path(p).read_bytes() for p in files)
        sidecar = json.loads(zf.read(f"{prediction_id}.json"))
    assert sidecar["id"] == prediction_id and sidecar["input"]["prompt"] == "two kites"
    with pytest.raises(gr.Error):
        page.history.download_zip(None, visitor())


def test_demo_runs_left_unfinished_are_listed_then_closed_when_the_app_starts_again(tmp_path):
    with Simulator(time_scale=1.0, image_size=64, clock=FakeClock()) as sim:
        with open_page(tmp_path / "out", sim) as first:
            run = first.start("a slow one")
            next(run)
            prediction_id = next(run)["run_state"]["id"]  # created and recorded, still waiting
            run.close()
            listing = first.history.refresh(None, visitor())
            [(thumbnail, caption)] = listing["history_gallery"]
            assert Path(thumbnail).is_file() and caption.startswith("unfinished · flux-schnell")
            assert listing["history_note"].startswith("**1 unfinished prediction(s)**")
            assert f"`{prediction_id}`" in listing["history_note"]
            details = first.history.details(first.history.find(prediction_id, visitor()))
            assert details["resume"]["interactive"] is True
            assert "Still running when last seen" in details["detail_head"]
        with open_page(tmp_path / "out", sim) as again:
            entry = again.services.history.get(prediction_id)
            assert entry.status == "failed" and "Nothing was billed" in entry.error
            details = again.history.details(entry)
            assert (
                "Error: This demo run was still waiting when the app stopped"
                in (details["detail_head"])
            )
            assert again.history.refresh(None, visitor())["history_note"] == ""


@pytest.mark.parametrize("model", list(MODELS))
def test_use_these_settings_restores_the_model_prompt_seed_and_every_field(page, model):
    spec = get_model(model)
    recorded = {"prompt": "restored", "seed": 99, **non_default_values(spec)}
    if spec.image_field:
        many = spec.field(spec.image_field).kind == "images"
        recorded[spec.image_field] = ["https://x.test/a.png"] if many else "https://x.test/a.png"
    prediction = Prediction.from_json(
        {"id": f"restore{spec.name.replace('.', '').replace('-', '')}", "model": model,
         "status": "succeeded", "input": recorded}
    )  # fmt: skip
    page.services.history.record_created(prediction)
    updates = settings_from_history(page.history, page.form, prediction.id, visitor())
    assert updates["model"]["value"] == model and updates["current_model"] == model
    assert updates["tabs"]["selected"] == "generate-tab"
    restored = (updates["prompt"], updates["seed"], updates["randomize_seed"])
    assert restored == ("restored", 99, False)
    shown = {f.name: updates[f.name]["value"] for f in form_fields(spec)}
    assert shown == non_default_values(spec)
    if spec.image_field:
        assert updates["image_urls"]["value"] == "https://x.test/a.png"
    with pytest.raises(gr.Error):
        settings_from_history(page.history, page.form, "nosuchprediction", visitor())


def test_resume_waits_for_a_prediction_made_elsewhere_records_it_and_saves_its_images(page, sim):
    prediction_id = made_elsewhere(sim)
    updates = list(page.history.resume(f" {prediction_id} ", None, visitor()))
    assert updates[0]["status"] == f"Resuming `{prediction_id}`…"
    assert updates[-1]["status"] == (
        f"**Resumed: succeeded** · `{prediction_id}` · 1 image(s) saved"
    )
    [path] = updates[-1]["gallery"]
    entry = page.services.history.get(prediction_id)
    assert entry.status == "succeeded" and entry.source == "resume"
    assert Path(path).read_bytes() == Path(entry.files[0]).read_bytes()


def test_resume_without_an_id_says_so(page):
    assert "Enter a prediction id to resume." in list(page.history.resume("  "))[-1]["status"]


def test_a_resume_of_a_prediction_already_followed_is_refused_until_that_ends(tmp_path):
    clock = FakeClock()
    with (
        Simulator(time_scale=1.0, image_size=64, clock=clock) as sim,
        open_page(tmp_path / "out", sim, max_concurrent_per_visitor=0) as page,
    ):
        run = page.start()  # a Generate run follows its prediction
        next(run)
        generated = next(run)["run_state"]["id"]
        refused = list(page.history.resume(generated, None, visitor("b")))[-1]["status"]
        assert f"Prediction `{generated}` is already being followed here" in refused

        prediction_id = made_elsewhere(sim)
        first = page.history.resume(prediction_id, None, visitor("a"))
        next(first)  # Resuming…
        next(first)  # following it
        second = list(page.history.resume(prediction_id, None, visitor("b")))[-1]["status"]
        assert f"Prediction `{prediction_id}` is already being followed here" in second
        clock.advance(60)
        assert list(first)[-1]["status"].startswith("**Resumed: succeeded**")
        assert list(run)[-1]["status"].startswith("**Succeeded")
        sim.time_scale = 0.0
        again = list(page.history.resume(prediction_id, None, visitor("b")))[-1]["status"]
        assert again.startswith("**Resumed: succeeded**")


def test_a_prediction_link_opens_its_details_on_the_history_tab(page):
    final = page.run("a linked kite")[-1]
    prediction_id = final["run_state"]["id"]
    opened = page.history.open_link(None, visitor(link=f" {prediction_id} "))
    assert opened["tabs"]["selected"] == "history-tab"
    assert opened["selected_id"] == prediction_id
    assert opened["detail_input"]["prompt"] == "a linked kite"
    assert opened["detail_gallery"] == final["gallery"]
    assert page.history.open_link(None, visitor()) == {"tabs": gr.skip()}  # no link: no change


@pytest.mark.parametrize(
    ("wanted", "said"),
    [
        ("abc123unknown", "No prediction `abc123unknown` in your History."),
        ("<b>not an id</b>", "No prediction with that id in your History."),
    ],
)
def test_a_link_to_no_known_prediction_says_so_on_the_history_tab(page, wanted, said):
    opened = page.history.open_link(None, visitor(link=wanted))
    assert opened["tabs"]["selected"] == "history-tab"
    assert opened["selected_id"] is None and opened["detail_input"] == {}
    assert opened["detail_head"].startswith(said)


def test_an_empty_history_says_so(tmp_path):
    with open_page(tmp_path / "empty") as page:
        listing = page.history.refresh(None, visitor())
    assert listing["history_summary"] == "No predictions yet." and listing["history_ids"] == []
