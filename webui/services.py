"""What a run needs besides the form: where it goes, who pays, the limits and the history.

One `Services` object per app, passed to every part: nothing here is global, and nothing is
created on disk until a run (or a page) first asks for the history.
"""

import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import gradio as gr

from comet import CometClient, Transport
from comet._redact import register_secret
from comet.durations import DurationMemory, seed_from_history
from comet.errors import CometError, InvalidInputError
from comet.history import History
from comet.jobs import follow_job
from comet.settings import AppSettings

from .budget import DailyBudget
from .i18n import filled, msg, text
from .limits import Lease, RunLimiter
from .read_ahead import read_ahead_pool
from .sessions import PerSession
from .visitors import client_address, is_mcp_call, visitor_identities

log = logging.getLogger("webui.services")

DEMO_KEY = "demo-mode-no-key"  # the simulator needs a non-empty Bearer token
# Kept connections to the API beyond the concurrency limit: followers of stopped runs.
SPARE_CONNECTIONS = 8
MAX_SESSIONS = 50_000  # page sessions remembered for their visitor id, oldest forgotten first
_VISITOR_ID = re.compile(r"v-[A-Za-z0-9_-]{20,40}")
# Stored in History as the entry's error, in English, and shown as stored (History keeps text,
# not codes).
DEMO_GONE = (
    "This demo run was still waiting when the app stopped; the built-in simulator stopped with "
    "it. Nothing was billed: generate it again."
)


class AppClosing(CometError):
    """The app was closed (e.g. the server stopped) while a run was still waiting."""


@dataclass(frozen=True)
class Backend:
    """Where one visitor's run goes, and whose key pays for it."""

    base_url: str
    key: str
    demo: bool
    owner_pays: bool

    def __repr__(self) -> str:
        return (
            f"Backend(base_url={self.base_url!r}, demo={self.demo}, owner_pays={self.owner_pays})"
        )


