"""An offline simulator of CometAPI's Replicate-compatible FLUX API, served on 127.0.0.1.

It is a real HTTP server (so the app's demo mode and the tests exercise the real client code),
with the documented routes, error shapes, a lazily computed prediction timeline, placeholder
images drawn with Pillow, and fault injection for tests.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import hmac
import io
import json
import math
import re
import secrets
import socket
import socketserver
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

__all__ = ["Simulator", "RecordedRequest", "SimPrediction", "Fault", "MODEL_SPECS", "main"]

API_PREFIX = "/replicate/v1"
OWNER = "black-forest-labs"
DELIVERY_PREFIX = "/delivery"
START_FRACTION = 0.15  # share of a run spent "starting" before "processing"
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_INPUT_IMAGE_BYTES = 20 * 1024 * 1024
MAX_INPUT_IMAGES = 8
FETCH_TIMEOUT = 3.0
SLEEP_STEP = 0.05
CONNECTION_TIMEOUT = 60.0  # an idle keep-alive connection is closed after this long
DEFAULT_FAIL_ERROR = "Content moderated: the request was flagged by the provider's safety filter."

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_CREATE_RE = re.compile(rf"^{API_PREFIX}/models/([^/]+)/([^/]+)/predictions/?$")
_GET_RE = re.compile(rf"^{API_PREFIX}/predictions/([^/]+)/?$")
_CANCEL_RE = re.compile(rf"^{API_PREFIX}/predictions/([^/]+)/cancel/?$")
_FILE_RE = re.compile(rf"^{DELIVERY_PREFIX}/([^/]+)/out-(\d{{1,2}})\.([a-z]+)$")
_CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
_PIL_FORMATS = {"webp": "WEBP", "jpg": "JPEG", "png": "PNG"}
_IMAGE_FIELDS = ("image", "image_prompt", "input_image", "input_images")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
FAULT_ROUTES = ("create", "get", "file")

_ASPECT_11 = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
_ASPECT_PRO = ("custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3")
_ASPECT_ULTRA = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16", "9:21")
_ASPECT_KONTEXT = (
    *("match_input_image", "1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "4:5", "5:4"),
    *("21:9", "9:21", "2:1", "1:2"),
)
_ASPECT_FLUX2 = (
    *("match_input_image", "custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16"),
    *("3:4", "4:3"),
)
_FORMATS = ("webp", "jpg", "png")


@dataclass(frozen=True)
class ModelSpec:
    """What the simulator needs to know about one model: timing, output shape, enums."""

    duration: float  # seconds at time_scale=1
    list_output: bool
    aspect_ratios: tuple[str, ...]
    default_aspect: str
    formats: tuple[str, ...] = _FORMATS
    default_format: str = "webp"
    default_steps: int = 25


MODEL_SPECS: dict[str, ModelSpec] = {
    "flux-schnell": ModelSpec(1.0, True, _ASPECT_11, "1:1", default_steps=4),
    "flux-dev": ModelSpec(4.0, True, _ASPECT_11, "1:1", default_steps=28),
    "flux-pro": ModelSpec(5.0, False, _ASPECT_PRO, "1:1"),
    "flux-1.1-pro": ModelSpec(4.0, False, _ASPECT_PRO, "1:1"),
    "flux-1.1-pro-ultra": ModelSpec(6.0, False, _ASPECT_ULTRA, "1:1", ("jpg", "png"), "jpg"),
    "flux-kontext-pro": ModelSpec(
        4.0, False, _ASPECT_KONTEXT, "match_input_image", ("jpg", "png"), "png"
    ),
    "flux-kontext-max": ModelSpec(
        5.0, False, _ASPECT_KONTEXT, "match_input_image", ("jpg", "png"), "png"
    ),
    "flux-2-pro": ModelSpec(6.0, False, _ASPECT_FLUX2, "1:1"),
    "flux-2-dev": ModelSpec(6.0, False, _ASPECT_FLUX2, "1:1"),
    "flux-2-flex": ModelSpec(6.0, False, _ASPECT_FLUX2, "1:1"),
}


@dataclass
class RecordedRequest:
    """One request as the server received it, so tests can assert on what a client sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any | None
    time: float  # time.time() when the request line was read


