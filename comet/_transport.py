"""The client's transport: kept connections to one host, its environment settings, and sending
one request (`send`), with what a failed one means."""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import _constants as C
from ._redact import Redactor
from .errors import APIStatusError, CometConnectionError, CometTimeout, ServerError, snippet
from .messages import message

__all__ = ["Transport", "never_connected", "reason", "send"]


class Transport:
    """Kept-alive connections to one API host, for any number of clients (and keys).

    A client of its own opens a new connection (a TCP and a TLS handshake: one to three round
    trips before the create is even sent) and drops it when it closes. An app making one
    client per run shares one Transport per base URL instead, so a run's create goes out on a
    connection that is already open. Each request still carries its own client's key; the
    connections carry no state of their own (no cookies: those stay in each client's session).
    """

    def __init__(self, base_url: str, *, pool_size: int = C.TRANSPORT_POOL_SIZE) -> None:
        # urllib3 retries only connections that were never established: safe even for POST.
        retry = Retry(
            total=None,
            connect=C.CONNECT_RETRIES,
            read=False,  # re-raise read errors as they are: never resend a request that arrived
            redirect=0,
            status=0,
            other=0,
            backoff_factor=0.2,
            raise_on_status=False,
        )
        self.adapter = HTTPAdapter(max_retries=retry, pool_maxsize=pool_size)
        self._environment: dict | None = None
        self.base_url = base_url.rstrip("/")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"

    def session(self) -> requests.Session:
        """A new session (headers, cookies) sending through these connections.

        requests would look up the proxy variables (HTTPS_PROXY, NO_PROXY, ...) and the CA
        bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) for each request, scanning the whole
        environment each time (≈ 0.15 ms of CPU, paid by every poll of every waiting run).
        One host has one answer: it is read once, with the first session.
        """
        session = requests.Session()
        session.mount("http://", self.adapter)
        session.mount("https://", self.adapter)
        with self._lock:
            if self._environment is None:
                self._environment = session.merge_environment_settings(
                    self.base_url, {}, None, None, None
                )
            environment = self._environment
        session.trust_env = False
        session.proxies.update(environment["proxies"])
        session.verify = environment["verify"]
        return session

    def close(self) -> None:
        """Close the kept connections (a request after this opens a new one)."""
        self.adapter.close()


def send(
    session: requests.Session,
    method: str,
    base_url: str,
    path: str,
    *,
    timeout: tuple[float, float],
    redactor: Redactor,
    json: Any = None,
    creating: bool = False,
    prediction_id: str | None = None,
) -> Any:
    """Send one request (timeout: connect, read); its JSON body, or the CometError it means.

    A create (creating=True) that may have reached the server says so in its error: it is
    never resent, so that nobody pays twice.
    """
    url = f"{base_url}{path}"
    try:
        response = session.request(method, url, json=json, timeout=timeout, allow_redirects=False)
    except requests.exceptions.ConnectTimeout as exc:
        raise CometConnectionError(
            message("net.connect", url=base_url, seconds=f"{timeout[0]:.0f}"),
            prediction_id=prediction_id,
        ) from exc
    except requests.exceptions.ReadTimeout as exc:
        seconds = f"{timeout[1]:g}"
        if creating:
            raise CometTimeout(
                message("net.create_timeout", url=base_url, seconds=seconds)
            ) from exc
        raise CometTimeout(
            message("net.timeout", url=base_url, seconds=seconds), prediction_id=prediction_id
        ) from exc
    except requests.exceptions.ConnectionError as exc:
        if creating and not never_connected(exc):
            raise CometConnectionError(message("net.dropped", url=base_url)) from exc
        raise CometConnectionError(
            message("net.unreachable", url=base_url, reason=reason(exc, redactor)),
            prediction_id=prediction_id,
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise CometConnectionError(
            message("net.failed", url=base_url, reason=reason(exc, redactor)),
            prediction_id=prediction_id,
        ) from exc
    with response:
        if response.status_code >= 300:
            raise APIStatusError.from_response(
                response,
                creating=creating,
                prediction_id=prediction_id,
                redactor=redactor,
            )
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                message(
                    "net.not_json",
                    url=base_url,
                    status=response.status_code,
                    snippet=snippet(response.text, redactor=redactor),
                ),
                status_code=response.status_code,
                prediction_id=prediction_id,
            ) from None


def never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the failure happened before the request reached the server."""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def reason(exc: Exception, redactor: Redactor) -> str:
    reason = exc.args[0] if exc.args else exc
    inner = getattr(reason, "reason", None)
    text = str(inner or reason)
    if "Connection refused" in text:
        return "connection refused (is the server running?)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name could not be resolved (check COMET_BASE_URL and your network)"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the server closed the connection without answering"
    return snippet(text, 200, redactor)
