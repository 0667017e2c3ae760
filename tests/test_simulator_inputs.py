"""Image inputs in the simulator: data: URIs are drawn, URLs are never fetched (the demo must
not make requests on its visitors' behalf), and a decompression bomb is never decoded."""

from __future__ import annotations

import base64
import io
import json
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from PIL import Image, ImageStat

from comet.simulator import MAX_INPUT_PIXELS, Simulator, render_image
from comet.simulator.inputs import TOO_LARGE_PLACEHOLDER, UNREADABLE_PLACEHOLDER, URL_PLACEHOLDER
from tests.support import clean_env, run_python

KEY = "test-key-123456"
BOMB_SIDE = 13_000  # 169 MP: decoding it costs about 170 MB, and 500 MB more as RGB


@pytest.fixture
def sim():
    with Simulator(time_scale=0.0, image_size=256) as simulator:
        yield simulator


@pytest.fixture
def http():
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {KEY}"
        yield session


def run(http, sim, model: str, **inputs) -> dict:
    """Create at time_scale 0, where the first poll already sees the end."""
    inputs.setdefault("prompt", "a lantern on a jetty")
    url = f"{sim.base_url}/replicate/v1/models/black-forest-labs/{model}/predictions"
    response = http.post(url, json={"input": inputs}, timeout=10)
    assert response.status_code == 201, response.text
    done = http.get(response.json()["urls"]["get"], timeout=5).json()
    assert done["status"] == "succeeded", done
    return done


def output_bytes(done: dict) -> bytes:
    url = done["output"][0] if isinstance(done["output"], list) else done["output"]
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return response.content


