"""Helpers shared by the test files: waiting on a condition, and the simulator's requests."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

DEADLINE = 60.0  # generous: a loaded 2-core machine is slow, but never this slow


def wait_for(condition, what: str, timeout: float = DEADLINE) -> Any:
    """Poll condition until it returns something truthy; fail after timeout seconds."""
    ticker = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        ticker.wait(0.02)


def creates(sim) -> list:
    """The create requests a simulator received."""
    return [r for r in sim.received if r.method == "POST" and r.path.endswith("/predictions")]


def polls(sim) -> list:
    """The poll requests a simulator received."""
    return [r for r in sim.received if r.method == "GET" and "/predictions/" in r.path]


FIXTURES = Path(__file__).parent / "fixtures" / "cometapi"


def load_fixture(name: str) -> Any:
    """The parsed body of one documented CometAPI response."""
    return json.loads((FIXTURES / name).read_text())


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (Gradio's server_port=0 does not work)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
