"""CometClient: one pooled session, the auth header, error mapping, retries and waiting."""

from __future__ import annotations

import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import _constants as C
from ._redact import register_secret
from .errors import (
    APIStatusError,
    AuthenticationError,
    CometConnectionError,
    CometError,
    CometTimeout,
    InvalidInputError,
    NotFoundError,
    PredictionFailed,
    RateLimitError,
    ServerError,
)
from .prediction import Prediction

__all__ = ["CometClient", "validate_model_id", "validate_prediction_id"]

log = logging.getLogger(__name__)

_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$")
_PREDICTION_ID_RE = re.compile(r"^[A-Za-z0-9]{1,100}$")
_RETRYABLE_POLL_ERRORS = (RateLimitError, ServerError, CometTimeout, CometConnectionError)

InputValidator = Callable[[str, dict[str, Any]], dict[str, Any]]
RetryCallback = Callable[[CometError, float], None]


def validate_model_id(model: str) -> str:
    """Refuse a model id that is not owner/name of safe characters, before anything is sent."""
    if not isinstance(model, str) or not _MODEL_ID_RE.match(model.strip()):
        raise InvalidInputError(
            f"Invalid model id {model!r}: expected owner/name, e.g. {C.DEFAULT_MODEL}, "
            "using letters, digits, '.', '_' and '-' only.",
            field="model",
        )
    owner, name = model.strip().split("/")
    if owner in (".", "..") or name in (".", ".."):
        raise InvalidInputError(f"Invalid model id {model!r}.", field="model")
    return model.strip()


def validate_prediction_id(prediction_id: str) -> str:
    """Refuse a prediction id that is not alphanumeric, before anything is sent."""
    if not isinstance(prediction_id, str) or not _PREDICTION_ID_RE.match(prediction_id.strip()):
        raise InvalidInputError(
            f"Invalid prediction id {str(prediction_id)[:120]!r}: "
            "expected letters and digits only.",
            field="id",
        )
    return prediction_id.strip()


