"""One run of one model, as every part of the page starts it (Generate, Compare).

`run_job` is the job path: choose who pays, take the visitor's slot, check the input, create
the prediction and follow it to saved files in History. It is a generator the run loop can
close (Stop): closed before the images are saved, it hands the prediction to a background
follower, so nothing the visitor paid for is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from comet.jobs import JobUpdate, start_job

from .i18n import msg
from .keys import resolve_visitor_key
from .limits import LimitExceeded
from .services import Backend, Services

__all__ = ["RunTicket", "run_job"]


class RunTicket:
    """What one run has sent: nothing yet, a created prediction, or nothing ever (ended).

    Stop reads it: the create may be in flight when Stop is pressed, and the run's state on
    the page cannot know its outcome yet.
    """

    def __init__(self) -> None:
        self._settled = threading.Event()
        self.prediction_id: str | None = None

    def __repr__(self) -> str:
        return f"RunTicket(prediction_id={self.prediction_id!r}, settled={self.settled})"

    def __deepcopy__(self, memo: dict) -> RunTicket:
        return self  # one run has one ticket, whoever holds a copy of the run's state

    @property
    def settled(self) -> bool:
        return self._settled.is_set()

    def created(self, prediction_id: str) -> None:
        """The prediction exists (it may be billed)."""
        self.prediction_id = prediction_id
        self._settled.set()

    def ended(self) -> None:
        """The run is over; if nothing was created by now, nothing ever will be."""
        self._settled.set()

    def wait(self, timeout: float) -> bool:
        """Wait until it is known whether a prediction was created; False on timeout."""
        return self._settled.wait(timeout)


def run_job(
    services: Services,
    model: str,
    collect_input: Callable[[], dict[str, Any]],
    *,
    visitor_key: str | None,
    typed_key: str | None,
    request: gr.Request | None,
    chosen: list[Backend],
    ticket: RunTicket | None = None,
) -> Iterator[JobUpdate]:
    """Set-up, the job and clean-up, as one generator of the run's updates.

    `collect_input` gives the checked input; it runs only once the visitor has a slot, so
    uploads are decoded only for a visitor within their limits. `chosen` receives the backend
    once one is chosen (the caller says "demo placeholder" from it). `ticket`, if given, learns
    the prediction's id the moment it exists, and that the run has ended.
    """
    lease = client = last = None
    handed_off = False
    try:
        backend = services.choose_backend(resolve_visitor_key(typed_key, visitor_key))
        lease = services.limiter.acquire(services.identities(request), count_towards_hourly=False)
        values = collect_input()
        _check_image_count(services, values, backend)
        if backend.owner_pays:  # only a checked input spends the hour and the day
            _charge_owner(services, lease)
        client = services.client(backend)
        chosen.append(backend)
        for update in start_job(
            client,
            model,
            values,
            output_dir=services.output_dir,
            history=services.history,
            owner=services.owner_of(request),
            source="demo" if backend.demo else "app",
        ):
            if last is None:
                services.claim(update.prediction.id)
                if ticket is not None:
                    ticket.created(update.prediction.id)
            last = update
            yield update
    except GeneratorExit:
        if last is not None and last.stage != "saved":
            services.follow_in_background(client, last.prediction.id, lease)
            handed_off = True
        raise
    finally:
        if ticket is not None:
            ticket.ended()
        # Keep clean-up instant: on Stop this may run on the server's event loop.
        if not handed_off:
            if lease is not None:
                lease.release()
            if client is not None:
                client.close()
            if last is not None:
                services.unclaim(last.prediction.id)


def _charge_owner(services: Services, lease: Any) -> None:
    """Count a run on the owner's key: the app's day, then the visitor's hour."""
    services.budget.charge()
    try:
        services.limiter.charge(lease)
    except LimitExceeded:
        services.budget.refund()  # refused: the day's budget was not spent after all
        raise


def _check_image_count(services: Services, values: dict[str, Any], backend: Backend) -> None:
    limit = services.settings.max_images_per_run
    if backend.owner_pays and int(values.get("num_outputs") or 1) > limit:
        raise LimitExceeded(msg("limit.images", limit=limit))
