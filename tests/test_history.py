"""The history store (comet.history): a prediction recorded the moment it exists, every change
kept, listed for its owner, safe from many threads and processes, migrated forward.
"""

from __future__ import annotations

import base64
import sqlite3
import threading

import pytest

from comet import history as history_module
from comet.history import FILENAME, History, HistoryEntry, HistorySchemaError
from comet.prediction import Prediction
from tests.support import DEADLINE

MODEL = "black-forest-labs/flux-schnell"
CREATED = "2025-01-15T09:54:55.566Z"


def make_prediction(pid: str = "p1", status: str = "starting", **fields) -> Prediction:
    fields.setdefault("input", {"prompt": f"prompt of {pid}", "seed": 1})
    fields.setdefault("model", MODEL)
    return Prediction(id=pid, status=status, **fields)


def ids(entries: list[HistoryEntry]) -> list[str]:
    return [entry.id for entry in entries]


@pytest.fixture
def store(tmp_path):
    history = History.in_directory(tmp_path / "outputs")
    yield history
    history.close()


def test_a_prediction_is_recorded_at_once_and_every_change_is_kept(tmp_path):
    folder = tmp_path / "new" / "dir"  # created, parents too
    with History.in_directory(folder) as store:
        store.record_created(make_prediction(created_at=CREATED), owner="visitor-1", source="cli")
        entry = store.get("p1")
        assert (entry.status, entry.model, entry.prompt, entry.owner, entry.source) == (
            "starting",
            MODEL,
            "prompt of p1",
            "visitor-1",
            "cli",
        )
        assert (entry.files, entry.output, entry.done) == ([], [], False)
        assert entry.recorded_at > 0

        running = make_prediction(status="processing", logs="step 1\n")
        assert store.record_update(running) is True
        assert store.record_update(running) is False  # the same status again
        finished = make_prediction(
            status="succeeded",
            output=["https://replicate.delivery/x/out-0.webp"],
            logs="step 1\nstep 2\n",
            metrics={"predict_time": 0.9},
            started_at="2025-01-15T09:54:55.901Z",
            completed_at="2025-01-15T09:54:56.812Z",
        )
        assert store.record_update(finished) is True
        store.record_files("p1", [folder / "p1-0.webp"])

    with History(folder / FILENAME) as reopened:  # kept on disk
        entry = reopened.get("p1")
        assert repr(reopened) == f"History({str(folder / FILENAME)!r})"
    assert (entry.status, entry.done, entry.save_error) == ("succeeded", True, None)
    assert entry.output == ["https://replicate.delivery/x/out-0.webp"]
    assert entry.files == [str((folder / "p1-0.webp").resolve())]
    assert (entry.logs, entry.metrics) == ("step 1\nstep 2\n", {"predict_time": 0.9})
    assert entry.created_at == CREATED  # kept though the updates lacked it
    assert entry.owner == "visitor-1" and entry.source == "cli"
    assert entry.updated_at >= entry.recorded_at
    assert entry.duration == pytest.approx(1.246)
    with sqlite3.connect(folder / FILENAME) as raw:  # WAL: readers never block writers
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_snapshots_merge_into_what_is_known(store):
    assert store.record_update(make_prediction("new", status="processing")) is True  # inserted
    assert (store.get("new").owner, store.get("new").source) == (None, "app")
    store.record_created(make_prediction("new"), owner="visitor-2", source="cli")
    entry = store.get("new")  # created after an update: the status stays, the owner is added
    assert (entry.status, entry.owner, entry.source) == ("processing", "visitor-2", "cli")
    store.record_created(make_prediction("new"), owner="someone-else")
    assert store.get("new").owner == "visitor-2"  # the first owner keeps it

    store.record_update(Prediction(id="new", status="processing"))  # a bare poll body
    assert (store.get("new").prompt, store.get("new").model) == ("prompt of new", MODEL)
    store.record_update(make_prediction("new", "processing", input={"prompt": "as run"}))
    assert store.get("new").prompt == "as run"  # what the API reports wins
    store.record_update(Prediction(id="bare", status="processing"))
    bare = store.get("bare")
    assert (bare.model, bare.prompt, bare.logs, bare.input) == ("", "", "", {})


def test_a_stale_snapshot_never_reopens_a_finished_prediction(store):
    store.record_created(make_prediction())
    store.record_update(make_prediction(status="succeeded", output=["https://x/o.png"]))

    assert store.record_update(make_prediction(status="processing")) is False

    entry = store.get("p1")
    assert (entry.status, entry.output) == ("succeeded", ["https://x/o.png"])


def test_saved_files_and_the_save_error_are_kept_even_for_an_unknown_id(store, tmp_path):
    store.record_created(make_prediction())
    store.record_files("p1", [tmp_path / "a.png"], save_error="1 of 2 images could not be saved")
    assert store.get("p1").save_error == "1 of 2 images could not be saved"
    store.record_files("p1", [tmp_path / "a.png", tmp_path / "b.png"])  # saved again in full
    assert (store.get("p1").save_error, len(store.get("p1").files)) == (None, 2)

    store.record_files("ghost", [tmp_path / "ghost-0.png"])
    ghost = store.get("ghost")
    assert ghost.files == [str((tmp_path / "ghost-0.png").resolve())]
    assert not ghost.done  # to be looked up again
    assert (ghost.status, ghost.model, ghost.prompt, ghost.logs) == ("starting", "", "", "")
    assert store.get("nope") is None


