"""The app end to end (issues 3 and 4): launched on 127.0.0.1, driven through gradio_client.

Every test launches the real Blocks app against its own simulator and calls `/generate` (or
`/resume`) the way an API caller or the page does. Private events (the request preview, the
Stop message) are reached the way the page reaches them: a POST to the queue with the event's
fn_index and the caller's session hash, then its event stream (gradio_client refuses
private events).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from gradio_client import Client, handle_file
from PIL import Image

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.support import DEADLINE, FakeClock, creates, wait_for

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"
PRO = "black-forest-labs/flux-1.1-pro"
KONTEXT = "black-forest-labs/flux-kontext-pro"
FLUX2 = "black-forest-labs/flux-2-pro"
FLUX2_DEV = "black-forest-labs/flux-2-dev"
# Handler parameters whose component has a different elem_id (every model field's elem_id is
# its parameter name, e.g. flux_dev__num_outputs).
ELEM_IDS = {"randomize_seed": "randomize-seed", "extra_input": "extra-input"}


# -- helpers ----------------------------------------------------------------------------------


def image_size(path: str | Path) -> tuple[int, int]:
    """Open a file as an image (it must decode in full) and return its size."""
    with Image.open(path) as image:
        image.load()
        return image.size


def data_uri_image_size(uri: str) -> tuple[int, int]:
    """Decode a data: URI as an image and return its size."""
    header, _, payload = uri.partition(",")
    assert header.startswith("data:image/") and header.endswith(";base64"), header
    with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
        image.load()
        return image.size


def write_png(path: Path, size: tuple[int, int] = (48, 32), color=(30, 140, 200)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def demo_settings(tmp_path: Path, **kwargs: Any) -> AppSettings:
    """Demo mode (no owner key), polling fast, saving into tmp."""
    kwargs.setdefault("poll_interval", 0.02)
    return AppSettings(output_dir=tmp_path / "outputs", **kwargs)


@pytest.fixture
def start(connect, launch_app):
    """launch_app, set up after conftest's `connect` so that the apps close before the Clients.

    A Client's close() waits up to 1 s for its heartbeat stream, which ends at once when the
    server has gone.
    """
    return launch_app


@pytest.fixture
def sim():
    with Simulator(time_scale=0.0, image_size=256) as simulator:
        yield simulator


def generate(api: Client, **kwargs: Any) -> tuple:
    kwargs.setdefault("prompt", "a paper boat at sunrise")
    kwargs.setdefault("model", SCHNELL)
    return api.predict(api_name="/generate", **kwargs)


def call_event(url: str, api_name: str, session_hash: str, **values: Any) -> tuple[str, dict]:
    """Run one event as the page does, private ones included; (raw event stream, last message).

    Inputs not given keep their component's initial value from /config; gr.State inputs are
    sent as None, and the server uses the session's own state instead.
    """
    config = requests.get(f"{url}config", timeout=30).json()
    components = {c["id"]: c for c in config["components"]}
    index, dependency = next(
        (i, d) for i, d in enumerate(config["dependencies"]) if d.get("api_name") == api_name
    )
    by_elem_id = {ELEM_IDS.get(name, name): value for name, value in values.items()}
    data = []
    for component_id in dependency["inputs"]:
        component = components[component_id]
        props = component.get("props", {})
        if component["type"] == "state":
            data.append(None)
            continue
        data.append(by_elem_id.pop(props.get("elem_id"), props.get("value")))
    assert by_elem_id == {}, f"no input of {api_name} has these elem_ids: {list(by_elem_id)}"
    joined = requests.post(
        f"{url}gradio_api/queue/join",
        json={
            "data": data,
            "fn_index": index,
            "session_hash": session_hash,
            "event_data": None,
            "trigger_id": dependency["targets"][0][0],
        },
        timeout=30,
    )
    joined.raise_for_status()
    event_id = joined.json()["event_id"]
    raw: list[str] = []
    with requests.get(
        f"{url}gradio_api/queue/data",
        params={"session_hash": session_hash},
        stream=True,
        timeout=DEADLINE,
    ) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            raw.append(line)
            if not line.startswith("data:"):
                continue
            message = json.loads(line.removeprefix("data:"))
            if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                return "\n".join(raw), message
    raise AssertionError(f"the event stream of {api_name} ended without process_completed")


# -- issue 3: the generate flow ---------------------------------------------------------------


def test_demo_mode_generates_real_images_saved_with_sidecar_and_history(
    start, sim, connect, tmp_path
):
    demo, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)

    status, gallery, seed = generate(connect(url), prompt="a lighthouse in a storm")

    assert "Succeeded" in status, status
    assert "demo placeholder" in status
    [prediction_id] = sim.predictions
    assert seed == sim.predictions[prediction_id].seed
    assert f"seed {seed}" in status
    # gallery items are local files (downloaded from the app), and real images
    [item] = gallery
    assert Path(item["image"]).is_file()
    assert image_size(item["image"]) == (256, 256)
    # the image and the JSON sidecar are in the output folder
    out = tmp_path / "outputs"
    [saved] = sorted(out.glob(f"{prediction_id}-*"))
    assert image_size(saved) == (256, 256)
    sidecar = json.loads((out / f"{prediction_id}.json").read_text())
    assert sidecar["id"] == prediction_id
    assert sidecar["input"]["prompt"] == "a lighthouse in a storm"
    # and history has it, finished, with its file
    entry = demo.services.history.get(prediction_id)
    assert entry.status == "succeeded"
    assert entry.files == [str(saved.resolve())]
    assert entry.prompt == "a lighthouse in a storm"


def test_a_failed_prediction_shows_the_models_error_and_the_app_stays_usable(
    start, sim, connect, tmp_path
):
    demo, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)
    api = connect(url)
    sim.fail_next("Content moderated: the prompt was flagged by the safety filter.")

    status, gallery, _ = generate(api, prompt="something flagged")

    assert "Content moderated: the prompt was flagged by the safety filter." in status
    assert "could not make this image" in status
    assert "Traceback" not in status
    [failed_id] = sim.predictions
    assert failed_id in status
    assert not gallery or gallery == {"__type__": "update"}  # gr.skip(): gallery untouched
    assert demo.services.history.get(failed_id).status == "failed"

    status, gallery, _ = generate(api, prompt="a calm lake")

    assert "Succeeded" in status, status
    assert len(gallery) == 1
    assert len(sim.predictions) == 2


def test_rate_limited_create_says_wait_then_a_single_429_is_retried_once(
    start, sim, connect, tmp_path
):
    demo, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)
    api = connect(url)

    sim.add_fault("create", status=429, retry_after=1, times=5)
    status, _, _ = generate(api)

    assert "Rate limited" in status, status
    assert "Wait 1 s" in status
    assert "Traceback" not in status
    assert sim.created_inputs() == []
    sim.clear_faults()  # the client gave up before using all five

    before = len(creates(sim))
    sim.add_fault("create", status=429, retry_after=1, times=1)
    status, gallery, _ = generate(api, prompt="after the rate limit")

    assert "Succeeded" in status, status
    assert len(creates(sim)) - before == 2  # the refused create and its retry
    assert [i["prompt"] for i in sim.created_inputs()] == ["after the rate limit"]
    assert len(sim.predictions) == 1
    assert len(gallery) == 1


def test_a_refused_key_says_to_check_comet_api_key(start, connect, tmp_path):
    with Simulator(time_scale=0.0, image_size=256, api_key="right") as sim:
        settings = AppSettings(
            owner_key="sk-wrong-5d1e", base_url=sim.base_url, output_dir=tmp_path / "outputs"
        )
        _, url = start(settings)

        status, _, _ = generate(connect(url))

    assert "COMET_API_KEY" in status, status
    assert "refused" in status
    assert "sk-wrong-5d1e" not in status
    assert "Traceback" not in status
    assert sim.predictions == {}


def test_stop_hands_the_run_to_a_background_follower_that_saves_it(start, connect, tmp_path):
    """Stop = cancel the running /generate event (what the Stop button's `cancels=` does).

    job.cancel() posts to /gradio_api/cancel with the event id, as the page does; the Stop
    button's own message handler is private and is called through the queue in the same session.
    The simulator runs on a fake clock: the prediction finishes only when the test says so.
    """
    clock = FakeClock()
    with Simulator(time_scale=1.0, image_size=256, clock=clock) as sim:
        demo, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)
        api = connect(url)
        job = api.submit(prompt="a slow lighthouse", model=DEV, api_name="/generate")

        def running_status() -> str | None:
            outputs = job.outputs()
            if outputs and "prediction `" in outputs[-1][0]:
                return outputs[-1][0]
            return None

        status = wait_for(running_status, "the status to show a prediction id")
        [prediction_id] = sim.predictions
        assert prediction_id in status
        assert job.cancel()
        wait_for(job.done, "the cancelled job to end")
        assert demo.services.history.get(prediction_id).status in ("starting", "processing")

        _, message = call_event(url, "stop", api.session_hash)
        stop_text = message["output"]["data"][0]  # status; then the gallery and the button
        assert "Stopped waiting" in stop_text
        assert prediction_id in stop_text
        assert "no cancel route" in stop_text

        # Still followed in the background: a Resume now is refused instead of following twice.
        refused, _ = api.predict(prediction_id=prediction_id, api_name="/resume")
        assert "already being followed" in refused, refused
        assert demo.services.history.get(prediction_id).files == []

        clock.advance(60)  # the prediction finishes on the server; nobody waits in the page

        def saved_entry():
            entry = demo.services.history.get(prediction_id)
            return entry if entry.status == "succeeded" and entry.files else None

        entry = wait_for(saved_entry, "the background follower to save the images")

    [saved] = entry.files
    assert Path(saved).parent == (tmp_path / "outputs").resolve()
    assert image_size(saved) == (256, 256)
    assert demo.services.history.unfinished() == []
    assert len(sim.created_inputs()) == 1  # followed to the end, never created again


def test_simultaneous_generate_calls_overlap_instead_of_queuing(start, connect, tmp_path):
    # On a fake clock no prediction can finish until the test moves it: all four creates reach
    # the simulator only if the four runs are in flight at the same time.
    clock = FakeClock()
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        settings = demo_settings(tmp_path, max_concurrent_per_visitor=4)  # all from 127.0.0.1
        _, url = start(settings, demo_base_url=sim.base_url)
        clients = [connect(url) for _ in range(4)]  # each its own session
        jobs = [
            api.submit(prompt=f"run {i}", model=SCHNELL, api_name="/generate")
            for i, api in enumerate(clients)
        ]

        wait_for(lambda: len(sim.created_inputs()) == 4, "all four runs to be created at once")
        assert not any(job.done() for job in jobs)
        all_created = clock.now  # the simulator's time: every create arrived by now
        clock.advance(60)
        results = [job.result(timeout=DEADLINE) for job in jobs]

    assert all("Succeeded" in status for status, _, _ in results), results
    assert sorted(i["prompt"] for i in sim.created_inputs()) == [f"run {i}" for i in range(4)]
    # ...and none of them had completed when the last one was created
    assert all(sim.completion_time(p) > all_created for p in sim.predictions)


# -- issue 4: every family through the API -----------------------------------------------------


def test_one_model_of_each_family_through_gradio_client(start, sim, connect, tmp_path):
    _, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)
    api = connect(url)
    first = write_png(tmp_path / "first.png", color=(200, 40, 40))
    second = write_png(tmp_path / "second.png", color=(40, 200, 40))

    status, gallery, _ = generate(api)  # schnell by default
    assert "Succeeded" in status and len(gallery) == 1, status

    status, gallery, _ = generate(api, model=DEV, flux_dev__num_outputs=2)
    assert "2 images" in status, status
    assert len(gallery) == 2
    assert all(image_size(item["image"]) == (256, 256) for item in gallery)

    status, gallery, _ = generate(api, model=PRO, flux_1_1_pro__aspect_ratio="16:9")
    [item] = gallery
    width, height = image_size(item["image"])
    assert width > height, (width, height)

    status, gallery, _ = generate(
        api, model=KONTEXT, prompt="make it blue", flux_kontext_pro__input_image=handle_file(first)
    )
    assert "Succeeded" in status and len(gallery) == 1, status

    status, gallery, _ = generate(
        api,
        model=FLUX2,
        prompt="combine them",
        flux_2_pro__input_images=[handle_file(first), handle_file(second)],
    )
    assert "Succeeded" in status and len(gallery) == 1, status

    sent = {r.path.split("/models/")[1].removesuffix("/predictions"): r.json for r in creates(sim)}
    assert list(sent) == [SCHNELL, DEV, PRO, KONTEXT, FLUX2]
    assert sent[DEV]["input"]["num_outputs"] == 2
    assert sent[PRO]["input"]["aspect_ratio"] == "16:9"
    assert sent[KONTEXT]["input"]["input_image"].startswith("data:image/")
    assert data_uri_image_size(sent[KONTEXT]["input"]["input_image"]) == (48, 32)
    images = sent[FLUX2]["input"]["input_images"]
    assert isinstance(images, list) and len(images) == 2
    assert all(ref.startswith("data:image/") for ref in images)
    assert images[0] != images[1]
    assert sim.errors == []


# -- issue 4: validation through the app ------------------------------------------------------


def test_bad_values_give_a_message_naming_the_field_and_send_nothing(start, sim, connect, tmp_path):
    _, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)
    api = connect(url)
    pictures = [write_png(tmp_path / f"ref{i}.png", color=(i * 50, 10, 10)) for i in range(5)]
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("a text file renamed .png")

    cases = [
        ({"extra_input": '{"bad": '}, "not valid JSON: Expecting value at line 1, column 9"),
        ({"extra_input": "[1, 2]"}, "must be a JSON object"),
        ({"extra_input": '{"num_outputs": 9}'}, '"num_outputs" must be between 1 and 4, got 9'),
        (
            {"model": DEV, "extra_input": '{"guidance": "lots"}'},
            '"guidance"',
        ),
        (
            {"model": FLUX2_DEV, "flux_2_dev__input_images": [handle_file(p) for p in pictures]},
            '"input_images" takes at most 4 images, got 5',
        ),
        (
            {"model": FLUX2_DEV, "flux_2_dev__input_images": [handle_file(not_an_image)]},
            '"input_images": the upload is not an image',
        ),
        ({"prompt": "   "}, '"prompt" must describe the image you want'),
        # Out of a widget's range or choices: only an API caller can send these (the page's
        # widgets cannot), and the catalogue names the field, not Gradio's generic refusal.
        ({"model": DEV, "flux_dev__guidance": 50}, '"guidance" must be between 0 and 10, got 50'),
        (
            {"model": DEV, "flux_dev__aspect_ratio": "7:3"},
            '"aspect_ratio" must be one of "1:1", "16:9"',
        ),
        ({"model": DEV, "flux_dev__num_outputs": 9}, '"num_outputs" must be between 1 and 4'),
        (
            {"model": DEV, "flux_dev__num_inference_steps": 2.5},
            '"num_inference_steps" must be a whole number between 1 and 50, got 2.5',
        ),
        ({"model": DEV, "flux_dev__go_fast": "maybe"}, '"go_fast" must be true or false'),
        (
            {
                "model": PRO,
                "flux_1_1_pro__aspect_ratio": "custom",
                "flux_1_1_pro__width": 5000,
                "flux_1_1_pro__height": 512,
            },
            '"width" must be between 256 and 1440',
        ),
    ]
    for kwargs, expected in cases:
        status, gallery, _ = generate(api, **kwargs)
        assert status.startswith("**Please check the input.**"), (kwargs, status)
        assert expected in status, (kwargs, status)
        assert "Traceback" not in status

    assert sim.created_inputs() == []
    assert sim.received == []


def test_an_unknown_field_in_extra_json_is_sent_as_the_catalogue_allows(
    start, sim, connect, tmp_path
):
    """models.validate_input lets the extra JSON add fields the catalogue does not know."""
    from comet.models import validate_input

    extra = {"brand_new_option": "on"}
    assert validate_input(SCHNELL, {"prompt": "x"}, extra=extra) == {"prompt": "x", **extra}
    _, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)

    status, gallery, _ = generate(connect(url), extra_input=json.dumps(extra))

    assert "Succeeded" in status, status
    [sent] = sim.created_inputs()
    assert sent["brand_new_option"] == "on"


def test_the_request_preview_is_exactly_what_generate_sends(start, sim, connect, tmp_path):
    _, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)
    api = connect(url)
    values = {
        "prompt": "a lighthouse at dusk",
        "model": DEV,
        "seed": 1234,
        "randomize_seed": False,
        "extra_input": '{"go_fast": false}',
        "flux_dev__num_outputs": 2,
        "flux_dev__guidance": 4.5,
        "flux_dev__aspect_ratio": "3:2",
        "flux_dev__output_format": "png",
    }

    _, message = call_event(url, "preview", api.session_hash, **values)
    preview_json, preview_curl, *_code = message["output"]["data"]
    status, gallery, seed = generate(api, **values)

    assert "Succeeded" in status, status
    assert seed == 1234
    assert len(gallery) == 2
    [create] = creates(sim)
    assert json.loads(preview_json) == create.json
    assert create.json["input"] == {
        "prompt": "a lighthouse at dusk",
        "aspect_ratio": "3:2",
        "num_outputs": 2,
        "seed": 1234,
        "output_format": "png",
        "go_fast": False,
        "guidance": 4.5,
    }
    assert create.path in preview_curl
    assert "$COMET_API_KEY" in preview_curl
    curl_body = preview_curl.split(" -d ", 1)[1].strip().strip("'")
    assert json.loads(curl_body) == create.json


# -- issue 3: key hygiene ----------------------------------------------------------------------


def test_the_owner_key_appears_in_no_response_and_no_log(start, connect, tmp_path, caplog):
    owner_key = "sk-OWNER-leakcheck-7f3a9c"
    caplog.set_level(logging.DEBUG)
    with Simulator(time_scale=0.0, image_size=64, api_key=owner_key) as sim:
        settings = AppSettings(
            owner_key=owner_key,
            base_url=sim.base_url,
            output_dir=tmp_path / "outputs",
            poll_interval=0.02,
        )
        _, url = start(settings)
        bodies = {
            path: requests.get(f"{url}{path}", timeout=30).text
            for path in ("", "config", "gradio_api/info")
        }
        assert "FLUX through CometAPI" in bodies[""]
        assert "/generate" in bodies["gradio_api/info"]

        session = uuid.uuid4().hex[:11]
        bodies["generate stream"], done = call_event(url, "generate", session, prompt="a kite")
        assert "Succeeded" in done["output"]["data"][0]
        sim.fail_next("Content moderated: flagged.")
        bodies["failing stream"], done = call_event(url, "generate", session, prompt="flagged")
        assert "Content moderated" in done["output"]["data"][0]
        bodies["preview stream"], _ = call_event(url, "preview", session, prompt="a preview")
        api = connect(url)
        sim.add_fault("create", status=429, retry_after=0.1, times=1)  # a logged retry
        results = [generate(api, prompt="through the client"), generate(api, prompt="")]
        bodies["gradio_client results"] = json.dumps(results)
        bodies["config after runs"] = requests.get(f"{url}config", timeout=30).text

        # the key really was used: every create carried it
        assert {r.headers["Authorization"] for r in creates(sim)} == {f"Bearer {owner_key}"}

    leaks = [where for where, text in bodies.items() if owner_key in text]
    assert leaks == []
    logged = [f"{r.name}: {r.getMessage()}" for r in caplog.records]
    assert any("/replicate/v1/models/" in line for line in logged)  # app traffic was captured
    assert [line for line in logged if owner_key in line] == []
    assert owner_key not in caplog.text


# -- issue 14: a link that reopens a result ----------------------------------------------------


def test_a_page_without_a_prediction_link_loads_cleanly(start, sim, connect, tmp_path):
    # A page opened without ?prediction= still runs the step; it must change nothing, cleanly.
    _, url = start(demo_settings(tmp_path), demo_base_url=sim.base_url)
    api = connect(url)
    _, message = call_event(url, "open_link", api.session_hash)
    assert message["success"] is True, message
