"""The offline simulator, exercised over real HTTP on 127.0.0.1 with requests."""

from __future__ import annotations

import io
import json
import re
import signal
import socket
import subprocess
import threading
import time
from datetime import datetime

import pytest
import requests
from PIL import Image

import comet.simulator.demo as demo_module
from comet.simulator import Simulator, demo_simulator, render_image
from tests.support import DEADLINE, FIXTURES, clean_env, start_python, wait_for

KEY = "test-key-123456"
TERMINAL = {"succeeded", "failed", "canceled"}
DELAY_LONGER_THAN_ANY_STALL = 60.0  # a hung answer; stop() cuts it short


@pytest.fixture
def sim():
    """An instant simulator: the first poll already sees the final state."""
    with Simulator(time_scale=0.0, image_size=256) as simulator:
        yield simulator


@pytest.fixture
def http():
    """A keep-alive session that sends a Bearer key, like the real client."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {KEY}"
        yield session


def create_url(sim: Simulator, model: str = "flux-schnell", owner: str = "black-forest-labs"):
    return f"{sim.base_url}/replicate/v1/models/{owner}/{model}/predictions"


def create(http, sim, model: str = "flux-schnell", **inputs) -> dict:
    inputs.setdefault("prompt", "A paper boat floating on calm water at sunrise.")
    response = http.post(create_url(sim, model), json={"input": inputs}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def wait(http, prediction: dict) -> dict:
    """Poll until terminal, within the suite's deadline."""

    def terminal():
        body = http.get(prediction["urls"]["get"], timeout=5).json()
        return body if body["status"] in TERMINAL else None

    return wait_for(terminal, f"prediction {prediction['id']} to end")


def run(http, sim, model: str = "flux-schnell", **inputs) -> dict:
    return wait(http, create(http, sim, model, **inputs))


def fetch_image(url: str) -> tuple[requests.Response, Image.Image]:
    response = requests.get(url, timeout=5)  # delivery URLs are public: no auth
    assert response.status_code == 200, response.text
    return response, Image.open(io.BytesIO(response.content))


def first_output(done: dict) -> str:
    return done["output"][0] if isinstance(done["output"], list) else done["output"]


# --- create and poll ------------------------------------------------------------------------


def test_create_answers_starting_in_the_documented_shape(sim, http):
    body = create(http, sim)
    fixture = json.loads((FIXTURES / "create_flux_schnell.json").read_text())
    assert list(body) == list(fixture)
    assert re.fullmatch(r"[a-z0-9]{26}", body["id"])
    assert body["model"] == "black-forest-labs/flux-schnell"
    assert (body["version"], body["status"], body["output"], body["logs"]) == (
        "hidden",
        "starting",
        None,
        "",
    )
    assert body["error"] is None and body["data_removed"] is False and body["source"] == "api"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])
    datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    get = f"{sim.base_url}/replicate/v1/predictions/{body['id']}"
    assert body["urls"] == {"get": get, "cancel": get + "/cancel"}


def test_schnell_succeeds_with_a_list_honouring_num_outputs(sim, http):
    done = run(http, sim, num_outputs=3, seed=42)
    assert done["status"] == "succeeded"
    assert isinstance(done["output"], list) and len(done["output"]) == 3
    assert done["metrics"]["image_count"] == 3 and "predict_time" in done["metrics"]
    assert done["started_at"] and done["completed_at"]
    assert done["logs"].startswith("Using seed: 42\n")
    assert "Total safe images: 3 out of 3\n" in done["logs"]
    assert re.search(r"generate image took \d+\.\d\d seconds\n$", done["logs"])
    assert len({fetch_image(url)[0].content for url in done["output"]}) == 3


def test_drawing_ahead_has_the_images_ready_before_anyone_downloads_them(http):
    durations = {"flux-schnell": (0.2, 0.2)}
    with Simulator(image_size=64, durations=durations, draw_ahead=True) as ahead:
        created = create(http, ahead, num_outputs=2, seed=7)
        record = ahead.predictions[created["id"]]
        wait_for(lambda: len(record.images) == 2, "both images drawn while the run goes on")
        done = wait(http, created)
        assert [fetch_image(url)[0].content for url in done["output"]] == [
            record.images[0],
            record.images[1],
        ]
    with Simulator(image_size=64, durations=durations) as lazy:
        done = wait(http, create(http, lazy, seed=7))
        assert lazy.predictions[done["id"]].images == {}  # drawn on the first download only


