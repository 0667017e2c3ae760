"""The API key panel: a visitor's own key for this session, optionally remembered (sealed).

The key itself lives only in the session's `gr.State` on the server. "Remember in this browser"
stores a copy sealed with a server-only secret (see keyseal.py): the browser cannot read it,
and only this server (with the same COMET_BROWSER_SECRET) can open it again.
"""

from typing import Any

import gradio as gr

from comet.errors import InvalidInputError

from .i18n import language, msg, text, ui
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
        raise InvalidInputError(msg("key.bad"), field="api_key")
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
    with gr.Accordion(ui("key.accordion"), open=False):
        gr.Markdown(ui("key.explain"))
        c["key_box"] = gr.Textbox(
            label=ui("key.box"), type="password", placeholder="sk-…", elem_id="api-key"
        )
        c["remember"] = gr.Checkbox(label=ui("key.remember"), value=False, elem_id="remember")
        with gr.Row():
            c["use_key"] = gr.Button(ui("key.use"))
            c["forget"] = gr.Button(ui("key.forget"))
        c["key_note"] = gr.Markdown("", elem_id="key-note")
    return panel


class KeyHandlers:
    """Set, forget and restore a visitor's key, as plain methods."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def set_key(self, typed: str, remember: bool, request: gr.Request = None) -> dict[str, Any]:
        """Use a typed key for this session; remember a sealed copy when asked."""
        lang = language(request)
        try:
            key = check_key(typed)
        except InvalidInputError:
            return {"key_box": "", "key_note": text("key.not_a_key", lang)}
        if not key:
            return {"key_box": "", "key_note": text("key.enter_first", lang)}
        stored = seal_key(key, self.services.key_secret) if remember else NO_REMEMBERED_KEY
        note = text("key.set_remembered" if remember else "key.set_session", lang)
        return {
            "visitor_key": key,
            "key_box": "",
            "remembered_key": stored,
            "key_note": note,
            "banner": self.services.banner(key, lang),
        }

    def forget_key(self, request: gr.Request = None) -> dict[str, Any]:
        """Drop the key from this session and this browser."""
        lang = language(request)
        return {
            "visitor_key": None,
            "key_box": "",
            "remembered_key": NO_REMEMBERED_KEY,
            "key_note": text("key.forgotten", lang),
            "banner": self.services.banner(None, lang),
        }

    def restore_key(
        self, stored: str | None, current: str | None = None, request: gr.Request = None
    ) -> dict[str, Any]:
        """On page load: open the sealed key this browser remembers, if any.

        A key the session already has was entered while the page was still loading (a slow
        Space): it stays, and so do the banner and note that said so.
        """
        if current:
            return {"visitor_key": gr.skip(), "key_note": gr.skip(), "banner": gr.skip()}
        lang = language(request)
        stored = (stored or "").strip()
        if stored in ("", NO_REMEMBERED_KEY):
            return {"visitor_key": None, "banner": self.services.banner(None, lang)}
        key = open_key(stored, self.services.key_secret)
        if not key:
            return {
                "visitor_key": None,
                "key_note": text("key.unreadable", lang),
                "banner": self.services.banner(None, lang),
            }
        return {
            "visitor_key": key,
            "key_note": text("key.restored", lang),
            "banner": self.services.banner(key, lang),
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
