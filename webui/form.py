"""The model form: one widget per distinct field, reshaped for the chosen model.

The catalogue's ten models share 25 field names, each of one kind everywhere, and each model has
at most one image input. So the form holds one widget per field name (plus one upload and one
URL box for whichever image input the model has) and a model switch reconfigures them with
`gr.update`: label, help, range, step, choices, value, visible. Every event of the page then
carries one input per field, whatever the number of models (see ../shared/GRADIO_NOTES.md).

Two rules from Gradio shape the code: a widget whose range or choices change gets a valid value
in the same update (Gradio never clamps), and a hidden widget still sends (and Gradio still
checks) its value, so a widget the new model lacks is only hidden, never reconfigured.

What a person set is kept per model in a `gr.State` ("memory"): switching A -> B -> A brings
A's values back, and a value set on A carries over to B when B has that field and takes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from comet._constants import DEFAULT_MODEL
from comet.errors import InvalidInputError
from comet.models import MODELS, Field, ModelSpec, coerce_value, get_model

from .field_slider import FieldSlider
from .i18n import language, text, ui
from .inputs import build_input, resolve_image_field, upload_paths

__all__ = [
    "IMAGE_INPUTS",
    "ModelForm",
    "TOP_FIELDS",
    "field_names",
    "form_fields",
    "model_info",
    "model_info_key",
]

# The most used setting sits under the prompt; the rest of a model's fields under Advanced.
TOP_FIELDS = ("aspect_ratio",)
# The one upload and the one URL box every model's image input shares (handler parameters).
IMAGE_INPUTS = ("upload", "image_urls")


def form_fields(spec: ModelSpec) -> list[Field]:
    """The fields with a form widget: everything but prompt, seed and the image input."""
    return [f for f in spec.fields if f.name not in ("prompt", "seed", spec.image_field)]


# The order fields are laid out in, whichever model shows them: size, then quality and time,
# then how closely the prompt is followed, then the rest. A name not listed goes last.
FIELD_ORDER = (
    "aspect_ratio",
    "num_outputs",
    "resolution",
    "megapixels",
    "width",
    "height",
    "num_inference_steps",
    "steps",
    "guidance",
    "interval",
    "prompt_strength",
    "image_prompt_strength",
    "prompt_upsampling",
    "raw",
    "go_fast",
    "safety_tolerance",
    "disable_safety_checker",
    "output_format",
    "output_quality",
)


def field_names(specs: list[ModelSpec]) -> list[str]:
    """Every distinct form field name across the models, in FIELD_ORDER."""
    names: dict[str, None] = {}
    for spec in specs:
        names.update(dict.fromkeys(f.name for f in form_fields(spec)))
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


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


def _is_slider(field: Field) -> bool:
    return field.kind in ("int", "float") and None not in (field.minimum, field.maximum)


def _step(field: Field) -> float:
    return field.step or (1 if field.kind == "int" else 0.01)


def _texts(spec: ModelSpec, field: Field) -> dict[str, Any]:
    return {
        "label": ui(f"model.{spec.name}.{field.name}.label"),
        "info": ui(f"model.{spec.name}.{field.name}.help"),
    }


def _widget(spec: ModelSpec, field: Field, visible: bool) -> gr.components.Component:
    """The one widget of a field name, first configured for `spec`'s field."""
    common = {**_texts(spec, field), "visible": visible, "elem_id": f"field-{field.name}"}
    if field.kind == "enum":
        # Checked by the catalogue, not by Gradio: an event sent before a model switch but
        # handled after it would otherwise meet the new model's choices (a toast, no handler).
        return gr.Dropdown(
            choices=list(field.choices), value=field.default, allow_custom_value=True, **common
        )
    if field.kind == "bool":
        return gr.Checkbox(value=bool(field.default), **common)
    if _is_slider(field) and field.default is not None:
        return FieldSlider(
            minimum=field.minimum,
            maximum=field.maximum,
            step=_step(field),
            value=field.default,
            **common,
        )
    if field.kind in ("int", "float"):
        # No minimum/maximum: Gradio would show an empty optional number as 0 and refuse it
        # with its own toast. The catalogue checks the range and names the field instead.
        return gr.Number(
            value=field.default,
            step=_step(field),
            precision=0 if field.kind == "int" else None,
            **common,
        )
    return gr.Textbox(value=field.default or "", **common)


def _update(spec: ModelSpec, field: Field, value: Any) -> dict[str, Any]:
    """The update that shows `field` as `spec` has it, holding `value` (valid there)."""
    update: dict[str, Any] = {"visible": True, **_texts(spec, field), "value": value}
    if field.kind == "enum":
        update["choices"] = list(field.choices)
    elif _is_slider(field) and field.default is not None:
        update.update(minimum=field.minimum, maximum=field.maximum, step=_step(field))
    return gr.update(**update)


