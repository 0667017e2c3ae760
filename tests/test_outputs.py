"""Saving delivered images (comet.outputs): every output at once and side by side, each file
whole (temp file, then rename) and carrying its settings, failures reported per output in
words without losing the others, and no credential ever sent to a delivery host.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable

import pytest
import requests
import responses
from PIL import Image
from requests import exceptions as rx

from comet.errors import CometError, OutputsIncomplete
from comet.metadata import read_settings
from comet.outputs import iter_saved_outputs, safe_stem, save_outputs, shorten_data_uris
from comet.prediction import Prediction
from tests.support import DEADLINE, wait_for

DELIVERY = "https://replicate.delivery/xezq/example"
MODEL = "black-forest-labs/flux-schnell"
INPUT = {"prompt": "a red square", "seed": 7}


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        return image.mode, image.size, image.convert("RGB").tobytes()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def make_prediction(*outputs: str, **fields) -> Prediction:
    return Prediction(
        id=fields.pop("id", "pred123"),
        model=MODEL,
        status="succeeded",
        input=fields.pop("input", dict(INPUT)),
        output=list(outputs),
        logs="Using seed: 7\n",
        metrics={"predict_time": 0.8},
        created_at="2025-01-15T09:54:55.566Z",
        started_at="2025-01-15T09:54:55.901Z",
        completed_at="2025-01-15T09:54:56.812Z",
        **fields,
    )


def embedded(index: int) -> dict:
    """The settings make_prediction()'s output `index` carries in its file."""
    return {
        "app": "comet-flux",
        "version": 1,
        "model": MODEL,
        "prompt": "a red square",
        "seed": 7,
        "input": INPUT,
        "prediction_id": "pred123",
        "created_at": "2025-01-15T09:54:55.566Z",
        "output_index": index,
    }


def names(directory) -> list[str]:
    """Every file in directory: no temp (.part) file may be left behind."""
    return sorted(p.name for p in directory.iterdir())


def sidecar(directory) -> dict:
    return json.loads((directory / "pred123.json").read_text())


@pytest.fixture
def http():
    with responses.RequestsMock() as mock:
        yield mock


# --- what is saved ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "ext"),
    [("WEBP", "image/webp", "webp"), ("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png")],
)
def test_an_image_is_saved_whole_with_its_settings_and_the_same_pixels(
    http, tmp_path, fmt, content_type, ext
):
    body = image_bytes(fmt)
    http.add(responses.GET, f"{DELIVERY}/out-0", body=body, content_type=content_type)
    (tmp_path / f"pred123-0.{ext}").write_bytes(b"from an earlier try")  # replaced

    [path] = save_outputs(make_prediction(f"{DELIVERY}/out-0"), tmp_path)

    assert path == tmp_path / f"pred123-0.{ext}"
    assert pixels(path.read_bytes()) == pixels(body)
    assert read_settings(path) == embedded(0)
    assert path.stat().st_mode & 0o777 == 0o644  # an ordinary file, not mkstemp's 0600
    assert names(tmp_path) == [f"pred123-0.{ext}", "pred123.json"]


def test_a_gif_or_embed_settings_false_keeps_the_bytes_as_delivered(http, tmp_path):
    """(The GIF is exactly max_bytes long: the limit is inclusive.)"""
    gif, png = image_bytes("GIF"), image_bytes("PNG")
    http.add(responses.GET, f"{DELIVERY}/a", body=gif, content_type="image/gif")
    http.add(responses.GET, f"{DELIVERY}/b", body=png, content_type="image/png")

    first = save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path / "gif", max_bytes=len(gif))
    second = save_outputs(make_prediction(f"{DELIVERY}/b"), tmp_path / "bare", embed_settings=False)

    assert first[0].name == "pred123-0.gif" and first[0].read_bytes() == gif
    assert second[0].read_bytes() == png


GIF87 = image_bytes("GIF")
GIF89 = b"GIF89a" + GIF87[6:]


