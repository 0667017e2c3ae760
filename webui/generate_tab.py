"""The Generate tab: prompt, model, the model's form, Generate/Stop, status and gallery.

`build_generate_tab` lays it out, `GenerateHandlers` holds its plain handlers (tests call them
directly) and `wire_generate_tab` connects the two.
"""

from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from comet._constants import DEFAULT_MODEL
from comet.errors import CometError
from comet.jobs import JobUpdate, start_job

from .form import ModelForm, model_info
from .inputs import MAX_PROMPT_CHARS, request_preview
from .limits import LimitExceeded
from .run_loop import follow_run
from .services import Backend, Services
from .status import STOP_NOTE
from .wiring import by_name, with_form_signature

__all__ = ["EXAMPLES", "GenerateHandlers", "GenerateTab", "build_generate_tab", "wire_generate_tab"]

EXAMPLES = [
    "A paper boat floating on calm water at sunrise, soft light, 35mm photo",
    "A cozy reading nook inside a hollow tree, warm lantern light, watercolor",
    "Isometric illustration of a tiny city on a floating island, pastel colors",
    "Macro photo of a dew-covered spider web at dawn, shallow depth of field",
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
            **self.form.components,
        }


def build_generate_tab(form: ModelForm, key_panel: Callable[[], Any]) -> GenerateTab:
    """Lay out the tab (inside a gr.Tab); `key_panel` builds the API key part in place."""
    tab = GenerateTab(form)
    c = tab.c
    c["run_state"] = gr.State({"id": None})
    c["current_model"] = gr.State(DEFAULT_MODEL)
    with gr.Row():
        with gr.Column(scale=2):
            _build_controls(tab)
            tab.key_panel = key_panel()
        with gr.Column(scale=3):
            c["status"] = gr.Markdown("Ready.", elem_id="status")
            c["gallery"] = gr.Gallery(
                label="Images",
                elem_id="gallery",
                columns=2,
                height="auto",
                fit_columns=False,  # one image in one column overflows and is cut
                buttons=["download", "download_all", "fullscreen"],
            )
            with gr.Row():
                c["seed_used"] = gr.Number(label="Seed used", interactive=False, precision=0)
                c["reuse_seed"] = gr.Button("Reuse this seed")
    gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[c["prompt"]])
    return tab


def _build_controls(tab: GenerateTab) -> None:
    c, form = tab.c, tab.form
    c["prompt"] = gr.Textbox(
        label="Prompt",
        placeholder="Describe the image you want… (Enter generates)",
        lines=1,  # one line grows as you type, and Enter submits
        max_lines=8,
        max_length=MAX_PROMPT_CHARS,
        elem_id="prompt",
    )
    c["model"] = gr.Dropdown(
        choices=[(f"{s.display_name} · {s.id}", s.id) for s in form.specs],
        value=DEFAULT_MODEL,
        label="Model",
        elem_id="model",
    )
    c["model_info"] = gr.Markdown(model_info(DEFAULT_MODEL), elem_id="model-info")
    form.build_image_inputs()
    with gr.Row():
        c["generate"] = gr.Button("Generate", variant="primary")
        c["stop"] = gr.Button("Stop", variant="stop")
    with gr.Accordion("Advanced", open=False):
        with gr.Row():
            c["seed"] = gr.Number(label="Seed", value=None, precision=0, minimum=0, elem_id="seed")
            c["randomize_seed"] = gr.Checkbox(
                label="Randomize seed", value=True, elem_id="randomize-seed"
            )
        form.build_fields()
        c["extra_input"] = gr.Code(
            label="Extra input (JSON)", language="json", value="", elem_id="extra-input"
        )
        gr.Markdown(
            "A JSON object merged into the input, for fields this form lacks, e.g. "
            '`{"guidance": 3.5}`.'
        )
    with gr.Accordion("Request preview", open=False):
        c["preview_json"] = gr.Code(label="JSON body", language="json", elem_id="preview-json")
        c["preview_curl"] = gr.Code(label="curl", language="shell", elem_id="preview-curl")
        gr.Markdown(
            "With **Randomize seed** on, Generate adds a random `seed` (shown after the run). "
            "Uploaded images are sent inline as `data:` URIs, shortened here."
        )


