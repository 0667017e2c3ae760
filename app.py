"""The Gradio web app: try FLUX image models through CometAPI from a browser.

`demo` is built at import time by `build_demo()`, so Hugging Face Spaces and tests can import it.
Handlers are plain functions closed over their dependencies (settings, history, limiter).
"""

import inspect
import logging
import os
import secrets
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from dotenv import load_dotenv

from comet import CometClient
from comet._constants import DEFAULT_MODEL
from comet.backend import DEMO_KEY, demo_simulator
from comet.errors import CometError, InvalidInputError, PredictionFailed
from comet.form import MAX_PROMPT_CHARS, build_input, request_preview, resolve_image_field
from comet.history import History, HistoryEntry
from comet.jobs import follow_job, start_job
from comet.keyseal import open_key, seal_key
from comet.limits import LimitExceeded, RunLimiter
from comet.models import MODELS, Field, ModelSpec, coerce_value, get_model
from comet.settings import AppSettings
from comet.status import STOP_NOTE, friendly_error, progress_line

log = logging.getLogger("comet.app")

TITLE = "FLUX through CometAPI"
EXAMPLES = [
    "A paper boat floating on calm water at sunrise, soft light, 35mm photo",
    "A cozy reading nook inside a hollow tree, warm lantern light, watercolor",
    "Isometric illustration of a tiny city on a floating island, pastel colors",
    "Macro photo of a dew-covered spider web at dawn, shallow depth of field",
]
BROWSER_KEY_STORAGE = "comet-flux-visitor-key"
# Gradio's BrowserState never writes a falsy value, so "" would leave an old key in
# localStorage: clearing the remembered key stores this marker instead.
NO_REMEMBERED_KEY = "none"
UNFINISHED = ("starting", "processing")


def model_key(spec: ModelSpec) -> str:
    """A Python-identifier form of a model's short name: flux-1.1-pro -> flux_1_1_pro."""
    return "".join(c if c.isalnum() else "_" for c in spec.name)


def field_param(spec: ModelSpec, field: Field) -> str:
    """The handler parameter (and API keyword) of one model's form field."""
    return f"{model_key(spec)}__{field.name}"


def url_param(spec: ModelSpec) -> str:
    """The handler parameter for the image URLs box of a model."""
    return f"{model_key(spec)}__{spec.image_field}_url"


def form_fields(spec: ModelSpec) -> list[Field]:
    """The fields with a per-model widget: everything but prompt, seed and the image input."""
    return [f for f in spec.fields if f.name not in ("prompt", "seed", spec.image_field)]


# -- backends -----------------------------------------------------------------------------


@dataclass
class Backend:
    """Where one visitor's run goes, and whose key pays for it."""

    base_url: str
    key: str
    demo: bool
    owner_pays: bool


class Backends:
    """Chooses the backend per run: the visitor's key, the owner's key, or the simulator."""

    def __init__(self, settings: AppSettings, demo_base_url: str | None = None) -> None:
        self.settings = settings
        self._demo_base_url = demo_base_url

    @property
    def demo_base_url(self) -> str:
        if self._demo_base_url is None:
            self._demo_base_url = demo_simulator().base_url
        return self._demo_base_url

    def choose(self, visitor_key: str | None) -> Backend:
        if visitor_key:
            return Backend(self.settings.base_url, visitor_key, demo=False, owner_pays=False)
        if self.settings.require_user_key:
            raise InvalidInputError(
                "This app asks every visitor to use their own CometAPI key: enter it in the "
                "**API key** box (it stays in this browser session only).",
                field="api_key",
            )
        if self.settings.owner_key:
            return Backend(
                self.settings.base_url, self.settings.owner_key, demo=False, owner_pays=True
            )
        return Backend(self.demo_base_url, DEMO_KEY, demo=True, owner_pays=False)

    def client(self, backend: Backend) -> CometClient:
        return CometClient(
            api_key=backend.key,
            base_url=backend.base_url,
            poll_interval=self.settings.poll_interval,
            timeout=self.settings.timeout,
            # collect_input() has validated through the catalogue, extra JSON included; the
            # client's own check knows no extra JSON and would refuse the fields it adds.
            validator=None,
        )

    def banner(self, visitor_key: str | None = None) -> str:
        if visitor_key:
            return (
                f"**CometAPI** · requests go to `{self.settings.base_url}` with **your own key** "
                "for this session (kept on the server for this session only)."
            )
        if self.settings.require_user_key:
            return (
                "**Bring your own key** · this app needs your CometAPI key: enter it under "
                "**API key** below. Get one at https://api.cometapi.com/console/token."
            )
        if self.settings.owner_key:
            return f"**CometAPI** · requests go to `{self.settings.base_url}`."
        return (
            "**Demo mode** · no `COMET_API_KEY` is set, so images come from the built-in "
            "offline simulator: locally drawn placeholders, no network, no cost. To use the "
            "real FLUX models, put `COMET_API_KEY=...` in `.env` and restart, or enter your "
            "own key under **API key**."
        )