@dataclass
class Fault:
    """A queued misbehaviour for the next requests on one route."""

    route: str
    remaining: int = 1
    status: int | None = None
    retry_after: float | None = None
    body: str | None = None
    content_type: str | None = None
    delay: float = 0.0
    malformed: bool = False
    drop: bool = False
    status_value: str | None = None


@dataclass
class SimPrediction:
    """One simulated prediction; its status is derived lazily from the time since creation."""

    id: str
    model: str  # "owner/name"
    name: str  # the model name alone, a MODEL_SPECS key
    input: dict[str, Any]
    seed: int
    steps: int
    image_count: int
    output_format: str
    size: tuple[int, int]
    quality: int
    created_wall: float
    created_mono: float
    duration: float
    fail_error: str | None = None
    fail_status: str = "failed"
    canceled_mono: float | None = None
    expired: bool = False
    input_images: list[bytes] = field(default_factory=list, repr=False)
    images: dict[int, bytes] = field(default_factory=dict, repr=False)

    @property
    def list_output(self) -> bool:
        return MODEL_SPECS[self.name].list_output

    @property
    def final_status(self) -> str:
        return self.fail_status if self.fail_error is not None else "succeeded"

    def status_at(self, now: float) -> str:
        """The status at monotonic time now."""
        if self.canceled_mono is not None:
            return "canceled"
        elapsed = now - self.created_mono
        if elapsed >= self.duration:
            return self.final_status
        if elapsed >= self.duration * START_FRACTION:
            return "processing"
        return "starting"

    def completed_mono(self) -> float:
        """When it ended (or will end) on the monotonic clock."""
        if self.canceled_mono is not None:
            return self.canceled_mono
        return self.created_mono + self.duration

    def output_urls(self, base_url: str) -> list[str]:
        ext = self.output_format
        return [
            f"{base_url}{DELIVERY_PREFIX}/{self.id}/out-{i}.{ext}" for i in range(self.image_count)
        ]

    def to_json(self, base_url: str, now: float, *, fresh: bool = False) -> dict[str, Any]:
        """The API body for this prediction at monotonic time now (fresh: as create returns it)."""
        status = "starting" if fresh else self.status_at(now)
        effective = min(now, self.completed_mono()) - self.created_mono
        start_offset = self.duration * START_FRACTION
        started = not fresh and effective >= start_offset
        terminal = status in ("succeeded", "failed", "canceled")
        get_url = f"{base_url}{API_PREFIX}/predictions/{self.id}"
        output: Any = None
        error: str | None = None
        metrics: dict[str, Any] = {}
        predict_time = round(max(0.0, effective - start_offset), 3)
        if status == "succeeded":
            urls = self.output_urls(base_url)
            output = urls if self.list_output else urls[0]
            metrics = {"predict_time": predict_time, "image_count": self.image_count}
        elif terminal:
            error = self.fail_error if status == self.fail_status else None
            metrics = {"predict_time": predict_time} if started else {}
        body: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "version": "hidden",
            "input": self.input,
            "logs": "" if fresh else self._logs(status, effective),
            "output": output,
            "data_removed": False,
            "error": error,
            "source": "api",
            "status": status,
            "created_at": _iso(self.created_wall),
        }
        if started:
            body["started_at"] = _iso(self.created_wall + start_offset)
        if terminal:
            body["completed_at"] = _iso(self.created_wall + effective)
        body["urls"] = {"cancel": f"{get_url}/cancel", "get": get_url}
        if terminal:
            body["metrics"] = metrics
        return body

    def _logs(self, status: str, elapsed: float) -> str:
        start_offset = self.duration * START_FRACTION
        if status == "starting" or elapsed < start_offset:
            return ""
        lines = [f"Using seed: {self.seed}"]
        run = self.duration - start_offset
        finished = status in ("succeeded", "failed") and self.canceled_mono is None
        for step in range(1, self.steps + 1):
            if not finished and elapsed < start_offset + run * step / (self.steps + 1):
                break
            lines.append(_progress_line(step, self.steps, run * step / (self.steps + 1)))
        if status == "succeeded":
            n = self.image_count
            lines.append(f"Total safe images: {n} out of {n}")
            lines.append(f"generate image took {max(0.0, run):.2f} seconds")
        return "".join(line + "\n" for line in lines)


