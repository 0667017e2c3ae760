"""The Compare tab: one prompt (and one seed) sent to 2-4 models at once, side by side.

Each model runs through the same job path as Generate (runs.run_job): the visitor's limits
count it, History records it, Stop hands it to a background follower. The runs go in parallel
(parallel_runs.follow_together), so a comparison takes about as long as its slowest model; beyond
the visitor's limit of runs at once, a model waits for one of them to end.
`build_compare_tab` lays the tab out, `CompareHandlers` holds its plain handlers (tests call
them directly) and `wire_compare_tab` connects the two.
"""

import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import gradio as gr

from comet.errors import InvalidInputError
from comet.jobs import JobUpdate
from comet.models import MODELS, ModelSpec, get_model

from .client_side import DISABLE_JS, ENABLE_JS
from .compare_stop import SessionStops
from .i18n import filled, language, msg, text, ui
from .inputs import MAX_PROMPT_CHARS, SEED_MAX, build_input
from .parallel_runs import follow_together
from .placeholders import shape_of, waiting_image
from .run_loop import RunView, follow_run
from .runs import run_job
from .services import Backend, Services
from .status import friendly_error, stop_note
from .wiring import by_name

__all__ = [
    "Comparison",
    "CompareHandlers",
    "CompareTab",
    "MAX_MODELS",
    "MIN_MODELS",
    "build_compare_tab",
    "plan_comparison",
    "wire_compare_tab",
]

MIN_MODELS = 2
MAX_MODELS = 4
SLOTS = MAX_MODELS  # columns built once, shown for the models chosen


@dataclass
class Comparison:
    """A checked comparison: the models in order, and the exact input each one is sent."""

    prompt: str
    specs: list[ModelSpec]
    inputs: list[dict[str, Any]]
    seed: int | None


def plan_comparison(
    prompt: Any, models: Any, seed: Any = None, *, rng: random.Random | None = None
) -> Comparison:
    """Check the prompt, the models and the seed; raise InvalidInputError saying what is wrong.

    Models may be full ids or short names, as a list (or one comma-separated string);
    repeats count once. Without a seed, one random seed is drawn and sent to every model that
    takes one, so the models are compared on equal terms. Every other field keeps the model's
    catalogue default. Each refusal carries its Message (webui/texts/compare.py has its
    Vietnamese, which friendly_error picks by code).
    """
    prompt = prompt.strip() if isinstance(prompt, str) else ""
    if not prompt:
        raise InvalidInputError(msg("compare.no_prompt"), field="prompt")
    specs = _chosen_models(models)
    if isinstance(seed, str):
        seed = seed.strip()
    if seed in (None, ""):
        seed = (rng or random.SystemRandom()).randint(0, SEED_MAX)
    inputs = [build_input(spec.id, prompt, {}, seed=seed, randomize_seed=False) for spec in specs]
    sent = next((values["seed"] for values in inputs if "seed" in values), None)
    return Comparison(prompt, specs, inputs, sent)


def _chosen_models(models: Any) -> list[ModelSpec]:
    if models is None:
        items: list[Any] = []
    elif isinstance(models, str):
        items = re.split(r"[\s,]+", models)
    elif isinstance(models, (list, tuple)):
        items = list(models)
    else:
        raise InvalidInputError(msg("compare.not_a_list"), field="models")
    items = [item for item in items if not (isinstance(item, str) and not item.strip())]
    if len(items) > MAX_MODELS * 4:  # not worth looking each one up
        raise _count_error(len(items))
    specs: list[ModelSpec] = []
    for item in items:
        spec = get_model(item) if isinstance(item, str) else None
        if spec is None:
            names = ", ".join(s.name for s in MODELS.values())
            raise InvalidInputError(
                msg("compare.unknown_model", model=_clip(item), names=names), field="models"
            )
        if spec not in specs:
            specs.append(spec)
    if not MIN_MODELS <= len(specs) <= MAX_MODELS:
        raise _count_error(len(specs))
    return specs


def _count_error(count: int) -> InvalidInputError:
    return InvalidInputError(
        msg("compare.count", low=MIN_MODELS, high=MAX_MODELS, count=count), field="models"
    )


