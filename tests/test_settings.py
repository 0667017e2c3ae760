"""Settings: every COMET_* variable read in one place, with one error style naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from comet.settings import (
    ENV_VARS,
    AppSettings,
    SettingsError,
    read_api_key,
    read_base_url,
    read_output_dir,
)
from tests.support import ROOT

EVERY_VARIABLE = {
    "COMET_API_KEY": " sk-from-env ",
    "COMET_BASE_URL": "http://127.0.0.1:9/",
    "COMET_OUTPUT_DIR": "somewhere/out",
    "COMET_POLL_INTERVAL": "0.25",
    "COMET_TIMEOUT": "90",
    "COMET_CONCURRENCY": "5",
    "COMET_REQUIRE_USER_KEY": "1",
    "COMET_MAX_RUNS_PER_HOUR": "7",
    "COMET_MAX_CONCURRENT_PER_VISITOR": "3",
    "COMET_MAX_IMAGES_PER_RUN": "2",
    "COMET_SHARED": "yes",
    "COMET_BROWSER_SECRET": "a-long-server-secret",
    "COMET_DEMO_TIME_SCALE": "0",
    "COMET_TRUSTED_PROXY_HOPS": "2",
    "COMET_HF_SIGN_IN": "on",
    "COMET_MCP": "off",
    "COMET_MAX_RUNS_PER_DAY": "50",
    "SPACE_ID": "someone/flux",
}


def test_every_variable_is_read_into_the_settings_and_no_secret_into_their_repr():
    assert set(EVERY_VARIABLE) == set(ENV_VARS)
    settings = AppSettings.from_env(EVERY_VARIABLE)
    assert settings == AppSettings(
        owner_key="sk-from-env",
        base_url="http://127.0.0.1:9",
        output_dir=Path("somewhere/out"),
        concurrency=5,
        require_user_key=True,
        max_runs_per_hour=7,
        max_concurrent_per_visitor=3,
        max_images_per_run=2,
        shared=True,
        poll_interval=0.25,
        timeout=90.0,
        browser_secret="a-long-server-secret",
        demo_time_scale=0.0,
        trusted_proxy_hops=2,
        on_space=True,
        hf_sign_in=True,
        mcp=False,
        max_runs_per_day=50,
    )
    assert not settings.demo
    assert "sk-from-env" not in repr(settings) and "a-long-server-secret" not in repr(settings)


def test_the_single_readers_strip_and_fall_back_to_the_defaults():
    env = {"COMET_API_KEY": "  k  ", "COMET_BASE_URL": " ", "COMET_OUTPUT_DIR": ""}
    assert read_api_key(env) == "k"
    assert read_base_url(env) == "https://api.cometapi.com"
    assert read_output_dir(env) == Path("outputs")
    assert read_base_url({"COMET_BASE_URL": "http://127.0.0.1:9//"}) == "http://127.0.0.1:9"


def test_a_local_app_has_no_limits_unless_the_owner_sets_them():
    local = AppSettings.from_env({})
    assert local.demo and not local.shared and not local.on_space and local.mcp
    assert (local.max_runs_per_hour, local.max_concurrent_per_visitor) == (0, 0)
    assert (local.max_runs_per_day, local.trusted_proxy_hops) == (0, 0)
    assert (local.max_images_per_run, local.concurrency) == (4, 128)
    assert (local.poll_interval, local.timeout, local.demo_time_scale) == (0.5, 600.0, 1.0)
    capped = AppSettings.from_env({"COMET_MAX_CONCURRENT_PER_VISITOR": "3", "COMET_SHARED": "0"})
    assert capped.max_concurrent_per_visitor == 3 and not capped.shared


def test_a_shared_app_or_a_space_limits_each_visitor_and_the_day_by_default():
    shared = AppSettings.from_env({"COMET_SHARED": "true"})
    assert (shared.max_runs_per_hour, shared.max_concurrent_per_visitor) == (20, 2)
    assert (shared.max_runs_per_day, shared.trusted_proxy_hops) == (200, 0)
    space = AppSettings.from_env({"SPACE_ID": "someone/flux", "COMET_SHARED": "0"})
    assert space.shared and space.on_space and space.trusted_proxy_hops == 1
    assert space.max_runs_per_day == 200
    unlimited = AppSettings.from_env({"SPACE_ID": "x/y", "COMET_MAX_RUNS_PER_DAY": "0"})
    assert unlimited.max_runs_per_day == 0


# fmt: off
BAD_VALUES = [  # (variable, value, message): one of each kind of check
    ("COMET_CONCURRENCY", "many", "COMET_CONCURRENCY must be a whole number, got 'many'"),
    ("COMET_CONCURRENCY", "0", "COMET_CONCURRENCY must be at least 1, got 0"),
    ("COMET_MAX_IMAGES_PER_RUN", "0", "COMET_MAX_IMAGES_PER_RUN must be at least 1, got 0"),
    ("COMET_MAX_RUNS_PER_HOUR", "-1", "COMET_MAX_RUNS_PER_HOUR must be at least 0, got -1"),
    ("COMET_MAX_RUNS_PER_DAY", "1.5", "COMET_MAX_RUNS_PER_DAY must be a whole number, got '1.5'"),
    ("COMET_POLL_INTERVAL", "fast", "COMET_POLL_INTERVAL must be a number of seconds, got 'fast'"),
    ("COMET_POLL_INTERVAL", "nan", "COMET_POLL_INTERVAL must be a positive number, got 'nan'"),
    ("COMET_DEMO_TIME_SCALE", "-1", "COMET_DEMO_TIME_SCALE must be a positive number, got '-1'"),
    ("COMET_TIMEOUT", "0", "COMET_TIMEOUT must be more than 0, got '0'"),
    ("COMET_SHARED", "maybe", "COMET_SHARED must be 1 or 0 (true or false), got 'maybe'"),
    ("COMET_MCP", "Perhaps", "COMET_MCP must be 1 or 0 (true or false), got 'perhaps'"),
]
# fmt: on


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_a_bad_value_names_the_variable_and_what_fits(name, value, message):
    with pytest.raises(SettingsError) as info:
        AppSettings.from_env({name: value})
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


def test_every_variable_is_documented_in_the_readme_and_the_example_env():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert [name for name in ENV_VARS if f"`{name}`" not in readme] == []
    assert [name for name in ENV_VARS if name != "SPACE_ID" and f"{name}=" not in example] == []
