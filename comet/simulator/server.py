"""The HTTP side: routing requests to the Simulator, and serving it in a daemon thread."""

from __future__ import annotations

import hmac
import json
import re
import socket
import socketserver
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from ..models import MODELS, ModelSpec
from ._constants import (
    API_PREFIX,
    CONNECTION_TIMEOUT,
    CONTENT_TYPES,
    DELIVERY_PREFIX,
    FAULT_ROUTES,
    MAX_BODY_BYTES,
    SLEEP_STEP,
)
from .bodies import comet_error, json_bytes, replicate_error
from .faults import Fault, fault_answer
from .validation import input_problems

__all__ = ["Backend", "ServerThread"]

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ROUTES = (
    ("POST", "create", re.compile(rf"^{API_PREFIX}/models/([^/]+)/([^/]+)/predictions/?$")),
    ("POST", "cancel", re.compile(rf"^{API_PREFIX}/predictions/([^/]+)/cancel/?$")),
    ("GET", "get", re.compile(rf"^{API_PREFIX}/predictions/([^/]+)/?$")),
    ("GET", "file", re.compile(rf"^{DELIVERY_PREFIX}/([^/]+)/out-(\d{{1,2}})\.([a-z]+)$")),
)
_TEXT = "text/plain; charset=utf-8"