@pytest.mark.parametrize(
    ("declared", "body", "ext"),
    [
        ("image/jpeg; charset=binary", image_bytes("JPEG"), "jpg"),
        ("IMAGE/X-PNG", image_bytes("PNG"), "png"),
        ("application/octet-stream", image_bytes("PNG"), "png"),
        (None, image_bytes("WEBP"), "webp"),
        ("image/avif", image_bytes("JPEG"), "jpg"),  # a wrong image type: the bytes decide
        ("binary/octet-stream", GIF87, "gif"),
        ("", GIF89, "gif"),
    ],
    ids=["parameters", "alias", "octet-stream", "none", "wrong-type", "gif87a", "gif89a"],
)
def test_the_extension_comes_from_the_content_type_else_from_the_bytes(
    http, tmp_path, declared, body, ext
):
    http.add(responses.GET, f"{DELIVERY}/a", body=body, content_type=declared)
    assert save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path)[0].name == f"pred123-0.{ext}"


def test_urls_and_data_uris_are_saved_in_output_order(http, tmp_path):
    webp, png, gif = image_bytes("WEBP"), image_bytes("PNG"), image_bytes("GIF")
    http.add(responses.GET, f"{DELIVERY}/a", body=webp, content_type="image/webp")
    wrapped = data_uri(png)[:40] + "\n " + data_uri(png)[40:]  # base64 may be wrapped
    percent = "data:image/gif," + urllib.parse.quote_from_bytes(gif)  # not base64
    sniffed = data_uri(image_bytes("JPEG"), "application/octet-stream")
    long_header = data_uri(png, "image/png;" + "p" * 83)  # a header of 100 characters, the most

    outputs = [f"{DELIVERY}/a", wrapped, percent, sniffed, long_header]
    paths = save_outputs(make_prediction(*outputs), tmp_path)

    assert [p.name for p in paths] == [
        "pred123-0.webp",
        "pred123-1.png",
        "pred123-2.gif",
        "pred123-3.jpg",
        "pred123-4.png",
    ]
    assert pixels(paths[1].read_bytes()) == pixels(png)
    assert read_settings(paths[1]) == embedded(1)
    assert paths[2].read_bytes() == gif
    assert sidecar(tmp_path)["files"] == [p.name for p in paths]


def test_the_folder_is_created_and_one_that_cannot_be_is_a_clear_error(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")

    [path] = save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path / "deep" / "er")
    assert path.parent == tmp_path / "deep" / "er"

    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(CometError) as caught:
        save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path / "taken" / "out")
    assert str(caught.value) == (
        f"Could not create the output folder {tmp_path / 'taken' / 'out'}: Not a directory"
    )


