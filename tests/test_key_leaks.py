"""No key anywhere: an owner's key and a visitor's key through a full session, and zero hits.

The app is launched on the simulator with an owner key. A visitor sets their key with "Remember
in this browser", runs, comes back in a new session whose remembered key is restored, and runs
again; others run on the owner's key, fail, are refused; History, the preview, Compare and
Resume are used. Every byte of every response the app sent (pages, config, event streams), every
handler result, every log record at DEBUG and everything on disk (history with its WAL,
sidecars, images, the zip, Gradio's cache) is searched for both keys.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from types import SimpleNamespace

import requests

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.page_support import DEV, SCHNELL, visitor
from tests.support import DEADLINE, creates, free_port
from webui.builder import settings_from_history

OWNER_KEY = "sk-OWNER-LEAKTEST-93f1c0"
VISITOR_KEY = "sk-VISITOR-LEAKTEST-42ab7e"


class PageEvents:
    """The page's events sent as the browser sends them (queue join, then the event stream);
    every response is kept in `seen`."""

    def __init__(self, url: str, seen: list[tuple[str, str]]) -> None:
        self.url, self.seen = url, seen
        self.config = self.get("config").json()
        self.components = {c["id"]: c for c in self.config["components"]}
        self.ids = {c.get("props", {}).get("elem_id"): c["id"] for c in self.config["components"]}

    def get(self, path: str) -> requests.Response:
        response = requests.get(f"{self.url}{path}", timeout=DEADLINE)
        self.seen.append((f"GET /{path}", response.text + str(response.headers)))
        return response

    def press(self, session: str, elem_id: str, trigger: str = "click", **values) -> list:
        """The outputs of the event `trigger` of the component `elem_id` starts on the server,
        its inputs the page's values with `values` set by elem_id."""
        target = [self.ids[elem_id], trigger]
        index = next(
            i
            for i, d in enumerate(self.config["dependencies"])
            if target in d["targets"] and d.get("backend_fn")
        )
        return self.send(session, index, values)

    def restore_key(self, session: str, stored: str) -> list:
        """The page-load step that opens the key this browser remembers."""
        kinds = {i: c["type"] for i, c in self.components.items()}
        index = next(
            i
            for i, d in enumerate(self.config["dependencies"])
            if d.get("backend_fn") and [kinds[n] for n in d["inputs"]] == ["browserstate", "state"]
        )
        return self.send(session, index, {}, first=stored)

    def send(self, session: str, index: int, values: dict, first=None) -> list:
        event = self.config["dependencies"][index]
        data = []
        for n in event["inputs"]:
            props = self.components[n].get("props", {})
            data.append(values.get(props.get("elem_id"), props.get("value")))
        if first is not None:
            data[0] = first
        joined = requests.post(
            f"{self.url}gradio_api/queue/join",
            json={"data": data, "fn_index": index, "session_hash": session, "event_data": None,
                  "trigger_id": event["targets"][0][0]},
            timeout=DEADLINE,
        )  # fmt: skip
        joined.raise_for_status()
        lines = []
        with requests.get(
            f"{self.url}gradio_api/queue/data",
            params={"session_hash": session},
            stream=True,
            timeout=DEADLINE,
        ) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                lines.append(line)
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed":
                    self.seen.append((f"the event stream of {index}", "\n".join(lines)))
                    assert message.get("success"), message
                    return message["output"]["data"]
        raise AssertionError(f"event {index}: the stream ended without a result")