def png_data_uri(image: Image.Image, **save) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **save)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def red_png(size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (220, 20, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def redness(raw: bytes) -> float:
    red, green, blue = ImageStat.Stat(Image.open(io.BytesIO(raw)).convert("RGB")).mean
    return red / max(1.0, (green + blue) / 2)


def expected_render(done: dict, placeholders: list[str], size=(256, 256)) -> bytes:
    """What the simulator draws for this prediction when its inputs are placeholder tiles."""
    seed = int(done["logs"].split("Using seed: ")[1].split("\n")[0])
    url = done["output"][0] if isinstance(done["output"], list) else done["output"]
    return render_image(
        model=done["model"],
        prompt=done["input"]["prompt"],
        seed=seed,
        index=0,
        size=size,
        output_format=url.rsplit(".", 1)[-1],
        input_images=placeholders,
    )


class CountingServer:
    """A real listener on 127.0.0.1 that serves a red PNG and counts every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib naming
                owner.requests.append(self.path)
                body = red_png()
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- data: URIs are drawn -------------------------------------------------------------------


def test_a_data_uri_input_image_shows_through_and_sets_the_size(sim, http):
    uri = "data:image/png;base64," + base64.b64encode(red_png((300, 200))).decode()
    done = run(http, sim, "flux-kontext-pro", input_image=uri)
    raw = output_bytes(done)
    assert Image.open(io.BytesIO(raw)).size == (300, 200)  # match_input_image, kontext's default
    assert redness(raw) > 1.5


def test_an_unreadable_data_uri_is_drawn_as_a_placeholder(sim, http):
    uri = "data:image/png;base64," + base64.b64encode(b"not a png at all").decode()
    done = run(http, sim, "flux-dev", image=uri, seed=3)
    assert output_bytes(done) == expected_render(done, [UNREADABLE_PLACEHOLDER])


# --- URLs are never fetched -----------------------------------------------------------------


def test_an_image_url_input_is_never_fetched(sim, http):
    with CountingServer() as listener:
        url = f"http://127.0.0.1:{listener.port}/red.png"
        https_url = f"https://localhost:{listener.port}/red.png"
        dev = run(http, sim, "flux-dev", image=url, seed=1)
        kontext = run(http, sim, "flux-kontext-pro", input_image=url, seed=2)
        flux2 = run(http, sim, "flux-2-pro", input_images=[url, https_url], seed=3)
        outputs = [output_bytes(done) for done in (dev, kontext, flux2)]
        assert listener.requests == []
        # The listener does answer: had the simulator asked, the count would show it.
        assert requests.get(url, timeout=5).status_code == 200
        assert listener.requests == ["/red.png"]
    assert outputs[0] == expected_render(dev, [URL_PLACEHOLDER])
    assert outputs[1] == expected_render(kontext, [URL_PLACEHOLDER])  # no size to match: square
    assert outputs[2] == expected_render(flux2, [URL_PLACEHOLDER, URL_PLACEHOLDER])
    assert all(redness(raw) < 1.5 for raw in outputs)


def test_the_url_placeholder_is_a_grey_tile_saying_why():
    def centre(inputs) -> ImageStat.Stat:
        raw = render_image(
            model="m", prompt="", seed=0, index=0, size=(256, 256), input_images=inputs
        )
        image = Image.open(io.BytesIO(raw)).convert("RGB")
        return ImageStat.Stat(image.crop((96, 112, 160, 144)))  # where the tile's text is

    tile, plain = centre([URL_PLACEHOLDER]), centre(None)
    assert max(tile.mean) - min(tile.mean) < max(plain.mean) - min(plain.mean)  # greyer
    assert min(tile.stddev) > max(plain.stddev)  # white text crosses it


# --- decompression bombs are not decoded ----------------------------------------------------


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    """A real 13000x13000 PNG, small on the wire: one bit per pixel, all black."""
    image = Image.new("1", (BOMB_SIDE, BOMB_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


BOMB_SCRIPT = textwrap.dedent(
    """
    import base64, io, json, resource, sys
    import requests
    from PIL import Image
    from comet.simulator import Simulator

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def run(http, sim, uri):
        url = sim.base_url + "/replicate/v1/models/black-forest-labs/flux-kontext-pro/predictions"
        created = http.post(url, json={"input": {"prompt": "x", "input_image": uri}}, timeout=60)
        done = http.get(created.json()["urls"]["get"], timeout=60).json()
        image = requests.get(done["output"], timeout=60).content
        return done["status"], Image.open(io.BytesIO(image)).size

    small = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(small, "PNG")
    bomb = open(sys.argv[1], "rb").read()
    with Simulator(time_scale=0, image_size=256) as sim, requests.Session() as http:
        http.headers["Authorization"] = "Bearer k"
        run(http, sim, "data:image/png;base64," + base64.b64encode(small.getvalue()).decode())
        before = peak_mb()
        status, size = run(http, sim, "data:image/png;base64," + base64.b64encode(bomb).decode())
        after = peak_mb()
    print(json.dumps({"status": status, "size": size, "growth_mb": after - before}))
    """
)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_huge_data_uri_image_is_answered_without_decoding_it(bomb_png, tmp_path):
    assert len(bomb_png) < 1_000_000, len(bomb_png)
    with Image.open(io.BytesIO(bomb_png)) as probe:
        assert probe.size == (BOMB_SIDE, BOMB_SIDE) and BOMB_SIDE**2 > MAX_INPUT_PIXELS
    (tmp_path / "bomb.png").write_bytes(bomb_png)
    (tmp_path / "measure.py").write_text(BOMB_SCRIPT)
    # A fresh process, so the peak RSS is this prediction's and not an earlier test's.
    result = run_python(["measure.py", "bomb.png"], cwd=tmp_path, env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    assert measured["status"] == "succeeded"
    assert measured["size"] == [256, 256]  # too large to match: the default square
    assert measured["growth_mb"] < 100, measured  # a decode would add well over 500 MB


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_huge_data_uri_image_is_drawn_as_a_placeholder(bomb_png, sim, http):
    uri = "data:image/png;base64," + base64.b64encode(bomb_png).decode()
    done = run(http, sim, "flux-dev", image=uri, seed=4)
    assert output_bytes(done) == expected_render(done, [TOO_LARGE_PLACEHOLDER])


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_render_image_itself_refuses_to_decode_a_huge_input(bomb_png):
    def draw(inputs):
        return render_image(model="m", prompt="p", seed=0, index=0, size=(64, 64), **inputs)

    # Drawn like any input it cannot show: the same grey tile as undecodable bytes.
    assert draw({"input_images": [bomb_png]}) == draw({"input_images": [b"not an image"]})