def test_a_prediction_id_cannot_make_a_path(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")

    [path] = save_outputs(make_prediction(f"{DELIVERY}/a", id="../../evil/x"), tmp_path / "out")

    assert path == tmp_path / "out" / "______evil_x-0.png"
    assert safe_stem("") == "prediction"
    assert safe_stem("a" * 300) == "a" * 200


def test_a_prediction_without_outputs_gets_its_sidecar_only(tmp_path):
    prediction = make_prediction(error="NSFW content detected")
    prediction.status = "failed"

    assert save_outputs(prediction, tmp_path) == []
    assert names(tmp_path) == ["pred123.json"]
    assert sidecar(tmp_path)["error"] == "NSFW content detected"


def test_the_sidecar_records_the_prediction_without_data_uris(http, tmp_path):
    upload = image_bytes("PNG", size=(32, 32))
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    prediction = make_prediction(
        f"{DELIVERY}/a", data_uri(upload), input={"prompt": "edit", "image": data_uri(upload)}
    )

    save_outputs(prediction, tmp_path)

    short = f"data:image/png;base64,… ({len(upload)} bytes, omitted)"
    assert sidecar(tmp_path) == {
        "model": MODEL,
        "id": "pred123",
        "status": "succeeded",
        "input": {"prompt": "edit", "image": short},
        "output": [f"{DELIVERY}/a", short],
        "files": ["pred123-0.png", "pred123-1.png"],
        "metrics": {"predict_time": 0.8},
        "created_at": "2025-01-15T09:54:55.566Z",
        "started_at": "2025-01-15T09:54:55.901Z",
        "completed_at": "2025-01-15T09:54:56.812Z",
        "error": None,
        "logs": "Using seed: 7\n",
    }
    assert (tmp_path / "pred123.json").stat().st_mode & 0o777 == 0o644


def test_a_sidecar_that_cannot_be_written_costs_no_image(http, tmp_path):
    http.add(responses.GET, f"{DELIVERY}/a", body=image_bytes(), content_type="image/png")
    (tmp_path / "pred123.json").mkdir()  # in the way of the sidecar

    assert save_outputs(make_prediction(f"{DELIVERY}/a"), tmp_path) == [tmp_path / "pred123-0.png"]
    assert names(tmp_path) == ["pred123-0.png", "pred123.json"]


def test_an_image_that_does_not_parse_is_saved_as_it_came_and_logged(tmp_path, caplog):
    fake = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # a PNG signature, then nothing a PNG has
    prediction = make_prediction(*[data_uri(fake)] * 3)

    with caplog.at_level(logging.DEBUG, logger="comet.saved_files"):
        paths = save_outputs(prediction, tmp_path, workers=1)

    assert [p.read_bytes() for p in paths] == [fake] * 3
    said = [r for r in caplog.records if "without its settings in the file" in r.getMessage()]
    assert len(said) == 3
    assert [r.levelno for r in said].count(logging.WARNING) <= 1  # once, not per image


# --- what cannot be saved -----------------------------------------------------------------------

EXPIRED = "the delivery URL has expired (HTTP 410)"
REFUSED = "the delivery server refused access (HTTP {}); the URL may have expired"
NOT_AN_IMAGE = "the content is not an image"
TOO_BIG = "the image is larger than the 1 KB limit"
BIG_PNG = image_bytes("PNG", (64, 64)) + b"\0" * 2000


def answer(given) -> dict:
    """responses.add() arguments: a status, an exception raised, or (body, type, headers)."""
    if isinstance(given, int):
        return {"status": given}
    if isinstance(given, Exception):
        return {"body": given}
    body, content_type, *headers = given
    return {"body": body, "content_type": content_type, "headers": headers[0] if headers else {}}


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (410, EXPIRED),
        (404, "the delivery URL was not found (HTTP 404); it may have expired"),
        (401, REFUSED.format(401)),
        (403, REFUSED.format(403)),
        (429, "the delivery server is limiting downloads (HTTP 429)"),
        (500, "the delivery server failed (HTTP 500)"),
        (418, "the delivery server answered HTTP 418 instead of an image"),
        (300, "the delivery server answered HTTP 300 instead of an image"),
        (rx.ReadTimeout(), "the download timed out"),
        (rx.ConnectionError("Read timed out."), "the download timed out"),
        (rx.ConnectTimeout(), "the delivery server could not be reached in time"),
        (rx.ConnectionError("refused"), "the delivery server could not be reached"),
        (rx.ChunkedEncodingError(), "the download was cut off"),
        (rx.SSLError(), "the delivery server's TLS certificate could not be verified"),
        (rx.TooManyRedirects(), "the delivery URL redirected too many times"),
        (rx.InvalidURL(), "the delivery URL is not valid"),
        (rx.InvalidSchema(), "the delivery URL is not valid"),
        (rx.RequestException(), "the download failed (RequestException)"),
        (("<html>login</html>", "text/html"), f"{NOT_AN_IMAGE} (text/html)"),
        ((b"Not Found", "text/plain"), f"{NOT_AN_IMAGE} (text/plain)"),  # shorter than a header
        ((b"{}" * 20, "text/" + "y" * 80), f"{NOT_AN_IMAGE} (text/{'y' * 55})"),
        ((b"%PDF-1.7 a document", "binary/octet-stream"), f"{NOT_AN_IMAGE} (binary/octet-stream)"),
        ((b"%PDF-1.7 a document", None), NOT_AN_IMAGE),
        ((b"RIFF\x24\0\0\0WAVEfmt " + bytes(16), None), NOT_AN_IMAGE),  # RIFF, not WebP
        (
            (b"<svg></svg>" * 3, "image/svg+xml"),
            "the image type image/svg+xml is not supported (only WebP, JPEG, PNG and GIF)",
        ),
        (
            (b"<svg/>" * 8, "image/" + "z" * 80),
            f"the image type image/{'z' * 54} is not supported (only WebP, JPEG, PNG and GIF)",
        ),
        ((b"", "image/png"), "the download was empty"),
        (
            (b"\x89PNG", "image/png", {"Content-Length": "1048576"}),
            "the image is 1 MB, larger than the 1 KB limit",  # refused before reading
        ),
        ((BIG_PNG, "image/png"), TOO_BIG),  # no Content-Length: counted as it comes
    ],
)
def test_a_download_that_fails_is_reported_in_words_and_leaves_no_file(
    http, tmp_path, given, reason
):
    url = f"{DELIVERY}/a"
    http.add(responses.GET, url, **answer(given))

    with pytest.raises(OutputsIncomplete) as caught:
        save_outputs(make_prediction(url), tmp_path, max_bytes=1024)

    assert caught.value.message == f"1 of 1 image could not be saved: output 0: {reason}"
    assert (caught.value.saved, caught.value.failures) == ([], [(url, reason)])
    assert caught.value.prediction_id == "pred123"
    assert names(tmp_path) == ["pred123.json"]
    assert sidecar(tmp_path)["failures"] == [{"output": 0, "url": url, "reason": reason}]


