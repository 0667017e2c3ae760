"""Generate's handlers: a run, Stop, the request preview and Reuse seed, as plain methods.

The Generate tab (webui/generate_tab.py) lays them out and wires them; tests call them
directly. A run goes on in a thread of its own (webui/read_ahead.py) while its lines travel
to the page.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import gradio as gr

from comet._constants import DEFAULT_MODEL
from comet.errors import CometError
from comet.jobs import JobUpdate
from comet.models import get_model

from .code_preview import code_preview
from .form import ModelForm
from .i18n import language, text, translated
from .inputs import request_preview, upload_paths
from .placeholders import shape_of, waiting_image
from .read_ahead import ReadAhead
from .run_loop import RunView, follow_run
from .runs import RunTicket, run_job
from .services import Backend, Services
from .sessions import PerSession
from .stopping import TICKETS_REMEMBERED, stop_run

__all__ = ["PREVIEW_OUTPUTS", "GenerateHandlers"]

PREVIEW_OUTPUTS = ("preview_json", "preview_curl", "preview_cli", "preview_python")


class GenerateHandlers:
    """Generate, Stop, the request preview and Reuse seed, as plain methods."""

    def __init__(self, services: Services, form: ModelForm) -> None:
        self.services = services
        self.form = form
        # Each page session's newest run, for a Stop pressed before its first line arrived.
        self.tickets: PerSession[RunTicket] = PerSession(TICKETS_REMEMBERED)

    async def generate(
        self,
        prompt: str,
        model: str,
        seed: Any = None,
        randomize_seed: bool = True,
        extra_input: str = "",
        visitor_key: str | None = None,
        typed_key: str | None = None,
        request: gr.Request = None,
        **values: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """Run one prediction, yielding status updates, then the saved images and seed.

        A key typed in the API key box is used even if "Use this key" was not pressed. The run
        goes on in a thread of its own (webui/read_ahead.py); this handler only hands its lines
        to the page, waiting on the event loop rather than in one of Gradio's worker threads.
        """
        lang = language(request)
        model = (model or DEFAULT_MODEL).strip()
        spec = get_model(model)
        model = spec.id if spec else model  # a short name ("flux-dev") is the catalogue's id
        form = {
            "prompt": prompt,
            "model": model,
            "seed": seed,
            "randomize_seed": randomize_seed,
            "extra_input": extra_input,
            "values": values,
        }
        chosen: list[Backend] = []  # filled by the job once it has chosen one
        ticket = RunTicket()  # Stop asks it what was sent
        self.tickets.put(request, ticket)
        job = self._job(form, visitor_key, typed_key, request, chosen, ticket)
        views = follow_run(
            job,
            describe_success=lambda final, elapsed: _describe_success(
                final, elapsed, demo=bool(chosen) and chosen[0].demo, lang=lang
            ),
            lang=lang,
        )
        # The run goes on (its create first) while each line travels to the page.
        started = ReadAhead(views, keep=_must_be_seen, pool=self.services.run_pool)
        shape = shape_of(model, values)
        caption = text("gen.placeholder_caption", lang)
        waiting = [(waiting_image(*shape, words=caption.lower(), lang=lang), caption)]
        run = _Run(self.services, ticket, started, text("gen.submitting", lang), waiting)
        lines = aiter(run.views)
        try:
            yield run.first
            async for view in lines:
                yield run.update(view)
        finally:
            run.views.close()
            await lines.aclose()

    def _job(
        self,
        form: dict[str, Any],
        visitor_key: str | None,
        typed_key: str | None,
        request: gr.Request | None,
        chosen: list[Backend],
        ticket: RunTicket | None = None,
    ) -> Iterator[JobUpdate]:
        """The shared job path (runs.run_job) with this form's input."""

        def collect() -> dict[str, Any]:
            return self.form.collect_input(
                form["prompt"],
                form["model"],
                form["seed"],
                form["randomize_seed"],
                form["extra_input"],
                form["values"],
            )

        return run_job(
            self.services,
            form["model"],
            collect,
            visitor_key=visitor_key,
            typed_key=typed_key,
            request=request,
            chosen=chosen,
            ticket=ticket,
        )

    def stop(
        self, run: dict | None, shown: str | None = None, request: gr.Request = None
    ) -> dict[str, Any]:
        """What Stop says: nothing was sent, or where the still-running prediction went.

        A create still in flight is waited for (briefly), so that "nothing was sent" is true.
        `run` is the state the session's last yield left (Gradio keeps it on the server);
        `shown` is the status on the page. The page's own "Submitting…" over an earlier run's
        state means the new run had not yielded yet: its ticket is then the one the session
        started last, if that is newer. If it is not, the run never started (Stop took it out
        of the queue), or it finished before any of its lines reached the page.
        """
        return stop_run(run, shown, request, self.tickets)

    def preview(
        self,
        prompt: str,
        model: str,
        seed: Any = None,
        randomize_seed: bool = True,
        extra_input: str = "",
        visitor_key: str | None = None,
        typed_key: str | None = None,
        request: gr.Request = None,
        **form_values: Any,
    ) -> dict[str, Any]:
        """The request Generate would send now: JSON body, curl, CLI line and Python snippet."""
        try:
            values = self.form.collect_input(
                prompt or "…", model, seed, False, extra_input, form_values
            )
        except CometError as exc:
            message = translated(exc, language(request))
            return dict.fromkeys(PREVIEW_OUTPUTS, "") | {"preview_json": f"// {message}"}
        if randomize_seed:
            values.pop("seed", None)
        body, curl = request_preview(self.services.settings.base_url, model, values)
        spec = get_model(model)
        uploads = upload_paths(form_values.get("upload")) if spec and spec.image_field else []
        cli, python = code_preview(model, values, uploads)
        return {
            "preview_json": body,
            "preview_curl": curl,
            "preview_cli": cli,
            "preview_python": python,
        }

    @staticmethod
    def reuse_seed(seed_used: Any) -> dict[str, Any]:
        """Put the last run's seed back and stop randomizing."""
        if seed_used is None:
            return {}
        return {"seed": seed_used, "randomize_seed": False}