def test_list_is_newest_first_limited_and_filtered_by_owner_when_asked(store):
    for pid, owner in [("a1", "alice"), ("b1", "bob"), ("local", None), ("a2", "alice")]:
        store.record_created(make_prediction(pid), owner=owner)
    store.record_update(make_prediction("a1", status="succeeded"))  # updating does not reorder

    assert ids(store.list()) == ["a2", "local", "b1", "a1"]
    assert ids(store.list(limit=2)) == ["a2", "local"]
    assert ids(store.list(owner="alice")) == ["a2", "local", "b1", "a1"]
    assert ids(store.list(owner="alice", include_all=False)) == ["a2", "a1"]
    assert ids(store.list(owner="alice", include_all=False, limit=1)) == ["a2"]
    assert store.list(owner="nobody", include_all=False) == []
    assert store.list(limit=0) == store.list(owner="alice", include_all=False, limit=0) == []
    assert store.count() == 4
    assert {entry.source for entry in store.list()} == {"app"}  # the default source


def test_unfinished_lists_running_predictions_newest_first_optionally_one_owners(store):
    statuses = ["starting", "succeeded", "processing", "failed", "canceled", "starting"]
    for number, status in enumerate(statuses):
        owner = "alice" if number % 2 == 0 else "bob"
        store.record_created(make_prediction(f"p{number}", status=status), owner=owner)

    assert ids(store.unfinished()) == ["p5", "p2", "p0"]
    assert ids(store.unfinished(owner="alice")) == ["p2", "p0"]
    assert ids(store.unfinished(owner="bob")) == ["p5"]


def finished(store: History, pid: str, seconds: float, model: str = MODEL, **fields) -> None:
    fields.setdefault("status", "succeeded")
    fields.setdefault("created_at", "2025-01-15T10:00:00Z")
    fields.setdefault("completed_at", f"2025-01-15T10:00:{seconds:06.3f}Z")
    store.record_update(make_prediction(pid, model=model, **fields))


def test_recent_durations_are_the_models_latest_successes_newest_first(store):
    finished(store, "backwards", 9.0, created_at="2025-01-15T11:00:00Z")
    finished(store, "failed", 9.0, status="failed")
    finished(store, "other-model", 9.0, model="black-forest-labs/flux-dev")
    finished(store, "unfinished", 9.0, completed_at=None)
    finished(store, "instant", 0.0)
    finished(store, "one-image", 2.0)
    finished(store, "two-images", 3.0, input={"num_outputs": 2})
    finished(store, "flag", 4.0, input={"num_outputs": True})

    assert store.recent_durations(MODEL) == [4.0, 3.0, 2.0, 0.0]
    assert store.recent_durations(MODEL, limit=2) == [4.0, 3.0]
    assert store.recent_durations(MODEL, num_outputs=2) == [3.0]
    assert store.recent_durations(MODEL, num_outputs=1) == [2.0, 0.0]  # a bool is not a count
    for number in range(5):  # newer runs of another size fill a whole page of the query
        finished(store, f"four-{number}", 5.0, input={"num_outputs": 4})
    assert store.recent_durations(MODEL, limit=1, num_outputs=1) == [2.0]
    assert store.recent_durations(MODEL, limit=1, num_outputs=4) == [5.0]
    assert store.recent_durations(MODEL, limit=3, num_outputs=4) == [5.0, 5.0, 5.0]


def test_delete_forgets_one_prediction(store):
    store.record_created(make_prediction("a"))
    store.record_created(make_prediction("b"))

    assert store.delete("a") is True
    assert store.delete("a") is False
    assert ids(store.list()) == ["b"]


def test_abandon_unfinished_fails_one_sources_running_predictions(store):
    store.record_created(make_prediction("app-running"), source="app")
    store.record_created(make_prediction("app-done", status="succeeded"), source="app")
    store.record_created(make_prediction("cli-running"), source="cli")

    assert store.abandon_unfinished(source="app", reason="the app restarted") == 1

    entry = store.get("app-running")
    assert (entry.status, entry.error) == ("failed", "the app restarted")
    assert store.get("app-done").status == "succeeded"
    assert ids(store.unfinished()) == ["cli-running"]


def test_data_uris_are_shortened_before_storing(store, tmp_path):
    upload = b"\x89PNG\r\n\x1a\n" + b"\0" * 3000
    uri = "data:image/png;base64," + base64.b64encode(upload).decode()
    prediction = make_prediction(input={"prompt": "edit", "input_image": uri}, output=[uri])

    store.record_created(prediction)

    entry = store.get("p1")
    expected = f"data:image/png;base64,… ({len(upload)} bytes, omitted)"
    assert (entry.input, entry.output) == ({"prompt": "edit", "input_image": expected}, [expected])
    store.close()
    for path in (tmp_path / "outputs").iterdir():
        assert base64.b64encode(upload)[:200] not in path.read_bytes()


