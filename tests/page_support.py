"""The page's handlers on a simulator, made as build_app makes them but without laying out the
page: building the Blocks costs seconds, and the handlers need only their Services and the form.

Shared by the tests of the UI's handlers (test_generate.py, test_history_tab.py, test_keys.py,
test_compare.py, test_sharing.py, ...). Form values go to Generate by field name, as the page
sends them (guidance=3.5, aspect_ratio="16:9", upload=<path or list>, image_urls="https://...").
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from comet.models import Field, ModelSpec
from comet.settings import AppSettings
from tests.support import creates, drive
from webui.compare_tab import CompareHandlers
from webui.form import ModelForm, form_fields
from webui.generate_tab import GenerateHandlers
from webui.history_tab import HistoryHandlers
from webui.keys import KeyHandlers
from webui.services import Services

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"
PRO = "black-forest-labs/flux-pro"
KONTEXT = "black-forest-labs/flux-kontext-pro"
FLUX2 = "black-forest-labs/flux-2-pro"


def visitor(
    session: str = "s1", host: str = "127.0.0.1", *, link: str | None = None
) -> SimpleNamespace:
    """What the handlers read of a gr.Request; `link`: the page was opened at ?prediction=."""
    request = SimpleNamespace(
        session_hash=session, client=SimpleNamespace(host=host), headers={}, username=None
    )
    if link is not None:
        request.query_params = {"prediction": link}
    return request


class Page:
    """One app's handlers (Generate, History, keys, Compare) on one Services."""

    def __init__(self, settings: AppSettings, demo_base_url: str | None = None) -> None:
        self.services = Services(settings, demo_base_url=demo_base_url)
        self.form = ModelForm()
        self.generate = GenerateHandlers(self.services, self.form)
        self.history = HistoryHandlers(self.services)
        self.keys = KeyHandlers(self.services)
        self.compare = CompareHandlers(self.services)

    def start(self, prompt: str = "a paper boat", model: str = SCHNELL, **kwargs: Any) -> Iterator:
        """Press Generate: its updates one by one; close() is what Stop does to the run."""
        kwargs.setdefault("request", visitor())
        return drive(self.generate.generate(prompt, model, **kwargs))

    def run(self, prompt: str = "a paper boat", model: str = SCHNELL, **kwargs: Any) -> list:
        """Press Generate and wait for the end: every update the page is sent."""
        return list(self.start(prompt, model, **kwargs))

    def close(self) -> None:
        self.services.close()


@contextlib.contextmanager
def open_page(output_dir: Any, simulator: Any = None, **settings: Any) -> Iterator[Page]:
    """A Page whose demo runs go to `simulator`; `settings` as AppSettings takes them."""
    settings.setdefault("poll_interval", 0.02)
    page = Page(
        AppSettings(output_dir=output_dir, **settings),
        demo_base_url=simulator.base_url if simulator is not None else None,
    )
    try:
        yield page
    finally:
        page.close()


def sent(sim: Any) -> Callable[[], list]:
    """The create requests `sim` receives from now on (a simulator shared by a module)."""
    before = len(creates(sim))
    return lambda: creates(sim)[before:]


# aspect_ratio values that need more than a value: an input image, or width and height
NEEDS_MORE = ("match_input_image", "custom")


def other_value(field: Field) -> Any:
    """A valid value for the field that is not its default (and that the API takes)."""
    if field.kind == "bool":
        return not field.default
    if field.kind == "enum":
        if field.name == "aspect_ratio" and "custom" in field.choices:
            return "custom"  # so that width and height, which need it, are sent too
        return next(c for c in field.choices if c != field.default and c not in NEEDS_MORE)
    if field.default is None:  # an optional size (width/height): on the 32 grid, in range
        return int(field.minimum) + (64 if field.name == "width" else 32)
    if field.kind == "int":
        middle = (field.default + int(field.maximum)) // 2
        return middle if middle != field.default else field.default - 1
    return round((field.default + field.maximum) / 2, 2)


def non_default_values(spec: ModelSpec) -> dict[str, Any]:
    """{field name: value} for every form field of the model, none at its default."""
    return {field.name: other_value(field) for field in form_fields(spec)}
