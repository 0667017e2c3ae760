"""Response bodies in the two shapes CometAPI answers: its own and Replicate's."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_bytes", "comet_error", "replicate_error"]


def json_bytes(obj: Any) -> bytes:
    """obj as UTF-8 JSON."""
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def comet_error(message: str, code: str = "") -> dict[str, Any]:
    """An error body in CometAPI's own (OpenAI-like) shape, e.g. for 401 and 404."""
    return {"error": {"message": message, "type": "comet_api_error", "param": "", "code": code}}


def replicate_error(title: str, detail: str, status: int) -> dict[str, Any]:
    """An error body in Replicate's problem shape, e.g. for 422 and 429."""
    return {"title": title, "detail": detail, "status": status}