PNG_URI = data_uri(image_bytes())
BAD_BASE64 = PNG_URI[:30] + "!" + PNG_URI[30:]  # a lenient decoder would skip the "!"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("", "the output is empty"),
        ("file:///etc/passwd", "the output is neither an http(s) URL nor a data: URI"),
        ("data:image/png;base64", "the data: URI is malformed"),
        (BAD_BASE64, "the data: URI is not valid base64"),
        (data_uri(b"x" * 1500), TOO_BIG),
        (data_uri(b"plain text " * 10, "text/plain"), "the content is not an image (text/plain)"),
    ],
    ids=["empty", "file-url", "malformed", "bad-base64", "too-big", "text"],
)
def test_an_output_that_is_no_image_is_named_by_its_index_never_echoed(tmp_path, source, reason):
    with pytest.raises(OutputsIncomplete) as caught:
        save_outputs(make_prediction(source), tmp_path, max_bytes=1024)

    assert caught.value.failures == [(0, reason)]
    assert str(caught.value) == f"1 of 1 image could not be saved: output 0: {reason}"
    assert names(tmp_path) == ["pred123.json"]
    assert sidecar(tmp_path)["failures"] == [{"output": 0, "reason": reason}]
    if len(source) > 100:  # a data: URI's payload is not copied into the record
        assert source[40:] not in (tmp_path / "pred123.json").read_text()


def test_failures_keep_the_other_images_and_all_are_named(http, tmp_path):
    good = image_bytes("WEBP")
    http.add(responses.GET, f"{DELIVERY}/a", body=good, content_type="image/webp")
    expired = "http://replicate.delivery/b"  # http:// is named by its URL too
    http.add(responses.GET, expired, status=410)
    http.add(responses.GET, f"{DELIVERY}/d", body=good, content_type="image/webp")
    prediction = make_prediction(f"{DELIVERY}/a", expired, "data:,", f"{DELIVERY}/d")
    saving, handed_on = iter_saved_outputs(prediction, tmp_path), []

    with pytest.raises(OutputsIncomplete) as caught:
        for item in saving:
            handed_on.append(item)

    saved = [tmp_path / "pred123-0.webp", tmp_path / "pred123-3.webp"]
    assert sorted(handed_on) == list(zip([0, 3], saved, strict=True))
    error = caught.value
    assert error.message == (
        f"2 of 4 images could not be saved: output 1: {EXPIRED}; output 2: the download was empty"
    )
    assert (error.saved, error.prediction_id) == (saved, "pred123")
    assert error.failures == [(expired, EXPIRED), (2, "the download was empty")]
    with pytest.raises(StopIteration):  # said once
        next(saving)
    assert pixels(saved[1].read_bytes()) == pixels(good)
    assert names(tmp_path) == ["pred123-0.webp", "pred123-3.webp", "pred123.json"]
    assert sidecar(tmp_path)["files"] == ["pred123-0.webp", "pred123-3.webp"]
    assert sidecar(tmp_path)["failures"] == [
        {"output": 1, "url": expired, "reason": EXPIRED},
        {"output": 2, "reason": "the download was empty"},
    ]


