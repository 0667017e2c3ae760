"""What a create's input means for the outputs: input images, size, steps and image count.

The simulator is the demo backend that visitors reach, so it never fetches a URL (no
server-side request forgery): an http(s) image input is drawn as a placeholder tile. Uploads
arrive as data: URIs; those are decoded, but only after the header shows a sane pixel count.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from PIL import Image

from ..models import ModelSpec
from ._constants import (
    DEFAULT_LOG_STEPS,
    DEFAULT_QUALITY,
    MAX_INPUT_IMAGE_BYTES,
    MAX_INPUT_PIXELS,
    MAX_OUTPUT_SIDE,
)
from .validation import is_int

__all__ = [
    "URL_PLACEHOLDER",
    "TOO_LARGE_PLACEHOLDER",
    "UNREADABLE_PLACEHOLDER",
    "load_input_images",
    "image_pixels",
    "output_size",
    "step_count",
    "image_count",
    "output_format",
    "quality",
]

URL_PLACEHOLDER = "image URL (not fetched in demo)"
TOO_LARGE_PLACEHOLDER = "image too large (not decoded in demo)"
UNREADABLE_PLACEHOLDER = "image could not be read"


def load_input_images(spec: ModelSpec, data: dict[str, Any]) -> list[bytes | str]:
    """Each image input of the model, as safe-to-decode bytes or a placeholder's label."""
    refs: list[str] = []
    for f in spec.fields:
        value = data.get(f.name)
        if f.kind == "image" and isinstance(value, str):
            refs.append(value)
        elif f.kind == "images" and isinstance(value, list):
            refs.extend(item for item in value if isinstance(item, str))
    return [_load(ref) for ref in refs]  # validation has capped their number


def _load(ref: str) -> bytes | str:
    if not ref.startswith("data:"):
        return URL_PLACEHOLDER  # never fetched, whatever the host
    raw = _decode_data_uri(ref)
    if raw is None:
        return UNREADABLE_PLACEHOLDER
    try:  # the header alone: Image.open reads no pixel data
        with Image.open(io.BytesIO(raw)) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        return TOO_LARGE_PLACEHOLDER
    except Exception:  # not an image Pillow can read
        return UNREADABLE_PLACEHOLDER
    return raw if width * height <= MAX_INPUT_PIXELS else TOO_LARGE_PLACEHOLDER


def _decode_data_uri(ref: str) -> bytes | None:
    header, sep, payload = ref.partition(",")
    if not sep or not header.startswith("data:image/") or not header.endswith(";base64"):
        return None
    if len(payload) > MAX_INPUT_IMAGE_BYTES * 4 // 3 + 4:
        return None
    try:
        return base64.b64decode(payload, validate=False)
    except (ValueError, binascii.Error):
        return None


def image_pixels(raw: bytes) -> tuple[int, int] | None:
    """Width and height from the image's header alone (nothing is decoded), or None."""
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            return probe.size
    except Exception:  # an unreadable image is simply not used
        return None


def output_size(
    spec: ModelSpec, data: dict[str, Any], image_size: int, inputs: list[bytes | str]
) -> tuple[int, int]:
    """Width and height of the outputs: aspect ratio, custom size or the input image's size."""
    aspect = data.get("aspect_ratio") or _default(spec, "aspect_ratio") or "1:1"
    long_side = image_size
    if spec.field("megapixels") is not None and data.get("megapixels") == "0.25":
        long_side = max(8, image_size // 2)
    if aspect == "custom":
        width, height = data.get("width"), data.get("height")
        if is_int(width) and is_int(height):
            return _clamp(width), _clamp(height)
        return long_side, long_side
    if aspect == "match_input_image":
        return _input_size(inputs) or (long_side, long_side)
    try:
        a, b = (float(part) for part in str(aspect).split(":"))
    except ValueError:
        return long_side, long_side
    if a >= b:
        return long_side, _round8(long_side * b / a)
    return _round8(long_side * a / b), long_side


def _input_size(inputs: list[bytes | str]) -> tuple[int, int] | None:
    """The first drawable input's size, scaled down to fit the largest output."""
    for item in inputs:
        pixels = image_pixels(item) if isinstance(item, bytes) else None
        if pixels is not None:
            width, height = pixels
            scale = min(1.0, MAX_OUTPUT_SIDE / max(width, height))
            return max(1, round(width * scale)), max(1, round(height * scale))
    return None


def _clamp(side: int) -> int:
    return min(max(side, 16), MAX_OUTPUT_SIDE)


def _round8(value: float) -> int:
    return max(8, int(round(value / 8)) * 8)


def _default(spec: ModelSpec, name: str) -> Any:
    f = spec.field(name)
    return f.default if f is not None else None


def step_count(spec: ModelSpec, data: dict[str, Any]) -> int:
    """How many progress lines the logs show."""
    value = data.get("num_inference_steps")
    if is_int(value) and value >= 1:
        return int(value)
    return _default(spec, "num_inference_steps") or DEFAULT_LOG_STEPS


def image_count(spec: ModelSpec, data: dict[str, Any]) -> int:
    """How many images the prediction makes: num_outputs for list models, else one."""
    if spec.output != "list":
        return 1
    value = data.get("num_outputs", _default(spec, "num_outputs"))
    return int(value) if is_int(value) or isinstance(value, float) else 1


def output_format(spec: ModelSpec, data: dict[str, Any]) -> str:
    """The file format of the outputs, "webp" when the model does not say."""
    return data.get("output_format") or _default(spec, "output_format") or "webp"


def quality(spec: ModelSpec, data: dict[str, Any]) -> int:
    """The compression quality of jpg and webp outputs."""
    value = data.get("output_quality")
    return int(value) if is_int(value) else _default(spec, "output_quality") or DEFAULT_QUALITY
