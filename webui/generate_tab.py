"""The Generate tab: prompt, model, the model's form, Generate/Stop, status and gallery.

`build_generate_tab` lays it out, `GenerateHandlers` (webui/generate_handlers.py) holds its
plain handlers (tests call them directly) and `wire_generate_tab` connects the two.
"""

from collections.abc import Callable
from typing import Any

import gradio as gr

from comet._constants import DEFAULT_MODEL

from .client_side import DISABLE_JS, ENABLE_JS, SHOW_WHEN_SET_JS, run_start_js, settle_after
from .form import IMAGE_INPUTS, ModelForm, model_info_key
from .generate_handlers import PREVIEW_OUTPUTS, GenerateHandlers
from .i18n import language, text, ui
from .image_settings import build_image_settings, wire_image_settings
from .inputs import MAX_PROMPT_CHARS
from .wiring import by_name, with_form_signature

__all__ = [
    "EXAMPLES",
    "GenerateHandlers",
    "PREVIEW_OUTPUTS",
    "GenerateTab",
    "build_generate_tab",
    "example_headers",
    "wire_generate_tab",
]

EXAMPLES = [  # (prompt, model): each shows off what that model is good at
    (
        "A paper boat floating on calm water at sunrise, soft light, 35mm photo",
        "black-forest-labs/flux-schnell",
    ),
    (
        "A cozy reading nook inside a hollow tree, warm lantern light, watercolor",
        "black-forest-labs/flux-dev",
    ),
    (
        "Isometric illustration of a tiny city on a floating island, pastel colors",
        "black-forest-labs/flux-1.1-pro",
    ),
    (
        "Macro photo of a dew-covered spider web at dawn, shallow depth of field",
        "black-forest-labs/flux-1.1-pro-ultra",
    ),
]


class GenerateTab:
    """The tab's components by name; other parts wire to them (e.g. `tab.c["prompt"]`)."""

    def __init__(self, form: ModelForm) -> None:
        self.form = form
        self.c: dict[str, Any] = {}
        self.generate_event: Any = None

    def __getitem__(self, name: str) -> Any:
        return self.c[name]

    def inputs(self, visitor_key: gr.State) -> dict[str, Any]:
        """The keyword inputs of Generate and the preview: common fields plus the form's."""
        common = {n: self.c[n] for n in ("prompt", "model", "seed", "randomize_seed")}
        return {
            **common,
            "extra_input": self.c["extra_input"],
            "visitor_key": visitor_key,
            "typed_key": self.key_panel["key_box"],
            **self.form.inputs,
        }


def build_generate_tab(
    form: ModelForm,
    key_panel: Callable[[], Any],
    preview: Callable[..., dict[str, str]],
) -> GenerateTab:
    """Lay out the tab (inside a gr.Tab); `key_panel` builds the API key part in place.

    `preview` (GenerateHandlers.preview) fills the request preview with the page's first
    values: part of the page from the start, no round trip after it loads.
    """
    tab = GenerateTab(form)
    c = tab.c
    c["run_state"] = gr.State({"id": None})
    c["current_model"] = gr.State(DEFAULT_MODEL)
    with gr.Row():
        with gr.Column(scale=2):
            _build_controls(tab, preview)
            tab.key_panel = key_panel()
        with gr.Column(scale=3):
            c["status"] = gr.Markdown(ui("gen.ready"), elem_id="status")
            c["gallery"] = gr.Gallery(
                label=ui("gen.images"),
                elem_id="gallery",
                columns=2,  # one result spans both columns (launch.APP_CSS): large; several: a grid
                height="auto",
                object_fit="contain",  # whole images: a 16:9 result is not cropped to a square
                fit_columns=False,  # one image in one column overflows and is cut
                buttons=["download", "download_all", "fullscreen"],
            )
            # Hidden until a run has a seed: an empty gr.Number shows 0.
            with gr.Row(visible=False) as c["seed_row"]:
                c["seed_used"] = gr.Number(
                    label=ui("gen.seed_used"), interactive=False, precision=0, elem_id="seed-used"
                )
                c["reuse_seed"] = gr.Button(ui("gen.reuse_seed"), size="sm")
    # An example's model goes to a hidden box; the switch then sets the dropdown together with
    # the reshaped form, so the dropdown's own change finds the form already in shape.
    c["example_model"] = gr.Textbox(visible=False)
    # Counts the page's own reshapes of the form (a model switch, an example, restored
    # settings): each one bumps it once all its updates are in place (settle_after).
    c["form_settled"] = gr.Number(0, visible=False, precision=0)
    tab.examples = gr.Examples(
        examples=[list(example) for example in EXAMPLES],
        inputs=[c["prompt"], c["example_model"]],
        label=ui("gen.examples"),
        api_visibility="private",
    )
    # Gradio does not translate a Dataset's headers: English here, the page's language on load.
    tab.examples.dataset.headers = example_headers()["examples"]["headers"]
    c["examples"] = tab.examples.dataset
    return tab


