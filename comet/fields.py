"""The shapes the catalogue is made of: one model's inputs (Field) and the model (ModelSpec)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Field", "FieldKind", "ModelSpec", "OWNER"]

FieldKind = Literal["str", "int", "float", "bool", "enum", "image", "images"]

OWNER = "black-forest-labs"


@dataclass(frozen=True)
class Field:
    """One input of a model, with enough detail to build a form widget and to check a value.

    minimum/maximum are what validation enforces. For a widget, ask `widget_bounds()`: an
    optional number (no default: width, height, seed) must get no minimum/maximum on a
    `gr.Number`, because Gradio shows an empty one as 0 and then refuses every event that reads
    it ("Value 0 is less than minimum value 256") before any handler can name the field. Such a
    number is range-checked by validation instead. A field with a default always has it inside
    its range (and on its round_to grid), so a Slider built from it starts valid.
    """

    name: str
    kind: FieldKind
    label: str
    help: str
    default: Any = None  # None = no default: optional, the API decides
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None  # a widget hint; multiple_of/round_to are what validation applies
    choices: tuple[str, ...] = ()
    max_items: int | None = None  # for kind "images"
    advanced: bool = True  # prompt and image inputs are shown up front, the rest folded away
    multiple_of: int | None = None  # a value off this grid is refused
    round_to: int | None = None  # a value off this grid is rounded to it, as the model does
    only_with: tuple[str, str] | None = None  # (other field, value it must have), e.g. custom size

    def widget_bounds(self) -> tuple[float | None, float | None]:
        """(minimum, maximum) a form widget may enforce itself; (None, None) for an optional one."""
        if self.kind not in ("int", "float") or self.default is None:
            return (None, None)
        return (self.minimum, self.maximum)


@dataclass(frozen=True)
class ModelSpec:
    """What the app knows about one model, since the API itself will not say."""

    id: str
    name: str
    display_name: str
    description: str
    family: str  # "schnell" | "dev" | "pro" | "ultra" | "kontext" | "flux2"
    fields: tuple[Field, ...]
    output: Literal["list", "string"]
    typical_seconds: float
    image_field: str | None
    max_images: int

    def field(self, name: str) -> Field | None:
        """The field called name, or None when this model has no such input."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def defaults(self) -> dict[str, Any]:
        """Every field that has a default, e.g. to pre-fill a form."""
        return {f.name: f.default for f in self.fields if f.default is not None}