# -- the form ------------------------------------------------------------------------------


def _widget(spec: ModelSpec, field: Field) -> gr.components.Component:
    """A form widget that fits one field: dropdown, checkbox, slider or number."""
    name = field_param(spec, field)
    common = {"label": field.label, "info": field.help, "elem_id": name}
    if field.kind == "enum":
        return gr.Dropdown(choices=list(field.choices), value=field.default, **common)
    if field.kind == "bool":
        return gr.Checkbox(value=bool(field.default), **common)
    if field.kind in ("int", "float"):
        has_range = field.minimum is not None and field.maximum is not None
        if has_range and field.default is not None:
            step = field.step or (1 if field.kind == "int" else 0.01)
            return gr.Slider(
                minimum=field.minimum,
                maximum=field.maximum,
                step=step,
                value=field.default,
                **common,
            )
        return gr.Number(
            value=field.default,
            minimum=field.minimum,
            maximum=field.maximum,
            step=field.step or 1,
            precision=0 if field.kind == "int" else None,
            **common,
        )
    return gr.Textbox(value=field.default or "", **common)


def _image_widgets(spec: ModelSpec) -> tuple[gr.components.Component, gr.Textbox]:
    """Upload plus URL box for the model's image input."""
    field = spec.field(spec.image_field)
    name = f"{model_key(spec)}__{spec.image_field}"
    if field.kind == "images":
        upload = gr.File(
            label=f"{field.label} (up to {spec.max_images})",
            file_count="multiple",
            file_types=["image"],
            elem_id=name,
        )
        urls_label = "…or image URLs (one per line)"
    else:
        upload = gr.Image(label=field.label, type="filepath", sources=["upload"], elem_id=name)
        urls_label = "…or an image URL"
    urls = gr.Textbox(
        label=urls_label,
        placeholder="https://example.com/image.png",
        info=f"{field.help} A public https URL is the documented way; an upload is sent "
        "inline as a data: URI (JPEG, PNG, GIF or WebP, up to 10 MB; large images are "
        "downscaled).",
        elem_id=url_param(spec),
    )
    return upload, urls


# -- the app -------------------------------------------------------------------------------


