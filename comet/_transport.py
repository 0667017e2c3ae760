"""The client's transport: its environment settings, and what a failed connection means."""

from __future__ import annotations

import requests

from ._redact import Redactor
from .errors import snippet

__all__ = ["never_connected", "read_environment_once", "reason"]


def read_environment_once(session: requests.Session, url: str) -> None:
    """Give a session, once, what requests would read from the environment on every request.

    requests looks up the proxy variables (HTTPS_PROXY, NO_PROXY, ...) and the CA bundle
    (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) for each request, scanning the whole environment each
    time (≈ 0.15 ms of CPU a request here, paid by every poll of every waiting run). A client
    talks to one host, so the settings read once for its base URL are the same ones.
    """
    settings = session.merge_environment_settings(url, {}, None, None, None)
    session.trust_env = False
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]


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
