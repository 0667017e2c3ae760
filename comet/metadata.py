"""Each saved image carries the settings that made it, where image tools already look.

One JSON document (model, prompt, seed, the input sent, prediction id) goes into the file:
PNG: an iTXt chunk with the keyword "comet", plus a readable "parameters" chunk (the line other
image tools show); JPEG and WebP: EXIF (UserComment in the Exif IFD, as ASCII JSON) and XMP (a
`comet:settings` element, and the readable line as dc:description). Only metadata chunks are
added (see comet._containers): the pixels are copied byte for byte, never decoded or encoded.
Reading is Pillow's: Image.open parses the headers (PNG text chunks, EXIF, XMP) and no pixel is
decoded, so a huge or hostile file costs little and reads as None.
"""

from __future__ import annotations

import codecs
import contextlib
import html
import io
import json
import os
import re
import struct
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ._constants import MAX_OUTPUT_BYTES
from ._containers import ContainerError, jpeg_with, png_chunk, png_with_texts, webp_with
from .data_uris import shorten_data_uris
from .filetypes import sniff_image_type

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from .prediction import Prediction

__all__ = [
    "APP",
    "EMBEDDABLE_TYPES",
    "PNG_KEYWORD",
    "MetadataError",
    "settings_of",
    "parameters_line",
    "with_settings",
    "embed_settings",
    "embed_in_open_file",
    "read_settings",
]

APP = "comet-flux"  # the document's "app": whose settings these are
PNG_KEYWORD = "comet"
PARAMETERS_KEYWORD = "parameters"
XMP_NAMESPACE = "urn:comet-flux:xmp:1.0/"
EMBEDDABLE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
_EXIF_IFD, _SOFTWARE, _USER_COMMENT = 0x8769, 0x0131, 0x9286
_ASCII_COMMENT = b"ASCII\0\0\0"
_UNICODE_COMMENT = b"UNICODE\0"
_XMP_SETTINGS = re.compile(rb"<comet:settings>(.*?)</comet:settings>", re.DOTALL)
_XMP_ATTRIBUTE = re.compile(rb'comet:settings="([^"]*)"')
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_DOCUMENT = 1024 * 1024
# What Pillow is shown of a PNG or JPEG: their metadata comes before the pixels, and a file of
# junk then costs Pillow's header walk at most this much. A WebP's comes after its pixels, and
# Pillow reads a WebP whole: one larger than any saved output is not one of ours.
_MAX_HEAD = 2 * 1024 * 1024
_MAX_WEBP = MAX_OUTPUT_BYTES
_MAX_CHUNKS = 100_000  # the walk of a PNG's chunks gives up after this many
_PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt")


class MetadataError(ValueError):
    """The settings could not be added: the file is not a PNG, JPEG or WebP we can parse."""


# --- the document -----------------------------------------------------------------------------


def settings_of(prediction: Prediction, output_index: int | None = None) -> dict[str, Any]:
    """The settings document an image of this prediction carries.

    The input is the one the prediction reports (what was sent), with every data: URI (an
    uploaded input image) cut to its header and size by shorten_data_uris: the image file
    must not grow by megabytes, and the upload is not needed to read the settings. Nothing
    here comes from the client's headers, so the API key is never part of it.
    """
    values = shorten_data_uris(dict(prediction.input or {}))
    prompt = values.get("prompt")
    document: dict[str, Any] = {
        "app": APP,
        "version": 1,
        "model": prediction.model,
        "prompt": prompt if isinstance(prompt, str) else "",
        "seed": prediction.seed,
        "input": values,
        "prediction_id": prediction.id,
        "created_at": prediction.created_at,
    }
    if output_index is not None:
        document["output_index"] = output_index
    return document


def parameters_line(settings: Mapping[str, Any]) -> str:
    """The settings as one readable text: the prompt, then "Key: value, ..." (A1111's style)."""
    values = settings.get("input") if isinstance(settings.get("input"), Mapping) else {}
    pairs = [("Model", settings.get("model")), ("Seed", settings.get("seed"))]
    for name, value in values.items():
        if name in ("prompt", "seed") or isinstance(value, (dict, list)):
            continue
        text = str(value)
        if len(text) <= 100 and not any(c in text for c in ",\n") and not text.startswith("data:"):
            pairs.append((str(name).replace("_", " ").capitalize(), value))
    pairs.append(("Prediction", settings.get("prediction_id")))
    shown = ", ".join(f"{key}: {value}" for key, value in pairs if value not in (None, ""))
    return f"{settings.get('prompt') or ''}\n{shown}"


def _json(settings: Mapping[str, Any]) -> str:
    # ASCII only: EXIF's ASCII comment and XML take it as is, and every reader decodes it.
    return json.dumps(settings, ensure_ascii=True, separators=(",", ":"), default=str)


# --- writing ----------------------------------------------------------------------------------


