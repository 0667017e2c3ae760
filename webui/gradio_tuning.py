"""One workaround for a cost inside Gradio 6.31 that the app's runs pay on every status line.

Every yield of a run that leaves the gallery as it is (a status-only update, i.e. `gr.skip()`)
makes Gradio build a fresh Gallery for the session's config, and the fresh instance computes
its API schema again with pydantic (`Component.api_info` caches it per instance only). At 32
simultaneous users that was about 20 % of the server's CPU (py-spy, bench/README.md). The
schema depends only on the component's data model, so one computation per class and data model
serves every instance.
"""

from __future__ import annotations

import threading
from typing import Any

from gradio.components.base import Component

__all__ = ["share_api_schemas"]

_SCHEMAS: dict[tuple[type, Any], dict[str, Any]] = {}
_LOCK = threading.Lock()
_ORIGINAL = Component.api_info


def _shared_api_info(self: Component) -> dict[str, Any]:
    key = (type(self), getattr(self, "data_model", None))
    if key[1] is None:  # nothing class-wide to share: Gradio's own path
        return _ORIGINAL(self)
    schema = _SCHEMAS.get(key)
    if schema is None:
        schema = _ORIGINAL(self)
        with _LOCK:
            schema = _SCHEMAS.setdefault(key, schema)
    return schema


def share_api_schemas() -> None:
    """Compute each component class's API schema once per process (idempotent)."""
    Component.api_info = _shared_api_info  # type: ignore[method-assign]
