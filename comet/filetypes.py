"""Which image types the package saves, and telling them apart by their first bytes."""

from __future__ import annotations

__all__ = ["EXTENSIONS", "SNIFF_SIZE", "UNTYPED", "sniff_image_type"]

# The MIME types saved, with the extension each is saved under (aliases servers send included).
EXTENSIONS = {
    "image/webp": "webp",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/x-png": "png",
    "image/gif": "gif",
}
UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
SNIFF_SIZE = 16  # bytes sniff_image_type needs


def sniff_image_type(head: bytes) -> str | None:
    """The image MIME type from the magic bytes, for servers that do not say what they send."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None
