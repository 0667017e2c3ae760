"""Saving delivered images: every output at once, only images, capped, atomic, no secrets sent;
side by side, each file handed on the moment it lands.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from PIL import Image

from comet.errors import OutputsIncomplete
from comet.metadata import settings_of, with_settings
from comet.outputs import (
    iter_saved_outputs,
    safe_stem,
    save_outputs,
    shorten_data_uris,
    sniff_image_type,
    write_sidecar,
)
from comet.prediction import Prediction
from tests.support import DEADLINE, wait_for

DELIVERY = "https://replicate.delivery/xezq/example"


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (4, 4)) -> bytes:
    """A real, tiny image made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(buffer, format=fmt)
    return buffer.getvalue()


def as_saved(body: bytes, prediction: Prediction | None = None, index: int = 0) -> bytes:
    """The bytes an image is saved as: the body with its settings added (GIF: as it came)."""
    if body.startswith(b"GIF"):
        return body
    settings = settings_of(prediction or make_prediction())
    return with_settings(body, {**settings, "output_index": index})


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def make_prediction(*outputs: str, **fields) -> Prediction:
    fields.setdefault("input", {"prompt": "a red square", "seed": 7})
    return Prediction(
        id=fields.pop("id", "pred123"),
        model="black-forest-labs/flux-schnell",
        status="succeeded",
        output=list(outputs),
        logs="Using seed: 7\n",
        metrics={"predict_time": 0.8},
        created_at="2025-01-15T09:54:55.566Z",
        started_at="2025-01-15T09:54:55.901Z",
        completed_at="2025-01-15T09:54:56.812Z",
        **fields,
    )


def leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@pytest.fixture
def http():
    with responses.RequestsMock() as mock:
        yield mock


# --- success ---


@pytest.mark.parametrize(
    ("fmt", "content_type", "ext"),
    [
        ("WEBP", "image/webp", "webp"),
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_saves_image_named_by_id_index_and_content_type(http, tmp_path, fmt, content_type, ext):
    body = image_bytes(fmt)
    http.add(responses.GET, f"{DELIVERY}/out-0", body=body, content_type=content_type)

    paths = save_outputs(make_prediction(f"{DELIVERY}/out-0"), tmp_path)

    assert paths == [tmp_path / f"pred123-0.{ext}"]
    assert paths[0].read_bytes() == as_saved(body)
    assert leftovers(tmp_path) == []


def test_saves_every_output_in_order(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes("WEBP"), content_type="image/webp")
    http.add(responses.GET, f"{DELIVERY}/b", body=image_bytes("PNG"), content_type="image/png")

    paths = save_outputs(make_prediction(f"{DELIVERY}/a", f"{DELIVERY}/b"), tmp_path)

    assert [p.name for p in paths] == ["pred123-0.webp", "pred123-1.png"]


def test_creates_the_directory_when_missing(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    target = tmp_path / "deep" / "er"

    paths = save_outputs(make_prediction(f"{DELIVERY}/a"), target)

    assert paths[0].parent == target
    assert (target / "pred123.json").exists()


def test_content_type_parameters_are_ignored(http, tmp_path):
    http.add(
        responses.GET, f"{DELIVERY}/a", body=image_bytes("JPEG"), content_type="image/jpeg; q=1"
    )
    assert save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)[0].suffix == ".jpg"


def test_octet_stream_is_sniffed_from_magic_bytes(http, tmp_path):
    http.add(
        responses.GET,
        f"{DELIVERY}/a",
        body=image_bytes("PNG"),
        content_type="application/octet-stream",
    )
    assert save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)[0].name == "pred123-0.png"


def test_missing_content_type_is_sniffed(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes("WEBP"), content_type=None)
    assert save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)[0].suffix == ".webp"


def test_existing_file_is_replaced(http, tmp_path):
    (tmp_path / "pred123-0.png").write_bytes(b"old")
    body = image_bytes()
    http.add(responses.GET, f"{DELIVERY}/a", body=body, content_type="image/png")

    save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)

    assert (tmp_path / "pred123-0.png").read_bytes() == as_saved(body)


def test_prediction_without_outputs_saves_nothing_but_the_sidecar(tmp_path):
    prediction = make_prediction()
    prediction.status, prediction.error = "failed", "NSFW content detected"

    assert save_outputs(prediction, tmp_path) == []
    sidecar = json.loads((tmp_path / "pred123.json").read_text())
    assert sidecar["error"] == "NSFW content detected"
    assert sidecar["files"] == []


