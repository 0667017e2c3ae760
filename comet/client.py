"""CometClient: one pooled session, the auth header, retries, and waiting on a schedule."""

from __future__ import annotations

import contextlib
import logging
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import _constants as C
from ._redact import Redactor, register_secret
from ._transport import Transport, send
from .durations import DurationMemory, Observation, parse_timestamp, prediction_seconds
from .errors import (
    AuthenticationError,
    CometConnectionError,
    CometError,
    CometTimeout,
    InvalidInputError,
    PredictionFailed,
    RateLimitError,
    ServerError,
    snippet,
)
from .identifiers import validate_model_id, validate_prediction_id
from .messages import message
from .polling import PollSchedule
from .prediction import Prediction
from .settings import AppSettings, read_api_key, read_base_url

__all__ = ["CometClient", "validate_model_id", "validate_prediction_id"]

log = logging.getLogger(__name__)

_RETRYABLE_POLL_ERRORS = (RateLimitError, ServerError, CometTimeout, CometConnectionError)

InputValidator = Callable[[str, dict[str, Any]], dict[str, Any]]
RetryCallback = Callable[[CometError, float], None]


@dataclass(frozen=True)
class _Created:
    """What a client remembers of a prediction it created, to time and learn from its wait."""

    # The client's clock when the create's answer arrived: where the run's time counts from.
    # The server stamped created_at somewhere between the sending and the answer. Counted from
    # the answer, no poll comes before a run of the expected length can have ended, and none
    # is late by more than the create's round trip; counted from the sending, a create slowed
    # on its way (a busy server) made every poll early by that much, and a poll early by a
    # hair costs a whole gap and a request.
    born: float
    # From sending the create to its answer: created_at may be up to this much before born,
    # so a server's duration may exceed what this client saw by as much (durations.py).
    round_trip: float
    model: str
    input: dict[str, Any]


def _observation(
    created: _Created | None,
    running: float | None,
    done: float,
    schedule: PollSchedule | None = None,
) -> Observation | None:
    """What this client saw of a run it created (its clock readings, counted from its birth)."""
    if created is None:
        return None  # resumed by id: nothing of ours to measure its duration from
    since = None if running is None else running - created.born
    shortest = 0.0
    if schedule is not None:
        expected = schedule.expectation
        shortest = expected.shortest if expected.shortest is not None else expected.low
    return Observation(since, done - created.born, created.round_trip, shortest)


