"""The newcomer's path (issue 10): `python app.py` with nothing set up, then a first image.

The repository's app.py runs as a subprocess in an empty temporary folder, with an environment
built from scratch (tests.support.clean_env): no key, no .env, no injected URL. Only
GRADIO_SERVER_PORT (a free port) and COMET_DEMO_TIME_SCALE (a quicker demo) are set. It must
come up in demo mode on its built-in simulator, say so in the terminal, serve the page, and make
images that land in `./outputs` of the folder it was started in, through gradio_client and
through a real browser.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.browser_support import (
    TIMEOUT_MS,
    VIEWPORT,
    chromium,
    open_app,
    require_browser,
    result_sources,
    wait_for_gallery,
)
from tests.support import APP, DEADLINE, clean_env, free_port, start_python, wait_for

# One worker runs the whole module under xdist: its `python app.py` starts once.
pytestmark = [pytest.mark.timeout(180), pytest.mark.xdist_group("newcomer")]


@dataclass
class Newcomer:
    """The running app.py: its folder, URL and what it wrote to the terminal."""

    folder: Path
    url: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def terminal(self) -> str:
        """Everything the process has printed so far, stdout then stderr."""
        return self.stdout.read_text() + self.stderr.read_text()

    def saved(self) -> dict[str, dict]:
        """{prompt: sidecar JSON} of every run saved in ./outputs."""
        sidecars = (json.loads(p.read_text()) for p in (self.folder / "outputs").glob("*.json"))
        return {s["input"]["prompt"]: s for s in sidecars}


def _serves(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).ok
    except requests.ConnectionError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """Terminate, wait with a deadline, kill if it would not go."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=DEADLINE)


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory):
    """`python app.py` started in an empty folder, once for this module; stopped after."""
    folder = tmp_path_factory.mktemp("newcomer")
    port = free_port()
    env = clean_env(folder, COMET_DEMO_TIME_SCALE="0.2").updated(GRADIO_SERVER_PORT=str(port))
    stdout, stderr = folder / "terminal.out", folder / "terminal.err"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = start_python([str(APP)], cwd=folder, env=env, stdout=out, stderr=err)
    app = Newcomer(folder, f"http://127.0.0.1:{port}/", process, stdout, stderr)
    try:
        wait_for(
            lambda: (
                process.poll() is not None or ("Open http" in app.terminal() and _serves(app.url))
            ),
            "app.py to serve its page",
        )
        assert process.poll() is None, f"app.py exited with {process.returncode}:\n{app.terminal()}"
        yield app
    finally:
        _stop(process)


def test_the_terminal_says_demo_mode_where_images_go_and_the_url(newcomer):
    lines = newcomer.stdout.read_text().splitlines()
    terminal = newcomer.terminal()

    assert any("mode: demo" in line for line in lines), lines
    assert f"Images and history: {(newcomer.folder / 'outputs').resolve()}" in lines
    assert f"Open {newcomer.url}" in lines
    assert "share=True" not in terminal
    assert "Traceback" not in terminal


def test_a_first_image_through_gradio_client_is_saved_in_the_folders_outputs(newcomer, connect):
    prompt = "A paper boat on a pond, from gradio_client"

    status, gallery, _ = connect(newcomer.url).predict(prompt=prompt, api_name="/generate")

    assert "Succeeded" in status, status
    assert "demo placeholder" in status
    [shown] = gallery
    sidecar = newcomer.saved()[prompt]
    [image] = (newcomer.folder / "outputs").glob(f"{sidecar['id']}-*")
    assert Path(shown["image"]).read_bytes() == image.read_bytes()  # what was shown was saved


@pytest.mark.browser
def test_a_first_image_in_the_browser_shows_in_the_gallery(newcomer):
    require_browser()
    from playwright.sync_api import expect

    prompt = "A paper boat on a pond, from the browser"
    with chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        open_app(page, newcomer.url)
        expect(page.locator("#backend-banner")).to_contain_text("Demo mode", timeout=TIMEOUT_MS)

        page.get_by_label("Prompt", exact=True).fill(prompt)
        page.get_by_role("button", name="Generate", exact=True).click()

        wait_for_gallery(page)
        expect(page.locator("#status")).to_contain_text("Succeeded", timeout=TIMEOUT_MS)
        sources = result_sources(page)
        context.close()

    assert len(sources) == 1
    assert sources[0].startswith(newcomer.url)  # served by the app, not the simulator
    sidecar = newcomer.saved()[prompt]
    assert list((newcomer.folder / "outputs").glob(f"{sidecar['id']}-*"))
