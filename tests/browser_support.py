"""Helpers for the real-browser tests: Debian's Chromium through Playwright's sync API."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# Headless, offline and quiet: no sandbox (containers), no GPU, no background calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_ENABLE = (
    "to run the browser tests, `apt-get install -y chromium && pip install playwright` "
    "(Debian's Chromium; do not run `playwright install`)"
)
TIMEOUT_MS = 60_000  # generous for a loaded 2-core machine; every wait ends on a condition
VIEWPORT = {"width": 1280, "height": 900}
# The app's poll interval where a browser test is not about waiting: the simulator's compressed
# runs end long before the catalogue's typical times the app would otherwise wait for (about
# 30 s over the ten models at the default 0.5 s).
FAST_POLLS = 0.05

# CSS animations off in every test page: Chromium without a GPU draws each frame in software,
# and Gradio's progress animations alone kept a core 50% busy while a run waited (measured:
# 4.4 s of Chromium CPU in a 5 s run, 1.8 s without them). No test is about an animation.
NO_ANIMATIONS_JS = """document.addEventListener("DOMContentLoaded", () => {
    const style = document.createElement("style");
    style.textContent = "*, *::before, *::after { animation: none !important; }";
    document.head.appendChild(style);
});"""


def quiet_context(context):  # noqa: ANN001, ANN201 - Playwright types stay optional
    """A browser context with the test defaults: the long timeout, no CSS animations."""
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(NO_ANIMATIONS_JS)
    return context


# The caption (and so the alt text) of the picture the gallery shows while a run is waiting.
PLACEHOLDER_CAPTION = "Generating…"

# True once the gallery shows at least one result (not the waiting placeholder) and every
# result <img> has loaded real pixels.
GALLERY_LOADED_JS = """([selector, placeholder]) => {
    const images = [...document.querySelectorAll(selector)].filter(
        (img) => img.alt !== placeholder
    );
    return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
}"""


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing"
    return None


def require_browser() -> None:
    """Skip with how to enable the browser tests; on CI (CI=true) fail instead."""
    problem = browser_unavailable()
    if problem is None:
        return
    message = f"{problem}: {HOW_TO_ENABLE}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI, but {message}")
    pytest.skip(message)


def launch_chromium(playwright):  # noqa: ANN001, ANN201 - Playwright types stay optional
    """Launch Debian's Chromium with the flags that work headless in a container."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium for a test or a module (after require_browser()); closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def open_app(page, url: str) -> None:  # noqa: ANN001
    """Load the app and wait until the Prompt box is there (the Gradio app has rendered)."""
    page.goto(url)
    page.get_by_label("Prompt", exact=True).wait_for(state="visible", timeout=TIMEOUT_MS)


def wait_for_gallery(page, selector: str = "#gallery img") -> None:  # noqa: ANN001
    """Wait until the gallery shows at least one result image and every one has loaded.

    The "Generating…" placeholder a waiting run shows does not count: it is a loaded image too.
    """
    page.wait_for_function(
        GALLERY_LOADED_JS, arg=[selector, PLACEHOLDER_CAPTION], timeout=TIMEOUT_MS
    )


def result_sources(page, selector: str = "#gallery img") -> list[str]:  # noqa: ANN001
    """The src of every result image in the gallery (the placeholder left out)."""
    return page.locator(selector).evaluate_all(
        "(imgs, placeholder) => imgs.filter((i) => i.alt !== placeholder).map((i) => i.src)",
        PLACEHOLDER_CAPTION,
    )


def choose_option(page, label: str, option_text: str) -> None:  # noqa: ANN001
    """Pick an option of a Gradio dropdown by (part of) its visible text."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option_text).click()


# Keeps a copy of every fetch() response body and EventSource message as it streams, so a test
# can read Gradio's event streams (which stay open, so Playwright never hands out their body).
RESPONSE_TAP_JS = """(() => {
    const tap = (window.__responseTap = []);
    const originalFetch = window.fetch;
    window.fetch = async (...args) => {
        const response = await originalFetch(...args);
        const entry = { url: String(response.url), text: "" };
        tap.push(entry);
        const reader = response.clone().body?.getReader();
        if (reader) {
            const decoder = new TextDecoder();
            (async () => {
                try {
                    for (;;) {
                        const { done, value } = await reader.read();
                        if (done) break;
                        entry.text += decoder.decode(value, { stream: true });
                    }
                } catch (error) {}
            })();
        }
        return response;
    };
    const OriginalEventSource = window.EventSource;
    if (OriginalEventSource) {
        window.EventSource = class extends OriginalEventSource {
            constructor(url, init) {
                super(url, init);
                const entry = { url: String(url), text: "" };
                tap.push(entry);
                this.addEventListener("message", (event) => { entry.text += event.data + "\\n"; });
            }
        };
    }
})();"""


class ResponseRecorder:
    """Every response body a page received: finished requests, and streams as they arrive."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.page = page
        self._finished = []
        page.add_init_script(RESPONSE_TAP_JS)
        page.on("requestfinished", lambda request: self._finished.append(request))

    def bodies(self) -> dict[str, str]:
        """{"<n> <url>": text} for each response; streamed bodies as far as they have come."""
        found: dict[str, str] = {}
        for n, request in enumerate(list(self._finished)):
            response = request.response()
            try:
                body = response.body() if response is not None else b""
            except Exception:  # noqa: S112 - a redirect or an aborted body has none to read
                continue
            found[f"{n} {request.url}"] = body.decode("utf-8", errors="replace")
        for n, entry in enumerate(self.page.evaluate("window.__responseTap || []")):
            found[f"stream {n} {entry['url']}"] = entry["text"]
        return found