def test_unsafe_prediction_id_cannot_escape_the_directory(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    out = tmp_path / "out"

    paths = save_outputs(make_prediction(f"{DELIVERY}/a", id="../../evil/x"), out)

    assert paths[0].parent == out
    assert paths[0].name == "______evil_x-0.png"
    assert safe_stem("abc_DEF-123") == "abc_DEF-123"


# --- failures ---


def test_expired_url_is_reported_in_words(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", status=410, body="Gone")

    with pytest.raises(OutputsIncomplete) as caught:
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)

    error = caught.value
    assert str(error) == (
        "1 of 1 image could not be saved: output 0: the delivery URL has expired (HTTP 410)"
    )
    assert error.saved == []
    assert error.failures == [(f"{DELIVERY}/a", "the delivery URL has expired (HTTP 410)")]
    assert error.prediction_id == "pred123"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("status", "words"),
    [(404, "not found"), (403, "refused access"), (500, r"failed \(HTTP 500\)"), (418, "HTTP 418")],
)
def test_http_errors_are_failures(http, tmp_path, status, words):
    http.add(responses.GET, f"{DELIVERY}/a", status=status, body="no")
    with pytest.raises(OutputsIncomplete, match=words):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)


def test_read_timeout_is_a_failure(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(OutputsIncomplete, match="output 0: the download timed out"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)


def test_connection_error_is_a_failure(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(OutputsIncomplete, match="could not be reached"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)


def test_explicit_timeout_is_passed_to_requests(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path, timeout=(1.5, 7.0))
    assert http.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)
    assert http.calls[0].request.req_kwargs["stream"] is True


def test_non_image_content_type_is_refused(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body="<html>login</html>", content_type="text/html")
    with pytest.raises(OutputsIncomplete, match=r"not an image \(text/html\)"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)
    assert list(tmp_path.glob("pred123-*")) == []


def test_octet_stream_that_is_not_an_image_is_refused(http, tmp_path):
    http.add(
        responses.GET,
        f"{DELIVERY}/a",
        body=b"%PDF-1.7 definitely not a picture",
        content_type="application/octet-stream",
    )
    with pytest.raises(OutputsIncomplete, match="not an image"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)
    assert leftovers(tmp_path) == []


def test_unsupported_image_type_is_refused(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=b"<svg></svg>" * 3, content_type="image/svg+xml")
    with pytest.raises(OutputsIncomplete, match="image/svg"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)


def test_empty_body_is_a_failure(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=b"", content_type="image/png")
    with pytest.raises(OutputsIncomplete, match="empty"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)


def test_too_big_by_content_length_is_refused_before_reading(http, tmp_path):
    http.add(
        responses.GET,
        f"{DELIVERY}/a",
        body=image_bytes(),
        content_type="image/png",
        headers={"Content-Length": str(10 * 1024 * 1024)},
    )
    with pytest.raises(OutputsIncomplete, match=r"the image is 10 MB, larger than the 1 KB limit"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path, max_bytes=1024)


def test_too_big_while_streaming_stops_and_cleans_up(http, tmp_path):
    body = image_bytes("PNG", size=(64, 64)) + b"\0" * 200_000  # no Content-Length sent
    http.add(responses.GET, f"{DELIVERY}/a", body=body, content_type="image/png")

    with pytest.raises(OutputsIncomplete, match=r"output 0: the image is larger than the 100 KB"):
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path, max_bytes=100 * 1024)

    assert list(tmp_path.glob("pred123-*")) == []
    assert leftovers(tmp_path) == []


def test_other_schemes_are_not_fetched(tmp_path):
    with pytest.raises(OutputsIncomplete, match="neither an http"):
        save_outputs(make_prediction("file:///etc/passwd"), tmp_path)


def test_one_failure_keeps_the_others_and_writes_the_sidecar(http, tmp_path):
    good = image_bytes("WEBP")
    http.add(responses.GET, f"{DELIVERY}/a", body=good, content_type="image/webp")
    http.add(responses.GET, f"{DELIVERY}/b", status=410)
    http.add(responses.GET, f"{DELIVERY}/c", body=good, content_type="image/webp")
    prediction = make_prediction(f"{DELIVERY}/a", f"{DELIVERY}/b", f"{DELIVERY}/c")

    with pytest.raises(OutputsIncomplete) as caught:
        save_outputs(prediction, tmp_path)

    error = caught.value
    assert error.message.startswith("1 of 3 images could not be saved: output 1: ")
    assert error.saved == [tmp_path / "pred123-0.webp", tmp_path / "pred123-2.webp"]
    assert (tmp_path / "pred123-0.webp").read_bytes() == as_saved(good, prediction)
    assert not list(tmp_path.glob("pred123-1.*"))
    sidecar = json.loads((tmp_path / "pred123.json").read_text())
    assert sidecar["files"] == ["pred123-0.webp", "pred123-2.webp"]
    assert sidecar["failures"] == [
        {
            "output": 1,
            "url": f"{DELIVERY}/b",
            "reason": "the delivery URL has expired (HTTP 410)",
        }
    ]
    assert leftovers(tmp_path) == []


