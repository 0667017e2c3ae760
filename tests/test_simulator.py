"""The offline simulator (comet/simulator): a real HTTP server on 127.0.0.1 that speaks CometAPI's
API as documented (tests/fixtures), checks inputs as the real one does, draws images of the asked
shape, format and count, runs each prediction on a timeline (a FakeClock here), and misbehaves on
request. Exercised with plain `requests`, as any client would.
"""

from __future__ import annotations

import base64
import io
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import zlib
from datetime import datetime

import pytest
import requests
from PIL import Image, ImageStat

import comet.simulator.demo as demo_module
from comet.durations import prediction_seconds
from comet.models import MODELS, get_model, validate_input
from comet.prediction import Prediction
from comet.simulator import MAX_INPUT_PIXELS, Simulator, demo_simulator, main, render_image
from comet.simulator.inputs import TOO_LARGE_PLACEHOLDER, UNREADABLE_PLACEHOLDER, URL_PLACEHOLDER
from tests.support import DEADLINE, FakeClock, clean_env, load_fixture, start_python, wait_for

KEY = "test-key-123456"
SCHNELL = "black-forest-labs/flux-schnell"
HANG = 60.0  # an answer delayed past any client's patience; stop() cuts it short


@pytest.fixture
def http():
    """A keep-alive session that sends a Bearer key, like the real client."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {KEY}"
        yield session


def create_url(sim, model: str = SCHNELL) -> str:
    owner = "" if "/" in model else "black-forest-labs/"
    return f"{sim.base_url}/replicate/v1/models/{owner}{model}/predictions"


def post(http, sim, model: str = SCHNELL, **inputs) -> requests.Response:
    inputs.setdefault("prompt", "A paper boat floating on calm water at sunrise.")
    return http.post(create_url(sim, model), json={"input": inputs}, timeout=5)


def create(http, sim, model: str = SCHNELL, **inputs) -> dict:
    response = post(http, sim, model, **inputs)
    assert response.status_code == 201, response.text
    return response.json()


def poll(http, prediction: dict) -> dict:
    return http.get(prediction["urls"]["get"], timeout=5).json()


def run(http, sim, model: str = SCHNELL, **inputs) -> dict:
    """Create and poll until the end (at time_scale 0 the first poll sees it)."""
    created = create(http, sim, model, **inputs)
    return wait_for(lambda: (b := poll(http, created))["status"] != "starting" and b, "the end")


def first_url(done: dict) -> str:
    return done["output"][0] if isinstance(done["output"], list) else done["output"]


def fetch(url: str) -> tuple[requests.Response, Image.Image]:
    response = requests.get(url, timeout=5)  # delivery URLs are public: no key
    assert response.status_code == 200, response.text
    return response, Image.open(io.BytesIO(response.content))


def data_uri(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def png(size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (220, 20, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def drawn(done: dict, placeholders: list[str]) -> bytes:
    """What the simulator draws for this prediction when its inputs are placeholder tiles."""
    seed = int(re.search(r"Using seed: (\d+)", done["logs"]).group(1))
    ext = first_url(done).rsplit(".", 1)[-1]
    return render_image(
        model=done["model"], prompt=done["input"]["prompt"], seed=seed, index=0,
        size=(256, 256), output_format=ext, input_images=placeholders,
    )  # fmt: skip


# -- the API, as documented ----------------------------------------------------------------------


def test_create_and_poll_answer_in_the_documented_shape(simulator, http):
    created = create(http, simulator, num_outputs=3, seed=42)
    assert list(created) == list(load_fixture("create_flux_schnell.json"))
    assert re.fullmatch(r"[a-z0-9]{26}", created["id"])
    assert (created["model"], created["version"], created["source"]) == (SCHNELL, "hidden", "api")
    assert (created["status"], created["output"], created["logs"]) == ("starting", None, "")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created["created_at"])
    get = f"{simulator.base_url}/replicate/v1/predictions/{created['id']}"
    assert created["urls"] == {"cancel": get + "/cancel", "get": get}

    done = poll(http, created)
    assert set(load_fixture("query_succeeded_list_output.json")) <= set(done)
    assert done["status"] == "succeeded" and done["metrics"]["image_count"] == 3
    assert isinstance(done["metrics"]["predict_time"], float) and done["error"] is None
    moments = [
        datetime.fromisoformat(done[k][:-1]) for k in ("created_at", "started_at", "completed_at")
    ]
    assert moments == sorted(moments)
    assert done["logs"].startswith("Using seed: 42\n")
    assert re.search(
        r"Total safe images: 3 out of 3\ngenerate image took \d+\.\d\d seconds\n$", done["logs"]
    )
    assert len({fetch(url)[0].content for url in done["output"]}) == 3
    assert (Prediction.from_json(done).seed, len(Prediction.from_json(done).output)) == (42, 3)


def test_every_catalogue_model_is_served_with_its_output_shape_and_no_other(simulator, http):
    for model_id, spec in MODELS.items():
        done = run(http, simulator, model_id, **spec.defaults())  # every default, sent explicitly
        assert done["model"] == model_id
        if spec.output == "list":
            assert len(done["output"]) == spec.defaults()["num_outputs"]
            most = int(spec.field("num_outputs").maximum)
            assert len(run(http, simulator, model_id, num_outputs=most)["output"]) == most
        else:
            assert isinstance(done["output"], str)
    for unknown in ("flux-3-imaginary", "someone-else/flux-schnell", "black-forest-labs/a$b"):
        response = post(http, simulator, unknown)
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "comet_api_error"


def test_what_the_apps_validation_sends_is_accepted_and_unknown_inputs_are_echoed(
    simulator, http, client_for
):
    clock = FakeClock()
    client = client_for(simulator, clock=clock, sleep=clock.sleep)
    for model_id, spec in MODELS.items():
        values = validate_input(model_id, {"prompt": "x", **spec.defaults(), "seed": 5})
        assert client.run(model_id, values).succeeded
    assert simulator.created_inputs() == [{"prompt": "x", "seed": 5}] * len(MODELS)
    body = create(http, simulator, prompt="one", extra_field={"kept": True}, seed=None)
    assert body["input"] == {"prompt": "one", "extra_field": {"kept": True}, "seed": None}


# -- inputs are checked as the real API checks them ---------------------------------------------


def wrong(expected: str, given: str) -> str:
    return f"Invalid type. Expected: {expected}, given: {given}"


# fmt: off
BAD_VALUES = [  # one of each check the real API's JSON schema makes: (model, inputs, field, why)
    ("flux-schnell", {"prompt": "   "}, "prompt", "prompt is required"),
    ("flux-schnell", {"prompt": 5}, "prompt", wrong("string", "integer")),
    ("flux-schnell", {"num_outputs": 5}, "num_outputs", "Must be less than or equal to 4"),
    ("flux-pro", {"width": 100}, "width", "Must be greater than or equal to 256"),
    ("flux-schnell", {"num_outputs": "2"}, "num_outputs", wrong("integer", "string")),
    ("flux-schnell", {"num_outputs": 1.5}, "num_outputs", wrong("integer", "number")),
    ("flux-dev", {"guidance": "3"}, "guidance", wrong("number", "string")),
    ("flux-schnell", {"go_fast": "true"}, "go_fast", wrong("boolean", "string")),
    ("flux-pro", {"aspect_ratio": "21:9"}, "aspect_ratio", "aspect_ratio must be one of the"
     ' following: "custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3"'),
    ("flux-schnell", {"output_format": 1}, "output_format", wrong("string", "integer")),
    ("flux-dev", {"image": "cat.png"}, "image", "Does not match format 'uri'"),
    ("flux-2-dev", {"input_images": "data:x"}, "input_images", wrong("array", "string")),
    ("flux-2-dev", {"input_images": ["https://x/a.png"] * 5}, "input_images",
     "Array must have at most 4 items"),
    ("flux-2-dev", {"input_images": ["https://x/a.png", 3]}, "input_images",
     "1: " + wrong("string", "integer")),
    ("flux-2-dev", {"input_images": ["nope"]}, "input_images", "0: Does not match format 'uri'"),
]
# fmt: on


@pytest.mark.parametrize(("model", "inputs", "field", "why"), BAD_VALUES)
def test_a_bad_value_is_a_422_line_naming_the_field(simulator, http, model, inputs, field, why):
    response = post(http, simulator, model, **inputs)
    assert response.status_code == 422
    assert response.json() == {
        "title": "Input validation failed",
        "detail": f"- input.{field}: {why}",
        "status": 422,
    }
    assert simulator.predictions == {}


def test_every_problem_is_one_line_and_the_edges_are_accepted(simulator, http):
    inputs = {"prompt": "", "num_outputs": 9, "seed": "1", "unknown_field": "ignored"}
    assert http.post(create_url(simulator), json={"input": inputs}, timeout=5).json() == {
        "title": "Input validation failed",
        "detail": "- input.prompt: prompt is required\n"
        "- input.num_outputs: Must be less than or equal to 4\n"
        "- input.seed: Invalid type. Expected: integer, given: string",
        "status": 422,
    }
    assert http.post(create_url(simulator), json={"input": {}}, timeout=5).status_code == 422
    for model, edge in [
        (SCHNELL, {"num_outputs": 4.0, "output_quality": 0}),  # an integral float is an integer
        (SCHNELL, {"num_outputs": 1, "output_quality": 100, "go_fast": False, "seed": None}),
        ("flux-dev", {"guidance": 0, "prompt_strength": 1}),
        ("flux-pro", {"aspect_ratio": "custom", "width": 1440, "height": 256}),
        ("flux-2-dev", {"input_images": [data_uri(png())] * 4}),
    ]:
        assert post(http, simulator, model, **edge).status_code == 201, edge


def test_requests_without_a_key_or_an_input_object_are_refused_as_documented(simulator, http):
    url = create_url(simulator)
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
        response = requests.post(url, json={"input": {"prompt": "x"}}, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json() == {
            "error": {
                "message": "Invalid token",
                "type": "comet_api_error",
                "param": "",
                "code": "",
            }
        }
    for data in (b"not json", b"[1, 2]", b'{"prompt": "no input"}', b'{"input": "a string"}'):
        response = http.post(
            url, data=data, headers={"Content-Type": "application/json"}, timeout=5
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"
    missing = http.get(f"{simulator.base_url}/replicate/v1/predictions/nosuchid", timeout=5)
    assert (missing.status_code, missing.json()) == (
        404,
        {"title": "Not found", "detail": "Prediction not found", "status": 404},
    )
    assert (
        http.get(f"{simulator.base_url}/replicate/v2/predictions/x", timeout=5).status_code == 404
    )
    assert simulator.predictions == {}
    with Simulator(time_scale=0, image_size=16, api_key=KEY) as keyed:
        other = {"Authorization": "Bearer sk-wrong-secret-999"}
        response = requests.get(f"{keyed.base_url}/replicate/v1/x", headers=other, timeout=5)
        assert response.status_code == 401 and "sk-wrong" not in response.text
        assert run(http, keyed)["status"] == "succeeded"


# -- images of the asked shape, format and count --------------------------------------------------

# fmt: off
SIZES = [
    ("flux-schnell", {"aspect_ratio": "16:9"}, (256, 144)),
    ("flux-schnell", {"aspect_ratio": "9:16"}, (144, 256)),
    ("flux-schnell", {}, (256, 256)),
    ("flux-dev", {"megapixels": "0.25"}, (128, 128)),
    ("flux-pro", {"aspect_ratio": "custom", "width": 320, "height": 288}, (320, 288)),
    ("flux-2-pro", {"aspect_ratio": "custom", "width": 400, "height": 300}, (400, 300)),
    ("flux-1.1-pro-ultra", {"aspect_ratio": "21:9"}, (256, 112)),
    ("flux-kontext-pro", {}, (256, 256)),  # match_input_image, without an input image
    ("flux-kontext-pro", {"input_image": data_uri(png((300, 200)))}, (300, 200)),
    ("flux-kontext-pro", {"input_image": data_uri(png((4096, 64)))}, (2048, 32)),  # fits 2048
]
FORMATS = [
    ("flux-schnell", {}, "image/webp", "WEBP"),
    ("flux-schnell", {"output_format": "jpg"}, "image/jpeg", "JPEG"),
    ("flux-schnell", {"output_format": "png"}, "image/png", "PNG"),
    ("flux-1.1-pro-ultra", {}, "image/jpeg", "JPEG"),
    ("flux-kontext-pro", {}, "image/png", "PNG"),
]
# fmt: on


@pytest.mark.parametrize(("model", "inputs", "size"), SIZES)
def test_the_image_has_the_asked_size(simulator, http, model, inputs, size):
    assert fetch(first_url(run(http, simulator, model, **inputs)))[1].size == size


@pytest.mark.parametrize(("model", "inputs", "content_type", "pil_format"), FORMATS)
def test_the_image_has_the_asked_format(simulator, http, model, inputs, content_type, pil_format):
    url = first_url(run(http, simulator, model, **inputs))
    assert url.endswith({"WEBP": ".webp", "JPEG": ".jpg", "PNG": ".png"}[pil_format])
    response, image = fetch(url)
    assert image.format == pil_format
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(response.content))
    assert response.headers["Cache-Control"] == "no-store"


def test_the_same_prompt_and_seed_draw_the_same_image_and_logs_show_the_steps(simulator, http):
    first, again, other = (run(http, simulator, prompt="a red fox", seed=s) for s in (7, 7, 8))
    one, two, three = (fetch(p["output"][0])[0].content for p in (first, again, other))
    assert first["id"] != again["id"] and one == two != three
    rough, fine = (
        run(http, simulator, output_format="jpg", output_quality=q, seed=7) for q in (5, 95)
    )
    assert len(fetch(rough["output"][0])[0].content) < len(fetch(fine["output"][0])[0].content)
    unseeded = run(http, simulator, "flux-dev", num_inference_steps=7)
    assert re.match(r"Using seed: \d+\n", unseeded["logs"])
    assert re.search(r"100%\|█{10}\| 7/7 ", unseeded["logs"]) and "8/" not in unseeded["logs"]

    def draw(**changes):
        options = {"model": "m", "prompt": "a long prompt " * 40, "seed": 1, "index": 0}
        return render_image(size=(512, 288), output_format="png", **{**options, **changes})

    assert Image.open(io.BytesIO(draw())).size == (512, 288)
    assert draw() == draw() and draw(seed=2) != draw() and draw(index=1) != draw()


def test_drawing_ahead_has_the_images_ready_before_anyone_downloads_them(http):
    with Simulator(image_size=64, durations={SCHNELL: (0.2, 0.2)}, draw_ahead=True) as ahead:
        created = create(http, ahead, num_outputs=2, seed=7)
        record = ahead.predictions[created["id"]]
        wait_for(lambda: len(record.images) == 2, "both images drawn while the run goes on")
        drawn_ahead = dict(record.images)
        done = wait_for(lambda: (b := poll(http, created))["status"] == "succeeded" and b, "end")
        assert [fetch(url)[0].content for url in done["output"]] == [drawn_ahead[0], drawn_ahead[1]]
    with Simulator(time_scale=0, image_size=64) as lazy:
        done = run(http, lazy, seed=7)
        assert lazy.predictions[done["id"]].images == {}  # drawn on the first download only


def test_an_input_image_shows_through_and_a_bad_one_is_drawn_as_a_placeholder(simulator, http):
    shown = run(http, simulator, "flux-kontext-pro", input_image=data_uri(png()))
    red, green, blue = ImageStat.Stat(fetch(shown["output"])[1].convert("RGB")).mean
    assert red > 1.5 * (green + blue) / 2
    done = run(http, simulator, "flux-dev", image=data_uri(b"not a png at all"), seed=3)
    assert fetch(done["output"][0])[0].content == drawn(done, [UNREADABLE_PLACEHOLDER])


def test_an_image_url_input_is_never_fetched(simulator, http):
    with Simulator(time_scale=0) as elsewhere:  # stands in for any host: it records every request
        url = f"{elsewhere.base_url}/delivery/x/out-0.png"
        dev = run(http, simulator, "flux-dev", image=url, seed=1)
        flux2 = run(http, simulator, "flux-2-pro", input_images=[url, url], seed=3)
        assert elsewhere.received == []
        requests.get(url, timeout=5)
        assert len(elsewhere.received) == 1  # had the simulator fetched it, this would show it
    assert fetch(dev["output"][0])[0].content == drawn(dev, [URL_PLACEHOLDER])
    assert fetch(flux2["output"])[0].content == drawn(flux2, [URL_PLACEHOLDER] * 2)


def blank_png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG, built by hand: quicker than Pillow for a huge one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixels = zlib.compress((b"\x00" + bytes((width + 7) // 8)) * height)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_an_input_image_of_too_many_pixels_is_never_decoded(simulator, http):
    bomb = blank_png(6400, 6400)  # 41 MP: small on the wire, 120 MB decoded
    assert len(bomb) < 100_000 and Image.open(io.BytesIO(bomb)).size == (6400, 6400)
    assert 6400 * 6400 > MAX_INPUT_PIXELS
    done = run(http, simulator, "flux-dev", image=data_uri(bomb), seed=4)
    assert fetch(done["output"][0])[0].content == drawn(done, [TOO_LARGE_PLACEHOLDER])

    def draw(inputs):
        return render_image(
            model="m", prompt="", seed=0, index=0, size=(64, 64), input_images=inputs
        )

    assert draw([bomb]) == draw([b"not an image"]) != draw([blank_png(64, 64)])  # on its own too


# -- the timeline, on a fake clock -------------------------------------------------------------


def test_a_prediction_starts_processes_and_ends_exactly_at_its_completion_time(http):
    clock = FakeClock()
    with Simulator(time_scale=2, image_size=16, clock=clock) as sim:
        prediction = create(http, sim)
        duration = 2 * get_model(SCHNELL).typical_seconds
        done_at = sim.completion_time(prediction["id"])
        assert done_at == clock.now + duration and sim.completion_time("no-such-id") is None
        bodies = []
        for tick in range(40):  # each moment in the middle of a 40th of the run
            clock.now = done_at - duration + duration * (tick + 0.5) / 40
            bodies.append(poll(http, prediction))
        clock.now = done_at
        bodies.append(poll(http, prediction))
    assert [b["status"] for b in bodies] == ["starting"] * 6 + ["processing"] * 34 + ["succeeded"]
    logs = [b["logs"] for b in bodies]
    assert all(later.startswith(earlier) for earlier, later in zip(logs, logs[1:], strict=False))
    assert len(set(logs)) > 4  # the progress lines appear one by one
    assert "started_at" not in bodies[0] and "completed_at" not in bodies[-2]
    assert bodies[-1]["metrics"]["predict_time"] == pytest.approx(0.85 * duration)


def test_durations_are_drawn_from_their_range_scaled_and_repeat_with_the_same_seed(http):
    def seconds(seed):
        clock = FakeClock()
        ranges = {"flux-schnell": (1.0, 3.0), "black-forest-labs/flux-dev": (10.0, 10.0)}
        with Simulator(time_scale=2, clock=clock, durations=ranges, rng_seed=seed) as sim:
            ids = [
                create(http, sim, model)["id"]
                for model in ["flux-schnell"] * 5 + ["flux-dev", "flux-pro"]
            ]
            return [sim.completion_time(i) - clock.now for i in ids]

    *schnell, dev, pro = seconds(7)
    assert all(2.0 <= s <= 6.0 for s in schnell) and len(set(schnell)) == len(schnell)
    assert (dev, pro) == (20.0, 2 * get_model("flux-pro").typical_seconds)  # full id; catalogue
    assert seconds(7) == [*schnell, dev, pro] and seconds(8)[:5] != schnell
    for bad in ({"flux-9": (1, 2)}, {"flux-schnell": (3, 1)}, {"flux-schnell": (-1, 1)}):
        with pytest.raises(ValueError):
            Simulator(durations=bad)
    with Simulator(time_scale=1, image_size=16, durations={"flux-schnell": (30, 30)}) as real:
        before = time.monotonic()  # the monotonic clock, unless told otherwise
        prediction = create(http, real)
        assert before + 30 <= real.completion_time(prediction["id"]) <= time.monotonic() + 30


def test_a_lying_clock_stamps_the_claimed_work_while_the_status_keeps_the_truth(http):
    clock = FakeClock()
    with Simulator(time_scale=1, image_size=16, clock=clock, claimed_seconds=0.05) as sim:
        prediction = create(http, sim)
        clock.advance(1.0)
        assert poll(http, prediction)["status"] == "processing"  # a 1.5 s run: not done yet
        clock.advance(0.5)
        done = poll(http, prediction)
    assert done["status"] == "succeeded"
    assert prediction_seconds(Prediction.from_json(done)) == pytest.approx(0.05, abs=0.002)
    assert done["metrics"]["predict_time"] == pytest.approx(0.85 * 0.05, abs=0.002)
    with pytest.raises(ValueError):
        Simulator(claimed_seconds=-1)


def test_cancel_ends_a_running_prediction_and_leaves_a_finished_one(http):
    clock = FakeClock()
    with Simulator(time_scale=1, image_size=16, clock=clock) as sim:
        running = create(http, sim)
        clock.advance(0.5)
        sim.cancel(running["id"])
        assert sim.completion_time(running["id"]) == clock.now
        clock.advance(100)
        assert (poll(http, running)["status"], poll(http, running)["output"]) == ("canceled", None)
        finished = create(http, sim)
        clock.now = done_at = sim.completion_time(finished["id"])
        sim.cancel(finished["id"])
        assert sim.completion_time(finished["id"]) == done_at
        assert poll(http, finished)["status"] == "succeeded"
        by_route = http.post(create(http, sim)["urls"]["cancel"], timeout=5)
        assert (by_route.status_code, by_route.json()["status"]) == (200, "canceled")
        with pytest.raises(KeyError):
            sim.cancel("no-such-id")


def test_delivery_urls_work_from_success_until_they_expire(http):
    clock = FakeClock()
    with Simulator(time_scale=1, image_size=16, url_ttl=10, clock=clock) as sim:
        prediction = create(http, sim)
        url = sim.predictions[prediction["id"]].output_urls(sim.base_url)[0]
        assert requests.get(url, timeout=5).status_code == 404  # not yet
        clock.now = sim.completion_time(prediction["id"])
        assert requests.get(url, timeout=5).status_code == 200
        for missing in (url.replace("out-0", "out-3"), url.replace(".webp", ".png")):
            assert requests.get(missing, timeout=5).status_code == 404
        clock.advance(10)
        assert requests.get(url, timeout=5).status_code == 200  # the last moment of its life
        clock.advance(0.001)
        gone = requests.get(url, timeout=5)
        assert (gone.status_code, gone.text) == (410, "Gone: this delivery URL has expired\n")


def test_fail_next_ends_only_the_next_prediction_and_expired_outputs_are_gone(simulator, http):
    simulator.fail_next("NSFW content detected")
    failed = run(http, simulator)
    assert (failed["status"], failed["error"], failed["output"]) == (
        "failed",
        "NSFW content detected",
        None,
    )
    assert run(http, simulator)["status"] == "succeeded"
    simulator.fail_next("stopped upstream", status="canceled")
    assert [run(http, simulator)["status"] for _ in range(2)] == ["canceled", "succeeded"]
    with pytest.raises(ValueError):
        simulator.fail_next("x", status="succeeded")
    old = run(http, simulator)["output"][0]
    simulator.expire_outputs()
    assert requests.get(old, timeout=5).status_code == 410
    fetch(run(http, simulator)["output"][0])  # later ones are fine


# -- faults on request ---------------------------------------------------------------------------


def test_a_throttling_fault_answers_429_as_documented_and_creates_nothing(simulator, http):
    simulator.add_fault("create", status=429, retry_after=2, times=2)
    for _ in range(2):
        response = post(http, simulator)
        assert response.status_code == 429 and response.headers["Retry-After"] == "2"
        assert response.json() == {
            "title": "Request was throttled",
            "detail": "Request was throttled. Your rate limit resets in ~2s.",
            "status": 429,
            "retry_after": 2,
        }
    assert simulator.predictions == {} and simulator.created_inputs() == []
    create(http, simulator)
    simulator.add_fault("create", status=429)
    assert post(http, simulator).json()["detail"] == "Request was throttled."


def test_error_faults_answer_pages_bodies_and_odd_statuses(simulator, http):
    prediction = create(http, simulator)
    get = prediction["urls"]["get"]
    simulator.add_fault("get", status=502)
    page = http.get(get, timeout=5)
    assert (page.status_code, page.headers["Content-Type"]) == (502, "text/html")
    assert page.text == "<html><body><h1>502 Bad Gateway</h1></body></html>"
    simulator.add_fault("create", status=403)
    assert post(http, simulator).json() == {
        "title": "Forbidden",
        "detail": "Forbidden",
        "status": 403,
    }
    simulator.add_fault("create", status=503, body='{"oops": 1}', content_type="text/plain")
    custom = post(http, simulator)
    assert (custom.headers["Content-Type"], custom.text) == ("text/plain", '{"oops": 1}')
    simulator.add_fault("get", malformed=True)
    assert http.get(get, timeout=5).text == '{"id": "abc", "status": '
    simulator.add_fault("get", status_value="weird")
    assert [poll(http, prediction)["status"] for _ in range(2)] == ["weird", "succeeded"]
    url = poll(http, prediction)["output"][0]
    simulator.add_fault("file", status=503)
    assert requests.get(url, timeout=5).status_code == 503
    simulator.add_fault("get", status=502, times=3)
    simulator.clear_faults()
    assert http.get(get, timeout=5).status_code == 200
    fetch(url)
    assert len(simulator.predictions) == 1
    for route, times in (("upload", 1), ("get", 0)):
        with pytest.raises(ValueError):
            simulator.add_fault(route, status=500, times=times)


def test_a_hang_or_a_drop_leaves_the_client_without_an_answer_once(simulator, http):
    prediction = create(http, simulator)
    simulator.add_fault("get", delay=HANG)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(prediction["urls"]["get"], timeout=(5, 0.2))
    simulator.add_fault("get", delay=0.05)
    assert poll(http, prediction)["status"] == "succeeded"  # answered once the delay is over
    simulator.add_fault("create", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        post(http, simulator)
    assert len(simulator.predictions) == 1
    create(http, simulator)  # the session recovers on a fresh connection


# -- the server ----------------------------------------------------------------------------------


def test_it_binds_only_loopback_and_a_restart_keeps_the_port_and_the_predictions(http):
    for refused in ({"host": "0.0.0.0"}, {"host": "10.0.0.1"}, {"time_scale": -1}):  # noqa: S104
        with pytest.raises(ValueError):
            Simulator(**refused)
    sim = Simulator(host="localhost", time_scale=0, image_size=16)
    with pytest.raises(RuntimeError):
        sim.base_url  # noqa: B018 - not started: no port yet
    sim.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.base_url) and sim.running
        assert repr(sim) == f"<Simulator 127.0.0.1:{sim.port} running, 0 predictions>"
        prediction = create(http, sim)
        port = sim.port
        sim.stop()
        assert repr(sim) == f"<Simulator 127.0.0.1:{port} stopped, 1 predictions>"
        with pytest.raises(requests.exceptions.ConnectionError):
            http.get(prediction["urls"]["get"], timeout=2)
        sim.start()
        assert sim.port == port and poll(http, prediction)["status"] == "succeeded"
    finally:
        sim.stop()


def test_stop_cuts_a_hung_answer_short(http):
    sim = Simulator(time_scale=0, image_size=16).start()
    errors = []
    try:
        prediction = create(http, sim)
        sim.add_fault("get", delay=HANG)

        def hang():
            try:
                http.get(prediction["urls"]["get"], timeout=HANG * 2)
            except requests.exceptions.RequestException as exc:
                errors.append(exc)

        poller = threading.Thread(target=hang)
        poller.start()
        wait_for(lambda: len(sim.received) == 2, "the poll to reach the simulator")
    finally:
        sim.stop()
    poller.join(timeout=HANG / 2)
    assert not poller.is_alive() and len(errors) == 1


def test_every_request_is_recorded_and_nothing_printed_even_for_broken_ones(simulator, http, capfd):
    prediction = create(http, simulator, prompt="recorded")
    http.get(prediction["urls"]["get"], timeout=5)
    first, second = simulator.received
    assert (first.method, first.path) == ("POST", f"/replicate/v1/models/{SCHNELL}/predictions")
    assert first.json == {"input": {"prompt": "recorded"}}
    assert first.headers["Authorization"] == f"Bearer {KEY}"
    assert (second.method, second.json) == ("GET", None)
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=2) as raw:
        raw.sendall(b"POST /replicate/v1/models/black-forest-labs/flux-schnell/predictions ")
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=2) as raw:
        raw.sendall(b"GET /replicate/v1/predictions/x HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=5) as raw:
        raw.sendall(b"POST /replicate/v1/predictions/x HTTP/1.1\r\nContent-Length: -5\r\n\r\n")
        assert raw.recv(64).startswith(b"HTTP/1.1 400 ")
    run(http, simulator)
    assert capfd.readouterr() == ("", "")
    assert simulator.errors == []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_the_command_serves_until_interrupted_and_refuses_a_public_host(tmp_path, capsys):
    assert main(["--host", "0.0.0.0"]) == 1  # noqa: S104 - refused, which is the point
    assert "Cannot start the simulator: " in capsys.readouterr().err
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
        url = f"{base_url}/replicate/v1/models/{SCHNELL}/predictions"
        bearer = {"Authorization": f"Bearer {KEY}"}
        created = requests.post(url, json={"input": {"prompt": "x"}}, headers=bearer, timeout=5)
        assert created.status_code == 201
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=DEADLINE)  # drains both pipes
        assert process.returncode == 0 and KEY not in stderr, stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_demo_simulator_is_one_shared_simulator(http, monkeypatch):
    monkeypatch.setattr(demo_module, "_demo", None)
    started = []
    try:
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
        assert demo_simulator(time_scale=3) is sim
        assert run(http, sim)["status"] == "succeeded"
    finally:
        if demo_module._demo is not None:
            demo_module._demo.stop()