def _valid(field: Field, value: Any) -> Any:
    """`value` as `field` takes it, or None when it does not (wrong type, range or choice)."""
    try:
        value = coerce_value(field, value)
    except InvalidInputError:
        return None
    if field.kind == "enum" and value not in field.choices:
        return None
    return value


def _specs_image_count(spec: ModelSpec, upload: Any, urls: Any) -> int:
    lines = [line for line in str(urls or "").replace(",", "\n").splitlines() if line.strip()]
    return len(upload_paths(upload)) + len(lines)


class ModelForm:
    """The form's widgets by field name, the image inputs, and the per-model memory."""

    def __init__(self, specs: list[ModelSpec] | None = None, default_model: str = "") -> None:
        self.specs = specs if specs is not None else list(MODELS.values())
        self.default_model = default_model or DEFAULT_MODEL
        self.names = field_names(self.specs)
        self.components: dict[str, gr.components.Component] = {}
        self.image_box: gr.Accordion | None = None
        self.memory: gr.State | None = None

    # -- layout ---------------------------------------------------------------------------

    def _first_with(self, name: str) -> tuple[ModelSpec, Field]:
        """The default model's field of that name, else the first model's that has one."""
        default = get_model(self.default_model)
        for spec in [default, *self.specs] if default else self.specs:
            field = spec.field(name)
            if field is not None:
                return spec, field
        raise KeyError(name)

    def _build(self, names: list[str]) -> None:
        default = get_model(self.default_model)
        for name in names:
            spec, field = self._first_with(name)
            shown = default is not None and field in form_fields(default)
            self.components[name] = _widget(spec, field, shown)

    def build_top(self) -> None:
        """The shape control, then the image input folded until wanted."""
        self.memory = gr.State({})
        self._build([n for n in self.names if n in TOP_FIELDS])
        default = get_model(self.default_model)
        image_spec = next(s for s in self.specs if s.image_field)
        label = ui(f"model.{image_spec.name}.image_accordion")
        with gr.Accordion(
            label,
            open=False,
            visible=bool(default and default.image_field),
            elem_id="image-inputs",
        ) as self.image_box:
            # gr.File, not gr.Image: gr.Image decodes every upload before any handler can
            # check its size (a 13000 px PNG bomb costs ~770 MB); uploads.py reads the header.
            self.components["upload"] = gr.File(
                label=ui(f"model.{image_spec.name}.upload_label"),
                file_count="single",
                file_types=["image"],
                type="filepath",
                elem_id="image-upload",
            )
            self.components["image_urls"] = gr.Textbox(
                label=ui("form.urls_one"),
                placeholder="https://example.com/image.png",
                info=ui(f"model.{image_spec.name}.urls_info"),
                elem_id="image-urls",
            )

    def build_fields(self) -> None:
        """The rest of the fields (inside Advanced)."""
        self._build([n for n in self.names if n not in TOP_FIELDS])

    @property
    def inputs(self) -> dict[str, gr.components.Component]:
        """Every widget of the form by handler parameter: field names, upload, image_urls."""
        return dict(self.components)

    @property
    def outputs(self) -> dict[str, Any]:
        """What reshaping the form updates: every widget and the image accordion."""
        return {**self.components, "image_box": self.image_box}

    def restore_outputs(self, c: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        """The outputs of a restore (History's "Use these settings", a dropped image), in order.

        The widgets first: what is set after them (prompt, seed, the model) fires its change
        once they hold their new values and ranges (generate_tab.preview_triggers).
        """
        last = ("prompt", "seed", "randomize_seed", "current_model", "model")
        return self.outputs | extra | {n: c[n] for n in ("model_info", *last)}

    # -- reshaping ------------------------------------------------------------------------

    def configure(self, spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
        """Updates that show `spec`'s fields holding `values` (else defaults), the rest hidden.

        A value `spec`'s field would refuse falls back to the field's default.
        """
        updates: dict[str, Any] = {}
        for name in self.names:
            field = spec.field(name)
            if field is None or field not in form_fields(spec):
                updates[name] = gr.update(visible=False)  # left as it is: still valid
                continue
            value = _valid(field, values.get(name))
            updates[name] = _update(spec, field, field.default if value is None else value)
        updates.update(self._image_updates(spec, values))
        return updates

    def _image_updates(self, spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
        if not spec.image_field:
            return {
                "image_box": gr.update(visible=False),
                "upload": gr.update(value=None),
                "image_urls": gr.update(value=""),
            }
        many = spec.field(spec.image_field).kind == "images"
        upload = values.get("upload")
        if not many and isinstance(upload, (list, tuple)):
            upload = upload[0] if len(upload) == 1 else None
        elif many and isinstance(upload, str):  # a multiple upload holds a list, even of one
            upload = [upload]
        return {
            "image_box": gr.update(visible=True, label=ui(f"model.{spec.name}.image_accordion")),
            "upload": gr.update(
                value=upload or None,
                label=ui(f"model.{spec.name}.upload_label"),
                file_count="multiple" if many else "single",
            ),
            "image_urls": gr.update(
                value=values.get("image_urls") or "",
                label=ui("form.urls_many" if many else "form.urls_one"),
                info=ui(f"model.{spec.name}.urls_info"),
            ),
        }

    def remembered(self, spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values of `spec`'s own widgets, as the memory keeps them."""
        kept = {f.name: values.get(f.name) for f in form_fields(spec)}
        if spec.image_field:
            kept.update({name: values.get(name) for name in IMAGE_INPUTS})
        return kept

    def switch_model(
        self,
        memory: dict[str, Any] | None,
        previous: str | None,
        model: str,
        request: gr.Request = None,
        **values: Any,
    ) -> dict[str, Any]:
        """Reshape the form for `model`: its remembered values, plus what carries over."""
        lang = language(request)
        memory = dict(memory or {})
        old, new = get_model(previous or ""), get_model(model or "")
        updates: dict[str, Any] = {"model_info": model_info(model, lang)}
        if new is None:
            return updates
        if old is not None:
            memory[old.id] = self.remembered(old, values)
        if old is not None and old.id == new.id:
            return updates | {"current_model": new.id, "form_memory": memory}
        shown = dict(memory.get(new.id) or {})
        if old is not None:
            shown.update(self._carried(old, new, values))
        updates |= self.configure(new, shown)
        return updates | {"current_model": new.id, "form_memory": memory}

    def switch_to(
        self,
        memory: dict[str, Any] | None,
        previous: str | None,
        model: str,
        request: gr.Request = None,
        **values: Any,
    ) -> dict[str, Any]:
        """switch_model, and the model dropdown set to `model` in the same step (an example)."""
        updates = self.switch_model(memory, previous, model, request, **values)
        if "current_model" in updates:  # a model of the catalogue: shown in the dropdown too
            updates["model"] = gr.update(value=model)
        return updates

    def _carried(self, old: ModelSpec, new: ModelSpec, values: Mapping[str, Any]) -> dict:
        """What a person set on `old` (not its default) that `new` has and takes."""
        carried: dict[str, Any] = {}
        for field in form_fields(old):
            target = new.field(field.name)
            value = values.get(field.name)
            if target is None or target not in form_fields(new) or value == field.default:
                continue
            usable = _valid(target, value)
            if usable is not None:
                carried[field.name] = usable
        if old.image_field and new.image_field:
            upload, urls = values.get("upload"), values.get("image_urls")
            count = _specs_image_count(new, upload, urls)
            room = new.field(new.image_field).max_items or 1
            if 0 < count <= room:
                carried.update(upload=upload, image_urls=urls)
        return carried

    # -- reading and restoring ------------------------------------------------------------

    def collect_input(
        self,
        prompt: str,
        model: str,
        seed: Any,
        randomize_seed: bool,
        extra_input: str,
        values: Mapping[str, Any],
        *,
        allow_http: bool = False,
    ) -> dict[str, Any]:
        """The exact, validated input a run sends, from the form's raw values.

        Only the chosen model's fields are read: hidden widgets still hold another model's.
        """
        spec = get_model(model)
        if spec is None:
            return build_input(model, prompt, {}, extra_json=extra_input)
        fields = {f.name: values.get(f.name) for f in form_fields(spec)}
        for field in form_fields(spec):
            # e.g. width/height: a browser shows an empty number as 0; it is not sent at all
            # unless its condition holds (aspect ratio "custom").
            if field.only_with and not _condition_holds(spec, fields, *field.only_with):
                fields[field.name] = None
        image = None
        if spec.image_field:
            image = resolve_image_field(
                spec, values.get("upload"), values.get("image_urls"), allow_http=allow_http
            )
        return build_input(
            spec.id,
            prompt,
            fields,
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
        if spec is not None:
            shown = dict(values)
            if spec.image_field:
                shown["upload"] = None
                shown["image_urls"] = _public_urls(values.get(spec.image_field))
            updates.update(self.configure(spec, shown))
        return updates


def _public_urls(image: Any) -> str:
    """The http(s) URLs among a recorded image input (uploads were sent inline, not kept)."""
    items = image if isinstance(image, list) else [image]
    return "\n".join(i for i in items if isinstance(i, str) and i.startswith("http"))


def _condition_holds(spec: ModelSpec, values: dict[str, Any], other: str, wanted: Any) -> bool:
    actual = values.get(other)
    if actual in (None, ""):
        field = spec.field(other)
        actual = field.default if field else None
    return actual == wanted
