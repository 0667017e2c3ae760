"""Turn an uploaded image into a data: URI the API accepts, or check an image URL."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from urllib.parse import urlsplit

from comet.errors import InvalidInputError

__all__ = ["MAX_UPLOAD_BYTES", "MAX_SIDE", "image_to_data_uri", "check_image_url"]

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2048  # larger uploads are downscaled: they are sent inline, in the JSON body
_ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def image_to_data_uri(
    path: str | Path, *, field: str, max_bytes: int = MAX_UPLOAD_BYTES, max_side: int = MAX_SIDE
) -> str:
    """Check an upload (type, size), downscale it when very large, and encode it inline."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise InvalidInputError(
            f'"{field}": the uploaded file is gone; upload it again.', field=field
        ) from None
    if size > max_bytes:
        raise InvalidInputError(
            f'"{field}": the upload is {size / 1e6:.1f} MB; the limit is '
            f"{max_bytes / 1e6:.0f} MB. Use a smaller image or a public https URL.",
            field=field,
        )
    try:
        with Image.open(path) as image:
            kind = image.format
            if kind not in _ALLOWED:
                raise InvalidInputError(
                    f'"{field}": {kind or "this file"} is not accepted; '
                    "use JPEG, PNG, GIF or WebP.",
                    field=field,
                )
            if max(image.size) <= max_side:
                data = path.read_bytes()
                mime = _ALLOWED[kind]
            else:
                image.thumbnail((max_side, max_side))
                converted = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
                buffer = io.BytesIO()
                if converted.mode == "RGBA":
                    converted.save(buffer, format="PNG", optimize=True)
                    mime = "image/png"
                else:
                    converted.save(buffer, format="JPEG", quality=90)
                    mime = "image/jpeg"
                data = buffer.getvalue()
    except UnidentifiedImageError:
        raise InvalidInputError(
            f'"{field}": the upload is not an image; use JPEG, PNG, GIF or WebP.', field=field
        ) from None
    except (OSError, ValueError) as exc:
        raise InvalidInputError(
            f'"{field}": the image could not be read ({exc}).', field=field
        ) from None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def check_image_url(url: str, *, field: str, allow_http: bool = False) -> str:
    """Accept a public https URL (the documented way to pass images), or data: URI."""
    url = url.strip()
    if url.startswith("data:image/"):
        return url
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInputError(
            f'"{field}": {url[:80]!r} is not a public https:// image URL.', field=field
        )
    return url
