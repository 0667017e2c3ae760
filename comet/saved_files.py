"""Writing what is saved: each image and its JSON sidecar land whole (temp file, then rename)."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from .data_uris import shorten_data_uri, shorten_data_uris
from .errors import CometError
from .filetypes import EXTENSIONS, SNIFF_SIZE, UNTYPED, sniff_image_type
from .metadata import EMBEDDABLE_TYPES, MetadataError, embed_in_open_file
from .prediction import Prediction

__all__ = [
    "Failure",
    "SaveFailure",
    "Settings",
    "ensure_directory",
    "failure_key",
    "human_size",
    "safe_stem",
    "write_image",
    "write_sidecar",
]

log = logging.getLogger(__name__)

Failure = tuple[str | int, str]  # (the URL, or the output's index for a data: URI; reason)
Settings = Mapping[str, Any] | None  # what an image carries in its metadata (comet.metadata)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")


class SaveFailure(Exception):
    """One output could not be saved; str() is the reason in words."""


def safe_stem(prediction_id: str) -> str:
    """The id as a file-name stem: ids come from a server and must not become paths."""
    return _UNSAFE_NAME.sub("_", str(prediction_id))[:200] or "prediction"


def ensure_directory(directory: str | Path) -> Path:
    """The directory as a Path, created if missing; CometError says why it cannot be."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CometError(
            f"Could not create the output folder {directory}: {exc.strerror or exc}"
        ) from exc
    return directory


def human_size(size: int) -> str:
    """A byte count as people read it: 512 bytes, 3.2 KB, 50 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


# --- images -----------------------------------------------------------------------------------


def write_image(
    chunks: Iterable[bytes],
    declared: str,
    directory: Path,
    stem: str,
    max_bytes: int,
    carried: Settings = None,
) -> Path:
    """Stream chunks into a temp file, checking type and size as they come, then rename it.

    With `carried` (settings), a PNG, JPEG or WebP file gets them in its metadata first.
    Raises SaveFailure with the reason in words; an OSError of the transport goes on as it is.
    """
    fd, name = tempfile.mkstemp(dir=directory, prefix=f".{stem}.", suffix=".part")
    temp = Path(name)
    try:
        with os.fdopen(fd, "w+b") as file:
            head, total, mime = b"", 0, None
            for chunk in chunks:
                if not chunk:
                    continue
                total += len(chunk)
                if total > max_bytes:
                    raise SaveFailure(f"the image is larger than the {human_size(max_bytes)} limit")
                if mime is None:
                    head += chunk[: SNIFF_SIZE - len(head)]
                    if len(head) >= SNIFF_SIZE:  # refuse an HTML page before reading all of it
                        mime = _image_type(declared, head)
                file.write(chunk)
            if total == 0:
                raise SaveFailure("the download was empty")
            if mime is None:
                mime = _image_type(declared, head)
            if carried is not None and mime in EMBEDDABLE_TYPES:
                _embed(file, carried, stem)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it 0600; these are ordinary files to share
        target = directory / f"{stem}.{EXTENSIONS[mime]}"
        os.replace(temp, target)
        return target
    except OSError as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, requests.RequestException):  # the download's to explain
            raise
        raise SaveFailure(f"the file could not be written ({exc.strerror or exc})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


_embed_warned = False


def _embed(file: Any, settings: Mapping[str, Any], stem: str) -> None:
    """Add the settings to the file being written; an image that does not parse is kept as is."""
    global _embed_warned
    try:
        embed_in_open_file(file, settings)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not cost the user the image
        level = logging.DEBUG if _embed_warned else logging.WARNING  # once, not per image
        _embed_warned = True
        reason = str(exc) if isinstance(exc, MetadataError) else f"{type(exc).__name__}: {exc}"
        log.log(level, "Saved %s without its settings in the file: %s", stem, reason)


def _image_type(declared: str, head: bytes) -> str:
    """The MIME type to save under; only images are saved, whatever a server sends."""
    declared = declared.split(";", 1)[0].strip().lower()
    if declared in EXTENSIONS:
        return declared
    if declared in UNTYPED or declared.startswith("image/"):
        sniffed = sniff_image_type(head)
        if sniffed:
            return sniffed
        if declared.startswith("image/"):
            raise SaveFailure(
                f"the image type {declared[:60]} is not supported (only WebP, JPEG, PNG and GIF)"
            )
    shown = f" ({declared[:60]})" if declared else ""
    raise SaveFailure(f"the content is not an image{shown}")


# --- the sidecar ------------------------------------------------------------------------------


def write_sidecar(
    prediction: Prediction,
    directory: str | Path,
    files: Sequence[str | Path],
    failures: Iterable[Failure] = (),
) -> Path:
    """Write <id>.json next to the images, so each file says what made it (without data: URIs)."""
    directory = ensure_directory(directory)
    record: dict[str, Any] = {
        "model": prediction.model,
        "id": prediction.id,
        "status": prediction.status,
        "input": shorten_data_uris(prediction.input),
        "output": shorten_data_uris(list(prediction.output)),
        "files": [Path(file).name for file in files],
        "metrics": prediction.metrics,
        "created_at": prediction.created_at,
        "started_at": prediction.started_at,
        "completed_at": prediction.completed_at,
        "error": prediction.error,
        "logs": prediction.logs,
    }
    failure_records = [_failure_record(prediction, key, reason) for key, reason in failures]
    if failure_records:
        record["failures"] = failure_records
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n"
    path = directory / f"{safe_stem(prediction.id)}.json"
    _write_atomically(path, text.encode("utf-8"))
    return path


def failure_key(index: int, source: Any) -> str | int:
    """How a failure names its output: the URL, or the index for a data: URI (never the URI)."""
    if isinstance(source, str) and source[:8].lower().startswith(("http://", "https://")):
        return source
    return index


def _failure_record(prediction: Prediction, key: str | int, reason: str) -> dict[str, Any]:
    if isinstance(key, int):
        return {"output": key, "reason": reason}
    index = prediction.output.index(key) if key in prediction.output else None
    return {"output": index, "url": shorten_data_uri(key), "reason": reason}


def _write_atomically(path: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
