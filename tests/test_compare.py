"""The Compare tab (webui/compare_tab.py): one prompt sent to 2-4 models at once, side by side.

The handlers are called directly on a fast simulator, or on one with a fake clock where runs must
stay in flight. The page's Stop is driven in a real browser in test_browser.py; /compare of the
public API is in test_api.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from comet.simulator import Simulator
from tests.page_support import DEV, KONTEXT, PRO, SCHNELL, open_page, sent, visitor
from tests.support import FakeClock, creates, wait_for
from webui.compare_tab import plan_comparison

ULTRA = "black-forest-labs/flux-1.1-pro-ultra"


@pytest.fixture(scope="module")
def page(sim, tmp_path_factory):
    """conftest's shared page, with no limit of runs at once (a comparison is several)."""
    folder = tmp_path_factory.mktemp("compare")
    with open_page(folder, sim, max_concurrent_per_visitor=0) as opened:
        yield opened


def run_compare(page, models, **kwargs) -> list[dict]:
    kwargs.setdefault("request", visitor())
    return list(page.compare.compare(kwargs.pop("prompt", "a paper boat"), models, **kwargs))


def notes(updates: list[dict]) -> dict[int, str]:
    """The last status line each column was given."""
    return {i: u[f"note{i}"] for u in updates for i in range(4) if f"note{i}" in u}


# -- input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "models", "seed", "message"),
    [
        ("   ", [SCHNELL, DEV], None, "Enter a prompt"),
        ("a boat", None, None, "Choose 2 to 4 models to compare (you chose 0)"),
        ("a boat", [SCHNELL, SCHNELL], None, "(you chose 1)"),  # a repeat counts once
        ("a boat", [SCHNELL, DEV, PRO, ULTRA, KONTEXT], None, "(you chose 5)"),
        ("a boat", [SCHNELL, "<img src=x>"], None, 'Unknown model "&lt;img src=x&gt;". Choose'),
        ("a boat", [SCHNELL, "y" * 99], None, 'Unknown model "' + "y" * 59 + '…"'),
        ("a boat", ["nope"] * 17, None, "(you chose 17)"),  # too many to look each one up
        ("a boat", {"a": 1}, None, "Models must be a list"),
        ("a boat", [SCHNELL, DEV], "1.5", '"seed" must be a whole number'),
        ("x" * 2001, [SCHNELL, DEV], None, "The prompt is 2,001 characters"),
    ],
)
def test_bad_input_gets_one_clear_status_and_nothing_is_sent(
    page, sim, prompt, models, seed, message
):
    new = sent(sim)
    [update] = run_compare(page, models, prompt=prompt, seed=seed)
    assert set(update) == {"compare_status"}  # the columns keep what they showed
    assert update["compare_status"].startswith("**Please check the input.**")
    assert message in update["compare_status"]
    assert new() == []


def test_short_names_and_a_comma_separated_string_are_accepted():
    plan = plan_comparison(" a kite ", " flux-schnell, flux-dev,flux-schnell, ", seed=" 5 ")
    assert [spec.id for spec in plan.specs] == [SCHNELL, DEV]
    assert plan.prompt == "a kite" and plan.seed == 5
    assert plan.inputs == [{"prompt": "a kite", "seed": 5}] * 2


def test_one_seed_goes_to_every_model_and_every_other_field_keeps_its_default(page, sim):
    new = sent(sim)
    final = run_compare(page, ["flux-schnell", DEV, "flux-1.1-pro-ultra"])[-1]
    [seed] = {create.json["input"]["seed"] for create in new()}  # drawn once, shared
    assert [c.json["input"] for c in new()] == [{"prompt": "a paper boat", "seed": seed}] * 3
    assert f"seed {seed} for every model" in final["compare_status"]
    new = sent(sim)
    run_compare(page, [SCHNELL, DEV], seed=1234)
    assert [c.json["input"]["seed"] for c in new()] == [1234, 1234]


