"""Check an image URL; uploads become data: URIs through comet.images (shared with the CLI)."""

from __future__ import annotations

from urllib.parse import urlsplit

from comet.errors import InvalidInputError
from comet.images import MAX_PIXELS, MAX_SIDE, MAX_UPLOAD_BYTES, image_to_data_uri

from .i18n import msg

__all__ = ["MAX_UPLOAD_BYTES", "MAX_PIXELS", "MAX_SIDE", "image_to_data_uri", "check_image_url"]


def check_image_url(url: str, *, field: str, allow_http: bool = False) -> str:
    """Accept a public https URL (the documented way to pass images), or data: URI."""
    url = url.strip()
    if url.startswith("data:image/"):
        return url
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInputError(msg("url.not_https", name=field, url=repr(url[:80])), field=field)
    return url
