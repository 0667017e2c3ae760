"""One run from create to saved files (comet.jobs): recorded in history at every step, an
update as each image lands, nothing downloaded twice, nothing lost when a download fails.

Against the simulator on 127.0.0.1 (every run finished at once, time_scale=0, unless a fake
clock drives it). How long follow_job lets the images take before it says the run succeeded
(SUCCESS_UPDATE_AFTER) is set by the tests that care: 0 (always say it first) or the test
deadline (the images always come first).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import comet.jobs
from comet import CometClient
from comet.errors import CometTimeout
from comet.history import History
from comet.jobs import JobUpdate, follow_job, save_prediction, saving_prediction, start_job
from comet.metadata import read_settings
from comet.prediction import Prediction
from comet.simulator import Simulator
from tests.support import DEADLINE, FakeClock, wait_for

MODEL = "black-forest-labs/flux-schnell"


def output_index(path: Path) -> int:
    """Saved files are named <id>-<index>.<ext>."""
    return int(Path(path).stem.rsplit("-", 1)[1])


def downloads(sim: Simulator) -> int:
    return sum(1 for r in sim.received if r.method == "GET" and "/delivery/" in r.path)


@pytest.fixture
def history(tmp_path):
    opened = History.in_directory(tmp_path / "out")
    yield opened
    opened.close()


@pytest.fixture
def images_first(monkeypatch):
    """The images land before follow_job would say the run succeeded."""
    monkeypatch.setattr(comet.jobs, "SUCCESS_UPDATE_AFTER", DEADLINE)


@pytest.fixture
def success_first(monkeypatch):
    """follow_job says the run succeeded before it hands on any image."""
    monkeypatch.setattr(comet.jobs, "SUCCESS_UPDATE_AFTER", 0.0)


def run(client, history: History, out: Path, **values) -> list[JobUpdate]:
    """Every update of one run, checking as they come that each listed file is on disk."""
    values.setdefault("prompt", "four paper boats")
    updates = []
    for update in start_job(client, MODEL, values, output_dir=out, history=history):
        assert all(Path(p).is_file() for p in update.files), "a file listed before it existed"
        updates.append(update)
    return updates


def test_a_run_is_recorded_at_once_and_each_image_brings_an_update(
    simulator, client_for, history, tmp_path, images_first
):
    out = tmp_path / "out"
    job = start_job(
        client_for(simulator),
        MODEL,
        {"prompt": "boats", "num_outputs": 4},
        output_dir=out,
        history=history,
        owner="visitor-1",
        source="cli",
    )

    created = next(job)
    entry = history.get(created.prediction.id)  # before any poll
    assert created.stage == "created" and entry.status == "starting"
    assert (entry.prompt, entry.owner, entry.source) == ("boats", "visitor-1", "cli")
    rest = list(job)

    # The run is done at the first poll: no waiting update; the last image comes with "saved".
    assert [u.stage for u in rest] == ["saving", "saving", "saving", "saved"]
    assert [len(u.files) for u in rest] == [1, 2, 3, 4]
    for update in rest:
        assert [output_index(p) for p in update.files] == sorted(map(output_index, update.files))
    final = rest[-1]
    assert [output_index(p) for p in final.files] == [0, 1, 2, 3]
    assert final.save_error is None and final.prediction.succeeded
    entry = history.get(final.prediction.id)
    assert entry.status == "succeeded"
    assert entry.files == [str(Path(p).resolve()) for p in final.files]


def test_slow_images_are_preceded_by_a_succeeded_update_and_download_meanwhile(
    simulator, client_for, history, tmp_path, success_first
):
    out = tmp_path / "out"
    job = start_job(client_for(simulator), MODEL, {"prompt": "x", "num_outputs": 2}, output_dir=out)
    success = next(u for u in job if u.prediction.succeeded)

    assert success.stage == "waiting" and success.files == []
    wait_for(  # the job is not advanced: the downloads run on their own
        lambda: len(list(out.glob(f"{success.prediction.id}-*.webp"))) == 2, "both images"
    )
    rest = list(job)
    assert [u.stage for u in rest] == ["saving", "saved"]
    assert [output_index(p) for p in rest[-1].files] == [0, 1]


def test_a_download_that_fails_costs_only_its_own_image(simulator, client_for, history, tmp_path):
    simulator.add_fault("file", status=500)  # whichever download asks first fails

    final = run(client_for(simulator), history, tmp_path / "out", num_outputs=4)[-1]

    assert final.stage == "saved" and final.prediction.succeeded
    assert len(final.files) == 3
    failed = ({0, 1, 2, 3} - {output_index(p) for p in final.files}).pop()
    assert final.save_error == (
        f"1 of 4 images could not be saved: output {failed}: the delivery server failed (HTTP 500)"
    )
    assert str(final.save_message) == final.save_error  # the same, as data for a UI to word
    entry = history.get(final.prediction.id)
    assert entry.save_error == final.save_error
    assert entry.files == [str(Path(p).resolve()) for p in final.files]


def test_a_failed_prediction_is_recorded_with_its_error(simulator, client_for, history, tmp_path):
    simulator.fail_next("NSFW content detected")

    updates = run(client_for(simulator), history, tmp_path / "out")

    assert [u.stage for u in updates] == ["created", "saved"]
    final = updates[-1]
    assert (final.prediction.status, final.files) == ("failed", [])
    entry = history.get(final.prediction.id)
    assert (entry.status, entry.error, entry.source) == ("failed", "NSFW content detected", "app")
    assert downloads(simulator) == 0


def test_resuming_a_saved_run_downloads_nothing_again_unless_a_file_is_gone(
    simulator, client_for, history, tmp_path
):
    out = tmp_path / "out"
    client = client_for(simulator)
    first = run(client, history, out, num_outputs=2)[-1]
    fetched = downloads(simulator)

    again = list(follow_job(client, first.prediction.id, output_dir=out, history=history))

    assert [u.stage for u in again] == ["waiting", "saved"]  # the success, then its files
    assert again[-1].files == first.files and again[-1].prediction.succeeded
    assert save_prediction(first.prediction, out, history) == (first.files, None)
    assert downloads(simulator) == fetched
    first.files[1].unlink()
    files, error = save_prediction(first.prediction, out, history)
    assert (files, error) == (first.files, None)
    assert downloads(simulator) == fetched + 2


def test_stopping_while_saving_records_nothing_and_the_next_follower_saves_all(
    simulator, client_for, history, tmp_path, success_first
):
    out = tmp_path / "out"
    client = client_for(simulator)
    job = start_job(
        client, MODEL, {"prompt": "x", "num_outputs": 4}, output_dir=out, history=history
    )
    success = next(u for u in job if u.prediction.succeeded)

    job.close()  # Stop while saving: returns without waiting for the downloads under way

    prediction_id = success.prediction.id
    assert history.get(prediction_id).files == []
    final = list(follow_job(client, prediction_id, output_dir=out, history=history))[-1]
    assert final.stage == "saved" and final.save_error is None
    assert [output_index(p) for p in final.files] == [0, 1, 2, 3]
    assert history.get(prediction_id).files == [str(Path(p).resolve()) for p in final.files]


@pytest.fixture
def slow_world():
    """A simulator and a client on one fake clock: runs take simulated seconds, no real time."""
    clock = FakeClock()
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        client = CometClient(
            api_key="test-key-123456", base_url=sim.base_url, clock=clock, sleep=clock.sleep
        )
        with client:
            yield sim, client


def test_a_poll_that_is_retried_is_noted_once_on_the_next_update(slow_world, tmp_path):
    sim, client = slow_world
    sim.add_fault("get", status=503, retry_after=0)

    updates = list(start_job(client, MODEL, {"prompt": "x"}, output_dir=tmp_path))

    noted = [u for u in updates if u.note]
    assert len(noted) == 1
    assert noted[0].stage == "waiting" and not noted[0].prediction.done
    assert "503" in noted[0].note and noted[0].note.endswith(" Retrying in 0.0 s.")
    assert updates[-1].prediction.succeeded and len(updates[-1].files) == 1


def test_a_wait_that_runs_out_raises_with_the_id_to_resume(slow_world, history, tmp_path):
    sim, client = slow_world
    job = start_job(
        client, MODEL, {"prompt": "x"}, output_dir=tmp_path, history=history, timeout=0.5
    )
    created = next(job)

    with pytest.raises(CometTimeout) as caught:
        list(job)

    assert caught.value.prediction_id == created.prediction.id
    assert not history.get(created.prediction.id).done  # still there, to resume


def test_images_of_a_bare_poll_body_carry_what_was_sent_else_what_history_recorded(
    simulator, client_for, history, tmp_path
):
    client = client_for(simulator)
    prediction = client.run(MODEL, {"prompt": "no echo", "num_outputs": 3})
    history.record_created(prediction)
    bare = Prediction(id=prediction.id, model=MODEL, status="succeeded", output=prediction.output)

    files, error = save_prediction(bare, tmp_path / "a", history)
    *_, sent = follow_job(client, bare, output_dir=tmp_path / "b", sent=(MODEL, {"prompt": "sent"}))
    unknown, _ = save_prediction(bare, tmp_path / "c")

    assert error is None
    assert [p.name for p in files] == [f"{prediction.id}-{i}.webp" for i in range(3)]
    assert history.get(prediction.id).files == [str(p.resolve()) for p in files]
    assert (read_settings(files[2])["model"], read_settings(files[2])["prompt"]) == (
        MODEL,
        "no echo",
    )
    assert [read_settings(path)["prompt"] for path in sent.files] == ["sent"] * 3
    assert read_settings(unknown[0])["input"] == {}  # nothing to go on


def test_saving_prediction_closed_early_records_nothing(simulator, client_for, history, tmp_path):
    prediction = client_for(simulator).run(MODEL, {"prompt": "x", "num_outputs": 2})
    history.record_created(prediction)
    saving = saving_prediction(prediction, tmp_path, history)

    first = next(saving)
    saving.close()

    assert first.stage == "saving" and len(first.files) == 1
    assert history.get(prediction.id).files == []
