"""The history store: recorded at once, updated safely from many threads, migrated forward."""

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


def make_prediction(pid: str = "p1", status: str = "starting", **fields) -> Prediction:
    fields.setdefault("input", {"prompt": f"prompt of {pid}", "seed": 1})
    return Prediction(id=pid, model=MODEL, status=status, **fields)


@pytest.fixture
def store(tmp_path):
    history = History.in_directory(tmp_path / "outputs")
    yield history
    history.close()


def test_in_directory_creates_the_file_in_wal_mode(tmp_path):
    with History.in_directory(tmp_path / "new" / "dir") as history:
        assert history.path == tmp_path / "new" / "dir" / FILENAME
        assert history.path.exists()
        assert history.count() == 0
    with sqlite3.connect(tmp_path / "new" / "dir" / FILENAME) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_lifecycle_created_updated_files(store, tmp_path):
    created = make_prediction(created_at="2025-01-15T09:54:55.566Z")
    store.record_created(created, owner="visitor-1", source="app")

    entry = store.get("p1")
    assert entry is not None
    assert (entry.status, entry.prompt, entry.owner, entry.source) == (
        "starting",
        "prompt of p1",
        "visitor-1",
        "app",
    )
    assert entry.files == [] and entry.output == [] and not entry.done
    assert entry.recorded_at > 0

    running = make_prediction(status="processing", logs="step 1\n")
    assert store.record_update(running) is True
    assert store.record_update(running) is False  # same status again

    image = tmp_path / "outputs" / "p1-0.webp"
    finished = make_prediction(
        status="succeeded",
        output=["https://replicate.delivery/x/out-0.webp"],
        logs="step 1\nstep 2\n",
        metrics={"predict_time": 0.9},
        started_at="2025-01-15T09:54:55.901Z",
        completed_at="2025-01-15T09:54:56.812Z",
    )
    assert store.record_update(finished) is True
    store.record_files("p1", [image])

    entry = store.get("p1")
    assert entry.status == "succeeded" and entry.done
    assert entry.output == ["https://replicate.delivery/x/out-0.webp"]
    assert entry.files == [str(image.resolve())]
    assert entry.logs == "step 1\nstep 2\n"
    assert entry.created_at == "2025-01-15T09:54:55.566Z"  # kept though the update lacked it
    assert entry.owner == "visitor-1"
    assert entry.save_error is None
    assert entry.updated_at >= entry.recorded_at
    assert entry.duration == pytest.approx(1.246)


def test_to_prediction_round_trips(store):
    original = make_prediction(
        status="failed",
        error="NSFW content detected",
        logs="Using seed: 5\n",
        metrics={"predict_time": 1.5},
        created_at="2025-01-15T09:54:55Z",
        completed_at="2025-01-15T09:54:57Z",
    )
    store.record_update(original)
    assert store.get("p1").to_prediction() == original


def test_update_of_an_unknown_prediction_inserts_it(store):
    assert store.record_update(make_prediction("new", status="processing")) is True
    entry = store.get("new")
    assert entry.status == "processing"
    assert entry.owner is None and entry.source == "app"


def test_created_after_an_update_keeps_the_status_and_adds_the_owner(store):
    store.record_update(make_prediction(status="processing"))
    store.record_created(make_prediction(status="starting"), owner="visitor-2", source="cli")
    entry = store.get("p1")
    assert (entry.status, entry.owner, entry.source) == ("processing", "visitor-2", "cli")


def test_a_stale_snapshot_does_not_reopen_a_finished_prediction(store):
    store.record_created(make_prediction())
    store.record_update(make_prediction(status="succeeded", output=["https://x/o.png"]))
    assert store.record_update(make_prediction(status="processing")) is False
    entry = store.get("p1")
    assert entry.status == "succeeded" and entry.output == ["https://x/o.png"]


def test_update_without_input_keeps_the_stored_prompt(store):
    store.record_created(make_prediction())
    store.record_update(Prediction(id="p1", status="processing"))
    entry = store.get("p1")
    assert entry.prompt == "prompt of p1" and entry.model == MODEL


def test_record_files_keeps_the_save_error_and_can_clear_it(store, tmp_path):
    store.record_created(make_prediction())
    store.record_files("p1", [tmp_path / "a.png"], save_error="1 of 2 images could not be saved")
    assert store.get("p1").save_error == "1 of 2 images could not be saved"
    store.record_files("p1", [tmp_path / "a.png", tmp_path / "b.png"])
    entry = store.get("p1")
    assert entry.save_error is None and len(entry.files) == 2


def test_record_files_for_an_unknown_id_keeps_them(store, tmp_path):
    store.record_files("ghost", [tmp_path / "ghost-0.png"])
    entry = store.get("ghost")
    assert entry.files == [str((tmp_path / "ghost-0.png").resolve())]
    assert not entry.done  # to be looked up again


def test_get_unknown_is_none(store):
    assert store.get("nope") is None


def test_list_is_newest_first_and_limited(store):
    for pid in ("a", "b", "c"):
        store.record_created(make_prediction(pid))
    store.record_update(make_prediction("a", status="succeeded"))  # updating does not reorder

    assert [e.id for e in store.list()] == ["c", "b", "a"]
    assert [e.id for e in store.list(limit=2)] == ["c", "b"]
    assert store.count() == 3