def _clip(item: Any, limit: int = 60) -> str:
    """The name as typed, short and on one line (friendly_error escapes it for Markdown)."""
    text = " ".join(str(item).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CompareTab:
    """The tab's components by name; the builder wires History to `tab.compare_event`."""

    def __init__(self) -> None:
        self.c: dict[str, Any] = {}
        self.compare_event: Any = None

    def __getitem__(self, name: str) -> Any:
        return self.c[name]

    def run_outputs(self) -> dict[str, Any]:
        """What a comparison updates: the status, its state, and every slot's parts."""
        names = ["compare_status", "compare_state"]
        for i in range(SLOTS):
            names += [f"slot{i}", f"images{i}", f"note{i}"]
        return {n: self.c[n] for n in names}


def build_compare_tab() -> CompareTab:
    """Lay out the tab (inside a gr.Tab): prompt, models and seed, then one column per model."""
    tab = CompareTab()
    c = tab.c
    c["compare_state"] = gr.State({"runs": [], "done": True})
    counts = {"low": MIN_MODELS, "high": MAX_MODELS}
    with gr.Row():
        c["prompt"] = gr.Textbox(
            label=ui("cmp.prompt"),
            placeholder=ui("cmp.prompt_placeholder"),
            lines=1,
            max_lines=6,
            max_length=MAX_PROMPT_CHARS,
            elem_id="compare-prompt",
            scale=4,
        )
        # Text, not gr.Number: the page shows an empty gr.Number as 0 and would send seed 0.
        c["seed"] = gr.Textbox(
            label=ui("cmp.seed"),
            placeholder=ui("cmp.seed_placeholder"),
            info=ui("cmp.seed_help"),
            max_length=24,
            elem_id="compare-seed",
            scale=1,
        )
    c["models"] = gr.CheckboxGroup(
        choices=[(spec.display_name, spec.id) for spec in MODELS.values()],
        value=[],
        label=filled("cmp.models", **counts),
        info=ui("cmp.models_help"),
        elem_id="compare-models",
    )
    with gr.Row():
        c["compare"] = gr.Button(ui("cmp.compare"), variant="primary", elem_id="compare-button")
        c["stop"] = gr.Button(
            ui("gen.stop"), variant="secondary", interactive=False, scale=0, elem_id="compare-stop"
        )
    c["compare_status"] = gr.Markdown(
        filled("cmp.ready", **counts),
        label=ui("cmp.status_label"),  # not shown: names the area for screen readers
        elem_id="compare-status",
    )
    with gr.Row(equal_height=False):
        for i in range(SLOTS):
            with gr.Column(visible=False, min_width=220, elem_id=f"compare-slot-{i}") as slot:
                c[f"images{i}"] = gr.Gallery(
                    label=filled("cmp.column", number=i + 1),
                    elem_id=f"compare-images-{i}",
                    elem_classes=["compare-images"],  # launch.APP_CSS shows it whole
                    columns=1,
                    height="auto",
                    object_fit="contain",  # whole images, not squares
                    buttons=["download", "fullscreen"],
                )
                c[f"note{i}"] = gr.Markdown(
                    "", label=filled("cmp.column_status", number=i + 1), elem_id=f"compare-note-{i}"
                )
            c[f"slot{i}"] = slot
    gr.Markdown(ui("cmp.history_note"))
    return tab


class CompareHandlers:
    """Compare and its Stop, as plain methods."""

    def __init__(self, services: Services, clock: Callable[[], float] = time.monotonic) -> None:
        self.services = services
        self.clock = clock
        self.stops = SessionStops(clock)  # Stop finds the session's comparison, even queued

    def compare(
        self,
        prompt: str,
        models: list[str],
        seed: int | str | None = None,
        visitor_key: str | None = None,
        typed_key: str | None = None,
        request: gr.Request = None,
    ) -> Iterator[dict[str, Any]]:
        """Send one prompt to each chosen model at once, yielding every column's progress."""
        lang = language(request)
        try:
            plan = plan_comparison(prompt, models, seed)
        except InvalidInputError as exc:
            yield {"compare_status": friendly_error(exc, lang)}
            return
        session = getattr(request, "session_hash", None)
        stop = self.stops.begin(session)
        state = {"runs": [{"model": s.id, "id": None, "done": False} for s in plan.specs]}
        state |= {"done": False, "stop": stop}
        try:
            yield from self._follow(plan, state, visitor_key, typed_key, request, lang)
        finally:
            self.stops.end(session, stop)

    def _follow(
        self,
        plan: Comparison,
        state: dict[str, Any],
        visitor_key: str | None,
        typed_key: str | None,
        request: gr.Request | None,
        lang: str,
    ) -> Iterator[dict[str, Any]]:
        started = self.clock()
        at_once = self.services.settings.max_concurrent_per_visitor  # 0: no limit
        opening = self._opening(plan, state, lang, at_once)
        yield opening
        if state["stop"].pressed:  # pressed while this comparison waited: nothing is sent
            state["done"] = True
            yield {**self._stopped(state, lang), "compare_state": state}
            return
        # What every column shows now: the last yield repeats it all, which columns are shown
        # too. An API caller gets only the last yield, and a loaded page was once seen to end
        # a comparison with its columns still hidden (the opening yield's update missed).
        columns = {n: v for n, v in opening.items() if n.startswith(("images", "note", "slot"))}
        runs = [
            _unless_stopped(
                state["stop"],
                partial(self._run, spec, values, visitor_key, typed_key, request, lang),
            )
            for spec, values in zip(plan.specs, plan.inputs, strict=True)
        ]
        outcomes: dict[int, bool] = {}  # index -> succeeded
        # Beyond the visitor's limit of runs at once, a model waits for one of them to end
        # (refused outright, a third model of three would always fail on a shared app).
        together = follow_together(runs, at_most=at_once)
        try:
            for batch in together:
                update: dict[str, Any] = {}
                for index, view in batch:
                    update |= self._slot_update(index, view, state, self.clock() - started, lang)
                    if view.done:
                        outcomes[index] = not view.failed
                columns |= update
                state["done"] = len(outcomes) == len(runs)
                update["compare_state"] = state
                update["compare_status"] = _overall(plan, outcomes, self.clock() - started, lang)
                if state["stop"].pressed and not state["done"]:
                    break
                yield update
            else:
                yield {
                    **columns,
                    "compare_state": state,
                    "compare_status": _overall(plan, outcomes, self.clock() - started, lang),
                }
                return
        finally:
            together.close()  # Stop: each run hands its prediction to a background follower
        stopped = self._stopped(state, lang)
        state["done"] = True
        yield {**columns, **stopped, "compare_state": state}

    def _run(
        self,
        spec: ModelSpec,
        values: dict[str, Any],
        visitor_key: str | None,
        typed_key: str | None,
        request: gr.Request | None,
        lang: str,
    ) -> Iterator[RunView]:
        """One model's run on the shared job path, as the views its column shows."""
        chosen: list[Backend] = []
        job = run_job(
            self.services,
            spec.id,
            lambda: values,
            visitor_key=visitor_key,
            typed_key=typed_key,
            request=request,
            chosen=chosen,
        )
        return follow_run(
            job,
            describe_success=lambda final, elapsed: _describe_success(
                final, elapsed, demo=bool(chosen) and chosen[0].demo, lang=lang
            ),
            lang=lang,
        )

    @staticmethod
    def _opening(
        plan: Comparison, state: dict[str, Any], lang: str, at_once: int = 0
    ) -> dict[str, Any]:
        """Every chosen model's column, shown with a placeholder of its shape; the rest hidden.
        A model beyond the visitor's limit of runs at once (`at_once`) says it waits its turn."""
        update: dict[str, Any] = {"compare_state": state}
        update["compare_status"] = _overall(plan, {}, 0.0, lang)
        caption = text("gen.placeholder_caption", lang)  # the same as Generate's placeholder
        for i in range(SLOTS):
            if i < len(plan.specs):
                spec = plan.specs[i]
                shape = shape_of(spec.id, {})
                placeholder = waiting_image(*shape, words=caption.lower(), lang=lang)
                update[f"slot{i}"] = gr.update(visible=True)
                update[f"images{i}"] = gr.update(
                    value=[(placeholder, caption)], label=spec.display_name
                )
                if 0 < at_once <= i:
                    update[f"note{i}"] = text("cmp.queued", lang, model=spec.name, limit=at_once)
                else:
                    update[f"note{i}"] = text("cmp.submitting", lang, model=spec.name)
            else:
                update[f"slot{i}"] = gr.update(visible=False)
                update[f"images{i}"] = None
                update[f"note{i}"] = ""
        return update

    def _slot_update(
        self, index: int, view: RunView, state: dict[str, Any], elapsed: float, lang: str
    ) -> dict[str, Any]:
        run = state["runs"][index]
        run["id"] = view.prediction_id or run["id"]
        run["done"] = view.done
        note = view.status
        if view.failed and run["id"]:
            note += "\n\n" + text("cmp.failed_after", lang, seconds=f"{elapsed:.1f}")
        update: dict[str, Any] = {f"note{index}": note}
        if view.files is not None:
            update[f"images{index}"] = self.services.shown(view.files)
        elif view.failed:
            update[f"images{index}"] = None  # the placeholder goes; nothing was made
        return update

    def stop(self, state: dict[str, Any] | None, request: gr.Request = None) -> dict[str, Any]:
        """Stop this session's comparison; say at once what each unfinished column becomes."""
        state = state or {}
        self.stops.press(getattr(request, "session_hash", None))
        if "stop" in state:
            state["stop"].press()
        update: dict[str, Any] = {"stop": gr.update(interactive=False)}
        if state.get("done", True):
            return update  # too late, or not begun here yet: the comparison says so itself
        return update | self._stopped(state, language(request))

    @staticmethod
    def _stopped(state: dict[str, Any], lang: str) -> dict[str, Any]:
        """What Stop says in each column whose run had not finished, and overall."""
        update: dict[str, Any] = {}
        for i, run in enumerate(state.get("runs", [])):
            if run.get("done"):
                continue
            if run.get("id"):
                note = stop_note(run["id"], lang)
                update[f"note{i}"] = text("gen.stopped_waiting", lang, note=note)
            else:
                update[f"note{i}"] = text("cmp.stopped_early", lang)
            update[f"images{i}"] = None
        update["compare_status"] = text("cmp.stopped", lang)
        return update


def _unless_stopped(stop: Any, make_run: Callable[[], Iterator[RunView]]) -> Iterator[RunView]:
    """A model's run, made only when its turn comes and Stop has not been pressed by then
    (a model waiting for a free run must not create a prediction after Stop)."""
    if not stop.pressed:
        yield from make_run()


def _overall(plan: Comparison, outcomes: dict[int, bool], elapsed: float, lang: str) -> str:
    count = len(plan.specs)
    seed = text("cmp.seed_part", lang, seed=plan.seed) if plan.seed is not None else ""
    seconds = f"{elapsed:.1f}"
    if len(outcomes) < count:
        return text("cmp.running", lang, count=count, seconds=seconds, seed=seed)
    succeeded = sum(outcomes.values())
    return text("cmp.done", lang, seconds=seconds, succeeded=succeeded, count=count, seed=seed)


def _describe_success(final: JobUpdate, elapsed: float, *, demo: bool, lang: str) -> str:
    """A column's result: Generate's success line, then the prediction's id."""
    count = len(final.files)
    seed = final.prediction.seed
    succeeded = text(
        "gen.succeeded",
        lang,
        seconds=f"{elapsed:.1f}",
        images=text("gen.one_image" if count == 1 else "gen.many_images", lang, count=count),
        seed=text("gen.seed_part", lang, seed=seed) if seed is not None else "",
        demo=text("gen.demo_part", lang) if demo else "",
    )
    return succeeded + "\n\n" + text("progress.prediction", lang, id=final.prediction.id)


def wire_compare_tab(
    tab: CompareTab,
    handlers: CompareHandlers,
    visitor_key: gr.State,
    typed_key: gr.Textbox,
    concurrency: int,
) -> None:
    """Connect the tab's events; `tab.compare_event` is what others chain after."""
    c = tab.c
    outputs = tab.run_outputs()
    triggers = [c["compare"].click, c["prompt"].submit]
    # Registered before the run: the page starts a trigger's events in this order.
    gr.on(triggers=triggers, fn=None, js=ENABLE_JS, outputs=[c["stop"]], api_visibility="private")
    tab.compare_event = gr.on(
        triggers=triggers,
        fn=by_name(handlers.compare, outputs),
        inputs_kwargs={
            "prompt": c["prompt"],
            "models": c["models"],
            "seed": c["seed"],
            "visitor_key": visitor_key,
            "typed_key": typed_key,
        },
        outputs=list(outputs.values()),
        # The programmatic API is webui/api.py's compact /compare: this event is the page's.
        api_visibility="private",
        # One limit for every run that waits on the API: Generate, Resume and Compare.
        concurrency_limit=concurrency,
        concurrency_id="generate",
    )
    tab.compare_event.then(None, None, [c["stop"]], js=DISABLE_JS, api_visibility="private")
    stop_outputs = {"stop": c["stop"], "compare_status": c["compare_status"]}
    stop_outputs |= {n: c[n] for i in range(SLOTS) for n in (f"note{i}", f"images{i}")}
    # No cancels= (see StopRequest): the comparison ends itself; never queued behind runs.
    c["stop"].click(
        by_name(handlers.stop, stop_outputs),
        [c["compare_state"]],
        list(stop_outputs.values()),
        api_visibility="private",
        concurrency_limit=None,
    )
