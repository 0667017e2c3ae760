"""The key-leak test (issue 6): two distinctive keys, a full session, and zero hits anywhere.

One Chromium session and some API calls go through a small recording proxy, so every byte of
every HTTP response the app sends is scanned, event streams included. So are the log output
(a root handler at DEBUG and the process's stderr/stdout), the history database and its
WAL, the JSON sidecars, every file the app or Gradio wrote, the page's DOM and localStorage.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import TIMEOUT_MS, launch_chromium, require_browser
from webui.keyseal import open_key, seal_key

OWNER_KEY = "sk-OWNER-LEAKTEST-93f1c0"
VISITOR_KEY = "sk-VISITOR-LEAKTEST-42ab7e"
KEYS = (OWNER_KEY, VISITOR_KEY)
SCHNELL = "black-forest-labs/flux-schnell"


def _sync_playwright():
    """Playwright's sync API, or skip (fail on CI) saying how to get a browser."""
    require_browser()
    from playwright.sync_api import sync_playwright

    return sync_playwright


# -- a recording proxy -------------------------------------------------------------------------

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "accept-encoding",  # ask the app for identity encoding, so the recorded bytes are plain
}


class Exchange:
    """One request through the proxy and every byte of its response, as it streamed."""

    def __init__(self, method: str, path: str, request_body: bytes) -> None:
        self.method, self.path, self.request_body = method, path, request_body
        self.status = 0
        self.response_headers = ""
        self.response_body = bytearray()


class RecordingProxy:
    """Forwards 127.0.0.1:port to the app, streaming responses through and keeping a copy."""

    def __init__(self, upstream_port: int) -> None:
        self.exchanges: list[Exchange] = []
        lock = threading.Lock()
        exchanges = self.exchanges

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - stdlib signature
                pass

            def forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                exchange = Exchange(self.command, self.path, body)
                with lock:
                    exchanges.append(exchange)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    response = upstream.getresponse()
                    exchange.status = response.status
                    exchange.response_headers = str(response.headers)
                    self.send_response(response.status)
                    for name, value in response.getheaders():
                        if name.lower() not in _HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Connection", "close")  # the body ends when we close
                    self.end_headers()
                    while chunk := response.read1(65536):
                        exchange.response_body.extend(chunk)
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    pass  # the browser or the app went away mid-stream
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- scanning ----------------------------------------------------------------------------------


class Scan:
    """Everything a visitor or a log reader could see, by source, searched for both keys."""

    def __init__(self) -> None:
        self.sources: list[tuple[str, bytes]] = []

    def add(self, name: str, data: bytes | str) -> None:
        self.sources.append((name, data.encode() if isinstance(data, str) else bytes(data)))

    def hits(self) -> list[str]:
        found = []
        for name, data in self.sources:
            for key in KEYS:
                at = data.find(key.encode())
                if at >= 0:
                    context = data[max(0, at - 120) : at + 60].decode(errors="replace")
                    found.append(f"{key} in {name}: …{context}…")
        return found


class LogCapture(logging.Handler):
    """Every record, formatted as a log reader would see it (with tracebacks)."""

    # Root, and the loggers that do not propagate to it once uvicorn has configured them.
    LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "gradio", "httpx", "httpcore")

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []
        self._saved: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def attach(self) -> None:
        """Call after launch: uvicorn replaces its loggers' handlers and levels on start."""
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self._saved.setdefault(name, logger.level)
            logger.setLevel(logging.DEBUG)
            if not name or not logger.propagate:
                logger.addHandler(self)

    def detach(self) -> None:
        for name, level in self._saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).removeHandler(self)


@pytest.fixture
def all_logs():
    """Every log record at DEBUG, from the root logger and Gradio's uvicorn loggers."""
    capture = LogCapture()
    capture.attach()  # now for the app's start-up; again after launch for uvicorn's loggers
    yield capture
    capture.detach()


def _wait_text(page, selector: str, text: str, timeout: float = TIMEOUT_MS) -> None:
    page.wait_for_function(
        "([sel, text]) => { const el = document.querySelector(sel);"
        " return !!el && el.innerText.includes(text); }",
        arg=[selector, text],
        timeout=timeout,
    )


def _auth_of_creates(sim: Simulator) -> list[str]:
    return [r.headers.get("Authorization", "") for r in sim.received if r.method == "POST"]