def test_list_filters_by_owner_only_when_asked(store):
    store.record_created(make_prediction("a1"), owner="alice")
    store.record_created(make_prediction("b1"), owner="bob")
    store.record_created(make_prediction("local"))
    store.record_created(make_prediction("a2"), owner="alice")

    assert [e.id for e in store.list(owner="alice", include_all=False)] == ["a2", "a1"]
    assert [e.id for e in store.list(owner="alice")] == ["a2", "local", "b1", "a1"]
    assert [e.id for e in store.list()] == ["a2", "local", "b1", "a1"]
    assert store.list(owner="nobody", include_all=False) == []


def test_unfinished_lists_running_predictions_newest_first(store):
    statuses = ["starting", "succeeded", "processing", "failed", "canceled", "starting"]
    for number, status in enumerate(statuses):
        owner = "alice" if number % 2 == 0 else "bob"
        store.record_created(make_prediction(f"p{number}", status=status), owner=owner)

    assert [e.id for e in store.unfinished()] == ["p5", "p2", "p0"]
    assert [e.id for e in store.unfinished(owner="alice")] == ["p2", "p0"]
    assert all(not e.done for e in store.unfinished())


def test_history_persists_across_reopen(tmp_path):
    with History.in_directory(tmp_path) as first:
        first.record_created(make_prediction(), owner="v")
        first.record_files("p1", [tmp_path / "p1-0.png"])
    with History(tmp_path / FILENAME) as second:
        entry = second.get("p1")
        assert entry.owner == "v" and entry.files == [str((tmp_path / "p1-0.png").resolve())]
        assert second.count() == 1
        assert second.schema_version == len(history_module.MIGRATIONS)


def test_close_is_idempotent(tmp_path):
    history = History.in_directory(tmp_path)
    history.close()
    history.close()


def test_concurrent_writers_lose_nothing(store):
    errors: list[BaseException] = []

    def worker(thread: int) -> None:
        try:
            for number in range(25):
                prediction = make_prediction(f"t{thread}-{number}")
                store.record_created(prediction, owner=f"visitor-{thread}")
                prediction.status = "succeeded"
                store.record_update(prediction)
                store.list(limit=5)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE)

    assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
    assert errors == []
    assert store.count() == 200
    assert store.unfinished() == []
    assert len(store.list(owner="visitor-3", include_all=False)) == 25


def test_two_stores_on_one_file_share_it(tmp_path):
    first, second = History.in_directory(tmp_path), History.in_directory(tmp_path)
    try:

        def write(store: History, prefix: str) -> None:
            for number in range(25):
                store.record_created(make_prediction(f"{prefix}{number}"))

        threads = [
            threading.Thread(target=write, args=(first, "a")),
            threading.Thread(target=write, args=(second, "b")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE)
        assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
        assert first.count() == second.count() == 50
    finally:
        first.close()
        second.close()


# --- migrations ---


def test_a_version_1_file_gains_a_new_migration(tmp_path, monkeypatch):
    with History.in_directory(tmp_path) as old:
        old.record_created(make_prediction(), owner="v")
        assert old.schema_version == 1

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
    assert calls == [1]  # applied once

    with sqlite3.connect(tmp_path / FILENAME) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(predictions)")]
    assert "rating" in columns


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
    with sqlite3.connect(tmp_path / FILENAME) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(predictions)")]
    assert "half_done" not in columns


def test_a_newer_schema_is_refused_clearly(tmp_path):
    History.in_directory(tmp_path).close()
    with sqlite3.connect(tmp_path / FILENAME) as raw:
        raw.execute("UPDATE schema_version SET version = 99")

    with pytest.raises(HistorySchemaError, match=r"newer version of comet-flux.*schema 99"):
        History.in_directory(tmp_path)


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path):
    (tmp_path / FILENAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(HistorySchemaError, match="not a readable history file"):
        History.in_directory(tmp_path)


# --- what is stored ---


def test_data_uris_are_shortened_before_storing(store, tmp_path):
    upload = b"\x89PNG\r\n\x1a\n" + b"\0" * 3000
    uri = "data:image/png;base64," + base64.b64encode(upload).decode()
    prediction = make_prediction(
        status="succeeded", input={"prompt": "edit", "input_image": uri}, output=[uri]
    )

    store.record_created(prediction)

    entry = store.get("p1")
    expected = f"data:image/png;base64,… ({len(upload)} bytes, omitted)"
    assert entry.input == {"prompt": "edit", "input_image": expected}
    assert entry.output == [expected]
    store.close()
    for path in (tmp_path / "outputs").iterdir():
        assert base64.b64encode(upload).decode()[:200].encode() not in path.read_bytes()


def test_duration_falls_back_to_predict_time():
    entry = HistoryEntry(id="x", metrics={"predict_time": 2.5})
    assert entry.duration == 2.5
    assert HistoryEntry(id="x").duration is None
    nanoseconds = HistoryEntry(
        id="x",
        created_at="2025-01-15T09:54:55.000000001Z",
        completed_at="2025-01-15T09:54:58.5+00:00",
    )
    assert nanoseconds.duration == pytest.approx(3.5)


def test_repr_names_the_file(store):
    assert FILENAME in repr(store)
