"""Saving delivered images at once, because delivery URLs expire (about an hour on Replicate)."""

from __future__ import annotations

import base64
import binascii
import http.cookiejar as http_cookiejar
import json
import logging
import os
import queue
import re
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import requests.adapters

from ._constants import DOWNLOAD_THREADS, DOWNLOAD_TIMEOUT, DOWNLOAD_WORKERS, MAX_OUTPUT_BYTES
from .errors import CometError, OutputsIncomplete
from .metadata import EMBEDDABLE_TYPES, MetadataError, embed_in_open_file, settings_of
from .prediction import Prediction

__all__ = [
    "save_outputs",
    "iter_saved_outputs",
    "SavingOutputs",
    "write_sidecar",
    "shorten_data_uris",
    "sniff_image_type",
    "safe_stem",
]

log = logging.getLogger(__name__)

Timeout = float | tuple[float, float]
Failure = tuple[str | int, str]  # (the URL, or the output's index for a data: URI; reason)
Settings = Mapping[str, Any] | None  # what an image carries in its metadata (comet.metadata)
OnSaved = Callable[[int, Path], None]  # (the output's index, its saved file)

_EXTENSIONS = {
    "image/webp": "webp",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/x-png": "png",
    "image/gif": "gif",
}
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_CHUNK_SIZE = 64 * 1024
_SNIFF_SIZE = 16
_USER_AGENT = "comet-flux (image download)"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")
_DATA_URI = re.compile(r"data:(?P<meta>[^,]*),(?P<payload>.*)\Z", re.IGNORECASE | re.DOTALL)
_SHORTENED = re.compile(r"data:[^,]*,… \(\d+ bytes, omitted\)\Z", re.IGNORECASE)
_MAX_META = 100  # a data: URI header longer than this is not one we want to echo


class _Failure(Exception):
    """One output could not be saved; str() is the reason in words."""


# --- public helpers ---------------------------------------------------------------------------


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


def safe_stem(prediction_id: str) -> str:
    """The id as a file-name stem: ids come from a server and must not become paths."""
    return _UNSAFE_NAME.sub("_", str(prediction_id))[:200] or "prediction"