def _progress_line(step: int, total: int, elapsed: float) -> str:
    pct = step * 100 // total
    filled = step * 10 // total
    rate = step / elapsed if elapsed > 0 else 0.0
    remaining = (total - step) / rate if rate else 0.0
    bar = "█" * filled + " " * (10 - filled)
    return f"{pct:4d}%|{bar}| {step}/{total} [{_mmss(elapsed)}<{_mmss(remaining)}, {rate:.2f}it/s]"


def _mmss(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _iso(wall: float) -> str:
    moment = datetime.fromtimestamp(wall, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _new_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(26))


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _comet_error(message: str, code: str = "") -> dict[str, Any]:
    return {"error": {"message": message, "type": "comet_api_error", "param": "", "code": code}}


def _replicate_error(title: str, detail: str, status: int) -> dict[str, Any]:
    return {"title": title, "detail": detail, "status": status}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------
# Input validation and sizes


def _validate(spec: ModelSpec, data: dict[str, Any]) -> list[str]:
    """Replicate-style problems ("- input.x: ...") for the few obviously bad values we check."""
    problems = []
    prompt = data.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append("- input.prompt: prompt is required")
    aspect = data.get("aspect_ratio")
    if aspect is not None and aspect not in spec.aspect_ratios:
        choices = ", ".join(f'"{a}"' for a in spec.aspect_ratios)
        problems.append(
            f"- input.aspect_ratio: aspect_ratio must be one of the following: {choices}"
        )
    fmt = data.get("output_format")
    if fmt is not None and fmt not in spec.formats:
        choices = ", ".join(f'"{f}"' for f in spec.formats)
        problems.append(
            f"- input.output_format: output_format must be one of the following: {choices}"
        )
    if spec.list_output:
        count = data.get("num_outputs")
        if count is not None:
            if not _is_int(count):
                problems.append("- input.num_outputs: Invalid type. Expected: integer")
            elif count < 1:
                problems.append("- input.num_outputs: Must be greater than or equal to 1")
            elif count > 4:
                problems.append("- input.num_outputs: Must be less than or equal to 4")
        megapixels = data.get("megapixels")
        if megapixels is not None and megapixels not in ("1", "0.25"):
            problems.append(
                '- input.megapixels: megapixels must be one of the following: "1", "0.25"'
            )
    return problems


def _round8(value: float) -> int:
    return max(8, int(round(value / 8)) * 8)


def _output_size(
    spec: ModelSpec, data: dict[str, Any], image_size: int, inputs: list[bytes]
) -> tuple[int, int]:
    """Width and height of the outputs: aspect ratio, custom size or the input image's size."""
    aspect = data.get("aspect_ratio") or spec.default_aspect
    long_side = image_size
    if spec.list_output and data.get("megapixels") == "0.25":
        long_side = max(8, image_size // 2)
    if aspect == "custom":
        width, height = data.get("width"), data.get("height")
        if _is_int(width) and _is_int(height):
            return min(max(width, 16), 2048), min(max(height, 16), 2048)
        return long_side, long_side
    if aspect == "match_input_image":
        for raw in inputs:
            try:
                with Image.open(io.BytesIO(raw)) as probe:
                    width, height = probe.size
            except Exception:  # noqa: S112 - an undecodable input is simply not used
                continue
            scale = min(1.0, 2048 / max(width, height))
            return max(1, round(width * scale)), max(1, round(height * scale))
        return long_side, long_side
    try:
        a, b = (float(part) for part in str(aspect).split(":"))
    except ValueError:
        return long_side, long_side
    if a >= b:
        return long_side, _round8(long_side * b / a)
    return _round8(long_side * a / b), long_side


def _steps(spec: ModelSpec, data: dict[str, Any]) -> int:
    for key in ("num_inference_steps", "steps"):
        value = data.get(key)
        if _is_int(value) and value >= 1:
            return min(value, 50)
    return spec.default_steps


# ---------------------------------------------------------------------------------------------
# Input images


def _input_image_refs(data: dict[str, Any]) -> list[str]:
    refs: list[str] = []
    for key in _IMAGE_FIELDS:
        value = data.get(key)
        if isinstance(value, str):
            refs.append(value)
        elif isinstance(value, list):
            refs.extend(item for item in value if isinstance(item, str))
    return refs[:MAX_INPUT_IMAGES]


def _load_input_image(ref: str) -> bytes | None:
    """Decode a data: URI or fetch a loopback http URL; anything else is ignored."""
    if ref.startswith("data:"):
        header, sep, payload = ref.partition(",")
        if not sep or not header.startswith("data:image/") or not header.endswith(";base64"):
            return None
        if len(payload) > MAX_INPUT_IMAGE_BYTES * 4 // 3 + 4:
            return None
        try:
            return base64.b64decode(payload, validate=False)
        except ValueError:
            return None
    parts = urllib.parse.urlsplit(ref)
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS:
        return None
    # No proxies: a loopback URL must never leave the machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(ref, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 - http, loopback
            data = response.read(MAX_INPUT_IMAGE_BYTES + 1)
    except (OSError, ValueError):
        return None
    return data if len(data) <= MAX_INPUT_IMAGE_BYTES else None


def _open_rgb(raw: bytes, size: tuple[int, int]) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(raw))
        image.draft("RGB", size)  # JPEG: decode at reduced scale, much faster
        return ImageOps.exif_transpose(image).convert("RGB")
    except Exception:  # an undecodable input is simply not used
        return None


def _tile(images: list[Image.Image], size: tuple[int, int]) -> Image.Image:
    """All input images side by side in a grid filling size, each cropped to its cell."""
    width, height = size
    cols = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / cols)
    canvas = Image.new("RGB", size)
    for i, image in enumerate(images):
        row, col = divmod(i, cols)
        left, right = col * width // cols, (col + 1) * width // cols
        top, bottom = row * height // rows, (row + 1) * height // rows
        cell = ImageOps.fit(image, (max(1, right - left), max(1, bottom - top)))
        canvas.paste(cell, (left, top))
    return canvas