@pytest.mark.parametrize(
    "model",
    ["flux-pro", "flux-1.1-pro", "flux-1.1-pro-ultra", "flux-kontext-max", "flux-2-dev"],
)
def test_other_models_answer_a_single_url_string(sim, http, model):
    done = run(http, sim, model)
    assert done["status"] == "succeeded"
    assert isinstance(done["output"], str)
    fetch_image(done["output"])


def test_unseeded_runs_log_a_seed(sim, http):
    done = run(http, sim, "flux-dev")
    assert re.match(r"Using seed: \d+\n", done["logs"])


def test_logs_show_the_requested_number_of_steps(sim, http):
    done = run(http, sim, "flux-dev", num_inference_steps=7)
    assert re.search(r"100%\|█{10}\| 7/7 ", done["logs"])
    assert "8/" not in done["logs"]


# --- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "inputs", "size"),
    [
        ("flux-schnell", {"aspect_ratio": "16:9"}, (256, 144)),
        ("flux-schnell", {"aspect_ratio": "9:16"}, (144, 256)),
        ("flux-schnell", {}, (256, 256)),
        ("flux-dev", {"megapixels": "0.25"}, (128, 128)),
        ("flux-pro", {"aspect_ratio": "custom", "width": 320, "height": 288}, (320, 288)),
        ("flux-2-pro", {"aspect_ratio": "custom", "width": 400, "height": 300}, (400, 300)),
        ("flux-1.1-pro-ultra", {"aspect_ratio": "21:9"}, (256, 112)),
        ("flux-kontext-pro", {}, (256, 256)),  # match_input_image without an input image
    ],
)
def test_aspect_ratio_sets_the_image_size(sim, http, model, inputs, size):
    done = run(http, sim, model, **inputs)
    assert fetch_image(first_output(done))[1].size == size


@pytest.mark.parametrize(
    ("model", "fmt", "content_type", "pil_format"),
    [
        ("flux-schnell", None, "image/webp", "WEBP"),
        ("flux-schnell", "jpg", "image/jpeg", "JPEG"),
        ("flux-schnell", "png", "image/png", "PNG"),
        ("flux-1.1-pro-ultra", None, "image/jpeg", "JPEG"),
        ("flux-kontext-pro", None, "image/png", "PNG"),
    ],
)
def test_output_format_sets_extension_and_content_type(
    sim, http, model, fmt, content_type, pil_format
):
    inputs = {"output_format": fmt} if fmt else {}
    url = first_output(run(http, sim, model, **inputs))
    assert url.endswith("." + {"WEBP": "webp", "JPEG": "jpg", "PNG": "png"}[pil_format])
    response, image = fetch_image(url)
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(response.content))
    assert image.format == pil_format


def test_same_prompt_and_seed_give_the_same_bytes(sim, http):
    first = run(http, sim, prompt="a red fox", seed=7)
    second = run(http, sim, prompt="a red fox", seed=7)
    other = run(http, sim, prompt="a red fox", seed=8)
    assert first["id"] != second["id"]
    one, two, three = (fetch_image(p["output"][0])[0].content for p in (first, second, other))
    assert one == two and one != three


def test_render_image_is_deterministic_in_the_requested_size_and_format():
    def draw(**changes):
        options = {"model": "m", "prompt": "a long prompt " * 40, "seed": 1, "index": 0}
        options.update(changes)
        return render_image(size=(512, 288), output_format="png", **options)

    image = Image.open(io.BytesIO(draw()))
    assert (image.format, image.size) == ("PNG", (512, 288))
    assert draw() == draw()
    assert draw(seed=2) != draw() and draw(index=1) != draw()


# --- refusals -------------------------------------------------------------------------------


