"""Saving delivered images at once, because delivery URLs expire (about an hour on Replicate).

The entry point for saving; the work is split by concern: comet.downloads gets each output's
bytes, comet.saved_files writes the image and sidecar files, comet.saving runs a prediction's
outputs side by side. The helpers other code imports from here are re-exported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests

from ._constants import DOWNLOAD_TIMEOUT, DOWNLOAD_WORKERS, MAX_OUTPUT_BYTES
from .data_uris import shorten_data_uris
from .downloads import Timeout
from .filetypes import sniff_image_type
from .prediction import Prediction
from .saved_files import ensure_directory, safe_stem, write_sidecar
from .saving import SavingOutputs

__all__ = [
    "save_outputs",
    "iter_saved_outputs",
    "SavingOutputs",
    "write_sidecar",
    "shorten_data_uris",
    "sniff_image_type",
    "safe_stem",
]

OnSaved = Callable[[int, Path], None]  # (the output's index, its saved file)


def save_outputs(
    prediction: Prediction,
    directory: str | Path,
    *,
    session: requests.Session | None = None,
    timeout: Timeout = DOWNLOAD_TIMEOUT,
    max_bytes: int = MAX_OUTPUT_BYTES,
    workers: int = DOWNLOAD_WORKERS,
    on_saved: OnSaved | None = None,
    embed_settings: bool = True,
) -> list[Path]:
    """Download every output now, before its URL expires, and write the JSON sidecar.

    Returns the saved paths in output order. Outputs are fetched side by side (up to `workers`
    at once); `on_saved(index, path)`, when given, is called in the caller's thread as each
    file lands. When some outputs fail, the others are still saved and the sidecar still
    written, then OutputsIncomplete says which failed and why. The session, when given, is used
    only for its connection pool (else the process's own download session is): none of its
    headers or auth are sent. Each image carries the prediction's settings in its own
    metadata (comet.metadata) unless embed_settings is False.
    """
    saved: dict[int, Path] = {}
    saving = iter_saved_outputs(
        prediction,
        directory,
        session=session,
        timeout=timeout,
        max_bytes=max_bytes,
        workers=workers,
        embed_settings=embed_settings,
    )
    try:
        for index, path in saving:
            saved[index] = path
            if on_saved is not None:
                on_saved(index, path)
    finally:
        saving.close()  # only if on_saved raised: cancel the rest
    return [saved[index] for index in sorted(saved)]


def iter_saved_outputs(
    prediction: Prediction,
    directory: str | Path,
    *,
    session: requests.Session | None = None,
    timeout: Timeout = DOWNLOAD_TIMEOUT,
    max_bytes: int = MAX_OUTPUT_BYTES,
    workers: int = DOWNLOAD_WORKERS,
    embed_settings: bool = True,
) -> SavingOutputs:
    """Start saving every output now; iterate for (index, path) as each file lands.

    The downloads begin when this is called, not at the first next(), so a caller can do
    something else meanwhile (say, show that the run succeeded). Each file is complete when
    handed on (written to a temp file, then renamed). After the last one the sidecar is
    written, and OutputsIncomplete is raised if any output failed, as save_outputs does.
    close() (also before any next()) cancels the downloads not yet started, leaves those under
    way to finish on their own without waiting for them, and writes no sidecar.
    Each PNG, JPEG or WebP file carries settings_of(prediction) in its metadata (the model,
    input and id the prediction reports) unless embed_settings is False.
    """
    return SavingOutputs(
        prediction,
        ensure_directory(directory),
        session,
        timeout,
        max_bytes,
        workers,
        embed_settings=embed_settings,
    )
