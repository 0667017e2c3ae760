"""Byte-level surgery on PNG, JPEG and WebP files: add metadata, never touch pixels.

Writing copies every image chunk as it is and only adds (or replaces) metadata chunks, so a
saved image stays bit-for-bit the picture the model made: Pillow would decode and re-encode
the pixels to write metadata, so this one job is done here. Reading is Pillow's (see
comet.metadata). Anything that does not parse raises ContainerError; callers decide what
that means.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

__all__ = [
    "ContainerError",
    "PNG_SIGNATURE",
    "png_chunk",
    "png_with_texts",
    "jpeg_with",
    "webp_with",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXIF_JPEG_HEADER = b"Exif\x00\x00"
XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_TEXT = (b"tEXt", b"iTXt", b"zTXt")
_JPEG_MAX_PAYLOAD = 65533  # a segment's length field counts itself and is 16 bits

# VP8X flags (the WebP container spec): ICC profile, alpha, EXIF, XMP, animation.
_VP8X_ALPHA, _VP8X_EXIF, _VP8X_XMP = 0x10, 0x08, 0x04
_WEBP_IMAGE = (b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L")

# Given an existing EXIF block (or None), the EXIF block to write (or None to keep it as is).
ExifFor = Callable[[bytes | None], bytes | None]


class ContainerError(ValueError):
    """The bytes are not a PNG, JPEG or WebP file this module can parse."""


# --- PNG --------------------------------------------------------------------------------------


def png_with_texts(data: bytes, texts: dict[str, bytes]) -> bytes:
    """data with one chunk per keyword, before the first IDAT (where Image.open sees them).

    texts maps a keyword to a whole chunk (type, data and CRC included, see png_chunk); an
    existing text chunk with one of these keywords is dropped, so embedding again replaces.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ContainerError("not a PNG file")
    view = memoryview(data)
    parts: list[bytes | memoryview] = [view[:8]]
    ours = {keyword.encode("latin-1") for keyword in texts}
    pos, inserted, ended = 8, False, False
    while pos < len(data) and not ended:
        length, kind = _png_chunk_head(data, pos)
        end = pos + 12 + length
        if end > len(data):
            raise ContainerError("the PNG file is truncated")
        if pos == 8 and kind != b"IHDR":
            raise ContainerError("the PNG file does not start with IHDR")
        if kind in (b"IDAT", b"IEND") and not inserted:
            parts.extend(texts.values())
            inserted = True
        if not (kind in _PNG_TEXT and data[pos + 8 : pos + 8 + 80].split(b"\0", 1)[0] in ours):
            parts.append(view[pos:end])
        ended = kind == b"IEND"
        pos = end
    if not ended:
        raise ContainerError("the PNG file has no IEND")
    parts.append(view[pos:])  # bytes after IEND, if any, stay where they were
    return b"".join(parts)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_chunk_head(data: bytes, pos: int) -> tuple[int, bytes]:
    if pos + 12 > len(data):
        raise ContainerError("the PNG file is truncated")
    length, kind = struct.unpack_from(">I4s", data, pos)
    if length > 0x7FFFFFFF:
        raise ContainerError("a PNG chunk has an impossible length")
    return length, kind


# --- JPEG -------------------------------------------------------------------------------------


def jpeg_with(data: bytes, exif_for: ExifFor, xmp: bytes | None, xmp_marker: bytes) -> bytes:
    """data with an EXIF APP1 segment (merged into an existing one) and an XMP APP1 segment.

    They go after SOI and any JFIF APP0 segment; an existing XMP packet holding xmp_marker is
    replaced, any other existing XMP packet is kept and ours left out (a file has one).
    """
    segments, scan_start = _jpeg_segments(data)
    view = memoryview(data)
    kept: list[bytes | memoryview] = []
    leading: list[bytes | memoryview] = []
    exif_done = xmp_taken = merged_ours = False
    for marker, start, end in segments:
        body = data[start + 4 : end]
        if marker == 0xE1 and body.startswith(EXIF_JPEG_HEADER) and not exif_done:
            exif_done = True
            merged = exif_for(body[len(EXIF_JPEG_HEADER) :])
            if merged is not None and len(EXIF_JPEG_HEADER) + len(merged) <= _JPEG_MAX_PAYLOAD:
                kept.append(_jpeg_segment(0xE1, EXIF_JPEG_HEADER + merged))
                merged_ours = True
                continue
        elif marker == 0xE1 and body.startswith(XMP_JPEG_HEADER):
            if xmp_marker in body:
                continue  # ours, from an earlier embedding: replaced below
            xmp_taken = True
        (leading if marker == 0xE0 and not kept else kept).append(view[start:end])
    added: list[bytes] = []
    fresh = None if exif_done else exif_for(None)
    if fresh is not None and len(EXIF_JPEG_HEADER) + len(fresh) <= _JPEG_MAX_PAYLOAD:
        added.append(_jpeg_segment(0xE1, EXIF_JPEG_HEADER + fresh))
    if xmp is not None and not xmp_taken and len(XMP_JPEG_HEADER) + len(xmp) <= _JPEG_MAX_PAYLOAD:
        added.append(_jpeg_segment(0xE1, XMP_JPEG_HEADER + xmp))
    if not added and not merged_ours:
        raise ContainerError("the settings do not fit in this JPEG file")
    return b"".join([view[:2], *leading, *added, *kept, view[scan_start:]])


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """(marker, start, end) of each segment before the first scan, and where the scan starts."""
    if not data.startswith(b"\xff\xd8"):
        raise ContainerError("not a JPEG file")
    segments = []
    pos = 2
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise ContainerError("the JPEG file is truncated or malformed")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            raise ContainerError("the JPEG file has a marker out of place")
        if marker == 0xDA:  # start of scan: the metadata is all before it
            return segments, pos
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise ContainerError("the JPEG file is truncated")
        segments.append((marker, pos, end))
        pos = end


