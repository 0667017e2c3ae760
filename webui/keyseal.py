"""Seal a visitor's key for "Remember in this browser": only the server that sealed it can open it.

Gradio's BrowserState encrypts with a secret it sends to the page, which is obfuscation only; the
value stored there is therefore sealed first with a secret that never leaves the server.

The seal is AES-256-GCM from the `cryptography` package, with a 96-bit random nonce per token
and a key derived from the server secret with HKDF-SHA256. AES-GCM rather than Fernet: one
authenticated-encryption primitive with associated data (which binds a token to this purpose,
so no other value sealed with the same secret can pass for a key), and shorter tokens. A
random 96-bit nonce is safe far beyond the number of keys one server seals. Tokens of the
earlier home-made format fail to open: the visitor enters the key again.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["seal_key", "open_key"]

_PREFIX = "sealed:"
_PURPOSE = b"comet-flux remembered API key v2"  # HKDF info and AES-GCM associated data
_NONCE_SIZE = 12
_TAG_SIZE = 16


def _cipher(secret: bytes) -> AESGCM:
    """AES-256-GCM under a key derived from the server secret (never the secret itself)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret)
    return AESGCM(key)


def seal_key(key: str, secret: bytes) -> str:
    """Encrypt and authenticate a key (AES-GCM) so only a server with this secret opens it."""
    nonce = secrets.token_bytes(_NONCE_SIZE)
    sealed = _cipher(secret).encrypt(nonce, key.encode("utf-8"), _PURPOSE)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_key(token: str, secret: bytes) -> str | None:
    """The key inside a seal_key() token; None for any token not sealed by this secret as it is."""
    if not isinstance(token, str) or not token.startswith(_PREFIX):
        return None
    try:
        raw = base64.urlsafe_b64decode(token.removeprefix(_PREFIX))
    except (binascii.Error, ValueError):  # not base64, or not ASCII
        return None
    if len(raw) < _NONCE_SIZE + _TAG_SIZE:
        return None
    nonce, sealed = raw[:_NONCE_SIZE], raw[_NONCE_SIZE:]
    try:
        data = _cipher(secret).decrypt(nonce, sealed, _PURPOSE)
    except InvalidTag:  # another secret, tampered, truncated, or the old format
        return None
    return data.decode("utf-8", errors="replace")
