"""Settings inside the saved images (comet.metadata, comet._containers): added without touching
a pixel, read back by Pillow and by read_settings, and None (never an exception, never a big
read) for junk, truncated, hostile or huge files.
"""

from __future__ import annotations

import html
import io
import json
import struct
import tracemalloc
import warnings
import xml.etree.ElementTree as ET
import zlib

import pytest
from PIL import Image, PngImagePlugin

from comet.jobs import start_job
from comet.metadata import (
    MetadataError,
    embed_settings,
    parameters_line,
    read_settings,
    settings_of,
    with_settings,
)
from comet.prediction import Prediction

SCHNELL = "black-forest-labs/flux-schnell"
USER_COMMENT = (0x8769, 0x9286)  # (Exif IFD, UserComment)
PROMPT = 'phố cổ Hội An lúc hoàng hôn <lanterns> & "rain"\x07'  # \x07: not allowed in XML
SETTINGS = {
    "app": "comet-flux",
    "version": 1,
    "model": SCHNELL,
    "prompt": PROMPT,
    "seed": 1234,
    "input": {"prompt": PROMPT, "seed": 1234, "aspect_ratio": "16:9", "go_fast": False},
    "prediction_id": "p-abc123",
}


def picture(mode: str = "RGB", size: tuple[int, int] = (40, 24)) -> Image.Image:
    """A picture with detail, so lossy codecs have work to do."""
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


def xmp_text(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        xmp = image.info["xmp"]
    return xmp.decode() if isinstance(xmp, bytes) else xmp


NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "comet": "urn:comet-flux:xmp:1.0/",
}


def assert_xmp_as_other_tools_read_it(data: bytes) -> None:
    """A well-formed XMP packet: the settings, the readable line, and who made the file."""
    packet = xmp_text(data)
    assert packet.startswith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>')
    assert packet.endswith('<?xpacket end="w"?>')
    xml = packet[packet.index("<x:xmpmeta") : packet.rindex("<?xpacket")]
    root = ET.fromstring(xml)  # noqa: S314 - the packet this package wrote
    description = root.find("rdf:RDF/rdf:Description", NS)
    assert description.get(f"{{{NS['xmp']}}}CreatorTool") == "comet-flux"
    assert json.loads(description.find("comet:settings", NS).text) == SETTINGS
    line = description.find("dc:description/rdf:Alt/rdf:li", NS).text
    assert line == parameters_line(SETTINGS).replace("\x07", "")


