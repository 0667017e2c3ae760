"""The public API (webui/api.py) through gradio_client, as a program calls it.

One app on the fast simulator serves the module, with an owner key, so every run reaches the
simulator and what was sent (and with which key) can be read there. MCP is in test_mcp.py.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.support import creates, free_port

OWNER_KEY = "sk-owner-0123456789abcdef"
CALLER_KEY = "sk-caller-fedcba9876543210"


@pytest.fixture(scope="module")
def sim():
    with Simulator(time_scale=0.0, image_size=64) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def served(sim, tmp_path_factory):
    """(app, url): the app launched on loopback, runs going to the simulator."""
    from webui import build_app

    folder = tmp_path_factory.mktemp("api")
    settings = AppSettings(
        owner_key=OWNER_KEY, base_url=sim.base_url, output_dir=folder, poll_interval=0.02
    )
    app = build_app(settings)
    port = free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
    yield app, f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture(scope="module")
def client(served, tmp_path_factory):
    made = Client(served[1], verbose=False, download_files=str(tmp_path_factory.mktemp("dl")))
    yield made
    made.close()


@pytest.fixture
def sent(sim):
    """The create requests the simulator receives during the test."""
    before = len(creates(sim))
    return lambda: creates(sim)[before:]


def test_only_the_four_endpoints_are_public_each_with_at_most_8_parameters(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/generate", "/compare", "/get_prediction", "/list_models"}
    assert all(len(e["parameters"]) <= 8 for e in endpoints.values())
    names = [p["parameter_name"] for p in endpoints["/generate"]["parameters"]]
    assert names == ["prompt", "model", "aspect_ratio", "seed", "inputs", "image_url"]


def test_generate_with_a_prompt_and_a_model_alone_returns_images_seed_and_id(client, sent):
    status, seed, prediction_id, *images = client.predict(
        prompt="a paper boat", model="flux-dev", api_name="/generate"
    )
    (create,) = sent()
    assert create.path.endswith("/models/black-forest-labs/flux-dev/predictions")
    assert create.json == {"input": {"prompt": "a paper boat", "seed": seed}}
    assert prediction_id in status and "flux-dev" in status and str(seed) in status
    assert Path(images[0]).stat().st_size > 0 and images[1:] == [None, None, None]
    assert create.headers["Authorization"] == f"Bearer {OWNER_KEY}"


def test_inputs_go_by_their_api_names_with_aspect_ratio_and_seed(client, sent):
    _, seed, _, *images = client.predict(
        prompt="two boats",
        model="black-forest-labs/flux-schnell",
        aspect_ratio="16:9",
        seed=7,
        inputs={"num_outputs": 2, "output_format": "png"},
        api_name="/generate",
    )
    (create,) = sent()
    assert create.json["input"] == {
        "prompt": "two boats",
        "aspect_ratio": "16:9",
        "num_outputs": 2,
        "seed": 7,
        "output_format": "png",
    }
    assert seed == 7
    assert [Path(i).suffix for i in images if i] == [".png", ".png"]


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"guidence": 3}, ['"guidence"', '"guidance"', "Valid inputs"]),
        ({"num_outputs": 9}, ['"num_outputs"', "between 1 and 4", "9"]),
        ({"output_format": "gif"}, ['"output_format"', "webp", "gif"]),
    ],
)
def test_a_bad_field_in_inputs_is_refused_naming_it_before_anything_is_sent(
    client, sent, inputs, words
):
    with pytest.raises(AppError) as refused:
        client.predict(prompt="x", model="flux-dev", inputs=inputs, api_name="/generate")
    assert all(word in str(refused.value) for word in words), str(refused.value)
    assert sent() == []


def test_an_unknown_model_is_refused_with_the_models_it_can_run(client, sent):
    with pytest.raises(AppError, match="flux-schnell, flux-dev"):
        client.predict(prompt="x", model="dall-e", api_name="/generate")
    assert sent() == []


def test_an_image_url_goes_to_the_models_own_image_input(client, sent):
    url = "https://example.com/a.png"
    client.predict(prompt="edit", model="flux-kontext-pro", image_url=url, api_name="/generate")
    client.predict(prompt="mix", model="flux-2-pro", image_url=f"{url} {url}", api_name="/generate")
    kontext, flux2 = sent()
    assert kontext.json["input"]["input_image"] == url
    assert flux2.json["input"]["input_images"] == [url, url]
    with pytest.raises(AppError, match="takes no input image"):
        client.predict(prompt="x", model="flux-schnell", image_url=url, api_name="/generate")
    with pytest.raises(AppError, match="https"):
        client.predict(prompt="x", model="flux-dev", image_url="ftp://x", api_name="/generate")


def test_compare_runs_each_model_with_one_seed_and_returns_a_column_each(client, sent):
    status, image_1, note_1, image_2, note_2, *rest = client.predict(
        prompt="a lighthouse", models=["flux-schnell", "flux-dev"], seed=11, api_name="/compare"
    )
    models = sorted(c.path.split("/models/")[1] for c in sent())
    assert models == [
        "black-forest-labs/flux-dev/predictions",
        "black-forest-labs/flux-schnell/predictions",
    ]
    assert all(c.json["input"]["seed"] == 11 for c in sent())
    assert "2 of 2" in status and Path(image_1).exists() and Path(image_2).exists()
    assert "Succeeded" in note_1 and rest == [None] * 4
    with pytest.raises(AppError, match="2 to 4 models"):
        client.predict(prompt="x", models=["flux-dev"], api_name="/compare")


def test_get_prediction_returns_a_finished_runs_images(client):
    _, _, prediction_id, first, *_ = client.predict(prompt="a fox", api_name="/generate")
    status, image, *rest = client.predict(prediction_id=prediction_id, api_name="/get_prediction")
    assert prediction_id in status and "succeeded" in status
    assert Path(image).read_bytes() == Path(first).read_bytes() and rest == [None] * 3
    with pytest.raises(AppError):
        client.predict(prediction_id="no-such-id", api_name="/get_prediction")


def test_list_models_gives_every_model_with_its_fields(client):
    models = client.predict(api_name="/list_models")
    assert len(models) == 10
    dev = next(m for m in models if m["name"] == "flux-dev")
    guidance = next(f for f in dev["fields"] if f["name"] == "guidance")
    assert (guidance["minimum"], guidance["maximum"], guidance["default"]) == (0, 10, 3.0)
    assert dev["image_input"] == "image"


def test_a_callers_own_key_is_billed_and_appears_nowhere(served, sim, sent, caplog):
    app, url = served
    caplog.set_level(logging.DEBUG)
    own = Client(url, verbose=False, headers={"X-Comet-Api-Key": CALLER_KEY})
    try:
        result = own.predict(prompt="on my key", api_name="/generate")
    finally:
        own.close()
    (create,) = sent()
    assert create.headers["Authorization"] == f"Bearer {CALLER_KEY}"
    prediction_id = result[2]
    folder = app.services.output_dir
    written = [p.read_bytes() for p in folder.iterdir() if p.is_file()]
    with sqlite3.connect(folder / "history.sqlite3") as db:
        written += [repr(row).encode() for row in db.execute("select * from predictions")]
    assert any(prediction_id.encode() in blob for blob in written)  # the files are there
    assert not any(CALLER_KEY.encode() in blob for blob in written)
    assert CALLER_KEY not in repr(result) and CALLER_KEY not in caplog.text


def test_a_key_is_required_when_the_app_asks_for_one_naming_the_header(sim, tmp_path):
    import gradio as gr

    from webui import build_app

    settings = AppSettings(base_url=sim.base_url, output_dir=tmp_path, require_user_key=True)
    app = build_app(settings)
    try:
        with pytest.raises(gr.Error, match="X-Comet-Api-Key"):
            app.api_handlers.generate_image("x")
    finally:
        app.close()