def build_demo(
    settings: AppSettings | None = None, *, demo_base_url: str | None = None
) -> gr.Blocks:
    """Build the Blocks app with its dependencies injected (tests pass their own settings)."""
    settings = settings or AppSettings.from_env()
    backends = Backends(settings, demo_base_url)
    history = History.in_directory(settings.output_dir)
    limiter = RunLimiter(
        max_runs_per_hour=settings.max_runs_per_hour,
        max_concurrent=settings.max_concurrent_per_visitor,
    )
    specs = list(MODELS.values())
    output_dir = Path(settings.output_dir)
    # Seals remembered keys; never sent to the page. Unset: remembered keys last until a restart.
    key_secret = (os.environ.get("COMET_BROWSER_SECRET") or secrets.token_hex(32)).encode()

    field_components: dict[str, gr.components.Component] = {}
    image_uploads: dict[str, gr.components.Component] = {}
    image_urls: dict[str, gr.Textbox] = {}
    image_columns: dict[str, gr.Column] = {}
    advanced_columns: dict[str, gr.Column] = {}

    def owner_of(request: gr.Request | None) -> str | None:
        """Whose history a run belongs to: the session on a shared deployment, else nobody."""
        if settings.shared and request is not None:
            return request.session_hash
        return None

    def visitor_identities(request: gr.Request | None) -> list[str]:
        if request is None:
            return ["api"]
        identities = [f"session:{request.session_hash}"]
        host = getattr(getattr(request, "client", None), "host", None)
        if host:
            identities.append(f"ip:{host}")
        return identities

    # -- request building shared by Generate and the preview --------------------------------

    def collect_input(
        prompt: str,
        model: str,
        seed: Any,
        randomize_seed: bool,
        extra_input: str,
        fields: dict[str, Any],
        backend: Backend | None = None,
    ) -> dict[str, Any]:
        spec = get_model(model)
        if spec is None:
            return build_input(model, prompt, {}, extra_json=extra_input)
        values = {f.name: fields.get(field_param(spec, f)) for f in form_fields(spec)}
        image = None
        if spec.image_field:
            image = resolve_image_field(
                spec,
                fields.get(f"{model_key(spec)}__{spec.image_field}"),
                fields.get(url_param(spec)),
                allow_http=bool(backend and backend.demo),
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

    def check_image_count(values: dict[str, Any], backend: Backend) -> None:
        count = int(values.get("num_outputs") or 1)
        if backend.owner_pays and count > settings.max_images_per_run:
            raise LimitExceeded(
                f"This app allows at most {settings.max_images_per_run} images per run."
            )

    # -- Generate -------------------------------------------------------------------------

    def generate(
        prompt: str,
        model: str,
        seed: Any = None,
        randomize_seed: bool = True,
        extra_input: str = "",
        visitor_key: str | None = None,
        request: gr.Request = None,
        **fields: Any,
    ) -> Iterator[tuple]:
        run: dict[str, Any] = {"id": None}
        yield "Submitting…", gr.skip(), gr.skip(), run
        lease = None
        client = None
        started = time.monotonic()
        try:
            model = (model or DEFAULT_MODEL).strip()
            backend = backends.choose(visitor_key)
            values = collect_input(
                prompt, model, seed, randomize_seed, extra_input, fields, backend
            )
            check_image_count(values, backend)
            lease = limiter.acquire(
                visitor_identities(request), count_towards_hourly=backend.owner_pays
            )
            client = backends.client(backend)
            spec = get_model(model)
            typical = spec.typical_seconds if spec else 5.0
            final = None
            for update in start_job(
                client,
                model,
                values,
                output_dir=output_dir,
                history=history,
                owner=owner_of(request),
            ):
                final = update
                run = {"id": update.prediction.id}
                if update.stage != "saved":
                    elapsed = time.monotonic() - started
                    line = progress_line(update.prediction, elapsed, typical, update.note)
                    yield line, gr.skip(), gr.skip(), run
            prediction = final.prediction
            if not prediction.succeeded:
                raise PredictionFailed(prediction)
            elapsed = time.monotonic() - started
            files = [str(p) for p in final.files]
            seed_used = prediction.seed
            seed_text = f" · seed {seed_used}" if seed_used is not None else ""
            plural = "image" if len(files) == 1 else "images"
            status = f"**Succeeded in {elapsed:.1f} s** · {len(files)} {plural}{seed_text}"
            if backend.demo:
                status += " · demo placeholder"
            if final.save_error:
                status += f"\n\n⚠️ {final.save_error}"
            yield status, files, seed_used, run
        except CometError as exc:
            yield friendly_error(exc), gr.skip(), gr.skip(), run
        except Exception:
            log.exception("Generate failed unexpectedly")
            yield friendly_error(RuntimeError()), gr.skip(), gr.skip(), run
        finally:
            # Keep clean-up instant: on Stop this runs on the server's event loop.
            if lease is not None:
                lease.release()
            if client is not None:
                client.close()

    def stop(run: dict | None) -> str:
        prediction_id = (run or {}).get("id")
        if not prediction_id:
            return "Stopped before a prediction was created: nothing was sent or billed."
        return "**Stopped waiting.** " + STOP_NOTE.format(id=prediction_id)

    # -- the form follows the model -------------------------------------------------------

    component_order: list[str] = []  # handler parameter names of every per-model component

    def visibility(model: str) -> list[Any]:
        chosen = get_model(model)
        return [gr.update(visible=chosen is not None and spec.id == chosen.id) for spec in specs]

    def switch_model(previous: str, model: str, *values: Any) -> list[Any]:
        """Show the chosen model's fields; carry over values the user set for shared fields."""
        current = dict(zip(component_order, values, strict=True))
        old, new = get_model(previous), get_model(model)
        updates: list[Any] = [gr.skip() for _ in component_order]
        if old is not None and new is not None and old.id != new.id:
            for field in form_fields(old):
                target = new.field(field.name)
                if target is None or target not in form_fields(new):
                    continue
                value = current.get(field_param(old, field))
                if value is None or value == field.default:
                    continue
                try:
                    carried = coerce_value(target, value)
                    if target.kind == "enum" and carried not in target.choices:
                        continue
                except InvalidInputError:
                    continue
                updates[component_order.index(field_param(new, target))] = gr.update(value=carried)
        info = model_info(model)
        return [model, info, *visibility(model), *visibility(model), *updates]

    def model_info(model: str) -> str:
        spec = get_model(model)
        if spec is None:
            return f"`{model}`: not in the catalogue; sent as-is with the prompt and extra JSON."
        images = ""
        if spec.max_images:
            images = f" · takes up to {spec.max_images} input image(s)"
        return f"**{spec.display_name}** · {spec.description}{images}"

    def preview(
        prompt: str,
        model: str,
        seed: Any = None,
        randomize_seed: bool = True,
        extra_input: str = "",
        visitor_key: str | None = None,
        **fields: Any,
    ) -> tuple[str, str]:
        try:
            values = collect_input(prompt or "…", model, seed, False, extra_input, fields)
            if randomize_seed:
                values.pop("seed", None)
            body, curl = request_preview(settings.base_url, model, values)
            return body, curl
        except CometError as exc:
            return f"// {exc.message}", ""

    # -- History --------------------------------------------------------------------------

    placeholder = _pending_thumbnail()

    def history_entries(request: gr.Request | None) -> list[HistoryEntry]:
        owner = owner_of(request)
        if owner is not None:
            return history.list(limit=60, owner=owner, include_all=False)
        if settings.shared:
            return []
        return history.list(limit=60)

    def entry_caption(entry: HistoryEntry) -> str:
        duration = f" · {entry.duration:.1f} s" if entry.duration else ""
        name = entry.model.split("/")[-1]
        prompt = entry.prompt if len(entry.prompt) <= 60 else entry.prompt[:59] + "…"
        return f"{entry.status} · {name}{duration} · {entry.created_at or ''}\n{prompt}"

    def refresh_history(request: gr.Request = None) -> tuple:
        entries = history_entries(request)
        items = []
        for entry in entries:
            thumb = next((f for f in entry.files if Path(f).exists()), None)
            items.append((thumb or placeholder, entry_caption(entry)))
        unfinished = [e for e in entries if e.status in UNFINISHED]
        note = (
            f"**{len(unfinished)} unfinished prediction(s)** "
            + ", ".join(f"`{e.id}`" for e in unfinished[:5])
            + ": select one and press **Resume** to wait for it and save its images."
            if unfinished
            else ""
        )
        ids = [e.id for e in entries]
        summary = (
            f"{len(entries)} prediction(s), newest first." if entries else "No predictions yet."
        )
        rows = [
            [
                e.created_at or "",
                e.status,
                e.model.split("/")[-1],
                f"{e.duration:.1f} s" if e.duration else "",
                len(e.files),
                e.prompt if len(e.prompt) <= 80 else e.prompt[:79] + "…",
                e.id,
            ]
            for e in entries
        ]
        return items, ids, note, summary, rows

    def find_entry(prediction_id: str | None, request: gr.Request | None) -> HistoryEntry | None:
        if not prediction_id:
            return None
        entry = history.get(prediction_id)
        if entry is None:
            return None
        owner = owner_of(request)
        if settings.shared and entry.owner != owner:
            return None
        return entry

    def entry_details(entry: HistoryEntry | None) -> tuple:
        if entry is None:
            return "Select a prediction.", [], {}, "", None, gr.update(interactive=False), None
        files = [f for f in entry.files if Path(f).exists()]
        head = [
            f"**{entry.status}** · `{entry.id}` · {entry.model}",
            f"Created {entry.created_at or '?'}"
            + (f" · took {entry.duration:.1f} s" if entry.duration else ""),
        ]
        if entry.error:
            head.append(f"Error: {entry.error}")
        if entry.save_error:
            head.append(f"⚠️ {entry.save_error}")
        if entry.status in UNFINISHED:
            head.append("Still running when last seen: press **Resume** to wait and save it.")
        return (
            "\n\n".join(head),
            files,
            entry.input,
            entry.logs or "",
            entry.id,
            gr.update(interactive=entry.status in UNFINISHED),
            None,
        )

    def select_history(ids: list[str], evt: gr.SelectData, request: gr.Request = None) -> tuple:
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        prediction_id = ids[index] if ids and 0 <= index < len(ids) else None
        return entry_details(find_entry(prediction_id, request))

    def download_zip(prediction_id: str | None, request: gr.Request = None) -> str | None:
        entry = find_entry(prediction_id, request)
        if entry is None:
            raise gr.Error("Select a prediction first.")
        folder = Path(tempfile.mkdtemp(prefix="comet-zip-"))
        archive = folder / f"{entry.id}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for name in entry.files:
                path = Path(name)
                if path.exists():
                    zf.write(path, path.name)
            sidecar = output_dir / f"{entry.id}.json"
            if sidecar.exists():
                zf.write(sidecar, sidecar.name)
        return str(archive)

    def use_settings(prediction_id: str | None, request: gr.Request = None) -> list[Any]:
        entry = find_entry(prediction_id, request)
        if entry is None:
            raise gr.Error("Select a prediction first.")
        spec = get_model(entry.model)
        values = entry.input
        updates: dict[str, Any] = {}
        if spec is not None:
            for field in form_fields(spec):
                value = values.get(field.name, field.default)
                updates[field_param(spec, field)] = gr.update(value=value)
            image = values.get(spec.image_field) if spec.image_field else None
            if isinstance(image, list):
                image = "\n".join(i for i in image if isinstance(i, str) and i.startswith("http"))
            if isinstance(image, str) and image.startswith("http"):
                updates[url_param(spec)] = gr.update(value=image)
        seed = values.get("seed")
        model = spec.id if spec else entry.model
        return [
            gr.update(value=model),
            model,
            model_info(model),
            values.get("prompt", ""),
            seed if seed is not None else gr.skip(),
            False if seed is not None else gr.skip(),
            *visibility(model),
            *visibility(model),
            *[updates.get(name, gr.skip()) for name in component_order],
            gr.update(selected="generate-tab"),
        ]

    def resume(
        prediction_id: str, visitor_key: str | None = None, request: gr.Request = None
    ) -> Iterator[tuple]:
        prediction_id = (prediction_id or "").strip()
        client = None
        started = time.monotonic()
        yield f"Resuming `{prediction_id}`…", gr.skip()
        try:
            if not prediction_id:
                raise InvalidInputError("Enter a prediction id to resume.", field="id")
            entry = history.get(prediction_id)
            if entry is not None and settings.shared and entry.owner != owner_of(request):
                raise InvalidInputError("That prediction belongs to another visitor.")
            backend = backends.choose(visitor_key)
            client = backends.client(backend)
            if entry is None:
                # an id from elsewhere (CLI, another machine): record it as soon as we see it
                first = client.get_prediction(prediction_id)
                history.record_created(first, owner=owner_of(request), source="resume")
            spec = get_model(entry.model) if entry else None
            typical = spec.typical_seconds if spec else 5.0
            final = None
            for update in follow_job(client, prediction_id, output_dir=output_dir, history=history):
                final = update
                if update.stage != "saved":
                    line = progress_line(
                        update.prediction, time.monotonic() - started, typical, update.note
                    )
                    yield line, gr.skip()
            prediction = final.prediction
            if not prediction.succeeded:
                raise PredictionFailed(prediction)
            files = [str(p) for p in final.files]
            status = f"**Resumed: succeeded** · `{prediction.id}` · {len(files)} image(s) saved"
            if final.save_error:
                status += f"\n\n⚠️ {final.save_error}"
            yield status, files
        except CometError as exc:
            yield friendly_error(exc), gr.skip()
        except Exception:
            log.exception("Resume failed unexpectedly")
            yield friendly_error(RuntimeError()), gr.skip()
        finally:
            if client is not None:
                client.close()

    # -- keys -----------------------------------------------------------------------------

    def set_key(typed: str, remember: bool) -> tuple:
        key = (typed or "").strip()
        if not key:
            return gr.skip(), "", gr.skip(), "Enter a key first.", gr.skip()
        if any(c.isspace() for c in key) or len(key) > 200:
            return gr.skip(), "", gr.skip(), "That does not look like an API key.", gr.skip()
        # The browser keeps only a sealed copy: the key itself never goes back to the page.
        stored = seal_key(key, key_secret) if remember else NO_REMEMBERED_KEY
        note = "Your key is set for this browser session" + (
            " and remembered in this browser (obfuscated, not encrypted: press Forget on a "
            "shared computer)."
            if remember
            else " only; it is not stored anywhere."
        )
        return key, "", stored, note, backends.banner(key)

    def forget_key() -> tuple:
        return (
            None,
            "",
            NO_REMEMBERED_KEY,
            "Key forgotten: this session and this browser no longer hold it.",
            (backends.banner(None)),
        )

    def restore_key(stored: str | None) -> tuple:
        if (stored or "").strip() in ("", NO_REMEMBERED_KEY):
            return None, gr.skip(), backends.banner(None)
        key = open_key(stored.strip(), key_secret)
        if not key:
            note = "The key remembered in this browser can no longer be read: enter it again."
            return None, note, backends.banner(None)
        return key, "Using the key remembered in this browser.", backends.banner(key)

    # -- layout ---------------------------------------------------------------------------

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(
            f"# {TITLE}\nGenerate images with the FLUX family of models through CometAPI's "
            "Replicate-compatible API; every image is saved locally as soon as it is ready."
        )
        banner = gr.Markdown(backends.banner(None), elem_id="backend-banner")
        visitor_key = gr.State(None)
        remembered_key = gr.BrowserState(
            "",
            storage_key=BROWSER_KEY_STORAGE,
            # Gradio sends this secret to the page in /config: obfuscation only. The value
            # stored is already sealed with key_secret, which never leaves the server.
            secret="comet-flux-browser-state",  # noqa: S106
        )
        run_state = gr.State({"id": None})
        current_model = gr.State(DEFAULT_MODEL)

        with gr.Tabs() as tabs:
            with gr.Tab("Generate", id="generate-tab"):
                with gr.Row():
                    with gr.Column(scale=2):
                        prompt = gr.Textbox(
                            label="Prompt",
                            placeholder="Describe the image you want… (Enter generates)",
                            lines=1,  # one line grows as you type, and Enter submits
                            max_lines=8,
                            max_length=MAX_PROMPT_CHARS,
                            elem_id="prompt",
                        )
                        model = gr.Dropdown(
                            choices=[(f"{s.display_name} · {s.id}", s.id) for s in specs],
                            value=DEFAULT_MODEL,
                            label="Model",
                            elem_id="model",
                        )
                        info = gr.Markdown(model_info(DEFAULT_MODEL), elem_id="model-info")
                        for spec in specs:
                            with gr.Column(
                                visible=spec.id == DEFAULT_MODEL,
                                elem_id=f"images-{model_key(spec)}",
                            ) as column:
                                if spec.image_field:
                                    upload, urls = _image_widgets(spec)
                                    image_uploads[spec.id] = upload
                                    image_urls[spec.id] = urls
                            image_columns[spec.id] = column
                        with gr.Row():
                            generate_btn = gr.Button("Generate", variant="primary")
                            stop_btn = gr.Button("Stop", variant="stop")
                        with gr.Accordion("Advanced", open=False):
                            with gr.Row():
                                seed = gr.Number(
                                    label="Seed",
                                    value=None,
                                    precision=0,
                                    minimum=0,
                                    elem_id="seed",
                                )
                                randomize_seed = gr.Checkbox(
                                    label="Randomize seed", value=True, elem_id="randomize-seed"
                                )
                            for spec in specs:
                                with gr.Column(
                                    visible=spec.id == DEFAULT_MODEL,
                                    elem_id=f"fields-{model_key(spec)}",
                                ) as column:
                                    for field in form_fields(spec):
                                        field_components[field_param(spec, field)] = _widget(
                                            spec, field
                                        )
                                advanced_columns[spec.id] = column
                            extra_input = gr.Code(
                                label="Extra input (JSON)",
                                language="json",
                                value="",
                                elem_id="extra-input",
                            )
                            gr.Markdown(
                                "A JSON object merged into the input, for fields this form "
                                'lacks, e.g. `{"guidance": 3.5}`.'
                            )
                        with gr.Accordion("Request preview", open=False):
                            preview_json = gr.Code(
                                label="JSON body", language="json", elem_id="preview-json"
                            )
                            preview_curl = gr.Code(
                                label="curl", language="shell", elem_id="preview-curl"
                            )
                            gr.Markdown(
                                "With **Randomize seed** on, Generate adds a random `seed` "
                                "(shown after the run). Uploaded images are sent inline as "
                                "`data:` URIs, shortened here."
                            )
                        with gr.Accordion("API key", open=False):
                            gr.Markdown(
                                "Use your own CometAPI key for your runs. It is kept on the "
                                "server for this browser session only: never written to disk, "
                                "never sent back to the page. **Remember in this browser** "
                                "stores it in this browser's localStorage, obfuscated (not "
                                "real encryption): use it only on your own computer."
                            )
                            key_box = gr.Textbox(
                                label="API key",
                                type="password",
                                placeholder="sk-…",
                                elem_id="api-key",
                            )
                            remember = gr.Checkbox(
                                label="Remember in this browser", value=False, elem_id="remember"
                            )
                            with gr.Row():
                                use_key_btn = gr.Button("Use this key")
                                forget_btn = gr.Button("Forget")
                            key_note = gr.Markdown("", elem_id="key-note")
                    with gr.Column(scale=3):
                        status = gr.Markdown("Ready.", elem_id="status")
                        gallery = gr.Gallery(
                            label="Images",
                            elem_id="gallery",
                            columns=2,
                            height="auto",
                            fit_columns=False,  # one image in one column overflows and is cut
                            buttons=["download", "download_all", "fullscreen"],
                        )
                        with gr.Row():
                            seed_used = gr.Number(label="Seed used", interactive=False, precision=0)
                            reuse_seed_btn = gr.Button("Reuse this seed")
                gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[prompt])

            with gr.Tab("History", id="history-tab"):
                history_note = gr.Markdown("", elem_id="history-note")
                history_summary = gr.Markdown("")
                history_ids = gr.State([])
                with gr.Row():
                    refresh_btn = gr.Button("Refresh")
                history_gallery = gr.Gallery(
                    label="Predictions",
                    elem_id="history-gallery",
                    columns=6,
                    height=300,
                    allow_preview=False,
                    fit_columns=False,
                    buttons=[],
                )
                history_table = gr.Dataframe(
                    headers=["created", "status", "model", "took", "images", "prompt", "id"],
                    value=[],
                    interactive=False,
                    label="Select a row for details",
                    elem_id="history-table",
                    wrap=True,
                )
                selected_id = gr.State(None)
                detail_head = gr.Markdown("Select a prediction.", elem_id="history-detail")
                detail_gallery = gr.Gallery(
                    label="Images", columns=2, height="auto", fit_columns=False
                )
                with gr.Row():
                    use_btn = gr.Button("Use these settings")
                    resume_btn = gr.Button("Resume", interactive=False)
                    zip_btn = gr.Button("Download images + JSON (zip)")
                zip_file = gr.File(label="Download", interactive=False, elem_id="history-zip")
                with gr.Accordion("Input", open=False):
                    detail_input = gr.JSON(label="Input")
                with gr.Accordion("Logs", open=False):
                    detail_logs = gr.Textbox(label="Logs", lines=8, interactive=False)
                with gr.Row():
                    resume_id = gr.Textbox(
                        label="Resume a prediction by id",
                        placeholder="e.g. q4chw5rey9rmt0cww76t4h3ma4",
                        elem_id="resume-id",
                    )
                    resume_id_btn = gr.Button("Resume id")
                resume_status = gr.Markdown("", elem_id="resume-status")

        # -- events -----------------------------------------------------------------------

        for spec in specs:
            for field in form_fields(spec):
                component_order.append(field_param(spec, field))
            if spec.image_field:
                upload_name = f"{model_key(spec)}__{spec.image_field}"
                field_components[upload_name] = image_uploads[spec.id]
                field_components[url_param(spec)] = image_urls[spec.id]
                component_order.extend([upload_name, url_param(spec)])
        form_kwargs = {name: field_components[name] for name in component_order}

        common_kwargs = {
            "prompt": prompt,
            "model": model,
            "seed": seed,
            "randomize_seed": randomize_seed,
            "extra_input": extra_input,
            "visitor_key": visitor_key,
            **form_kwargs,
        }
        generate_handler = _with_form_signature(generate, component_order)
        generate_event = gr.on(
            triggers=[generate_btn.click, prompt.submit],
            fn=generate_handler,
            inputs_kwargs=common_kwargs,
            outputs=[status, gallery, seed_used, run_state],
            api_name="generate",
            concurrency_limit=settings.concurrency,
            concurrency_id="generate",
        )
        generate_event.then(
            refresh_history,
            None,
            [history_gallery, history_ids, history_note, history_summary, history_table],
            api_visibility="private",
        )
        # Cancel first, then say so: a yield in flight cannot overwrite the Stop message.
        stop_btn.click(None, None, None, cancels=[generate_event]).then(
            stop, [run_state], [status], api_visibility="private"
        )
        reuse_seed_btn.click(
            lambda s: (s, False) if s is not None else (gr.skip(), gr.skip()),
            [seed_used],
            [seed, randomize_seed],
            api_visibility="private",
        )

        all_columns = [image_columns[s.id] for s in specs] + [advanced_columns[s.id] for s in specs]
        model.input(
            switch_model,
            [current_model, model, *[field_components[n] for n in component_order]],
            [current_model, info, *all_columns, *[field_components[n] for n in component_order]],
            api_visibility="private",
        )

        preview_handler = _with_form_signature(preview, component_order)
        gr.on(
            triggers=[c.change for c in [prompt, model, seed, randomize_seed, extra_input]]
            + [field_components[n].change for n in component_order],
            fn=preview_handler,
            inputs_kwargs=common_kwargs,
            outputs=[preview_json, preview_curl],
            api_visibility="private",
            trigger_mode="always_last",
            show_progress="hidden",
        )

        history_outputs = [
            history_gallery,
            history_ids,
            history_note,
            history_summary,
            history_table,
        ]
        refresh_btn.click(refresh_history, None, history_outputs, api_visibility="private")
        detail_outputs = [
            detail_head,
            detail_gallery,
            detail_input,
            detail_logs,
            selected_id,
            resume_btn,
            zip_file,
        ]
        for selectable in (history_gallery, history_table):
            selectable.select(
                select_history, [history_ids], detail_outputs, api_visibility="private"
            )
        zip_btn.click(download_zip, [selected_id], [zip_file], api_visibility="private")
        use_btn.click(
            use_settings,
            [selected_id],
            [
                model,
                current_model,
                info,
                prompt,
                seed,
                randomize_seed,
                *all_columns,
                *[field_components[n] for n in component_order],
                tabs,
            ],
            api_visibility="private",
        )
        resume_btn.click(
            resume,
            [selected_id, visitor_key],
            [detail_head, detail_gallery],
            api_name="resume_selected",
            api_visibility="private",
            concurrency_limit=settings.concurrency,
            concurrency_id="generate",
        ).then(refresh_history, None, history_outputs, api_visibility="private")
        resume_id_btn.click(
            resume,
            inputs_kwargs={"prediction_id": resume_id, "visitor_key": visitor_key},
            outputs=[resume_status, detail_gallery],
            api_name="resume",
            concurrency_limit=settings.concurrency,
            concurrency_id="generate",
        ).then(refresh_history, None, history_outputs, api_visibility="private")

        use_key_btn.click(
            set_key,
            [key_box, remember],
            [visitor_key, key_box, remembered_key, key_note, banner],
            api_visibility="private",
        )
        key_box.submit(
            set_key,
            [key_box, remember],
            [visitor_key, key_box, remembered_key, key_note, banner],
            api_visibility="private",
        )
        forget_btn.click(
            forget_key,
            None,
            [visitor_key, key_box, remembered_key, key_note, banner],
            api_visibility="private",
        )
        demo.load(
            restore_key,
            [remembered_key],
            [visitor_key, key_note, banner],
            api_visibility="private",
        ).then(refresh_history, None, history_outputs, api_visibility="private").then(
            preview_handler,
            inputs_kwargs=common_kwargs,
            outputs=[preview_json, preview_curl],
            api_visibility="private",
        )

    demo.history = history  # for tests and clean shutdown
    demo.settings = settings
    return demo


