"""The Compare tab (issue 14): one prompt sent to 2-4 models at once, side by side.

The handler is called directly (bad input, the limits, Stop); the app is driven through
gradio_client (`/compare` runs in parallel, every run lands in History) and in a real browser.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.support import FakeClock, creates, drive, wait_for
from webui import build_app
from webui.compare_tab import plan_comparison

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"
PRO = "black-forest-labs/flux-pro"
ULTRA = "black-forest-labs/flux-1.1-pro-ultra"
KONTEXT = "black-forest-labs/flux-kontext-pro"
# Simulated durations (s), explicit so the parallel-vs-slowest ratio means something.
# Long enough that a loaded 2-core machine's own overhead (gradio_client, three runs' polls and
# saves) stays well inside the 1.5× margin: 1.5 × 4 s leaves 2 s, the three add up to 9 s.
DURATIONS = {SCHNELL: (2.0, 2.0), DEV: (3.0, 3.0), PRO: (4.0, 4.0)}


def visitor(session: str = "s1") -> SimpleNamespace:
    """What the handlers read of a gr.Request."""
    return SimpleNamespace(
        session_hash=session, client=SimpleNamespace(host="127.0.0.1"), headers={}, username=None
    )


def settings_for(tmp_path: Path, **kwargs) -> AppSettings:
    kwargs.setdefault("poll_interval", 0.02)
    kwargs.setdefault("max_concurrent_per_visitor", 0)
    return AppSettings(output_dir=tmp_path / "outputs", **kwargs)


@pytest.fixture
def app(tmp_path, simulator):
    built = build_app(settings_for(tmp_path), demo_base_url=simulator.base_url)
    yield built
    built.close()


def run_compare(app, **kwargs) -> list[dict]:
    kwargs.setdefault("prompt", "a paper boat")
    kwargs.setdefault("request", visitor())
    return list(app.compare_handlers.compare(**kwargs))


def notes(update: dict) -> dict[int, str]:
    """The columns' status lines this update sets, by column."""
    return {i: update[f"note{i}"] for i in range(4) if f"note{i}" in update}


# -- input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "models", "seed", "message"),
    [
        ("   ", [SCHNELL, DEV], None, "Enter a prompt"),
        ("a boat", [SCHNELL], None, "Choose 2 to 4 models to compare (you chose 1)"),
        ("a boat", [], None, "Choose 2 to 4 models to compare (you chose 0)"),
        ("a boat", None, None, "Choose 2 to 4 models to compare (you chose 0)"),
        ("a boat", [SCHNELL, SCHNELL], None, "(you chose 1)"),  # a repeat counts once
        ("a boat", [SCHNELL, DEV, PRO, ULTRA, KONTEXT], None, "(you chose 5)"),
        ("a boat", [SCHNELL, "flux-9000"], None, 'Unknown model "flux-9000"'),
        ("a boat", [SCHNELL, 7], None, 'Unknown model "7"'),
        ("a boat", {"a": 1}, None, "Models must be a list"),
        ("a boat", [SCHNELL, DEV], "abc", '"seed" must be a whole number'),
        ("a boat", [SCHNELL, DEV], "1.5", '"seed" must be a whole number'),
        ("a boat", [SCHNELL, DEV], 1.5, '"seed" must be a whole number'),
        ("x" * 2001, [SCHNELL, DEV], None, "The prompt is 2,001 characters"),
    ],
)
def test_bad_input_gets_one_clear_status_and_nothing_is_sent(
    app, simulator, prompt, models, seed, message
):
    [update] = run_compare(app, prompt=prompt, models=models, seed=seed)
    assert update["compare_status"].startswith("**Please check the input.**")
    assert message in update["compare_status"]
    assert set(update) == {"compare_status"}  # the columns keep what they showed
    assert simulator.received == []


def test_an_unknown_model_name_is_escaped_and_the_known_ones_listed(app):
    [update] = run_compare(app, models=[SCHNELL, "<img src=x onerror=alert(1)>"])
    assert "<img" not in update["compare_status"]
    assert "&lt;img" in update["compare_status"] and "flux-2-flex" in update["compare_status"]