def with_settings(data: bytes, settings: Mapping[str, Any]) -> bytes:
    """The image bytes with the settings added; the pixel data is copied as it is.

    Raises MetadataError when data is not a PNG, JPEG or WebP file that parses.
    """
    document = _json(settings)
    line = parameters_line(settings)
    try:
        if data.startswith(b"\x89PNG"):
            return png_with_texts(
                data,
                {
                    PNG_KEYWORD: png_chunk(b"iTXt", _itxt(PNG_KEYWORD, document)),
                    PARAMETERS_KEYWORD: png_chunk(b"iTXt", _itxt(PARAMETERS_KEYWORD, line)),
                },
            )
        comment = _ASCII_COMMENT + document.encode("ascii")

        def exif_for(existing: bytes | None) -> bytes | None:
            return _exif_block(comment) if existing is None else _merged_exif(existing, comment)

        xmp = _xmp_packet(document, line)
        marker = XMP_NAMESPACE.encode()
        if data.startswith(b"\xff\xd8"):
            return jpeg_with(data, exif_for, xmp, marker)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return webp_with(data, exif_for, xmp, marker)
    except ContainerError as exc:
        raise MetadataError(str(exc)) from None
    except (struct.error, IndexError) as exc:
        raise MetadataError(f"the file does not parse ({exc})") from None
    raise MetadataError("not a PNG, JPEG or WebP file")


