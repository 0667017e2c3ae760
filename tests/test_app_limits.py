"""The app's own limits, seen from outside the launched app: one limit for every run that waits on
the API (COMET_CONCURRENCY), and uploads over 10 MB refused by the server.

The simulator runs on a fake clock, so a prediction finishes only when the test moves it. An
event waiting for a slot shows in Gradio's public queue status (`/gradio_api/queue/status`
counts the events that wait, not those running); the simulator's requests show that the waiting
one sent nothing until the other had finished.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from gradio_client import Client

from comet import CometClient
from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.page_support import SCHNELL
from tests.support import DEADLINE, FakeClock, free_port, wait_for


@pytest.fixture(scope="module")
def clock():
    return FakeClock()


@pytest.fixture(scope="module")
def sim(clock):
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def served(sim, tmp_path_factory):
    """(app, url): the app with COMET_CONCURRENCY=1 (no per-visitor limit), launched."""
    from webui import build_app

    settings = AppSettings(
        output_dir=tmp_path_factory.mktemp("limits"),
        poll_interval=0.02,
        concurrency=1,
        max_concurrent_per_visitor=0,
    )
    app = build_app(settings, demo_base_url=sim.base_url)
    port = free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
    url = f"http://127.0.0.1:{port}/"
    clients: list[Client] = []

    def connect() -> Client:
        clients.append(Client(url, verbose=False))
        return clients[-1]

    yield SimpleNamespace(app=app, url=url, connect=connect)
    app.close()  # first: then a Client's close() does not wait for its heartbeat stream
    for client in clients:
        client.close()


def waiting_events(url: str) -> int:
    """How many events wait in the app's queue for a free slot (running ones not counted)."""
    return requests.get(f"{url}gradio_api/queue/status", timeout=DEADLINE).json()["queue_size"]


def about(sim: Simulator, prediction_id: str) -> list[int]:
    """Positions in sim.received of the requests about one prediction (polls, downloads)."""
    return [n for n, r in enumerate(sim.received) if prediction_id in r.path]


def test_every_kind_of_run_shares_the_one_limit(served):
    runs = [f for f in served.app.blocks.fns.values() if f.concurrency_id == "generate"]
    assert {f.name for f in runs} == {
        "generate", "resume", "compare",  # the page's
        "generate_image", "compare_models", "get_prediction",  # the API's and MCP's
    }  # fmt: skip
    assert {f.concurrency_limit for f in runs} == {1}


def test_a_running_generate_makes_a_get_prediction_wait_for_the_one_slot(served, sim, clock):
    url, api = served.url, served.connect
    with CometClient(api_key="sk-cli-0123456789", base_url=sim.base_url) as cli:
        elsewhere = cli.create_prediction(SCHNELL, {"prompt": "made with the CLI"}).id
    generating = api().submit(prompt="holds the slot", api_name="/generate")
    [generated] = wait_for(
        lambda: [p for p in sim.predictions if p != elsewhere and about(sim, p)],
        "the generate to create its prediction and poll it",
    )
    resuming = api().submit(prediction_id=elsewhere, api_name="/get_prediction")
    wait_for(lambda: waiting_events(url) == 1, "the get_prediction to wait in the queue")
    seen = len(about(sim, generated))
    wait_for(lambda: len(about(sim, generated)) >= seen + 2, "two more polls of the generate")
    assert about(sim, elsewhere) == [] and not resuming.done()  # it has not started

    clock.advance(60)  # both predictions finish on the server
    status, *_ = generating.result(timeout=DEADLINE)
    resumed, *images = resuming.result(timeout=DEADLINE)
    assert "succeeded" in status.lower() and "succeeded" in resumed.lower()
    assert images[0] is not None
    # its first request came after the generate's last (its image download)
    assert min(about(sim, elsewhere)) > max(about(sim, generated))


def test_an_upload_over_10_mb_is_refused_by_the_server(served, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024 + 1))
    with big.open("rb") as body:
        answer = requests.post(
            f"{served.url}gradio_api/upload",
            files={"files": ("big.png", body, "image/png")},
            timeout=60,
        )
    assert answer.status_code == 413
    assert "maximum allowed size of 10485760 bytes" in answer.text