def test_short_names_and_a_comma_separated_string_are_accepted():
    plan = plan_comparison(" a kite ", "flux-schnell, flux-dev,flux-schnell", seed=" 5 ")
    assert [spec.id for spec in plan.specs] == [SCHNELL, DEV]
    assert plan.prompt == "a kite" and plan.seed == 5
    assert [values["seed"] for values in plan.inputs] == [5, 5]


def test_one_seed_goes_to_every_model_and_every_other_field_keeps_its_default(app, simulator):
    final = run_compare(app, models=["flux-schnell", DEV, "flux-1.1-pro-ultra"])[-1]
    sent = simulator.created_inputs()
    seeds = {values["seed"] for values in sent}
    assert len(sent) == 3 and len(seeds) == 1  # drawn once, shared
    assert all(set(values) == {"prompt", "seed"} for values in sent)
    assert f"seed {seeds.pop()} for every model" in final["compare_status"]
    explicit = run_compare(app, models=[SCHNELL, DEV], seed=1234)[-1]
    assert [values["seed"] for values in simulator.created_inputs()[3:]] == [1234, 1234]
    assert "seed 1234 for every model" in explicit["compare_status"]


def test_a_comparison_shows_one_column_per_model_then_each_result(app, simulator):
    updates = run_compare(app, models=[SCHNELL, DEV, KONTEXT])
    opening = updates[0]
    assert [opening[f"slot{i}"]["visible"] for i in range(4)] == [True, True, True, False]
    assert opening["images1"]["label"] == "FLUX.1 [dev]"
    [(placeholder, caption)] = opening["images0"]["value"]
    assert Path(placeholder).is_file() and caption == "Generating…"
    final = updates[-1]
    assert "Done in" in final["compare_status"] and "3 of 3 succeeded" in final["compare_status"]
    shown = {i: None for i in range(3)}
    for update in updates[1:]:
        for i in range(3):
            if update.get(f"images{i}"):
                shown[i] = update[f"images{i}"]
    assert all(len(files) == 1 and Path(files[0]).is_file() for files in shown.values())
    runs = final["compare_state"]["runs"]
    assert [run["model"] for run in runs] == [SCHNELL, DEV, KONTEXT]
    assert final["compare_state"]["done"] is True
    history = app.services.history
    for run in runs:
        entry = history.get(run["id"])
        assert entry.model == run["model"] and entry.status == "succeeded"
        assert entry.source == "demo" and entry.files
    listed = app.history_handlers.refresh(None, visitor())["history_ids"]
    assert sorted(listed) == sorted(run["id"] for run in runs)
    # resumable from History like any run (here it is already saved: its files are kept)
    resumed = list(app.history_handlers.resume(runs[0]["id"], None, visitor()))
    assert "Resumed: succeeded" in resumed[-1]["status"]
    assert resumed[-1]["gallery"] == shown[0]


# -- limits --------------------------------------------------------------------------------------


def test_each_model_counts_as_one_run_against_the_visitors_limit(tmp_path):
    clock = FakeClock()  # the runs stay in flight until the test moves this clock on
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        built = build_app(
            settings_for(tmp_path, max_concurrent_per_visitor=2), demo_base_url=sim.base_url
        )
        try:
            run = built.compare_handlers.compare(
                "three at once", [SCHNELL, DEV, PRO], request=visitor()
            )
            seen: dict[int, str] = {}

            def two_running_one_refused():
                seen.update(notes(next(run)))
                refused = [n for n in seen.values() if "Limit reached" in n]
                return len(refused) == 1 and len(creates(sim)) == 2

            wait_for(two_running_one_refused, "two runs created and one refused")
            [refused] = [n for n in seen.values() if "Limit reached" in n]
            assert "You already have 2 runs in progress (the limit is 2)" in refused
            clock.advance(60)  # the two predictions finish
            rest = list(run)
            assert "2 of 3 succeeded" in rest[-1]["compare_status"]
            assert len(built.services.history.list()) == 2
        finally:
            built.close()


