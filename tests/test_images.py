"""A local image becomes a data: URI (comet.images; the app's uploads and the CLI's @path): checked
from its header first, so a decompression bomb is refused without decoding a pixel; a large
image downscaled; a small one sent byte for byte; every refusal one message naming the input.
"""

from __future__ import annotations

import base64
import io
import struct
import warnings
import zlib

import pytest
from PIL import Image, ImageFile

from comet.errors import InvalidInputError
from comet.images import image_to_data_uri


def png_header_only(path, width: int, height: int):
    """A PNG whose header declares width x height; its pixel data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def refusal(path, **limits) -> str:
    with pytest.raises(InvalidInputError) as caught:
        image_to_data_uri(path, field="input_images", **limits)
    assert caught.value.field == "input_images"
    return str(caught.value)


def decoded(uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_a_bomb_is_refused_from_its_header_without_decoding(tmp_path, monkeypatch):
    bomb = png_header_only(tmp_path / "bomb.png", 13_000, 13_000)  # 169 MP, a few bytes

    def no_decoding(*args, **kwargs):
        raise AssertionError("the upload was decoded")

    for owner, name in [(ImageFile.ImageFile, "load"), (Image.Image, "thumbnail")]:
        monkeypatch.setattr(owner, name, no_decoding)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's bomb warning, as under `python -W error`
        message = refusal(bomb)

    assert message == (
        '"input_images": the image is 13,000 x 13,000 pixels (169 MP); the limit is '
        "40 megapixels. Use a smaller image or a public https URL."
    )


def test_an_image_beyond_pillows_own_hard_limit_gets_the_same_kind_of_message(tmp_path):
    side = 20_000  # 400 MP: Image.open itself raises DecompressionBombError
    assert side * side > 2 * Image.MAX_IMAGE_PIXELS

    message = refusal(png_header_only(tmp_path / "huge.png", side, side))

    assert message.startswith('"input_images": the image has far too many pixels; the limit is')


def test_the_pixel_limit_comes_before_downscaling_and_a_large_image_becomes_a_jpeg(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (1200, 600), (200, 10, 10)).save(path)

    message = refusal(path, max_pixels=719_999)
    uri = image_to_data_uri(path, field="image", max_side=1000, max_pixels=720_000)  # the most

    assert "1,200 x 600 pixels (1 MP); the limit is 0.719999 megapixels" in message
    assert uri.startswith("data:image/jpeg;base64,")
    with decoded(uri) as image:
        assert (image.format, image.size) == ("JPEG", (1000, 500))


def test_a_large_image_with_transparency_is_downscaled_to_png(tmp_path):
    path = tmp_path / "logo.png"
    Image.new("LA", (2000, 500), (255, 128)).save(path)

    uri = image_to_data_uri(path, field="input_image", max_side=1000)

    assert uri.startswith("data:image/png;base64,")
    with decoded(uri) as image:
        assert (image.size, image.mode) == ((1000, 250), "RGBA")
        assert image.getpixel((0, 0)) == (255, 255, 255, 128)


def test_a_small_upload_is_sent_byte_for_byte(tmp_path):
    path = tmp_path / "a.gif"
    Image.new("P", (16, 16)).save(path)

    uri = image_to_data_uri(path, field="image", max_side=16)  # as large as may be sent as is

    assert uri == "data:image/gif;base64," + base64.b64encode(path.read_bytes()).decode()


def test_each_unusable_file_is_one_message_naming_the_input(tmp_path):
    big = tmp_path / "big.png"
    Image.effect_noise((64, 64), 60).convert("RGB").save(big)
    bmp = tmp_path / "a.bmp"
    Image.new("RGB", (8, 8)).save(bmp)
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    whole = tmp_path / "whole.png"
    Image.effect_noise((2100, 16), 60).convert("RGB").save(whole)  # larger than MAX_SIDE
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    size = big.stat().st_size
    field = '"input_images": '

    image_to_data_uri(big, max_bytes=size)  # the limit is inclusive
    assert refusal(big, max_bytes=size - 1) == field + (
        f"the upload is {size / 1e6:.1f} MB; the limit is 0 MB. "
        "Use a smaller image or a public https URL."
    )
    assert refusal(tmp_path / "gone.png") == field + "the uploaded file is gone; upload it again."
    assert refusal(bmp) == field + "BMP is not accepted; use JPEG, PNG, GIF or WebP."
    assert refusal(text) == field + "the upload is not an image; use JPEG, PNG, GIF or WebP."
    assert refusal(cut).startswith(field + "the image could not be read (image file is truncated")
    with pytest.raises(InvalidInputError, match='^"image": the uploaded file is gone'):
        image_to_data_uri(tmp_path / "gone.png")  # the input's name when none is given