def test_an_entry_turns_back_into_the_prediction_it_recorded(store):
    original = make_prediction(
        status="failed",
        output=["https://x/o.png"],
        error="NSFW content detected",
        logs="Using seed: 5\n",
        metrics={"predict_time": 1.5},
        created_at="2025-01-15T09:54:55Z",
        started_at="2025-01-15T09:54:56Z",
        completed_at="2025-01-15T09:54:57Z",
    )
    store.record_update(original)
    assert store.get("p1").to_prediction() == original
    assert HistoryEntry(id="x", status="running").to_prediction().status == "processing"


def test_a_damaged_row_reads_as_empty_values(store):
    store.record_created(make_prediction(output=["https://x/o.png"]))
    with sqlite3.connect(store.path) as raw:
        raw.execute("UPDATE predictions SET input = '{oops', output = '{}', metrics = '[1]'")

    entry = store.get("p1")

    assert (entry.input, entry.output, entry.metrics) == ({}, [], {})


def test_duration_is_created_to_completed_else_the_models_predict_time():
    assert HistoryEntry(id="x", metrics={"predict_time": 2.5}).duration == 2.5
    assert HistoryEntry(id="x", metrics={"predict_time": True}).duration is None
    assert HistoryEntry(id="x").duration is None
    nanoseconds = HistoryEntry(
        id="x",
        created_at="2025-01-15T09:54:55.000000001Z",
        completed_at="2025-01-15T09:54:58.5+00:00",
        metrics={"predict_time": 2.5},
    )
    assert nanoseconds.duration == pytest.approx(3.5)


def test_concurrent_writers_in_threads_and_on_one_file_lose_nothing(tmp_path):
    first, second = History.in_directory(tmp_path), History.in_directory(tmp_path)
    errors: list[BaseException] = []

    def worker(store: History, thread: int) -> None:
        try:
            for number in range(20):
                prediction = make_prediction(f"t{thread}-{number}")
                store.record_created(prediction, owner=f"visitor-{thread}")
                prediction.status = "succeeded"
                store.record_update(prediction)
                store.list(limit=5)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=((first, second)[n % 2], n)) for n in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE)
        assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
        assert errors == []
        assert first.count() == second.count() == 120
        assert second.unfinished() == []
        assert len(first.list(owner="visitor-3", include_all=False)) == 20
    finally:
        first.close()
        second.close()
    first.close()  # closing again does nothing
    with pytest.raises(sqlite3.ProgrammingError):
        first.count()


# --- the file's schema --------------------------------------------------------------------------


def columns(path) -> list[str]:
    with sqlite3.connect(path) as raw:
        return [row[1] for row in raw.execute("PRAGMA table_info(predictions)")]


def test_an_old_file_gains_a_new_migration_once_and_keeps_its_rows(tmp_path, monkeypatch):
    with History.in_directory(tmp_path) as old:
        old.record_created(make_prediction(), owner="v")
        assert old.schema_version == len(history_module.MIGRATIONS) == 1
    calls: list[int] = []

    def add_rating(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE predictions ADD COLUMN rating INTEGER")

    monkeypatch.setattr(history_module, "MIGRATIONS", [*history_module.MIGRATIONS, add_rating])

    with History.in_directory(tmp_path) as upgraded:
        assert upgraded.schema_version == 2
        assert upgraded.get("p1").owner == "v"
        upgraded.record_update(make_prediction(status="succeeded"))
    with History.in_directory(tmp_path) as again:
        assert again.schema_version == 2
    assert calls == [1]
    assert "rating" in columns(tmp_path / FILENAME)


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    History.in_directory(tmp_path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE predictions ADD COLUMN half_done TEXT")
        raise RuntimeError("boom")

    monkeypatch.setattr(history_module, "MIGRATIONS", [*history_module.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="boom"):
        History.in_directory(tmp_path)

    monkeypatch.undo()
    with History.in_directory(tmp_path) as history:
        assert history.schema_version == 1
    assert "half_done" not in columns(tmp_path / FILENAME)


def test_a_file_of_a_newer_version_or_not_a_database_is_refused_clearly(tmp_path):
    newer = tmp_path / "newer" / FILENAME
    History(newer).close()
    with sqlite3.connect(newer) as raw:
        raw.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(HistorySchemaError) as caught:
        History(newer)
    assert str(caught.value) == (
        f"{newer} was written by a newer version of comet-flux (history schema 99; this "
        "version knows up to 1). Upgrade comet-flux, or use another output directory."
    )

    (tmp_path / FILENAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(HistorySchemaError, match=r"not a readable history file .* new history\.$"):
        History.in_directory(tmp_path)
    (tmp_path / "folder" / FILENAME).mkdir(parents=True)  # not even a file
    with pytest.raises(HistorySchemaError, match="^Could not open the history file "):
        History.in_directory(tmp_path / "folder")
