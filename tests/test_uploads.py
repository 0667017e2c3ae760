"""Uploads become data: URIs only after a header check: a decompression bomb is never decoded."""

from __future__ import annotations

import base64
import io
import json
import struct
import tracemalloc
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from comet.errors import InvalidInputError
from tests.support import ROOT, clean_env, run_python
from webui.uploads import MAX_PIXELS, image_to_data_uri

BOMB_SIDE = 13_000  # 169 MP: ~170 MB decoded as mode "1", ~680 MB as RGBA


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """A real PNG of 13000 x 13000 pixels that is a few KB on disk."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    image = Image.new("1", (BOMB_SIDE, BOMB_SIDE))
    image.save(path, optimize=True)
    image.close()
    assert path.stat().st_size < 1_000_000
    return path


def _png_header_only(path, width: int, height: int):
    """A PNG whose header declares width x height; its pixel data is a few bytes (truncated)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    idat = zlib.compress(b"\x00" * 64)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def _refusal(path, **kwargs) -> str:
    with pytest.raises(InvalidInputError) as info:
        image_to_data_uri(path, field="input_images", **kwargs)
    assert info.value.field == "input_images"
    return str(info.value)


def test_a_bomb_is_refused_naming_the_field_and_its_size(bomb):
    message = _refusal(bomb)
    assert '"input_images"' in message
    assert "13,000 x 13,000" in message and "40 megapixels" in message


def test_a_bomb_is_refused_from_its_header_without_decoding(bomb, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("the upload was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "thumbnail", no_decoding)
    monkeypatch.setattr(Image.Image, "convert", no_decoding)
    tracemalloc.start()
    try:
        _refusal(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # tracemalloc sees Python's allocations (a read_bytes() of the file, say), not Pillow's own
    # buffers: the subprocess test below measures those.
    assert peak < 5_000_000


def test_pillows_bomb_warning_does_not_become_an_exception(bomb):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under `python -W error`
        _refusal(bomb)


def test_an_image_beyond_pillows_own_hard_limit_gets_the_same_message(tmp_path):
    side = 20_000  # 400 MP: Image.open itself raises DecompressionBombError
    assert side * side > 2 * Image.MAX_IMAGE_PIXELS
    message = _refusal(_png_header_only(tmp_path / "huge.png", side, side))
    assert "too many pixels" in message and "40 megapixels" in message


_MEASURE = """
import json, sys, warnings
sys.path.insert(0, {root!r})
from PIL import Image
from comet.errors import InvalidInputError
import importlib.util
spec = importlib.util.spec_from_file_location("uploads", {module!r})  # without gradio
uploads = importlib.util.module_from_spec(spec)
spec.loader.exec_module(uploads)

def peak_mb():  # VmHWM: this process's peak resident memory (ru_maxrss counts the parent's)
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

before = peak_mb()
try:
    uploads.image_to_data_uri({bomb!r}, field="image")
    refused = False
except InvalidInputError:
    refused = True
after_refusal = peak_mb()
warnings.simplefilter("ignore")
with Image.open({bomb!r}) as image:
    image.load()  # the control: what decoding it costs
after_decoding = peak_mb()
print(json.dumps([refused, before, after_refusal, after_decoding]))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_refusing_a_bomb_costs_no_decoding_memory(bomb, tmp_path):
    script = _MEASURE.format(root=str(ROOT), module=str(ROOT / "webui/uploads.py"), bomb=str(bomb))
    result = run_python(["-c", script], cwd=tmp_path, env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    refused, before, after_refusal, after_decoding = json.loads(result.stdout)
    assert refused
    assert after_refusal - before < 30  # MB; decoding it takes ~170 MB, as the control shows
    assert after_decoding - after_refusal > 100


def test_pixel_limit_is_checked_before_downscaling(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (3000, 1500)).save(path)
    message = _refusal(path, max_pixels=4_000_000)
    assert "3,000 x 1,500" in message
    assert image_to_data_uri(path, field="image").startswith("data:image/jpeg;base64,")
    assert 3000 * 1500 < MAX_PIXELS


def test_a_large_image_with_transparency_is_downscaled_to_png(tmp_path):
    path = tmp_path / "logo.png"
    Image.new("RGBA", (4000, 1000), (255, 0, 0, 128)).save(path)
    uri = image_to_data_uri(path, field="input_image")
    assert uri.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as image:
        assert image.size == (2048, 512) and image.mode == "RGBA"


def test_a_small_upload_is_sent_as_uploaded(tmp_path):
    path = tmp_path / "a.gif"
    Image.new("P", (16, 16)).save(path)
    uri = image_to_data_uri(path, field="image")
    assert base64.b64decode(uri.split(",", 1)[1]) == path.read_bytes()
    assert uri.startswith("data:image/gif;base64,")


def test_a_truncated_large_image_is_a_message_not_a_traceback(tmp_path):
    whole = tmp_path / "whole.png"
    Image.effect_noise((3000, 1000), 60).convert("RGB").save(whole)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert "could not be read" in _refusal(cut)
