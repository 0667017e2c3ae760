"""The app's small public API, for programs (gradio_client) and AI assistants (MCP tools).

Four endpoints, each a few typed parameters: `/generate` (tool `generate_image`), `/compare`
(`compare_models`), `/get_prediction` (`get_prediction`) and `/list_models` (`list_models`).
Every event of the page itself is private, so the API page and the MCP server list only these.

The long-running three are ordinary events on hidden components rather than `gr.api`
functions, because only an ordinary event gets a `gr.Progress`, which Gradio turns into MCP
progress notifications (created, processing, done). Each returns a status line first, then
its images one output each: an MCP client gets every image as image content.

A caller may send its own CometAPI key in the `X-Comet-Api-Key` header (a `gr.Header`
parameter, hidden from the schema): the call is then billed to that key. Limits and the
owner's daily budget apply exactly as for the page (webui/runs.py).
"""

# No `from __future__ import annotations` here: Gradio reads these functions' type hints on
# every call (to find gr.Request, gr.Progress, gr.Header), and string annotations would be
# compiled and evaluated again each time (0.3 ms of CPU a call, measured in bench/README.md).
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from comet.errors import CometError, InvalidInputError, PredictionFailed
from comet.jobs import JobUpdate
from comet.models import MODELS, ModelSpec

from .api_inputs import api_input, resolve_model
from .api_types import ObjectInput
from .compare_tab import MAX_MODELS, CompareHandlers
from .history_tab import HistoryHandlers
from .i18n import language, msg, text, translated
from .keys import check_key
from .runs import run_job
from .services import Backend, Services
from .status import plain_error

__all__ = ["ApiHandlers", "IMAGE_OUTPUTS", "build_api", "describe_models"]

IMAGE_OUTPUTS = 4  # the most images one run makes (num_outputs up to 4)
KEY_HEADER = "X-Comet-Api-Key"
ROOT_HEADERS = ("x-forwarded-host", "host")


def describe_models() -> list[dict[str, Any]]:
    """Every model: names, what it is good for, its fields, its image input, typical time."""
    return [_describe(spec) for spec in MODELS.values()]


def _describe(spec: ModelSpec) -> dict[str, Any]:
    fields = []
    for field in spec.fields:
        item: dict[str, Any] = {"name": field.name, "type": field.kind, "help": field.help}
        if field.required:
            item["required"] = True
        for key in ("default", "minimum", "maximum", "max_items"):
            value = getattr(field, key)
            if value is not None:
                item[key] = value
        if field.choices:
            item["choices"] = list(field.choices)
        if field.only_with:
            item["only_when"] = {field.only_with[0]: field.only_with[1]}
        fields.append(item)
    return {
        "name": spec.name,
        "id": spec.id,
        "display_name": spec.display_name,
        "good_for": spec.description,
        "image_input": spec.image_field,
        "max_input_images": spec.max_images,
        "typical_seconds": spec.typical_seconds,
        "fields": fields,
    }


