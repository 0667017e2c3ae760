"""The three places where the app leans on Gradio's inside, each guarded, in this one module.

Gradio has no public way to do these, so each depends on something of the Gradio release the
suite ran on (TESTED_GRADIO):

1. The page in Vietnamese. Gradio picks its locale only among the languages it ships, and it
   ships none for Vietnamese; `vietnamese_head()` adds a script that calls `changeLocale`, an
   export of Gradio's bundled `core-*.js`, when the browser prefers Vietnamese to English.
   `GRADIO_WORDS` (webui/texts/gradio_builtin.py) gives Gradio's own words in Vietnamese under
   Gradio's own keys.
2. CSS on Gradio's inner class names: `inner_css()` shows one result large and every result
   whole, by the Gallery's inner classes (`grid-wrap`, `thumbnail-item`, ...).
3. The launch retry: Gradio checks its own page once after starting and, when the answer is
   slow (> 3 s on a loaded machine), gives up with a ValueError whose text is all that says
   so; `launch_blocks()` starts it again then.

On a Gradio outside the tested range, or when a hook is not found in the installed Gradio, the
app starts without it (an English page, Gradio's default gallery styling, one plain launch) and
logs one line saying what it skipped. tests/test_gradio_hooks.py fails loudly on the tested
version if a hook stops being found; the browser tests show that each one works.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import gradio as gr

from .i18n import PREFERS_VIETNAMESE_JS

__all__ = [
    "TESTED_GRADIO",
    "HookReport",
    "inner_css",
    "launch_blocks",
    "tested_gradio",
    "vietnamese_head",
]

log = logging.getLogger("webui.hooks")

TESTED_GRADIO = (6, 31)  # major, minor: requirements.txt allows exactly this minor release
ASSETS = Path(gr.__file__).parent / "templates" / "frontend" / "assets"
LAUNCH_ATTEMPTS = 3
SLOW_SELF_CHECK = "localhost is not accessible"  # Gradio's words when its self-check timed out
GALLERY_CLASSES = ("grid-wrap", "grid-container", "gallery-item", "thumbnail-item")

_VIETNAMESE_HEAD = """<script>
(async () => {
    if (!PREFERS_VIETNAMESE) return;
    const core = performance.getEntriesByType("resource")
        .map((entry) => entry.name)
        .find((name) => /\\/assets\\/core-[^/?]*\\.js(\\?|$)/.test(name));
    if (!core) return;
    try {
        (await import(core)).changeLocale("vi");
    } catch (error) {
        console.warn("Could not switch the page to Vietnamese", error);
    }
})();
</script>""".replace("PREFERS_VIETNAMESE", PREFERS_VIETNAMESE_JS)

# One result is shown large, at its own shape; several fill a grid of two; Compare's columns
# show each result whole.
_INNER_CSS = """
#gallery img { object-fit: contain; }
#gallery .grid-container:has(> .gallery-item:only-child) { grid-template-columns: 1fr; }
#gallery .gallery-item:only-child .thumbnail-item { aspect-ratio: auto; height: auto; }
#gallery .gallery-item:only-child img { width: 100%; height: auto; max-height: 72vh; }
#gallery .grid-wrap:has(.gallery-item) { height: auto; min-height: 0; max-height: none; }
.compare-images .thumbnail-item { aspect-ratio: auto; height: auto; }
.compare-images img { object-fit: contain; width: 100%; height: auto; max-height: 60vh; }
.compare-images .grid-wrap:has(.gallery-item) { height: auto; min-height: 0; max-height: none; }
"""


class HookReport:
    """Which hooks are on; says once, in the log, what was skipped and why."""

    def __init__(self, version: str = gr.__version__, assets: Path = ASSETS) -> None:
        self.version = version
        self.assets = assets
        self.skipped: list[str] = []

    def usable(self, hook: str, found: bool) -> bool:
        """True when `hook` may be used: a tested Gradio, and the hook found in it."""
        if not tested_gradio(self.version):
            why = f"Gradio {self.version} is outside the tested {_tested_text()}"
        elif not found:
            why = f"not found in Gradio {self.version}"
        else:
            return True
        self.skipped.append(hook)
        log.warning("Skipped %s: %s", hook, why)
        return False


def tested_gradio(version: str = gr.__version__) -> bool:
    """True for a Gradio release of the tested minor version."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return bool(match) and (int(match[1]), int(match[2])) == TESTED_GRADIO


def _tested_text() -> str:
    return f"{TESTED_GRADIO[0]}.{TESTED_GRADIO[1]}.x"


@lru_cache(maxsize=4)
def _bundle_has(assets: Path, pattern: str, needles: tuple[str, ...]) -> bool:
    """True when one of Gradio's bundled files matching `pattern` contains every needle."""
    try:
        files = sorted(assets.glob(pattern))
    except OSError:
        return False
    for path in files:
        try:
            content = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if all(needle in content for needle in needles):
            return True
    return False


def vietnamese_head(report: HookReport) -> str:
    """The <head> script that switches the page to Vietnamese, or "" when skipped."""
    found = _bundle_has(report.assets, "core-*.js", ("changeLocale",))
    return _VIETNAMESE_HEAD if report.usable("the Vietnamese page (changeLocale)", found) else ""


def inner_css(report: HookReport) -> str:
    """The gallery CSS on Gradio's inner class names, or "" when skipped."""
    found = _bundle_has(report.assets, "Gallery-*.css", GALLERY_CLASSES)
    return _INNER_CSS if report.usable("the gallery's inner CSS", found) else ""


def launch_blocks(blocks: gr.Blocks, options: dict[str, Any], report: HookReport) -> Any:
    """blocks.launch(**options), started again when Gradio's self-check was merely slow.

    On an untested Gradio the error's text may mean something else: it launches once.
    """
    attempts = LAUNCH_ATTEMPTS if report.usable("the launch retry", True) else 1
    for attempt in range(1, attempts + 1):
        try:
            return blocks.launch(**options)
        except ValueError as exc:
            if SLOW_SELF_CHECK not in str(exc) or attempt == attempts:
                raise
            log.warning("The server answered its own check slowly; starting it again")
            blocks.close()
    raise AssertionError("unreachable")
