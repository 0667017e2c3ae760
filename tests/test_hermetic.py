"""The suite's guards: nothing leaves 127.0.0.1, and no developer's key or .env reaches a test."""

from __future__ import annotations

import os
import socket
import textwrap
import warnings

import dotenv
import pytest
import requests
from pytest_socket import SocketConnectBlockedError

from tests.support import ROOT, clean_env, dotenv_guard, free_port, run_python

TEST_NET = "192.0.2.1"  # RFC 5737: reserved for documentation, routed nowhere


@pytest.mark.parametrize("host", [TEST_NET, "2001:db8::1"])
def test_a_connection_beyond_loopback_is_refused_before_anything_is_sent(host):
    with pytest.warns(UserWarning, match=host), pytest.raises(SocketConnectBlockedError):
        socket.create_connection((host, 80), timeout=5)


def test_a_request_to_the_real_api_is_refused():
    with pytest.warns(UserWarning), pytest.raises(SocketConnectBlockedError):
        requests.get(f"https://{TEST_NET}/replicate/v1/predictions/x", timeout=5)


def test_loopback_connections_work():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            assert client.getpeername()[1] == port


INNER_TESTS = """
import os

import pytest

from comet.settings import ENV_VARS


@pytest.fixture(scope="session")
def settings_at_session_start():
    return {name: os.environ[name] for name in ENV_VARS if name in os.environ}


def test_session_fixtures_see_no_comet_settings(settings_at_session_start):
    assert settings_at_session_start == {}
"""


def test_an_exported_key_never_reaches_a_session_fixture(tmp_path):
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    env = clean_env(tmp_path, COMET_API_KEY="sk-env-should-never-be-used")
    args = ["-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.conftest", "-rA", "-q"]
    done = run_python([*args, "test_inner.py"], cwd=tmp_path, env=env)
    assert "1 passed" in done.stdout, done.stdout + done.stderr


def test_the_dotenv_guard_covers_the_folder_its_subfolders_and_its_parents(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for folder in (tmp_path, repo, repo / "sub", elsewhere):
        (folder / ".env").write_text("COMET_API_KEY=sk-real\n")
    with warnings.catch_warnings(), dotenv_guard(repo) as refused:
        warnings.simplefilter("ignore")
        for folder in (tmp_path, repo, repo / "sub"):
            assert dotenv.load_dotenv(folder / ".env") is False
        assert "COMET_API_KEY" not in os.environ
        monkeypatch.setattr(os, "environ", os.environ.copy())  # the next load stays in here
        assert dotenv.load_dotenv(elsewhere / ".env") is True
    assert os.environ["COMET_API_KEY"] == "sk-real"
    assert refused == [tmp_path / ".env", repo / ".env", repo / "sub" / ".env"]
    with pytest.warns(UserWarning, match="refused to read"):  # the session's own guard
        assert dotenv.dotenv_values(ROOT / ".env") == {}


def test_a_subprocess_ignores_a_dotenv_in_its_working_directory(tmp_path):
    (tmp_path / ".env").write_text(
        f"COMET_API_KEY=sk-real\nCOMET_BASE_URL=http://127.0.0.1:{free_port()}\n"
    )
    env = clean_env(tmp_path, COMET_DEMO_TIME_SCALE="0", COMET_POLL_INTERVAL="0.05")
    del env["PYTHON_DOTENV_DISABLED"]  # the blank values alone must hold (dotenv < 1.2)
    args = ["-m", "comet", "generate", "a test", "--out", str(tmp_path / "out")]
    done = run_python(args, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "offline simulator" in done.stdout


def test_subprocesses_run_only_in_a_temporary_folder_with_a_clean_environment(tmp_path):
    with pytest.raises(ValueError, match="not in the repository"):
        run_python(["-c", "pass"], cwd=ROOT, env=clean_env(tmp_path))
    with pytest.raises(TypeError, match="clean_env"):
        run_python(["-c", "pass"], cwd=tmp_path, env=dict(os.environ))
    with pytest.raises(TypeError, match="COMET_API_KY"):
        clean_env(tmp_path, COMET_API_KY="k")