class ApiHandlers:
    """The endpoints' functions; their docstrings are what an AI assistant reads."""

    def __init__(
        self, services: Services, compare: CompareHandlers, history: HistoryHandlers
    ) -> None:
        self.services = services
        self.compare = compare
        self.history = history

    def generate_image(
        self,
        prompt: str,
        model: str = "flux-schnell",
        aspect_ratio: str | None = None,
        seed: int | None = None,
        inputs: dict | None = None,
        image_url: str | None = None,
        x_comet_api_key: gr.Header = None,
        request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's own way to report progress
    ) -> tuple[Any, ...]:
        """Generate an image from a text prompt with a FLUX model, wait for it, and return it.

        Usually takes 2-10 seconds (flux-schnell about 2 s; pro and FLUX.2 models 5-10 s).
        Call list_models to see every model's fields, ranges and defaults.

        Args:
            prompt: What the image should show, in plain words (up to 2000 characters).
            model: The model's short name (flux-schnell, flux-dev, flux-pro, flux-1.1-pro, flux-1.1-pro-ultra, flux-kontext-pro, flux-kontext-max, flux-2-pro, flux-2-dev, flux-2-flex) or full id such as black-forest-labs/flux-dev. Default flux-schnell, the fastest.
            aspect_ratio: Shape of the image, width:height, e.g. "1:1", "16:9", "9:16", "3:2"; the model's own choices are in list_models. Empty: the model's default (usually 1:1).
            seed: A whole number to get the same image again; empty for a random one (the seed used is returned).
            inputs: Other fields of the model by their API names, e.g. {"num_outputs": 2, "output_format": "png"}; a name the model lacks is refused with the list of what it takes.
            image_url: For models with an image input (flux-dev, flux-pro, flux-1.1-pro, flux-1.1-pro-ultra, Kontext, FLUX.2): a public https URL of the image to start from or edit; several, separated by spaces, for FLUX.2 references.

        Returns:
            A status line (model, seed, prediction id, where the images were saved), the seed, the prediction id, then up to four images (None where the run made fewer).
        """  # noqa: E501 - one line per parameter: the MCP description an assistant reads
        lang = language(request)
        try:
            spec = resolve_model(model)
            key = self._caller_key(x_comet_api_key)
            chosen: list[Backend] = []  # the job tells which backend it chose (demo or not)
            job = run_job(
                self.services,
                spec.id,
                lambda: api_input(
                    spec,
                    prompt,
                    aspect_ratio=aspect_ratio,
                    seed=seed,
                    inputs=inputs,
                    image_url=image_url,
                ),
                visitor_key=key,
                typed_key=None,
                request=request,
                chosen=chosen,
            )
            final = _follow(job, progress, lang)
        except CometError as exc:
            raise gr.Error(plain_error(exc, lang), print_exception=False) from None
        return self._result(spec, final, chosen, request, lang)

    def get_prediction(
        self,
        prediction_id: str,
        x_comet_api_key: gr.Header = None,
        request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's own way to report progress
    ) -> tuple[Any, ...]:
        """Get a prediction made through this app by its id: wait until it is done and return its images.

        Use it to pick up a generation whose answer was lost (a dropped connection, a timeout): the images are saved and returned as generate_image returns them. Takes as long as the prediction still needs (usually seconds).

        Args:
            prediction_id: The id generate_image or compare_models returned, e.g. "q4chw5rey9rmt0cww76t4h3ma4".

        Returns:
            A status line, then up to four images (None where there are fewer).
        """  # noqa: E501 - the MCP description an assistant reads
        lang = language(request)
        try:
            key = self._caller_key(x_comet_api_key)
            job = self.history.resume_job((prediction_id or "").strip(), key, request)
            final = _follow(job, progress, lang)
        except CometError as exc:
            raise gr.Error(plain_error(exc, lang), print_exception=False) from None
        files = self.services.shown([str(f) for f in final.files])
        line = text(
            "api.resumed", lang, id=final.prediction.id, status=final.prediction.status,
            count=len(files),
        )  # fmt: skip
        return (line, *_padded(files))

    def compare_models(
        self,
        prompt: str,
        models: list[str],
        seed: int | None = None,
        x_comet_api_key: gr.Header = None,
        request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's own way to report progress
    ) -> tuple[Any, ...]:
        """Send one prompt to 2 to 4 FLUX models at once, with the same seed, to compare them side by side.

        The models run in parallel with their default settings, so this takes about as long as the slowest (usually 5-10 seconds).

        Args:
            prompt: What the images should show, in plain words.
            models: 2 to 4 model short names or ids, e.g. ["flux-schnell", "flux-dev"].
            seed: A whole number sent to every model; empty for one random seed shared by all.

        Returns:
            A status line, then for each model in the order given: its first image and its status line (None for unused columns).
        """  # noqa: E501 - the MCP description an assistant reads
        lang = language(request)
        try:
            key = self._caller_key(x_comet_api_key)
            last: dict[str, Any] = {}
            for step, update in enumerate(
                self.compare.compare(prompt, models, seed, visitor_key=key, request=request), 1
            ):
                last |= update
                progress((step, step + 1), desc=_first_line(last.get("compare_status", "")))
        except CometError as exc:
            raise gr.Error(plain_error(exc, lang), print_exception=False) from None
        if "compare_state" not in last:  # refused before any model ran
            raise gr.Error(_plain(last.get("compare_status", "")), print_exception=False)
        columns: list[Any] = []
        for i in range(MAX_MODELS):
            images = last.get(f"images{i}")
            columns += [_first_file(images), _plain(last.get(f"note{i}") or "") or None]
        return (_plain(last.get("compare_status", "")), *columns)

    # -- helpers ----------------------------------------------------------------------------

    def _caller_key(self, header: str | None) -> str | None:
        """The caller's own key from the X-Comet-Api-Key header; required when the app says so."""
        try:
            key = check_key(header)
        except InvalidInputError:
            raise InvalidInputError(msg("key.header_bad", header=KEY_HEADER)) from None
        if not key and self.services.settings.require_user_key:
            raise InvalidInputError(msg("key.header_required", header=KEY_HEADER))
        return key or None

    def _result(
        self,
        spec: ModelSpec,
        final: JobUpdate,
        chosen: list[Backend],
        request: gr.Request | None,
        lang: str,
    ) -> tuple[Any, ...]:
        prediction = final.prediction
        files = self.services.shown([str(f) for f in final.files])
        names = ", ".join(Path(f).name for f in final.files) or text("api.no_files", lang)
        link = _app_link(request, prediction.id)
        line = text(
            "api.generated",
            lang,
            model=spec.name,
            seed=prediction.seed if prediction.seed is not None else "?",
            id=prediction.id,
            count=len(final.files),
            files=names,
            folder=str(self.services.output_dir.resolve()),
            link=link,
            demo=text("api.demo", lang) if chosen and chosen[0].demo else "",
        )
        if final.save_error:
            line += " " + translated(final.save_message or final.save_error, lang)
        return (line, prediction.seed, prediction.id, *_padded(files))


