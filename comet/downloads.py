"""Getting an output's bytes into a file: from its delivery URL, or from its data: URI.

One pool of download threads and one connection pool serve the whole process: a run then
starts no threads of its own, and reuses open (TLS) connections to the delivery host.
"""

from __future__ import annotations

import base64
import binascii
import http.cookiejar as http_cookiejar
import os
import threading
import urllib.parse
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import requests.adapters

from ._constants import DOWNLOAD_THREADS
from .data_uris import split_data_uri
from .saved_files import SaveFailure, Settings, human_size, write_image

__all__ = ["Timeout", "download_pool", "save_source", "shared_session"]

Timeout = float | tuple[float, float]
_CHUNK_SIZE = 64 * 1024
_USER_AGENT = "comet-flux (image download)"


def save_source(
    http: requests.Session,
    source: Any,
    directory: Path,
    stem: str,
    timeout: Timeout,
    max_bytes: int,
    carried: Settings = None,
) -> Path:
    """Save one output (a URL or a data: URI) as <stem>.<ext>; SaveFailure says why not."""
    if not isinstance(source, str) or not source:
        raise SaveFailure("the output is empty")
    scheme = source.split(":", 1)[0].lower() if ":" in source else ""
    if scheme == "data":
        return _save_data_uri(source, directory, stem, max_bytes, carried)
    if scheme in ("http", "https"):
        return _download(http, source, directory, stem, timeout, max_bytes, carried)
    raise SaveFailure("the output is neither an http(s) URL nor a data: URI")


def _save_data_uri(
    uri: str, directory: Path, stem: str, max_bytes: int, carried: Settings = None
) -> Path:
    parts = split_data_uri(uri)
    if parts is None:
        raise SaveFailure("the data: URI is malformed")
    mime, is_base64, payload = parts
    if is_base64:
        compact = "".join(payload.split())
        if len(compact) * 3 // 4 > max_bytes + 3:
            raise SaveFailure(f"the image is larger than the {human_size(max_bytes)} limit")
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise SaveFailure("the data: URI is not valid base64") from None
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    return write_image([data], mime, directory, stem, max_bytes, carried)


def _download(
    http: requests.Session,
    url: str,
    directory: Path,
    stem: str,
    timeout: Timeout,
    max_bytes: int,
    carried: Settings = None,
) -> Path:
    # A prepared request of our own, sent through the session: Session.send() adds none of the
    # session's headers, auth or netrc credentials, so the API key cannot reach a delivery host.
    request = requests.Request("GET", url, headers={"Accept": "image/*", "User-Agent": _USER_AGENT})
    try:
        prepared = request.prepare()
        settings = _environment_settings(http, prepared.url or url)
        with http.send(prepared, timeout=timeout, allow_redirects=True, **settings) as response:
            if not 200 <= response.status_code < 300:
                raise SaveFailure(_status_reason(response.status_code))
            length = response.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > max_bytes:
                raise SaveFailure(
                    f"the image is {human_size(int(length))}, larger than the "
                    f"{human_size(max_bytes)} limit"
                )
            chunks = response.iter_content(_CHUNK_SIZE)
            declared = response.headers.get("Content-Type", "")
            return write_image(chunks, declared, directory, stem, max_bytes, carried)
    except requests.RequestException as exc:
        raise SaveFailure(_transport_reason(exc)) from None


def _environment_settings(http: requests.Session, url: str) -> dict[str, Any]:
    """The proxies, CA bundle and stream settings requests would look up for this URL's host.

    requests scans the whole environment for them on every request (HTTPS_PROXY, NO_PROXY,
    REQUESTS_CA_BUNDLE, …; about 0.4 ms of CPU, paid by every image of every run). The answer
    depends only on the session and the host, so it is looked up once per host, as the API's
    Transport does for its one host.
    """
    parts = urllib.parse.urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    with _shared_lock:
        known = _environment_by_session.setdefault(http, {})
        settings = known.get(origin)
    if settings is None:
        settings = http.merge_environment_settings(url, {}, True, None, None)
        with _shared_lock:
            if len(known) >= _HOSTS_REMEMBERED:
                known.clear()
            known[origin] = settings
    return settings


def _status_reason(code: int) -> str:
    if code == 410:
        return "the delivery URL has expired (HTTP 410)"
    if code == 404:
        return "the delivery URL was not found (HTTP 404); it may have expired"
    if code in (401, 403):
        return f"the delivery server refused access (HTTP {code}); the URL may have expired"
    if code == 429:
        return "the delivery server is limiting downloads (HTTP 429)"
    if code >= 500:
        return f"the delivery server failed (HTTP {code})"
    return f"the delivery server answered HTTP {code} instead of an image"


def _transport_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "the delivery server could not be reached in time"
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "the download timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the delivery server's TLS certificate could not be verified"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the download was cut off"
    if isinstance(exc, requests.ConnectionError):
        return "the delivery server could not be reached"
    if isinstance(exc, requests.TooManyRedirects):
        return "the delivery URL redirected too many times"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return "the delivery URL is not valid"
    return f"the download failed ({type(exc).__name__})"


# --- shared by every run ----------------------------------------------------------------------

_shared_lock = threading.Lock()
_shared_pool: ThreadPoolExecutor | None = None
_shared_http: requests.Session | None = None
_environment_by_session: weakref.WeakKeyDictionary[requests.Session, dict[str, dict[str, Any]]]
_environment_by_session = weakref.WeakKeyDictionary()
_HOSTS_REMEMBERED = 64


def download_pool() -> ThreadPoolExecutor:
    """The process's download threads (DOWNLOAD_THREADS of them), started when first needed."""
    global _shared_pool
    with _shared_lock:
        if _shared_pool is None:
            _shared_pool = ThreadPoolExecutor(DOWNLOAD_THREADS, thread_name_prefix="comet-download")
        return _shared_pool


def shared_session() -> requests.Session:
    """Our own session, for its connections only: never any auth, and no cookies kept."""
    global _shared_http
    with _shared_lock:
        if _shared_http is None:
            http = requests.Session()
            http.cookies.set_policy(http_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=DOWNLOAD_THREADS)
            http.mount("https://", adapter)
            http.mount("http://", adapter)
            _shared_http = http
        return _shared_http


def _forget_shared() -> None:
    """In a forked child the parent's threads do not exist: start afresh when needed."""
    global _shared_pool, _shared_http, _shared_lock
    _shared_lock = threading.Lock()
    _shared_pool = _shared_http = None


os.register_at_fork(after_in_child=_forget_shared)