def example_headers(request: gr.Request = None) -> dict[str, Any]:
    """The Examples table's column names in the visitor's language (set on page load)."""
    lang = language(request)
    return {"examples": gr.update(headers=[text("gen.prompt", lang), text("gen.model", lang)])}


def _build_controls(tab: GenerateTab, preview: Callable[..., dict[str, str]]) -> None:
    c, form = tab.c, tab.form
    c["prompt"] = gr.Textbox(
        label=ui("gen.prompt"),
        placeholder=ui("gen.prompt_placeholder"),
        lines=1,  # one line grows as you type, and Enter submits
        max_lines=8,
        max_length=MAX_PROMPT_CHARS,
        elem_id="prompt",
    )
    c["model"] = gr.Dropdown(
        choices=[(f"{s.display_name} · {s.id}", s.id) for s in form.specs],
        value=DEFAULT_MODEL,
        label=ui("gen.model"),
        elem_id="model",
    )
    c["model_info"] = gr.Markdown(ui(model_info_key(DEFAULT_MODEL)), elem_id="model-info")
    form.build_top()
    with gr.Row():
        c["generate"] = gr.Button(ui("gen.generate"), variant="primary", elem_id="generate-button")
        # Enabled only while a run is in flight (see wire_generate_tab).
        c["stop"] = gr.Button(
            ui("gen.stop"), variant="secondary", interactive=False, scale=0, elem_id="stop-button"
        )
    with gr.Accordion(ui("gen.advanced"), open=False):
        with gr.Row():
            # No minimum: Gradio would show the empty box as 0 and refuse it with a toast.
            c["seed"] = gr.Number(label=ui("gen.seed"), value=None, precision=0, elem_id="seed")
            c["randomize_seed"] = gr.Checkbox(
                label=ui("gen.randomize_seed"), value=True, elem_id="randomize-seed"
            )
        form.build_fields()
        c["extra_input"] = gr.Code(
            label=ui("gen.extra_input"), language="json", value="", elem_id="extra-input"
        )
        gr.Markdown(ui("gen.extra_input_help"))
    names = ("prompt", "model", "seed", "randomize_seed", "extra_input")
    first = preview(
        **{n: c[n].value for n in names}, **{n: w.value for n, w in form.inputs.items()}
    )
    with gr.Accordion(ui("gen.preview"), open=False):
        c["preview_json"] = gr.Code(
            first["preview_json"],
            label=ui("gen.preview_json"),
            language="json",
            elem_id="preview-json",
        )
        c["preview_curl"] = gr.Code(
            first["preview_curl"],
            label=ui("gen.preview_curl"),
            language="shell",
            elem_id="preview-curl",
        )
        c["preview_cli"] = gr.Code(
            first["preview_cli"],
            label=ui("gen.preview_cli"),
            language="shell",
            buttons=["copy"],
            elem_id="preview-cli",
        )
        c["preview_python"] = gr.Code(
            first["preview_python"],
            label=ui("gen.preview_python"),
            language="python",
            buttons=["copy"],
            elem_id="preview-python",
        )
        gr.Markdown(ui("gen.preview_help"))
    build_image_settings(c)


def wire_generate_tab(
    tab: GenerateTab,
    handlers: GenerateHandlers,
    visitor_key: gr.State,
    concurrency: int,
    *,
    run_examples: bool = False,
) -> None:
    """Connect the tab's events; `tab.run_events` are what others chain after or cancel."""
    c, form = tab.c, tab.form
    run_outputs = {n: c[n] for n in ("status", "gallery", "seed_used", "run_state")}
    run = {
        "fn": by_name(with_form_signature(handlers.generate, form_params(form)), run_outputs),
        "inputs_kwargs": tab.inputs(visitor_key),
        "outputs": list(run_outputs.values()),
        "concurrency_limit": concurrency,
        "concurrency_id": "generate",
        # The programmatic API is webui/api.py's compact /generate: this event is the page's.
        "api_visibility": "private",
    }
    triggers = [c["generate"].click, c["prompt"].submit]
    # Registered before the run itself: the page starts a trigger's events in this order and
    # would otherwise enable Stop only once the run had ended.
    _wire_run_start(tab, triggers)
    tab.generate_event = gr.on(triggers=triggers, **run)
    tab.run_events = [tab.generate_event]
    example_switch = _wire_model_switch(tab)
    if run_examples:  # demo mode: an example shows its result at once, at no cost
        example_run = example_switch.then(
            None, None, [c["stop"]], js=ENABLE_JS, api_visibility="private"
        ).then(**run)
        tab.run_events.append(example_run)
    _wire_stop(tab, handlers)
    seed_outputs = {n: c[n] for n in ("seed", "randomize_seed")}
    c["reuse_seed"].click(  # seed and randomize_seed's own changes bring the preview along
        by_name(handlers.reuse_seed, seed_outputs),
        [c["seed_used"]],
        list(seed_outputs.values()),
        api_visibility="private",
    )
    _wire_preview(tab, handlers, visitor_key)
    wire_image_settings(c, form)


def form_params(form: ModelForm) -> list[str]:
    """The handler parameters the form's widgets fill: every field name, upload, URLs."""
    return [*form.names, *IMAGE_INPUTS]


