"""The per-model form: every model's own widgets, built once and shown for the chosen model.

Each model's fields live in their own columns (image inputs, and the rest under Advanced), shown
or hidden on a model switch (see GRADIO_NOTES: faster and kinder to typed values than
`@gr.render`). A widget's handler parameter (and API keyword) is `<model>__<field>`.
"""

from collections.abc import Mapping
from typing import Any

import gradio as gr

from comet.errors import InvalidInputError
from comet.models import MODELS, Field, ModelSpec, coerce_value, get_model

from .i18n import language, text, ui
from .inputs import build_input, resolve_image_field
from .widgets import checked_dropdown, checked_slider

__all__ = [
    "ModelForm",
    "field_param",
    "form_fields",
    "model_info",
    "model_info_key",
    "model_key",
    "upload_param",
    "url_param",
]


def model_key(spec: ModelSpec) -> str:
    """A Python-identifier form of a model's short name: flux-1.1-pro -> flux_1_1_pro."""
    return "".join(c if c.isalnum() else "_" for c in spec.name)


def field_param(spec: ModelSpec, field: Field) -> str:
    """The handler parameter (and API keyword) of one model's form field."""
    return f"{model_key(spec)}__{field.name}"


def upload_param(spec: ModelSpec) -> str:
    """The handler parameter for a model's image upload."""
    return f"{model_key(spec)}__{spec.image_field}"


def url_param(spec: ModelSpec) -> str:
    """The handler parameter for the image URLs box of a model."""
    return f"{model_key(spec)}__{spec.image_field}_url"


def form_fields(spec: ModelSpec) -> list[Field]:
    """The fields with a per-model widget: everything but prompt, seed and the image input."""
    return [f for f in spec.fields if f.name not in ("prompt", "seed", spec.image_field)]


# The most used setting sits under the prompt; the rest of a model's fields under Advanced.
TOP_FIELDS = ("aspect_ratio",)


def top_fields(spec: ModelSpec) -> list[Field]:
    """The model's fields shown up front, next to the prompt."""
    return [f for f in form_fields(spec) if f.name in TOP_FIELDS]


def advanced_fields(spec: ModelSpec) -> list[Field]:
    """The model's fields folded under Advanced."""
    return [f for f in form_fields(spec) if f.name not in TOP_FIELDS]


def model_info_key(model: str) -> str:
    """The table's key for the line about a catalogue model (see webui/texts/catalogue.py)."""
    spec = get_model(model)
    if spec is None:
        raise KeyError(model)
    return f"model.{spec.name}.info"


def model_info(model: str, lang: str = "en") -> str:
    """One line about the chosen model, under the Model dropdown."""
    if get_model(model) is None:
        return text("form.unknown_model", lang, model=model)
    return text(model_info_key(model), lang)


def _field_text(spec: ModelSpec, field: Field, part: str) -> object:
    return ui(f"model.{spec.name}.{field.name}.{part}")


def _widget(spec: ModelSpec, field: Field) -> gr.components.Component:
    """A form widget that fits one field: dropdown, checkbox, slider or number."""
    common = {
        "label": _field_text(spec, field, "label"),
        "info": _field_text(spec, field, "help"),
        "elem_id": field_param(spec, field),
    }
    if field.kind == "enum":
        return checked_dropdown(choices=list(field.choices), value=field.default, **common)
    if field.kind == "bool":
        return gr.Checkbox(value=bool(field.default), **common)
    if field.kind in ("int", "float"):
        has_range = field.minimum is not None and field.maximum is not None
        if has_range and field.default is not None:
            step = field.step or (1 if field.kind == "int" else 0.01)
            return checked_slider(
                minimum=field.minimum,
                maximum=field.maximum,
                step=step,
                value=field.default,
                **common,
            )
        # No minimum/maximum: Gradio would show an empty optional number as 0 and refuse it
        # with its own toast. The catalogue checks the range and names the field instead.
        return gr.Number(
            value=field.default,
            step=field.step or 1,
            precision=0 if field.kind == "int" else None,
            **common,
        )
    return gr.Textbox(value=field.default or "", **common)


def _image_widgets(spec: ModelSpec) -> tuple[gr.components.Component, gr.Textbox]:
    """Upload plus URL box for the model's image input."""
    field = spec.field(spec.image_field)
    # gr.File, not gr.Image: gr.Image decodes every upload before any handler can check its
    # size (a 13000 px PNG bomb costs ~770 MB); uploads.py reads only the header first.
    many = field.kind == "images"
    upload = gr.File(
        label=ui(f"model.{spec.name}.upload_label"),
        file_count="multiple" if many else "single",
        file_types=["image"],
        type="filepath",
        elem_id=upload_param(spec),
    )
    urls = gr.Textbox(
        label=ui("form.urls_many" if many else "form.urls_one"),
        placeholder="https://example.com/image.png",
        info=ui(f"model.{spec.name}.urls_info"),
        elem_id=url_param(spec),
    )
    return upload, urls