class GenerateHandlers:
    """Generate, Stop, the request preview and Reuse seed, as plain methods."""

    def __init__(self, services: Services, form: ModelForm) -> None:
        self.services = services
        self.form = form

    def generate(
        self,
        prompt: str,
        model: str,
        seed: Any = None,
        randomize_seed: bool = True,
        extra_input: str = "",
        visitor_key: str | None = None,
        request: gr.Request = None,
        **fields: Any,
    ) -> Iterator[dict[str, Any]]:
        """Run one prediction, yielding status updates, then the saved images and seed."""
        run: dict[str, Any] = {"id": None}
        yield {"status": "Submitting…", "run_state": run}
        model = (model or DEFAULT_MODEL).strip()
        backend: list[Backend] = []  # filled by the job once it has chosen one
        job = self._job(
            prompt, model, seed, randomize_seed, extra_input, visitor_key, request, fields, backend
        )
        views = follow_run(
            job,
            describe_success=lambda final, elapsed: _describe_success(
                final, elapsed, demo=bool(backend) and backend[0].demo
            ),
        )
        for view in views:
            if view.prediction_id and view.prediction_id != run["id"]:
                run = {"id": view.prediction_id}
            update: dict[str, Any] = {"status": view.status, "run_state": run}
            if view.files is not None:
                update.update(gallery=view.files, seed_used=view.seed)
            yield update

    def _job(
        self,
        prompt: str,
        model: str,
        seed: Any,
        randomize_seed: bool,
        extra_input: str,
        visitor_key: str | None,
        request: gr.Request | None,
        fields: dict[str, Any],
        chosen: list[Backend],
    ) -> Iterator[JobUpdate]:
        """Set-up, the job itself and clean-up, as one generator the run loop can close."""
        services = self.services
        lease = client = None
        try:
            backend = services.choose_backend(visitor_key)
            values = self.form.collect_input(
                prompt, model, seed, randomize_seed, extra_input, fields, allow_http=backend.demo
            )
            self._check_image_count(values, backend)
            lease = services.limiter.acquire(
                services.identities(request), count_towards_hourly=backend.owner_pays
            )
            client = services.client(backend)
            chosen.append(backend)
            yield from start_job(
                client,
                model,
                values,
                output_dir=services.output_dir,
                history=services.history,
                owner=services.owner_of(request),
            )
        finally:
            # Keep clean-up instant: on Stop this runs on the server's event loop.
            if lease is not None:
                lease.release()
            if client is not None:
                client.close()

    def _check_image_count(self, values: dict[str, Any], backend: Backend) -> None:
        limit = self.services.settings.max_images_per_run
        if backend.owner_pays and int(values.get("num_outputs") or 1) > limit:
            raise LimitExceeded(f"This app allows at most {limit} images per run.")

    @staticmethod
    def stop(run: dict | None) -> dict[str, Any]:
        """What Stop says: nothing was sent, or where the still-running prediction went."""
        prediction_id = (run or {}).get("id")
        if not prediction_id:
            return {
                "status": "Stopped before a prediction was created: nothing was sent or billed."
            }
        return {"status": "**Stopped waiting.** " + STOP_NOTE.format(id=prediction_id)}

    def preview(
        self,
        prompt: str,
        model: str,
        seed: Any = None,
        randomize_seed: bool = True,
        extra_input: str = "",
        visitor_key: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """The JSON body and curl command Generate would send now."""
        try:
            values = self.form.collect_input(prompt or "…", model, seed, False, extra_input, fields)
        except CometError as exc:
            return {"preview_json": f"// {exc.message}", "preview_curl": ""}
        if randomize_seed:
            values.pop("seed", None)
        body, curl = request_preview(self.services.settings.base_url, model, values)
        return {"preview_json": body, "preview_curl": curl}

    @staticmethod
    def reuse_seed(seed_used: Any) -> dict[str, Any]:
        """Put the last run's seed back and stop randomizing."""
        if seed_used is None:
            return {}
        return {"seed": seed_used, "randomize_seed": False}


def _describe_success(final: JobUpdate, elapsed: float, *, demo: bool) -> str:
    count = len(final.files)
    seed = final.prediction.seed
    seed_text = f" · seed {seed}" if seed is not None else ""
    plural = "image" if count == 1 else "images"
    status = f"**Succeeded in {elapsed:.1f} s** · {count} {plural}{seed_text}"
    return status + (" · demo placeholder" if demo else "")


def wire_generate_tab(
    tab: GenerateTab, handlers: GenerateHandlers, visitor_key: gr.State, concurrency: int
) -> None:
    """Connect the tab's events; `tab.generate_event` is what others chain after or cancel."""
    c, form = tab.c, tab.form
    inputs = tab.inputs(visitor_key)
    run_outputs = {n: c[n] for n in ("status", "gallery", "seed_used", "run_state")}
    tab.generate_event = gr.on(
        triggers=[c["generate"].click, c["prompt"].submit],
        fn=by_name(with_form_signature(handlers.generate, form.names), run_outputs),
        inputs_kwargs=inputs,
        outputs=list(run_outputs.values()),
        api_name="generate",
        concurrency_limit=concurrency,
        concurrency_id="generate",
    )
    # Cancel first, then say so: a yield in flight cannot overwrite the Stop message.
    c["stop"].click(None, None, None, cancels=[tab.generate_event]).then(
        by_name(handlers.stop, {"status": c["status"]}),
        [c["run_state"]],
        [c["status"]],
        api_visibility="private",
    )
    seed_outputs = {n: c[n] for n in ("seed", "randomize_seed")}
    c["reuse_seed"].click(
        by_name(handlers.reuse_seed, seed_outputs),
        [c["seed_used"]],
        list(seed_outputs.values()),
        api_visibility="private",
    )
    switch_outputs = {n: c[n] for n in ("current_model", "model_info")}
    switch_outputs |= form.columns | form.components
    c["model"].input(
        by_name(with_form_signature(form.switch_model, form.names), switch_outputs),
        inputs_kwargs={"previous": c["current_model"], "model": c["model"], **form.components},
        outputs=list(switch_outputs.values()),
        api_visibility="private",
    )
    tab.preview_event_kwargs = {
        "fn": by_name(
            with_form_signature(handlers.preview, form.names),
            {n: c[n] for n in ("preview_json", "preview_curl")},
        ),
        "inputs_kwargs": inputs,
        "outputs": [c["preview_json"], c["preview_curl"]],
        "api_visibility": "private",
    }
    gr.on(
        triggers=[c[n].change for n in ("prompt", "model", "seed", "randomize_seed", "extra_input")]
        + [component.change for component in form.components.values()],
        trigger_mode="always_last",
        show_progress="hidden",
        **tab.preview_event_kwargs,
    )
