"""The app as built and launched: Gradio as shipped, small events, nothing served by path,
no key anywhere, what the terminal says. (The API: test_api.py; MCP: test_mcp.py.)"""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import uuid
from pathlib import Path

import gradio as gr
import pytest
import requests
from gradio_client import Client

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.support import ROOT, clean_env, creates, free_port, run_python
from webui.launch import launch_options, startup_lines

OWNER_KEY = "sk-OWNER-leakcheck-7f3a9c"


def _gradio_attributes() -> dict[tuple[str, str], int]:
    """id() of every attribute of every loaded gradio module and of each class in them."""
    seen: dict[tuple[str, str], int] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("gradio") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            if _code(value):
                seen[(name, attribute)] = id(value)
            if inspect.isclass(value) and value.__module__ == name:
                for member, inner in list(vars(value).items()):
                    if _code(inner):
                        seen[(f"{name}.{attribute}", member)] = id(inner)
    return seen


def _code(value: object) -> bool:
    """Functions, methods, classes and modules: what a patch replaces (not counters)."""
    return callable(value) or inspect.ismodule(value) or isinstance(value, property)


def test_building_and_launching_leaves_every_gradio_module_and_class_as_shipped(tmp_path):
    import gradio  # noqa: F401 - loaded before the snapshot, as app.py loads it

    from webui import build_app

    before = _gradio_attributes()
    app = build_app(AppSettings(output_dir=tmp_path))
    try:
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port())
        after = _gradio_attributes()
    finally:
        app.close()
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert changed == []


def test_no_event_of_the_page_carries_more_than_30_inputs_or_40_outputs(app):
    events = list(app.blocks.fns.values())
    assert max(len(e.inputs) for e in events) <= 30
    assert max(len(e.outputs) for e in events) <= 40
    public = {e.api_name for e in events if e.api_visibility == "public"}
    assert public == {"generate", "compare", "get_prediction", "list_models"}


def test_what_follows_each_stop_updates_every_shown_part_of_the_runs_it_cancels(app):
    # Gradio's cancel can race the cancelled run's own ending, which marks that run's outputs
    # with an "Error" badge (seen on Compare's columns); the event after Stop, updating each of
    # them, clears it. Compare's Stop cancels nothing: the comparison ends itself (test_compare).
    events = app.blocks.fns
    stops = [e for e in events.values() if e.cancels]
    assert len(stops) == 1  # Generate's
    for stop in stops:
        pressed = [i for i, e in events.items() if e.targets == stop.targets]  # the Stop button's
        [after] = [e for e in events.values() if e.trigger_after in pressed]
        shown = {o for run in stop.cancels for o in events[run].outputs}
        shown = {o for o in shown if not isinstance(o, gr.State)}
        assert shown - set(after.outputs) == set()


def test_importing_app_and_building_it_create_nothing_on_disk(tmp_path, monkeypatch):
    import importlib

    import app as app_module
    from webui import build_app

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    importlib.reload(app_module)
    build_app(AppSettings(output_dir=work / "outputs")).close()
    assert sorted(os.listdir(work)) == []


def test_launch_serves_no_folder_by_path_keeps_no_run_history_and_follows_comet_mcp(tmp_path):
    options = launch_options(AppSettings(output_dir=tmp_path))
    assert options["allowed_paths"] == [] and "blocked_paths" not in options
    assert options["run_history"] is False and options["share"] is False
    assert options["mcp_server"] is True
    assert launch_options(AppSettings.from_env({"COMET_MCP": "0"}))["mcp_server"] is False


def test_the_queue_is_bounded_so_a_flood_is_told_to_come_back(app):
    from webui.builder import queue_size

    assert app.blocks._queue.max_size == queue_size(app.settings) >= 2 * app.settings.concurrency


def test_the_terminal_names_the_mode_the_daily_budget_and_the_mcp_url():
    settings = AppSettings.from_env({"COMET_API_KEY": OWNER_KEY, "SPACE_ID": "me/flux"})
    said = "\n".join(startup_lines(settings, "http://127.0.0.1:7860/"))
    assert "owner key" in said and "at most 200 runs a day" in said
    assert "MCP server for AI assistants: http://127.0.0.1:7860/gradio_api/mcp/" in said
    assert OWNER_KEY not in said
    quiet = startup_lines(AppSettings.from_env({"COMET_MCP": "0"}), "http://x/")
    assert not any("MCP" in line for line in quiet)