def test_a_comparison_shows_one_column_per_model_then_each_result_recorded_in_history(page):
    updates = run_compare(page, [SCHNELL, DEV, KONTEXT])
    opening = updates[0]
    assert opening["compare_status"].startswith("**Comparing 3 models…** 0.0 s · seed ")
    assert [opening[f"slot{i}"]["visible"] for i in range(4)] == [True, True, True, False]
    assert opening["images1"]["label"] == "FLUX.1 [dev]"
    [(placeholder, caption)] = opening["images0"]["value"]
    assert Path(placeholder).is_file() and caption == "Generating…"
    assert opening["note2"] == "**Submitting…** · `flux-kontext-pro`"
    final = updates[-1]
    assert final["compare_status"].startswith("**Done in")
    assert "3 of 3 succeeded" in final["compare_status"]
    runs = final["compare_state"]["runs"]
    assert [run["model"] for run in runs] == [SCHNELL, DEV, KONTEXT]
    for i, run in enumerate(runs):
        entry = page.services.history.get(run["id"])
        assert entry.model == run["model"] and entry.status == "succeeded"
        assert final[f"images{i}"] == entry.files  # the last update repeats every column
        assert final[f"note{i}"].startswith("**Succeeded in") and run["id"] in final[f"note{i}"]
    assert [final[f"slot{i}"]["visible"] for i in range(4)] == [True, True, True, False]


def test_a_model_that_fails_says_why_in_its_column_and_the_others_stand(page, sim):
    sim.fail_next("NSFW content detected")
    final = run_compare(page, [SCHNELL, DEV])[-1]
    assert "1 of 2 succeeded" in final["compare_status"]
    [failed] = [i for i in range(2) if "NSFW content detected" in final[f"note{i}"]]
    assert final[f"images{failed}"] is None and "\n\n_after " in final[f"note{failed}"]
    assert final[f"images{1 - failed}"] and final[f"note{1 - failed}"].startswith("**Succeeded")


# -- limits --------------------------------------------------------------------------------------


def test_models_beyond_the_visitors_limit_wait_for_a_free_run_then_start(tmp_path):
    clock = FakeClock()  # the runs stay in flight until the test moves this clock on
    with (
        Simulator(time_scale=1.0, image_size=64, clock=clock) as held,
        open_page(tmp_path / "out", held, max_concurrent_per_visitor=2) as page,
    ):
        run = page.compare.compare("three at once", [SCHNELL, DEV, PRO], request=visitor())
        seen: list[dict] = [next(run)]
        assert notes(seen)[2].startswith("**Waiting for a free run…** · `flux-pro`")
        assert "(2 at once on this app)" in notes(seen)[2]

        def created(count: int):
            def check() -> bool:
                seen.append(next(run))
                return len(creates(held)) == count

            return check

        wait_for(created(2), "the first two models created at once")
        assert [c.json["input"]["prompt"] for c in creates(held)] == ["three at once"] * 2
        assert notes(seen)[2].startswith("**Waiting for a free run…**")  # not refused
        clock.advance(60)  # the first two finish: the third takes a freed run
        wait_for(created(3), "the third model created once a run ended")
        assert creates(held)[2].path.endswith("/black-forest-labs/flux-pro/predictions")
        clock.advance(60)
        final = list(run)[-1]
        assert "3 of 3 succeeded" in final["compare_status"]
        assert len(page.services.history.list()) == 3


def test_stop_while_a_model_waits_for_a_free_run_sends_nothing_for_it(tmp_path):
    clock = FakeClock()
    with (
        Simulator(time_scale=1.0, image_size=64, clock=clock) as held,
        open_page(tmp_path / "out", held, max_concurrent_per_visitor=1) as page,
    ):
        run = page.compare.compare("one at a time", [SCHNELL, DEV], request=visitor())
        state: dict = {}

        def first_created() -> bool:
            state.update(next(run)["compare_state"])
            return len(creates(held)) == 1

        wait_for(first_created, "the first model created")
        stopped = page.compare.stop(state, request=visitor())
        assert stopped["note1"].startswith("Stopped before this model's prediction was created")
        list(run)
        clock.advance(60)  # the first run, handed to a follower, ends; the second never starts
        wait_for(lambda: page.services.history.list()[0].files, "the stopped run's images")
    assert len(creates(held)) == 1


