"""Every COMET_* variable, read in this one module with one error style.

The app, the CLI and `CometClient.from_env()` all take their values from here; library users
can still pass plain arguments to `CometClient` and never touch the environment.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import _constants as C
from .errors import CometError

__all__ = [
    "AppSettings",
    "SettingsError",
    "ENV_VARS",
    "read_api_key",
    "read_base_url",
    "read_output_dir",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

# Every variable this project reads (tests clear them all; the README documents them all).
ENV_VARS = (
    "COMET_API_KEY",
    "COMET_BASE_URL",
    "COMET_OUTPUT_DIR",
    "COMET_POLL_INTERVAL",
    "COMET_TIMEOUT",
    "COMET_CONCURRENCY",
    "COMET_REQUIRE_USER_KEY",
    "COMET_MAX_RUNS_PER_HOUR",
    "COMET_MAX_CONCURRENT_PER_VISITOR",
    "COMET_MAX_IMAGES_PER_RUN",
    "COMET_SHARED",
    "COMET_BROWSER_SECRET",
    "COMET_DEMO_TIME_SCALE",
    "COMET_TRUSTED_PROXY_HOPS",
    "COMET_HF_SIGN_IN",
    "COMET_MCP",
    "COMET_MAX_RUNS_PER_DAY",
    "SPACE_ID",
)


class SettingsError(CometError, ValueError):
    """A variable holds a value the app cannot use; the message names it and what fits."""


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _raw(environ: Mapping[str, str], name: str) -> str:
    return (environ.get(name) or "").strip()


def _flag(environ: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = _raw(environ, name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true or false), got {raw!r}")


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = _raw(environ, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _seconds(
    environ: Mapping[str, str], name: str, default: float, *, zero_ok: bool = False
) -> float:
    raw = _raw(environ, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise SettingsError(f"{name} must be a positive number, got {raw!r}")
    if value == 0 and not zero_ok:
        raise SettingsError(f"{name} must be more than 0, got {raw!r}")
    return value


def read_api_key(environ: Mapping[str, str] | None = None) -> str:
    """COMET_API_KEY, stripped; empty when unset (demo mode)."""
    return _raw(_env(environ), "COMET_API_KEY")


def read_base_url(environ: Mapping[str, str] | None = None) -> str:
    """COMET_BASE_URL without a trailing slash, or the public default."""
    return (_raw(_env(environ), "COMET_BASE_URL") or C.DEFAULT_BASE_URL).rstrip("/")


def read_output_dir(environ: Mapping[str, str] | None = None) -> Path:
    """COMET_OUTPUT_DIR, or ./outputs."""
    return Path(_raw(_env(environ), "COMET_OUTPUT_DIR") or C.DEFAULT_OUTPUT_DIR)


@dataclass
class AppSettings:
    """Everything the app and CLI read from the environment; secrets are never in repr."""

    owner_key: str = field(default="", repr=False)
    base_url: str = C.DEFAULT_BASE_URL
    output_dir: Path = Path(C.DEFAULT_OUTPUT_DIR)
    concurrency: int = C.DEFAULT_CONCURRENCY
    require_user_key: bool = False
    max_runs_per_hour: int = C.DEFAULT_MAX_RUNS_PER_HOUR  # 0: no limit
    max_concurrent_per_visitor: int = C.DEFAULT_MAX_CONCURRENT_PER_VISITOR  # 0: no limit
    max_images_per_run: int = C.DEFAULT_MAX_IMAGES_PER_RUN
    shared: bool = False
    poll_interval: float = C.DEFAULT_POLL_INTERVAL
    timeout: float = C.DEFAULT_TIMEOUT
    browser_secret: str = field(default="", repr=False)
    demo_time_scale: float = 1.0
    trusted_proxy_hops: int = 0
    on_space: bool = False
    hf_sign_in: bool = False
    mcp: bool = True  # serve the tools to AI assistants at /gradio_api/mcp/
    max_runs_per_day: int = 0  # owner's key, all visitors together; 0: no limit

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        """Read COMET_* (and SPACE_ID); a bad value raises SettingsError naming the variable."""
        env = _env(environ)
        on_space = bool(_raw(env, "SPACE_ID"))
        shared = _flag(env, "COMET_SHARED") or on_space
        return cls(
            owner_key=read_api_key(env),
            base_url=read_base_url(env),
            output_dir=read_output_dir(env),
            concurrency=_int(env, "COMET_CONCURRENCY", C.DEFAULT_CONCURRENCY, minimum=1),
            require_user_key=_flag(env, "COMET_REQUIRE_USER_KEY"),
            # Limits protect an owner's key from visitors: a local app has none unless asked.
            max_runs_per_hour=_int(
                env, "COMET_MAX_RUNS_PER_HOUR", C.DEFAULT_MAX_RUNS_PER_HOUR if shared else 0
            ),
            max_concurrent_per_visitor=_int(
                env,
                "COMET_MAX_CONCURRENT_PER_VISITOR",
                C.DEFAULT_MAX_CONCURRENT_PER_VISITOR if shared else 0,
            ),
            max_images_per_run=_int(
                env, "COMET_MAX_IMAGES_PER_RUN", C.DEFAULT_MAX_IMAGES_PER_RUN, minimum=1
            ),
            shared=shared,
            poll_interval=_seconds(env, "COMET_POLL_INTERVAL", C.DEFAULT_POLL_INTERVAL),
            timeout=_seconds(env, "COMET_TIMEOUT", C.DEFAULT_TIMEOUT),
            browser_secret=_raw(env, "COMET_BROWSER_SECRET"),
            demo_time_scale=_seconds(env, "COMET_DEMO_TIME_SCALE", 1.0, zero_ok=True),
            # A Space sits behind exactly one proxy that appends the visitor's address.
            trusted_proxy_hops=_int(env, "COMET_TRUSTED_PROXY_HOPS", 1 if on_space else 0),
            on_space=on_space,
            # Needs `hf_oauth: true` in the README front matter of the Space.
            hf_sign_in=_flag(env, "COMET_HF_SIGN_IN"),
            mcp=_flag(env, "COMET_MCP", default=True),
            # The owner's whole budget a day: a Space caps it unless told otherwise.
            max_runs_per_day=_int(
                env, "COMET_MAX_RUNS_PER_DAY", C.DEFAULT_MAX_RUNS_PER_DAY if shared else 0
            ),
        )

    @property
    def demo(self) -> bool:
        """No owner key: visitors without their own key get the offline simulator."""
        return not self.owner_key