@pytest.fixture
def owner_app(tmp_path):
    """The app launched with an owner key on a simulator that checks the key."""
    from webui import build_app

    with Simulator(time_scale=0.0, image_size=64, api_key=OWNER_KEY) as sim:
        settings = AppSettings(
            owner_key=OWNER_KEY,
            base_url=sim.base_url,
            output_dir=tmp_path / "outputs",
            poll_interval=0.02,
            shared=True,
        )
        app = build_app(settings)
        port = free_port()
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
        try:
            yield app, f"http://127.0.0.1:{port}/", sim
        finally:
            app.close()


def page_event(url: str, button: str, session: str, **values) -> tuple[str, dict]:
    """Press a button of the page as the browser does (queue join, then the event stream).

    `button` is the elem_id of the button; the event's inputs are the page's values, with
    `values` set by elem_id.
    """
    config = requests.get(f"{url}config", timeout=30).json()
    components = {c["id"]: c for c in config["components"]}
    ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
    index, event = next(
        (i, d)
        for i, d in enumerate(config["dependencies"])
        if [ids[button], "click"] in d["targets"] and d.get("backend_fn")
    )
    data = []
    for component_id in event["inputs"]:
        props = components[component_id].get("props", {})
        data.append(values.pop(props.get("elem_id"), props.get("value")))
    joined = requests.post(
        f"{url}gradio_api/queue/join",
        json={"data": data, "fn_index": index, "session_hash": session, "event_data": None,
              "trigger_id": event["targets"][0][0]},
        timeout=30,
    )  # fmt: skip
    joined.raise_for_status()
    raw: list[str] = []
    with requests.get(
        f"{url}gradio_api/queue/data", params={"session_hash": session}, stream=True, timeout=60
    ) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            raw.append(line)
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                return "\n".join(raw), message
    raise AssertionError(f"{button}: the stream ended without a result")


def test_the_owner_key_appears_in_no_page_response_stream_result_or_log(owner_app, caplog):
    app, url, sim = owner_app
    caplog.set_level(logging.DEBUG)
    pages = ("", "config", "gradio_api/info")
    bodies = {p: requests.get(f"{url}{p}", timeout=30).text for p in pages}
    session = uuid.uuid4().hex[:11]
    bodies["page run"], done = page_event(url, "generate-button", session, prompt="a kite")
    assert "Succeeded" in json.dumps(done)
    sim.fail_next("Content moderated: flagged.")
    bodies["failed run"], done = page_event(url, "generate-button", session, prompt="flagged")
    assert "Content moderated" in json.dumps(done)
    api = Client(url, verbose=False)
    sim.add_fault("create", status=429, retry_after=0.1, times=1)  # a logged retry
    bodies["api"] = json.dumps(api.predict(prompt="through the client", api_name="/generate"))
    api.close()
    bodies["config after"] = requests.get(f"{url}config", timeout=30).text
    files = app.services.output_dir.iterdir()
    bodies |= {p.name: p.read_bytes().decode("latin-1") for p in files if p.is_file()}
    assert {r.headers["Authorization"] for r in creates(sim)} == {f"Bearer {OWNER_KEY}"}
    assert [where for where, text in bodies.items() if OWNER_KEY in text] == []
    assert any("/replicate/v1/models/" in r.getMessage() for r in caplog.records)
    assert OWNER_KEY not in caplog.text


def test_the_output_folder_is_never_served_by_path_only_the_copies_shown(owner_app):
    app, url, _ = owner_app
    _, _, prediction_id, image, *_ = Client(url, verbose=False).predict(
        prompt="a boat", api_name="/generate"
    )
    folder = app.services.output_dir
    names = {p.name for p in folder.iterdir()}
    assert {"history.sqlite3", f"{prediction_id}.json", f"{prediction_id}-0.webp"} <= names
    for path in folder.iterdir():
        answer = requests.get(f"{url}gradio_api/file={path.resolve()}", timeout=10)
        assert answer.status_code == 403, path.name
    copies = list(Path(os.environ["GRADIO_TEMP_DIR"]).rglob(f"{prediction_id}-0.webp"))
    assert copies and len(copies[0].parent.name) >= 32  # a content hash: not guessable
    assert Path(image).read_bytes() == (folder / f"{prediction_id}-0.webp").read_bytes()


def test_python_app_py_with_a_bad_setting_says_which_in_one_line(tmp_path):
    env = clean_env(tmp_path, COMET_MAX_RUNS_PER_DAY="lots")
    done = run_python([str(ROOT / "app.py")], cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: COMET_MAX_RUNS_PER_DAY must be a whole number, got 'lots'"
