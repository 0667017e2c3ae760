"""data: URIs, which can be megabytes: cut them short for records, split them to decode."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

__all__ = ["MAX_META", "decoded_size", "shorten_data_uri", "shorten_data_uris", "split_data_uri"]

MAX_META = 100  # a data: URI header longer than this is not one we want to echo
_DATA_URI = re.compile(r"data:(?P<meta>[^,]*),(?P<payload>.*)\Z", re.IGNORECASE | re.DOTALL)
_SHORTENED = re.compile(r"data:[^,]*,… \(\d+ bytes, omitted\)\Z", re.IGNORECASE)


def shorten_data_uris(obj: Any) -> Any:
    """A copy of obj with every data: URI cut to its header and size: they can be megabytes."""
    if isinstance(obj, str):
        return shorten_data_uri(obj)
    if isinstance(obj, dict):
        return {key: shorten_data_uris(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [shorten_data_uris(value) for value in obj]
    return obj


def shorten_data_uri(text: str) -> str:
    """One text with a data: URI cut to its header and size; any other text as it is."""
    if not text[:5].lower() == "data:" or _SHORTENED.match(text):
        return text
    meta, sep, payload = text[5:].partition(",")
    if not sep or len(meta) > MAX_META:
        return f"data:… ({len(text)} bytes, omitted)"
    return f"data:{meta},… ({decoded_size(meta, payload)} bytes, omitted)"


def split_data_uri(uri: str) -> tuple[str, bool, str] | None:
    """(MIME type, whether the payload is base64, payload); None when uri is not one we take."""
    match = _DATA_URI.match(uri)
    if not match or len(match["meta"]) > MAX_META:
        return None
    mime, *params = match["meta"].split(";")
    return mime, "base64" in (param.strip().lower() for param in params), match["payload"]


def decoded_size(meta: str, payload: str) -> int:
    """How many bytes the payload decodes to (about, for base64), without decoding it."""
    if "base64" in meta.lower().split(";")[1:]:
        compact = "".join(payload.split()).rstrip("=")
        return len(compact) * 3 // 4
    return len(urllib.parse.unquote_to_bytes(payload))