def _catalogue_validator(model: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate known models through the catalogue; pass unknown but well-formed ids through."""
    from .models import get_model, validate_input

    if get_model(model) is None:
        return values
    return validate_input(model, values, omit_defaults=False)


class CometClient:
    """Talks to CometAPI's Replicate-compatible prediction routes.

    Clients made one after another (an app: one per run, each with its visitor's key) can
    share a Transport for their base URL, so that a run's create goes out on a connection
    that is already open instead of opening one (TCP and TLS) first.
    """

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
        durations: DurationMemory | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        transport: Transport | None = None,
    ) -> None:
        key = (read_api_key() if api_key is None else api_key or "").strip()
        if not key:
            raise AuthenticationError(
                "No CometAPI key: set COMET_API_KEY in the environment or in .env "
                "(get one at https://api.cometapi.com/console/token), or pass api_key=..."
            )
        self._api_key = key
        # This client's own key is hidden in what it raises and logs, and nowhere else: a
        # visitor's key must never change the messages of another visitor's client.
        self._redactor = Redactor(key)
        base = (read_base_url() if base_url is None else base_url).strip()
        if not re.match(r"^https?://[^\s/]+", base):
            raise InvalidInputError(
                f"Invalid base URL {self._redactor.text(base)[:200]!r}: expected http(s)://host"
            )
        self.base_url = base.rstrip("/")
        self.poll_interval = float(
            poll_interval if poll_interval is not None else C.DEFAULT_POLL_INTERVAL
        )
        self.timeout = float(timeout if timeout is not None else C.DEFAULT_TIMEOUT)
        if not (self.poll_interval > 0 and self.timeout > 0):
            raise InvalidInputError("poll_interval and timeout must be positive numbers")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.backoff_base = backoff_base
        self.durations = durations if durations is not None else DurationMemory()
        self._validator = validator
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._created: OrderedDict[str, _Created] = OrderedDict()
        self._created_lock = threading.Lock()
        # A transport of its own unless given a shared one (an app: one per base URL).
        if transport is not None and transport.base_url != self.base_url:
            raise InvalidInputError("transport is for another base URL than this client's")
        self._own_transport = transport is None
        self._transport = transport or Transport(self.base_url)
        self._session = self._transport.session()
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
        """A client from AppSettings.from_env(): key, base URL, poll interval and timeout.

        The environment's key is the owner's, so it is also hidden process-wide (in every log
        record); keyword arguments override any setting.
        """
        settings = AppSettings.from_env()
        register_secret(settings.owner_key)
        values: dict[str, Any] = {
            "api_key": settings.owner_key,
            "base_url": settings.base_url,
            "poll_interval": settings.poll_interval,
            "timeout": settings.timeout,
        }
        values.update(overrides)
        return cls(**values)

    def __repr__(self) -> str:
        return f"CometClient(base_url={self.base_url!r}, api_key='***')"

    def close(self) -> None:
        """Close this client's connections; a shared transport's stay open for its other users."""
        if self._own_transport:
            self._transport.close()

    def __enter__(self) -> CometClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the two routes -------------------------------------------------------------------

    def create_prediction(self, model: str, input: Mapping[str, Any]) -> Prediction:  # noqa: A002
        """Start a prediction; retried only when the server surely did not act on it."""
        with self._hiding_secrets():
            model = validate_model_id(model)
            if not isinstance(input, Mapping):
                raise InvalidInputError(
                    f"input must be a dict of model inputs, got {type(input).__name__}",
                    field="input",
                )
            values = dict(input)
            if self._validator is not None:
                values = self._validator(model, values)
            path = f"{C.API_PREFIX}/models/{model}/predictions"
            for attempt in range(1, C.CREATE_MAX_TRIES + 1):
                sent = self._clock()
                try:
                    body = self._request("POST", path, json={"input": values}, creating=True)
                except RateLimitError as exc:
                    if attempt == C.CREATE_MAX_TRIES:
                        raise
                    wait = self._backoff(attempt, exc.retry_after)
                    self._log(logging.INFO, "Create was rate limited; retrying in %.1f s", wait)
                    self._pause(wait)
                    continue
                prediction = self._parse_prediction(body)
                answered = self._clock()
                created = _Created(answered, answered - sent, model, values)
                self._remember_created(prediction.id, created)
                return prediction
            raise AssertionError("unreachable")  # pragma: no cover

    def get_prediction(self, prediction_id: str) -> Prediction:
        """Fetch the current state of a prediction once."""
        with self._hiding_secrets():
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
        expected_seconds: float | None = None,
    ) -> Iterator[Prediction]:
        """Poll until the prediction is terminal, yielding it after every successful poll.

        Polls follow comet.polling.PollSchedule: sparse until completion is likely, dense
        around it (expected_seconds, else the durations this client has learned, else the
        catalogue's typical time). Failed polls (timeouts, 429, 5xx, garbage, dropped
        connections) count as still pending and are retried with capped backoff or after
        Retry-After; only the overall deadline (timeout, else the client's) ends the wait.
        """
        with self._hiding_secrets():
            yield from self._watch(prediction, timeout, on_retry, expected_seconds)

    def generate(
        self,
        model: str,
        input: Mapping[str, Any],  # noqa: A002
        **watch_kwargs: Any,
    ) -> Iterator[Prediction]:
        """Create a prediction and watch it: yields the created one first, then every poll."""
        prediction = self.create_prediction(model, input)
        yield prediction
        yield from self.watch(prediction, **watch_kwargs)

    def run(self, model: str, input: Mapping[str, Any], **watch_kwargs: Any) -> Prediction:  # noqa: A002
        """Create, wait, and return the succeeded prediction; raise PredictionFailed otherwise.

        watch_kwargs: timeout, on_retry, expected_seconds (see watch).
        """
        last: Prediction | None = None
        for last in self.generate(model, input, **watch_kwargs):  # noqa: B007
            pass
        assert last is not None  # noqa: S101 - generate always yields the created prediction
        if not last.succeeded:
            with self._hiding_secrets():
                raise PredictionFailed(last)
        return last

    # -- internals ------------------------------------------------------------------------

    def _watch(
        self,
        prediction: Prediction | str,
        timeout: float | None,
        on_retry: RetryCallback | None,
        expected_seconds: float | None,
    ) -> Iterator[Prediction]:
        prediction_id = validate_prediction_id(
            prediction.id if isinstance(prediction, Prediction) else prediction
        )
        known = prediction if isinstance(prediction, Prediction) else None
        created = self._created_record(prediction_id)
        if known is not None and known.done:
            self._learn(known, created, _observation(created, None, self._clock()))
            yield known
            return
        deadline_seconds = self.timeout if timeout is None else float(timeout)
        now = self._clock()
        deadline = now + deadline_seconds
        last_status = known.status if known is not None else "unknown"
        schedule: PollSchedule | None = None
        born: float | None = None
        next_at = now  # a prediction this client did not just create is polled at once
        if created is not None:
            born = created.born
            schedule = self._schedule(created.model, created.input, expected_seconds)
            next_at = born + schedule.next_poll(now - born)
        failures = 0
        running: float | None = None  # when the last poll that saw the run going was sent
        while True:
            now = self._clock()
            if next_at > now:
                self._pause(min(next_at, deadline) - now)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise CometTimeout(
                    message(
                        "wait.deadline",
                        id=prediction_id,
                        status=last_status,
                        seconds=f"{deadline_seconds:.0f}",
                    ),
                    prediction_id=prediction_id,
                )
            sent = self._clock()
            try:
                current = self._poll_once(prediction_id, remaining)
                answered = self._clock()
            except _RETRYABLE_POLL_ERRORS as exc:
                failures += 1
                wait = self._backoff(failures, getattr(exc, "retry_after", None))
                wait = max(0.0, min(wait, deadline - self._clock()))
                exc.hide_secrets(self._redactor)
                self._log(
                    logging.WARNING,
                    "Poll of %s failed (%s); retrying in %.1f s",
                    prediction_id,
                    exc,
                    wait,
                )
                if on_retry is not None:
                    on_retry(exc, wait)
                next_at = self._clock() + wait
                continue
            failures = 0
            last_status = current.status
            yield current
            if current.done:
                seen = _observation(created, running, answered, schedule)
                self._learn(current, created, seen)
                return
            running = sent
            if born is None:
                born = self._born(current, sent)
            if schedule is None:
                schedule = self._schedule(current.model, current.input, expected_seconds)
            next_at = born + schedule.next_poll(sent - born)

    def _schedule(
        self, model: str, values: Mapping[str, Any], expected_seconds: float | None
    ) -> PollSchedule:
        expectation = self.durations.expect(model, values, expected_seconds=expected_seconds)
        return PollSchedule(expectation, self.poll_interval)

    def _born(self, prediction: Prediction, fallback: float) -> float:
        """This client's clock reading when the prediction was created (by its created_at)."""
        created_at = parse_timestamp(prediction.created_at)
        if created_at is None:
            return fallback
        age = self._wall_clock() - created_at
        return fallback - age if age > 0 else fallback

    def _learn(
        self, prediction: Prediction, created: _Created | None, seen: Observation | None
    ) -> None:
        """Remember how long a successful prediction took, for the next schedule.

        The server's duration, unless what this client saw contradicts it (DurationMemory.learn).
        """
        if not prediction.succeeded:
            return
        reported = prediction_seconds(prediction)
        model = created.model if created is not None else prediction.model
        values = created.input if created is not None else prediction.input
        learned = self.durations.learn(model, reported, seen, values, prediction_id=prediction.id)
        if reported is not None and learned == "observed" and seen is not None:
            self._log(
                logging.INFO,
                "Prediction %s: not learning the %.2f s its timestamps claim (this client's "
                "polls contradicted them, now or before); learned %.2f s from the polls",
                prediction.id,
                reported,
                seen.estimate(),
            )

    def _remember_created(self, prediction_id: str, created: _Created) -> None:
        with self._created_lock:
            self._created[prediction_id] = created
            while len(self._created) > C.CREATED_MEMORY:
                self._created.popitem(last=False)

    def _created_record(self, prediction_id: str) -> _Created | None:
        with self._created_lock:
            return self._created.get(prediction_id)

    def _poll_once(self, prediction_id: str, remaining: float) -> Prediction:
        read = max(0.5, min(self.read_timeout, remaining))
        body = self._request(
            "GET",
            f"{C.API_PREFIX}/predictions/{prediction_id}",
            prediction_id=prediction_id,
            read_timeout=read,
        )
        return self._parse_prediction(body, prediction_id=prediction_id)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Capped exponential backoff with jitter; the server's Retry-After wins when given."""
        if retry_after is not None and retry_after >= 0:
            return min(float(retry_after), C.RETRY_AFTER_MAX)
        base = min(C.BACKOFF_MAX, self.backoff_base * (2 ** (attempt - 1)))
        return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not crypto

    def _pause(self, seconds: float) -> None:
        """Sleep until the next poll, in one piece.

        Short steps would not end a wait sooner (nothing can close a generator while it runs,
        and Ctrl+C interrupts a sleep at once); an app that must end waits early passes a sleep
        that returns or raises when told to (the web app's ends when the app closes). Each
        step cost a wake-up: about 17 a run at the default poll interval.
        """
        if seconds > 0:
            self._sleep(seconds)

    @contextlib.contextmanager
    def _hiding_secrets(self) -> Iterator[None]:
        """Hide this client's key in any CometError raised inside."""
        try:
            yield
        except CometError as exc:
            exc.hide_secrets(self._redactor)
            raise

    def _log(self, level: int, message: str, *args: Any) -> None:
        """Log a line with this client's own key hidden (the process-wide list has the owner's)."""
        if log.isEnabledFor(level):
            log.log(level, "%s", self._redactor.text(message % args))

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
        return send(
            self._session,
            method,
            self.base_url,
            path,
            timeout=(self.connect_timeout, read_timeout or self.read_timeout),
            redactor=self._redactor,
            json=json,
            creating=creating,
            prediction_id=prediction_id,
        )

    def _parse_prediction(self, body: Any, *, prediction_id: str | None = None) -> Prediction:
        """The body as a Prediction; text a model echoes (error, logs) never holds a key."""
        try:
            prediction = Prediction.from_json(body)
            prediction.error = self._redactor.text(prediction.error) if prediction.error else None
            prediction.logs = self._redactor.text(prediction.logs)
            return prediction
        except (ValueError, TypeError, AttributeError):
            raise ServerError(
                message(
                    "net.bad_prediction",
                    url=self.base_url,
                    snippet=snippet(str(body), redactor=self._redactor),
                ),
                prediction_id=prediction_id,
            ) from None
