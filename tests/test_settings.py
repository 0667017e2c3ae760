"""Settings: every COMET_* variable read in one place, with errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from comet.settings import ENV_VARS, AppSettings, SettingsError

ALL_VARS = {
    "COMET_API_KEY": " sk-from-env ",
    "COMET_BASE_URL": "http://127.0.0.1:9/",
    "COMET_OUTPUT_DIR": "somewhere/out",
    "COMET_CONCURRENCY": "5",
    "COMET_REQUIRE_USER_KEY": "1",
    "COMET_MAX_RUNS_PER_HOUR": "7",
    "COMET_MAX_CONCURRENT_PER_VISITOR": "3",
    "COMET_MAX_IMAGES_PER_RUN": "2",
    "COMET_SHARED": "yes",
    "COMET_POLL_INTERVAL": "0.25",
    "COMET_TIMEOUT": "90",
    "COMET_BROWSER_SECRET": "a-long-server-secret",
    "COMET_DEMO_TIME_SCALE": "0",
    "COMET_TRUSTED_PROXY_HOPS": "2",
    "COMET_HF_SIGN_IN": "1",
}


def test_settings_from_env_read_every_variable():
    settings = AppSettings.from_env(ALL_VARS)
    assert settings.owner_key == "sk-from-env"
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.output_dir == Path("somewhere/out")
    assert (settings.concurrency, settings.max_runs_per_hour) == (5, 7)
    assert (settings.max_concurrent_per_visitor, settings.max_images_per_run) == (3, 2)
    assert settings.require_user_key is True and settings.shared is True
    assert (settings.poll_interval, settings.timeout) == (0.25, 90.0)
    assert settings.browser_secret == "a-long-server-secret"
    assert (settings.demo_time_scale, settings.trusted_proxy_hops) == (0.0, 2)
    assert settings.hf_sign_in is True
    assert "sk-from-env" not in repr(settings)
    assert "a-long-server-secret" not in repr(settings)


def test_every_variable_read_is_listed_for_tests_and_docs():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    for name in ALL_VARS:
        assert name in ENV_VARS
    for name in ENV_VARS:
        assert f"`{name}`" in readme, name
        if name != "SPACE_ID":
            assert f"{name}=" in example, name


def test_a_local_app_has_no_per_visitor_limits_unless_the_owner_sets_them():
    local = AppSettings.from_env({})
    assert local.demo and not local.require_user_key and not local.shared
    assert (local.max_runs_per_hour, local.max_concurrent_per_visitor) == (0, 0)
    assert local.max_images_per_run == 4
    assert (local.poll_interval, local.timeout) == (0.5, 600.0)
    capped = AppSettings.from_env({"COMET_MAX_CONCURRENT_PER_VISITOR": "3"})
    assert capped.max_concurrent_per_visitor == 3


def test_a_shared_app_limits_each_visitor_by_default():
    shared = AppSettings.from_env({"COMET_SHARED": "1"})
    assert (shared.max_runs_per_hour, shared.max_concurrent_per_visitor) == (20, 2)
    assert shared.trusted_proxy_hops == 0
    space = AppSettings.from_env({"SPACE_ID": "someone/flux"})
    assert space.shared and space.on_space and space.trusted_proxy_hops == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMET_CONCURRENCY", "many"),
        ("COMET_CONCURRENCY", "0"),
        ("COMET_MAX_RUNS_PER_HOUR", "1.5"),
        ("COMET_MAX_RUNS_PER_HOUR", "-1"),
        ("COMET_MAX_CONCURRENT_PER_VISITOR", "-2"),
        ("COMET_MAX_IMAGES_PER_RUN", "four"),
        ("COMET_POLL_INTERVAL", "fast"),
        ("COMET_POLL_INTERVAL", "nan"),
        ("COMET_TIMEOUT", "0"),
        ("COMET_DEMO_TIME_SCALE", "-1"),
        ("COMET_SHARED", "maybe"),
        ("COMET_TRUSTED_PROXY_HOPS", "one"),
    ],
)
def test_settings_bad_values_name_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        AppSettings.from_env({name: value})


@pytest.mark.parametrize(
    ("variables", "shared"),
    [
        ({"SPACE_ID": "someone/flux"}, True),
        ({"COMET_SHARED": "1"}, True),
        ({"COMET_SHARED": "0"}, False),
        ({}, False),
    ],
)
def test_a_space_or_comet_shared_means_shared(variables, shared):
    assert AppSettings.from_env(variables).shared is shared
