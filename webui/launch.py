"""How the app is launched: Gradio's launch() options, logging, and what the terminal says."""

import logging
from pathlib import Path
from typing import Any

from comet._constants import APP_SPARE_THREADS
from comet.settings import AppSettings

from .i18n import LANGUAGE_HEAD, gradio_i18n

__all__ = [
    "APP_CSS",
    "SHORTCUTS_HEAD",
    "configure_logging",
    "launch_blocks",
    "launch_options",
    "startup_lines",
]

LAUNCH_ATTEMPTS = 3
# Gradio checks its own page once after starting; one slow answer (> 3 s on a loaded machine)
# makes launch() give up with this message although the server is fine.
_SLOW_SELF_CHECK = "localhost is not accessible"

log = logging.getLogger("webui.launch")

# The status keeps its height from "Submitting…" to the result, so the page never jumps.
APP_CSS = """
#status { min-height: 7.5em; }
#gallery img { object-fit: contain; }
/* One result is shown large, at its own shape; several fill a grid of two. */
#gallery .grid-container:has(> .gallery-item:only-child) { grid-template-columns: 1fr; }
#gallery .gallery-item:only-child .thumbnail-item { aspect-ratio: auto; height: auto; }
#gallery .gallery-item:only-child img { width: 100%; height: auto; max-height: 72vh; }
#gallery .grid-wrap:has(.gallery-item) { height: auto; min-height: 0; max-height: none; }
/* Compare: each column's result whole, at its own shape. */
.compare-images .thumbnail-item { aspect-ratio: auto; height: auto; }
.compare-images img { object-fit: contain; width: 100%; height: auto; max-height: 60vh; }
.compare-images .grid-wrap:has(.gallery-item) { height: auto; min-height: 0; max-height: none; }
"""

# Ctrl+Enter (Cmd+Enter on a Mac) generates from anywhere on the page.
SHORTCUTS_HEAD = """<script>
document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const button = document.getElementById("generate-button");
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
});
</script>"""


def launch_options(settings: AppSettings) -> dict[str, Any]:
    """launch() arguments: Gradio's own env vars for host/port, no run history, no share."""
    output_dir = Path(settings.output_dir).resolve()
    return {
        # Never serve the output folder by path: Gradio serves the copies it caches of what the
        # app shows (Services.shown() hands it copies from a folder outside its reach).
        "allowed_paths": [],
        # The history database (and SQLite's side files) must never be served either.
        "blocked_paths": [
            str(output_dir / f"history.sqlite3{suffix}")
            for suffix in ("", "-wal", "-shm", "-journal")
        ],
        "run_history": False,
        "share": False,
        "ssr_mode": False,
        "max_file_size": "10mb",
        # Gradio runs at most max_threads sync events at once (default 40), and a waiting
        # Resume or Compare holds one thread (Generate waits on the event loop): room for
        # each run the app allows, plus the rest.
        "max_threads": settings.concurrency + APP_SPARE_THREADS,
        "css": APP_CSS,
        "head": SHORTCUTS_HEAD + LANGUAGE_HEAD,
        # English and Vietnamese from webui/texts/, chosen in the browser (see webui/i18n.py).
        "i18n": gradio_i18n(),
        "quiet": True,  # startup_lines() says what matters, without advice we do not follow
    }


def launch_blocks(blocks: Any, options: dict[str, Any]) -> Any:
    """blocks.launch(**options), tried again when Gradio's self-check was merely slow."""
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        try:
            return blocks.launch(**options)
        except ValueError as exc:
            if _SLOW_SELF_CHECK not in str(exc) or attempt == LAUNCH_ATTEMPTS:
                raise
            log.warning("The server answered its own check slowly; starting it again")
            blocks.close()
    raise AssertionError("unreachable")


def startup_lines(settings: AppSettings, url: str) -> list[str]:
    """What the terminal says on start: the mode, where images go, and the URL."""
    if settings.require_user_key:
        mode = "visitor keys required: every visitor enters their own CometAPI key"
    elif settings.owner_key:
        mode = f"owner key: runs go to {settings.base_url} on COMET_API_KEY"
    else:
        mode = "demo: no COMET_API_KEY, images come from the built-in offline simulator"
    sharing = "shared (each visitor sees their own history)" if settings.shared else "local"
    return [
        f"FLUX through CometAPI · mode: {mode}",
        f"Sharing: {sharing}",
        f"Images and history: {Path(settings.output_dir).resolve()}",
        f"Open {url}",
    ]


def configure_logging() -> None:
    """INFO logs with timestamps; httpx (one line per internal request) kept quiet."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