def test_each_model_spends_one_of_the_owners_hourly_runs(tmp_path, simulator):
    settings = settings_for(
        tmp_path, owner_key="sk-owner-compare-1234", base_url=simulator.base_url
    )
    settings.max_runs_per_hour = 2
    built = build_app(settings)
    try:
        updates = run_compare(built, models=[SCHNELL, DEV, PRO])
        assert "2 of 3 succeeded" in updates[-1]["compare_status"]
        shown = {i: note for update in updates for i, note in notes(update).items()}
        [refused] = [n for n in shown.values() if "Limit reached" in n]
        assert "used this app's 2 runs for this hour" in refused
        assert len(creates(simulator)) == 2
        after = list(
            drive(built.generate_handlers.generate("one more", SCHNELL, request=visitor()))
        )
        assert "used this app's 2 runs for this hour" in after[-1]["status"]
    finally:
        built.close()


# -- Stop ----------------------------------------------------------------------------------------


def test_stop_hands_every_created_prediction_to_a_follower_that_saves_its_images(tmp_path):
    clock = FakeClock()
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        built = build_app(settings_for(tmp_path), demo_base_url=sim.base_url)
        try:
            run = built.compare_handlers.compare("stopped", [SCHNELL, DEV], request=visitor())
            state: dict = {}

            def both_created():
                state.update(next(run)["compare_state"])
                return all(r["id"] for r in state["runs"])

            wait_for(both_created, "both predictions to be created")
            started = time.monotonic()
            run.close()  # what Stop does: nobody waits in the page any more
            assert time.monotonic() - started < 1.0  # instant: nothing waits in close()
            stopped = built.compare_handlers.stop(state)
            ids = [r["id"] for r in state["runs"]]
            assert all(f"`{i}`" in stopped[f"note{n}"] for n, i in enumerate(ids))
            assert "**Stopped.**" in stopped["compare_status"]
            clock.advance(60)  # the predictions finish on the server
            history = built.services.history
            for prediction_id in ids:
                entry = wait_for(
                    lambda pid=prediction_id: (e := history.get(pid)) and e.files and e,
                    f"the stopped run {prediction_id} to be saved in the background",
                )
                assert entry.status == "succeeded" and Path(entry.files[0]).is_file()
        finally:
            built.close()


def test_stop_after_the_comparison_finished_leaves_the_results_alone(app):
    final = run_compare(app, models=[SCHNELL, DEV])[-1]
    assert set(app.compare_handlers.stop(final["compare_state"])) == {"stop"}


# -- the app, through gradio_client ---------------------------------------------------------


@pytest.fixture
def timed_sim():
    with Simulator(time_scale=1.0, image_size=64, durations=DURATIONS) as sim:
        yield sim


def test_compare_api_runs_three_models_in_parallel_and_records_each(
    connect, launch_app, timed_sim, tmp_path
):
    settings = settings_for(tmp_path, poll_interval=0.05)
    app, url = launch_app(settings, demo_base_url=timed_sim.base_url)
    api = connect(url)

    result = api.predict(
        prompt="three at once", models=["flux-schnell", DEV, "flux-pro"], api_name="/compare"
    )

    status, *slots = result
    assert "3 of 3 succeeded" in status
    galleries = slots[0::2][:3]
    assert all(len(g) == 1 and Path(g[0]["image"]).is_file() for g in galleries)
    assert slots[6] in (None, [])  # the fourth column stays empty
    entries = [e for e in app.services.history.list() if e.prompt == "three at once"]
    assert sorted(e.model for e in entries) == sorted([SCHNELL, DEV, PRO])
    # In parallel: each was created before any of them had finished (the simulator's clock;
    # one after another, each would have waited for the one before).
    records = [timed_sim.predictions[e.id] for e in entries]
    assert max(r.created_mono for r in records) < min(r.completed_mono() for r in records)
    assert all(e.status == "succeeded" and e.files for e in entries)


