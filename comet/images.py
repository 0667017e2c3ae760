"""Turn a local image file into a data: URI the API accepts (the app's uploads, the CLI's @path).

A file is checked from its header before any pixel is decoded: a 518 KB PNG can declare
13000 x 13000 pixels and cost ~770 MB to decode. Only an image within MAX_PIXELS is decoded (to
downscale it); smaller ones are sent as they are, so the same file always gives the same URI.
"""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InvalidInputError
from .messages import message

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = ["MAX_PIXELS", "MAX_SIDE", "MAX_UPLOAD_BYTES", "image_to_data_uri"]

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # decoding costs up to 4 bytes a pixel: 160 MB at this limit
MAX_SIDE = 2048  # larger uploads are downscaled: they are sent inline, in the JSON body
_ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_ALPHA_MODES = ("RGBA", "LA", "P", "PA", "RGBa", "La")


def image_to_data_uri(
    path: str | Path,
    *,
    field: str = "image",
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
) -> str:
    """Check an image file (type, bytes, pixels from its header), downscale it if large, encode it.

    `field` names the input in messages. The same file gives the same URI in the app and the CLI.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    _check_file_size(path, field, max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow warns above Image.MAX_IMAGE_PIXELS and raises above twice that; the
            # pixel check below is this module's own, with a message that names the field.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only
        with image:
            kind = _check_header(image, field, max_pixels)
            if max(image.size) <= max_side:
                data, mime = path.read_bytes(), _ALLOWED[kind]
            else:
                data, mime = _downscaled(image, max_side)
    except Image.DecompressionBombError:
        raise _too_many_pixels(field, None, max_pixels) from None
    except UnidentifiedImageError:
        raise InvalidInputError(message("upload.not_image", name=field), field=field) from None
    except (OSError, ValueError) as exc:
        raise InvalidInputError(
            message("upload.unreadable", name=field, reason=str(exc)), field=field
        ) from None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _check_file_size(path: Path, field: str, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise InvalidInputError(message("upload.gone", name=field), field=field) from None
    if size > max_bytes:
        raise InvalidInputError(
            message(
                "upload.too_big",
                name=field,
                size=f"{size / 1e6:.1f}",
                limit=f"{max_bytes / 1e6:.0f}",
            ),
            field=field,
        )


def _check_header(image: PILImage, field: str, max_pixels: int) -> str:
    """The image's format, once its type and its declared pixel count are acceptable."""
    kind = image.format
    if kind not in _ALLOWED:
        shown = kind or message("upload.this_file")  # a format's name is the same in any language
        raise InvalidInputError(message("upload.format", name=field, kind=shown), field=field)
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(field, (width, height), max_pixels)
    return kind


def _too_many_pixels(
    field: str, size: tuple[int, int] | None, max_pixels: int
) -> InvalidInputError:
    if size is None:
        what = message("upload.far_too_many")
    else:
        width, height = size
        what = message(
            "upload.size",
            width=f"{width:,}",
            height=f"{height:,}",
            megapixels=f"{width * height / 1e6:,.0f}",
        )
    limit = f"{max_pixels / 1e6:g}"
    return InvalidInputError(
        message("upload.pixels", name=field, what=what, limit=limit), field=field
    )


def _downscaled(image: PILImage, max_side: int) -> tuple[bytes, str]:
    """The image shrunk to fit max_side, as PNG when it has transparency and JPEG otherwise."""
    image.thumbnail((max_side, max_side))
    converted = image.convert("RGBA" if image.mode in _ALPHA_MODES else "RGB")
    buffer = io.BytesIO()
    if converted.mode == "RGBA":
        converted.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue(), "image/png"
    converted.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), "image/jpeg"
