"""A run from create to saved files: a "saving" update as each image lands, then "saved".

Against the simulator on 127.0.0.1 (every run finished at once, time_scale=0) or a tiny image
host of the test's own; nothing here depends on how long anything takes. How long follow_job
lets the images take before it says the run succeeded (SUCCESS_UPDATE_AFTER) is set by the
tests that care: 0 (always say it first) or the test deadline (the images always come first).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import comet.jobs
from comet.history import History
from comet.jobs import JobUpdate, follow_job, save_prediction, start_job
from tests.support import DEADLINE, wait_for

MODEL = "black-forest-labs/flux-schnell"


def output_index(path: Path) -> int:
    """Saved files are named <id>-<index>.<ext>."""
    return int(Path(path).stem.rsplit("-", 1)[1])


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
        if update.stage == "saving":  # history records the files once, at the end
            assert history.get(update.prediction.id).files == []
        updates.append(update)
    return updates


def assert_growing(saving: list[JobUpdate]) -> None:
    """One more file each time, none dropped, always in output order."""
    assert [len(u.files) for u in saving] == list(range(1, len(saving) + 1))
    for before, after in zip(saving, saving[1:], strict=False):
        assert set(before.files) < set(after.files)
    for update in saving:
        assert [output_index(p) for p in update.files] == sorted(map(output_index, update.files))


def test_each_file_brings_an_update_with_the_files_so_far_and_the_last_comes_with_saved(
    simulator, client_for, history, tmp_path, images_first
):
    out = tmp_path / "out"

    updates = run(client_for(simulator), history, out, num_outputs=4)

    # The run is done at the first poll: no waiting update, no "succeeded" one either.
    assert [u.stage for u in updates] == ["created", "saving", "saving", "saving", "saved"]
    saving = updates[1:4]
    assert_growing(saving)
    final = updates[-1]
    assert set(saving[-1].files) < set(final.files)
    assert [output_index(p) for p in final.files] == [0, 1, 2, 3]
    assert final.save_error is None
    for path in final.files:
        with Image.open(path) as image:
            image.load()
    entry = history.get(final.prediction.id)
    assert entry.files == [str(Path(p).resolve()) for p in final.files]


def test_one_image_comes_with_the_saved_update_alone(
    simulator, client_for, history, tmp_path, images_first
):
    updates = run(client_for(simulator), history, tmp_path / "out")

    assert [u.stage for u in updates] == ["created", "saved"]
    assert len(updates[-1].files) == 1


def test_slow_images_are_preceded_by_a_succeeded_update_and_download_meanwhile(
    simulator, client_for, history, tmp_path, success_first
):
    out = tmp_path / "out"
    job = start_job(
        client_for(simulator),
        MODEL,
        {"prompt": "x", "num_outputs": 2},
        output_dir=out,
        history=history,
    )
    success = next(u for u in job if u.prediction.succeeded)
    prediction_id = success.prediction.id

    assert success.stage == "waiting" and success.files == []
    wait_for(  # the job is not advanced: the downloads run on their own
        lambda: len(list(out.glob(f"{prediction_id}-*.webp"))) == 2, "both images to land"
    )
    rest = list(job)
    assert [u.stage for u in rest] == ["saving", "saved"]
    assert [output_index(p) for p in rest[-1].files] == [0, 1]


@pytest.mark.parametrize("fault", [{"drop": True}, {"status": 500}], ids=["dropped", "http-500"])
def test_a_download_that_fails_still_yields_the_others(
    simulator, client_for, history, tmp_path, fault
):
    out = tmp_path / "out"
    simulator.add_fault("file", **fault)  # whichever download asks first fails

    updates = run(client_for(simulator), history, out, num_outputs=4)

    saving = [u for u in updates if u.stage == "saving"]
    final = updates[-1]
    # Three images land; each one but the last to finish brings an update of its own.
    assert len(saving) in (2, 3)
    assert_growing(saving)
    assert final.stage == "saved" and final.prediction.succeeded
    assert len(final.files) == 3 and set(saving[-1].files) <= set(final.files)
    failed = ({0, 1, 2, 3} - {output_index(p) for p in final.files}).pop()
    assert final.save_error.startswith(f"1 of 4 images could not be saved: output {failed}: ")
    entry = history.get(final.prediction.id)
    assert entry.save_error == final.save_error
    assert entry.files == [str(Path(p).resolve()) for p in final.files]


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


def test_resuming_a_saved_run_keeps_its_files_without_saving_updates(
    simulator, client_for, history, tmp_path
):
    out = tmp_path / "out"
    client = client_for(simulator)
    first = run(client, history, out, num_outputs=2)[-1]

    again = list(follow_job(client, first.prediction.id, output_dir=out, history=history))

    assert [u.stage for u in again] == ["waiting", "saved"]  # the success, then its files
    assert again[-1].files == first.files


def test_a_failed_prediction_has_no_saving_stage(simulator, client_for, history, tmp_path):
    simulator.fail_next("NSFW content detected")

    updates = run(client_for(simulator), history, tmp_path / "out")

    assert "saving" not in [u.stage for u in updates]
    assert updates[-1].stage == "saved" and updates[-1].files == []
    assert updates[-1].prediction.status == "failed"


def test_save_prediction_returns_the_files_in_output_order(simulator, client_for, tmp_path):
    prediction = client_for(simulator).run(MODEL, {"prompt": "x", "num_outputs": 3})

    files, error = save_prediction(prediction, tmp_path)

    assert error is None
    assert [p.name for p in files] == [f"{prediction.id}-{i}.webp" for i in range(3)]