class Backend(Protocol):
    """What the HTTP side asks of a simulator (comet.simulator.core.Simulator is the one).

    The server holds its simulator through this, not through core's class: core starts the
    server, so the server importing core would make the two modules import each other.
    """

    api_key: str | None  # the one Bearer key accepted; None: any key
    errors: list[str]  # internal errors, answered with a 500

    def record_request(
        self, method: str, path: str, headers: dict[str, str], body: bytes, connection: int = 0
    ) -> None: ...

    def take_fault(self, route: str | None) -> Fault | None: ...

    def answer_create(self, spec: ModelSpec, data: dict[str, Any]) -> dict[str, Any]: ...

    def answer_get(self, prediction_id: str) -> dict[str, Any] | None: ...

    def cancel(self, prediction_id: str) -> None: ...

    def answer_file(self, prediction_id: str, index: int, ext: str) -> tuple[str, bytes | None]: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's backlog of 5 drops SYNs when many users' downloads arrive in the same
    # millisecond (each drop costs that client a 1 s retransmit); a real API has a deep one.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], simulator: Backend) -> None:
        self.simulator = simulator
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call getfqdn(), a reverse DNS lookup that can hang.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client that goes away early is normal, not worth a traceback."""

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Remember open connections, so stop() can close keep-alive ones too."""
        with self.connections_lock:
            if add:
                self.connections.add(conn)
            else:
                self.connections.discard(conn)

    def close_connections(self) -> None:
        """Shut every open connection, or keep-alive handlers would go on answering."""
        with self.connections_lock:
            connections = list(self.connections)
            self.connections.clear()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ServerThread:
    """One bound server and the daemon thread serving it."""

    def __init__(self, host: str, port: int, simulator: Backend) -> None:
        self.host = host
        self._server = _Server((host, port), simulator)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"comet-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close every socket."""
        server = self._server
        server.stopping.set()
        # shutdown() waits for the accept loop's next wake-up; a connection wakes it now.
        closer = threading.Thread(target=server.shutdown, daemon=True)
        closer.start()
        while closer.is_alive():
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
            except OSError:
                pass
            closer.join(timeout=0.01)
        server.server_close()
        server.close_connections()
        self._thread.join(timeout=5)


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
        # Headers and body go out in two writes; without this, Nagle's algorithm and the
        # client's delayed ACK hold the body back about 40 ms on every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

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
            self.server.track(self.connection, add=False)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch()

    # -- sending ------------------------------------------------------------------------------

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

    def _send_json(self, status: int, obj: Any) -> None:
        self._send(status, json_bytes(obj), "application/json")

    def _drop(self) -> None:
        """Close the socket without answering, like a proxy that gives up."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- reading ------------------------------------------------------------------------------

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
            status = 413 if size > 0 else 400
            self._send_json(status, comet_error("Bad Content-Length", "invalid_request"))
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

    def _route(self, path: str) -> tuple[str | None, re.Match[str] | None]:
        for method, route, pattern in _ROUTES:
            if self.command == method and (match := pattern.match(path)):
                return route, match
        return None, None

    # -- dispatch -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        sim = self.server.simulator
        body = self._read_body()
        if body is None:
            return
        path = urllib.parse.urlsplit(self.path).path
        sim.record_request(
            self.command, self.path, dict(self.headers.items()), body, self.client_address[1]
        )
        route, match = self._route(path)
        fault = sim.take_fault(route) if route in FAULT_ROUTES else None
        try:
            if fault is not None and not self._apply_fault(fault):
                return
            status_value = fault.status_value if fault is not None else None
            self._answer(route, match, path, body, status_value)
        except OSError:
            raise
        except Exception as exc:  # a simulator bug must still answer, and be visible to tests
            sim.errors.append(f"{type(exc).__name__}: {exc}")
            self.close_connection = True
            self._send_json(500, comet_error("simulator internal error", "internal_error"))

    def _answer(
        self,
        route: str | None,
        match: re.Match[str] | None,
        path: str,
        body: bytes,
        status_value: str | None,
    ) -> None:
        if route == "file" and match is not None:
            self._serve_file(match)
        elif not path.startswith(API_PREFIX + "/") and path != API_PREFIX:
            self._send_json(404, comet_error("Invalid URL", "invalid_url"))
        elif not self._authorised():
            self._send_json(401, comet_error("Invalid token"))
        elif route == "create" and match is not None:
            self._create(match, body, status_value)
        elif route in ("get", "cancel") and match is not None:
            self._get(match.group(1), status_value, cancel=route == "cancel")
        else:
            self._send_json(404, comet_error("Invalid URL", "invalid_url"))

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
        answer = fault_answer(fault)
        if answer is None:
            return True
        self._send(*answer)
        return False

    # -- routes -------------------------------------------------------------------------------

    def _create(self, match: re.Match[str], raw: bytes, status_value: str | None) -> None:
        owner, name = match.group(1), match.group(2)
        if not (_SAFE_SEGMENT.match(owner) and _SAFE_SEGMENT.match(name)):
            self._send_json(404, comet_error("model not found", "model_not_found"))
            return
        spec = MODELS.get(f"{owner}/{name}")
        if spec is None:
            message = f"model {owner}/{name} not found"
            self._send_json(404, comet_error(message, "model_not_found"))
            return
        data = self._input_object(raw)
        if data is None:
            return
        problems = input_problems(spec, data)
        if problems:
            detail = "\n".join(problems)
            self._send_json(422, replicate_error("Input validation failed", detail, 422))
            return
        body = self.server.simulator.answer_create(spec, data)
        if status_value is not None:
            body["status"] = status_value
        self._send_json(201, body)

    def _input_object(self, raw: bytes) -> dict[str, Any] | None:
        """The body's "input" object, or None after answering 400."""
        try:
            payload = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            self._send_json(400, comet_error("request body is not valid JSON", "invalid_request"))
            return None
        if not isinstance(payload, dict) or "input" not in payload:
            self._send_json(400, comet_error("input is required", "invalid_request"))
            return None
        if not isinstance(payload["input"], dict):
            self._send_json(400, comet_error("input must be an object", "invalid_request"))
            return None
        return payload["input"]

    def _get(self, prediction_id: str, status_value: str | None, *, cancel: bool) -> None:
        sim = self.server.simulator
        if cancel:
            try:
                sim.cancel(prediction_id)
            except KeyError:
                pass
        body = sim.answer_get(prediction_id)
        if body is None:
            self._send_json(404, replicate_error("Not found", "Prediction not found", 404))
            return
        if status_value is not None:
            body["status"] = status_value
        self._send_json(200, body)

    def _serve_file(self, match: re.Match[str]) -> None:
        prediction_id, index, ext = match.group(1), int(match.group(2)), match.group(3)
        state, payload = self.server.simulator.answer_file(prediction_id, index, ext)
        if state == "gone":
            self._send(410, b"Gone: this delivery URL has expired\n", _TEXT)
        elif state == "ok" and payload is not None:
            self._send(200, payload, CONTENT_TYPES[ext], {"Cache-Control": "no-store"})
        else:
            self._send(404, b"Not found\n", _TEXT)
