"""The History tab: past predictions, their details, a zip of their files, and Resume."""

import tempfile
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr

from comet.errors import InvalidInputError
from comet.history import HistoryEntry
from comet.jobs import JobUpdate, follow_job

from .run_loop import follow_run
from .services import Services
from .status import shown
from .wiring import by_name

__all__ = ["HistoryHandlers", "HistoryTab", "build_history_tab", "wire_history_tab"]

UNFINISHED = ("starting", "processing")
HISTORY_LIMIT = 60
LIST_OUTPUTS = (
    "history_gallery",
    "history_ids",
    "history_note",
    "history_summary",
    "history_table",
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


def build_history_tab() -> HistoryTab:
    """Lay out the tab (inside a gr.Tab)."""
    tab = HistoryTab()
    c = tab.c
    c["history_note"] = gr.Markdown("", elem_id="history-note")
    c["history_summary"] = gr.Markdown("")
    c["history_ids"] = gr.State([])
    with gr.Row():
        c["refresh"] = gr.Button("Refresh")
    c["history_gallery"] = gr.Gallery(
        label="Predictions",
        elem_id="history-gallery",
        columns=6,
        height=300,
        allow_preview=False,
        fit_columns=False,
        buttons=[],
    )
    c["history_table"] = gr.Dataframe(
        headers=["created", "status", "model", "took", "images", "prompt", "id"],
        value=[],
        interactive=False,
        label="Select a row for details",
        elem_id="history-table",
        wrap=True,
    )
    c["selected_id"] = gr.State(None)
    c["detail_head"] = gr.Markdown("Select a prediction.", elem_id="history-detail")
    c["detail_gallery"] = gr.Gallery(label="Images", columns=2, height="auto", fit_columns=False)
    with gr.Row():
        c["use_settings"] = gr.Button("Use these settings")
        c["resume"] = gr.Button("Resume", interactive=False)
        c["zip"] = gr.Button("Download images + JSON (zip)")
    c["zip_file"] = gr.File(label="Download", interactive=False, elem_id="history-zip")
    with gr.Accordion("Input", open=False):
        c["detail_input"] = gr.JSON(label="Input")
    with gr.Accordion("Logs", open=False):
        c["detail_logs"] = gr.Textbox(label="Logs", lines=8, interactive=False)
    with gr.Row():
        c["resume_id"] = gr.Textbox(
            label="Resume a prediction by id",
            placeholder="e.g. q4chw5rey9rmt0cww76t4h3ma4",
            elem_id="resume-id",
        )
        c["resume_id_button"] = gr.Button("Resume id")
    c["resume_status"] = gr.Markdown("", elem_id="resume-status")
    return tab


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

    def refresh(self, request: gr.Request = None) -> dict[str, Any]:
        """The list of predictions: thumbnails, ids, unfinished note, summary and table."""
        entries = self.entries(request)
        unfinished = [e for e in entries if e.status in UNFINISHED]
        note = ""
        if unfinished:
            ids = ", ".join(f"`{e.id}`" for e in unfinished[:5])
            note = (
                f"**{len(unfinished)} unfinished prediction(s)** {ids}: select one and press "
                "**Resume** to wait for it and save its images."
            )
        summary = (
            f"{len(entries)} prediction(s), newest first." if entries else "No predictions yet."
        )
        return {
            "history_gallery": [(_thumbnail(e), _caption(e)) for e in entries],
            "history_ids": [e.id for e in entries],
            "history_note": note,
            "history_summary": summary,
            "history_table": [_row(e) for e in entries],
        }

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
        self, ids: list[str], evt: gr.SelectData, request: gr.Request = None
    ) -> dict[str, Any]:
        """Details of the entry picked in the thumbnails or the table."""
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        prediction_id = ids[index] if ids and 0 <= index < len(ids) else None
        return self.details(self.find(prediction_id, request))

    @staticmethod
    def details(entry: HistoryEntry | None) -> dict[str, Any]:
        """Everything the details area shows about one entry."""
        if entry is None:
            return {
                "detail_head": "Select a prediction.",
                "detail_gallery": [],
                "detail_input": {},
                "detail_logs": "",
                "selected_id": None,
                "resume": gr.update(interactive=False),
                "zip_file": None,
            }
        head = [
            f"**{entry.status}** · `{entry.id}` · {entry.model}",
            f"Created {entry.created_at or '?'}"
            + (f" · took {entry.duration:.1f} s" if entry.duration else ""),
        ]
        if entry.error:
            head.append(f"Error: {shown(entry.error)}")
        if entry.save_error:
            head.append(f"⚠️ {shown(entry.save_error)}")
        if entry.status in UNFINISHED:
            head.append("Still running when last seen: press **Resume** to wait and save it.")
        return {
            "detail_head": "\n\n".join(head),
            "detail_gallery": [f for f in entry.files if Path(f).exists()],
            "detail_input": entry.input,
            "detail_logs": entry.logs or "",
            "selected_id": entry.id,
            "resume": gr.update(interactive=entry.status in UNFINISHED),
            "zip_file": None,
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
        return {"zip_file": str(archive)}

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
                update["gallery"] = view.files
            yield update

    def _resume_job(
        self, prediction_id: str, visitor_key: str | None, request: gr.Request | None
    ) -> Iterator[JobUpdate]:
        services = self.services
        client = None
        try:
            if not prediction_id:
                raise InvalidInputError("Enter a prediction id to resume.", field="id")
            entry = services.history.get(prediction_id)
            owner = services.owner_of(request)
            if entry is not None and services.settings.shared and entry.owner != owner:
                raise InvalidInputError("That prediction belongs to another visitor.")
            client = services.client(services.choose_backend(visitor_key))
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


def _describe_resumed(final: JobUpdate, elapsed: float) -> str:
    return f"**Resumed: succeeded** · `{final.prediction.id}` · {len(final.files)} image(s) saved"


def _caption(entry: HistoryEntry) -> str:
    duration = f" · {entry.duration:.1f} s" if entry.duration else ""
    name = entry.model.split("/")[-1]
    prompt = entry.prompt if len(entry.prompt) <= 60 else entry.prompt[:59] + "…"
    return f"{entry.status} · {name}{duration} · {entry.created_at or ''}\n{prompt}"


def _row(entry: HistoryEntry) -> list[Any]:
    return [
        entry.created_at or "",
        entry.status,
        entry.model.split("/")[-1],
        f"{entry.duration:.1f} s" if entry.duration else "",
        len(entry.files),
        entry.prompt if len(entry.prompt) <= 80 else entry.prompt[:79] + "…",
        entry.id,
    ]


def _thumbnail(entry: HistoryEntry) -> str:
    return next((f for f in entry.files if Path(f).exists()), None) or _pending_thumbnail()


@cache
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
    list_outputs = tab.outputs(LIST_OUTPUTS)
    detail_outputs = tab.outputs(DETAIL_OUTPUTS)
    refresh = by_name(handlers.refresh, list_outputs)
    c["refresh"].click(refresh, None, list(list_outputs.values()), api_visibility="private")
    for selectable in (c["history_gallery"], c["history_table"]):
        selectable.select(
            by_name(handlers.select, detail_outputs),
            [c["history_ids"]],
            list(detail_outputs.values()),
            api_visibility="private",
        )
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
        event.then(refresh, None, list(list_outputs.values()), api_visibility="private")
    return events
