"""A value per page session, for the few things the server must remember about a page.

Gradio keeps no per-session storage the app can read outside a handler's inputs, so the app
keeps its own maps keyed by the page's session hash. Sessions are never announced as ended:
the oldest ones are forgotten beyond a limit, so memory stays bounded on a busy Space.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

__all__ = ["PerSession"]

V = TypeVar("V")


class PerSession(Generic[V]):
    """One value per page session (thread-safe); the least recently set are forgotten first."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, request: Any, value: V) -> None:
        """Remember `value` for the request's session (nothing without a session)."""
        session = getattr(request, "session_hash", None)
        if not session:
            return
        with self._lock:
            self._values[session] = value
            self._values.move_to_end(session)
            while len(self._values) > self._limit:
                self._values.popitem(last=False)

    def get(self, request: Any, default: V | None = None) -> V | None:
        """The value last put for the request's session, else `default`."""
        session = getattr(request, "session_hash", None)
        with self._lock:
            return self._values.get(session, default) if session else default
