"""What protects the owner's key: per-visitor limits, who a visitor is, the daily budget.

The pieces (webui/limits.py, webui/visitors.py, webui/budget.py) are tested on their own with
injected clocks; the app applies them to every run (Generate, Compare, the API, MCP) through
webui/runs.py, tested at the end against the simulator.
"""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from comet.settings import AppSettings
from tests.support import FakeClock, creates, drive
from webui.budget import DailyBudget
from webui.limits import LimitExceeded, RunLimiter
from webui.visitors import client_address, visitor_identities

OWNER_KEY = "sk-owner-0123456789abcdef"
NOON = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc).timestamp()


def request(session="s1", host="10.0.0.1", forwarded="", mcp=False, user=None):
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    if mcp:
        headers["x-gradio-user"] = "mcp"
    return SimpleNamespace(
        session_hash=session, client=SimpleNamespace(host=host), headers=headers, username=user
    )


# -- per-visitor limits ------------------------------------------------------------------------


def test_the_run_over_the_hourly_limit_is_refused_saying_when_and_the_hour_frees_it():
    clock = FakeClock()
    limiter = RunLimiter(max_runs_per_hour=2, max_concurrent=0, clock=clock)
    for _ in range(2):
        limiter.acquire(["ip:a"], count_towards_hourly=True).release()
    clock.advance(600)
    with pytest.raises(LimitExceeded, match="Try again in 50 minutes"):
        limiter.acquire(["ip:a"], count_towards_hourly=True)
    limiter.acquire(["ip:b"], count_towards_hourly=True)  # another visitor: untouched
    clock.advance(3000)
    limiter.acquire(["ip:a"], count_towards_hourly=True)


def test_every_identity_of_a_run_counts_so_a_new_session_on_one_address_shares_its_hour():
    limiter = RunLimiter(max_runs_per_hour=1, max_concurrent=0, clock=FakeClock())
    limiter.acquire(["session:1", "ip:a"], count_towards_hourly=True)
    with pytest.raises(LimitExceeded):
        limiter.acquire(["session:2", "ip:a"], count_towards_hourly=True)


def test_runs_at_once_are_capped_and_a_refusal_spends_no_hour():
    limiter = RunLimiter(max_runs_per_hour=5, max_concurrent=1, clock=FakeClock())
    lease = limiter.acquire(["ip:a"], count_towards_hourly=False)
    with pytest.raises(LimitExceeded, match="1 runs in progress"):
        limiter.acquire(["ip:a"], count_towards_hourly=True)
    lease.release()
    lease.release()  # twice is harmless
    for _ in range(5):
        limiter.acquire(["ip:a"], count_towards_hourly=True).release()


# -- who a visitor is --------------------------------------------------------------------------


def test_behind_a_trusted_proxy_the_address_is_the_entry_the_proxy_appended():
    spoofed = request(forwarded="6.6.6.6, 203.0.113.7", host="10.0.0.1")
    assert client_address(spoofed, trusted_hops=1) == "203.0.113.7"
    assert client_address(spoofed, trusted_hops=0) == "10.0.0.1"  # no proxy: the peer
    two = request(forwarded="6.6.6.6, 203.0.113.7, 10.1.1.1")
    assert client_address(two, trusted_hops=2) == "203.0.113.7"
    # Fewer entries than trusted proxies: it did not come through them; the peer counts.
    assert client_address(request(forwarded="", host="10.0.0.9"), trusted_hops=1) == "10.0.0.9"


def test_a_visitor_counts_as_session_address_and_signed_in_user():
    assert visitor_identities(request(user="ana"), trusted_hops=0) == [
        "session:s1",
        "ip:10.0.0.1",
        "user:ana",
    ]
    assert visitor_identities(None) == ["api"]


def test_mcp_callers_share_no_session_and_count_by_the_proxys_address():
    caller = request(session="shared", forwarded="203.0.113.7", mcp=True)
    assert visitor_identities(caller, trusted_hops=1) == ["ip:203.0.113.7"]
    # Without a trusted proxy Gradio's loopback hides the caller: all MCP callers are one.
    assert visitor_identities(caller, trusted_hops=0) == ["mcp:untrusted-address"]