# -- the test ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_no_key_leaks_anywhere_in_a_full_session(launch_app, tmp_path, all_logs, capfd):
    sync_playwright = _sync_playwright()
    from gradio_client import Client

    scan = Scan()
    output_dir = tmp_path / "outputs"
    with Simulator(time_scale=0.0, image_size=64) as sim:  # api_key=None: any key is accepted
        settings = AppSettings(
            owner_key=OWNER_KEY, base_url=sim.base_url, output_dir=output_dir, poll_interval=0.02
        )
        demo, app_url = launch_app(settings)
        all_logs.attach()
        proxy = RecordingProxy(int(app_url.rstrip("/").rsplit(":", 1)[1]))
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    page = browser.new_page()
                    page.set_default_timeout(TIMEOUT_MS)
                    _browser_session(page, proxy.url, sim)
                    scan.add("the page's DOM", page.content())
                    storage = page.evaluate("() => JSON.stringify({...localStorage})")
                    scan.add("localStorage", storage)
                    assert "comet-flux-visitor-key" in json.loads(storage)  # Remember was on
                finally:
                    browser.close()

            api = Client(
                proxy.url,
                verbose=False,
                download_files=str(tmp_path / "downloads"),
                analytics_enabled=False,
            )
            try:
                _api_session(api, sim, demo)
            finally:
                api.close()
            for path in ("", "config", "gradio_api/info", "gradio_api/info?all_endpoints=true"):
                response = requests.get(proxy.url + path, timeout=10)
                assert response.status_code == 200, path
        finally:
            proxy.close()

        # the keys were used: each reached the API for its own runs, and only there
        auths = _auth_of_creates(sim)
        assert auths.count(f"Bearer {VISITOR_KEY}") == 2, auths
        assert auths.count(f"Bearer {OWNER_KEY}") >= 4, auths
        assert set(auths) == {f"Bearer {VISITOR_KEY}", f"Bearer {OWNER_KEY}"}

    # every response body and header the app sent, event streams included
    streams = [e for e in proxy.exchanges if "/queue/data" in e.path]
    assert any(b"process_completed" in e.response_body for e in streams), "streams recorded"
    for exchange in proxy.exchanges:
        where = f"the response to {exchange.method} {exchange.path[:80]}"
        scan.add(where, exchange.response_body)
        scan.add(f"the headers of {where}", exchange.response_headers)
    # logs
    scan.add("log records", "\n".join(all_logs.lines))
    out, err = capfd.readouterr()
    scan.add("stdout", out)
    scan.add("stderr", err)

    # everything on disk: history (with its WAL), sidecars, images, Gradio's cache and uploads
    # The WAL holds every version of a changed row until closing checkpoints it: read the
    # database files while open (overwritten values too), then everything once closed.
    entries = demo.services.history.list(limit=50)
    for path in sorted(output_dir.glob("history.sqlite3*")):
        scan.add(f"{path} (open)", path.read_bytes())
    assert (output_dir / "history.sqlite3-wal").exists()
    demo.services.history.close()
    files = [p for p in output_dir.rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".json"]) >= 4  # one per succeeded run
    for folder in (output_dir, Path(os.environ["GRADIO_TEMP_DIR"])):
        for path in folder.rglob("*"):
            if path.is_file():
                scan.add(str(path), path.read_bytes())

    # the scan reads real content: the prompts are where the keys would be
    for name in ("history.sqlite3-wal (open)", ".json", "/gradio_api/queue/data", "the page's DOM"):
        assert any(name in where and b"A paper boat" in data for where, data in scan.sources), name
    logged = "\n".join(all_logs.lines)
    assert any(entry.id in logged for entry in entries), "DEBUG logs name the predictions polled"
    assert scan.hits() == []

    # requests: the typed key goes up exactly once ("Use this key"); the owner's key never
    with_visitor = [e.path for e in proxy.exchanges if VISITOR_KEY.encode() in e.request_body]
    assert len(with_visitor) == 1, with_visitor
    assert not [e for e in proxy.exchanges if OWNER_KEY.encode() in e.request_body]


