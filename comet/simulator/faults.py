"""Queued misbehaviours for tests: throttling, error pages, odd bodies, hangs and drops."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

from ._constants import FAULT_ROUTES
from .bodies import json_bytes, replicate_error

__all__ = ["Fault", "FaultQueue", "fault_answer"]


@dataclass
class Fault:
    """A queued misbehaviour for the next requests on one route."""

    route: str
    remaining: int = 1
    status: int | None = None
    retry_after: float | None = None
    body: str | None = None
    content_type: str | None = None
    delay: float = 0.0
    malformed: bool = False
    drop: bool = False
    status_value: str | None = None


class FaultQueue:
    """Faults waiting for their route, taken one request at a time; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Queue a fault after those already waiting."""
        if fault.route not in FAULT_ROUTES:
            raise ValueError(f"route must be one of {FAULT_ROUTES}, not {fault.route!r}")
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()

    def take(self, route: str | None) -> Fault | None:
        """A copy of the first fault for route, using up one of its times; None if none."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.route == route:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self._faults[i]
                    return replace(fault)
        return None


def fault_answer(fault: Fault) -> tuple[int, bytes, str, dict[str, str]] | None:
    """(status, body, content type, headers) for a fault that answers; None if it does not."""
    if fault.malformed:
        return 200, b'{"id": "abc", "status": ', "application/json", {}
    if fault.status is None and fault.body is None:
        return None
    status = fault.status or 200
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    if fault.body is not None:
        body = fault.body.encode("utf-8")
        html = fault.body.lstrip().startswith("<")
        default_type = "text/html" if html else "application/json"
    elif status == 429:
        body, default_type = json_bytes(_throttled(fault.retry_after)), "application/json"
    elif status >= 500:
        body = f"<html><body><h1>{status} {_reason(status)}</h1></body></html>".encode()
        default_type = "text/html"
    else:
        reason = _reason(status)
        body, default_type = json_bytes(replicate_error(reason, reason, status)), "application/json"
    return status, body, fault.content_type or default_type, headers


def _throttled(retry_after: float | None) -> dict[str, Any]:
    obj = replicate_error("Request was throttled", "Request was throttled.", 429)
    if retry_after is not None:
        wait: float | int = int(retry_after) if float(retry_after).is_integer() else retry_after
        obj["detail"] = f"Request was throttled. Your rate limit resets in ~{wait}s."
        obj["retry_after"] = wait
    return obj


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
