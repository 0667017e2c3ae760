"""Safe to share: per-visitor limits, input limits, private history and settings from the env.

Runs the real app on 127.0.0.1 against the simulator and calls it through gradio_client. Every
gradio_client Client is its own session (its own session hash) but all of them come from
127.0.0.1, and the limits count per session AND per IP: two Clients share one IP budget.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
import requests
from gradio_client import Client, handle_file
from PIL import Image

from comet.settings import AppSettings
from comet.simulator import Simulator
from webui.launch import launch_options
from webui.limits import LimitExceeded, RunLimiter

SCHNELL = "black-forest-labs/flux-schnell"
KONTEXT = "black-forest-labs/flux-kontext-pro"
FLUX2 = "black-forest-labs/flux-2-pro"
OWNER_KEY = "sk-owner-x"


# -- helpers ---------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    """Poll until condition() is truthy; fail after a deadline (no blind sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def creates(sim: Simulator) -> list:
    return [r for r in sim.received if r.method == "POST"]


@pytest.fixture
def owner_app(launch_app, tmp_path):
    """Launch the app in owner-key mode against a simulator; returns (demo, url)."""

    def launch(sim: Simulator, **overrides):
        overrides.setdefault("owner_key", OWNER_KEY)
        overrides.setdefault("poll_interval", 0.02)
        settings = AppSettings(base_url=sim.base_url, output_dir=tmp_path / "outputs", **overrides)
        return launch_app(settings)

    return launch


@pytest.fixture
def client(tmp_path):
    """gradio_client Clients (one session each), downloading into tmp, closed after."""
    made = []

    def make(url: str) -> Client:
        made.append(
            Client(
                url,
                verbose=False,
                download_files=str(tmp_path / "downloads"),
                analytics_enabled=False,
            )
        )
        return made[-1]

    yield make
    for item in made:
        item.close()


def generate(api: Client, **kwargs):
    kwargs.setdefault("prompt", "a paper boat")
    kwargs.setdefault("model", SCHNELL)
    return api.predict(api_name="/generate", **kwargs)


# -- RunLimiter --------------------------------------------------------------------------------


def test_limiter_refuses_the_run_over_the_hourly_limit_and_says_when():
    clock = FakeClock()
    limiter = RunLimiter(max_runs_per_hour=2, max_concurrent=5, clock=clock)
    for _ in range(2):
        limiter.acquire(["session:a"], count_towards_hourly=True).release()
        clock.now += 60

    with pytest.raises(LimitExceeded, match=r"2 runs for this hour\. Try again in 58 minutes"):
        limiter.acquire(["session:a"], count_towards_hourly=True)

    clock.now += 57 * 60 + 30  # 30 s before the first run leaves the window
    with pytest.raises(LimitExceeded, match="Try again in 1 minute,"):
        limiter.acquire(["session:a"], count_towards_hourly=True)

    clock.now += 30
    limiter.acquire(["session:a"], count_towards_hourly=True).release()


def test_limiter_counts_every_identity_so_one_ip_shares_a_budget():
    limiter = RunLimiter(max_runs_per_hour=2, max_concurrent=5, clock=FakeClock())
    limiter.acquire(["session:a", "ip:1.2.3.4"], count_towards_hourly=True).release()
    limiter.acquire(["session:b", "ip:1.2.3.4"], count_towards_hourly=True).release()

    # a new session from the same address is over the address's budget
    with pytest.raises(LimitExceeded):
        limiter.acquire(["session:c", "ip:1.2.3.4"], count_towards_hourly=True)
    # session a has one run left, from another address; then it is over its own budget
    limiter.acquire(["session:a", "ip:5.6.7.8"], count_towards_hourly=True).release()
    with pytest.raises(LimitExceeded):
        limiter.acquire(["session:a", "ip:9.9.9.9"], count_towards_hourly=True)
    # a refused run spent nothing from the identities that were still under the limit
    limiter.acquire(["session:z", "ip:9.9.9.9"], count_towards_hourly=True).release()


def test_limiter_own_key_runs_skip_the_hourly_limit_but_not_the_concurrency_cap():
    limiter = RunLimiter(max_runs_per_hour=1, max_concurrent=2, clock=FakeClock())
    for _ in range(5):
        limiter.acquire(["session:a"], count_towards_hourly=False).release()
    limiter.acquire(["session:a"], count_towards_hourly=True).release()  # the hour is unused

    first = limiter.acquire(["session:a"], count_towards_hourly=False)
    second = limiter.acquire(["session:a"], count_towards_hourly=False)
    with pytest.raises(LimitExceeded, match="already have 2 runs in progress"):
        limiter.acquire(["session:a"], count_towards_hourly=False)
    limiter.acquire(["session:b"], count_towards_hourly=False).release()  # others unaffected

    first.release()
    first.release()  # twice is harmless: it must not free a second slot
    third = limiter.acquire(["session:a"], count_towards_hourly=False)
    with pytest.raises(LimitExceeded, match="in progress"):
        limiter.acquire(["session:a"], count_towards_hourly=False)
    second.release()
    third.release()


def test_limiter_refused_for_concurrency_does_not_spend_the_hour():
    limiter = RunLimiter(max_runs_per_hour=2, max_concurrent=1, clock=FakeClock())
    held = limiter.acquire(["session:a"], count_towards_hourly=True)
    for _ in range(3):
        with pytest.raises(LimitExceeded, match="in progress"):
            limiter.acquire(["session:a"], count_towards_hourly=True)
    held.release()
    limiter.acquire(["session:a"], count_towards_hourly=True).release()  # the 2nd of 2


# -- limits through the app --------------------------------------------------------------------


def test_third_run_in_an_hour_is_refused_without_spending_the_owner_key(
    simulator, owner_app, client
):
    _, url = owner_app(simulator, max_runs_per_hour=2)
    first = client(url)
    for _ in range(2):
        status, gallery, _ = generate(first)
        assert status.startswith("**Succeeded"), status
        assert len(gallery) == 1
    assert len(creates(simulator)) == 2

    status, _, _ = generate(first)
    assert "Limit reached" in status
    assert "2 runs for this hour" in status
    assert "Try again in 60 minutes" in status
    assert "your own CometAPI key" in status
    assert len(creates(simulator)) == 2  # the owner's key was not used for the third run

    # A second Client is a new session but the same IP (127.0.0.1): the IP budget is spent too.
    status, _, _ = generate(client(url))
    assert "2 runs for this hour" in status
    assert len(creates(simulator)) == 2
    assert all(r.headers["Authorization"] == f"Bearer {OWNER_KEY}" for r in creates(simulator))


def test_concurrent_runs_per_visitor_are_capped_and_the_slot_comes_back(owner_app, client):
    with Simulator(time_scale=60.0, image_size=64) as slow:  # a schnell run takes a minute
        _, url = owner_app(slow, max_runs_per_hour=10, max_concurrent_per_visitor=2)
        api = client(url)
        jobs = [api.submit(prompt=f"boat {i}", model=SCHNELL, api_name="/generate") for i in (1, 2)]
        wait_for(lambda: len(slow.created_inputs()) == 2, what="two runs in progress")

        status, _, _ = generate(api)
        assert "Limit reached" in status and "already have 2 runs in progress" in status
        assert len(slow.created_inputs()) == 2

        slow.time_scale = 0.0  # later runs finish at once
        for prediction_id in list(slow.predictions):
            slow.cancel(prediction_id)
        for job in jobs:
            assert "Canceled" in job.result(timeout=20)[0]

        status, _, _ = generate(api)
        assert status.startswith("**Succeeded"), status


def test_images_per_run_over_the_limit_is_refused_before_anything_is_sent(
    simulator, owner_app, client
):
    _, url = owner_app(simulator, max_images_per_run=2)
    api = client(url)
    status, _, _ = generate(api, flux_schnell__num_outputs=4)
    assert "Limit reached" in status and "at most 2 images per run" in status
    assert simulator.received == []

    status, gallery, _ = generate(api, flux_schnell__num_outputs=2)
    assert status.startswith("**Succeeded"), status
    assert len(gallery) == 2


def test_require_user_key_refuses_a_run_without_a_typed_key(simulator, owner_app, client):
    _, url = owner_app(simulator, require_user_key=True)
    status, _, _ = generate(client(url))
    assert "enter it in the **API key** box" in status
    assert simulator.received == []  # not even a request with the owner's key


# -- input limits ------------------------------------------------------------------------------


def test_input_limits_refuse_with_a_clear_message_and_send_nothing(
    simulator, owner_app, client, tmp_path
):
    _, url = owner_app(simulator)
    api = client(url)

    # The Textbox has max_length=2000 in the page, but an API caller bypasses the page.
    status, _, _ = generate(api, prompt="x" * 2001)
    assert "The prompt is 2,001 characters; the limit is 2,000." in status

    extra = '{"note": "' + "y" * 20_000 + '"}'
    status, _, _ = generate(api, extra_input=extra)
    assert "Extra input (JSON) is 20,012 characters; the limit is 20,000." in status

    bmp = tmp_path / "photo.bmp"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(bmp)
    status, _, _ = generate(api, model=KONTEXT, flux_kontext_pro__input_image=handle_file(str(bmp)))
    assert '"input_image": BMP is not accepted; use JPEG, PNG, GIF or WebP.' in status

    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    status, _, _ = generate(api, model=FLUX2, flux_2_pro__input_images=[handle_file(str(text))])
    assert '"input_images": the upload is not an image' in status

    assert simulator.received == []


def test_uploads_over_10_mb_are_refused_by_the_server_and_the_client(
    simulator, owner_app, client, tmp_path
):
    _, url = owner_app(simulator)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024 + 1))

    with big.open("rb") as body:
        response = requests.post(
            f"{url}gradio_api/upload", files={"files": ("big.png", body, "image/png")}, timeout=30
        )
    assert response.status_code == 413
    assert "maximum allowed size of 10485760 bytes" in response.text

    # gradio_client reads max_file_size from the config and refuses before uploading
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        generate(client(url), model=FLUX2, flux_2_pro__input_images=[handle_file(str(big))])
    assert simulator.received == []