@functools.lru_cache(maxsize=8)
def _background(inputs: tuple[bytes, ...], size: tuple[int, int]) -> Image.Image | None:
    """The input images tiled to size; cached, as every output of a prediction reuses it."""
    pictures = [p for p in (_open_rgb(raw, size) for raw in inputs) if p is not None]
    return _tile(pictures, size) if pictures else None


# ---------------------------------------------------------------------------------------------
# Drawing


@functools.lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()


def render_image(
    *,
    model: str,
    prompt: str,
    seed: int,
    index: int,
    size: tuple[int, int],
    output_format: str = "webp",
    quality: int = 80,
    input_images: list[bytes] | None = None,
) -> bytes:
    """Draw a deterministic placeholder for one output so the demo visibly shows fake images."""
    width, height = size
    digest = hashlib.sha256(f"{model}\0{prompt}\0{seed}\0{index}".encode()).digest()
    colour1, colour2 = tuple(digest[0:3]), tuple(digest[3:6])
    mask = Image.linear_gradient("L")
    mask = mask.rotate(90 * (digest[6] % 4)).resize(size, Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", size, colour2), Image.new("RGB", size, colour1), mask)

    background = _background(tuple(input_images or ()), size)
    pictures = background is not None
    if background is not None:  # the input shows through a translucent tint
        image = Image.blend(background, image, 0.3)

    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    short = min(width, height)
    alpha = 50 if pictures else 110
    for k in range(3 + digest[7] % 3):
        b = digest[8 + 4 * k : 12 + 4 * k]
        cx, cy = b[0] * width // 255, b[1] * height // 255
        radius = short // 12 + b[2] * short // 1020
        fill = (*digest[(b[3] % 20) : (b[3] % 20) + 3], alpha)
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        if b[3] % 2:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)

    font_size = max(10, short // 18)
    font = _font(font_size)
    char_width = max(1.0, font.getlength("abcdefghijklmnopqrstuvwxyz ") / 27)
    chars = max(8, int(width * 0.86 / char_width))
    lines = textwrap.wrap(" ".join(prompt.split())[:600], width=chars) or [""]
    if len(lines) > 5:
        lines = [*lines[:4], lines[4][: max(1, chars - 1)] + "…"]
    line_height = int(font_size * 1.3)
    margin = max(4, short // 32)
    panel_top = height - margin * 2 - line_height * len(lines)
    draw.rectangle((0, panel_top, width, height), fill=(0, 0, 0, 120))
    for i, line in enumerate(lines):
        draw.text((margin, panel_top + margin + i * line_height), line, font=font, fill="white")

    label_font = _font(max(8, short // 28))
    label = f"DEMO · simulated · {model.rsplit('/', 1)[-1]} · seed {seed} · #{index + 1}"
    box = draw.textbbox((margin, margin), label, font=label_font)
    pad = max(2, margin // 2)
    draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=(0, 0, 0, 140))
    draw.text((margin, margin), label, font=label_font, fill=(255, 255, 255, 230))

    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    pil_format = _PIL_FORMATS.get(output_format, "WEBP")
    if pil_format == "PNG":
        image.save(out, pil_format, compress_level=3)
    else:
        image.save(out, pil_format, quality=max(1, min(100, quality)))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# The HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call getfqdn(), a reverse DNS lookup that can hang.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client that goes away early is normal, not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CometSimulator/1.0"
    sys_version = ""
    timeout = CONNECTION_TIMEOUT
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Print nothing: request lines and headers stay out of the console."""

    def setup(self) -> None:
        super().setup()
        self.server.simulator._track(self.connection, add=True)

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ValueError):  # client went away or the server is stopping
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.simulator._track(self.connection, add=False)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    # -- helpers ------------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, _json_bytes(obj), "application/json", headers)

    def _drop(self) -> None:
        """Close the socket without answering, like a proxy that gives up."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            size = -1
        if size < 0 or size > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_json(
                413 if size > 0 else 400, _comet_error("Bad Content-Length", "invalid_request")
            )
            return None
        return self.rfile.read(size)

    def _authorised(self) -> bool:
        scheme, _, token = (self.headers.get("Authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        expected = self.server.simulator.api_key
        if expected is None:
            return True
        return hmac.compare_digest(token.encode(), expected.encode())

    # -- dispatch -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        sim = self.server.simulator
        body = self._read_body()
        if body is None:
            return
        path = urllib.parse.urlsplit(self.path).path
        sim._record(self.command, self.path, dict(self.headers.items()), body)

        route, match = self._route(path)
        fault = sim._take_fault(route) if route in FAULT_ROUTES else None
        try:
            if fault is not None and not self._apply_fault(fault):
                return
            status_value = fault.status_value if fault is not None else None
            if route == "file":
                self._serve_file(match)
            elif not path.startswith(API_PREFIX + "/") and path != API_PREFIX:
                self._send_json(404, _comet_error("Invalid URL", "invalid_url"))
            elif not self._authorised():
                self._send_json(401, _comet_error("Invalid token"))
            elif route == "create":
                self._create(match, body, status_value)
            elif route in ("get", "cancel"):
                self._get(match, status_value, cancel=route == "cancel")
            else:
                self._send_json(404, _comet_error("Invalid URL", "invalid_url"))
        except OSError:
            raise
        except Exception as exc:  # a simulator bug must still answer, and be visible to tests
            sim.errors.append(f"{type(exc).__name__}: {exc}")
            self.close_connection = True
            self._send_json(500, _comet_error("simulator internal error", "internal_error"))

    def _route(self, path: str) -> tuple[str | None, re.Match[str] | None]:
        if self.command == "POST":
            if match := _CREATE_RE.match(path):
                return "create", match
            if match := _CANCEL_RE.match(path):
                return "cancel", match
        elif self.command == "GET":
            if match := _GET_RE.match(path):
                return "get", match
            if match := _FILE_RE.match(path):
                return "file", match
        return None, None

    def _apply_fault(self, fault: Fault) -> bool:
        """Act out a fault; True when the request should then be handled normally."""
        deadline = time.monotonic() + fault.delay
        while time.monotonic() < deadline:
            if self.server.stopping.is_set():
                self._drop()
                return False
            time.sleep(min(SLEEP_STEP, max(0.0, deadline - time.monotonic())))
        if fault.drop:
            self._drop()
            return False
        if fault.malformed:
            self._send(200, b'{"id": "abc", "status": ', "application/json")
            return False
        if fault.status is None and fault.body is None:
            return True
        status = fault.status or 200
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if fault.body is not None:
            body = fault.body.encode("utf-8")
            default_type = (
                "text/html" if fault.body.lstrip().startswith("<") else "application/json"
            )
            content_type = fault.content_type or default_type
        elif status == 429:
            wait = fault.retry_after
            detail = "Request was throttled."
            obj = _replicate_error("Request was throttled", detail, 429)
            if wait is not None:
                wait_value: float | int = int(wait) if float(wait).is_integer() else wait
                obj["detail"] = f"Request was throttled. Your rate limit resets in ~{wait_value}s."
                obj["retry_after"] = wait_value
            body, content_type = _json_bytes(obj), fault.content_type or "application/json"
        elif status >= 500:
            reason = self.responses.get(status, ("Error",))[0]
            body = f"<html><body><h1>{status} {reason}</h1></body></html>".encode()
            content_type = fault.content_type or "text/html"
        else:
            reason = self.responses.get(status, ("Error",))[0]
            body = _json_bytes(_replicate_error(reason, reason, status))
            content_type = fault.content_type or "application/json"
        self._send(status, body, content_type, headers)
        return False

    # -- routes -------------------------------------------------------------------------------

    def _create(self, match: re.Match[str] | None, raw: bytes, status_value: str | None) -> None:
        sim = self.server.simulator
        assert match is not None  # noqa: S101 - the router only sends matching paths
        owner, name = match.group(1), match.group(2)
        if not (_SAFE_SEGMENT.match(owner) and _SAFE_SEGMENT.match(name)):
            self._send_json(404, _comet_error("model not found", "model_not_found"))
            return
        if owner != OWNER or name not in MODEL_SPECS:
            message = f"model {owner}/{name} not found"
            self._send_json(404, _comet_error(message, "model_not_found"))
            return
        try:
            payload = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            self._send_json(400, _comet_error("request body is not valid JSON", "invalid_request"))
            return
        if not isinstance(payload, dict) or "input" not in payload:
            self._send_json(400, _comet_error("input is required", "invalid_request"))
            return
        data = payload["input"]
        if not isinstance(data, dict):
            self._send_json(400, _comet_error("input must be an object", "invalid_request"))
            return
        problems = _validate(MODEL_SPECS[name], data)
        if problems:
            detail = "\n".join(problems)
            self._send_json(422, _replicate_error("Input validation failed", detail, 422))
            return
        images = [raw for raw in map(_load_input_image, _input_image_refs(data)) if raw]
        record = sim._create(name, data, images)
        body = record.to_json(sim.base_url, time.monotonic(), fresh=True)
        if status_value is not None:
            body["status"] = status_value
        self._send_json(201, body)

    def _get(self, match: re.Match[str] | None, status_value: str | None, *, cancel: bool) -> None:
        sim = self.server.simulator
        assert match is not None  # noqa: S101 - the router only sends matching paths
        prediction_id = match.group(1)
        if cancel:
            try:
                sim.cancel(prediction_id)
            except KeyError:
                pass
        body = sim._snapshot(prediction_id)
        if body is None:
            not_found = _replicate_error("Not found", "Prediction not found", 404)
            self._send_json(404, not_found)
            return
        if status_value is not None:
            body["status"] = status_value
        self._send_json(200, body)

    def _serve_file(self, match: re.Match[str] | None) -> None:
        sim = self.server.simulator
        assert match is not None  # noqa: S101 - the router only sends matching paths
        prediction_id, index, ext = match.group(1), int(match.group(2)), match.group(3)
        state, payload = sim._image(prediction_id, index, ext)
        if state == "gone":
            self._send(410, b"Gone: this delivery URL has expired\n", "text/plain; charset=utf-8")
        elif state == "ok" and payload is not None:
            self._send(200, payload, _CONTENT_TYPES[ext], {"Cache-Control": "no-store"})
        else:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8")


# ---------------------------------------------------------------------------------------------
# The public object


class Simulator:
    """CometAPI's prediction API on 127.0.0.1, for the demo mode and the test-suite."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        time_scale: float = 1.0,
        image_size: int = 512,
        url_ttl: float | None = None,
    ) -> None:
        if host == "localhost":
            host = "127.0.0.1"
        if not host.startswith("127."):
            raise ValueError("the simulator only binds to a loopback address such as 127.0.0.1")
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self.host = host
        self._port = int(port)
        self.api_key = api_key or None
        self.time_scale = float(time_scale)
        self.image_size = max(16, int(image_size))
        self.url_ttl = url_ttl
        self.received: list[RecordedRequest] = []
        self.predictions: dict[str, SimPrediction] = {}
        self.errors: list[str] = []  # internal errors answered with a 500; tests expect none
        self._created: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._fail_next: tuple[str, str] | None = None
        self._lock = threading.Lock()
        self._server_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._sequence = 0

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"<Simulator {self.host}:{self._port} {state}, {len(self.predictions)} predictions>"

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after the first start, kept across restarts)."""
        return self._port

    @property
    def base_url(self) -> str:
        """Where clients reach the server, e.g. http://127.0.0.1:54321."""
        if not self._port:
            raise RuntimeError("start() the simulator first: its port is not chosen yet")
        return f"http://{self.host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> Simulator:
        """Bind (the same port again on a restart) and serve in a daemon thread."""
        with self._server_lock:
            if self._server is not None:
                return self
            server = _Server((self.host, self._port), self)
            self._port = server.server_address[1]
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"comet-simulator-{self._port}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close every socket; the predictions are kept for a later start()."""
        with self._server_lock:
            server, thread = self._server, self._thread
            if server is None:
                return
            server.stopping.set()
            # shutdown() waits for the accept loop's next wake-up; a connection wakes it now.
            closer = threading.Thread(target=server.shutdown, daemon=True)
            closer.start()
            while closer.is_alive():
                try:
                    socket.create_connection((self.host, self._port), timeout=0.2).close()
                except OSError:
                    pass
                closer.join(timeout=0.01)
            server.server_close()
            with self._lock:
                connections = list(self._connections)
                self._connections.clear()
            for conn in connections:  # keep-alive handlers would otherwise keep answering
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if thread is not None:
                thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ------------------------------------------------------------------------

    def created_inputs(self) -> list[dict[str, Any]]:
        """The input of every accepted create, in order."""
        with self._lock:
            return [dict(item) for item in self._created]

    def add_fault(
        self,
        route: str,
        *,
        times: int = 1,
        status: int | None = None,
        retry_after: float | None = None,
        body: str | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        malformed: bool = False,
        drop: bool = False,
        status_value: str | None = None,
    ) -> None:
        """Queue a fault for the next `times` requests on route "create", "get" or "file"."""
        if route not in FAULT_ROUTES:
            raise ValueError(f"route must be one of {FAULT_ROUTES}, not {route!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = Fault(
            route=route,
            remaining=times,
            status=status,
            retry_after=retry_after,
            body=body,
            content_type=content_type,
            delay=max(0.0, delay),
            malformed=malformed,
            drop=drop,
            status_value=status_value,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()

    def fail_next(self, error: str = DEFAULT_FAIL_ERROR, *, status: str = "failed") -> None:
        """Make the next created prediction end `status` ("failed" or "canceled") with error."""
        if status not in ("failed", "canceled"):
            raise ValueError('status must be "failed" or "canceled"')
        with self._lock:
            self._fail_next = (error, status)

    def cancel(self, prediction_id: str) -> None:
        """Cancel a prediction that is still running (a finished one is left as it is)."""
        with self._lock:
            record = self.predictions[prediction_id]
            now = time.monotonic()
            if record.canceled_mono is None and record.status_at(now) in ("starting", "processing"):
                record.canceled_mono = now

    def expire_outputs(self) -> None:
        """Make every delivery URL handed out so far answer 410 Gone."""
        now = time.monotonic()
        with self._lock:
            for record in self.predictions.values():
                if record.status_at(now) == "succeeded":
                    record.expired = True

    # -- internals used by the handler --------------------------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        parsed = None
        if body:
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                parsed = None
        entry = RecordedRequest(method, path, headers, body, parsed, time.time())
        with self._lock:
            self.received.append(entry)

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.route == route:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self._faults[i]
                    return replace(fault)
        return None

    def _create(self, name: str, data: dict[str, Any], images: list[bytes]) -> SimPrediction:
        spec = MODEL_SPECS[name]
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
            failure, self._fail_next = self._fail_next, None
        seed = data.get("seed")
        if not _is_int(seed):
            digest = hashlib.sha256(f"{name}\0{data.get('prompt')}\0{sequence}".encode()).digest()
            seed = int.from_bytes(digest[:4], "big") % 65536
        count = data.get("num_outputs", 1) if spec.list_output else 1
        quality = data.get("output_quality")
        record = SimPrediction(
            id=_new_id(),
            model=f"{OWNER}/{name}",
            name=name,
            input=data,
            seed=seed,
            steps=_steps(spec, data),
            image_count=count if _is_int(count) else 1,
            output_format=data.get("output_format") or spec.default_format,
            size=_output_size(spec, data, self.image_size, images),
            quality=quality if _is_int(quality) else 80,
            created_wall=time.time(),
            created_mono=time.monotonic(),
            duration=spec.duration * self.time_scale,
            input_images=images,
        )
        if failure is not None:
            record.fail_error, record.fail_status = failure
        with self._lock:
            self.predictions[record.id] = record
            self._created.append(data)
        return record

    def _snapshot(self, prediction_id: str) -> dict[str, Any] | None:
        with self._lock:
            record = self.predictions.get(prediction_id)
            if record is None:
                return None
            return record.to_json(self.base_url, time.monotonic())

    def _image(self, prediction_id: str, index: int, ext: str) -> tuple[str, bytes | None]:
        """("ok", bytes), ("gone", None) or ("missing", None) for one delivery URL."""
        now = time.monotonic()
        with self._lock:
            record = self.predictions.get(prediction_id)
            if (
                record is None
                or ext != record.output_format
                or index >= record.image_count
                or record.status_at(now) != "succeeded"
            ):
                return "missing", None
            ttl = self.url_ttl
            if record.expired or (ttl is not None and now - record.completed_mono() > ttl):
                return "gone", None
            cached = record.images.get(index)
        if cached is not None:
            return "ok", cached
        data = render_image(  # outside the lock: drawing takes a few milliseconds
            model=record.model,
            prompt=str(record.input.get("prompt", "")),
            seed=record.seed,
            index=index,
            size=record.size,
            output_format=record.output_format,
            quality=record.quality,
            input_images=record.input_images,
        )
        with self._lock:
            return "ok", record.images.setdefault(index, data)


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until Ctrl-C so the app or curl can talk to it offline."""
    parser = argparse.ArgumentParser(
        prog="python -m comet.simulator",
        description="Offline simulator of CometAPI's Replicate-compatible FLUX API.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--time-scale", type=float, default=1.0, help="0 = instant results")
    parser.add_argument("--api-key", default=None, help="accept only this Bearer key")
    parser.add_argument("--image-size", type=int, default=512, help="long side of images")
    parser.add_argument("--url-ttl", type=float, default=None, help="delivery URL lifetime (s)")
    args = parser.parse_args(argv)
    try:
        simulator = Simulator(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            time_scale=args.time_scale,
            image_size=args.image_size,
            url_ttl=args.url_ttl,
        ).start()
    except (OSError, ValueError) as exc:
        print(f"Cannot start the simulator: {exc}", file=sys.stderr)
        return 1
    print(simulator.base_url, flush=True)
    print("CometAPI simulator running; press Ctrl-C to stop.", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
