"""Seal a visitor's key for "Remember in this browser": only the server that sealed it can open it.

Gradio's BrowserState encrypts with a secret it sends to the page, which is obfuscation only; the
value stored there is therefore sealed first with a secret that never leaves the server. The
construction is HMAC-SHA256 in counter mode for the keystream, then an HMAC tag over nonce and
ciphertext (encrypt-then-MAC), standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["seal_key", "open_key"]


def _keystream(secret: bytes, nonce: bytes, size: int) -> bytes:
    blocks = (
        hmac.new(secret, b"enc" + nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
        for i in range(size // 32 + 1)
    )
    return b"".join(blocks)[:size]


def seal_key(key: str, secret: bytes) -> str:
    """Encrypt and authenticate a key (HMAC-SHA256 stream + tag) so only this server opens it."""
    nonce = secrets.token_bytes(16)
    data = key.encode()
    sealed = bytes(a ^ b for a, b in zip(data, _keystream(secret, nonce, len(data)), strict=True))
    tag = hmac.new(secret, b"mac" + nonce + sealed, hashlib.sha256).digest()
    return "sealed:" + base64.urlsafe_b64encode(nonce + sealed + tag).decode("ascii")


def open_key(token: str, secret: bytes) -> str | None:
    """The key inside a seal_key() token, or None if it was not sealed with this secret."""
    if not token.startswith("sealed:"):
        return None
    try:
        raw = base64.urlsafe_b64decode(token.removeprefix("sealed:"))
    except ValueError:
        return None
    if len(raw) < 16 + 1 + 32:  # nonce, at least one byte, tag
        return None
    nonce, sealed, tag = raw[:16], raw[16:-32], raw[-32:]
    expected = hmac.new(secret, b"mac" + nonce + sealed, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        return None
    data = bytes(a ^ b for a, b in zip(sealed, _keystream(secret, nonce, len(sealed)), strict=True))
    return data.decode("utf-8", errors="replace")