def test_a_non_image_sent_as_the_single_input_image_gets_a_message_naming_the_field(
    simulator, owner_app, client, tmp_path
):
    """The upload is a gr.File (gr.Image would decode it first): our own check names it."""
    _, url = owner_app(simulator)
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    status, _, _ = generate(
        client(url), model=KONTEXT, flux_kontext_pro__input_image=handle_file(str(text))
    )
    assert '"input_image": the upload is not an image' in status
    assert simulator.received == []


# -- privacy on a shared deployment ----------------------------------------------------------


def _entry_of(demo, api: Client):
    entries = [e for e in demo.services.history.list(limit=50) if e.owner == api.session_hash]
    assert len(entries) == 1, entries
    return entries[0]


def test_shared_mode_visitors_cannot_resume_each_others_predictions(simulator, owner_app, client):
    demo, url = owner_app(simulator, shared=True)
    alice, bob = client(url), client(url)
    for api in (alice, bob):
        assert generate(api)[0].startswith("**Succeeded")
    alices, bobs = _entry_of(demo, alice), _entry_of(demo, bob)
    gets_before = len(simulator.received)

    status, _ = bob.predict(prediction_id=alices.id, api_name="/resume")
    assert "belongs to another visitor" in status
    status, _ = alice.predict(prediction_id=bobs.id, api_name="/resume")
    assert "belongs to another visitor" in status
    assert len(simulator.received) == gets_before  # refused before asking the API

    status, gallery = alice.predict(prediction_id=alices.id, api_name="/resume")
    assert status.startswith("**Resumed: succeeded"), status
    assert len(gallery) == 1


