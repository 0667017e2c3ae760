"""The simulator's routes, limits and defaults, in one place."""

from __future__ import annotations

API_PREFIX = "/replicate/v1"
DELIVERY_PREFIX = "/delivery"

START_FRACTION = 0.15  # share of a run spent "starting" before "processing"
DEFAULT_LOG_STEPS = 25  # progress lines logged for models without a steps input
DEFAULT_QUALITY = 80

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_INPUT_IMAGE_BYTES = 20 * 1024 * 1024
MAX_INPUT_PIXELS = 40_000_000  # larger inputs are not decoded: a small file can hide a bomb
MAX_OUTPUT_SIDE = 2048

SLEEP_STEP = 0.05  # how often a delayed answer checks whether the server is stopping
CONNECTION_TIMEOUT = 60.0  # an idle keep-alive connection is closed after this long

DEFAULT_FAIL_ERROR = "Content moderated: the request was flagged by the provider's safety filter."

FAULT_ROUTES = ("create", "get", "file")

CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
PIL_FORMATS = {"webp": "WEBP", "jpg": "JPEG", "png": "PNG"}