def test_missing_or_empty_bearer_token_is_401_in_cometapi_shape(sim):
    url = create_url(sim)
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
        response = requests.post(url, json={"input": {"prompt": "x"}}, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "Invalid token"
        assert response.json()["error"]["type"] == "comet_api_error"
    assert sim.predictions == {}


def test_a_configured_key_refuses_others_without_echoing_them():
    with Simulator(time_scale=0, image_size=64, api_key=KEY) as sim:
        wrong = "sk-wrong-secret-999"
        response = requests.get(
            f"{sim.base_url}/replicate/v1/predictions/abc",
            headers={"Authorization": f"Bearer {wrong}"},
            timeout=5,
        )
        assert response.status_code == 401 and wrong not in response.text
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {KEY}"
            assert run(http, sim)["status"] == "succeeded"


def test_unknown_prediction_is_404_in_replicate_shape(sim, http):
    response = http.get(f"{sim.base_url}/replicate/v1/predictions/nosuchid", timeout=5)
    assert response.status_code == 404
    assert response.json() == {
        "title": "Not found",
        "detail": "Prediction not found",
        "status": 404,
    }


@pytest.mark.parametrize(
    ("owner", "model"),
    [("black-forest-labs", "flux-9"), ("someone", "flux-schnell"), ("black-forest-labs", "a$b")],
)
def test_unknown_model_is_404_in_cometapi_shape(sim, http, owner, model):
    response = http.post(create_url(sim, model, owner), json={"input": {"prompt": "x"}}, timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "comet_api_error"


@pytest.mark.parametrize(
    "data", [b"not json", b"[1, 2]", b'{"prompt": "no input"}', b'{"input": "a string"}']
)
def test_a_body_without_an_input_object_is_400(sim, http, data):
    headers = {"Content-Type": "application/json"}
    response = http.post(create_url(sim), data=data, headers=headers, timeout=5)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "comet_api_error" and error["code"] == "invalid_request"
    assert error["param"] == ""


@pytest.mark.parametrize("prompt", [None, "", "   "])
def test_a_missing_prompt_is_422_in_replicate_shape(sim, http, prompt):
    inputs = {} if prompt is None else {"prompt": prompt}
    response = http.post(create_url(sim), json={"input": inputs}, timeout=5)
    assert response.status_code == 422
    assert response.json() == {
        "title": "Input validation failed",
        "detail": "- input.prompt: prompt is required",
        "status": 422,
    }


@pytest.mark.parametrize(
    ("model", "inputs", "line"),
    [
        ("flux-schnell", {"num_outputs": 5}, "num_outputs: Must be less than or equal to 4"),
        ("flux-dev", {"num_outputs": 0}, "num_outputs: Must be greater than or equal to 1"),
        ("flux-schnell", {"num_outputs": "2"}, "num_outputs: Invalid type. Expected: integer"),
        ("flux-schnell", {"num_outputs": 1.5}, "num_outputs: Invalid type. Expected: integer"),
        ("flux-schnell", {"go_fast": "true"}, "go_fast: Invalid type. Expected: boolean"),
        ("flux-dev", {"guidance": "3"}, "guidance: Invalid type. Expected: number"),
        ("flux-schnell", {"aspect_ratio": "7:3"}, "aspect_ratio: aspect_ratio must be one of the"),
        ("flux-pro", {"aspect_ratio": "21:9"}, "aspect_ratio: aspect_ratio must be one of the"),
        ("flux-schnell", {"output_format": "gif"}, "output_format: output_format must be one of"),
        ("flux-1.1-pro-ultra", {"output_format": "webp"}, "output_format: output_format must"),
        ("flux-pro", {"width": 100}, "width: Must be greater than or equal to 256"),
        ("flux-dev", {"image": "cat.png"}, "image: Does not match format 'uri'"),
        ("flux-2-dev", {"input_images": "data:x"}, "input_images: Invalid type. Expected: array"),
        ("flux-schnell", {"prompt": 5}, "prompt: Invalid type. Expected: string, given: integer"),
    ],
)
def test_bad_values_are_422_naming_the_field(sim, http, model, inputs, line):
    response = http.post(
        create_url(sim, model), json={"input": {"prompt": "x", **inputs}}, timeout=5
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"- input.{line}")
    assert sim.predictions == {}


def test_every_problem_is_listed_one_line_each(sim, http):
    inputs = {"prompt": "", "num_outputs": 9, "seed": "1", "unknown_field": "ignored"}
    response = http.post(create_url(sim), json={"input": inputs}, timeout=5)
    assert response.status_code == 422
    assert response.json()["detail"].splitlines() == [
        "- input.prompt: prompt is required",
        "- input.num_outputs: Must be less than or equal to 4",
        "- input.seed: Invalid type. Expected: integer, given: string",
    ]


def test_created_inputs_lists_accepted_creates_and_echoes_unknown_fields(sim, http):
    http.post(create_url(sim), json={"input": {"prompt": ""}}, timeout=5)
    body = create(http, sim, prompt="one", extra_field={"kept": True})
    create(http, sim, "flux-dev", prompt="two")
    assert body["input"]["extra_field"] == {"kept": True}
    assert [item["prompt"] for item in sim.created_inputs()] == ["one", "two"]


# --- fault injection ------------------------------------------------------------------------


def test_a_429_fault_throttles_without_creating(sim, http):
    sim.add_fault("create", status=429, retry_after=2, times=2)
    for _ in range(2):
        response = http.post(create_url(sim), json={"input": {"prompt": "x"}}, timeout=5)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"
        assert response.json()["title"] == "Request was throttled"
        assert response.json()["retry_after"] == 2 and response.json()["status"] == 429
    assert sim.predictions == {} and sim.created_inputs() == []
    create(http, sim)
    assert len(sim.predictions) == 1


def test_a_5xx_fault_answers_an_html_page(sim, http):
    prediction = create(http, sim)
    sim.add_fault("get", status=502)
    response = http.get(prediction["urls"]["get"], timeout=5)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == "<html><body><h1>502 Bad Gateway</h1></body></html>"
    assert wait(http, prediction)["status"] == "succeeded"


def test_a_4xx_fault_answers_in_replicate_shape(sim, http):
    sim.add_fault("create", status=403)
    response = http.post(create_url(sim), json={"input": {"prompt": "x"}}, timeout=5)
    assert response.status_code == 403
    assert response.json() == {"title": "Forbidden", "detail": "Forbidden", "status": 403}


def test_a_fault_can_carry_its_own_body(sim, http):
    sim.add_fault("create", status=503, body='{"oops": 1}', content_type="application/json")
    response = http.post(create_url(sim), json={"input": {"prompt": "x"}}, timeout=5)
    assert response.status_code == 503 and response.json() == {"oops": 1}


def test_a_delay_fault_hangs_the_poll(sim, http):
    prediction = create(http, sim)
    sim.add_fault("get", delay=DELAY_LONGER_THAN_ANY_STALL)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(prediction["urls"]["get"], timeout=(5, 0.2))
    # The fault is used up: the next poll is answered at once.
    assert http.get(prediction["urls"]["get"], timeout=5).json()["status"] == "succeeded"


def test_a_delay_fault_answers_normally_after_the_delay(sim, http):
    prediction = create(http, sim)
    sim.add_fault("get", delay=0.2)
    start = time.monotonic()
    assert http.get(prediction["urls"]["get"], timeout=30).json()["status"] == "succeeded"
    assert time.monotonic() - start >= 0.2  # a lower bound: a busy machine only adds to it


def test_a_malformed_fault_answers_truncated_json(sim, http):
    prediction = create(http, sim)
    sim.add_fault("get", malformed=True)
    response = http.get(prediction["urls"]["get"], timeout=5)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_a_drop_fault_closes_the_connection(sim, http):
    sim.add_fault("create", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.post(create_url(sim), json={"input": {"prompt": "x"}}, timeout=5)
    assert sim.predictions == {}
    create(http, sim)  # the session recovers on a fresh connection


def test_a_status_value_fault_reports_an_odd_status(sim, http):
    prediction = create(http, sim)
    sim.add_fault("get", status_value="weird")
    assert http.get(prediction["urls"]["get"], timeout=5).json()["status"] == "weird"
    assert http.get(prediction["urls"]["get"], timeout=5).json()["status"] == "succeeded"


def test_a_file_fault_hits_the_delivery_url(sim, http):
    url = run(http, sim)["output"][0]
    sim.add_fault("file", status=503)
    assert requests.get(url, timeout=5).status_code == 503
    fetch_image(url)


def test_clear_faults_forgets_queued_faults(sim, http):
    prediction = create(http, sim)
    sim.add_fault("get", status=502, times=3)
    sim.clear_faults()
    assert http.get(prediction["urls"]["get"], timeout=5).status_code == 200


@pytest.mark.parametrize(("route", "times"), [("upload", 1), ("get", 0)])
def test_add_fault_refuses_an_unknown_route_or_no_times(sim, route, times):
    with pytest.raises(ValueError):
        sim.add_fault(route, status=500, times=times)


# --- endings --------------------------------------------------------------------------------


def test_fail_next_fails_only_the_next_prediction(sim, http):
    sim.fail_next("NSFW content detected")
    failed = run(http, sim)
    assert failed["status"] == "failed" and failed["error"] == "NSFW content detected"
    assert failed["output"] is None and failed["completed_at"]
    assert run(http, sim)["status"] == "succeeded"


def test_fail_next_can_end_canceled(sim, http):
    sim.fail_next("stopped upstream", status="canceled")
    done = run(http, sim)
    assert (done["status"], done["error"], done["output"]) == ("canceled", "stopped upstream", None)


def test_expire_outputs_makes_every_url_so_far_gone(sim, http):
    old = run(http, sim)["output"][0]
    sim.expire_outputs()
    assert requests.get(old, timeout=5).status_code == 410
    fetch_image(run(http, sim)["output"][0])


def test_unknown_delivery_urls_are_404(sim, http):
    url = run(http, sim)["output"][0]
    assert requests.get(url.replace("out-0", "out-3"), timeout=5).status_code == 404
    assert requests.get(url.replace(".webp", ".png"), timeout=5).status_code == 404


# --- server behaviour -----------------------------------------------------------------------


def test_restart_keeps_predictions_and_the_port(http):
    sim = Simulator(time_scale=0, image_size=64).start()
    try:
        prediction = create(http, sim)
        port, base_url = sim.port, sim.base_url
        sim.stop()
        assert not sim.running
        with pytest.raises(requests.exceptions.ConnectionError):
            http.get(prediction["urls"]["get"], timeout=2)
        sim.start()
        assert (sim.port, sim.base_url) == (port, base_url)
        assert wait(http, prediction)["status"] == "succeeded"
    finally:
        sim.stop()


def test_base_url_needs_a_start_and_only_loopback_binds():
    with pytest.raises(RuntimeError):
        Simulator().base_url  # noqa: B018 - the property is what is tested
    with pytest.raises(ValueError):
        Simulator(host="0.0.0.0")  # noqa: S104 - refused, which is the point
    with pytest.raises(ValueError):
        Simulator(time_scale=-1)


def test_stop_cuts_a_hung_answer_short(http):
    sim = Simulator(time_scale=0, image_size=64).start()
    try:
        prediction = create(http, sim)
        sim.add_fault("get", delay=DELAY_LONGER_THAN_ANY_STALL)
        errors = []

        def poll():
            try:
                http.get(prediction["urls"]["get"], timeout=DELAY_LONGER_THAN_ANY_STALL * 2)
            except requests.exceptions.RequestException as exc:
                errors.append(exc)

        poller = threading.Thread(target=poll)
        poller.start()
        wait_for(lambda: len(sim.received) == 2, "the poll to reach the simulator")
    finally:
        sim.stop()
    poller.join(timeout=DELAY_LONGER_THAN_ANY_STALL / 2)
    assert not poller.is_alive(), "stop() left the delayed answer hanging"
    assert len(errors) == 1


def test_received_records_every_request(sim, http):
    prediction = create(http, sim, prompt="recorded")
    http.get(prediction["urls"]["get"], timeout=5)
    first, second = sim.received
    assert first.method == "POST" and first.path.endswith("/flux-schnell/predictions")
    assert first.json == {"input": {"prompt": "recorded"}}
    assert json.loads(first.body) == first.json
    assert first.headers["Authorization"] == f"Bearer {KEY}"
    assert second.method == "GET" and second.json is None


def test_the_server_prints_nothing_and_survives_early_disconnects(sim, http, capfd):
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as raw:
        raw.sendall(b"POST /replicate/v1/models/black-forest-labs/flux-schnell/predictions ")
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as raw:
        raw.sendall(b"GET /replicate/v1/predictions/x HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
    run(http, sim)
    requests.get(f"{sim.base_url}/replicate/v1/predictions/x", timeout=5)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert KEY not in out + err
    assert sim.errors == []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_main_serves_until_interrupted(tmp_path):
    process = start_python(
        ["-m", "comet.simulator", "--time-scale", "0", "--api-key", KEY],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a runner started in the background (nohup … &) passes SIGINT on
        # ignored, and Python then never turns Ctrl-C into KeyboardInterrupt.
        preexec_fn=_default_sigint,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {KEY}"
            response = http.post(
                f"{base_url}/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
                json={"input": {"prompt": "from the command line"}},
                timeout=5,
            )
            assert response.status_code == 201
        process.send_signal(signal.SIGINT)
        # communicate() drains both pipes: a process blocked on a full pipe never exits.
        _, stderr = process.communicate(timeout=DEADLINE)
        assert process.returncode == 0, stderr
        assert KEY not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --- the process-wide demo simulator --------------------------------------------------------


@pytest.fixture
def fresh_demo(monkeypatch):
    """No demo simulator yet; the one a test starts is stopped and forgotten after it."""
    monkeypatch.setattr(demo_module, "_demo", None)
    yield
    if demo_module._demo is not None:
        demo_module._demo.stop()


def test_demo_simulator_starts_one_shared_simulator(fresh_demo, http, monkeypatch):
    monkeypatch.setenv("COMET_DEMO_TIME_SCALE", "7")  # the caller decides, not the environment
    started = []
    threads = [
        threading.Thread(target=lambda: started.append(demo_simulator(time_scale=0)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [sim] = {id(s): s for s in started}.values()
    assert len(started) == 4 and sim.running and sim.time_scale == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.base_url)
    assert demo_simulator(time_scale=3) is sim
    assert run(http, sim)["status"] == "succeeded"
