"""The process-wide simulator behind the app's and the CLI's demo mode."""

from __future__ import annotations

import threading

from .core import Simulator

__all__ = ["demo_simulator"]

_lock = threading.Lock()
_demo: Simulator | None = None


def demo_simulator(time_scale: float = 1.0) -> Simulator:
    """The shared demo Simulator, started on a free loopback port by the first call.

    Later calls return the same running one, whatever time_scale they pass.
    """
    global _demo
    with _lock:
        if _demo is None:
            _demo = Simulator(time_scale=time_scale).start()
        return _demo
