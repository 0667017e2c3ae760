"""The app in a real browser: Debian's Chromium driven by Playwright (issues 3 to 6 and 10).

Each test launches its own app against its own simulator and uses a fresh browser context
(its own cookies and localStorage); one Chromium serves the whole module. Without Chromium or
Playwright these tests skip, saying how to enable them; on CI (CI=true) they fail instead.
Run them alone with `python -m pytest tests/test_browser.py -q -m browser`.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import (
    TIMEOUT_MS,
    ResponseRecorder,
    choose_option,
    open_app,
    result_sources,
    wait_for_gallery,
)
from tests.support import FakeClock, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "screenshot.png"
SCREENSHOT_PROMPT = "A paper boat floating on calm water at sunrise, soft light, 35mm photo"
OWNER_KEY = "sk-OWNER-browsercheck-51d2"
VISITOR_KEY = "sk-VISITOR-browser-77aa"
BROWSER_KEY_STORAGE = "comet-flux-visitor-key"
ASKS_FOR_KEY = "own CometAPI key"  # the status when a run needs the visitor's key
USING_OWN_KEY = "with your own key"  # the banner once a visitor's key is in use
NEEDS_A_KEY = "Bring your own key"  # the banner while this session has no key


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def page(new_context):
    """A page in a fresh context."""
    return new_context().new_page()


@pytest.fixture
def sim():
    """A simulator slow enough that the page sees progress, with small images."""
    with Simulator(time_scale=0.2, image_size=256) as simulator:
        yield simulator


def _expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def _generate(page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()


def _creates(sim: Simulator) -> list:
    return [r for r in sim.received if r.method == "POST" and r.path.endswith("/predictions")]


def _authorization_by_prompt(sim: Simulator) -> dict[str, str]:
    return {r.json["input"]["prompt"]: r.headers.get("Authorization") for r in _creates(sim)}


def _local_storage(page) -> str:
    return page.evaluate("JSON.stringify(localStorage)")


def _page_html(page) -> str:
    return page.evaluate("document.documentElement.outerHTML")


# -- issue 3: the generate flow ----------------------------------------------------------------


def test_demo_mode_generates_and_shows_the_images(launch_app, sim, page, tmp_path):
    expect = _expect()
    _, url = launch_app(AppSettings(output_dir=tmp_path / "outputs"), demo_base_url=sim.base_url)
    open_app(page, url)
    expect(page.locator("#backend-banner")).to_contain_text("Demo mode")

    _generate(page, SCREENSHOT_PROMPT)

    expect(page.locator("#status")).to_contain_text("Succeeded")
    wait_for_gallery(page)
    assert [i["prompt"] for i in sim.created_inputs()] == [SCREENSHOT_PROMPT]
    sources = result_sources(page)
    # the browser got the images from the app (saved files), not from the simulator's URLs
    assert sources and all(src.startswith(url) for src in sources)

    # The README's screenshot is refreshed only on request, so test runs leave the tree clean.
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") == "1" else tmp_path / "shot.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_owner_key_is_nowhere_in_the_page_storage_or_responses(launch_app, sim, page, tmp_path):
    expect = _expect()
    sim.api_key = OWNER_KEY  # the simulator refuses any other key
    settings = AppSettings(owner_key=OWNER_KEY, base_url=sim.base_url, output_dir=tmp_path / "o")
    _, url = launch_app(settings)
    recorder = ResponseRecorder(page)
    open_app(page, url)
    expect(page.locator("#backend-banner")).to_contain_text("CometAPI")
    page.get_by_role("button", name="Request preview").click()
    expect(page.locator("#preview-curl")).to_contain_text("$COMET_API_KEY")

    _generate(page, "A lighthouse in a storm, oil painting")
    expect(page.locator("#status")).to_contain_text("Succeeded")
    wait_for_gallery(page)
    assert _creates(sim)[-1].headers["Authorization"] == f"Bearer {OWNER_KEY}"

    bodies = recorder.bodies()
    # the page, its scripts and the event streams were all read, the result included
    assert any(url.startswith("0 ") for url in bodies)
    assert any("process_completed" in text and "Succeeded" in text for text in bodies.values())
    places = {"localStorage": _local_storage(page), "page HTML": _page_html(page), **bodies}
    leaks = [where for where, text in places.items() if OWNER_KEY in text]
    assert leaks == []


# -- issue 4: the form follows the model -------------------------------------------------------


def test_switching_models_changes_the_form_and_kontext_takes_an_upload(
    launch_app, sim, page, tmp_path
):
    from PIL import Image

    expect = _expect()
    _, url = launch_app(AppSettings(output_dir=tmp_path / "outputs"), demo_base_url=sim.base_url)
    open_app(page, url)
    page.get_by_role("button", name="Advanced").click()

    # a value set on flux-schnell is kept for the same field of flux-dev
    quality = page.locator("#flux_schnell__output_quality input[type=number]")
    quality.fill("55")
    quality.press("Enter")
    expect(page.locator("#flux_schnell__output_quality input[type=range]")).to_have_value("55")
    choose_option(page, "Model", "black-forest-labs/flux-dev")
    expect(page.locator("#fields-flux_dev")).to_be_visible()
    expect(page.locator("#fields-flux_schnell")).to_be_hidden()
    expect(page.locator("#flux_dev__output_quality input[type=number]")).to_have_value("55")
    expect(page.locator("#flux_dev__guidance")).to_be_visible()

    # Kontext: its own fields and an image upload; schnell's "Number of images" is gone
    choose_option(page, "Model", "black-forest-labs/flux-kontext-pro")
    expect(page.locator("#model-info")).to_contain_text("Kontext [pro]")
    safety = page.locator("#flux_kontext_pro__safety_tolerance")
    expect(safety).to_be_visible()
    expect(safety).to_contain_text("Safety tolerance")
    expect(page.locator("#flux_schnell__num_outputs")).to_be_hidden()
    expect(page.locator("#flux_dev__output_quality")).to_be_hidden()
    upload = page.locator("#flux_kontext_pro__input_image")
    expect(upload).to_be_hidden()  # folded until wanted, so Generate stays near the prompt
    page.get_by_role("button", name="Input image (optional)").click()
    expect(upload).to_be_visible()

    picture = tmp_path / "input.png"
    Image.new("RGB", (96, 64), (30, 140, 200)).save(picture)
    upload.locator("input[type=file]").set_input_files(str(picture))
    # the upload finished and is listed (the name's cell; its text splits stem and extension)
    expect(upload.get_by_role("cell", name="input.png")).to_be_visible()

    _generate(page, "Make the sky orange")
    expect(page.locator("#status")).to_contain_text("Succeeded")
    wait_for_gallery(page)
    (create,) = _creates(sim)
    assert "flux-kontext-pro" in create.path
    sent = sim.created_inputs()[-1]
    assert sent["prompt"] == "Make the sky orange"
    assert sent["input_image"].startswith("data:image/")


# -- issue 6: bring your own key ---------------------------------------------------------------


def _open_key_box(page):
    page.get_by_role("button", name="API key").click()
    box = page.get_by_label("API key", exact=True)
    box.wait_for(state="visible")
    return box


def _use_key(page, key: str, *, remember: bool = False) -> None:
    expect = _expect()
    box = _open_key_box(page)
    box.fill(key)
    if remember:
        page.get_by_label("Remember in this browser").check()
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#backend-banner")).to_contain_text(USING_OWN_KEY)
    expect(box).to_have_value("")  # the server cleared the box; the key is in session state


def _stored_key(page) -> str | None:
    return page.evaluate("(name) => localStorage.getItem(name)", BROWSER_KEY_STORAGE)


def _wait_for_stored_key_change(page, before: str | None) -> None:
    """Wait until BrowserState has written a new value for the remembered key."""
    page.wait_for_function(
        "([name, before]) => (localStorage.getItem(name) || null) !== before",
        arg=[BROWSER_KEY_STORAGE, before],
        timeout=TIMEOUT_MS,
    )


def _assert_key_not_exposed(page) -> None:
    assert VISITOR_KEY not in _local_storage(page)
    assert VISITOR_KEY not in _page_html(page)
    values = page.locator("input, textarea").evaluate_all("(els) => els.map((e) => e.value)")
    assert not any(VISITOR_KEY in v for v in values)


def test_visitor_key_is_used_and_only_remembered_when_asked(launch_app, sim, page, tmp_path):
    expect = _expect()
    sim.api_key = VISITOR_KEY
    settings = AppSettings(
        require_user_key=True, base_url=sim.base_url, owner_key="", output_dir=tmp_path / "o"
    )
    _, url = launch_app(settings)
    status = page.locator("#status")
    open_app(page, url)

    _generate(page, "no key yet")
    expect(status).to_contain_text(ASKS_FOR_KEY)
    assert _creates(sim) == []

    _use_key(page, VISITOR_KEY)
    _generate(page, "with my key")
    expect(status).to_contain_text("Succeeded")
    assert _authorization_by_prompt(sim) == {"with my key": f"Bearer {VISITOR_KEY}"}
    _assert_key_not_exposed(page)

    # not remembered: a reload starts a session without the key
    page.reload()
    open_app(page, url)
    _generate(page, "after reload")
    expect(status).to_contain_text(ASKS_FOR_KEY)
    assert len(_creates(sim)) == 1

    # remembered: the reloaded page gets the key back without typing
    before = _stored_key(page)
    _use_key(page, VISITOR_KEY, remember=True)
    _wait_for_stored_key_change(page, before)
    _assert_key_not_exposed(page)
    page.reload()
    open_app(page, url)
    expect(page.locator("#backend-banner")).to_contain_text(USING_OWN_KEY)
    _generate(page, "remembered key")
    expect(status).to_contain_text("Succeeded")
    assert _authorization_by_prompt(sim)["remembered key"] == f"Bearer {VISITOR_KEY}"
    _assert_key_not_exposed(page)

    # Forget removes it from this session and from the browser
    page.get_by_role("button", name="API key").click()
    remembered = _stored_key(page)
    page.get_by_role("button", name="Forget").click()
    expect(page.locator("#key-note")).to_contain_text("forgotten")
    _wait_for_stored_key_change(page, remembered)
    page.reload()
    open_app(page, url)
    _generate(page, "after forget")
    expect(status).to_contain_text(ASKS_FOR_KEY)
    assert len(_creates(sim)) == 2


def test_two_visitors_run_at_once_with_their_own_keys_and_see_only_their_own_history(
    launch_app, new_context, tmp_path
):
    expect = _expect()
    clock = FakeClock()  # no prediction finishes until the test moves the simulator's clock
    with Simulator(time_scale=1.0, image_size=128, clock=clock) as sim:
        settings = AppSettings(
            require_user_key=True,
            shared=True,
            base_url=sim.base_url,
            owner_key="",
            output_dir=tmp_path / "outputs",
            poll_interval=0.05,
        )
        _, url = launch_app(settings)
        visitors = {
            "sk-VISITOR-A-1111": "A red bicycle leaning on a wall",
            "sk-VISITOR-B-2222": "A blue teapot on a wooden table",
        }
        pages = {}
        for key in visitors:
            page = new_context().new_page()
            open_app(page, url)
            _use_key(page, key)
            pages[key] = page

        for key, prompt in visitors.items():
            pages[key].get_by_label("Prompt", exact=True).fill(prompt)
        for key in visitors:
            pages[key].get_by_role("button", name="Generate", exact=True).click()
        # Neither run can finish yet: both creates arrive only if both runs are in flight.
        try:
            wait_for(lambda: len(_creates(sim)) == 2, "both visitors' runs to be created")
        except AssertionError as exc:  # say what each page showed instead
            shown = {k[:12]: p.locator("#status").inner_text() for k, p in pages.items()}
            raise AssertionError(f"{exc}; {len(_creates(sim))} created; status: {shown}") from exc
        both_created = clock.now
        clock.advance(60)
        for page in pages.values():
            expect(page.locator("#status")).to_contain_text("Succeeded")

        # Both were running at the same time: created before either completed, on the
        # simulator's clock, and in the order the simulator saw requests.
        assert all(sim.completion_time(p) > both_created for p in sim.predictions)
        second_create = sim.received.index(_creates(sim)[1])
        first_download = next(n for n, r in enumerate(sim.received) if "/out-" in r.path)
        assert second_create < first_download
        assert _authorization_by_prompt(sim) == {
            prompt: f"Bearer {key}" for key, prompt in visitors.items()
        }

        for key, prompt in visitors.items():
            page = pages[key]
            page.get_by_role("tab", name="History").click()
            page.get_by_role("button", name="Refresh").click()  # both runs are recorded by now
            history = page.locator("#history-gallery")
            expect(history).to_contain_text(prompt)
            expect(page.get_by_text("1 prediction(s)")).to_be_visible()
            others = [p for k, p in visitors.items() if k != key]
            html = _page_html(page)
            assert not any(other in html for other in others)


# -- issue 10: a remembered key across a restart ------------------------------------------------

BROWSER_SECRET = "x" * 40
REMEMBERED = "Using the key remembered in this browser"
UNREADABLE = "can no longer be read"


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Gradio checks it
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextlib.contextmanager
def _served(settings: AppSettings, port: int) -> Iterator[str]:
    """The app on this port (a browser keeps localStorage per origin: host and port)."""
    from webui import build_app

    wait_for(lambda: _port_is_free(port), f"port {port} to be free")
    app = build_app(settings)
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def _key_settings(sim: Simulator, tmp_path: Path, secret: str) -> AppSettings:
    return AppSettings(
        require_user_key=True,
        base_url=sim.base_url,
        owner_key="",
        output_dir=tmp_path / "outputs",
        browser_secret=secret,
    )


def _remember_a_key_then_close(page, sim: Simulator, tmp_path: Path) -> tuple[str, int]:
    """Remember VISITOR_KEY in an app sealing with BROWSER_SECRET, then close that app.

    Returns the app's url and port.
    """
    port = free_port()
    with _served(_key_settings(sim, tmp_path, BROWSER_SECRET), port) as url:
        open_app(page, url)
        before = _stored_key(page)
        _use_key(page, VISITOR_KEY, remember=True)
        _wait_for_stored_key_change(page, before)
    return url, port


def test_a_remembered_key_survives_a_restart_with_the_same_browser_secret(sim, page, tmp_path):
    expect = _expect()
    sim.api_key = VISITOR_KEY
    url, port = _remember_a_key_then_close(page, sim, tmp_path)

    with _served(_key_settings(sim, tmp_path, BROWSER_SECRET), port):
        page.reload()
        open_app(page, url)
        assert _stored_key(page)  # the same origin kept it through the restart
        expect(page.locator("#backend-banner")).to_contain_text(USING_OWN_KEY)
        _open_key_box(page)
        expect(page.locator("#key-note")).to_contain_text(REMEMBERED)
        _generate(page, "after a restart")
        expect(page.locator("#status")).to_contain_text("Succeeded")

    assert _authorization_by_prompt(sim) == {"after a restart": f"Bearer {VISITOR_KEY}"}
    _assert_key_not_exposed(page)


def test_a_remembered_key_cannot_be_read_after_a_restart_with_another_secret(sim, page, tmp_path):
    expect = _expect()
    sim.api_key = VISITOR_KEY
    url, port = _remember_a_key_then_close(page, sim, tmp_path)

    with _served(_key_settings(sim, tmp_path, "y" * 40), port):
        page.reload()
        open_app(page, url)
        assert _stored_key(page)  # still there, but sealed with the old secret
        _open_key_box(page)
        expect(page.locator("#key-note")).to_contain_text(UNREADABLE)
        expect(page.locator("#backend-banner")).to_contain_text(NEEDS_A_KEY)
        _generate(page, "after a restart with another secret")
        expect(page.locator("#status")).to_contain_text(ASKS_FOR_KEY)

    assert _creates(sim) == []


# -- issue 5: history, use these settings, stop and resume -----------------------------------


def test_history_saves_a_stopped_run_fills_the_form_and_resumes_by_id(
    launch_app, client_for, page, tmp_path
):
    expect = _expect()
    clock = FakeClock()  # predictions finish only when the test moves the simulator's clock
    outputs = tmp_path / "outputs"
    with Simulator(time_scale=1.0, image_size=128, clock=clock) as slow:
        _, url = launch_app(
            AppSettings(output_dir=outputs, poll_interval=0.05), demo_base_url=slow.base_url
        )
        open_app(page, url)
        _generate(page, "a lighthouse in a storm")
        [stopped_id] = wait_for(lambda: list(slow.predictions), "the run to be created")
        expect(page.locator("#status")).to_contain_text(stopped_id)
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.locator("#status")).to_contain_text("no cancel route")

        # History lists it as unfinished while it still runs on the server...
        page.get_by_role("tab", name="History").click()
        page.get_by_role("button", name="Refresh").click()
        expect(page.locator("#history-note")).to_contain_text(stopped_id)

        # ...and once it finishes, the app (still following it) saves its image.
        clock.advance(60)
        wait_for(lambda: list(outputs.glob(f"{stopped_id}-0.*")), "the stopped run to be saved")
        page.get_by_role("button", name="Refresh").click()
        expect(page.locator("#history-note")).not_to_contain_text(stopped_id)
        entry = page.locator("#history-gallery button.thumbnail-item")
        entry.filter(has_text="a lighthouse in a storm").click()
        expect(page.locator("#history-detail")).to_contain_text(stopped_id)
        expect(page.locator("#history-detail")).to_contain_text("succeeded")
        wait_for_gallery(page, "#history-images img")

        page.get_by_role("button", name="Download images + JSON (zip)").click()
        expect(page.locator("#history-zip")).to_contain_text(stopped_id)
        expect(page.locator("#history-zip")).to_contain_text(".zip")

        # Resume by id: a prediction made elsewhere (the CLI, say), finished by now.
        elsewhere = client_for(slow).create_prediction(
            "black-forest-labs/flux-schnell", {"prompt": "made with the CLI"}
        )
        clock.advance(60)
        page.get_by_role("button", name="Resume a prediction by id").click()
        page.locator("#resume-id textarea, #resume-id input").first.fill(elsewhere.id)
        page.get_by_role("button", name="Resume id", exact=True).click()
        expect(page.locator("#resume-status")).to_contain_text("Resumed: succeeded")
        assert list(outputs.glob(f"{elsewhere.id}-0.*"))
        assert len(slow.created_inputs()) == 2  # the run and the CLI's: nothing created again

        page.get_by_role("button", name="Use these settings").click()
        expect(page.get_by_label("Prompt", exact=True)).to_have_value("a lighthouse in a storm")