def shorten_data_uris(obj: Any) -> Any:
    """A copy of obj with every data: URI cut to its header and size: they can be megabytes."""
    if isinstance(obj, str):
        return _shorten(obj)
    if isinstance(obj, dict):
        return {key: shorten_data_uris(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [shorten_data_uris(value) for value in obj]
    return obj


def _shorten(text: str) -> str:
    if not text[:5].lower() == "data:" or _SHORTENED.match(text):
        return text
    meta, sep, payload = text[5:].partition(",")
    if not sep or len(meta) > _MAX_META:
        return f"data:… ({len(text)} bytes, omitted)"
    return f"data:{meta},… ({_decoded_size(meta, payload)} bytes, omitted)"


def _decoded_size(meta: str, payload: str) -> int:
    if "base64" in meta.lower().split(";")[1:]:
        compact = "".join(payload.split()).rstrip("=")
        return len(compact) * 3 // 4
    return len(urllib.parse.unquote_to_bytes(payload))


# --- saving -----------------------------------------------------------------------------------


def save_outputs(
    prediction: Prediction,
    directory: str | Path,
    *,
    session: requests.Session | None = None,
    timeout: Timeout = DOWNLOAD_TIMEOUT,
    max_bytes: int = MAX_OUTPUT_BYTES,
    workers: int = DOWNLOAD_WORKERS,
    on_saved: OnSaved | None = None,
    embed_settings: bool = True,
) -> list[Path]:
    """Download every output now, before its URL expires, and write the JSON sidecar.

    Returns the saved paths in output order. Outputs are fetched side by side (up to `workers`
    at once); `on_saved(index, path)`, when given, is called in the caller's thread as each
    file lands. When some outputs fail, the others are still saved and the sidecar still
    written, then OutputsIncomplete says which failed and why. The session, when given, is used
    only for its connection pool (else the process's own download session is): none of its
    headers or auth are sent. Each image carries the prediction's settings in its own
    metadata (comet.metadata) unless embed_settings is False.
    """
    saved: dict[int, Path] = {}
    saving = iter_saved_outputs(
        prediction,
        directory,
        session=session,
        timeout=timeout,
        max_bytes=max_bytes,
        workers=workers,
        embed_settings=embed_settings,
    )
    try:
        for index, path in saving:
            saved[index] = path
            if on_saved is not None:
                on_saved(index, path)
    finally:
        saving.close()  # only if on_saved raised: cancel the rest
    return [saved[index] for index in sorted(saved)]


def iter_saved_outputs(
    prediction: Prediction,
    directory: str | Path,
    *,
    session: requests.Session | None = None,
    timeout: Timeout = DOWNLOAD_TIMEOUT,
    max_bytes: int = MAX_OUTPUT_BYTES,
    workers: int = DOWNLOAD_WORKERS,
    embed_settings: bool = True,
) -> SavingOutputs:
    """Start saving every output now; iterate for (index, path) as each file lands.

    The downloads begin when this is called, not at the first next(), so a caller can do
    something else meanwhile (say, show that the run succeeded). Each file is complete when
    handed on (written to a temp file, then renamed). After the last one the sidecar is
    written, and OutputsIncomplete is raised if any output failed, as save_outputs does.
    close() (also before any next()) cancels the downloads not yet started, leaves those under
    way to finish on their own without waiting for them, and writes no sidecar.
    Each PNG, JPEG or WebP file carries settings_of(prediction) in its metadata (the model,
    input and id the prediction reports) unless embed_settings is False.
    """
    return SavingOutputs(
        prediction,
        _ensure_directory(directory),
        session,
        timeout,
        max_bytes,
        workers,
        embed_settings=embed_settings,
    )


class SavingOutputs(Iterator[tuple[int, Path]]):
    """What iter_saved_outputs returns: (index, path) as each file lands; close() to stop early.

    The work runs on the process's download threads (see _downloads), at most `workers` of
    this prediction's outputs at a time; each finished one starts the next.
    """

    def __init__(
        self,
        prediction: Prediction,
        directory: Path,
        session: requests.Session | None,
        timeout: Timeout,
        max_bytes: int,
        workers: int,
        *,
        embed_settings: bool = True,
    ) -> None:
        self.prediction = prediction
        self.directory = directory
        self.sources = list(prediction.output)
        self._http = session
        self._stem = safe_stem(prediction.id)
        self._timeout, self._max_bytes = timeout, max_bytes
        self._settings = settings_of(prediction) if embed_settings else None
        self._saved: dict[int, Path] = {}
        self._failures: dict[int, Failure] = {}
        self._results: queue.SimpleQueue[tuple[int, Path | BaseException]] = queue.SimpleQueue()
        self._waiting = deque(range(len(self.sources)))  # not handed to a thread yet
        self._started: list[Future[None]] = []
        self._landed: deque[tuple[int, Path]] = deque()  # received, not handed on yet
        self._received = 0
        self._ended = False
        self._lock = threading.Lock()
        for _ in range(max(1, workers)):
            self._start_next()

    def _start_next(self) -> None:
        with self._lock:
            if self._ended or not self._waiting:
                return
            index = self._waiting.popleft()
            try:
                self._started.append(_downloads().submit(self._save, index))
            except RuntimeError:  # the interpreter is shutting down
                self._results.put((index, _Failure("the app is shutting down")))

    def _save(self, index: int) -> None:
        http = self._http if self._http is not None else _shared_session()
        outcome: Path | BaseException
        try:
            carried = None if self._settings is None else {**self._settings, "output_index": index}
            outcome = _save_one(
                http,
                self.sources[index],
                self.directory,
                f"{self._stem}-{index}",
                self._timeout,
                self._max_bytes,
                carried,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, who raises it
            outcome = exc
        self._results.put((index, outcome))
        self._start_next()

    @property
    def pending(self) -> int:
        """Outputs not handed on yet and not failed: 0 once the last file has been."""
        return len(self.sources) - self._received + len(self._landed)

    def wait(self, timeout: float) -> bool:
        """Wait up to timeout seconds for a file to land; True when next() will not block."""
        deadline = time.monotonic() + timeout
        while not self._landed and not self._ended and self._received < len(self.sources):
            left = deadline - time.monotonic()
            if left <= 0 or not self._receive(left):
                return False
        return True

    def __next__(self) -> tuple[int, Path]:
        while not self._landed and not self._ended and self._received < len(self.sources):
            self._receive(None)
        if self._landed:
            index, path = self._landed.popleft()
            self._saved[index] = path
            return index, path
        if not self._ended:
            self._finish()
        raise StopIteration

    def _receive(self, timeout: float | None) -> bool:
        """Take one finished output from the threads; False when none came within timeout."""
        try:
            index, outcome = self._results.get(timeout=timeout)
        except queue.Empty:
            return False
        self._received += 1
        if isinstance(outcome, Path):
            self._landed.append((index, outcome))
        elif isinstance(outcome, _Failure):
            reason = str(outcome)
            log.warning("Could not save output %d of %s: %s", index, self.prediction.id, reason)
            self._failures[index] = (_failure_key(index, self.sources[index]), reason)
        else:
            self.close()
            raise outcome  # not a download failure: a bug, or an interrupt
        return True

    def _finish(self) -> None:
        """Every output is saved or failed: the sidecar, then OutputsIncomplete if any failed."""
        self._ended = True
        files = [self._saved[index] for index in sorted(self._saved)]
        failures = sorted(self._failures.items())
        try:
            write_sidecar(self.prediction, self.directory, files, [f for _, f in failures])
        except OSError as exc:  # the images matter more than their description
            log.warning("Could not write the sidecar of %s: %s", self.prediction.id, exc)
        if failures:
            raise OutputsIncomplete(
                _incomplete_message(len(self.sources), failures),
                saved=files,
                failures=[failure for _, failure in failures],
                prediction_id=self.prediction.id,
            )

    def close(self) -> None:
        """Stop early: start nothing more. Never waits (on Stop this may be the event loop):
        downloads under way finish in their threads, each file written atomically."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
            self._waiting.clear()
            for future in self._started:
                future.cancel()  # only those still queued behind other runs' downloads


# One pool of download threads and one connection pool for the whole process: a run then
# starts no threads of its own, and reuses open (TLS) connections to the delivery host.
_shared_lock = threading.Lock()
_shared_pool: ThreadPoolExecutor | None = None
_shared_http: requests.Session | None = None


def _downloads() -> ThreadPoolExecutor:
    global _shared_pool
    with _shared_lock:
        if _shared_pool is None:
            _shared_pool = ThreadPoolExecutor(DOWNLOAD_THREADS, thread_name_prefix="comet-download")
        return _shared_pool


def _shared_session() -> requests.Session:
    """Our own session, for its connections only: never any auth, and no cookies kept."""
    global _shared_http
    with _shared_lock:
        if _shared_http is None:
            http = requests.Session()
            http.cookies.set_policy(http_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=DOWNLOAD_THREADS)
            http.mount("https://", adapter)
            http.mount("http://", adapter)
            _shared_http = http
        return _shared_http


def _forget_shared() -> None:
    """In a forked child the parent's threads do not exist: start afresh when needed."""
    global _shared_pool, _shared_http, _shared_lock
    _shared_lock = threading.Lock()
    _shared_pool = _shared_http = None


os.register_at_fork(after_in_child=_forget_shared)


def write_sidecar(
    prediction: Prediction,
    directory: str | Path,
    files: Sequence[str | Path],
    failures: Iterable[Failure] = (),
) -> Path:
    """Write <id>.json next to the images, so each file says what made it (without data: URIs)."""
    directory = _ensure_directory(directory)
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


def _ensure_directory(directory: str | Path) -> Path:
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CometError(
            f"Could not create the output folder {directory}: {exc.strerror or exc}"
        ) from exc
    return directory


def _failure_key(index: int, source: Any) -> str | int:
    if isinstance(source, str) and source[:8].lower().startswith(("http://", "https://")):
        return source
    return index  # never a whole data: URI


def _failure_record(prediction: Prediction, key: str | int, reason: str) -> dict[str, Any]:
    if isinstance(key, int):
        return {"output": key, "reason": reason}
    index = prediction.output.index(key) if key in prediction.output else None
    return {"output": index, "url": _shorten(key), "reason": reason}


def _incomplete_message(total: int, failures: list[tuple[int, Failure]]) -> str:
    noun = "image" if total == 1 else "images"
    details = "; ".join(f"output {index}: {reason}" for index, (_, reason) in failures)
    return f"{len(failures)} of {total} {noun} could not be saved: {details}"


def _save_one(
    http: requests.Session,
    source: Any,
    directory: Path,
    stem: str,
    timeout: Timeout,
    max_bytes: int,
    carried: Settings = None,
) -> Path:
    if not isinstance(source, str) or not source:
        raise _Failure("the output is empty")
    scheme = source.split(":", 1)[0].lower() if ":" in source else ""
    if scheme == "data":
        return _save_data_uri(source, directory, stem, max_bytes, carried)
    if scheme in ("http", "https"):
        return _download(http, source, directory, stem, timeout, max_bytes, carried)
    raise _Failure("the output is neither an http(s) URL nor a data: URI")


def _save_data_uri(
    uri: str, directory: Path, stem: str, max_bytes: int, carried: Settings = None
) -> Path:
    match = _DATA_URI.match(uri)
    if not match or len(match["meta"]) > _MAX_META:
        raise _Failure("the data: URI is malformed")
    meta, payload = match["meta"], match["payload"]
    mime, *params = meta.split(";")
    if "base64" in (param.strip().lower() for param in params):
        compact = "".join(payload.split())
        if len(compact) * 3 // 4 > max_bytes + 3:
            raise _Failure(f"the image is larger than the {_human(max_bytes)} limit")
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise _Failure("the data: URI is not valid base64") from None
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    return _write_image([data], mime, directory, stem, max_bytes, carried)


def _download(
    http: requests.Session,
    url: str,
    directory: Path,
    stem: str,
    timeout: Timeout,
    max_bytes: int,
    carried: Settings = None,
) -> Path:
    # A prepared request of our own, sent through the session: Session.send() adds none of the
    # session's headers, auth or netrc credentials, so the API key cannot reach a delivery host.
    request = requests.Request("GET", url, headers={"Accept": "image/*", "User-Agent": _USER_AGENT})
    try:
        prepared = request.prepare()
        settings = http.merge_environment_settings(prepared.url, {}, True, None, None)
        with http.send(prepared, timeout=timeout, allow_redirects=True, **settings) as response:
            if not 200 <= response.status_code < 300:
                raise _Failure(_status_reason(response.status_code))
            length = response.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > max_bytes:
                raise _Failure(
                    f"the image is {_human(int(length))}, larger than the {_human(max_bytes)} limit"
                )
            chunks = response.iter_content(_CHUNK_SIZE)
            declared = response.headers.get("Content-Type", "")
            return _write_image(chunks, declared, directory, stem, max_bytes, carried)
    except requests.RequestException as exc:
        raise _Failure(_transport_reason(exc)) from None


def _write_image(
    chunks: Iterable[bytes],
    declared: str,
    directory: Path,
    stem: str,
    max_bytes: int,
    carried: Settings = None,
) -> Path:
    """Stream chunks into a temp file, checking type and size as they come, then rename it.

    With `carried` (settings), a PNG, JPEG or WebP file gets them in its metadata first.
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
                    raise _Failure(f"the image is larger than the {_human(max_bytes)} limit")
                if mime is None:
                    head += chunk[: _SNIFF_SIZE - len(head)]
                    if len(head) >= _SNIFF_SIZE:  # refuse an HTML page before reading all of it
                        mime = _image_type(declared, head)
                file.write(chunk)
            if total == 0:
                raise _Failure("the download was empty")
            if mime is None:
                mime = _image_type(declared, head)
            if carried is not None and mime in EMBEDDABLE_TYPES:
                _embed(file, carried, stem)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it 0600; these are ordinary files to share
        target = directory / f"{stem}.{_EXTENSIONS[mime]}"
        os.replace(temp, target)
        return target
    except OSError as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, requests.RequestException):
            raise
        raise _Failure(f"the file could not be written ({exc.strerror or exc})") from None
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
    if declared in _EXTENSIONS:
        return declared
    if declared in _UNTYPED or declared.startswith("image/"):
        sniffed = sniff_image_type(head)
        if sniffed:
            return sniffed
        if declared.startswith("image/"):
            raise _Failure(
                f"the image type {declared[:60]} is not supported (only WebP, JPEG, PNG and GIF)"
            )
        return _not_an_image(declared)
    return _not_an_image(declared)


def _not_an_image(declared: str) -> str:
    shown = f" ({declared[:60]})" if declared else ""
    raise _Failure(f"the content is not an image{shown}")


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


def _status_reason(code: int) -> str:
    if code == 410:
        return "the delivery URL has expired (HTTP 410)"
    if code == 404:
        return "the delivery URL was not found (HTTP 404); it may have expired"
    if code in (401, 403):
        return f"the delivery server refused access (HTTP {code}); the URL may have expired"
    if code == 429:
        return "the delivery server is limiting downloads (HTTP 429)"
    if code >= 500:
        return f"the delivery server failed (HTTP {code})"
    return f"the delivery server answered HTTP {code} instead of an image"


def _transport_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "the delivery server could not be reached in time"
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "the download timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the delivery server's TLS certificate could not be verified"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the download was cut off"
    if isinstance(exc, requests.ConnectionError):
        return "the delivery server could not be reached"
    if isinstance(exc, requests.TooManyRedirects):
        return "the delivery URL redirected too many times"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return "the delivery URL is not valid"
    return f"the download failed ({type(exc).__name__})"


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"