def _with_form_signature(fn: Any, names: list[str]) -> Any:
    """Give a **fields handler an explicit signature: every form field optional (default None).

    Without it Gradio would treat image inputs as required for API callers.
    """
    signature = inspect.signature(fn)
    base = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
    extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in names]
    request_params = [p for p in base if p.name == "request"]
    plain = [p for p in base if p.name != "request"]
    positional = [
        p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in plain + request_params
    ]

    if inspect.isgeneratorfunction(fn):

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            yield from fn(*args, **kwargs)

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=positional + extra)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__annotations__ = {
        k: v for k, v in getattr(fn, "__annotations__", {}).items() if k != "fields"
    }
    return wrapper


def _pending_thumbnail() -> str:
    """A small grey square for history entries that have no image (yet)."""
    from PIL import Image, ImageDraw

    path = Path(tempfile.gettempdir()) / "comet-flux-pending.png"
    if not path.exists():
        image = Image.new("RGB", (256, 256), (60, 64, 72))
        draw = ImageDraw.Draw(image)
        draw.text((80, 120), "no image yet", fill=(220, 220, 220))
        image.save(path)
    return str(path)


def launch_options(settings: AppSettings) -> dict[str, Any]:
    """launch() arguments: Gradio's own env vars for host/port, no run history, no share."""
    output_dir = Path(settings.output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    # Gradio copies every image it shows into its cache and serves the copy; allowed_paths
    # would also serve the folder itself, by path, to anyone: JSON sidecars, other visitors'
    # images. Only list it when Gradio could not show images from it otherwise.
    served_anyway = any(
        output_dir.is_relative_to(Path(base).resolve())
        for base in (os.getcwd(), tempfile.gettempdir())
    )
    return {
        "allowed_paths": [] if served_anyway else [str(output_dir)],
        # The history database (and SQLite's side files) must never be served, even when
        # the folder is allowed so that the gallery can show saved images from anywhere.
        "blocked_paths": [
            str(output_dir / f"history.sqlite3{suffix}")
            for suffix in ("", "-wal", "-shm", "-journal")
        ],
        "run_history": False,
        "share": False,
        "ssr_mode": False,
        "max_file_size": "10mb",
    }


load_dotenv()
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
demo = build_demo()

if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per internal request
    for entry in demo.history.unfinished():
        log.info(
            "Unfinished prediction %s (%s, %s): resume it from the History tab",
            entry.id,
            entry.model,
            entry.status,
        )
    demo.launch(**launch_options(demo.settings))
