"""Keeps API keys out of messages and log records, wherever they are formatted."""

from __future__ import annotations

import logging
import threading

_MIN_SECRET_LEN = 6
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False
REPLACEMENT = "***"


def register_secret(secret: str | None) -> None:
    """Remember a secret so redact() and every log record hide it from now on."""
    if not secret or len(secret) < _MIN_SECRET_LEN:
        return
    with _lock:
        _secrets.add(secret)
    _install_log_redaction()


def redact(text: str) -> str:
    """Return text with every registered secret replaced."""
    if not _secrets or not isinstance(text, str):
        return text
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REPLACEMENT)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that formats the record and hides registered secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if not _secrets:
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
