"""The API key panel: a visitor's own key for this session, optionally remembered (sealed).

The key itself lives only in the session's `gr.State` on the server. "Remember in this browser"
stores a copy sealed with a server-only secret (see keyseal.py): the browser cannot read it,
and only this server (with the same COMET_BROWSER_SECRET) can open it again.
"""

from typing import Any

import gradio as gr

from comet.errors import InvalidInputError

from .keyseal import open_key, seal_key
from .services import Services
from .wiring import by_name

__all__ = ["KeyHandlers", "KeyPanel", "build_key_panel", "wire_key_panel"]

BROWSER_KEY_STORAGE = "comet-flux-visitor-key"
# Gradio's BrowserState never writes a falsy value, so "" would leave an old key in
# localStorage: clearing the remembered key stores this marker instead.
NO_REMEMBERED_KEY = "none"
MAX_KEY_CHARS = 200
KEY_OUTPUTS = ("visitor_key", "key_box", "remembered_key", "key_note", "banner")


def check_key(typed: str | None) -> str:
    """A typed key, stripped; refuses what cannot be a key (without echoing it)."""
    key = (typed or "").strip()
    if any(c.isspace() for c in key) or len(key) > MAX_KEY_CHARS:
        raise InvalidInputError(
            "The API key box holds something that is not a CometAPI key (spaces, or too "
            "long). Fix it or clear the box.",
            field="api_key",
        )
    return key


def resolve_visitor_key(typed: str | None, session_key: str | None) -> str | None:
    """The key a run uses: one typed in the box now, else the one set for this session."""
    return check_key(typed) or session_key or None


class KeyPanel:
    """The panel's components by name (the banner and key state are added by the builder)."""

    def __init__(self) -> None:
        self.c: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        return self.c[name]


def build_key_panel() -> KeyPanel:
    """Lay out the "API key" accordion, plus the session and browser state it needs."""
    panel = KeyPanel()
    c = panel.c
    c["visitor_key"] = gr.State(None)
    c["remembered_key"] = gr.BrowserState(
        "",
        storage_key=BROWSER_KEY_STORAGE,
        # Gradio sends this secret to the page in /config: obfuscation only. The value
        # stored is already sealed with the server's key secret, which never leaves it.
        secret="comet-flux-browser-state",  # noqa: S106
    )
    with gr.Accordion("API key", open=False):
        gr.Markdown(
            "Use your own CometAPI key for your runs. It is kept on the server for this "
            "browser session only: never written to disk, never sent back to the page. "
            "**Remember in this browser** keeps a copy sealed with a secret only this server "
            "holds: the page cannot read it, but anyone using this browser profile can still "
            "run this app with it, so use it only on your own computer."
        )
        c["key_box"] = gr.Textbox(
            label="API key", type="password", placeholder="sk-…", elem_id="api-key"
        )
        c["remember"] = gr.Checkbox(
            label="Remember in this browser", value=False, elem_id="remember"
        )
        with gr.Row():
            c["use_key"] = gr.Button("Use this key")
            c["forget"] = gr.Button("Forget")
        c["key_note"] = gr.Markdown("", elem_id="key-note")
    return panel


class KeyHandlers:
    """Set, forget and restore a visitor's key, as plain methods."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def set_key(self, typed: str, remember: bool) -> dict[str, Any]:
        """Use a typed key for this session; remember a sealed copy when asked."""
        try:
            key = check_key(typed)
        except InvalidInputError:
            return {"key_box": "", "key_note": "That does not look like an API key."}
        if not key:
            return {"key_box": "", "key_note": "Enter a key first."}
        stored = seal_key(key, self.services.key_secret) if remember else NO_REMEMBERED_KEY
        note = "Your key is set for this browser session" + (
            " and remembered in this browser, sealed so that only this server can read it "
            "(press Forget on a shared computer)."
            if remember
            else " only; it is not stored anywhere."
        )
        return {
            "visitor_key": key,
            "key_box": "",
            "remembered_key": stored,
            "key_note": note,
            "banner": self.services.banner(key),
        }

    def forget_key(self) -> dict[str, Any]:
        """Drop the key from this session and this browser."""
        return {
            "visitor_key": None,
            "key_box": "",
            "remembered_key": NO_REMEMBERED_KEY,
            "key_note": "Key forgotten: this session and this browser no longer hold it.",
            "banner": self.services.banner(None),
        }

    def restore_key(self, stored: str | None) -> dict[str, Any]:
        """On page load: open the sealed key this browser remembers, if any."""
        stored = (stored or "").strip()
        if stored in ("", NO_REMEMBERED_KEY):
            return {"visitor_key": None, "banner": self.services.banner(None)}
        key = open_key(stored, self.services.key_secret)
        if not key:
            return {
                "visitor_key": None,
                "key_note": "The key remembered in this browser can no longer be read: "
                "enter it again.",
                "banner": self.services.banner(None),
            }
        return {
            "visitor_key": key,
            "key_note": "Using the key remembered in this browser.",
            "banner": self.services.banner(key),
        }


def wire_key_panel(panel: KeyPanel, handlers: KeyHandlers, banner: gr.Markdown) -> None:
    """Connect Use this key / Enter / Forget; the page-load restore is wired by the builder."""
    c = panel.c
    outputs = {name: c[name] for name in KEY_OUTPUTS if name != "banner"} | {"banner": banner}
    set_key = by_name(handlers.set_key, outputs)
    for trigger in (c["use_key"].click, c["key_box"].submit):
        trigger(
            set_key,
            [c["key_box"], c["remember"]],
            list(outputs.values()),
            api_visibility="private",
        )
    c["forget"].click(
        by_name(handlers.forget_key, outputs),
        None,
        list(outputs.values()),
        api_visibility="private",
    )
