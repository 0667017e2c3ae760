"""The History tab: past predictions, their details, a zip of their files, and Resume."""

import functools
import re
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import gradio as gr

from comet.errors import InvalidInputError
from comet.history import HistoryEntry
from comet.jobs import JobUpdate, follow_job
from comet.prediction import parse_time

from .i18n import language, msg, text, ui
from .limits import LimitExceeded
from .placeholders import draw_words
from .run_loop import follow_run
from .services import Backend, Services
from .status import shown, state_name
from .wiring import by_name

__all__ = ["HistoryHandlers", "HistoryTab", "build_history_tab", "wire_history_tab"]

UNFINISHED = ("starting", "processing")
LINK_PARAM = "prediction"  # ?prediction=ID in the page address opens that entry's details
HISTORY_TAB_ID = "history-tab"  # the id builder.py gives the History tab
_LINKABLE_ID = re.compile(r"[A-Za-z0-9]{1,100}")  # what a prediction id looks like
HISTORY_LIMIT = 60
LIST_OUTPUTS = (
    "history_gallery",
    "history_ids",
    "history_note",
    "history_summary",
)
DETAIL_OUTPUTS = (
    "detail_head",
    "detail_gallery",
    "detail_input",
    "detail_logs",
    "selected_id",
    "resume",
    "zip_file",
)


