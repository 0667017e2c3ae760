"""Helpers shared by the test files: waiting, the simulator's requests, a fake clock,
subprocesses with an environment built from scratch, and the guard that keeps the developer's
.env away from the suite (pytest-socket keeps it on 127.0.0.1: see pyproject.toml).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from comet.settings import ENV_VARS

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
DEADLINE = 60.0  # generous: a loaded 2-core machine is slow, but never this slow


def wait_for(condition, what: str, timeout: float = DEADLINE) -> Any:
    """Poll condition until it returns something truthy; fail after timeout seconds."""
    ticker = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        ticker.wait(0.02)


def creates(sim) -> list:
    """The create requests a simulator received."""
    return [r for r in sim.received if r.method == "POST" and r.path.endswith("/predictions")]


def polls(sim) -> list:
    """The poll requests a simulator received."""
    return [r for r in sim.received if r.method == "GET" and "/predictions/" in r.path]


FIXTURES = Path(__file__).parent / "fixtures" / "cometapi"


def load_fixture(name: str) -> Any:
    """The parsed body of one documented CometAPI response."""
    return json.loads((FIXTURES / name).read_text())


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (Gradio's server_port=0 does not work)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeClock:
    """Monotonic time that moves only when told: a client's clock= and sleep=, a Simulator's clock=.

    `mark` labels each sleep with the state it happened in (say, how many requests the
    simulator has seen), so a test can ask how long a client waited in that state.
    """

    def __init__(self, mark: Callable[[], Any] = lambda: None, *, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[tuple[Any, float]] = []
        self.mark = mark

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Return at once, having moved the clock on; recorded for waited()."""
        self.sleeps.append((self.mark(), seconds))
        self.now += seconds

    @property
    def slept(self) -> list[float]:
        """Every sleep, in order."""
        return [seconds for _, seconds in self.sleeps]

    def advance(self, seconds: float) -> None:
        """Move the clock on, as if that much time had passed."""
        self.now += seconds

    def waited(self, mark: Any) -> float:
        """Seconds slept while mark() returned this value."""
        return sum(seconds for label, seconds in self.sleeps if label == mark)


# -- subprocesses ------------------------------------------------------------------------------


class CleanEnv(dict):
    """An environment made by clean_env(); run_python() and start_python() take no other."""

    def updated(self, **changes: str) -> CleanEnv:
        """A copy with these variables set (GRADIO_SERVER_PORT, say)."""
        return CleanEnv(self, **changes)


def clean_env(home: Path, *, from_dotenv: Sequence[str] = (), **comet: str) -> CleanEnv:
    """A subprocess environment built from scratch: nothing of the developer's shell leaks in.

    It holds PATH and LANG, HOME=home, PYTHONPATH=the repository, Gradio and Hugging Face kept
    local and quiet, and exactly the COMET_* variables given. Every other project variable is
    set to "" (read as unset), so that no .env file can fill it in, and python-dotenv is
    switched off. Name in from_dotenv the variables a test wants a .env to supply: those are
    left out, and python-dotenv stays on.
    """
    unknown = sorted(set(comet) - set(ENV_VARS)) + sorted(set(from_dotenv) - set(ENV_VARS))
    if unknown:
        raise TypeError(f"not variables the project reads: {unknown}")
    home = Path(home)
    env = CleanEnv(
        PATH=os.environ.get("PATH", os.defpath),
        LANG=os.environ.get("LANG", "C.UTF-8"),
        HOME=str(home),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        GRADIO_ANALYTICS_ENABLED="False",
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_TEMP_DIR=str(home / "gradio"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_OFFLINE="1",
    )
    for name in ENV_VARS:
        if name not in from_dotenv:
            env[name] = comet.get(name, "")
    if not from_dotenv:
        env["PYTHON_DOTENV_DISABLED"] = "1"  # python-dotenv >= 1.2; the "" values hold anyway
    return env


def _checked(cwd: Path, env: CleanEnv) -> Path:
    if not isinstance(env, CleanEnv):
        raise TypeError("build a subprocess's environment with clean_env(), not from os.environ")
    cwd = Path(cwd).resolve()
    if cwd == ROOT or ROOT in cwd.parents:
        raise ValueError(f"run subprocesses in a temporary folder, not in the repository: {cwd}")
    return cwd


def run_python(
    args: Sequence[str], *, cwd: Path, env: CleanEnv, timeout: float = DEADLINE
) -> subprocess.CompletedProcess:
    """Run `python <args>` to the end in cwd (a temporary folder) with env; capture its text."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=_checked(cwd, env),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_python(
    args: Sequence[str], *, cwd: Path, env: CleanEnv, **popen: Any
) -> subprocess.Popen:
    """Start `python <args>` in cwd (a temporary folder) with env; the caller stops it."""
    return subprocess.Popen([sys.executable, *args], cwd=_checked(cwd, env), env=env, **popen)


# -- the .env guard (installed for the whole session by conftest.py) -----------------------------


def _shields(path: Path, protected: Path) -> bool:
    """A .env in `protected`, below it, or in a folder above it (find_dotenv walks upwards)."""
    folder = path.resolve().parent
    return folder == protected or protected in folder.parents or folder in protected.parents


@contextlib.contextmanager
def dotenv_guard(protected: Path = ROOT) -> Iterator[list[Path]]:
    """While active, python-dotenv reads no .env in or above `protected`: it sees an empty file.

    Patches dotenv.main.DotEnv, through which load_dotenv, dotenv_values and get_key all read,
    however they were imported. Yields the list of files it refused; each refusal also warns.
    """
    import dotenv.main

    original = dotenv.main.DotEnv
    refused: list[Path] = []

    class GuardedDotEnv(original):
        def __init__(self, dotenv_path: Any = None, stream: Any = None, **kwargs: Any) -> None:
            if dotenv_path and _shields(Path(dotenv_path), protected):
                refused.append(Path(dotenv_path))
                warnings.warn(
                    f"the test suite refused to read {dotenv_path}: a developer's .env must "
                    "never reach a test (load .env only in an entry point's main)",
                    stacklevel=3,
                )
                dotenv_path, stream = None, io.StringIO("")
            super().__init__(dotenv_path, stream, **kwargs)

    dotenv.main.DotEnv = GuardedDotEnv
    try:
        yield refused
    finally:
        dotenv.main.DotEnv = original


def drive(steps: AsyncIterator[T]) -> Iterator[T]:
    """An async generator handler (Generate's) as a plain generator: next(), list(), close().

    Each step runs on this adapter's own event loop; closing it closes the handler there.
    """
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(steps))
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(steps.aclose())
        loop.close()
