"""The History tab: past predictions, their details, a zip of their files, and Resume."""

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

from .limits import LimitExceeded
from .run_loop import follow_run
from .services import Backend, Services
from .status import shown
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
                c["refresh"] = gr.Button("Refresh", size="sm", scale=0)
            c["history_note"] = gr.Markdown("", elem_id="history-note")
            c["history_gallery"] = gr.Gallery(
                label="Predictions, newest first (select one)",
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
    with gr.Accordion("Resume a prediction by id", open=False):
        with gr.Row():
            c["resume_id"] = gr.Textbox(
                label="Resume a prediction by id",
                placeholder="e.g. q4chw5rey9rmt0cww76t4h3ma4",
                elem_id="resume-id",
            )
            c["resume_id_button"] = gr.Button("Resume id", scale=0)
        c["resume_status"] = gr.Markdown("", elem_id="resume-status")
    return tab


def _build_details(c: dict[str, Any]) -> None:
    c["detail_head"] = gr.Markdown("Select a prediction.", elem_id="history-detail")
    c["detail_gallery"] = gr.Gallery(
        label="Images",
        elem_id="history-images",
        columns=2,
        height="auto",
        object_fit="contain",
        fit_columns=False,
    )
    with gr.Row():
        c["use_settings"] = gr.Button("Use these settings", size="sm")
        c["resume"] = gr.Button("Resume", size="sm", interactive=False)
    with gr.Row():
        c["zip"] = gr.Button("Download images + JSON (zip)", size="sm")
        c["delete"] = gr.Button("Remove from history", size="sm", variant="secondary")
    c["zip_file"] = gr.File(
        label="Download", interactive=False, visible=False, elem_id="history-zip"
    )
    with gr.Accordion("Input", open=False):
        c["detail_input"] = gr.JSON(label="Input")
    with gr.Accordion("Logs", open=False):
        c["detail_logs"] = gr.Textbox(label="Logs", lines=8, interactive=False)


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
        entries = self.entries(request)
        unfinished = [e for e in entries if e.status in UNFINISHED]
        note = ""
        if unfinished:
            ids = ", ".join(f"`{e.id}`" for e in unfinished[:5])
            note = (
                f"**{len(unfinished)} unfinished prediction(s)** {ids}: select one and press "
                "**Resume** to wait for it and save its images."
            )
        summary = f"**{len(entries)}** prediction(s)" if entries else "No predictions yet."
        return {
            "history_gallery": [(self._thumbnail(e), _caption(e, browser_tz)) for e in entries],
            "history_ids": [e.id for e in entries],
            "history_note": note,
            "history_summary": summary,
        }

    def delete(self, prediction_id: str | None, request: gr.Request = None) -> dict[str, Any]:
        """Remove the selected entry from History; its image files stay in the output folder."""
        entry = self.find(prediction_id, request)
        if entry is None:
            return {"detail_head": "Select a prediction first."}
        self.services.history.delete(entry.id)
        details = self.details(None)
        details["detail_head"] = (
            f"Removed `{entry.id}` from History. Its files (if any) are still in the output folder."
        )
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
        details = self.details(self.find(prediction_id, request), browser_tz)
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
        wanted = wanted.strip()
        linkable = bool(_LINKABLE_ID.fullmatch(wanted))
        entry = self.find(wanted, request) if linkable else None
        details = self.details(entry, browser_tz)
        if entry is None:
            named = f" `{wanted}`" if linkable else " with that id"
            details["detail_head"] = (
                f"No prediction{named} in your History. Check the link; a prediction shows "
                "here only in the app (and, on a shared app, the browser) that made it."
            )
        else:
            details["detail_gallery"] = self.services.shown(details["detail_gallery"])
        details["tabs"] = gr.update(selected=HISTORY_TAB_ID)
        return details

    def _thumbnail(self, entry: HistoryEntry) -> str:
        saved = next((f for f in entry.files if Path(f).exists()), None)
        return self.services.shown([saved])[0] if saved else _pending_thumbnail()

    @staticmethod
    def details(entry: HistoryEntry | None, browser_tz: str | None = None) -> dict[str, Any]:
        """Everything the details area shows about one entry."""
        if entry is None:
            return {
                "detail_head": "Select a prediction.",
                "detail_gallery": [],
                "detail_input": {},
                "detail_logs": "",
                "selected_id": None,
                "resume": gr.update(interactive=False),
                "zip_file": gr.update(value=None, visible=False),
            }
        demo = " · demo (simulated)" if entry.source == "demo" else ""
        head = [
            f"**{entry.status}** · `{entry.id}` · {entry.model}{demo}",
            f"Created {local_time(entry.created_at, browser_tz)}"
            + (f" · took {entry.duration:.1f} s" if entry.duration else ""),
        ]
        if entry.error:
            head.append(f"Error: {shown(entry.error)}")
        if entry.save_error:
            head.append(f"⚠️ {shown(entry.save_error)}")
        if entry.status in UNFINISHED:
            head.append("Still running when last seen: press **Resume** to wait and save it.")
        link = f"?{LINK_PARAM}={entry.id}"
        head.append(f"Link to this result: [`{link}`]({link})")
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
            raise gr.Error("Select a prediction first.")
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
        prediction_id = (prediction_id or "").strip()
        yield {"status": f"Resuming `{prediction_id}`…"}
        job = self._resume_job(prediction_id, visitor_key, request)
        for view in follow_run(job, describe_success=_describe_resumed):
            update: dict[str, Any] = {"status": view.status}
            if view.files is not None:
                update["gallery"] = self.services.shown(view.files)
            yield update

    def _resume_job(
        self, prediction_id: str, visitor_key: str | None, request: gr.Request | None
    ) -> Iterator[JobUpdate]:
        """Resume within the visitor's limits, once per prediction at a time."""
        services = self.services
        lease = client = None
        claimed = False
        try:
            if not prediction_id:
                raise InvalidInputError("Enter a prediction id to resume.", field="id")
            entry = services.history.get(prediction_id)
            owner = services.owner_of(request)
            backend = services.choose_backend(visitor_key)
            _check_may_resume(services, entry, owner, backend)
            lease = services.limiter.acquire(
                services.identities(request), count_towards_hourly=False
            )
            if not services.claim(prediction_id):
                raise LimitExceeded(
                    f"Prediction `{prediction_id}` is already being followed here (a run or "
                    "another Resume): its images will appear in History when it finishes."
                )
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
        raise InvalidInputError("That prediction belongs to another visitor.")
    if entry is None and backend.owner_pays:
        raise InvalidInputError(
            "Only predictions made in this app can be resumed here. To resume one made "
            "elsewhere, enter your own CometAPI key under **API key**."
        )


def _describe_resumed(final: JobUpdate, elapsed: float) -> str:
    return f"**Resumed: succeeded** · `{final.prediction.id}` · {len(final.files)} image(s) saved"


def _caption(entry: HistoryEntry, browser_tz: str | None) -> str:
    status = "unfinished" if entry.status in UNFINISHED else entry.status
    duration = f" · {entry.duration:.1f} s" if entry.duration else ""
    demo = " · demo" if entry.source == "demo" else ""
    name = entry.model.split("/")[-1]
    prompt = entry.prompt if len(entry.prompt) <= 60 else entry.prompt[:59] + "…"
    when = local_time(entry.created_at, browser_tz)
    return f"{status} · {name}{duration}{demo} · {when}\n{prompt}"


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


def _pending_thumbnail() -> str:
    """A small grey square for entries that have no image (yet), made on first need."""
    from PIL import Image, ImageDraw

    path = Path(tempfile.gettempdir()) / "comet-flux-pending.png"
    if not path.exists():
        image = Image.new("RGB", (256, 256), (60, 64, 72))
        ImageDraw.Draw(image).text((80, 120), "no image yet", fill=(220, 220, 220))
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
            api_name="resume_selected",
            api_visibility="private",
            **resume_common,
        ),
        "resume": c["resume_id_button"].click(
            by_name(handlers.resume, by_id_outputs),
            inputs_kwargs={"prediction_id": c["resume_id"], "visitor_key": visitor_key},
            outputs=list(by_id_outputs.values()),
            api_name="resume",
            **resume_common,
        ),
    }
    for event in events.values():
        event.then(**refresh)
    return events
