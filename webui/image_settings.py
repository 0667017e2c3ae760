"""Load settings from an image: drop a picture this app saved, and its run fills the form again.

Every image the app saves carries its settings (comet.metadata); this drop zone reads them and
restores the model and every field the way History's "Use these settings" does
(ModelForm.restore_settings). It is a gr.File, not a gr.Image: gr.Image would decode the
upload (a decompression bomb costs gigabytes) before any handler ran, and reading the
settings needs no pixels at all. What went wrong is said next to the drop zone, never in a
toast; so the drop zone takes any file (no file_types): with file_types=["image"] Gradio's page
itself refuses a .txt or .pdf with an error toast before any handler runs.
"""

from pathlib import Path
from typing import Any

import gradio as gr

from comet.errors import InvalidInputError
from comet.metadata import read_settings
from comet.models import coerce_value, get_model
from comet.outputs import sniff_image_type

from .client_side import settle_after
from .form import ModelForm, form_fields
from .i18n import language, text, ui
from .wiring import by_name

__all__ = ["build_image_settings", "settings_from_image", "wire_image_settings"]

# In English, as a handler without a request answers (the words are in webui/texts/).
NOT_AN_IMAGE = text("img.not_an_image")
NO_SETTINGS = text("img.no_settings")


def build_image_settings(c: dict[str, Any]) -> None:
    """Lay out the drop zone and its message (in place, inside the Generate tab's controls)."""
    with gr.Accordion(ui("img.accordion"), open=False, elem_id="settings-image-panel"):
        c["settings_image"] = gr.File(
            label=ui("img.drop"),
            file_count="single",
            type="filepath",
            height=120,
            elem_id="settings-image",
        )
        c["settings_note"] = gr.Markdown(ui("img.help"), elem_id="settings-image-note")


def settings_from_image(form: ModelForm, path: str | None, request: Any = None) -> dict[str, Any]:
    """Updates that restore the run an image carries, or say why there is nothing to restore.

    The drop zone is emptied again either way, ready for the next image. Its note is in the
    request's language.
    """
    if not path:
        return {}
    lang = language(request)
    cleared: dict[str, Any] = {"settings_image": None}
    settings = read_settings(path)  # reads metadata chunks only; never decodes the pixels
    if settings is None:
        return cleared | {"settings_note": _why_none(path, lang)}
    name = Path(path).name
    spec = get_model(settings["model"])
    if spec is None:
        model = settings["model"][:100]
        return cleared | {"settings_note": text("img.unknown_model", lang, name=name, model=model)}
    values, ignored = _usable_values(spec, settings)
    updates = form.restore_settings(spec.id, values, lang)
    seed, prediction_id = values.get("seed"), settings.get("prediction_id")
    seed_part = text("img.seed_part", lang, seed=seed) if seed is not None else ""
    prediction_part = ""
    if prediction_id:
        prediction_part = text("img.prediction_part", lang, id=str(prediction_id)[:100])
    note = text(
        "img.loaded",
        lang,
        name=name,
        model=spec.display_name,
        seed=seed_part,
        prediction=prediction_part,
    )
    if ignored:
        labels = [text(f"model.{spec.name}.{field}.label", lang) for field in ignored]
        note += text("img.ignored", lang, fields=", ".join(labels))
    if spec.image_field and _was_uploaded(values.get(spec.image_field)):
        note += text("img.upload_gone", lang)
    return cleared | updates | {"settings_note": note}


def wire_image_settings(c: dict[str, Any], form: ModelForm) -> None:
    """Dropping an image restores its run; the outputs are the Generate tab's own fields."""
    outputs = form.restore_outputs(c, {n: c[n] for n in ("settings_image", "settings_note")})

    def load(path: str | None, request: gr.Request = None) -> dict[str, Any]:
        return settings_from_image(form, path, request)

    loaded = c["settings_image"].upload(
        by_name(load, outputs),
        [c["settings_image"]],
        list(outputs.values()),
        api_visibility="private",
        show_progress="hidden",
    )
    settle_after(loaded, c)


def _usable_values(spec: Any, settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The input as the form can take it: a value it would refuse is left out (and named).

    The file may have been edited by hand; a value outside a field's choices or range must not
    reach the widgets.
    """
    values = dict(settings["input"])
    ignored = []  # field names
    prompt = values.get("prompt", settings.get("prompt", ""))
    values["prompt"] = prompt if isinstance(prompt, str) else ""
    seed = values.get("seed", settings.get("seed"))
    ok_seed = isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**63
    values["seed"] = seed if ok_seed else None
    for field in form_fields(spec):
        if values.get(field.name) in (None, ""):
            values.pop(field.name, None)  # not given: the field's default, as in History
            continue
        try:
            value = coerce_value(field, values[field.name])
        except InvalidInputError:
            value = None
        if value is None or (field.kind == "enum" and value not in field.choices):
            values.pop(field.name)
            ignored.append(field.name)
        else:
            values[field.name] = value
    return values, ignored


def _was_uploaded(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return any(isinstance(i, str) and i.startswith("data:") for i in items)


def _why_none(path: str, lang: str) -> str:
    try:
        with open(path, "rb") as file:
            head = file.read(16)
    except OSError:
        return text("img.not_an_image", lang)
    return text("img.no_settings" if sniff_image_type(head) else "img.not_an_image", lang)
