"""Placeholder images drawn with Pillow: deterministic, clearly marked as simulated."""

from __future__ import annotations

import functools
import hashlib
import io
import math
import textwrap
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ._constants import MAX_INPUT_PIXELS, PIL_FORMATS

__all__ = ["render_image"]

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_PLACEHOLDER_GREY = (128, 128, 128)
_NOT_DRAWN = "image not drawn"


def render_image(
    *,
    model: str,
    prompt: str,
    seed: int,
    index: int,
    size: tuple[int, int],
    output_format: str = "webp",
    quality: int = 80,
    input_images: Sequence[bytes | str] | None = None,
) -> bytes:
    """Draw one output so the demo visibly shows fake images.

    input_images show through a tint: bytes are images (decoded only when their header shows at
    most MAX_INPUT_PIXELS), a str is the label of a grey placeholder tile drawn in their place.
    """
    digest = hashlib.sha256(f"{model}\0{prompt}\0{seed}\0{index}".encode()).digest()
    mask = Image.linear_gradient("L")
    mask = mask.rotate(90 * (digest[6] % 4)).resize(size, Image.Resampling.BILINEAR)
    image = Image.composite(
        Image.new("RGB", size, tuple(digest[3:6])), Image.new("RGB", size, tuple(digest[0:3])), mask
    )
    background = _background(tuple(input_images or ()), size)
    if background is not None:  # the input shows through a translucent tint
        image = Image.blend(background, image, 0.3)

    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    _draw_shapes(draw, digest, size, alpha=50 if background is not None else 110)
    _draw_prompt(draw, prompt, size)
    label = f"DEMO · simulated · {model.rsplit('/', 1)[-1]} · seed {seed} · #{index + 1}"
    _draw_label(draw, label, size)

    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    pil_format = PIL_FORMATS.get(output_format, "WEBP")
    if pil_format == "PNG":
        image.save(out, pil_format, compress_level=3)
    else:
        image.save(out, pil_format, quality=max(1, min(100, quality)))
    return out.getvalue()


def _draw_shapes(draw: ImageDraw.ImageDraw, digest: bytes, size: tuple[int, int], alpha: int):
    width, height = size
    short = min(width, height)
    for k in range(3 + digest[7] % 3):
        b = digest[8 + 4 * k : 12 + 4 * k]
        cx, cy = b[0] * width // 255, b[1] * height // 255
        radius = short // 12 + b[2] * short // 1020
        fill = (*digest[(b[3] % 20) : (b[3] % 20) + 3], alpha)
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        if b[3] % 2:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)


def _draw_prompt(draw: ImageDraw.ImageDraw, prompt: str, size: tuple[int, int]) -> None:
    """The prompt, wrapped to at most five lines, on a dark panel at the bottom."""
    width, height = size
    short = min(width, height)
    font_size = max(10, short // 18)
    font = _font(font_size)
    chars = _chars_per_line(font, width * 0.86)
    lines = textwrap.wrap(" ".join(prompt.split())[:600], width=chars) or [""]
    if len(lines) > 5:
        lines = [*lines[:4], lines[4][: max(1, chars - 1)] + "…"]
    line_height = int(font_size * 1.3)
    margin = max(4, short // 32)
    panel_top = height - margin * 2 - line_height * len(lines)
    draw.rectangle((0, panel_top, width, height), fill=(0, 0, 0, 120))
    for i, line in enumerate(lines):
        draw.text((margin, panel_top + margin + i * line_height), line, font=font, fill="white")


def _draw_label(draw: ImageDraw.ImageDraw, label: str, size: tuple[int, int]) -> None:
    """The "DEMO · simulated" badge in the top-left corner."""
    short = min(size)
    margin = max(4, short // 32)
    font = _font(max(8, short // 28))
    box = draw.textbbox((margin, margin), label, font=font)
    pad = max(2, margin // 2)
    draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=(0, 0, 0, 140))
    draw.text((margin, margin), label, font=font, fill=(255, 255, 255, 230))


def _chars_per_line(font: Font, width: float) -> int:
    char_width = max(1.0, font.getlength("abcdefghijklmnopqrstuvwxyz ") / 27)
    return max(8, int(width / char_width))


@functools.lru_cache(maxsize=8)
def _background(inputs: tuple[bytes | str, ...], size: tuple[int, int]) -> Image.Image | None:
    """The input images tiled to size; cached, as every output of a prediction reuses it."""
    return _tile(inputs, size) if inputs else None


def _tile(items: Sequence[bytes | str], size: tuple[int, int]) -> Image.Image:
    """Every input side by side in a grid filling size, each cropped to its cell."""
    width, height = size
    cols = math.ceil(math.sqrt(len(items)))
    rows = math.ceil(len(items) / cols)
    canvas = Image.new("RGB", size)
    for i, item in enumerate(items):
        row, col = divmod(i, cols)
        left, right = col * width // cols, (col + 1) * width // cols
        top, bottom = row * height // rows, (row + 1) * height // rows
        cell = (max(1, right - left), max(1, bottom - top))
        picture = _open_rgb(item, cell) if isinstance(item, bytes) else None
        if picture is None:
            label = item if isinstance(item, str) else _NOT_DRAWN
            canvas.paste(_placeholder(label, cell), (left, top))
        else:
            canvas.paste(ImageOps.fit(picture, cell), (left, top))
    return canvas


def _open_rgb(raw: bytes, size: tuple[int, int]) -> Image.Image | None:
    """The image, decoded only if its header promises a sane pixel count."""
    try:
        image = Image.open(io.BytesIO(raw))
        width, height = image.size
        if width * height > MAX_INPUT_PIXELS:
            return None
        image.draft("RGB", size)  # JPEG: decode at reduced scale, much faster
        return ImageOps.exif_transpose(image).convert("RGB")
    except Exception:  # an undecodable input gets a placeholder instead
        return None


def _placeholder(label: str, size: tuple[int, int]) -> Image.Image:
    """A grey tile saying why the input is not shown."""
    tile = Image.new("RGB", size, _PLACEHOLDER_GREY)
    draw = ImageDraw.Draw(tile)
    width, height = size
    font_size = max(8, min(width, height) // 14)
    font = _font(font_size)
    lines = textwrap.wrap(label, width=_chars_per_line(font, width * 0.9)) or [""]
    line_height = int(font_size * 1.3)
    top = (height - line_height * len(lines)) // 2
    for i, line in enumerate(lines):
        left = (width - font.getlength(line)) / 2
        draw.text((left, top + i * line_height), line, font=font, fill="white")
    return tile


@functools.lru_cache(maxsize=32)
def _font(size: int) -> Font:
    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()
