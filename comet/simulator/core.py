"""The Simulator: its settings, its predictions and the controls tests and benchmarks use."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..models import ModelSpec, get_model
from . import inputs
from ._constants import DEFAULT_FAIL_ERROR
from .drawing import render_image
from .faults import Fault, FaultQueue
from .prediction import SimPrediction, new_id
from .server import ServerThread
from .validation import is_int

__all__ = ["Simulator", "RecordedRequest"]

Range = tuple[float, float]  # (low, high) seconds


@dataclass
class RecordedRequest:
    """One request as the server received it, so tests can assert on what a client sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any | None
    time: float  # time.time() when the request line was read
    connection: int = 0  # the client's port: requests on one kept-alive connection share it


class Simulator:
    """CometAPI's prediction API on 127.0.0.1, for the demo mode, the tests and benchmarks.

    The models served, their inputs (checked as the real API checks them) and their output
    shapes come from comet.models.

    time_scale: a prediction of a model takes its catalogue typical_seconds times this
        (0: finished at once).
    durations: {model: (low, high)} in seconds, keyed by short name ("flux-schnell") or full
        id; each new prediction of that model draws its duration uniformly from the range,
        then times time_scale. Models not named keep typical_seconds.
    rng_seed: seeds the random.Random those draws come from, so a benchmark run repeats.
    clock: the monotonic clock the timeline runs on (time.monotonic; a fake one in tests).
    claimed_seconds: a lying clock: every prediction's timestamps (started_at, completed_at,
        metrics.predict_time) claim this many seconds of work, whatever it really takes
        (its statuses keep the real timeline). None: the timestamps tell the truth.
    completion_time(prediction_id) is the clock() time at which a prediction becomes terminal,
    so a benchmark in the same process can measure how late a client noticed.

    Image inputs given as URLs are never fetched (no server-side request forgery in the demo):
    they are drawn as a grey placeholder tile. data: URIs are decoded, unless their header
    shows more than MAX_INPUT_PIXELS pixels.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        time_scale: float = 1.0,
        image_size: int = 512,
        url_ttl: float | None = None,
        durations: Mapping[str, Range] | None = None,
        rng_seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        draw_ahead: bool = False,
        claimed_seconds: float | None = None,
    ) -> None:
        if host == "localhost":
            host = "127.0.0.1"
        if not host.startswith("127."):
            raise ValueError("the simulator only binds to a loopback address such as 127.0.0.1")
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        if claimed_seconds is not None and not claimed_seconds >= 0:
            raise ValueError("claimed_seconds must be >= 0 (or None)")
        self.host = host
        self._port = int(port)
        self.api_key = api_key or None
        self.time_scale = float(time_scale)
        self.image_size = max(16, int(image_size))
        self.url_ttl = url_ttl
        self.clock = clock
        self.claimed_seconds = claimed_seconds
        # Draw a prediction's images halfway through its run (real seconds), as a real service
        # has them ready when it completes, instead of when they are first downloaded.
        self.draw_ahead = draw_ahead
        self.received: list[RecordedRequest] = []
        self.predictions: dict[str, SimPrediction] = {}
        self.errors: list[str] = []  # internal errors answered with a 500; tests expect none
        self._durations: dict[str, Range] = _duration_ranges(durations or {})
        self._rng = random.Random(rng_seed)  # noqa: S311 - simulated timings, not secrets
        self._created: list[dict[str, Any]] = []
        self._faults = FaultQueue()
        self._fail_next: tuple[str, str] | None = None
        self._sequence = 0
        self._lock = threading.Lock()
        self._server_lock = threading.Lock()
        self._server: ServerThread | None = None

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
        """True while it serves."""
        return self._server is not None

    def start(self) -> Simulator:
        """Bind (the same port again on a restart) and serve in a daemon thread."""
        with self._server_lock:
            if self._server is None:
                self._server = ServerThread(self.host, self._port, self)
                self._port = self._server.port
        return self

    def stop(self) -> None:
        """Stop serving and close every socket; the predictions are kept for a later start()."""
        with self._server_lock:
            if self._server is not None:
                self._server.stop()
                self._server = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test and benchmark controls ----------------------------------------------------------

    def created_inputs(self) -> list[dict[str, Any]]:
        """The input of every accepted create, in order."""
        with self._lock:
            return [dict(item) for item in self._created]

    def completion_time(self, prediction_id: str) -> float | None:
        """When the prediction becomes terminal, on clock; None for an unknown id."""
        with self._lock:
            record = self.predictions.get(prediction_id)
            return None if record is None else record.completed_mono()

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
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Forget every queued fault."""
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
            now = self.clock()
            if record.canceled_mono is None and record.status_at(now) in ("starting", "processing"):
                record.canceled_mono = now

    def expire_outputs(self) -> None:
        """Make every delivery URL handed out so far answer 410 Gone."""
        with self._lock:
            now = self.clock()
            for record in self.predictions.values():
                if record.status_at(now) == "succeeded":
                    record.expired = True

    # -- what the HTTP side asks of it (comet.simulator.server.Backend) -----------------------

    def record_request(
        self, method: str, path: str, headers: dict[str, str], body: bytes, connection: int = 0
    ) -> None:
        """Keep one received request for the tests (received)."""
        parsed = None
        if body:
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                parsed = None
        entry = RecordedRequest(method, path, headers, body, parsed, time.time(), connection)
        with self._lock:
            self.received.append(entry)

    def take_fault(self, route: str | None) -> Fault | None:
        """The fault queued for this request's route, if any (used up by one request)."""
        return self._faults.take(route)

    def answer_create(self, spec: ModelSpec, data: dict[str, Any]) -> dict[str, Any]:
        """Start a prediction of an input already validated; its create answer."""
        images = inputs.load_input_images(spec, data)  # outside the lock: reads image headers
        size = inputs.output_size(spec, data, self.image_size, images)
        with self._lock:
            self._sequence += 1
            failure, self._fail_next = self._fail_next, None
            duration = self._draw_duration(spec)
            now = self.clock()
            record = SimPrediction(
                id=new_id(),
                model=spec.id,
                input=data,
                list_output=spec.output == "list",
                seed=_seed(spec, data, self._sequence),
                steps=inputs.step_count(spec, data),
                image_count=inputs.image_count(spec, data),
                output_format=inputs.output_format(spec, data),
                size=size,
                quality=inputs.quality(spec, data),
                created_wall=time.time(),
                created_mono=now,
                duration=duration,
                claimed=self.claimed_seconds,
                input_images=images,
            )
            if failure is not None:
                record.fail_error, record.fail_status = failure
            self.predictions[record.id] = record
            self._created.append(data)
            answer = record.to_json(self.base_url, now, fresh=True)
        if self.draw_ahead and failure is None:
            timer = threading.Timer(duration / 2, self._draw_all, args=(record,))
            timer.daemon = True
            timer.start()
        return answer

    def _draw_all(self, record: SimPrediction) -> None:
        for index in range(record.image_count):
            data = self._render(record, index)
            with self._lock:
                record.images.setdefault(index, data)

    @staticmethod
    def _render(record: SimPrediction, index: int) -> bytes:
        return render_image(
            model=record.model,
            prompt=str(record.input.get("prompt", "")),
            seed=record.seed,
            index=index,
            size=record.size,
            output_format=record.output_format,
            quality=record.quality,
            input_images=record.input_images,
        )

    def _draw_duration(self, spec: ModelSpec) -> float:
        """Seconds this prediction runs: a draw from durations, else typical_seconds; scaled."""
        bounds = self._durations.get(spec.id)
        seconds = self._rng.uniform(*bounds) if bounds else spec.typical_seconds
        return seconds * self.time_scale

    def answer_get(self, prediction_id: str) -> dict[str, Any] | None:
        """The prediction's body as of now; None for an unknown id."""
        with self._lock:
            record = self.predictions.get(prediction_id)
            if record is None:
                return None
            return record.to_json(self.base_url, self.clock())

    def answer_file(self, prediction_id: str, index: int, ext: str) -> tuple[str, bytes | None]:
        """("ok", bytes), ("gone", None) or ("missing", None) for one delivery URL."""
        with self._lock:
            now = self.clock()
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
        data = self._render(record, index)  # outside the lock: drawing takes a few milliseconds
        with self._lock:
            return "ok", record.images.setdefault(index, data)


def _duration_ranges(durations: Mapping[str, Range]) -> dict[str, Range]:
    """durations keyed by full catalogue id, checked: known models, 0 <= low <= high."""
    ranges: dict[str, Range] = {}
    for key, bounds in durations.items():
        spec = get_model(key)
        if spec is None:
            raise ValueError(f"durations: {key!r} is not a catalogue model")
        low, high = (float(x) for x in bounds)
        if not 0 <= low <= high:
            raise ValueError(f"durations[{key!r}] must be (low, high) with 0 <= low <= high")
        ranges[spec.id] = (low, high)
    return ranges


def _seed(spec: ModelSpec, data: dict[str, Any], sequence: int) -> int:
    """The input's seed, else one derived from the prompt and the prediction's number."""
    seed = data.get("seed")
    if is_int(seed):
        return int(seed)
    digest = hashlib.sha256(f"{spec.name}\0{data.get('prompt')}\0{sequence}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 65536
