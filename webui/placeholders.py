"""A placeholder of the right shape for the gallery while a run is waiting.

The page keeps its layout (no jump when the image arrives) and shows the composition's shape
the moment Generate is pressed. Files are drawn on first need, once per shape.
"""

import tempfile
from pathlib import Path
from typing import Any

from comet.models import get_model

__all__ = ["draw_words", "shape_of", "waiting_image"]

LONG_SIDE = 480


def shape_of(model: str, fields: dict[str, Any]) -> tuple[int, int]:
    """Width and height the run will have, as far as the form tells (square when unknown)."""
    spec = get_model(model or "")
    aspect = fields.get("aspect_ratio")
    if aspect is None and spec is not None and spec.field("aspect_ratio") is not None:
        aspect = spec.field("aspect_ratio").default
    if aspect == "custom":
        width, height = fields.get("width"), fields.get("height")
        if _positive(width) and _positive(height):
            return _scaled(float(width), float(height))
        return LONG_SIDE, LONG_SIDE
    try:
        a, b = (float(part) for part in str(aspect).split(":"))
    except ValueError:
        return LONG_SIDE, LONG_SIDE
    return _scaled(a, b) if a > 0 and b > 0 else (LONG_SIDE, LONG_SIDE)


def waiting_image(width: int, height: int, words: str = "generating…", lang: str = "en") -> str:
    """A quiet grey picture of that shape with `words` in its middle, saved once per language."""
    from PIL import Image, ImageDraw

    path = Path(tempfile.gettempdir()) / f"comet-flux-waiting-{width}x{height}-{lang}.png"
    if not path.exists():
        image = Image.new("RGB", (width, height), (46, 50, 58))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, width - 1, height - 1), outline=(90, 96, 108), width=2)
        draw_words(image, words, (200, 204, 212))
        image.save(path)
    return str(path)


def draw_words(image: Any, words: str, fill: tuple[int, int, int]) -> None:
    """Words centred on a Pillow image; left out when no font here has their letters.

    Pillow's own font has no Vietnamese letters (they come out as boxes), so other words need
    a system font with them; without one, the picture stays plain (its caption says it).
    """
    from PIL import ImageDraw, ImageFont

    font: Any = ImageFont.load_default()
    if not words.isascii():
        try:
            font = ImageFont.truetype("DejaVuSans.ttf", 11)
        except OSError:
            return
    center = (image.width // 2, image.height // 2)
    ImageDraw.Draw(image).text(center, words, fill=fill, font=font, anchor="mm")


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _scaled(width: float, height: float) -> tuple[int, int]:
    scale = LONG_SIDE / max(width, height)
    return max(16, round(width * scale)), max(16, round(height * scale))