class HistoryTab:
    """The tab's components by name."""

    def __init__(self) -> None:
        self.c: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        return self.c[name]

    def outputs(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {n: self.c[n] for n in names}

    def link_event(self, handlers: "HistoryHandlers", tabs: gr.Tabs) -> dict[str, Any]:
        """The keyword arguments of a page-load step that opens a ?prediction=ID link."""
        outputs = self.outputs(DETAIL_OUTPUTS) | {"tabs": tabs}
        return {
            "fn": by_name(handlers.open_link, outputs),
            "inputs": [self.c["browser_tz"]],
            "outputs": list(outputs.values()),
            "api_visibility": "private",
            "show_progress": "hidden",
        }

    def refresh_event(self, handlers: "HistoryHandlers") -> dict[str, Any]:
        """The keyword arguments of an event (or .then) that refreshes the list."""
        outputs = self.outputs(LIST_OUTPUTS)
        return {
            "fn": by_name(handlers.refresh, outputs),
            "inputs": [self.c["browser_tz"]],
            "outputs": list(outputs.values()),
            "api_visibility": "private",
        }


def build_history_tab() -> HistoryTab:
    """Lay out the tab (inside a gr.Tab): one list on the left, the selection's details beside."""
    tab = HistoryTab()
    c = tab.c
    c["history_ids"] = gr.State([])
    c["selected_id"] = gr.State(None)
    # Filled by the page on load (its IANA time zone), so times read as the visitor's own.
    c["browser_tz"] = gr.Textbox(visible=False, elem_id="browser-tz")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            with gr.Row():
                c["history_summary"] = gr.Markdown("", elem_id="history-summary")
                c["refresh"] = gr.Button(ui("hist.refresh"), size="sm", scale=0)
            c["history_note"] = gr.Markdown("", elem_id="history-note")
            c["history_gallery"] = gr.Gallery(
                label=ui("hist.gallery"),
                elem_id="history-gallery",
                columns=3,
                height="auto",
                object_fit="contain",
                allow_preview=False,
                fit_columns=False,
                buttons=[],
            )
        with gr.Column(scale=2):
            _build_details(c)
    with gr.Accordion(ui("hist.resume_by_id"), open=False):
        with gr.Row():
            c["resume_id"] = gr.Textbox(
                label=ui("hist.resume_by_id"),
                placeholder=ui("hist.resume_id_placeholder"),
                elem_id="resume-id",
            )
            c["resume_id_button"] = gr.Button(ui("hist.resume_id_button"), scale=0)
        c["resume_status"] = gr.Markdown("", elem_id="resume-status")
    return tab


def _build_details(c: dict[str, Any]) -> None:
    c["detail_head"] = gr.Markdown(ui("hist.select"), elem_id="history-detail")
    c["detail_gallery"] = gr.Gallery(
        label=ui("hist.images"),
        elem_id="history-images",
        columns=2,
        height="auto",
        object_fit="contain",
        fit_columns=False,
    )
    with gr.Row():
        c["use_settings"] = gr.Button(ui("hist.use_settings"), size="sm")
        c["resume"] = gr.Button(ui("hist.resume"), size="sm", interactive=False)
    with gr.Row():
        c["zip"] = gr.Button(ui("hist.zip"), size="sm")
        c["delete"] = gr.Button(ui("hist.delete"), size="sm", variant="secondary")
    c["zip_file"] = gr.File(
        label=ui("hist.download"), interactive=False, visible=False, elem_id="history-zip"
    )
    with gr.Accordion(ui("hist.input"), open=False):
        c["detail_input"] = gr.JSON(label=ui("hist.input"))
    with gr.Accordion(ui("hist.logs"), open=False):
        c["detail_logs"] = gr.Textbox(label=ui("hist.logs"), lines=8, interactive=False)


class HistoryHandlers:
    """Listing, details, zip and Resume, as plain methods."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- listing --------------------------------------------------------------------------

    def entries(self, request: gr.Request | None) -> list[HistoryEntry]:
        """What this visitor may see: everything locally, their own runs when shared."""
        services = self.services
        owner = services.owner_of(request)
        if owner is not None:
            return services.history.list(limit=HISTORY_LIMIT, owner=owner, include_all=False)
        if services.settings.shared:
            return []
        return services.history.list(limit=HISTORY_LIMIT)

    def refresh(self, browser_tz: str | None = None, request: gr.Request = None) -> dict:
        """The one list of predictions (thumbnail and facts), the unfinished note, a summary."""
        lang = language(request)
        entries = self.entries(request)
        unfinished = [e for e in entries if e.status in UNFINISHED]
        note = ""
        if unfinished:
            ids = ", ".join(f"`{e.id}`" for e in unfinished[:5])
            note = text("hist.unfinished_note", lang, count=len(unfinished), ids=ids)
        summary = (
            text("hist.summary", lang, count=len(entries)) if entries else text("hist.empty", lang)
        )
        return {
            "history_gallery": [
                (self._thumbnail(e, lang), _caption(e, browser_tz, lang)) for e in entries
            ],
            "history_ids": [e.id for e in entries],
            "history_note": note,
            "history_summary": summary,
        }

    def delete(self, prediction_id: str | None, request: gr.Request = None) -> dict[str, Any]:
        """Remove the selected entry from History; its image files stay in the output folder."""
        lang = language(request)
        entry = self.find(prediction_id, request)
        if entry is None:
            return {"detail_head": text("hist.select_first", lang)}
        self.services.history.delete(entry.id)
        details = self.details(None, lang=lang)
        details["detail_head"] = text("hist.removed", lang, id=entry.id)
        return details

    # -- one entry ------------------------------------------------------------------------

    def find(self, prediction_id: str | None, request: gr.Request | None) -> HistoryEntry | None:
        """The entry, if this visitor may see it."""
        if not prediction_id:
            return None
        entry = self.services.history.get(prediction_id)
        if entry is None:
            return None
        if self.services.settings.shared and entry.owner != self.services.owner_of(request):
            return None
        return entry

    def select(
        self,
        ids: list[str],
        browser_tz: str | None,
        evt: gr.SelectData,
        request: gr.Request = None,
    ) -> dict[str, Any]:
        """Details of the entry picked in the list."""
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        prediction_id = ids[index] if ids and 0 <= index < len(ids) else None
        entry = self.find(prediction_id, request)
        details = self.details(entry, browser_tz, lang=language(request))
        details["detail_gallery"] = self.services.shown(details["detail_gallery"])
        return details

    def open_link(self, browser_tz: str | None = None, request: gr.Request = None) -> dict:
        """The page was opened with ?prediction=ID: show that entry as selecting it would.

        Only an entry this visitor may see (see find); any other id, unknown or another
        visitor's, gets the same message, so a link says nothing about who else made what.
        """
        wanted = _query_param(request, LINK_PARAM)
        if wanted is None:
            return {"tabs": gr.skip()}  # an empty dict would be read as one missing value
        lang = language(request)
        wanted = wanted.strip()
        linkable = bool(_LINKABLE_ID.fullmatch(wanted))
        entry = self.find(wanted, request) if linkable else None
        details = self.details(entry, browser_tz, lang=lang)
        if entry is None:
            key = "hist.link_unknown" if linkable else "hist.link_malformed"
            details["detail_head"] = text(key, lang, id=wanted)
        else:
            details["detail_gallery"] = self.services.shown(details["detail_gallery"])
        details["tabs"] = gr.update(selected=HISTORY_TAB_ID)
        return details

    def _thumbnail(self, entry: HistoryEntry, lang: str = "en") -> str:
        saved = next((f for f in entry.files if Path(f).exists()), None)
        return self.services.shown([saved])[0] if saved else _pending_thumbnail(lang)

    @staticmethod
    def details(
        entry: HistoryEntry | None, browser_tz: str | None = None, *, lang: str = "en"
    ) -> dict[str, Any]:
        """Everything the details area shows about one entry, in words of `lang`."""
        if entry is None:
            return {
                "detail_head": text("hist.select", lang),
                "detail_gallery": [],
                "detail_input": {},
                "detail_logs": "",
                "selected_id": None,
                "resume": gr.update(interactive=False),
                "zip_file": gr.update(value=None, visible=False),
            }
        demo = text("hist.head_demo", lang) if entry.source == "demo" else ""
        took = text("hist.took", lang, seconds=f"{entry.duration:.1f}") if entry.duration else ""
        status = state_name(entry.status, lang)
        head = [
            text("hist.head", lang, status=status, id=entry.id, model=entry.model, demo=demo),
            text("hist.created", lang, when=local_time(entry.created_at, browser_tz), took=took),
        ]
        # History stores these as English text, not as codes: they are shown as stored.
        if entry.error:
            head.append(text("hist.error", lang, error=shown(entry.error)))
        if entry.save_error:
            head.append(text("status.save_warning", lang, message=shown(entry.save_error)))
        if entry.status in UNFINISHED:
            head.append(text("hist.still_running", lang))
        link = f"?{LINK_PARAM}={entry.id}"
        head.append(text("hist.link", lang, link=link))
        return {
            "detail_head": "\n\n".join(head),
            "detail_gallery": [f for f in entry.files if Path(f).exists()],
            "detail_input": entry.input,
            "detail_logs": entry.logs or "",
            "selected_id": entry.id,
            "resume": gr.update(interactive=entry.status in UNFINISHED),
            "zip_file": gr.update(value=None, visible=False),
        }

    def download_zip(self, prediction_id: str | None, request: gr.Request = None) -> dict:
        """A zip of the entry's images and JSON sidecar, in a temporary folder."""
        entry = self.find(prediction_id, request)
        if entry is None:
            raise gr.Error(text("hist.select_first", language(request)))
        archive = Path(tempfile.mkdtemp(prefix="comet-zip-")) / f"{entry.id}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for name in entry.files:
                path = Path(name)
                if path.exists():
                    zf.write(path, path.name)
            sidecar = self.services.output_dir / f"{entry.id}.json"
            if sidecar.exists():
                zf.write(sidecar, sidecar.name)
        return {"zip_file": gr.update(value=str(archive), visible=True)}

    # -- Resume ---------------------------------------------------------------------------

    def resume(
        self, prediction_id: str, visitor_key: str | None = None, request: gr.Request = None
    ) -> Iterator[dict[str, Any]]:
        """Wait for a prediction (from history or by id) and save its images."""
        lang = language(request)
        prediction_id = (prediction_id or "").strip()
        yield {"status": text("hist.resuming", lang, id=prediction_id)}
        job = self.resume_job(prediction_id, visitor_key, request)
        describe = functools.partial(_describe_resumed, lang=lang)
        for view in follow_run(job, describe_success=describe, lang=lang):
            update: dict[str, Any] = {"status": view.status}
            if view.files is not None:
                update["gallery"] = self.services.shown(view.files)
            yield update

    def resume_job(
        self, prediction_id: str, visitor_key: str | None, request: gr.Request | None
    ) -> Iterator[JobUpdate]:
        """Resume within the visitor's limits, once per prediction at a time (the job's updates).

        The History tab and the API's get_prediction both follow a prediction through this.
        """
        services = self.services
        lease = client = None
        claimed = False
        try:
            if not prediction_id:
                raise InvalidInputError(msg("resume.no_id"), field="id")
            entry = services.history.get(prediction_id)
            owner = services.owner_of(request)
            backend = services.choose_backend(visitor_key)
            _check_may_resume(services, entry, owner, backend)
            lease = services.limiter.acquire(
                services.identities(request), count_towards_hourly=False
            )
            if not services.claim(prediction_id):
                raise LimitExceeded(msg("resume.followed", id=prediction_id))
            claimed = True
            client = services.client(backend)
            if entry is None:
                # an id from elsewhere (CLI, another machine): record it as soon as we see it
                first = client.get_prediction(prediction_id)
                services.history.record_created(first, owner=owner, source="resume")
            yield from follow_job(
                client, prediction_id, output_dir=services.output_dir, history=services.history
            )
        finally:
            if client is not None:
                client.close()
            if lease is not None:
                lease.release()
            if claimed:
                services.unclaim(prediction_id)


def _query_param(request: gr.Request | None, name: str) -> str | None:
    """One parameter of the page's address, as the page sent it with the event."""
    try:
        params = dict(getattr(request, "query_params", None) or {})
    except (AttributeError, TypeError, ValueError):
        return None
    value = params.get(name)
    return value if isinstance(value, str) else None


def _check_may_resume(
    services: Services, entry: HistoryEntry | None, owner: str | None, backend: Backend
) -> None:
    """On a shared app, the owner's key resumes only this app's runs, each visitor their own."""
    if not services.settings.shared:
        return
    if entry is not None and entry.owner != owner:
        raise InvalidInputError(msg("resume.other_visitor"))
    if entry is None and backend.owner_pays:
        raise InvalidInputError(msg("resume.elsewhere"))


def _describe_resumed(final: JobUpdate, elapsed: float, lang: str = "en") -> str:
    return text("hist.resumed", lang, id=final.prediction.id, count=len(final.files))


def _caption(entry: HistoryEntry, browser_tz: str | None, lang: str = "en") -> str:
    status = "unfinished" if entry.status in UNFINISHED else entry.status
    return text(
        "hist.caption",
        lang,
        status=state_name(status, lang),
        name=entry.model.split("/")[-1],
        duration=f" · {entry.duration:.1f} s" if entry.duration else "",
        demo=text("hist.caption_demo", lang) if entry.source == "demo" else "",
        when=local_time(entry.created_at, browser_tz),
        prompt=entry.prompt if len(entry.prompt) <= 60 else entry.prompt[:59] + "…",
    )


def local_time(stamp: str | None, browser_tz: str | None) -> str:
    """A UTC timestamp from the API as the visitor's own clock shows it (UTC if unknown)."""
    moment = parse_time(stamp)
    if moment is None:
        return stamp or "?"
    zone = _zone(browser_tz)
    if zone is None:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _zone(name: str | None) -> tzinfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _pending_thumbnail(lang: str = "en") -> str:
    """A small grey square for entries that have no image (yet), made on first need."""
    from PIL import Image

    path = Path(tempfile.gettempdir()) / f"comet-flux-pending-{lang}.png"
    if not path.exists():
        image = Image.new("RGB", (256, 256), (60, 64, 72))
        draw_words(image, text("hist.no_image_yet", lang), (220, 220, 220))
        image.save(path)
    return str(path)


def wire_history_tab(
    tab: HistoryTab, handlers: HistoryHandlers, visitor_key: gr.State, concurrency: int
) -> dict[str, Any]:
    """Connect the tab's own events; returns the Resume events (others refresh after them)."""
    c = tab.c
    detail_outputs = tab.outputs(DETAIL_OUTPUTS)
    refresh = tab.refresh_event(handlers)
    c["refresh"].click(**refresh)
    c["history_gallery"].select(
        by_name(handlers.select, detail_outputs),
        [c["history_ids"], c["browser_tz"]],
        list(detail_outputs.values()),
        api_visibility="private",
    )
    c["delete"].click(
        by_name(handlers.delete, detail_outputs),
        [c["selected_id"]],
        list(detail_outputs.values()),
        api_visibility="private",
    ).then(**refresh)
    c["zip"].click(
        by_name(handlers.download_zip, {"zip_file": c["zip_file"]}),
        [c["selected_id"]],
        [c["zip_file"]],
        api_visibility="private",
    )
    selected_outputs = {"status": c["detail_head"], "gallery": c["detail_gallery"]}
    by_id_outputs = {"status": c["resume_status"], "gallery": c["detail_gallery"]}
    resume_common = {"concurrency_limit": concurrency, "concurrency_id": "generate"}
    events = {
        "resume_selected": c["resume"].click(
            by_name(handlers.resume, selected_outputs),
            [c["selected_id"], visitor_key],
            list(selected_outputs.values()),
            api_visibility="private",
            **resume_common,
        ),
        "resume": c["resume_id_button"].click(
            by_name(handlers.resume, by_id_outputs),
            inputs_kwargs={"prediction_id": c["resume_id"], "visitor_key": visitor_key},
            outputs=list(by_id_outputs.values()),
            api_visibility="private",  # programs use /get_prediction (webui/api.py)
            **resume_common,
        ),
    }
    for event in events.values():
        event.then(**refresh)
    return events