# --- WebP -------------------------------------------------------------------------------------


def webp_with(data: bytes, exif_for: ExifFor, xmp: bytes | None, xmp_marker: bytes) -> bytes:
    """data in the extended (VP8X) format, with EXIF (merged into an existing one) and XMP.

    A simple lossy (VP8) or lossless (VP8L) file becomes extended: a VP8X chunk with its
    canvas size and flags goes first, the image chunk is copied as it is. An existing XMP
    packet holding xmp_marker is replaced; any other is kept and ours left out.
    """
    chunks = _webp_chunks(data)
    flags, width, height = _webp_canvas(chunks[0])
    exif_chunks = [body for kind, body in chunks if kind == b"EXIF"]
    exif = exif_for(bytes(exif_chunks[0]) if exif_chunks else None)
    ours = exif is not None
    if exif is None and exif_chunks:
        exif = bytes(exif_chunks[0])  # an EXIF block we could not merge into stays as it was
    old_xmp = [body for kind, body in chunks if kind == b"XMP "]
    if old_xmp and xmp_marker not in bytes(old_xmp[0]):
        xmp = bytes(old_xmp[0])
    elif xmp is not None:
        ours = True
    if not ours:
        raise ContainerError("this WebP file has no room for the settings")
    body_chunks = [(k, b) for k, b in chunks if k not in (b"VP8X", b"EXIF", b"XMP ")]
    image = [(k, b) for k, b in body_chunks if k in _WEBP_IMAGE]
    unknown = [(k, b) for k, b in body_chunks if k not in _WEBP_IMAGE]
    flags &= ~(_VP8X_EXIF | _VP8X_XMP)
    tail: list[tuple[bytes, bytes | memoryview]] = []
    if exif is not None:
        flags |= _VP8X_EXIF
        tail.append((b"EXIF", exif))
    if xmp is not None:
        flags |= _VP8X_XMP
        tail.append((b"XMP ", xmp))
    vp8x = struct.pack("<B3x", flags) + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    parts = [_riff_chunk(k, b) for k, b in [(b"VP8X", vp8x), *image, *tail, *unknown]]
    size = 4 + sum(len(p) for p in parts)
    return b"".join([b"RIFF", struct.pack("<I", size), b"WEBP", *parts])


def _riff_chunk(kind: bytes, body: bytes | memoryview) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return kind + struct.pack("<I", len(body)) + bytes(body) + pad


def _webp_chunks(data: bytes) -> list[tuple[bytes, memoryview]]:
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ContainerError("not a WebP file")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if riff_size + 8 > len(data):
        raise ContainerError("the WebP file is truncated")
    view = memoryview(data)[: riff_size + 8]  # bytes after the RIFF body are not the file's
    chunks = []
    pos = 12
    while pos + 8 <= len(view):
        kind = bytes(view[pos : pos + 4])
        (length,) = struct.unpack_from("<I", view, pos + 4)
        end = pos + 8 + length
        if end > len(view):
            raise ContainerError("the WebP file is truncated")
        chunks.append((kind, view[pos + 8 : end]))
        pos = end + (length % 2)
    if not chunks:
        raise ContainerError("the WebP file holds no image")
    return chunks


def _webp_canvas(first: tuple[bytes, memoryview]) -> tuple[int, int, int]:
    """(VP8X flags, width, height) of a file from its first chunk."""
    kind, body = first
    if kind == b"VP8X" and len(body) >= 10:
        flags = body[0]
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return flags, width, height
    if kind == b"VP8 " and len(body) >= 10 and bytes(body[3:6]) == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", body, 6)
        return 0, width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack_from("<I", body, 1)
        alpha = _VP8X_ALPHA if (bits >> 28) & 1 else 0
        return alpha, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise ContainerError("the WebP image chunk is not one this module knows")
