"""How the app is launched: Gradio's launch() options, logging, and what the terminal says."""

import logging
from pathlib import Path
from typing import Any

from comet._constants import APP_SPARE_THREADS
from comet.settings import AppSettings

from .gradio_hooks import HookReport, inner_css, vietnamese_head
from .i18n import gradio_i18n

__all__ = [
    "APP_CSS",
    "SHORTCUTS_HEAD",
    "configure_logging",
    "launch_options",
    "startup_lines",
]

log = logging.getLogger("webui.launch")

# The status keeps its height from "Submitting…" to the result, so the page never jumps.
APP_CSS = """
#status { min-height: 7.5em; }
"""

# Ctrl+Enter (Cmd+Enter on a Mac) generates from anywhere on the page.
SHORTCUTS_HEAD = """<script>
document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const button = document.getElementById("generate-button");
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
});
</script>"""


def launch_options(settings: AppSettings, hooks: HookReport | None = None) -> dict[str, Any]:
    """launch() arguments: Gradio's own env vars for host/port, no run history, no share."""
    hooks = hooks or HookReport()
    return {
        # Never serve the output folder (images, sidecars, the history database) by path:
        # Gradio serves only the copies it caches of what the app shows.
        "allowed_paths": [],
        "run_history": False,
        "share": False,
        "ssr_mode": False,
        "max_file_size": "10mb",
        # Gradio runs at most max_threads sync events at once (default 40), and a waiting
        # Resume or Compare holds one thread (Generate waits on the event loop): room for
        # each run the app allows, plus the rest.
        "max_threads": settings.concurrency + APP_SPARE_THREADS,
        "css": APP_CSS + inner_css(hooks),
        "head": SHORTCUTS_HEAD + vietnamese_head(hooks),
        "mcp_server": settings.mcp,
        # English and Vietnamese from webui/texts/, chosen in the browser (see webui/i18n.py).
        "i18n": gradio_i18n(),
        "quiet": True,  # startup_lines() says what matters, without advice we do not follow
    }


def startup_lines(settings: AppSettings, url: str) -> list[str]:
    """What the terminal says on start: the mode, where images go, and the URL."""
    if settings.require_user_key:
        mode = "visitor keys required: every visitor enters their own CometAPI key"
    elif settings.owner_key:
        mode = f"owner key: runs go to {settings.base_url} on COMET_API_KEY"
    else:
        mode = "demo: no COMET_API_KEY, images come from the built-in offline simulator"
    sharing = "shared (each visitor sees their own history)" if settings.shared else "local"
    if settings.max_runs_per_day and settings.owner_key:
        sharing += f"; at most {settings.max_runs_per_day} runs a day on COMET_API_KEY"
    lines = [
        f"FLUX through CometAPI · mode: {mode}",
        f"Sharing: {sharing}",
        f"Images and history: {Path(settings.output_dir).resolve()}",
        f"Open {url}",
    ]
    if settings.mcp:
        lines.append(f"MCP server for AI assistants: {url.rstrip('/')}/gradio_api/mcp/")
    return lines


def configure_logging() -> None:
    """INFO logs with timestamps; httpx (one line per internal request) kept quiet."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
