"""Updates the page makes by itself, without a round trip: Stop enabled, "Submitting…" shown.

A click is answered on the page at once; the server's first yield follows one queue join and
one event stream later (≈ 0.1-0.3 s on a busy machine). A Gradio event with `fn=None` runs
only its `js`, whose return values go to its outputs: a value, or an update dict as
`gr.update()` makes it (`{"__type__": "update", ...}`).
"""

from __future__ import annotations

import json
from typing import Any

from .i18n import browser_choice

__all__ = ["BUMP_JS", "ENABLE_JS", "DISABLE_JS", "SHOW_WHEN_SET_JS", "run_start_js", "settle_after"]

_ENABLED = '{"__type__": "update", "interactive": true}'
ENABLE_JS = f"() => ({_ENABLED})"
DISABLE_JS = '() => ({"__type__": "update", "interactive": false})'
# Visible when the input has a value (the seed row once a run has used a seed).
SHOW_WHEN_SET_JS = (
    '(value) => ({"__type__": "update", "visible": value !== null && value !== undefined})'
)

# One more than the input: a counter whose change says "the event before me has ended".
BUMP_JS = "(n) => (Number(n) || 0) + 1"

# On a phone the status sits below the fold: bring it into view when a run starts.
_SCROLL_TO = """
    const status = document.getElementById(STATUS_ID);
    if (status) {
        const box = status.getBoundingClientRect();
        if (box.top < 0 || box.bottom > window.innerHeight) {
            status.scrollIntoView({ behavior: "smooth", block: "start" });
        }
    }"""


def run_start_js(status_id: str, status_key: str) -> str:
    """JS for a run's click: scroll to the status, return (its first words, Stop enabled).

    The words are the table's `status_key` in the language the browser prefers, the same
    one the server picks from the Accept-Language header the browser sends.
    """
    return (
        "() => {"
        + _SCROLL_TO.replace("STATUS_ID", json.dumps(status_id))
        + f"""
    return [{browser_choice(status_key)}, {_ENABLED}];
}}"""
    )


def settle_after(event: Any, c: dict[str, Any]) -> Any:
    """Once `event` has put all its updates in place, bump Generate's form_settled counter.

    The request preview follows that counter, so it reads the form as the event left it.
    """
    return event.then(
        None,
        [c["form_settled"]],
        [c["form_settled"]],
        js=BUMP_JS,
        api_visibility="private",
        show_progress="hidden",
    )
