"""The app as an MCP server, driven by the official `mcp` client as an AI assistant would.

The tools' basics run against the app as `python app.py` builds it in demo mode (as a newcomer
starts it); keys and limits against an app on the simulator playing a Space's proxy with
X-Forwarded-For. Both in this process.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.support import ROOT, creates, free_port

OWNER_KEY = "sk-owner-0123456789abcdef"


def call(url: str, work: Callable[[ClientSession], Any], headers: dict | None = None) -> Any:
    """Open an MCP session to url and run `work(session)` in it."""

    async def session() -> Any:
        async with (
            httpx.AsyncClient(headers=headers, timeout=60) as http,
            streamable_http_client(url, http_client=http) as (read, write, _),
            ClientSession(read, write) as opened,
        ):
            await opened.initialize()
            return await work(opened)

    return asyncio.run(session())


def tool(name: str, arguments: dict, progress: list | None = None) -> Callable:
    async def run(session: ClientSession) -> Any:
        async def heard(done: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")

        return await session.call_tool(
            name, arguments, progress_callback=heard if progress is not None else None
        )

    return run


def texts(result: Any) -> list[str]:
    return [c.text for c in result.content if c.type == "text"]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The app as `python app.py` builds it with no key (demo mode: its built-in simulator),
    launched in this process; what the terminal would say. (`python app.py` itself, started,
    killed and restarted: test_faults.py.)"""
    from webui import build_app
    from webui.launch import startup_lines

    home = tmp_path_factory.mktemp("newcomer")
    settings = AppSettings.from_env(
        {"COMET_DEMO_TIME_SCALE": "1", "COMET_OUTPUT_DIR": str(home / "outputs")}
    )
    app = build_app(settings)
    port = free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
    try:
        lines = startup_lines(settings, f"http://127.0.0.1:{port}/")
        printed = next(line for line in lines if line.startswith("MCP server"))
        url = printed.split(": ", 1)[1].strip()
        yield SimpleNamespace(url=url, lines=lines, home=home)
    finally:
        app.close()


def test_the_terminal_says_demo_mode_where_images_go_and_both_urls(demo_app):
    said = "\n".join(demo_app.lines)
    assert "mode: demo: no COMET_API_KEY" in said
    assert f"Images and history: {demo_app.home.resolve() / 'outputs'}" in said
    assert re.search(r"Open http://127\.0\.0\.1:\d+/", said)
    assert demo_app.url.endswith("/gradio_api/mcp/")


def test_the_tools_are_listed_with_their_parameters_and_no_ui_event_is_one(demo_app):
    listed = call(demo_app.url, lambda s: s.list_tools())
    tools = {t.name: t for t in listed.tools}
    assert set(tools) == {"generate_image", "compare_models", "get_prediction", "list_models"}
    schema = tools["generate_image"].inputSchema
    assert list(schema["properties"]) == [
        "prompt", "model", "aspect_ratio", "seed", "inputs", "image_url"
    ]  # fmt: skip
    assert schema["required"] == ["prompt"]
    assert schema["properties"]["inputs"]["type"] == "object"
    assert all(len(t.inputSchema.get("properties", {})) <= 8 for t in listed.tools)
    assert all(len(t.description) > 80 for t in listed.tools)  # written for a model to read


def test_generate_image_returns_the_image_reporting_progress(demo_app):
    heard: list[str] = []
    result = call(demo_app.url, tool("generate_image", {"prompt": "a red kite"}, heard))
    assert not result.isError
    assert [c.mimeType for c in result.content if c.type == "image"] == ["image/webp"]
    line = texts(result)[0]
    assert re.match(r"Succeeded \(demo.*\): flux-schnell, seed \d+, prediction \w+", line), line
    # Gradio relays the newest progress it has seen: later steps may overtake earlier ones,
    # but the run is long enough (demo time scale 1: schnell's typical seconds) to report its
    # creation and more.
    said = " | ".join(heard)
    stages = sorted((said.index(s), s) for s in ("Created", "Waiting", "Done") if s in said)
    assert stages[0][1] == "Created" and len(stages) >= 2, said
    # A client that asks for no progress still gets the line and the image's URL (as text:
    # Gradio 6.31 sends several outputs as one text then, see README "AI assistants").
    quiet = call(demo_app.url, tool("generate_image", {"prompt": "a kite", "seed": 5}))
    assert not quiet.isError and "seed 5" in texts(quiet)[0], texts(quiet)


def test_list_models_lists_all_ten(demo_app):
    result = call(demo_app.url, tool("list_models", {}))
    names = re.findall(r"'name': '(flux-[\w.-]+)'", texts(result)[0])
    assert len(set(names)) == 10


def test_get_prediction_returns_a_finished_runs_images(demo_app):
    made = call(demo_app.url, tool("generate_image", {"prompt": "a lantern"}, []))
    prediction_id = re.search(r"prediction (\w+)", texts(made)[0])[1]
    again = call(demo_app.url, tool("get_prediction", {"prediction_id": prediction_id}, []))
    assert not again.isError and prediction_id in texts(again)[0]
    assert [c.type for c in again.content].count("image") == 1


def test_the_readme_client_configuration_works_as_written(demo_app):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```json\n(\{\s*\"mcpServers\".*?)```", readme, re.DOTALL)[1]
    url = json.loads(block)["mcpServers"]["flux"]["url"]
    assert url == "http://127.0.0.1:7860/gradio_api/mcp/"
    served_here = url.replace(":7860/", ":" + demo_app.url.split(":")[2].split("/")[0] + "/")
    listed = call(served_here, lambda s: s.list_tools())
    assert "generate_image" in {t.name for t in listed.tools}


# -- keys and limits, behind a Space's proxy -------------------------------------------------


@pytest.fixture(scope="module")
def sim():
    with Simulator(time_scale=0.0, image_size=64) as simulator:
        yield simulator


@pytest.fixture
def space(sim, tmp_path):
    """An app as on a Space (shared, one trusted proxy), one run an hour per caller."""
    from webui import build_app

    settings = AppSettings(
        owner_key=OWNER_KEY,
        base_url=sim.base_url,
        output_dir=tmp_path,
        shared=True,
        trusted_proxy_hops=1,
        max_runs_per_hour=1,
        max_concurrent_per_visitor=0,
        poll_interval=0.02,
    )
    app = build_app(settings)
    port = free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
    yield f"http://127.0.0.1:{port}/gradio_api/mcp/"
    app.close()


def test_each_caller_behind_the_proxy_has_its_own_limit_and_a_refusal_sends_nothing(sim, space):
    before = len(creates(sim))
    first = {"X-Forwarded-For": "203.0.113.7"}
    other = {"X-Forwarded-For": "198.51.100.9"}
    assert not call(space, tool("generate_image", {"prompt": "one"}), first).isError
    refused = call(space, tool("generate_image", {"prompt": "two"}), first)
    assert refused.isError and "runs for this hour" in texts(refused)[0]
    assert re.search(r"Try again in \d+ minutes?", texts(refused)[0])
    # The caller's own entry written before the proxy's is not believed: still refused.
    spoofed = {"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}
    assert call(space, tool("generate_image", {"prompt": "three"}), spoofed).isError
    assert not call(space, tool("generate_image", {"prompt": "four"}), other).isError
    sent = [c.json["input"]["prompt"] for c in creates(sim)[before:]]
    assert sent == ["one", "four"]