def _browser_session(page, url: str, sim: Simulator) -> None:
    """Generate, fail, History, preview, a visitor key with Remember, generate, reload."""
    page.goto(url)
    page.get_by_label("Prompt").fill("A paper boat on calm water")
    page.get_by_role("button", name="Generate").click()
    _wait_text(page, "#status", "Succeeded")

    sim.fail_next("NSFW content detected in the output")
    page.get_by_role("button", name="Generate").click()
    _wait_text(page, "#status", "could not make this image")

    page.get_by_role("tab", name="History").click()
    page.locator("#history-gallery img").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("#history-gallery img").first.click()
    page.wait_for_function(
        "() => { const el = document.querySelector('#history-detail');"
        " return !!el && el.innerText.includes('Created'); }",
        timeout=TIMEOUT_MS,
    )
    page.get_by_role("button", name="Logs").click()
    page.get_by_role("button", name="Input").click()

    page.get_by_role("tab", name="Generate").click()
    page.get_by_role("button", name="Request preview").click()
    _wait_text(page, "#preview-curl", "$COMET_API_KEY")
    _wait_text(page, "#preview-json", "A paper boat")

    page.get_by_role("button", name="API key").click()
    page.get_by_label("API key").fill(VISITOR_KEY)
    page.get_by_label("Remember in this browser").check()
    page.get_by_role("button", name="Use this key").click()
    _wait_text(page, "#key-note", "remembered in this browser")
    page.get_by_role("button", name="Generate").click()
    _wait_text(page, "#status", "Succeeded")
    assert _auth_of_creates(sim)[-1] == f"Bearer {VISITOR_KEY}"

    page.reload()  # the remembered key comes back (sealed), and is used again
    _wait_text(page, "#backend-banner", "your own key")
    page.get_by_label("Prompt").fill("A lighthouse at dusk")
    page.get_by_role("button", name="Generate").click()
    _wait_text(page, "#status", "Succeeded")
    assert _auth_of_creates(sim)[-1] == f"Bearer {VISITOR_KEY}"


def _api_session(api, sim: Simulator, demo) -> None:
    """The public API: its description, a run, a failed run, refusals, resumes."""
    info = api.view_api(print_info=False, return_format="dict")
    assert "/generate" in info["named_endpoints"]

    status, gallery, _ = api.predict(prompt="A red fox", model=SCHNELL, api_name="/generate")
    assert status.startswith("**Succeeded") and len(gallery) == 1

    sim.fail_next("The model crashed")
    status, _, _ = api.predict(prompt="A red fox", model=SCHNELL, api_name="/generate")
    assert "The model crashed" in status

    sim.add_fault("create", status=401, body='{"error": {"message": "Invalid token"}}')
    status, _, _ = api.predict(prompt="A red fox", model=SCHNELL, api_name="/generate")
    assert "refused" in status

    status, _, _ = api.predict(prompt="x" * 2001, model=SCHNELL, api_name="/generate")
    assert "the limit is 2,000" in status

    entry = next(e for e in demo.services.history.list(limit=20) if e.status == "succeeded")
    status, _ = api.predict(prediction_id=entry.id, api_name="/resume")
    assert status.startswith("**Resumed"), status
    status, _ = api.predict(prediction_id="nosuchprediction0000000000", api_name="/resume")
    assert "Not found" in status


# -- the sealed "Remember in this browser" value -------------------------------------------------


def test_a_remembered_key_is_sealed_so_only_this_server_can_open_it():

    sealed = seal_key(VISITOR_KEY, b"server secret")
    assert VISITOR_KEY not in sealed and sealed.startswith("sealed:")
    assert sealed != seal_key(VISITOR_KEY, b"server secret")  # fresh nonce
    assert open_key(sealed, b"server secret") == VISITOR_KEY
    assert open_key(sealed, b"another secret") is None
    tampered = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    assert open_key(tampered, b"server secret") is None
    truncated = seal_key(VISITOR_KEY, b"server secret")[:-8]
    for junk in ("", VISITOR_KEY, "sealed:", "sealed:!!!", "sealed:AAAA", "sealed:é", truncated):
        assert open_key(junk, b"server secret") is None
    # Sealed by the earlier HMAC-stream format: it no longer opens (the key is entered again).
    assert open_key(OLD_FORMAT_TOKEN, b"server secret") is None


OLD_FORMAT_TOKEN = (
    "sealed:U8XdkfHisCw8lXXlN4uMOp8NAmRR-z6-0kP_xticUKrln9JSJMEK08-PSwTI3B6Y"
    "704lLDn6RRJR3YwOxlXs_qMILAmuPh9Q5Qk="
)
