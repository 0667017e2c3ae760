"""Keys in a real browser (Debian's Chromium): a visitor's key used, remembered only when
asked, sealed so that only this server (with the same secret) opens it again; each visitor's own
History on a shared app. (The owner's key in no response: tests/test_app.py, over HTTP.)"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import TIMEOUT_MS, open_app
from tests.support import creates, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

OWNER_KEY = "sk-OWNER-browsercheck-51d2"
VISITOR_KEY = "sk-VISITOR-browser-77aa"
STORAGE = "comet-flux-visitor-key"
SECRET = "x" * 40


def expect():
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=TIMEOUT_MS)
    return playwright_expect


@pytest.fixture(scope="module")
def sim():
    with Simulator(time_scale=0.0, image_size=128) as simulator:
        yield simulator


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Gradio checks it
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextlib.contextmanager
def served(settings: AppSettings, port: int | None = None) -> Iterator[str]:
    """The app on this port (a browser keeps localStorage per origin: host and port)."""
    from webui import build_app

    port = port or free_port()
    wait_for(lambda: _port_is_free(port), f"port {port} to be free")
    app = build_app(settings)
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def visitor_keys(sim, folder, secret=SECRET, **more) -> AppSettings:
    return AppSettings(
        require_user_key=True,
        base_url=sim.base_url,
        output_dir=folder,
        browser_secret=secret,
        poll_interval=0.02,
        **more,
    )


def generate(page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()


def use_key(page, key: str, *, remember: bool = False) -> None:
    if not page.locator("#api-key").is_visible():
        page.get_by_role("button", name="API key").click()
    page.locator("#api-key input").fill(key)
    if remember:
        page.get_by_label("Remember in this browser").check()
    page.get_by_role("button", name="Use this key").click()
    expect()(page.locator("#backend-banner")).to_contain_text("with your own key")
    expect()(page.locator("#api-key input")).to_have_value("")


def stored(page) -> str | None:
    return page.evaluate("(name) => localStorage.getItem(name)", STORAGE)


def wait_stored_change(page, before: str | None) -> None:
    page.wait_for_function(
        "([name, before]) => (localStorage.getItem(name) || null) !== before",
        arg=[STORAGE, before],
    )


def assert_not_exposed(page, key: str) -> None:
    assert key not in page.evaluate("JSON.stringify(localStorage)")
    assert key not in page.evaluate("document.documentElement.outerHTML")
    values = page.locator("input, textarea").evaluate_all("(els) => els.map((e) => e.value)")
    assert not any(key in v for v in values)


def keys_sent(sim) -> dict[str, str]:
    return {c.json["input"]["prompt"]: c.headers["Authorization"] for c in creates(sim)}


def test_a_visitors_key_is_used_at_once_remembered_only_when_asked_and_only_this_secret_opens_it(
    sim, new_context, tmp_path
):
    # After each restart a new page of the same context: the same browser storage, and no
    # reload racing the old page's own reconnection.
    context = new_context()
    port = free_port()
    with served(visitor_keys(sim, tmp_path), port) as url:
        page = context.new_page()
        open_app(page, url)
        # Typed and Generate pressed straight away, without "Use this key": used.
        page.get_by_role("button", name="API key").click()
        page.locator("#api-key input").fill(VISITOR_KEY)
        generate(page, "typed key")
        expect()(page.locator("#status")).to_contain_text("Succeeded")
        assert stored(page) is None  # used, not remembered (a new session starts without it)
        use_key(page, VISITOR_KEY, remember=True)
        wait_stored_change(page, None)
        assert_not_exposed(page, VISITOR_KEY)
        page.close()
    with served(visitor_keys(sim, tmp_path), port):  # restarted, same secret
        page = context.new_page()
        open_app(page, url)
        expect()(page.locator("#backend-banner")).to_contain_text("with your own key")
        generate(page, "remembered key")
        expect()(page.locator("#status")).to_contain_text("Succeeded")
        page.close()
    with served(visitor_keys(sim, tmp_path, secret="y" * 40), port):  # another secret
        page = context.new_page()
        open_app(page, url)
        page.get_by_role("button", name="API key").click()
        expect()(page.locator("#key-note")).to_contain_text("can no longer be read")
        generate(page, "unreadable key")
        expect()(page.locator("#status")).to_contain_text("own CometAPI key")
        assert_not_exposed(page, VISITOR_KEY)
        remembered = stored(page)
        page.get_by_role("button", name="Forget").click()
        expect()(page.locator("#key-note")).to_contain_text("forgotten")
        wait_stored_change(page, remembered)
    assert keys_sent(sim) == {
        "typed key": f"Bearer {VISITOR_KEY}",
        "remembered key": f"Bearer {VISITOR_KEY}",
    }


def test_on_a_shared_app_each_visitor_sees_only_their_history_and_it_survives_a_reload(
    sim, new_context, tmp_path
):
    with served(visitor_keys(sim, tmp_path, shared=True)) as url:
        pages = {}
        for key, prompt in (
            ("sk-VISITOR-A-1111", "A red bicycle"),
            ("sk-VISITOR-B-2222", "A blue teapot"),
        ):
            page = pages[prompt] = new_context().new_page()
            open_app(page, url)
            use_key(page, key)
            generate(page, prompt)
            expect()(page.locator("#status")).to_contain_text("Succeeded")
        reloaded = pages["A red bicycle"]
        reloaded.reload()  # the first visitor's History survives a reload
        reloaded.get_by_label("Prompt", exact=True).wait_for(state="visible")
        for prompt, page in pages.items():
            page.get_by_role("tab", name="History").click()
            expect()(page.locator("#history-gallery")).to_contain_text(prompt)
            expect()(page.get_by_text("1 prediction(s)")).to_be_visible()
            others = [p for p in pages if p != prompt]
            html = page.evaluate("document.documentElement.outerHTML")
            assert not any(other in html for other in others)