def embed_settings(path: str | Path, settings: Mapping[str, Any]) -> bool:
    """Add the settings to an image file in place (atomically); False when it cannot be parsed.

    The file is left exactly as it was when it is not a PNG, JPEG or WebP that parses.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        updated = with_settings(data, settings)
    except MetadataError:
        return False
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(updated)
        os.chmod(name, path.stat().st_mode & 0o777)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return True


def embed_in_open_file(file: BinaryIO, settings: Mapping[str, Any]) -> None:
    """Add the settings to a file open for reading and writing (one being saved).

    Raises MetadataError, with the file untouched, when it does not parse; when writing fails
    the bytes as they were are put back before the OSError goes on.
    """
    file.seek(0)
    data = file.read()
    updated = with_settings(data, settings)
    try:
        file.seek(0)
        file.write(updated)
        file.truncate()
    except OSError:
        file.seek(0)  # the original is smaller than what failed to fit
        file.write(data)
        file.truncate()
        raise


def _itxt(keyword: str, text: str) -> bytes:
    """An uncompressed iTXt body: keyword, flags, no language, UTF-8 text."""
    return keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")


def _exif_block(comment: bytes) -> bytes:
    """A minimal big-endian TIFF block: IFD0 (Software, the Exif IFD) and UserComment."""
    software = APP.encode("ascii") + b"\0"
    ifd0_at = 8
    software_at = ifd0_at + 2 + 2 * 12 + 4
    exif_ifd_at = software_at + len(software) + len(software) % 2
    comment_at = exif_ifd_at + 2 + 12 + 4
    return b"".join(
        [
            b"MM\x00\x2a",
            struct.pack(">I", ifd0_at),
            struct.pack(">H", 2),
            struct.pack(">HHII", _SOFTWARE, 2, len(software), software_at),
            struct.pack(">HHII", _EXIF_IFD, 4, 1, exif_ifd_at),
            struct.pack(">I", 0),
            software + b"\0" * (len(software) % 2),
            struct.pack(">H", 1),
            struct.pack(">HHII", _USER_COMMENT, 7, len(comment), comment_at),
            struct.pack(">I", 0),
            comment,
        ]
    )


def _merged_exif(existing: bytes, comment: bytes) -> bytes | None:
    """An existing EXIF block with our UserComment set; None when it does not parse."""
    from PIL import Image

    if existing.removeprefix(b"Exif\0\0")[:4] not in (b"MM\0*", b"II*\0"):
        return None
    try:
        with warnings.catch_warnings():  # Pillow warns about each oddity of a block
            warnings.simplefilter("ignore")
            exif = Image.Exif()
            exif.load(existing)
            exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = comment
            return exif.tobytes()[6:]  # without the "Exif\0\0" header
    except Exception:  # noqa: BLE001 - Pillow raises many kinds on a broken block
        return None


def _xmp_packet(document: str, line: str) -> bytes:
    description = html.escape(_NOT_XML.sub("", line), quote=False)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f'    xmlns:comet="{XMP_NAMESPACE}"\n'
        f'    xmp:CreatorTool="{APP}">\n'
        f"   <comet:settings>{html.escape(document, quote=False)}</comet:settings>\n"
        "   <dc:description><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{description}</rdf:li>'
        "</rdf:Alt></dc:description>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


# --- reading ----------------------------------------------------------------------------------


def read_settings(source: str | Path | bytes | BinaryIO) -> dict[str, Any] | None:
    """The settings an image saved by this app carries; None for any other file or junk.

    Pillow reads the metadata without decoding a pixel, from the first few MB of a PNG or
    JPEG (where it sits) or a whole WebP of at most MAX_OUTPUT_BYTES. A file whose header
    declares an absurd pixel count (a decompression bomb) reads as None. Never raises for a
    file's content.
    """
    try:
        with _opened(source) as file:
            for text in _candidates(file):
                settings = _parse(text)
                if settings is not None:
                    return settings
    except Exception:  # noqa: BLE001 - Pillow raises many kinds on a hostile file
        return None
    return None


@contextlib.contextmanager
def _opened(source: str | Path | bytes | BinaryIO) -> Iterator[BinaryIO]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            yield file
    else:
        source.seek(0)
        yield source


def _candidates(file: BinaryIO) -> Iterator[str]:
    """Each place the settings may be, in turn: PNG text, EXIF UserComment, XMP."""
    shown = file.read(_MAX_HEAD)
    kind = sniff_image_type(shown)
    if kind == "image/webp":
        if file.seek(0, os.SEEK_END) > _MAX_WEBP:
            return
        file.seek(len(shown))
        shown += file.read()
    elif kind not in ("image/png", "image/jpeg"):
        return
    yield from _header_candidates(shown)
    if kind == "image/png":
        yield from _texts(_png_texts_after_pixels(file), PNG_KEYWORD)


def _header_candidates(shown: bytes) -> list[str]:
    """What Image.open finds: it parses the headers and decodes no pixel."""
    from PIL import Image

    found: list[str] = []
    with warnings.catch_warnings():
        # Pillow warns of a large pixel count (no pixel is decoded here) and of odd EXIF.
        warnings.filterwarnings("ignore", module=r"PIL\.")
        with Image.open(io.BytesIO(shown), formats=("PNG", "JPEG", "WEBP")) as image:
            found += _texts(image.info, PNG_KEYWORD)
            if image.format != "PNG":  # a PNG's getexif() decodes the pixels to look for it
                found += _user_comment(image)
            found += _xmp_settings(image.info.get("xmp"))
    return found


def _user_comment(image: PILImage) -> list[str]:
    """The EXIF UserComment as text; none when the EXIF block is missing or broken."""
    try:
        exif = image.getexif()
        comment = exif.get_ifd(_EXIF_IFD).get(_USER_COMMENT)
    except Exception:  # noqa: BLE001 - Pillow raises many kinds on a broken block: try XMP
        return []
    return [_comment_text(comment, exif.endian)] if isinstance(comment, (bytes, str)) else []


def _texts(texts: Mapping[Any, Any], keyword: str) -> Iterator[str]:
    text = texts.get(keyword)
    if isinstance(text, str):
        yield text


def _comment_text(comment: bytes | str, endian: str | None) -> str:
    """An EXIF UserComment as text: 8 bytes name its character code (ASCII, UNICODE, ...)."""
    raw = comment.encode("utf-8") if isinstance(comment, str) else comment
    code, body = raw[:8], raw[8:]
    if code != _UNICODE_COMMENT:
        return body.decode("utf-8", errors="replace")
    if body[:2] in (codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE):
        return body.decode("utf-16", errors="replace")
    # Without a byte-order mark, UCS-2 in the byte order of the EXIF block.
    return body.decode("utf-16-be" if endian == ">" else "utf-16-le", errors="replace")


def _xmp_settings(packet: bytes | str | None) -> Iterator[str]:
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if not packet:
        return
    match = _XMP_SETTINGS.search(packet) or _XMP_ATTRIBUTE.search(packet)
    if match:
        yield html.unescape(match.group(1).decode("utf-8", errors="replace"))


def _png_texts_after_pixels(file: BinaryIO) -> dict[str, str]:
    """A PNG's text chunks wherever they are, after the image data too (some tools put them
    there, and Image.open reads those only when it decodes the pixels).

    Pillow's own chunk reader (PngStream) reads each text chunk, with its limits on inflating;
    every other chunk is skipped unread, so a huge file costs a few small reads.
    """
    from PIL import PngImagePlugin

    file.seek(8)
    stream = PngImagePlugin.PngStream(file)
    try:
        for _ in range(_MAX_CHUNKS):
            kind, start, length = stream.read()
            if kind == b"IEND":
                break
            if kind in _PNG_TEXT and length <= _MAX_DOCUMENT:
                with contextlib.suppress(ValueError):  # a text bomb, or junk: that chunk only
                    stream.call(kind, start, length)
            file.seek(start + length + 4)  # past the data and the CRC
    except (SyntaxError, EOFError, struct.error, OSError):
        pass  # cut short or broken from here on: what was read before stands
    return dict(stream.im_text)


def _parse(text: str | bytes) -> dict[str, Any] | None:
    if len(text) > _MAX_DOCUMENT:
        return None
    try:
        settings = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if (
        isinstance(settings, dict)
        and isinstance(settings.get("model"), str)
        and isinstance(settings.get("input"), dict)
    ):
        return settings
    return None