def _catalogue_validator(model: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate known models through the catalogue; pass unknown but well-formed ids through."""
    from .models import get_model, validate_input

    if get_model(model) is None:
        return values
    return validate_input(model, values, omit_defaults=False)


class CometClient:
    """Talks to CometAPI's Replicate-compatible prediction routes."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        poll_interval: float | None = None,
        timeout: float | None = None,
        *,
        connect_timeout: float = C.CONNECT_TIMEOUT,
        read_timeout: float = C.READ_TIMEOUT,
        backoff_base: float = C.BACKOFF_BASE,
        validator: InputValidator | None = _catalogue_validator,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("COMET_API_KEY", "")
        key = (key or "").strip()
        if not key:
            raise AuthenticationError(
                "No CometAPI key: set COMET_API_KEY in the environment or in .env "
                "(get one at https://api.cometapi.com/console/token), or pass api_key=..."
            )
        register_secret(key)
        self._api_key = key
        base = base_url or os.environ.get("COMET_BASE_URL") or C.DEFAULT_BASE_URL
        if not re.match(r"^https?://[^\s/]+", base):
            raise InvalidInputError(f"Invalid base URL {base!r}: expected http(s)://host")
        self.base_url = base.rstrip("/")
        self.poll_interval = float(
            poll_interval if poll_interval is not None else C.DEFAULT_POLL_INTERVAL
        )
        self.timeout = float(timeout if timeout is not None else C.DEFAULT_TIMEOUT)
        if self.poll_interval <= 0 or self.timeout <= 0:
            raise InvalidInputError("poll_interval and timeout must be positive numbers")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.backoff_base = backoff_base
        self._validator = validator
        self._sleep = sleep
        self._clock = clock
        self._session = requests.Session()
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
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "comet-flux/0.1",
            }
        )

    @classmethod
    def from_env(cls, **overrides: Any) -> CometClient:
        """Build a client from COMET_API_KEY, COMET_BASE_URL, COMET_POLL_INTERVAL, COMET_TIMEOUT."""
        settings: dict[str, Any] = {
            "api_key": os.environ.get("COMET_API_KEY"),
            "base_url": os.environ.get("COMET_BASE_URL") or None,
        }
        for name, env in (("poll_interval", "COMET_POLL_INTERVAL"), ("timeout", "COMET_TIMEOUT")):
            raw = os.environ.get(env)
            if raw:
                try:
                    settings[name] = float(raw)
                except ValueError:
                    raise InvalidInputError(
                        f"{env} must be a number of seconds, got {raw!r}"
                    ) from None
        settings.update(overrides)
        return cls(**settings)

    def __repr__(self) -> str:
        return f"CometClient(base_url={self.base_url!r}, api_key='***')"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> CometClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the two routes -------------------------------------------------------------------

    def create_prediction(self, model: str, input: Mapping[str, Any]) -> Prediction:  # noqa: A002
        """Start a prediction; retried only when the server surely did not act on it."""
        model = validate_model_id(model)
        if not isinstance(input, Mapping):
            raise InvalidInputError(
                f"input must be a dict of model inputs, got {type(input).__name__}", field="input"
            )
        values = dict(input)
        if self._validator is not None:
            values = self._validator(model, values)
        path = f"{C.API_PREFIX}/models/{model}/predictions"
        for attempt in range(1, C.CREATE_MAX_TRIES + 1):
            try:
                body = self._request("POST", path, json={"input": values}, creating=True)
            except RateLimitError as exc:
                if attempt == C.CREATE_MAX_TRIES:
                    raise
                wait = self._backoff(attempt, exc.retry_after)
                log.info("Create was rate limited; retrying in %.1f s", wait)
                self._pause(wait)
                continue
            return self._parse_prediction(body)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_prediction(self, prediction_id: str) -> Prediction:
        """Fetch the current state of a prediction once."""
        prediction_id = validate_prediction_id(prediction_id)
        body = self._request(
            "GET", f"{C.API_PREFIX}/predictions/{prediction_id}", prediction_id=prediction_id
        )
        return self._parse_prediction(body, prediction_id=prediction_id)

    # -- waiting --------------------------------------------------------------------------

    def watch(
        self,
        prediction: Prediction | str,
        *,
        timeout: float | None = None,
        on_retry: RetryCallback | None = None,
    ) -> Iterator[Prediction]:
        """Poll until the prediction is terminal, yielding it after every successful poll.

        Failed polls (timeouts, 429, 5xx, garbage, dropped connections) count as still pending
        and are retried with capped backoff; only the overall deadline ends the wait.
        """
        prediction_id = validate_prediction_id(
            prediction.id if isinstance(prediction, Prediction) else prediction
        )
        if isinstance(prediction, Prediction) and prediction.done:
            yield prediction
            return
        deadline_seconds = self.timeout if timeout is None else float(timeout)
        started = self._clock()
        deadline = started + deadline_seconds
        failures = 0
        last_status = prediction.status if isinstance(prediction, Prediction) else "unknown"
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise CometTimeout(
                    f"Prediction {prediction_id} is still {last_status} after "
                    f"{deadline_seconds:.0f} s. It may still finish: resume it with "
                    f"`python -m comet get {prediction_id}`.",
                    prediction_id=prediction_id,
                )
            try:
                current = self._poll_once(prediction_id, remaining)
            except _RETRYABLE_POLL_ERRORS as exc:
                failures += 1
                wait = self._backoff(failures, getattr(exc, "retry_after", None))
                wait = max(0.0, min(wait, deadline - self._clock()))
                log.warning("Poll of %s failed (%s); retrying in %.1f s", prediction_id, exc, wait)
                if on_retry is not None:
                    on_retry(exc, wait)
                self._pause(wait)
                continue
            failures = 0
            last_status = current.status
            yield current
            if current.done:
                return
            elapsed = self._clock() - started
            self._pause(min(self._interval(elapsed), max(0.0, deadline - self._clock())))

    def generate(
        self,
        model: str,
        input: Mapping[str, Any],
        **watch_kwargs: Any,  # noqa: A002
    ) -> Iterator[Prediction]:
        """Create a prediction and watch it: yields the created one first, then every poll."""
        prediction = self.create_prediction(model, input)
        yield prediction
        yield from self.watch(prediction, **watch_kwargs)

    def run(self, model: str, input: Mapping[str, Any], **watch_kwargs: Any) -> Prediction:  # noqa: A002
        """Create, wait, and return the succeeded prediction; raise PredictionFailed otherwise."""
        last: Prediction | None = None
        for last in self.generate(model, input, **watch_kwargs):  # noqa: B007
            pass
        assert last is not None  # noqa: S101 - generate always yields the created prediction
        if not last.succeeded:
            raise PredictionFailed(last)
        return last

    # -- internals ------------------------------------------------------------------------

    def _poll_once(self, prediction_id: str, remaining: float) -> Prediction:
        read = max(0.5, min(self.read_timeout, remaining))
        body = self._request(
            "GET",
            f"{C.API_PREFIX}/predictions/{prediction_id}",
            prediction_id=prediction_id,
            read_timeout=read,
        )
        return self._parse_prediction(body, prediction_id=prediction_id)

    def _interval(self, elapsed: float) -> float:
        """Poll at poll_interval, slowing gradually to MAX_POLL_INTERVAL after a long wait."""
        if elapsed <= C.SLOW_DOWN_AFTER:
            return self.poll_interval
        stretched = self.poll_interval * (1 + (elapsed - C.SLOW_DOWN_AFTER) / C.SLOW_DOWN_AFTER)
        return min(max(self.poll_interval, C.MAX_POLL_INTERVAL), stretched)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Capped exponential backoff with jitter; the server's Retry-After wins when given."""
        if retry_after is not None and retry_after >= 0:
            return min(float(retry_after), C.RETRY_AFTER_MAX)
        base = min(C.BACKOFF_MAX, self.backoff_base * (2 ** (attempt - 1)))
        return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not crypto

    def _pause(self, seconds: float) -> None:
        """Sleep in short steps so a generator closed by the UI stops promptly."""
        end = self._clock() + seconds
        while True:
            left = end - self._clock()
            if left <= 0:
                return
            self._sleep(min(C.SLEEP_STEP, left))

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        creating: bool = False,
        prediction_id: str | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        url = f"{self.base_url}{path}"
        timeout = (self.connect_timeout, read_timeout or self.read_timeout)
        try:
            response = self._session.request(
                method, url, json=json, timeout=timeout, allow_redirects=False
            )
        except requests.exceptions.ConnectTimeout as exc:
            raise CometConnectionError(
                f"Could not connect to {self.base_url} within {self.connect_timeout:.0f} s.",
                prediction_id=prediction_id,
            ) from exc
        except requests.exceptions.ReadTimeout as exc:
            if creating:
                raise CometTimeout(
                    f"{self.base_url} did not answer the create request within "
                    f"{timeout[1]:g} s. The prediction may have been created (and billed) "
                    "anyway; it was not retried so that you do not pay twice. Check your "
                    "CometAPI dashboard before trying again."
                ) from exc
            raise CometTimeout(
                f"{self.base_url} did not answer within {timeout[1]:g} s.",
                prediction_id=prediction_id,
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            if creating and not _never_connected(exc):
                raise CometConnectionError(
                    f"The connection to {self.base_url} dropped after the create request was "
                    "sent. The prediction may have been created (and billed); it was not "
                    "retried so that you do not pay twice."
                ) from exc
            raise CometConnectionError(
                f"Could not reach {self.base_url}: {_reason(exc)}", prediction_id=prediction_id
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise CometConnectionError(
                f"Request to {self.base_url} failed: {_reason(exc)}", prediction_id=prediction_id
            ) from exc
        with response:
            if response.status_code >= 400 or 300 <= response.status_code < 400:
                raise _error_from_response(response, creating=creating, prediction_id=prediction_id)
            try:
                return response.json()
            except ValueError:
                raise ServerError(
                    f"{self.base_url} sent a response that is not valid JSON "
                    f"(HTTP {response.status_code}, {_snippet(response.text)}).",
                    status_code=response.status_code,
                    prediction_id=prediction_id,
                ) from None

    def _parse_prediction(self, body: Any, *, prediction_id: str | None = None) -> Prediction:
        try:
            return Prediction.from_json(body)
        except (ValueError, TypeError, AttributeError):
            raise ServerError(
                f"{self.base_url} sent a prediction without an id or in an unknown shape: "
                f"{_snippet(str(body))}",
                prediction_id=prediction_id,
            ) from None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the failure happened before the request reached the server."""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    inner = getattr(reason, "reason", None)
    text = str(inner or reason)
    if "Connection refused" in text:
        return "connection refused (is the server running?)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name could not be resolved (check COMET_BASE_URL and your network)"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "the server closed the connection without answering"
    return text[:200]


def _snippet(text: str, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    if not text:
        return "empty body"
    return text if len(text) <= limit else text[:limit] + "…"


def _parse_retry_after(response: requests.Response, body: Any) -> float | None:
    header = response.headers.get("Retry-After")
    candidates = [header]
    if isinstance(body, dict):
        candidates.append(body.get("retry_after"))
        error = body.get("error")
        if isinstance(error, dict):
            candidates.append(error.get("retry_after"))
    for value in candidates:
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            continue  # an HTTP-date Retry-After: fall back to backoff
    return None


def _error_message(body: Any, fallback: str) -> str:
    """Pull the human message out of CometAPI's, Replicate's or an unknown error body."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str) and error:
            return error
        detail, title = body.get("detail"), body.get("title")
        if isinstance(detail, list):  # FastAPI-style validation list
            detail = "; ".join(
                str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail
            )
        if detail and title:
            return f"{title}: {detail}"
        if detail or title or body.get("message"):
            return str(detail or title or body.get("message"))
    return fallback


def _error_from_response(
    response: requests.Response, *, creating: bool, prediction_id: str | None
) -> APIStatusError:
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    fallback = f"HTTP {status} ({_snippet(response.text, 80)})"
    message = _error_message(body, fallback)
    kwargs: dict[str, Any] = {"status_code": status, "body": body, "prediction_id": prediction_id}
    if status in (401, 403):
        return AuthenticationError(
            f"CometAPI refused the API key ({status}: {message}). Check COMET_API_KEY.", **kwargs
        )
    if status == 404:
        what = "prediction" if prediction_id else "model or route"
        return NotFoundError(f"Not found ({what}): {message}", **kwargs)
    if status in (400, 422):
        return InvalidInputError(f"CometAPI rejected the input: {message}", **kwargs)
    if status == 429:
        retry_after = _parse_retry_after(response, body)
        wait = f" Try again in {retry_after:.0f} s." if retry_after is not None else ""
        return RateLimitError(
            f"Rate limited by CometAPI: {message}.{wait}", retry_after=retry_after, **kwargs
        )
    if status >= 500:
        note = (
            " The prediction may have been created anyway; it was not retried so that you do "
            "not pay twice."
            if creating
            else ""
        )
        return ServerError(f"CometAPI had a server error ({message}).{note}", **kwargs)
    if 300 <= status < 400:
        return ServerError(
            f"Unexpected redirect (HTTP {status}) to {response.headers.get('Location', '?')}: "
            "check COMET_BASE_URL.",
            **kwargs,
        )
    return APIStatusError(f"CometAPI answered HTTP {status}: {message}", **kwargs)
