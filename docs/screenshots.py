"""Take the README's screenshots (desktop, phone, dark) of the app in demo mode.

    python docs/screenshots.py      # needs Debian's chromium and playwright; writes docs/*.png

Runs the app against a local simulator on 127.0.0.1, generates one 16:9 image in each view and
saves the page as a person sees it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from comet.settings import AppSettings  # noqa: E402
from comet.simulator import Simulator  # noqa: E402
from tests.browser_support import launch_chromium, open_app  # noqa: E402
from tests.support import free_port  # noqa: E402
from webui import build_app  # noqa: E402

PROMPT = "A lighthouse on a cliff at dusk, wide panorama"
VIEWS = {
    "screenshot.png": ({"width": 1280, "height": 900}, "light"),
    "screenshot-phone.png": ({"width": 390, "height": 844}, "light"),
    "screenshot-dark.png": ({"width": 1280, "height": 900}, "dark"),
}
RESULT_SHOWN = """() => [...document.querySelectorAll("#gallery img")].some(
    (img) => img.alt !== "Generating…" && img.complete && img.naturalWidth > 0)"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, Simulator(time_scale=0.3) as sim:
        app = build_app(AppSettings(output_dir=Path(folder)), demo_base_url=sim.base_url)
        port = free_port()
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                for name, (viewport, scheme) in VIEWS.items():
                    shoot(browser, f"http://127.0.0.1:{port}/", viewport, scheme, name)
                browser.close()
        finally:
            app.close()


def shoot(browser, url: str, viewport: dict, scheme: str, name: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    open_app(page, url + ("?__theme=dark" if scheme == "dark" else ""))
    page.get_by_label("Prompt", exact=True).fill(PROMPT)
    page.locator("#field-aspect_ratio input").click()
    page.get_by_role("option", name="16:9", exact=True).click()
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function(RESULT_SHOWN, timeout=60_000)
    page.locator("#status").get_by_text("Succeeded").wait_for()
    if viewport["width"] < 600:  # a phone shows the result, as the page scrolled to it
        page.evaluate("document.getElementById('status').scrollIntoView({block: 'start'})")
    else:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ROOT / "docs" / name))
    context.close()


if __name__ == "__main__":
    main()