def _follow(job: Iterator[JobUpdate], progress: gr.Progress, lang: str) -> JobUpdate:
    """Run the job to its end, reporting created -> processing -> done; the last update."""
    final: JobUpdate | None = None
    said: tuple[str, str] | None = None
    for update in job:
        final = update
        prediction = update.prediction
        if update.stage == "created":
            step, words = 1, text("api.progress.created", lang, id=prediction.id)
        elif update.stage in ("saving", "saved"):
            step, words = 3, text("api.progress.saving", lang, id=prediction.id)
        else:
            step, words = 2, text("api.progress.processing", lang, status=prediction.status)
        if said != (update.stage, prediction.status):
            said = (update.stage, prediction.status)
            progress((step, 3), desc=words)
    if final is None:  # pragma: no cover - run_job yields at least the created prediction
        raise gr.Error(text("status.app_error", lang))
    if not final.prediction.succeeded:
        raise PredictionFailed(final.prediction)
    progress((3, 3), desc=text("api.progress.done", lang, count=len(final.files)))
    return final


def _padded(files: list[str]) -> list[str | None]:
    return [*files[:IMAGE_OUTPUTS], *[None] * (IMAGE_OUTPUTS - len(files[:IMAGE_OUTPUTS]))]


def _first_file(images: Any) -> str | None:
    if isinstance(images, list) and images:
        first = images[0]
        return first[0] if isinstance(first, tuple) else first
    return None


def _plain(markdown: str) -> str:
    """A status line as plain text: no Markdown emphasis, one line."""
    return " ".join(str(markdown).replace("**", "").replace("`", "").split())


def _first_line(markdown: str) -> str:
    return _plain(str(markdown).split("\n\n")[0])[:200]


def _app_link(request: gr.Request | None, prediction_id: str) -> str:
    """The app's own link to this prediction's details, as the caller reached the app."""
    headers = getattr(request, "headers", None) or {}
    host = next((headers.get(h) for h in ROOT_HEADERS if headers.get(h)), None)
    if not host:
        return f"?prediction={prediction_id}"
    scheme = headers.get("x-forwarded-proto") or getattr(
        getattr(request, "url", None), "scheme", "http"
    )
    return f"{scheme}://{host.split(',')[0].strip()}/?prediction={prediction_id}"


def build_api(handlers: ApiHandlers, concurrency: int) -> None:
    """The endpoints' hidden parameters and results, and the four endpoints themselves."""
    run_limits = {"concurrency_limit": concurrency, "concurrency_id": "generate"}
    with gr.Group(visible=False):
        text_in = {
            name: gr.Textbox(label=name)
            for name in ("prompt", "model", "aspect_ratio", "image_url", "prediction_id")
        }
        text_in["model"].value = "flux-schnell"
        seed_in = gr.Number(label="seed", precision=0, value=None)
        inputs_in = ObjectInput(label="inputs", value=None)
        models_in = gr.Dropdown(
            choices=[spec.name for spec in MODELS.values()],
            multiselect=True,
            allow_custom_value=True,
            value=[],
            label="models",
        )
        status_out = gr.Textbox(label="status")
        seed_out = gr.Number(label="seed", precision=0)
        id_out = gr.Textbox(label="prediction_id")
        images = [gr.Image(type="filepath", label=f"image_{i + 1}") for i in range(IMAGE_OUTPUTS)]
        notes = [gr.Textbox(label=f"status_{i + 1}") for i in range(MAX_MODELS)]
        # Never shown, never clicked: the endpoints are called by name, not from the page.
        never = gr.Button(visible=False)
    gr.on(
        triggers=[never.click],
        fn=handlers.generate_image,
        inputs_kwargs={
            "prompt": text_in["prompt"],
            "model": text_in["model"],
            "aspect_ratio": text_in["aspect_ratio"],
            "seed": seed_in,
            "inputs": inputs_in,
            "image_url": text_in["image_url"],
        },
        outputs=[status_out, seed_out, id_out, *images],
        api_name="generate",
        **run_limits,
    )
    gr.on(
        triggers=[never.click],
        fn=handlers.compare_models,
        inputs_kwargs={"prompt": text_in["prompt"], "models": models_in, "seed": seed_in},
        outputs=[status_out, *[c for pair in zip(images, notes, strict=True) for c in pair]],
        api_name="compare",
        **run_limits,
    )
    gr.on(
        triggers=[never.click],
        fn=handlers.get_prediction,
        inputs_kwargs={"prediction_id": text_in["prediction_id"]},
        outputs=[status_out, *images],
        api_name="get_prediction",
        **run_limits,
    )
    gr.api(list_models, api_name="list_models")


def list_models() -> list[dict]:
    """List every FLUX model this app can run, with what it is good for and all its fields.

    Instant. Each model has: name (short name to pass as model), id, display_name, good_for, image_input (the field that takes an input image, or null), max_input_images, typical_seconds, and fields: each with name, type (str, int, float, bool, enum, image, images), help, default, minimum/maximum, choices, and only_when (a condition, e.g. width needs aspect_ratio "custom").

    Returns:
        A list of the ten models, fastest first.
    """  # noqa: E501 - the MCP description an assistant reads
    return describe_models()
