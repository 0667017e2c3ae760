"""One run of one model, as every part of the page starts it (Generate, Compare).

`run_job` is the job path: choose who pays, take the visitor's slot, check the input, create
the prediction and follow it to saved files in History. It is a generator the run loop can
close (Stop): closed before the images are saved, it hands the prediction to a background
follower, so nothing the visitor paid for is lost.
"""

from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from comet.jobs import JobUpdate, start_job

from .early_start import RunTicket
from .i18n import text
from .keys import resolve_visitor_key
from .limits import LimitExceeded
from .services import Backend, Services

__all__ = ["run_job"]


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
        if backend.owner_pays:
            services.limiter.charge(lease)  # only a checked input spends the hour
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


def _check_image_count(services: Services, values: dict[str, Any], backend: Backend) -> None:
    limit = services.settings.max_images_per_run
    if backend.owner_pays and int(values.get("num_outputs") or 1) > limit:
        raise LimitExceeded(text("msg.limit.images", limit=limit))