def test_no_key_appears_in_any_response_result_log_or_file_of_a_full_session(
    tmp_path, caplog, capfd
):
    from webui import build_app

    caplog.set_level(logging.DEBUG)
    seen: list[tuple[str, str]] = []  # (where, what) a visitor or a log reader could see
    output_dir = tmp_path / "outputs"
    with Simulator(time_scale=0.0, image_size=64) as sim:
        settings = AppSettings(
            owner_key=OWNER_KEY, base_url=sim.base_url, output_dir=output_dir, poll_interval=0.02
        )
        app = build_app(settings)
        port = free_port()
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
        try:
            page = PageEvents(f"http://127.0.0.1:{port}/", seen)
            for path in ("", "gradio_api/info", "gradio_api/info?all_endpoints=true"):
                page.get(path)
            _page_session(page, sim)
            _handler_session(app, sim, seen)
            seen.extend(_reprs(app))
            # The WAL holds every version of a changed row until closing checkpoints it.
            database = sorted(output_dir.glob("history.sqlite3*"))
            assert output_dir / "history.sqlite3-wal" in database
            seen.extend((f"{p} (open)", p.read_bytes().decode("latin-1")) for p in database)
            auths = [c.headers["Authorization"] for c in creates(sim)]
        finally:
            app.close()

    # each key reached the API for its own runs, and only there
    assert auths.count(f"Bearer {VISITOR_KEY}") == 5, auths  # 3 runs, 2 compared
    assert auths.count(f"Bearer {OWNER_KEY}") >= 4, auths
    assert set(auths) == {f"Bearer {VISITOR_KEY}", f"Bearer {OWNER_KEY}"}

    seen.append(("log records", "\n".join(r.getMessage() for r in caplog.records)))
    seen.append(("log tracebacks", caplog.text))
    out, err = capfd.readouterr()
    seen.append(("stdout and stderr", out + err))
    files = [*output_dir.rglob("*"), *Path(os.environ["GRADIO_TEMP_DIR"]).rglob("*")]
    files += [Path(p) for _, p in seen if p.endswith(".zip")]
    for path in files:
        if path.is_file():
            seen.append((str(path), path.read_bytes().decode("latin-1")))

    # the scan reads real content: the prompts and results are where the keys would be
    for where, content in [
        ("history.sqlite3", "A paper boat"),  # the database and its WAL
        (".json", "A paper boat"),  # sidecars
        ("-0.webp", "A paper boat"),  # the settings inside each image
        ("event stream", "Succeeded"),
        ("details", "A paper boat"),
    ]:
        assert any(where in w and content in what for w, what in seen), where
    assert any("/replicate/v1/models/" in r.getMessage() for r in caplog.records)
    hits = [where for where, what in seen for key in (OWNER_KEY, VISITOR_KEY) if key in what]
    assert hits == []


def _page_session(page: PageEvents, sim: Simulator) -> None:
    """A visitor's key set and remembered, a run, a new session restoring it, owner runs."""
    first, later, other = (uuid.uuid4().hex[:11] for _ in range(3))
    _state, _box, remembered, note, _banner = page.press(
        first, "api-key", "submit", **{"api-key": VISITOR_KEY, "remember": True}
    )
    assert "remembered in this browser" in note and remembered.startswith("sealed:")
    page.press(first, "generate-button", prompt="A paper boat, on my key")
    assert creates(sim)[-1].headers["Authorization"] == f"Bearer {VISITOR_KEY}"

    page.restore_key(later, remembered)  # the page loads again in this browser
    status = page.press(later, "generate-button", prompt="A paper boat, restored")[0]
    assert "Succeeded" in json.dumps(status)
    assert creates(sim)[-1].headers["Authorization"] == f"Bearer {VISITOR_KEY}"
    page.press(later, "generate-button", prompt="typed", **{"api-key": VISITOR_KEY})

    page.press(other, "generate-button", prompt="A paper boat, on the owner's key")
    sim.fail_next("NSFW content detected in the output")
    page.press(other, "generate-button", prompt="A paper boat that fails")
    sim.add_fault("create", status=401, body='{"error": {"message": "Invalid token"}}')
    page.press(other, "generate-button", prompt="A paper boat refused")
    page.get("config")


def _handler_session(app, sim: Simulator, seen: list[tuple[str, str]]) -> None:
    """History, the preview, Compare and Resume, their results kept as the page gets them."""

    def keep(where: str, result) -> None:
        seen.append((where, json.dumps(result, default=str)))

    request = visitor("handlers")
    history = app.history_handlers
    listing = history.refresh("Europe/Paris", request)
    keep("history", listing)
    for index in range(len(listing["history_ids"])):
        keep("details", history.select(listing["history_ids"], None, SimpleNamespace(index=index)))
    newest = listing["history_ids"][0]
    zipped = history.download_zip(newest, request)["zip_file"]["value"]
    seen.append(("the zip", zipped))
    keep("use these settings", settings_from_history(history, app.generate_handlers.form, newest))
    keep("resume", list(history.resume(newest, VISITOR_KEY, request)))
    keep("preview", app.generate_handlers.preview("p", DEV, typed_key=VISITOR_KEY))
    keep("compare", list(app.compare_handlers.compare("A paper boat", [SCHNELL, DEV])))
    compared = app.compare_handlers.compare("x", [SCHNELL, DEV], visitor_key=VISITOR_KEY)
    keep("compare, own key", list(compared))
    keep("a malformed key", app.key_handlers.set_key(VISITOR_KEY + " x", True))
    keep("forget", app.key_handlers.forget_key())


def _reprs(app) -> list[tuple[str, str]]:
    services = app.services
    client = services.client(services.choose_backend(VISITOR_KEY))
    try:
        return [
            ("repr(settings)", repr(app.settings)),
            ("repr(services)", repr(services)),
            ("repr(backend)", repr(services.choose_backend(VISITOR_KEY))),
            ("repr(client)", repr(client)),
        ]
    finally:
        client.close()
