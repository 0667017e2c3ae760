"""Shared fixtures: fixture bodies, a loopback simulator, and a clean environment."""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

# Before gradio is imported anywhere: no telemetry, and uploads/cache in a folder of our own.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="comet-tests-gradio-"))
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXTURES = Path(__file__).parent / "fixtures" / "cometapi"

_COMET_VARS = (
    "COMET_API_KEY",
    "COMET_BASE_URL",
    "COMET_POLL_INTERVAL",
    "COMET_TIMEOUT",
    "COMET_OUTPUT_DIR",
    "COMET_CONCURRENCY",
    "COMET_REQUIRE_USER_KEY",
    "COMET_MAX_RUNS_PER_HOUR",
    "COMET_SHARED",
    "COMET_MAX_CONCURRENT_PER_VISITOR",
    "COMET_MAX_IMAGES_PER_RUN",
    "COMET_BROWSER_SECRET",
    "COMET_DEMO_TIME_SCALE",
    "SPACE_ID",
)


def load_fixture(name: str):
    """The parsed body of one documented response."""
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """No test sees the developer's own key or settings, and nothing writes outside tmp."""
    for name in _COMET_VARS:
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


@pytest.fixture
def client_for(request):
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


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (Gradio's server_port=0 does not work)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def launch_app(tmp_path):
    """Build and launch the app on a free loopback port; returns (app, url). Closed after."""
    from comet.settings import AppSettings
    from webui import build_app

    launched = []

    def launch(settings=None, *, demo_base_url=None):
        settings = settings or AppSettings(output_dir=tmp_path / "outputs")
        app = build_app(settings, demo_base_url=demo_base_url)
        port = free_port()
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
        launched.append(app)
        return app, f"http://127.0.0.1:{port}/"

    yield launch
    for app in launched:
        app.close()