def assert_exif_as_other_tools_read_it(data: bytes) -> None:
    """IFD0 holds the Software tag and the Exif IFD, which holds the UserComment alone."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert set(exif) == {0x0131, USER_COMMENT[0]}
        assert exif[0x0131] == "comet-flux"
        assert set(exif.get_ifd(USER_COMMENT[0])) == {USER_COMMENT[1]}
    assert exif_settings(data) == SETTINGS


FORMATS = {
    "png": ("PNG", "RGB", {}),
    "png-rgba": ("PNG", "RGBA", {}),
    "jpeg": ("JPEG", "RGB", {"quality": 80}),
    "webp-lossy-vp8": ("WEBP", "RGB", {"quality": 80}),
    "webp-lossless-vp8l": ("WEBP", "RGBA", {"lossless": True}),
    "webp-extended-vp8x": ("WEBP", "RGBA", {"quality": 80}),  # lossy with alpha: VP8X + ALPH
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_settings_go_where_image_tools_look_and_the_pixels_stay_the_same(name):
    fmt, mode, options = FORMATS[name]
    original = encoded(fmt, mode, **options)
    if name.startswith("webp"):  # the case under test is the container the encoder chose
        chunk = {"webp-lossy-vp8": b"VP8 ", "webp-lossless-vp8l": b"VP8L"}.get(name, b"VP8X")
        assert original[12:16] == chunk

    saved = with_settings(original, SETTINGS)

    assert pixels(saved) == pixels(original)
    assert read_settings(saved) == SETTINGS
    if fmt == "PNG":
        with Image.open(io.BytesIO(saved)) as image:  # the header only: before the first IDAT
            assert json.loads(image.info["comet"]) == SETTINGS
            assert image.info["parameters"] == parameters_line(SETTINGS)
    else:
        assert_exif_as_other_tools_read_it(saved)
        assert_xmp_as_other_tools_read_it(saved)


@pytest.mark.parametrize(
    ("mode", "options", "flags"),
    [
        ("RGBA", {"lossless": True}, 0x10 | 0x08 | 0x04),  # alpha, EXIF, XMP
        ("RGB", {"lossless": True}, 0x08 | 0x04),
        ("RGB", {"quality": 80}, 0x08 | 0x04),  # lossy (VP8)
    ],
)
def test_a_simple_webp_becomes_extended_with_its_canvas_and_flags(mode, options, flags):
    saved = with_settings(encoded("WEBP", mode, **options), SETTINGS)

    assert saved[12:16] == b"VP8X"
    assert saved[20] == flags
    assert int.from_bytes(saved[24:27], "little") + 1 == 40  # canvas width
    assert int.from_bytes(saved[27:30], "little") + 1 == 24  # canvas height
    assert int.from_bytes(saved[4:8], "little") == len(saved) - 8  # the RIFF size


def test_embedding_again_replaces_the_settings():
    changed = {**SETTINGS, "seed": 5}
    for fmt in ("PNG", "WEBP", "JPEG"):
        for first in (SETTINGS, {**SETTINGS, "seed": 12345}):  # chunks of odd and even length
            twice = with_settings(with_settings(encoded(fmt), first), changed)
            assert read_settings(twice) == changed, fmt
            once = with_settings(encoded(fmt), changed)
            assert twice.count(b"comet-flux") == once.count(b"comet-flux"), fmt


XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"


def test_what_other_tools_put_in_a_file_is_kept():
    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- an editor was here --></x:xmpmeta>'
    for fmt, endian in (("JPEG", "<"), ("WEBP", ">")):
        exif = Image.Exif()
        exif.endian = endian
        exif[0x010F] = "A camera"  # Make
        original = encoded(fmt, exif=exif.tobytes(), xmp=packet)

        saved = with_settings(original, SETTINGS)

        with Image.open(io.BytesIO(saved)) as image:
            assert image.getexif()[0x010F] == "A camera", fmt
        assert "an editor was here" in xmp_text(saved)  # a file has one XMP packet: theirs
        assert saved.count(XMP_HEADER if fmt == "JPEG" else b"XMP ") == 1
        assert exif_settings(saved) == SETTINGS  # ours travel in EXIF then
        assert read_settings(saved) == SETTINGS
        assert pixels(saved) == pixels(original)


def test_a_broken_exif_block_is_kept_and_the_settings_travel_in_xmp():
    broken = b"Exif\x00\x00" + b"\x01" * 40  # neither MM nor II: no EXIF a reader can parse
    for fmt in ("JPEG", "WEBP"):
        original = encoded(fmt, exif=broken)

        saved = with_settings(original, SETTINGS)

        assert b"\x01" * 40 in saved, fmt
        assert read_settings(saved) == SETTINGS
        assert pixels(saved) == pixels(original)


def test_a_jpeg_keeps_its_jfif_header_first_and_may_have_fill_bytes():
    original = encoded("JPEG")
    padded = original[:2] + b"\xff\xff" + original[2:]  # fill bytes before a marker are allowed

    for data in (original, padded):
        saved = with_settings(data, SETTINGS)
        assert saved[2:4] == b"\xff\xe0" and saved[6:11] == b"JFIF\0"  # still right after SOI
        assert read_settings(saved) == SETTINGS
        assert pixels(saved) == pixels(original)


def test_embed_settings_rewrites_a_file_in_place_and_leaves_junk_alone(tmp_path):
    image, junk = tmp_path / "a.webp", tmp_path / "b.png"
    image.write_bytes(encoded("WEBP"))
    image.chmod(0o640)
    junk.write_bytes(b"\x89PNG\r\n\x1a\nnot really")

    assert embed_settings(image, SETTINGS) is True
    assert embed_settings(junk, SETTINGS) is False

    assert read_settings(image) == read_settings(str(image)) == SETTINGS
    assert read_settings(io.BytesIO(image.read_bytes())) == SETTINGS
    assert image.stat().st_mode & 0o777 == 0o640  # its permissions kept
    assert junk.read_bytes() == b"\x89PNG\r\n\x1a\nnot really"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.webp", "b.png"]  # no temp left


def test_settings_too_large_for_a_jpeg_are_refused():
    huge = {**SETTINGS, "prompt": "x" * 70_000}
    with pytest.raises(MetadataError, match="do not fit"):
        with_settings(encoded("JPEG"), huge)
    assert read_settings(with_settings(encoded("PNG"), huge)) == huge  # PNG chunks are larger


# -- junk, truncation, hostile files --------------------------------------------------------


JUNK = [
    b"",
    b"hello, world",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIHDR",
    b"\x89PNG\r\n\x1a\n\0\0\0\0IEND\xaeB`\x82",  # no IHDR
    b"\xff\xd8",
    b"\xff\xd8\xff\xe1\x00",
    b"\xff\xd8\xff\xe1\x00\x10Exif\0\0MM\0*\xff\xff\xff\xff",
    b"RIFF\xff\xff\xff\xffWEBPVP8X",
    b"RIFF\x10\x00\x00\x00WEBPEXIF\x04\x00\x00\x00MM\0*",
    b"GIF89a\x01\x00\x01\x00",
    bytes(range(256)) * 40,
]


def test_junk_reads_as_none_and_cannot_take_settings():
    with pytest.raises(MetadataError, match="^not a PNG, JPEG or WebP file$"):
        with_settings(b"hello, world", SETTINGS)
    for data in JUNK:
        assert read_settings(data) is None, data[:20]
        with pytest.raises(MetadataError):
            with_settings(data, SETTINGS)
    for fmt in ("PNG", "JPEG", "WEBP", "GIF"):  # an image without settings
        assert read_settings(encoded(fmt)) is None, fmt


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_every_truncation_reads_without_raising_and_is_refused_for_writing(fmt):
    small = {"model": "m", "input": {}}
    original = encoded(fmt)
    saved = with_settings(original, small)
    for cut in range(len(saved)):
        assert read_settings(saved[:cut]) in (None, small)
    # A JPEG's scan is copied unread: cut in it, the file still takes the settings, and they
    # read back once the scan's header is whole.
    scan = original.find(b"\xff\xda") if fmt == "JPEG" else len(original)
    scan_data = scan + 2 + int.from_bytes(original[scan + 2 : scan + 4], "big")
    for cut in range(len(original)):
        if cut < scan + 4:
            with pytest.raises(MetadataError):
                with_settings(original[:cut], small)
        elif cut >= scan_data:
            assert read_settings(with_settings(original[:cut], small)) == small


def with_text_chunk(data: bytes, kind: bytes, body: bytes) -> bytes:
    """A PNG with one more chunk just before IEND (after the pixels, where some tools write)."""
    at = data.rfind(b"IEND") - 4
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return data[:at] + len(body).to_bytes(4, "big") + kind + body + crc + data[at:]


def test_settings_after_the_pixels_are_read_and_other_text_is_not_taken_for_them():
    text = b"comet\0" + json.dumps(SETTINGS).encode()
    assert read_settings(with_text_chunk(encoded("PNG"), b"tEXt", text)) == SETTINGS
    for other in ("not json", '["a list"]', '{"model": 1, "input": {}}', '{"model": "m"}'):
        data = with_text_chunk(encoded("PNG"), b"tEXt", b"comet\0" + other.encode())
        assert read_settings(data) is None, other


def peak_memory(read) -> int:
    tracemalloc.start()
    try:
        read()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_compressed_text_bomb_is_not_inflated_and_costs_only_its_own_chunk():
    bomb = zlib.compress(b"{" * (16 * 1024 * 1024), 9)  # 16 MB of text in about 16 KB
    data = with_text_chunk(encoded("PNG"), b"zTXt", b"comet\0\0" + bomb)
    found = []
    assert peak_memory(lambda: found.append(read_settings(data))) < 6 * 1024 * 1024
    assert found == [None]
    settings = b"comet\0" + json.dumps(SETTINGS).encode()
    assert read_settings(with_text_chunk(data, b"tEXt", settings)) == SETTINGS  # after the bomb


def test_a_huge_file_is_read_by_seeking_past_the_pixels(tmp_path):
    """A 3 GB PNG (sparse on disk) whose settings sit after its image data: a few small reads."""
    saved = with_settings(encoded("PNG"), SETTINGS)
    ours_at = saved.index(b"iTXtcomet") - 4
    ours = saved[ours_at : saved.index(b"IDAT") - 4]  # our chunks, before the image data
    huge = 3 * 1024**3
    path = tmp_path / "huge.png"
    with open(path, "wb") as file:
        file.write(saved[:ours_at])
        for _ in range(2):  # two IDAT chunks of 1.5 GB, holes on disk
            file.write((huge // 2).to_bytes(4, "big") + b"IDAT")
            file.seek(huge // 2 + 4, io.SEEK_CUR)
        file.write(ours)
        file.write(saved[-12:])  # IEND
    found = []
    assert peak_memory(lambda: found.append(read_settings(path))) < 5 * 1024 * 1024
    assert found == [SETTINGS]


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
    found = []
    assert peak_memory(lambda: found.append(read_settings(path))) < 5 * 1024 * 1024
    assert found == [None]
    # A large but acceptable pixel count still reads: Pillow only warns, even under -W error.
    saved = with_settings(encoded("PNG"), SETTINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_settings(with_pixel_count(saved, 10_000, 10_000)) == SETTINGS


def written_by_another_tool(form: str) -> bytes:
    """Our settings as other tools write them: compressed iTXt, a UNICODE comment, XMP alone."""
    document = json.dumps(SETTINGS)
    buffer = io.BytesIO()
    if form == "png-compressed-itxt":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("comet", document, zip=True)
        picture().save(buffer, "PNG", pnginfo=info)
    elif form.startswith("jpeg-unicode-comment"):
        exif = Image.Exif()
        little = form.endswith("little-endian")
        exif.endian = "<" if little else ">"
        comment = document.encode("utf-16-le" if little else "utf-16-be")
        if form.endswith("bom"):
            comment = document.encode("utf-16")
        exif.get_ifd(USER_COMMENT[0])[USER_COMMENT[1]] = b"UNICODE\0" + comment
        picture().save(buffer, "JPEG", exif=exif.tobytes())
    else:
        xml = html.escape(document, quote=False)
        if form.endswith("attribute"):
            packet = f'<rdf:Description comet:settings="{html.escape(document)}"/>'
        else:
            packet = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><comet:settings>{xml}</comet:settings>'
        picture().save(buffer, "WEBP" if form.startswith("webp") else "JPEG", xmp=packet.encode())
    return buffer.getvalue()


@pytest.mark.parametrize(
    "form",
    [
        "png-compressed-itxt",
        "jpeg-unicode-comment-little-endian",
        "jpeg-unicode-comment-big-endian",
        "jpeg-unicode-comment-bom",
        "jpeg-xmp-only",
        "jpeg-xmp-attribute",
        "webp-xmp-only",
    ],
)
def test_settings_other_tools_wrote_are_read_too(form):
    assert read_settings(written_by_another_tool(form)) == SETTINGS


# -- what goes in -------------------------------------------------------------------------------


def test_the_settings_of_a_prediction_leave_uploads_out_and_find_the_seed():
    upload = "data:image/png;base64," + "A" * 400_000
    prediction = Prediction(
        id="p1",
        model="black-forest-labs/flux-kontext-pro",
        input={"prompt": "make it blue", "input_image": upload},
        logs="Using seed: 77\n",
        created_at="2025-01-15T09:54:55Z",
    )

    assert settings_of(prediction, output_index=2) == {
        "app": "comet-flux",
        "version": 1,
        "model": "black-forest-labs/flux-kontext-pro",
        "prompt": "make it blue",
        "seed": 77,
        "input": {
            "prompt": "make it blue",
            "input_image": "data:image/png;base64,… (300000 bytes, omitted)",
        },
        "prediction_id": "p1",
        "created_at": "2025-01-15T09:54:55Z",
        "output_index": 2,
    }
    assert "output_index" not in settings_of(prediction)
    assert settings_of(Prediction(id="p2", input={"prompt": ["not", "text"]}))["prompt"] == ""
    assert prediction.input["input_image"] == upload  # the prediction is not changed


def test_the_parameters_line_reads_like_other_tools():
    left_out = {"style": "a, b", "image": "data:x", "mask": [1], "negative": "", "long": "u" * 101}
    shown = {"size": "XL", "tag": "t" * 100}
    settings = {**SETTINGS, "input": {**SETTINGS["input"], **left_out, **shown}}
    assert parameters_line(settings) == (
        f"{PROMPT}\nModel: {SCHNELL}, Seed: 1234, Aspect ratio: 16:9, Go fast: False, "
        f"Size: XL, Tag: {'t' * 100}, Prediction: p-abc123"
    )
    assert parameters_line({"model": "m", "input": "not a dict"}) == "\nModel: m"


@pytest.mark.parametrize("output_format", ["webp", "jpg", "png"])
def test_the_simulators_images_are_saved_with_their_settings_and_no_key(
    simulator, client_for, tmp_path, output_format
):
    client = client_for(simulator, api_key="sk-secret-key-987654")
    values = {"prompt": "a lighthouse", "seed": 21, "output_format": output_format}

    *_, final = start_job(client, SCHNELL, values, output_dir=tmp_path)

    [path] = final.files
    assert path.suffix == "." + output_format
    settings = read_settings(path)
    assert (settings["model"], settings["prediction_id"]) == (SCHNELL, final.prediction.id)
    assert (settings["prompt"], settings["seed"], settings["output_index"]) == (
        "a lighthouse",
        21,
        0,
    )
    assert settings["input"]["output_format"] == output_format
    assert b"987654" not in path.read_bytes()
    with Image.open(path) as image:
        image.load()  # decodes: the file is a whole, valid image
        assert image.size == (256, 256)
