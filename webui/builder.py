"""Put the parts together: the page layout, and every effect one part has on another.

Each part (Generate tab, model form, History tab, key panel) lays out and wires itself; the
cross-part effects live here, in one place: History refreshes after a run, "Use these settings"
fills the Generate tab, and the page load restores a remembered key.
"""

from dataclasses import dataclass
from typing import Any

import gradio as gr

from comet.settings import AppSettings

from .api import ApiHandlers, build_api
from .client_side import settle_after
from .compare_tab import CompareHandlers, CompareTab, build_compare_tab, wire_compare_tab
from .form import ModelForm
from .generate_tab import (
    GenerateHandlers,
    GenerateTab,
    build_generate_tab,
    example_headers,
    wire_generate_tab,
)
from .gradio_hooks import HookReport, launch_blocks
from .history_tab import (
    HistoryHandlers,
    HistoryTab,
    build_history_tab,
    wire_history_tab,
)
from .i18n import browser_choice, language, text, ui
from .keys import KeyHandlers, build_key_panel, wire_key_panel
from .launch import launch_options
from .services import Services
from .wiring import by_name

__all__ = ["TITLE", "WebApp", "build_app"]

TITLE = text("page.title")
QUEUE_SPARE = 64  # page loads, previews and model switches waiting beside the runs
VISITOR_ID_STORAGE = "comet-flux-visitor-id"  # which History is this browser's (shared mode)
BROWSER_TZ_JS = "() => Intl.DateTimeFormat().resolvedOptions().timeZone || ''"


@dataclass(repr=False)
class WebApp:
    """The built app: Gradio's Blocks plus the services behind them."""

    blocks: gr.Blocks
    services: Services
    generate_handlers: GenerateHandlers
    history_handlers: HistoryHandlers
    key_handlers: KeyHandlers
    compare_handlers: CompareHandlers
    api_handlers: ApiHandlers
    hooks: HookReport

    @property
    def settings(self) -> AppSettings:
        return self.services.settings

    def launch(self, **overrides: Any) -> Any:
        """Launch with the app's options (overrides win); creates the output folder."""
        self.services.output_dir.mkdir(parents=True, exist_ok=True)
        options = {**launch_options(self.settings, self.hooks), **overrides}
        return launch_blocks(self.blocks, options, self.hooks)

    def close(self) -> None:
        """Stop the server (if launched) and close the history."""
        self.blocks.close()
        self.services.close()


def build_app(
    settings: AppSettings, *, demo_base_url: str | None = None, hooks: HookReport | None = None
) -> WebApp:
    """Build the Blocks app with its dependencies injected; nothing is written to disk.

    `hooks` says which of Gradio's insides the app may lean on (webui/gradio_hooks.py).
    """
    services = Services(settings, demo_base_url=demo_base_url)
    form = ModelForm()
    generate = GenerateHandlers(services, form)
    history = HistoryHandlers(services)
    keys = KeyHandlers(services)
    compare = CompareHandlers(services)
    api = ApiHandlers(services, compare, history)
    hooks = hooks or HookReport()
    with gr.Blocks(title=TITLE) as blocks:
        # First, so that its endpoints have the plain names (/generate, /compare, ...).
        build_api(api, settings.concurrency)
        gr.Markdown(ui("page.intro"))
        banner = gr.Markdown(services.static_banner(), elem_id="backend-banner")
        if settings.hf_sign_in and settings.on_space:  # locally Gradio would need an HF login
            # A signed-in Hugging Face user is one more identity the limits count under.
            gr.LoginButton(size="sm")
        with gr.Tabs() as tabs:
            with gr.Tab(ui("tab.generate"), id="generate-tab") as generate_tab_box:
                generate_tab = build_generate_tab(form, build_key_panel, generate.preview)
            with gr.Tab(ui("tab.compare"), id="compare-tab") as compare_tab_box:
                compare_tab = build_compare_tab()
            with gr.Tab(ui("tab.history"), id="history-tab") as history_tab_box:
                history_tab = build_history_tab()
        # Gradio's tab buttons keep the words they first rendered with (a late switch to
        # Vietnamese left them English) and it does not translate the examples' headers: both
        # are set on page load, in an event of their own so that they come first.
        fixed_words = [generate_tab_box, compare_tab_box, history_tab_box]
        blocks.load(
            first_rendered_words,
            None,
            [*fixed_words, generate_tab.examples.dataset],
            api_visibility="private",
            show_progress="hidden",
        )
        key_panel = generate_tab.key_panel
        visitor_key = key_panel["visitor_key"]
        wire_generate_tab(
            generate_tab,
            generate,
            visitor_key,
            settings.concurrency,
            run_examples=settings.demo and not settings.require_user_key,
        )
        wire_history_tab(history_tab, history, visitor_key, settings.concurrency)
        wire_compare_tab(
            compare_tab, compare, visitor_key, key_panel["key_box"], settings.concurrency
        )
        wire_key_panel(key_panel, keys, banner)
        _connect_parts(generate_tab, history_tab, history, form, tabs, compare_tab)
        _on_page_load(blocks, generate_tab, history_tab, history, keys, banner, tabs)
        # The title in the browser's language (Gradio sets it once, from the config).
        blocks.load(None, js=f"() => {{ document.title = {browser_choice('page.title')}; }}")
    # A flood of requests gets "busy, try again" instead of an endless wait.
    blocks.queue(max_size=queue_size(settings))
    return WebApp(blocks, services, generate, history, keys, compare, api, hooks)