def test_local_mode_shares_one_history(simulator, owner_app, client):
    demo, url = owner_app(simulator)  # shared=False: one person, one history
    alice, bob = client(url), client(url)
    assert generate(alice)[0].startswith("**Succeeded")
    (entry,) = demo.services.history.list(limit=50)
    assert entry.owner is None

    status, gallery = bob.predict(prediction_id=entry.id, api_name="/resume")
    assert status.startswith("**Resumed: succeeded"), status
    assert len(gallery) == 1


def test_the_output_folder_is_not_served_by_path(simulator, owner_app, client, tmp_path):
    """History DB (+ WAL/SHM), sidecars and images in the output folder: 403 by path.

    Images reach the page through Gradio's cache (a copy under a content-hash folder, named by
    the unguessable prediction id). Gradio serves a cache file to anyone who knows its path:
    that is the only way to another visitor's image, and the path is never shown to others.
    """
    demo, url = owner_app(simulator, shared=True)
    assert generate(client(url))[0].startswith("**Succeeded")
    output_dir = tmp_path / "outputs"
    names = {p.name for p in output_dir.iterdir()}
    entry = demo.services.history.list(limit=5)[0]
    assert {"history.sqlite3", f"{entry.id}.json", f"{entry.id}-0.webp"} <= names
    assert "history.sqlite3-wal" in names  # the WAL holds the rows too

    for path in output_dir.iterdir():
        response = requests.get(f"{url}gradio_api/file={path.resolve()}", timeout=10)
        assert response.status_code == 403, (path.name, response.status_code)

    copies = list(Path(os.environ["GRADIO_TEMP_DIR"]).rglob(f"{entry.id}-0.webp"))
    assert copies, "the gallery image should be in Gradio's cache"
    copy = copies[0].resolve()
    assert len(copy.parent.name) >= 32  # a content hash: not guessable without the image
    response = requests.get(f"{url}gradio_api/file={copy}", timeout=10)
    assert response.status_code == 200  # documented: served to whoever knows the path


