"""Shared fixtures, and the guards that keep every test hermetic.

For the whole session no COMET_* setting of the developer's is in os.environ and no .env in or
above the repository can be read (tests/support.py dotenv_guard); pytest-socket refuses every
connection beyond 127.0.0.1 (pyproject.toml: --allow-hosts). Subprocesses get an environment
built from scratch: support.clean_env() with support.run_python().
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest

# Before gradio is imported anywhere: no telemetry, and uploads/cache in a folder of our own.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="comet-tests-gradio-"))
if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support, webui

from comet.settings import ENV_VARS  # noqa: E402
from tests.support import ROOT, dotenv_guard, free_port  # noqa: E402

# A suite started in the background (`cmd &`) has Ctrl+C ignored, and the subprocesses a test
# starts would inherit that (a test sending one Ctrl+C would wait in vain): restore it here.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def _hermetic_session():
    """Clear the developer's COMET_* settings and refuse the repository's .env."""
    for name in ENV_VARS:
        os.environ.pop(name, None)
    with dotenv_guard(ROOT):
        yield


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """Each test starts without COMET_* settings and writes under tmp."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("COMET_OUTPUT_DIR", str(tmp_path / "outputs"))


@pytest.fixture
def simulator():
    """A fast simulator on 127.0.0.1 (images at once, timeline compressed)."""
    from comet.simulator import Simulator

    with Simulator(time_scale=0.0, image_size=256) as sim:
        yield sim


@pytest.fixture(scope="module")
def sim():
    """A fast simulator shared by a module's handler tests (tests read what it received)."""
    from comet.simulator import Simulator

    with Simulator(time_scale=0.0, image_size=64) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def page(sim, tmp_path_factory):
    """The page's handlers on `sim`, shared by a module (tests/page_support.py)."""
    from tests.page_support import open_page

    with open_page(tmp_path_factory.mktemp("page"), sim) as opened:
        yield opened


@pytest.fixture
def client_for():
    """Build a CometClient for a simulator, with fast polling, closed after the test."""
    from comet import CometClient

    made = []

    def make(sim, **kwargs):
        kwargs.setdefault("api_key", "test-key-123456")
        kwargs.setdefault("poll_interval", 0.02)
        kwargs.setdefault("timeout", 20)
        client = CometClient(base_url=sim.base_url, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def connect(tmp_path):
    """gradio_client Clients (one session each), downloading into tmp, closed after the test.

    Request it before launch_app: fixtures end in reverse order, so the apps close first, and
    then a Client's close() does not wait for its heartbeat stream.
    """
    from gradio_client import Client

    made = []

    def make(url: str):
        client = Client(
            url,
            verbose=False,
            download_files=str(tmp_path / "downloads"),
            analytics_enabled=False,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


PORT_ATTEMPTS = 5


@pytest.fixture
def launch_app(tmp_path):
    """Build and launch the app on a free loopback port; returns (app, url). Closed after."""
    from comet.settings import AppSettings
    from webui import build_app

    launched = []

    def launch(settings=None, *, demo_base_url=None):
        settings = settings or AppSettings(output_dir=tmp_path / "outputs")
        app = build_app(settings, demo_base_url=demo_base_url)
        launched.append(app)
        for attempt in range(PORT_ATTEMPTS):
            # Another process may take the free port before Gradio binds it: take another.
            port = free_port()
            try:
                app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
                break
            except OSError:
                if attempt == PORT_ATTEMPTS - 1:
                    raise
        return app, f"http://127.0.0.1:{port}/"

    yield launch
    for app in launched:
        app.close()


@pytest.fixture
def app(tmp_path, simulator):
    """The app built (not launched) on the fast simulator: for calling handlers directly."""
    from comet.settings import AppSettings
    from webui import build_app

    built = build_app(
        AppSettings(output_dir=tmp_path / "outputs", poll_interval=0.02),
        demo_base_url=simulator.base_url,
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (skips, or fails on CI, when it is missing).

    Not for the session: Playwright's sync API keeps an event loop running in this thread
    while it is open, and the later modules' asyncio tests could not start their own.
    """
    from tests.browser_support import chromium, require_browser

    require_browser()
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_context(browser):
    """Make fresh browser contexts (own storage, like separate visitors); closed after."""
    from tests.browser_support import VIEWPORT, quiet_context

    contexts = []

    def make(**options):
        context = quiet_context(browser.new_context(**{"viewport": VIEWPORT, **options}))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# Modules that take longest after the browser ones (an app.py process, restarts, slow runs).
LONG_MODULES = (
    "test_faults.py",
    "test_mcp.py",
    "test_app.py",
    "test_simulator.py",
    "test_compare.py",
)


def pytest_collection_modifyitems(items):
    """The longest modules first, so that no xdist worker is left alone with one at the end.

    pyproject's --no-loadscope-reorder keeps this order (xdist would start the modules with the
    most tests first, and the few but long browser tests last).
    """

    def rank(item) -> int:
        if item.get_closest_marker("browser"):
            return 0
        return 1 if item.path.name in LONG_MODULES else 2

    items.sort(key=rank)