# -- the owner's daily budget ------------------------------------------------------------------


def test_the_daily_budget_refuses_the_run_over_it_until_midnight_utc(tmp_path):
    clock = FakeClock(start=NOON)
    budget = DailyBudget(2, tmp_path, clock=clock)
    budget.charge()
    budget.charge()
    with pytest.raises(LimitExceeded) as refused:
        budget.charge()
    assert "daily budget of 2 runs is used up" in refused.value.message
    assert "12 h 0 min" in refused.value.message
    clock.advance(12 * 3600)  # midnight UTC: a new day
    budget.charge()
    assert budget.used() == 1


def test_the_daily_budget_survives_a_restart_and_a_refund_gives_a_run_back(tmp_path):
    DailyBudget(2, tmp_path, clock=lambda: NOON).charge()
    again = DailyBudget(2, tmp_path, clock=lambda: NOON)  # the app started again
    again.charge()
    with pytest.raises(LimitExceeded):
        again.charge()
    again.refund()
    again.charge()
    assert DailyBudget(0, tmp_path, clock=lambda: NOON).used() == 2
    DailyBudget(0, tmp_path, clock=lambda: NOON).charge()  # 0: no cap


def test_an_unreadable_budget_file_counts_from_zero_without_failing(tmp_path):
    (tmp_path / "daily-budget.json").write_text("{not json")
    budget = DailyBudget(1, tmp_path, clock=lambda: NOON)
    budget.charge()
    assert budget.used() == 1


# -- applied to every run ------------------------------------------------------------------------


def test_the_budget_counts_every_visitors_owner_key_runs_but_not_their_own_keys(
    simulator, tmp_path
):
    from webui import build_app

    def app_run(app, session, key=None):
        return list(
            drive(
                app.generate_handlers.generate(
                    prompt="p", model="flux-schnell", visitor_key=key, request=request(session)
                )
            )
        )[-1]["status"]

    def built():
        settings = AppSettings(
            owner_key=OWNER_KEY,
            base_url=simulator.base_url,
            output_dir=tmp_path,
            max_runs_per_day=2,
            poll_interval=0.02,
        )
        return build_app(settings)

    app = built()
    try:
        assert "Succeeded" in app_run(app, "a") and "Succeeded" in app_run(app, "b")
        assert "daily budget" in app_run(app, "c")
        assert "Succeeded" in app_run(app, "c", key="sk-visitor-0123456789")
    finally:
        app.close()
    restarted = built()
    try:
        assert "daily budget" in app_run(restarted, "d")
    finally:
        restarted.close()
    keys = [c.headers["Authorization"] for c in creates(simulator)]
    assert keys == [f"Bearer {OWNER_KEY}"] * 2 + ["Bearer sk-visitor-0123456789"]


def test_each_visitor_has_an_hour_of_their_own_and_a_one_image_cap_lets_a_default_run_through(
    simulator, tmp_path
):
    from webui import build_app

    settings = AppSettings(
        owner_key=OWNER_KEY,
        base_url=simulator.base_url,
        output_dir=tmp_path,
        max_runs_per_hour=1,
        max_images_per_run=1,
        poll_interval=0.02,
    )
    app = build_app(settings)

    def app_run(session, host):
        visitor = request(session, host=host)
        run = app.generate_handlers.generate(prompt="p", model="flux-schnell", request=visitor)
        return list(drive(run))[-1]["status"]

    try:
        assert "Succeeded" in app_run("a", "10.0.0.1")  # one image: within a cap of one
        assert "Succeeded" in app_run("b", "10.0.0.2")  # another visitor: their own hour
        assert "Try again in" in app_run("a", "10.0.0.1")
        # Runs on the owner's key are the app's own in History, never labelled demo runs.
        assert [entry.source for entry in app.services.history.list()] == ["app", "app"]
    finally:
        app.close()
    assert len(creates(simulator)) == 2