class Services:
    """The app's dependencies: settings, backend choice, limits and (lazily) the history."""

    def __init__(self, settings: AppSettings, *, demo_base_url: str | None = None) -> None:
        self.settings = settings
        self.output_dir = Path(settings.output_dir)
        self.limiter = RunLimiter(
            max_runs_per_hour=settings.max_runs_per_hour,
            max_concurrent=settings.max_concurrent_per_visitor,
        )
        # The workers that run each Generate run ahead of its page (webui/read_ahead.py).
        self.run_pool = read_ahead_pool(settings.concurrency)
        # Everyone's runs on the owner's key, per UTC day (0: no cap).
        self.budget = DailyBudget(settings.max_runs_per_day, self.output_dir)
        # Seals remembered keys; never sent to the page. Unset: they last until a restart.
        self.key_secret = (settings.browser_secret or secrets.token_hex(32)).encode()
        self._demo_base_url = demo_base_url
        self._lock = threading.RLock()
        self._session_owners: PerSession[str] = PerSession(MAX_SESSIONS)
        self._following: set[str] = set()  # prediction ids a run or Resume is waiting for
        self._closing = threading.Event()  # set by close(): every client's next wait ends it
        # How long each model takes, learned by every run's client and seeded from History.
        self.durations = DurationMemory()
        # Kept connections per base URL, shared by every run's client (each sends its own key).
        self._transports: dict[str, Transport] = {}
        # The owner's key is hidden in every message and log line of this process.
        register_secret(settings.owner_key)

    # -- history, opened on first use ----------------------------------------------------

    @cached_property
    def history(self) -> History:
        """The SQLite history in the output folder, created the first time it is needed.

        Demo runs live in an in-process simulator: those left unfinished by an earlier run of
        the app can never finish, so they are closed now instead of showing "unfinished".
        """
        with self._lock:
            history = History.in_directory(self.output_dir)
            history.abandon_unfinished(source="demo", reason=DEMO_GONE)
            seed_from_history(self.durations, history)  # polls land near the usual end
            return history

    def close(self) -> None:
        """Stop every run's waiting (background followers too), then close the history.

        A prediction left running stays in History as unfinished, to Resume after a restart.
        """
        self._closing.set()
        if "history" in self.__dict__:
            self.history.close()
        with self._lock:
            transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            transport.close()
        self.run_pool.shutdown(wait=False, cancel_futures=True)

    def _wait(self, seconds: float) -> None:
        """The clients' sleep: ends their waiting, with AppClosing, once the app closes."""
        if self._closing.wait(seconds):
            raise AppClosing(msg("app_closing"))

    # -- what the page may show ---------------------------------------------------------

    def shown(self, paths: list[str]) -> list[str]:
        """Saved files as the page may show them.

        Gradio shows only files under the working or temp folder, and serves whatever
        `allowed_paths` lists by path to anyone. An output folder elsewhere (e.g. /data on a
        Space) is therefore never listed: its files are linked (or copied) into a private temp
        folder, and Gradio caches and serves only those copies.
        """
        if self._output_dir_servable:
            return [str(p) for p in paths]
        folder = Path(tempfile.gettempdir()) / "comet-flux-shown"
        folder.mkdir(mode=0o700, exist_ok=True)
        return [_linked_copy(Path(p), folder) for p in paths]

    @cached_property
    def _output_dir_servable(self) -> bool:
        """Looked up once: resolving three folders costs a few dozen system calls a run."""
        return _servable(self.output_dir)

    # -- predictions being followed ------------------------------------------------------

    def claim(self, prediction_id: str) -> bool:
        """Mark a prediction as followed; False when a run or Resume already follows it."""
        with self._lock:
            if prediction_id in self._following:
                return False
            self._following.add(prediction_id)
            return True

    def unclaim(self, prediction_id: str | None) -> None:
        with self._lock:
            self._following.discard(prediction_id)

    def follow_in_background(
        self, client: CometClient, prediction_id: str, lease: Lease | None
    ) -> threading.Thread:
        """Keep following a prediction nobody waits for any more (Stop): its images are
        saved to History, and the visitor's slot is held until it is finished.
        """

        def follow() -> None:
            try:
                for _ in follow_job(
                    client, prediction_id, output_dir=self.output_dir, history=self.history
                ):
                    pass
            except CometError as exc:
                log.info("Stopped following %s: %s", prediction_id, exc.message)
            except Exception:
                log.exception("Following %s in the background failed", prediction_id)
            finally:
                client.close()
                if lease is not None:
                    lease.release()
                self.unclaim(prediction_id)

        thread = threading.Thread(target=follow, name=f"follow-{prediction_id}", daemon=True)
        thread.start()
        return thread

    # -- who a visitor is -----------------------------------------------------------------

    def owner_of(self, request: gr.Request | None) -> str | None:
        """Whose history a run belongs to on a shared deployment (else nobody).

        The browser's own visitor id when the page told us one (so History survives a
        reload), else the page session.
        """
        if not self.settings.shared or request is None:
            return None
        if is_mcp_call(request):  # one page session serves every MCP caller: not theirs
            hops = self.settings.trusted_proxy_hops
            address = client_address(request, trusted_hops=hops) if hops > 0 else None
            return f"mcp:{address}" if address else "mcp"
        return self._session_owners.get(request, request.session_hash)

    def bind_visitor(self, request: gr.Request | None, visitor_id: str | None) -> str | None:
        """Tie this page session to the browser's visitor id; returns the id to keep.

        The id is random (128 bits) and lives only in that browser's storage: it says which
        History is this browser's own, and nothing else.
        """
        if request is None or not self.settings.shared:
            return visitor_id
        if not visitor_id or not _VISITOR_ID.fullmatch(visitor_id):
            visitor_id = "v-" + secrets.token_urlsafe(16)
        self._session_owners.put(request, visitor_id)
        return visitor_id

    def identities(self, request: gr.Request | None) -> list[str]:
        """The keys a visitor's limits are counted under."""
        return visitor_identities(request, trusted_hops=self.settings.trusted_proxy_hops)

    # -- where a run goes -----------------------------------------------------------------

    @property
    def demo_base_url(self) -> str:
        """The embedded simulator, started the first time a demo run needs it."""
        if self._demo_base_url is None:
            from comet.simulator import demo_simulator

            self._demo_base_url = demo_simulator(self.settings.demo_time_scale).base_url
        return self._demo_base_url

    def choose_backend(self, visitor_key: str | None) -> Backend:
        """The visitor's key, else the owner's key, else the demo simulator."""
        settings = self.settings
        if visitor_key:
            return Backend(settings.base_url, visitor_key, demo=False, owner_pays=False)
        if settings.require_user_key:
            raise InvalidInputError(msg("key.required"), field="api_key")
        if settings.owner_key:
            return Backend(settings.base_url, settings.owner_key, demo=False, owner_pays=True)
        return Backend(self.demo_base_url, DEMO_KEY, demo=True, owner_pays=False)

    def client(self, backend: Backend) -> CometClient:
        """A client for one run; the form has validated the input (extra JSON included)."""
        return CometClient(
            api_key=backend.key,
            base_url=backend.base_url,
            transport=self._transport(backend.base_url),
            poll_interval=self.settings.poll_interval,
            timeout=self.settings.timeout,
            durations=self.durations,
            sleep=self._wait,
            # The form validated through the catalogue, extra JSON included; the client's
            # own check knows no extra JSON and would refuse the fields it adds.
            validator=None,
        )

    def _transport(self, base_url: str) -> Transport:
        key = base_url.rstrip("/")
        with self._lock:
            if key not in self._transports:
                pool = self.settings.concurrency + SPARE_CONNECTIONS
                self._transports[key] = Transport(key, pool_size=pool)
            return self._transports[key]

    def banner(self, visitor_key: str | None = None, lang: str = "en") -> str:
        """One line saying where runs go and who pays."""
        key, values = self._banner(visitor_key)
        return text(key, lang, **values)

    def static_banner(self) -> object:
        """The banner before the page has loaded, translated in the browser."""
        key, values = self._banner(None)
        return filled(key, **values)

    def _banner(self, visitor_key: str | None) -> tuple[str, dict[str, str]]:
        settings = self.settings
        if visitor_key:
            return "banner.own_key", {"base_url": settings.base_url}
        if settings.require_user_key:
            return "banner.bring_key", {}
        if settings.owner_key:
            return "banner.owner", {"base_url": settings.base_url}
        return "banner.demo", {}


def _servable(folder: Path) -> bool:
    """True when Gradio would show files from this folder without allowed_paths."""
    resolved = folder.resolve()
    return any(
        resolved.is_relative_to(Path(base).resolve())
        for base in (os.getcwd(), tempfile.gettempdir())
    )


def _linked_copy(path: Path, folder: Path) -> str:
    target = folder / path.name
    if not target.exists():
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    return str(target)
