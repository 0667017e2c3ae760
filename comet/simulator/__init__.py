"""An offline simulator of CometAPI's Replicate-compatible FLUX API, served on 127.0.0.1.

It is a real HTTP server (so the app's demo mode and the tests exercise the real client code),
with the documented routes and error shapes, the models of the catalogue (comet.models), a
lazily computed prediction timeline, placeholder images drawn with Pillow, and fault injection.

Modules: core (the Simulator), server (HTTP routing and the serving thread, holding the
Simulator as a Backend protocol so that it needs no import of core), prediction (one
prediction's timeline and body), validation (input checks from the catalogue), inputs (input
images, sizes, counts), drawing (render_image), faults, bodies, demo (demo_simulator), cli.
"""

from ._constants import MAX_INPUT_PIXELS
from .cli import main
from .core import RecordedRequest, Simulator
from .demo import demo_simulator
from .drawing import render_image
from .faults import Fault
from .prediction import SimPrediction

__all__ = [
    "Simulator",
    "RecordedRequest",
    "SimPrediction",
    "Fault",
    "MAX_INPUT_PIXELS",
    "render_image",
    "demo_simulator",
    "main",
]