def test_compare_api_refuses_bad_input_in_its_status(connect, launch_app, simulator, tmp_path):
    _, url = launch_app(settings_for(tmp_path), demo_base_url=simulator.base_url)
    api = connect(url)
    result = api.predict(prompt="a boat", models=["flux-schnell"], api_name="/compare")
    assert "Choose 2 to 4 models" in result[0]
    result = api.predict(prompt="a boat", models=[SCHNELL, "nope"], api_name="/compare")
    assert 'Unknown model "nope"' in result[0]
    assert simulator.received == []


# -- the page ------------------------------------------------------------------------------------


@pytest.fixture
def page(launch_app):
    """A fresh page in Debian's Chromium (skips, or fails on CI, without it)."""
    from playwright.sync_api import expect

    from tests.browser_support import TIMEOUT_MS, VIEWPORT, chromium, require_browser

    require_browser()
    expect.set_options(timeout=TIMEOUT_MS)
    with chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def start_comparison(page, url: str, prompt: str, models: list[str]) -> None:
    """Open the Compare tab, type the prompt, tick the models (by name) and press Compare."""
    from tests.browser_support import open_app

    open_app(page, url)
    page.get_by_role("tab", name="Compare").click()
    page.get_by_label("Prompt for every model").fill(prompt)
    for name in models:
        page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Compare", exact=True).click()


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_the_compare_tab_runs_two_models_and_shows_both_images(launch_app, page, tmp_path):
    from playwright.sync_api import expect

    with Simulator(time_scale=0.1, image_size=128) as sim:
        _, url = launch_app(settings_for(tmp_path), demo_base_url=sim.base_url)
        start_comparison(page, url, "a lighthouse at dusk", ["FLUX.1 [schnell]", "FLUX.1 [dev]"])
        expect(page.locator("#compare-status")).to_contain_text("2 of 2 succeeded")
        for i in range(2):
            wait_for_column(page, i)
            expect(page.locator(f"#compare-note-{i}")).to_contain_text("Succeeded in")
        expect(page.locator("#compare-slot-2")).to_be_hidden()
        sent = sim.created_inputs()
        assert [values["prompt"] for values in sent] == ["a lighthouse at dusk"] * 2
        # the empty seed box means one random seed for both (the page sends "", not 0)
        assert len({values["seed"] for values in sent}) == 1 and sent[0]["seed"] != 0


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_stop_in_the_page_stops_every_column_and_history_still_gets_the_images(
    launch_app, page, tmp_path
):
    from playwright.sync_api import expect

    clock = FakeClock()  # the runs stay in flight until the test moves this clock on
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        app, url = launch_app(settings_for(tmp_path), demo_base_url=sim.base_url)
        start_comparison(page, url, "stopped in the page", ["FLUX.1 [schnell]", "FLUX.1 [dev]"])
        for i in range(2):
            expect(page.locator(f"#compare-note-{i}")).to_contain_text("prediction")
        # Enabled by its own quick event; on a starved machine that answer can come late.
        expect(page.locator("#compare-stop")).to_be_enabled(timeout=90_000)
        page.locator("#compare-stop").click()
        expect(page.locator("#compare-status")).to_contain_text("Stopped.")
        for i in range(2):
            expect(page.locator(f"#compare-note-{i}")).to_contain_text("Stopped waiting")
        expect(page.locator("#compare-stop")).to_be_disabled()
        clock.advance(60)  # the predictions finish on the server
        history = app.services.history
        entries = wait_for(
            lambda: (found := history.list()) and all(e.files for e in found) and found,
            "both stopped runs to be saved by their background followers",
        )
        assert sorted(e.model for e in entries) == sorted([SCHNELL, DEV])
        assert all(e.status == "succeeded" for e in entries)


def wait_for_column(page, index: int) -> None:
    """Until the column shows a saved image (not the placeholder), loaded in full."""
    from tests.browser_support import GALLERY_LOADED_JS, PLACEHOLDER_CAPTION, TIMEOUT_MS

    page.wait_for_function(
        GALLERY_LOADED_JS,
        arg=[f"#compare-images-{index} img", PLACEHOLDER_CAPTION],
        timeout=TIMEOUT_MS,
    )