def test_launch_options_never_serve_the_output_folder_by_path(tmp_path):
    options = launch_options(AppSettings(output_dir=tmp_path / "outputs"))
    assert options["allowed_paths"] == []
    db = (tmp_path / "outputs").resolve() / "history.sqlite3"
    assert set(options["blocked_paths"]) == {
        f"{db}{suffix}" for suffix in ("", "-wal", "-shm", "-journal")
    }
    assert options["run_history"] is False and options["share"] is False


def test_an_output_folder_outside_cwd_and_temp_shows_images_but_is_never_served_by_path(
    simulator, launch_app, client, tmp_path, monkeypatch
):
    """Like /data on a Space: the page gets copies through Gradio's cache, never the folder."""
    (tmp_path / "cwd").mkdir()
    (tmp_path / "tmp").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    data = tmp_path / "data"
    settings = AppSettings(
        base_url=simulator.base_url, owner_key=OWNER_KEY, output_dir=data, poll_interval=0.02
    )
    app, url = launch_app(settings)
    status, gallery, _ = generate(client(url))
    assert status.startswith("**Succeeded"), status
    [item] = gallery
    entry = app.services.history.list(limit=1)[0]
    [saved] = entry.files
    assert Path(saved).parent == data.resolve()
    assert Path(item["image"]).read_bytes() == Path(saved).read_bytes()
    for path in data.iterdir():
        response = requests.get(f"{url}gradio_api/file={path.resolve()}", timeout=10)
        assert response.status_code == 403, (path.name, response.status_code)


# -- who a visitor is behind a Space's proxy ----------------------------------------------------


def _request(session: str, peer: str, forwarded: str = ""):
    from types import SimpleNamespace

    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    return SimpleNamespace(
        session_hash=session, client=SimpleNamespace(host=peer), headers=headers, username=None
    )


def test_behind_a_trusted_proxy_the_visitor_is_the_address_the_proxy_appended():
    from webui.visitors import visitor_identities

    proxy = "10.0.0.7"  # every visitor arrives from the Space's proxy
    first = visitor_identities(_request("s1", proxy, "203.0.113.5"), trusted_hops=1)
    second = visitor_identities(_request("s2", proxy, "203.0.113.6"), trusted_hops=1)
    assert "ip:203.0.113.5" in first and "ip:203.0.113.6" in second
    assert f"ip:{proxy}" not in first + second
    # a visitor can prepend entries of their own, never the one the proxy adds last
    spoofed = visitor_identities(_request("s3", proxy, "203.0.113.6, 203.0.113.5"), trusted_hops=1)
    assert "ip:203.0.113.5" in spoofed and "ip:203.0.113.6" not in spoofed
    # without a trusted proxy the header is ignored and the peer counts
    direct = visitor_identities(_request("s4", "198.51.100.9", "203.0.113.6"), trusted_hops=0)
    assert "ip:198.51.100.9" in direct and "ip:203.0.113.6" not in direct


def test_two_visitors_behind_one_proxy_each_get_their_own_limits(launch_app, tmp_path):
    from tests.support import FakeClock, wait_for

    clock = FakeClock()  # the first visitor's run stays in progress until the clock moves
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        settings = AppSettings(
            base_url=sim.base_url,
            owner_key=OWNER_KEY,
            output_dir=tmp_path / "outputs",
            poll_interval=0.02,
            shared=True,
            trusted_proxy_hops=1,
            max_concurrent_per_visitor=1,
        )
        _, url = launch_app(settings)

        def visitor(forwarded: str) -> Client:
            return Client(url, verbose=False, headers={"X-Forwarded-For": forwarded})

        first, second, first_again = (
            visitor("203.0.113.5"),
            visitor("203.0.113.6"),
            visitor("203.0.113.6, 203.0.113.5"),  # a new session, same visitor, spoof prefix
        )
        try:
            job = first.submit(prompt="a long one", model=SCHNELL, api_name="/generate")
            wait_for(lambda: sim.predictions, "the first visitor's prediction")
            refused = first_again.predict(prompt="x", model=SCHNELL, api_name="/generate")[0]
            assert "already have 1 run" in refused
            other = second.submit(prompt="y", model=SCHNELL, api_name="/generate")
            wait_for(lambda: len(sim.predictions) == 2, "the second visitor's prediction")
            clock.advance(60)  # both runs, in progress side by side, finish on the server
            assert other.result()[0].startswith("**Succeeded")
            assert job.result()[0].startswith("**Succeeded")
        finally:
            for api in (first, second, first_again):
                api.close()