def _wire_model_switch(tab: GenerateTab) -> Any:
    """The form follows the model, whoever sets it (the user, an example, History).

    On the dropdown's change, which comes once per choice (its `input` comes twice for a
    mouse choice, and the second carries values the reshaped widgets refuse: a toast). History
    and "Load settings" set the model together with the form, so that change is a no-op.
    Returns the example's switch, which the demo's example run follows.
    """
    c, form = tab.c, tab.form
    outputs = {n: c[n] for n in ("current_model", "model_info")}
    outputs |= {"form_memory": form.memory} | form.outputs
    switch = {
        "inputs_kwargs": {"memory": form.memory, "previous": c["current_model"], **form.inputs},
        "api_visibility": "private",
        "show_progress": "hidden",
        "concurrency_limit": None,  # instant: never queued behind other visitors' switches
    }
    chosen = by_name(with_form_signature(form.switch_model, form_params(form)), outputs)
    choice = c["model"].change(
        chosen,
        inputs_kwargs={**switch.pop("inputs_kwargs"), "model": c["model"]},
        outputs=list(outputs.values()),
        trigger_mode="always_last",  # a choice made meanwhile follows with fresh values
        **switch,
    )
    settle_after(choice, c)
    with_dropdown = outputs | {"model": c["model"]}
    example = tab.examples.load_input_event.then(
        by_name(with_form_signature(form.switch_to, form_params(form)), with_dropdown),
        inputs_kwargs={
            "memory": form.memory,
            "previous": c["current_model"],
            "model": c["example_model"],
            **form.inputs,
        },
        outputs=list(with_dropdown.values()),
        **switch,
    )
    settle_after(example, c)
    return example


def preview_triggers(c: dict[str, Any], form: ModelForm) -> list[Any]:
    """What makes the request preview follow: a person's edits, and each settled reshape.

    The form's widgets count by their `input` (a person's edit; `blur` too for typed boxes,
    since a paste with the mouse sends no input), never by their `change`: a reshape fires
    those midway, when the payload can still hold a widget's old value against the range just
    sent ("Value 28 is greater than maximum value 4": a toast, no handler called). Prompt,
    seed and extra JSON are never reshaped; the page's own settings of them come last in an
    update, after the widgets (ModelForm.restore_outputs).
    """
    triggers = [c[n].change for n in ("prompt", "seed", "randomize_seed", "extra_input")]
    for component in form.inputs.values():
        if isinstance(component, gr.File):  # no input event: a file is uploaded or removed
            triggers += [component.upload, component.clear, component.delete]
        elif isinstance(component, (gr.Textbox, gr.Number)):
            triggers += [component.input, component.blur]
        else:
            triggers.append(component.input)
    return [*triggers, c["form_settled"].change]


def _wire_run_start(tab: GenerateTab, triggers: list) -> None:
    """When a run starts, on the page itself: "Submitting…" in view and Stop enabled."""
    gr.on(
        triggers=triggers,
        fn=None,
        js=run_start_js("status", "gen.submitting"),
        outputs=[tab.c["status"], tab.c["stop"]],
        api_visibility="private",
        show_progress="hidden",
    )


def _wire_stop(tab: GenerateTab, handlers: GenerateHandlers) -> None:
    """Stop is enabled only while a run is in flight; it cancels, then says what happened."""
    c = tab.c
    stop = c["stop"]
    for event in tab.run_events:
        event.then(None, None, [stop], js=DISABLE_JS, api_visibility="private")
        event.then(
            None, [c["seed_used"]], [c["seed_row"]], js=SHOW_WHEN_SET_JS, api_visibility="private"
        )
    stop_outputs = {n: c[n] for n in ("status", "gallery", "stop", "run_state", "seed_used")}
    # Cancel first, then say so: a yield in flight cannot overwrite the Stop message.
    stop.click(None, None, None, cancels=tab.run_events).then(
        by_name(handlers.stop, stop_outputs),
        [c["run_state"], c["status"]],
        list(stop_outputs.values()),
        api_visibility="private",
    )


def _wire_preview(tab: GenerateTab, handlers: GenerateHandlers, visitor_key: gr.State) -> None:
    """The request preview follows every input, and is part of the page from the start."""
    c, form = tab.c, tab.form
    outputs = {n: c[n] for n in PREVIEW_OUTPUTS}
    inputs = tab.inputs(visitor_key)
    preview = {
        "fn": by_name(with_form_signature(handlers.preview, form_params(form)), outputs),
        "inputs_kwargs": inputs,
        "outputs": list(outputs.values()),
        "api_visibility": "private",
        "show_progress": "hidden",
        # Instant and per visitor: never queued behind other visitors' previews (Gradio's
        # default is one at a time for everyone), so none waits while the form is reshaped.
        "concurrency_limit": None,
    }
    # One event for every trigger, so a page has one preview at a time and the last one wins
    # (two events could answer out of order: a stale preview).
    gr.on(
        triggers=preview_triggers(c, form),
        trigger_mode="always_last",
        **preview,
    )