def queue_size(settings: AppSettings) -> int:
    """Events that may wait in Gradio's queue: every run the app allows, twice, and some."""
    return 2 * settings.concurrency + QUEUE_SPARE


def _connect_parts(
    generate_tab: GenerateTab,
    history_tab: HistoryTab,
    history: HistoryHandlers,
    form: ModelForm,
    tabs: gr.Tabs,
    compare_tab: CompareTab,
) -> None:
    """History refreshes after a run or a comparison; "Use these settings" fills Generate."""
    for event in [*generate_tab.run_events, compare_tab.compare_event]:
        event.then(**history_tab.refresh_event(history))
    c = generate_tab.c
    use_outputs = form.restore_outputs(c, {"tabs": tabs})

    def use_settings(prediction_id: str | None, request: gr.Request = None) -> dict[str, Any]:
        return settings_from_history(history, form, prediction_id, request)

    used = history_tab["use_settings"].click(
        by_name(use_settings, use_outputs),
        [history_tab["selected_id"]],
        list(use_outputs.values()),
        api_visibility="private",
    )
    settle_after(used, c)


def first_rendered_words(request: gr.Request = None) -> tuple[Any, ...]:
    """The three tabs' titles and the examples' headers in the visitor's language."""
    lang = language(request)
    keys = ("tab.generate", "tab.compare", "tab.history")
    tabs = tuple(gr.update(label=text(key, lang)) for key in keys)
    return (*tabs, example_headers(request)["examples"])


def settings_from_history(
    history: HistoryHandlers, form: ModelForm, prediction_id: str | None, request: Any = None
) -> dict[str, Any]:
    """Updates that put a recorded run's model, prompt, seed and fields back into the form."""
    lang = language(request)
    entry = history.find(prediction_id, request)
    if entry is None:
        raise gr.Error(text("hist.select_first", lang))
    updates = form.restore_settings(entry.model, entry.input, lang)
    return updates | {"tabs": gr.update(selected="generate-tab")}


def _on_page_load(
    blocks: gr.Blocks,
    generate_tab: GenerateTab,
    history_tab: HistoryTab,
    history: HistoryHandlers,
    keys: KeyHandlers,
    banner: gr.Markdown,
    tabs: gr.Tabs,
) -> None:
    """On each page load: restore a remembered key, list History, then open the result a
    ?prediction=ID link names."""
    panel = generate_tab.key_panel
    key_outputs = {n: panel[n] for n in ("visitor_key", "key_note")} | {"banner": banner}
    visitor_id = gr.BrowserState(None, storage_key=VISITOR_ID_STORAGE)
    blocks.load(
        None, None, [history_tab["browser_tz"]], js=BROWSER_TZ_JS, api_visibility="private"
    ).then(
        history.services.bind_visitor, [visitor_id], [visitor_id], api_visibility="private"
    ).then(
        by_name(keys.restore_key, key_outputs),
        [panel["remembered_key"], panel["visitor_key"]],
        list(key_outputs.values()),
        api_visibility="private",
    ).then(**history_tab.refresh_event(history)).then(**history_tab.link_event(history, tabs))
