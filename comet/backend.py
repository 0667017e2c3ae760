"""Which backend a run talks to: CometAPI with a key, or the embedded offline simulator."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from ._constants import DEFAULT_BASE_URL

__all__ = ["Backend", "resolve_backend", "demo_simulator"]

DEMO_KEY = "demo-mode-no-key"  # the simulator needs a non-empty Bearer token

_demo_lock = threading.Lock()
_demo = None


@dataclass(frozen=True)
class Backend:
    """Where the CLI's requests go; the key is returned beside it, never stored in it."""

    base_url: str
    demo: bool


def demo_simulator():  # noqa: ANN201 - avoids importing the simulator for real runs
    """Start the process-wide offline simulator once, on a free loopback port."""
    global _demo
    with _demo_lock:
        if _demo is None:
            from .simulator import Simulator

            scale = float(os.environ.get("COMET_DEMO_TIME_SCALE", "1") or 1)
            _demo = Simulator(time_scale=scale).start()
        return _demo


def resolve_backend(api_key: str | None = None) -> tuple[Backend, str]:
    """Return the backend and the key to use: a key means CometAPI, no key the simulator."""
    key = (api_key if api_key is not None else os.environ.get("COMET_API_KEY", "")).strip()
    if key:
        base = (os.environ.get("COMET_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        return Backend(base_url=base, demo=False), key
    simulator = demo_simulator()
    return Backend(base_url=simulator.base_url, demo=True), DEMO_KEY