def test_no_credential_reaches_a_delivery_host_or_the_cdn_it_redirects_to(http, tmp_path):
    cdn = "https://cdn.example.net/out-0.png"
    http.add(responses.GET, f"{DELIVERY}/a", status=302, headers={"Location": cdn})
    http.add(responses.GET, cdn, body=image_bytes(), content_type="image/png")
    session = requests.Session()
    session.headers["Authorization"] = "Bearer sk-secret-key-123456"
    session.headers["X-Api-Key"] = "sk-secret-key-123456"
    session.auth = ("user", "password")

    paths = save_outputs(
        make_prediction(f"{DELIVERY}/a"), tmp_path, session=session, timeout=(1.5, 7.0)
    )

    assert paths == [tmp_path / "pred123-0.png"]
    for call in http.calls:
        assert "Authorization" not in call.request.headers
        assert "sk-secret" not in str(dict(call.request.headers))
        assert call.request.headers["Accept"] == "image/*"
        assert call.request.headers["User-Agent"] == "comet-flux (image download)"
    assert http.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)  # every request has one
    assert session.headers["Authorization"] == "Bearer sk-secret-key-123456"  # left untouched


def test_downloads_take_the_environments_proxy_looked_up_once_per_host(
    simulator, tmp_path, monkeypatch
):
    # The simulator stands in for the proxy: a proxied request names its real target in full.
    from comet.client import CometClient

    with CometClient(api_key="k", base_url=simulator.base_url) as client:
        made = client.run(MODEL, {"prompt": "a red square"})
    path = urllib.parse.urlsplit(made.output[0]).path
    monkeypatch.setenv("HTTP_PROXY", simulator.base_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    session = requests.Session()
    delivery = f"http://delivery.example.invalid{path}"

    first = save_outputs(make_prediction(delivery, id="p1"), tmp_path, session=session)

    assert first == [tmp_path / "p1-0.webp"]
    assert simulator.received[-1].path == delivery
    # Read once per host: a later change of the environment does not reach that host...
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    again = save_outputs(make_prediction(delivery, id="p2"), tmp_path, session=session)
    assert again == [tmp_path / "p2-0.webp"]
    # ...while a host not seen before is looked up afresh (and here finds the dead proxy).
    with pytest.raises(OutputsIncomplete, match="could not be reached"):
        save_outputs(
            make_prediction(f"http://other.example.invalid{path}", id="p3"),
            tmp_path,
            session=session,
        )


def test_shorten_data_uris_cuts_every_data_uri_to_its_size_and_keeps_the_rest():
    uri = data_uri(b"x" * 300)
    value = {"a": [uri, "https://example.com/x.png", 3, None], "b": ({"c": uri},), "d": "plain"}

    short = shorten_data_uris(value)

    cut = "data:image/png;base64,… (300 bytes, omitted)"
    assert short == {
        "a": [cut, "https://example.com/x.png", 3, None],
        "b": [{"c": cut}],
        "d": "plain",
    }
    assert shorten_data_uris(short) == short  # idempotent
    assert value["b"][0]["c"] == uri  # the original is not changed
    assert shorten_data_uris("DATA:text/plain,hello%20world") == (
        "data:text/plain,… (11 bytes, omitted)"
    )
    assert shorten_data_uris("data:" + "x" * 500) == "data:… (505 bytes, omitted)"
    assert shorten_data_uris("data:abc") == "data:… (8 bytes, omitted)"  # no comma
    assert shorten_data_uris("data:text/plain,a,b") == "data:text/plain,… (3 bytes, omitted)"
    wrapped = "data:image/png;base64,QUJD\nREVX"  # base64 may be wrapped; X is a digit of it
    assert shorten_data_uris(wrapped) == "data:image/png;base64,… (6 bytes, omitted)"
    header = "image/png;" + "p" * 90  # 100 characters: the longest kept
    assert shorten_data_uris(f"data:{header},AAAA") == f"data:{header},… (4 bytes, omitted)"


# --- side by side, each file as it lands ------------------------------------------------------


def serve(http, hold: Callable[[str], None]) -> str:
    """Answer every delivery URL with a PNG after hold(url), which runs in the download's own
    thread and may block (a barrier that gives up raises, and the test fails on it)."""
    body = image_bytes("PNG")

    def answer(request):
        hold(request.url)
        return 200, {"Content-Type": "image/png"}, body

    http.add_callback(responses.GET, re.compile(f"{DELIVERY}/.*"), callback=answer)
    return DELIVERY


def held_until(event: threading.Event, name: str) -> Callable[[str], None]:
    """A hold that keeps the download of `name` waiting until event is set."""

    def hold(url: str) -> None:
        if url.endswith(name) and not event.wait(DEADLINE):
            raise TimeoutError(f"{name} was never released")

    return hold


def test_downloads_run_side_by_side_at_most_workers_at_a_time(http, tmp_path):
    pairs = threading.Barrier(2, timeout=DEADLINE)  # each answer waits for a second request
    lock = threading.Lock()
    in_flight, most = [0], [0]

    def hold(url: str) -> None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            pairs.wait()
        finally:
            with lock:
                in_flight[0] -= 1

    host = serve(http, hold)
    prediction = make_prediction(*(f"{host}/out-{i}.png" for i in range(4)))
    paths = save_outputs(prediction, tmp_path, workers=2)

    assert [p.name for p in paths] == [f"pred123-{i}.png" for i in range(4)]
    assert most[0] == 2


def test_each_file_is_handed_on_as_it_lands_and_the_sidecar_comes_last(http, tmp_path):
    release = threading.Event()  # output 0 is held back until output 1 has been handed on
    host = serve(http, held_until(release, "/slow.png"))
    saving = iter_saved_outputs(make_prediction(f"{host}/slow.png", f"{host}/fast.png"), tmp_path)

    assert saving.wait(DEADLINE) is True  # output 1 landed
    assert saving.wait(0) is True  # and is still there to take
    first = next(saving)

    assert first == (1, tmp_path / "pred123-1.png")
    assert read_settings(first[1]) == embedded(1)  # whole when handed on
    assert saving.pending == 1
    assert saving.wait(0) is False  # output 0 is still held
    assert names(tmp_path) == ["pred123-1.png"]  # no sidecar yet
    release.set()
    wait_for((tmp_path / "pred123-0.png").exists, "output 0")
    assert saving.wait(0.9) is True
    assert next(saving) == (0, tmp_path / "pred123-0.png")
    assert saving.wait(0) is True  # nothing more to wait for
    assert list(saving) == []
    assert saving.pending == 0
    assert sidecar(tmp_path)["files"] == ["pred123-0.png", "pred123-1.png"]


def test_downloads_start_before_the_first_next(http, tmp_path):
    host = serve(http, lambda url: None)

    saving = iter_saved_outputs(make_prediction(f"{host}/a.png", f"{host}/b.png"), tmp_path)

    wait_for(lambda: len(list(tmp_path.glob("*.png"))) == 2, "the downloads to land unasked")
    assert sorted(saving) == [(0, tmp_path / "pred123-0.png"), (1, tmp_path / "pred123-1.png")]


def test_closing_early_returns_at_once_and_the_download_under_way_still_lands(http, tmp_path):
    release = threading.Event()
    host = serve(http, held_until(release, "/slow.png"))
    outputs = [f"{host}/fast.png", f"{host}/slow.png", f"{host}/never.png"]
    saving = iter_saved_outputs(make_prediction(*outputs), tmp_path, workers=1)
    assert next(saving)[0] == 0  # and output 1 is under way, held

    saving.close()  # Stop while saving: must not wait for the held download
    release.set()  # only now can the held download end: had close() waited, it would hang

    wait_for(lambda: names(tmp_path) == ["pred123-0.png", "pred123-1.png"], "output 1")
    assert list(saving) == []
    assert not any("never" in call.request.url for call in http.calls)  # not started once closed
    assert read_settings(tmp_path / "pred123-1.png") == embedded(1)


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
