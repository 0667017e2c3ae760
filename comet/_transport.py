"""What a failed connection means, in words (the client's transport errors)."""

from __future__ import annotations

import requests

from ._redact import Redactor
from .errors import snippet

__all__ = ["never_connected", "reason"]


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