class ModelForm:
    """Every model's widgets, by handler parameter name, and the columns that hold them."""

    def __init__(self, specs: list[ModelSpec] | None = None, default_model: str = "") -> None:
        self.specs = specs if specs is not None else list(MODELS.values())
        self.default_model = default_model or self.specs[0].id
        self.components: dict[str, gr.components.Component] = {}
        self.columns: dict[str, gr.Column] = {}

    # -- layout ---------------------------------------------------------------------------

    def build_top(self) -> None:
        """Per model: its shape control, and its image inputs folded until wanted."""
        for spec in self.specs:
            with gr.Column(
                visible=spec.id == self.default_model, elem_id=f"top-{model_key(spec)}"
            ) as column:
                for field in top_fields(spec):
                    self.components[field_param(spec, field)] = _widget(spec, field)
                if spec.image_field:
                    with gr.Accordion(
                        ui(f"model.{spec.name}.image_accordion"),
                        open=False,
                        elem_id=f"image-inputs-{model_key(spec)}",
                    ):
                        upload, urls = _image_widgets(spec)
                    self.components[upload_param(spec)] = upload
                    self.components[url_param(spec)] = urls
            self.columns[f"top-{model_key(spec)}"] = column

    def build_fields(self) -> None:
        """Per model: the rest of its own inputs (inside Advanced)."""
        for spec in self.specs:
            with gr.Column(
                visible=spec.id == self.default_model, elem_id=f"fields-{model_key(spec)}"
            ) as column:
                for field in advanced_fields(spec):
                    self.components[field_param(spec, field)] = _widget(spec, field)
            self.columns[f"fields-{model_key(spec)}"] = column

    @property
    def names(self) -> list[str]:
        """Every per-model parameter name, in a stable order."""
        return list(self.components)

    # -- handlers -------------------------------------------------------------------------

    def visibility(self, model: str) -> dict[str, Any]:
        """Show the columns of the chosen model, hide every other model's."""
        chosen = get_model(model)
        return {
            name: gr.update(visible=chosen is not None and name.endswith(f"-{model_key(chosen)}"))
            for name in self.columns
        }

    def switch_model(
        self, previous: str, model: str, request: gr.Request = None, **values: Any
    ) -> dict[str, Any]:
        """Show the chosen model's fields; carry over values the user set for shared fields."""
        info = model_info(model, language(request))
        updates: dict[str, Any] = {"current_model": model, "model_info": info}
        updates.update(self.visibility(model))
        old, new = get_model(previous), get_model(model)
        if old is None or new is None or old.id == new.id:
            return updates
        for field in form_fields(old):
            target = new.field(field.name)
            if target is None or target not in form_fields(new):
                continue
            value = values.get(field_param(old, field))
            carried = _carry(target, value, field.default)
            if carried is not None:
                updates[field_param(new, target)] = gr.update(value=carried)
        return updates

    def collect_input(
        self,
        prompt: str,
        model: str,
        seed: Any,
        randomize_seed: bool,
        extra_input: str,
        fields: dict[str, Any],
        *,
        allow_http: bool = False,
    ) -> dict[str, Any]:
        """The exact, validated input a run sends, from the form's raw values."""
        spec = get_model(model)
        if spec is None:
            return build_input(model, prompt, {}, extra_json=extra_input)
        values = {f.name: fields.get(field_param(spec, f)) for f in form_fields(spec)}
        for field in form_fields(spec):
            # e.g. width/height: a browser shows an empty number as 0; it is not sent at all
            # unless its condition holds (aspect ratio "custom").
            if field.only_with and not _condition_holds(spec, values, *field.only_with):
                values[field.name] = None
        image = None
        if spec.image_field:
            image = resolve_image_field(
                spec,
                fields.get(upload_param(spec)),
                fields.get(url_param(spec)),
                allow_http=allow_http,
            )
        return build_input(
            spec.id,
            prompt,
            values,
            seed=seed,
            randomize_seed=bool(randomize_seed),
            extra_json=extra_input,
            image=image,
        )

    def restore_settings(
        self, model: str, values: Mapping[str, Any], lang: str = "en"
    ) -> dict[str, Any]:
        """Updates that put a run's model, prompt, seed and fields back into the Generate tab.

        One way for every source of settings: History's "Use these settings" and "Load
        settings from an image" both end here, so they restore exactly the same things.
        """
        spec = get_model(model)
        model = spec.id if spec else model
        updates: dict[str, Any] = {
            "model": gr.update(value=model),
            "current_model": model,
            "model_info": model_info(model, lang),
            "prompt": values.get("prompt", ""),
        }
        if values.get("seed") is not None:
            updates.update(seed=values["seed"], randomize_seed=False)
        updates.update(self.visibility(model))
        if spec is not None:
            updates.update(self.restore(spec, values))
        return updates

    def restore(self, spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
        """Updates that put a recorded input back into this model's widgets."""
        updates: dict[str, Any] = {}
        for field in form_fields(spec):
            updates[field_param(spec, field)] = gr.update(
                value=values.get(field.name, field.default)
            )
        if spec.image_field:
            image = values.get(spec.image_field)
            if isinstance(image, list):
                image = "\n".join(i for i in image if isinstance(i, str) and i.startswith("http"))
            if isinstance(image, str) and image.startswith("http"):
                updates[url_param(spec)] = gr.update(value=image)
        return updates


def _condition_holds(spec: ModelSpec, values: dict[str, Any], other: str, wanted: Any) -> bool:
    actual = values.get(other)
    if actual in (None, ""):
        field = spec.field(other)
        actual = field.default if field else None
    return actual == wanted


def _carry(target: Field, value: Any, old_default: Any) -> Any:
    """A value the user set on the old model, as the new model's field takes it (or None)."""
    if value is None or value == old_default:
        return None
    try:
        carried = coerce_value(target, value)
    except InvalidInputError:
        return None
    if target.kind == "enum" and carried not in target.choices:
        return None
    return carried
