"""Try FLUX image models through CometAPI from a browser: `python app.py`.

Loads `.env` from the working directory, builds the UI from the environment's settings and
launches it. Importing this module does nothing else: no files, no server.
"""

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("comet.app")


def main() -> int:
    """Load .env, build the app from the settings, say what it does, and serve it."""
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env")  # the working directory's .env, as the README says
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    from comet.settings import AppSettings, SettingsError

    try:  # before Gradio is imported: a bad setting is told at once
        settings = AppSettings.from_env()
    except SettingsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    from webui import build_app
    from webui.launch import configure_logging, startup_lines

    configure_logging()
    app = build_app(settings)
    for entry in app.services.history.unfinished():
        log.info(
            "Unfinished prediction %s (%s): resume it from the History tab", entry.id, entry.model
        )
    app.launch(prevent_thread_lock=True)
    for line in startup_lines(settings, app.blocks.local_url or ""):
        print(line, flush=True)
    try:
        app.blocks.block_thread()
    finally:
        app.close()  # ends every run's waiting: unfinished ones stay in History to Resume
    return 0


if __name__ == "__main__":
    sys.exit(main())
