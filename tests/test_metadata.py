"""Settings inside the saved images: added without touching pixels, read back by Pillow and by
comet.metadata, and nothing but None (never an exception) for junk, truncated or huge files.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import struct
import tracemalloc
import zlib

import pytest
from PIL import Image, PngImagePlugin

from comet import saved_files
from comet.history import History
from comet.jobs import save_prediction, start_job
from comet.metadata import (
    MetadataError,
    embed_settings,
    parameters_line,
    read_settings,
    settings_of,
    with_settings,
)
from comet.outputs import save_outputs
from comet.prediction import Prediction

SCHNELL = "black-forest-labs/flux-schnell"
USER_COMMENT = (0x8769, 0x9286)  # (Exif IFD, UserComment)
SETTINGS = {
    "app": "comet-flux",
    "version": 1,
    "model": SCHNELL,
    "prompt": 'phố cổ Hội An lúc hoàng hôn <lanterns> & "rain"',
    "seed": 1234,
    "input": {
        "prompt": 'phố cổ Hội An lúc hoàng hôn <lanterns> & "rain"',
        "seed": 1234,
        "aspect_ratio": "16:9",
        "go_fast": False,
    },
    "prediction_id": "p-abc123",
}


def picture(mode: str = "RGB", size: tuple[int, int] = (40, 24)) -> Image.Image:
    """A picture with detail (a gradient and a fractal), so lossy codecs have work to do."""
    image = Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 60).convert(mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(size))
    return image


def encoded(fmt: str, mode: str = "RGB", **options) -> bytes:
    buffer = io.BytesIO()
    picture(mode).save(buffer, fmt, **options)
    return buffer.getvalue()


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.mode, image.size, image.tobytes()


def exif_settings(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        comment = image.getexif().get_ifd(USER_COMMENT[0])[USER_COMMENT[1]]
    assert comment.startswith(b"ASCII\0\0\0")
    return json.loads(comment[8:])


def xmp_settings(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        xmp = image.info["xmp"]
    return xmp.decode() if isinstance(xmp, bytes) else xmp


FORMATS = {
    "png": ("PNG", "RGB", {}),
    "png-rgba": ("PNG", "RGBA", {}),
    "jpeg": ("JPEG", "RGB", {"quality": 80}),
    "webp-lossy-vp8": ("WEBP", "RGB", {"quality": 80}),
    "webp-lossless-vp8l": ("WEBP", "RGBA", {"lossless": True}),
    "webp-extended-vp8x": ("WEBP", "RGBA", {"quality": 80}),  # lossy with alpha: VP8X + ALPH
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_round_trip_keeps_the_pixels_and_pillow_and_our_reader_read_the_settings(name):
    fmt, mode, options = FORMATS[name]
    original = encoded(fmt, mode, **options)
    if name.startswith("webp"):  # the case under test is the container the encoder chose
        chunk = {"webp-lossy-vp8": b"VP8 ", "webp-lossless-vp8l": b"VP8L"}.get(name, b"VP8X")
        assert original[12:16] == chunk

    saved = with_settings(original, SETTINGS)

    assert pixels(saved) == pixels(original)
    assert read_settings(saved) == SETTINGS
    if fmt == "PNG":
        with Image.open(io.BytesIO(saved)) as image:  # header only: before the first IDAT
            assert json.loads(image.info["comet"]) == SETTINGS
            assert image.info["parameters"].startswith(SETTINGS["prompt"] + "\n")
            assert json.loads(image.text["comet"]) == SETTINGS
    else:
        assert exif_settings(saved) == SETTINGS
        assert "comet:settings" in xmp_settings(saved)
        assert "Seed: 1234" in xmp_settings(saved)  # the readable line, as dc:description


def test_a_simple_webp_becomes_extended_with_its_canvas_and_flags():
    original = encoded("WEBP", "RGBA", lossless=True)
    saved = with_settings(original, SETTINGS)
    assert saved[12:16] == b"VP8X"
    flags = saved[20]
    assert flags & 0x08 and flags & 0x04 and flags & 0x10  # EXIF, XMP, alpha
    width = int.from_bytes(saved[24:27], "little") + 1
    height = int.from_bytes(saved[27:30], "little") + 1
    assert (width, height) == (40, 24)
    assert int.from_bytes(saved[4:8], "little") == len(saved) - 8


def test_embedding_again_replaces_the_settings_instead_of_adding_more():
    changed = {**SETTINGS, "seed": 5}
    for fmt in ("PNG", "WEBP", "JPEG"):
        twice = with_settings(with_settings(encoded(fmt), SETTINGS), changed)
        assert read_settings(twice) == changed, fmt
        if fmt == "PNG":
            assert twice.count(b"iTXtcomet\0") == 1
        if fmt == "WEBP":
            assert twice.count(b"EXIF") == 1 and twice.count(b"XMP ") == 1


def test_existing_exif_is_kept_and_ours_merged_into_it():
    exif = Image.Exif()
    exif[0x010F] = "A camera"  # Make
    for fmt in ("JPEG", "WEBP"):
        original = encoded(fmt, exif=exif.tobytes())
        saved = with_settings(original, SETTINGS)
        with Image.open(io.BytesIO(saved)) as image:
            assert image.getexif()[0x010F] == "A camera"
        assert exif_settings(saved) == SETTINGS
        assert pixels(saved) == pixels(original)


def test_a_foreign_xmp_packet_is_kept_and_the_settings_still_travel_in_exif():
    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- an editor was here --></x:xmpmeta>'
    for fmt in ("JPEG", "WEBP"):
        saved = with_settings(encoded(fmt, xmp=packet), SETTINGS)
        assert "an editor was here" in xmp_settings(saved)
        assert read_settings(saved) == SETTINGS


def test_reads_from_a_path_a_file_object_and_bytes(tmp_path):
    data = with_settings(encoded("WEBP"), SETTINGS)
    path = tmp_path / "x.webp"
    path.write_bytes(data)
    assert read_settings(path) == read_settings(str(path)) == SETTINGS
    assert read_settings(io.BytesIO(data)) == read_settings(data) == SETTINGS


def test_embed_settings_rewrites_a_file_in_place_and_leaves_junk_alone(tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(encoded("PNG"))
    assert embed_settings(image, SETTINGS) is True
    assert read_settings(image) == SETTINGS
    junk = tmp_path / "b.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert embed_settings(junk, SETTINGS) is False
    assert junk.read_bytes() == b"\x89PNG\r\n\x1a\nnot really"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temp left


# -- junk, truncation, hostile files --------------------------------------------------------


JUNK = [
    b"",
    b"hello, world",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIHDR",
    b"\xff\xd8",
    b"\xff\xd8\xff\xe1\x00",
    b"\xff\xd8\xff\xe1\x00\x10Exif\0\0MM\0*\xff\xff\xff\xff",
    b"RIFF\xff\xff\xff\xffWEBPVP8X",
    b"RIFF\x10\x00\x00\x00WEBPEXIF\x04\x00\x00\x00MM\0*",
    b"GIF89a\x01\x00\x01\x00",
    bytes(range(256)) * 40,
]


@pytest.mark.parametrize("data", JUNK)
def test_junk_gives_none_and_cannot_be_embedded_into(data):
    assert read_settings(data) is None
    with pytest.raises(MetadataError):
        with_settings(data, SETTINGS)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_every_truncation_is_read_without_raising_and_refused_for_writing(fmt):
    original = encoded(fmt)
    saved = with_settings(original, SETTINGS)
    for cut in range(len(saved)):
        assert read_settings(saved[:cut]) in (None, SETTINGS)
    # A JPEG's scan is copied unread: cut in it, the file still takes the settings, and they
    # read back once the scan's header is whole.
    scan = original.find(b"\xff\xda") if fmt == "JPEG" else len(original)
    scan_data = scan + 2 + int.from_bytes(original[scan + 2 : scan + 4], "big")
    for cut in range(len(original)):
        if cut < scan + 4:
            with pytest.raises(MetadataError):
                with_settings(original[:cut], SETTINGS)
        elif cut >= scan_data:
            assert read_settings(with_settings(original[:cut], SETTINGS)) == SETTINGS


def test_an_image_without_settings_gives_none():
    for fmt in ("PNG", "JPEG", "WEBP", "GIF"):
        assert read_settings(encoded(fmt)) is None


def with_text_chunk(data: bytes, kind: bytes, body: bytes) -> bytes:
    """A PNG with one more chunk just before IEND (where some tools put their text)."""
    at = data.rfind(b"IEND") - 4
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return data[:at] + len(body).to_bytes(4, "big") + kind + body + crc + data[at:]


def test_other_text_under_our_keyword_is_not_taken_for_settings():
    for text in ("not json", '["a list"]', '{"model": 1, "input": {}}', '{"model": "m"}'):
        data = with_text_chunk(encoded("PNG"), b"tEXt", b"comet\0" + text.encode())
        assert read_settings(data) is None, text


def test_settings_written_before_iend_by_another_tool_are_read_too():
    data = with_text_chunk(encoded("PNG"), b"tEXt", b"comet\0" + json.dumps(SETTINGS).encode())
    assert read_settings(data) == SETTINGS


def test_a_compressed_text_bomb_is_not_inflated():
    bomb = zlib.compress(b"{" * (64 * 1024 * 1024), 9)  # 64 MB of text in about 64 KB
    data = with_text_chunk(encoded("PNG"), b"zTXt", b"comet\0\0" + bomb)
    tracemalloc.start()
    try:
        assert read_settings(data) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


def test_a_huge_file_is_read_by_seeking_past_the_pixels(tmp_path):
    """A 3 GB PNG (sparse on disk) whose settings sit after its image data: a few small reads."""
    saved = with_settings(encoded("PNG"), SETTINGS)
    head_end = saved.index(b"IDAT") - 4  # where our chunks end and the image data begins
    ours = saved[saved.index(b"iTXtcomet") - 4 : head_end]
    header = saved[: saved.index(b"iTXtcomet") - 4]
    huge = 3 * 1024**3
    path = tmp_path / "huge.png"
    with open(path, "wb") as file:
        file.write(header)
        for _ in range(2):  # two IDAT chunks of 1.5 GB, holes on disk
            file.write((huge // 2).to_bytes(4, "big") + b"IDAT")
            file.seek(huge // 2 + 4, io.SEEK_CUR)
        file.write(ours)
        file.write(saved[-12:])  # IEND
    tracemalloc.start()
    try:
        assert read_settings(path) == SETTINGS
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def with_pixel_count(data: bytes, width: int, height: int) -> bytes:
    """The image with its header saying width x height (its data stays a few bytes)."""
    if data.startswith(b"\x89PNG"):
        ihdr = data[12:16] + struct.pack(">II", width, height) + data[24:29]
        return data[:16] + ihdr[4:] + zlib.crc32(ihdr).to_bytes(4, "big") + data[33:]
    frame = data.index(b"\xff\xc0") + 5  # JPEG: the frame header's height and width
    return data[:frame] + struct.pack(">HH", height, width) + data[frame + 4 :]


@pytest.mark.parametrize("case", ["png-bomb", "jpeg-bomb", "jpeg-of-junk"])
def test_a_hostile_header_reads_as_none_at_the_cost_of_a_few_reads(tmp_path, case):
    """A decompression-bomb header (Pillow refuses it) with our settings, or a 3 GB JPEG of
    junk (sparse on disk): None, and Pillow is shown only the first few MB."""
    path = tmp_path / "hostile"
    if case == "jpeg-of-junk":
        with open(path, "wb") as file:
            file.write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
            file.truncate(3 * 1024**3)
    else:
        saved = with_settings(encoded("PNG" if case == "png-bomb" else "JPEG"), SETTINGS)
        path.write_bytes(with_pixel_count(saved, 60_000, 60_000))
    tracemalloc.start()
    try:
        assert read_settings(path) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_a_large_but_acceptable_pixel_count_still_reads():
    saved = with_settings(encoded("PNG"), SETTINGS)
    assert read_settings(with_pixel_count(saved, 10_000, 10_000)) == SETTINGS  # Pillow warns


def rewritten(form: str) -> bytes:
    """Our settings as other tools write them: compressed iTXt, a UNICODE comment, XMP alone."""
    document = json.dumps(SETTINGS)
    buffer = io.BytesIO()
    if form == "png-compressed-itxt":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("comet", document, zip=True)
        picture().save(buffer, "PNG", pnginfo=info)
    elif form.startswith("jpeg-unicode-comment"):
        exif = Image.Exif()
        exif.endian = "<" if form.endswith("little-endian") else ">"
        encoding = "utf-16-le" if form.endswith("little-endian") else "utf-16-be"
        exif.get_ifd(USER_COMMENT[0])[USER_COMMENT[1]] = b"UNICODE\0" + document.encode(encoding)
        picture().save(buffer, "JPEG", exif=exif.tobytes())
    else:
        xml = html.escape(document, quote=False)
        packet = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><comet:settings>{xml}</comet:settings>'
        picture().save(buffer, "JPEG" if form == "jpeg-xmp-only" else "WEBP", xmp=packet.encode())
    return buffer.getvalue()


@pytest.mark.parametrize(
    "form",
    [
        "png-compressed-itxt",
        "jpeg-unicode-comment-little-endian",
        "jpeg-unicode-comment-big-endian",
        "jpeg-xmp-only",
        "webp-xmp-only",
    ],
)
def test_settings_other_tools_wrote_are_read_too(form):
    data = rewritten(form)
    if form.endswith("xmp-only"):
        with Image.open(io.BytesIO(data)) as image:
            assert USER_COMMENT[1] not in image.getexif().get_ifd(USER_COMMENT[0])
    assert read_settings(data) == SETTINGS


# -- what goes in -------------------------------------------------------------------------------


def test_settings_of_a_prediction_shorten_uploaded_images():
    upload = "data:image/png;base64," + "A" * 400_000
    prediction = Prediction(
        id="p1",
        model="black-forest-labs/flux-kontext-pro",
        input={"prompt": "make it blue", "input_image": upload, "seed": 3},
        logs="",
    )
    settings = settings_of(prediction, output_index=2)
    assert settings["input"]["input_image"] == "data:image/png;base64,… (300000 bytes, omitted)"
    assert (settings["model"], settings["prompt"], settings["seed"]) == (
        "black-forest-labs/flux-kontext-pro",
        "make it blue",
        3,
    )
    assert (settings["prediction_id"], settings["output_index"]) == ("p1", 2)
    assert len(with_settings(encoded("PNG"), settings)) < 20_000


def test_the_seed_comes_from_the_logs_when_the_input_has_none():
    prediction = Prediction(id="p2", model=SCHNELL, input={"prompt": "x"}, logs="Using seed: 77")
    assert settings_of(prediction)["seed"] == 77


def test_parameters_line_reads_like_other_tools():
    line = parameters_line(SETTINGS)
    prompt, details = line.split("\n")
    assert prompt == SETTINGS["prompt"]
    assert details == (
        f"Model: {SCHNELL}, Seed: 1234, Aspect ratio: 16:9, Go fast: False, Prediction: p-abc123"
    )


# -- saved by the package -----------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["webp", "jpg", "png"])
def test_images_the_simulator_makes_are_saved_with_their_settings_and_no_key(
    simulator, client_for, tmp_path, output_format
):
    client = client_for(simulator, api_key="sk-secret-key-987654")
    values = {"prompt": "a lighthouse", "seed": 21, "output_format": output_format}
    final = None
    for final in start_job(client, SCHNELL, values, output_dir=tmp_path):  # noqa: B007
        pass
    [path] = final.files
    assert path.suffix == "." + output_format
    settings = read_settings(path)
    assert settings["model"] == SCHNELL and settings["prediction_id"] == final.prediction.id
    assert settings["prompt"] == "a lighthouse" and settings["seed"] == 21
    assert settings["input"]["output_format"] == output_format
    assert settings["output_index"] == 0
    raw = path.read_bytes()
    assert b"sk-secret-key-987654" not in raw and b"987654" not in raw
    with Image.open(path) as image:
        image.load()  # decodes: the file is a whole, valid image
        assert image.size == (256, 256)


def test_the_sent_input_is_embedded_when_the_poll_body_leaves_it_out(
    simulator, client_for, tmp_path
):
    client = client_for(simulator)
    prediction = client.run(SCHNELL, {"prompt": "no echo", "seed": 4})
    bare = Prediction(id=prediction.id, status="succeeded", output=prediction.output)
    [path] = save_outputs(bare, tmp_path)
    assert read_settings(path)["input"] == {}  # nothing to go on
    with History(tmp_path / "h.sqlite3") as history:
        history.record_created(prediction)
        [again], error = save_prediction(bare, tmp_path / "again", history)
    assert error is None
    assert read_settings(again)["input"]["prompt"] == "no echo"
    assert read_settings(again)["model"] == SCHNELL


def test_a_file_that_does_not_parse_is_saved_as_it_came_and_logged_once(
    tmp_path, caplog, monkeypatch
):
    monkeypatch.setattr(saved_files, "_embed_warned", False)
    fake = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # a PNG signature, then nothing a PNG has
    uri = "data:image/png;base64," + base64.b64encode(fake).decode()
    prediction = Prediction(id="p3", model=SCHNELL, status="succeeded", output=[uri] * 3)
    with caplog.at_level(logging.DEBUG, logger="comet.saved_files"):
        paths = save_outputs(prediction, tmp_path, workers=1)
    assert [p.read_bytes() for p in paths] == [fake] * 3
    said = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in said] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert all("without its settings in the file" in message for _, message in said)