class _Run:
    """One Generate run as the handler hands it to the page."""

    def __init__(
        self,
        services: Services,
        ticket: RunTicket,
        views: ReadAhead,
        submitting: str,
        waiting: list,
    ) -> None:
        self.services, self.ticket, self.views = services, ticket, views
        self.state: dict[str, Any] = {"id": None, "done": False, "ticket": ticket}
        self.first = {"status": submitting, "run_state": self.state, "gallery": waiting}

    def update(self, view: RunView) -> dict[str, Any]:
        self.state = {
            "id": view.prediction_id or self.state["id"],
            "done": view.done,
            "ticket": self.ticket,
        }
        update: dict[str, Any] = {"status": view.status, "run_state": self.state}
        if view.files is not None:
            update["gallery"] = self.services.shown(view.files)
        if view.done and not view.failed:
            update["seed_used"] = view.seed
        elif view.failed:
            update["gallery"] = None  # the placeholder goes; nothing was made
        return update


def _must_be_seen(view: RunView) -> bool:
    """Images and the outcome are always shown; a progress line only if it is the newest."""
    return view.files is not None or view.done


def _describe_success(final: JobUpdate, elapsed: float, *, demo: bool, lang: str = "en") -> str:
    count = len(final.files)
    seed = final.prediction.seed
    return text(
        "gen.succeeded",
        lang,
        seconds=f"{elapsed:.1f}",
        images=text("gen.one_image" if count == 1 else "gen.many_images", lang, count=count),
        seed=text("gen.seed_part", lang, seed=seed) if seed is not None else "",
        demo=text("gen.demo_part", lang) if demo else "",
    )