def test_each_model_spends_one_of_the_owners_hourly_runs(tmp_path, sim):
    new = sent(sim)
    with open_page(
        tmp_path / "o", owner_key="sk-owner-compare-1234", base_url=sim.base_url,
        max_runs_per_hour=2, max_concurrent_per_visitor=0,
    ) as page:  # fmt: skip
        updates = run_compare(page, [SCHNELL, DEV, PRO])
        after = page.run("one more")[-1]["status"]
    assert "2 of 3 succeeded" in updates[-1]["compare_status"]
    [refused] = [n for n in notes(updates).values() if n.startswith("**Limit reached.**")]
    assert "used this app's 2 runs for this hour" in refused
    assert "used this app's 2 runs for this hour" in after
    assert len(new()) == 2


# -- Stop ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ended_by", ["stop", "closed"])
def test_stop_hands_every_created_prediction_to_a_follower_that_saves_its_images(
    tmp_path, ended_by
):
    clock = FakeClock()  # held: both creates while the clock stands still show the runs overlap
    with (
        Simulator(time_scale=1.0, image_size=64, clock=clock) as held,
        open_page(tmp_path / "out", held, max_concurrent_per_visitor=0) as page,
    ):
        run = page.compare.compare("stopped", [SCHNELL, DEV], request=visitor())
        state: dict = {}

        def both_created():
            state.update(next(run)["compare_state"])
            return all(r["id"] for r in state["runs"])

        wait_for(both_created, "both predictions to be created, in parallel")
        started = time.monotonic()
        if ended_by == "stop":  # the page's Stop: the comparison ends itself and says so
            stopped = page.compare.stop(state, request=visitor())
            last = list(run)[-1]
            assert last["compare_status"] == stopped["compare_status"]
            assert last["compare_state"]["done"] is True
        else:  # an API caller gone, or the app closing the event: nobody waits any more
            run.close()
            stopped = page.compare.stop(state)
        assert time.monotonic() - started < 2.0  # nothing waits for the runs to finish
        assert stopped["compare_status"].startswith("**Stopped.**")
        assert stopped["stop"]["interactive"] is False
        for i, r in enumerate(state["runs"]):
            assert f"prediction `{r['id']}` may still finish" in stopped[f"note{i}"]
            assert stopped[f"images{i}"] is None
        clock.advance(60)  # the predictions finish on the server
        history = page.services.history
        for r in state["runs"]:
            entry = wait_for(
                lambda pid=r["id"]: (e := history.get(pid)) and e.files and e,
                f"the stopped run {r['id']} to be saved in the background",
            )
            assert entry.status == "succeeded" and Path(entry.files[0]).is_file()
        assert len(creates(held)) == 2  # nothing sent twice


def test_stop_says_nothing_was_sent_for_a_model_not_yet_created_and_leaves_a_finished_one(page):
    runs = [{"model": SCHNELL, "id": "done1", "done": True}, {"model": DEV, "id": None}]
    stopped = page.compare.stop({"runs": runs, "done": False})
    assert "note0" not in stopped and "images0" not in stopped  # its result stands
    assert stopped["note1"].startswith("Stopped before this model's prediction was created")


def test_stop_after_the_comparison_finished_leaves_the_results_alone(page):
    final = run_compare(page, [SCHNELL, DEV])[-1]
    assert set(page.compare.stop(final["compare_state"])) == {"stop"}
    assert set(page.compare.stop(None)) == {"stop"}  # nothing compared yet
