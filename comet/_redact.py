"""Keeps API keys out of messages and log records, wherever they are formatted.

Two scopes, so that one visitor's key never changes another visitor's messages:

- the process-wide list (`register_secret`) is for the owner's key only, registered by the app,
  the CLI or `CometClient.from_env()`; every log record and every `CometError` hides it;
- a `Redactor` holds one client's own key and is applied by that client to the messages it
  raises and the log lines it emits; it is never added to the process-wide list.

A key is hidden whole, and so is a copy cut short (its first `PARTIAL_LEN` or more characters
where the word ends, e.g. `sk-OWNER-S…`), in case a server cut it. Text this package cuts is
redacted before it is cut.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

_MIN_SECRET_LEN = 6
PARTIAL_LEN = 8  # a cut-off key keeps at least this many of its first characters to be hidden
_secrets: set[str] = set()
_ordered: tuple[str, ...] = ()  # _secrets, longest first; replaced whole, so reads need no lock
_lock = threading.Lock()
_installed = False
REPLACEMENT = "***"


def register_secret(secret: str | None) -> None:
    """Hide secret in every log record and every CometError from now on (the owner's key)."""
    if not secret or len(secret) < _MIN_SECRET_LEN:
        return
    global _ordered
    with _lock:
        _secrets.add(secret)
        _ordered = _sorted(_secrets)
    _install_log_redaction()


def redact(text: str) -> str:
    """Return text with every process-wide secret (and any cut-off start of one) replaced."""
    secrets = _ordered
    if not secrets or not isinstance(text, str):
        return text
    return _hide(text, secrets)


class Redactor:
    """Hides one client's own secrets, plus the process-wide ones, in text and parsed bodies."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets = _sorted(s for s in secrets if s and len(s) >= _MIN_SECRET_LEN)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secret(s))"

    def text(self, text: str) -> str:
        """text with this redactor's secrets and the process-wide ones hidden."""
        if not isinstance(text, str):
            return text
        return redact(_hide(text, self._secrets))

    def value(self, value: Any) -> Any:
        """A copy of a parsed JSON value (dicts, lists, strings) with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


def _sorted(secrets: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(secrets), key=len, reverse=True))


def _hide(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REPLACEMENT)
        text = _hide_cut_off(text, secret)
    return text


def _hide_cut_off(text: str, secret: str) -> str:
    """Replace every cut-off copy of secret: PARTIAL_LEN or more of its first characters that
    end where the text or the word ends (a different key sharing a prefix goes on, and stays).
    """
    head = secret[:PARTIAL_LEN]
    if len(head) < PARTIAL_LEN or head not in text:
        return text
    out: list[str] = []
    start = 0
    while (at := text.find(head, start)) >= 0:
        end = at + len(head)
        while end < len(text) and end - at < len(secret) and text[end] == secret[end - at]:
            end += 1
        if end < len(text) and (text[end].isalnum() or text[end] in "-_"):
            out.append(text[start:end])  # goes on differently: another word, not this key
        else:
            out.append(text[start:at] + REPLACEMENT)
        start = end
    out.append(text[start:])
    return "".join(out)


class RedactingFilter(logging.Filter):
    """A logging filter that formats the record and hides registered secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if not _ordered:
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the logger's problem, not ours
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_text is None and record.exc_info[0] is not None:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)


def _install_log_redaction() -> None:
    """Wrap the record factory once: a filter on one logger misses its children's records."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs):  # noqa: ANN002, ANN003
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