def test_several_failures_are_all_named(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", status=410)
    http.add(responses.GET, f"{DELIVERY}/b", body=requests.exceptions.ReadTimeout())
    with pytest.raises(OutputsIncomplete) as caught:
        save_outputs(make_prediction(f"{DELIVERY}/a", f"{DELIVERY}/b"), tmp_path)
    assert str(caught.value) == (
        "2 of 2 images could not be saved: output 0: the delivery URL has expired (HTTP 410); "
        "output 1: the download timed out"
    )


# --- side by side, each file as it lands ---


@contextmanager
def delivery_server(hold: Callable[[str], None]) -> Iterator[str]:
    """A tiny image host on 127.0.0.1; hold(path) runs before each answer and may block.

    When hold raises (a barrier or an event that gave up), the answer is a 503, so a test
    that waited in vain fails on a missing image, never on a clock.
    """
    body = image_bytes("PNG")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            try:
                hold(self.path)
            except Exception:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(DEADLINE)


def test_downloads_run_side_by_side(tmp_path):
    # Every answer waits until all four requests have arrived: one at a time, none would come.
    everyone = threading.Barrier(4, timeout=DEADLINE)

    with delivery_server(lambda path: everyone.wait()) as host:
        prediction = make_prediction(*(f"{host}/out-{i}.png" for i in range(4)))
        paths = save_outputs(prediction, tmp_path, workers=4)

    assert [p.name for p in paths] == [f"pred123-{i}.png" for i in range(4)]
    assert leftovers(tmp_path) == []


def test_a_run_downloads_at_most_workers_at_a_time(tmp_path):
    pairs = threading.Barrier(2, timeout=DEADLINE)  # each answer waits for a second request
    lock = threading.Lock()
    in_flight, most = [0], [0]

    def hold(path: str) -> None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            pairs.wait()
        finally:
            with lock:
                in_flight[0] -= 1

    with delivery_server(hold) as host:
        prediction = make_prediction(*(f"{host}/out-{i}.png" for i in range(4)))
        paths = save_outputs(prediction, tmp_path, workers=2)

    assert len(paths) == 4
    assert most[0] == 2


def test_each_file_is_handed_on_as_soon_as_it_lands(tmp_path):
    release = threading.Event()  # output 0 is held back until output 1 has been handed on

    def hold(path: str) -> None:
        if path.endswith("/slow.png") and not release.wait(DEADLINE):
            raise TimeoutError

    with delivery_server(hold) as host:
        saving = iter_saved_outputs(
            make_prediction(f"{host}/slow.png", f"{host}/fast.png"), tmp_path
        )

        first = next(saving)
        assert first == (1, tmp_path / "pred123-1.png")
        # complete when handed on
        assert first[1].read_bytes() == as_saved(image_bytes("PNG"), index=1)
        assert not (tmp_path / "pred123-0.png").exists()
        assert not (tmp_path / "pred123.json").exists()  # the sidecar comes last
        release.set()
        rest = list(saving)

    assert rest == [(0, tmp_path / "pred123-0.png")]
    assert json.loads((tmp_path / "pred123.json").read_text())["files"] == [
        "pred123-0.png",
        "pred123-1.png",
    ]


def test_on_saved_is_called_for_each_file_in_the_callers_thread(http, tmp_path):
    for name in "abc":
        http.add(responses.GET, f"{DELIVERY}/{name}", body=image_bytes(), content_type="image/png")
    seen = []

    paths = save_outputs(
        make_prediction(*(f"{DELIVERY}/{name}" for name in "abc")),
        tmp_path,
        on_saved=lambda index, path: seen.append((index, path, threading.current_thread())),
    )

    assert sorted((index, path) for index, path, _ in seen) == list(enumerate(paths))
    assert {thread for _, _, thread in seen} == {threading.current_thread()}


def test_a_failure_among_parallel_downloads_still_hands_on_the_others(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    http.add(responses.GET, f"{DELIVERY}/b", body=requests.exceptions.ConnectionError("cut"))
    http.add(responses.GET, f"{DELIVERY}/c", body=image_bytes(), content_type="image/png")
    handed_on = []

    with pytest.raises(OutputsIncomplete) as caught:
        for item in iter_saved_outputs(
            make_prediction(f"{DELIVERY}/a", f"{DELIVERY}/b", f"{DELIVERY}/c"), tmp_path
        ):
            handed_on.append(item)

    assert sorted(handed_on) == [(0, tmp_path / "pred123-0.png"), (2, tmp_path / "pred123-2.png")]
    assert caught.value.saved == [tmp_path / "pred123-0.png", tmp_path / "pred123-2.png"]
    assert caught.value.message == (
        "1 of 3 images could not be saved: output 1: the delivery server could not be reached"
    )


def test_one_worker_downloads_one_after_another_in_output_order(http, tmp_path):
    for name in "abc":
        http.add(responses.GET, f"{DELIVERY}/{name}", body=image_bytes(), content_type="image/png")

    handed_on = list(
        iter_saved_outputs(
            make_prediction(*(f"{DELIVERY}/{name}" for name in "abc")), tmp_path, workers=1
        )
    )

    assert [index for index, _ in handed_on] == [0, 1, 2]
    assert [call.request.url for call in http.calls] == [f"{DELIVERY}/{n}" for n in "abc"]


def test_downloads_start_before_the_first_next(tmp_path):
    with delivery_server(lambda path: None) as host:
        saving = iter_saved_outputs(make_prediction(f"{host}/a.png", f"{host}/b.png"), tmp_path)

        wait_for(
            lambda: len(list(tmp_path.glob("pred123-*.png"))) == 2, "the downloads to land unasked"
        )
        assert sorted(saving) == [(0, tmp_path / "pred123-0.png"), (1, tmp_path / "pred123-1.png")]


def test_closing_before_the_first_next_writes_no_sidecar(tmp_path):
    arrived, release = threading.Event(), threading.Event()

    def hold(path: str) -> None:
        arrived.set()
        if not release.wait(DEADLINE):
            raise TimeoutError

    with delivery_server(hold) as host:
        saving = iter_saved_outputs(make_prediction(f"{host}/a.png"), tmp_path)
        assert arrived.wait(DEADLINE), "the download never started"
        saving.close()  # must not wait for the held download
        release.set()
        wait_for((tmp_path / "pred123-0.png").exists, "the download under way to land")

    assert list(saving) == []
    assert not (tmp_path / "pred123.json").exists()


def test_closing_early_returns_at_once_and_the_download_under_way_still_lands(tmp_path):
    release = threading.Event()

    def hold(path: str) -> None:
        if path.endswith("/slow.png") and not release.wait(DEADLINE):
            raise TimeoutError

    with delivery_server(hold) as host:
        saving = iter_saved_outputs(
            make_prediction(f"{host}/slow.png", f"{host}/fast.png"), tmp_path
        )
        assert next(saving)[0] == 1

        saving.close()  # Stop while saving: must not wait for the held download
        release.set()  # only now can the held download end; had close() waited, it got a 503

        wait_for((tmp_path / "pred123-0.png").exists, "the download under way to land")
    assert not (tmp_path / "pred123.json").exists()  # no sidecar for an abandoned save
    wait_for(lambda: leftovers(tmp_path) == [], "no temp files left")


# --- no secrets ---


def test_no_authorization_header_is_sent_even_with_an_authenticated_session(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    session = requests.Session()
    session.headers["Authorization"] = "Bearer sk-secret-key-123456"
    session.headers["X-Api-Key"] = "sk-secret-key-123456"
    session.auth = ("user", "password")

    save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path, session=session)

    sent = http.calls[0].request.headers
    assert "Authorization" not in sent
    assert "sk-secret-key-123456" not in str(dict(sent))
    assert session.headers["Authorization"] == "Bearer sk-secret-key-123456"  # left untouched


def test_no_authorization_header_without_a_session(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)
    assert "Authorization" not in http.calls[0].request.headers


# --- data: URIs ---


def test_data_uri_is_decoded_and_saved(tmp_path):
    png = image_bytes("PNG")

    paths = save_outputs(make_prediction(data_uri(png)), tmp_path)

    assert paths == [tmp_path / "pred123-0.png"]
    assert paths[0].read_bytes() == as_saved(png)
    with Image.open(paths[0]) as image:
        assert image.size == (4, 4)


def test_data_uri_with_octet_stream_is_sniffed(tmp_path):
    uri = data_uri(image_bytes("JPEG"), mime="application/octet-stream")
    assert save_outputs(make_prediction(uri), tmp_path)[0].suffix == ".jpg"


def test_data_uri_that_is_not_an_image_is_refused_without_echoing_it(tmp_path):
    uri = data_uri(b"hello world, this is plain text" * 100, mime="text/plain")
    with pytest.raises(OutputsIncomplete) as caught:
        save_outputs(make_prediction(uri), tmp_path)
    assert "not an image (text/plain)" in str(caught.value)
    assert uri not in str(caught.value)
    assert caught.value.failures == [(0, "the content is not an image (text/plain)")]
    assert uri not in (tmp_path / "pred123.json").read_text()


def test_data_uri_with_bad_base64_is_a_failure(tmp_path):
    with pytest.raises(OutputsIncomplete, match="not valid base64"):
        save_outputs(make_prediction("data:image/png;base64,@@@not base64@@@"), tmp_path)


def test_data_uri_too_big_is_refused(tmp_path):
    uri = data_uri(image_bytes("PNG", size=(64, 64)) + b"\0" * 5000)
    with pytest.raises(OutputsIncomplete, match="larger than the 1 KB limit"):
        save_outputs(make_prediction(uri), tmp_path, max_bytes=1024)
    assert leftovers(tmp_path) == []


def test_mixed_data_uri_and_url(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/b", body=image_bytes("GIF"), content_type="image/gif")
    paths = save_outputs(make_prediction(data_uri(image_bytes()), f"{DELIVERY}/b"), tmp_path)
    assert [p.name for p in paths] == ["pred123-0.png", "pred123-1.gif"]


# --- sidecar ---


def test_sidecar_records_the_prediction(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    prediction = make_prediction(f"{DELIVERY}/a")

    save_outputs(prediction, tmp_path)

    sidecar = json.loads((tmp_path / "pred123.json").read_text())
    assert sidecar == {
        "model": "black-forest-labs/flux-schnell",
        "id": "pred123",
        "status": "succeeded",
        "input": {"prompt": "a red square", "seed": 7},
        "output": [f"{DELIVERY}/a"],
        "files": ["pred123-0.png"],
        "metrics": {"predict_time": 0.8},
        "created_at": "2025-01-15T09:54:55.566Z",
        "started_at": "2025-01-15T09:54:55.901Z",
        "completed_at": "2025-01-15T09:54:56.812Z",
        "error": None,
        "logs": "Using seed: 7\n",
    }


def test_sidecar_shortens_data_uris_in_input_and_output(tmp_path):
    upload = image_bytes("PNG", size=(32, 32))
    prediction = make_prediction(
        data_uri(upload), input={"prompt": "edit", "input_image": data_uri(upload)}
    )

    save_outputs(prediction, tmp_path)

    sidecar = json.loads((tmp_path / "pred123.json").read_text())
    expected = f"data:image/png;base64,… ({len(upload)} bytes, omitted)"
    assert sidecar["input"] == {"prompt": "edit", "input_image": expected}
    assert sidecar["output"] == [expected]
    assert "base64," + base64.b64encode(upload).decode()[:40] not in json.dumps(sidecar)


def test_write_sidecar_is_atomic_and_returns_its_path(tmp_path):
    path = write_sidecar(make_prediction(), tmp_path, [], failures=[(0, "the download timed out")])
    assert path == tmp_path / "pred123.json"
    assert json.loads(path.read_text())["failures"] == [
        {"output": 0, "reason": "the download timed out"}
    ]
    assert leftovers(tmp_path) == []


def test_shorten_data_uris_walks_nested_values_and_is_idempotent():
    uri = data_uri(b"x" * 300)
    value = {"a": [uri, "https://example.com/x.png", 3, None], "b": {"c": uri}, "d": "plain"}

    short = shorten_data_uris(value)

    assert short == {
        "a": ["data:image/png;base64,… (300 bytes, omitted)", "https://example.com/x.png", 3, None],
        "b": {"c": "data:image/png;base64,… (300 bytes, omitted)"},
        "d": "plain",
    }
    assert shorten_data_uris(short) == short
    assert value["b"]["c"] == uri  # the original is not changed


def test_shorten_data_uris_handles_odd_uris():
    assert shorten_data_uris("data:text/plain,hello%20world") == (
        "data:text/plain,… (11 bytes, omitted)"
    )
    assert shorten_data_uris("data:" + "x" * 500).startswith("data:… (")


def test_sniff_image_type_knows_the_four_formats():
    assert sniff_image_type(image_bytes("PNG")) == "image/png"
    assert sniff_image_type(image_bytes("JPEG")) == "image/jpeg"
    assert sniff_image_type(image_bytes("WEBP")) == "image/webp"
    assert sniff_image_type(image_bytes("GIF")) == "image/gif"
    assert sniff_image_type(b"<html>") is None
