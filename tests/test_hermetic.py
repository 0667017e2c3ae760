"""The suite's guards: nothing leaves 127.0.0.1, and no developer's key or .env reaches a test."""

from __future__ import annotations

import os
import socket
import textwrap
import warnings

import dotenv
import pytest
import requests

from tests.support import (
    ROOT,
    NetworkGuardError,
    clean_env,
    dotenv_guard,
    free_port,
    network_guard,
    run_python,
)

TEST_NET = "192.0.2.1"  # RFC 5737: reserved for documentation, routed nowhere


def _connect(address):
    with socket.socket() as sock:
        sock.connect(address)


def _connect_ex(address):
    with socket.socket() as sock:
        return sock.connect_ex(address)


def _connect_nonblocking(address):
    # A real non-blocking connect would send a SYN and raise BlockingIOError (EINPROGRESS).
    with socket.socket() as sock:
        sock.setblocking(False)
        sock.connect(address)


@pytest.mark.parametrize(
    "attempt",
    [
        _connect,
        _connect_ex,
        _connect_nonblocking,
        lambda address: socket.create_connection(address, timeout=30),
        lambda address: socket.create_connection(("2001:db8::1", 80), timeout=30),  # RFC 3849
        lambda address: socket.create_connection(("api.cometapi.com", 443), timeout=30),
        lambda address: socket.getaddrinfo("api.cometapi.com", 443),
    ],
    ids=[
        "connect",
        "connect_ex",
        "nonblocking",
        "create_connection",
        "ipv6",
        "by-name",
        "name-lookup",
    ],
)
def test_leaving_loopback_is_refused_before_anything_is_sent(attempt):
    with network_guard.expect_refusal(), pytest.raises(NetworkGuardError, match="127.0.0.1"):
        attempt((TEST_NET, 80))


def test_requests_to_the_real_api_are_refused_with_a_clear_error():
    with network_guard.expect_refusal(), pytest.raises(requests.ConnectionError) as info:
        requests.get("https://api.cometapi.com/replicate/v1/predictions/x", timeout=30)
    assert "the test suite stays on 127.0.0.1" in str(info.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_connections_work(host):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection((host, port), timeout=30) as client:
            accepted, _ = server.accept()
            with accepted:
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_ipv6_loopback_connections_work():
    try:
        server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("::1 is not configured here")
    with server, socket.socket(socket.AF_INET6) as client:
        client.connect(("::1", server.getsockname()[1]))
        assert client.getpeername()[0] == "::1"


def test_unix_sockets_work(tmp_path):
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(path)
        server.listen()
        client.connect(path)
        assert client.getpeername() == path


INNER_TESTS = """
import os
import socket

import pytest

from comet.settings import ENV_VARS


# One worker runs the module under xdist: the inner pytest session starts once.
pytestmark = pytest.mark.xdist_group("hermetic")


@pytest.fixture(scope="session")
def settings_at_session_start():
    return {name: os.environ[name] for name in ENV_VARS if name in os.environ}


def test_session_fixtures_see_no_comet_settings(settings_at_session_start):
    assert settings_at_session_start == {}


def test_swallows_a_refused_connection():
    try:
        socket.create_connection(("192.0.2.1", 80), timeout=30)
    except OSError:
        pass  # as a library might
"""


@pytest.fixture(scope="module")
def inner_session(tmp_path_factory):
    """A pytest session with this suite's conftest, started with a developer's key exported."""
    folder = tmp_path_factory.mktemp("inner")
    (folder / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    env = clean_env(folder, COMET_API_KEY="sk-env-should-never-be-used")
    args = ["-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.conftest", "-rA", "-q"]
    return run_python([*args, "test_inner.py"], cwd=folder, env=env)


def test_a_test_that_swallows_a_refused_connection_still_fails(inner_session):
    report = inner_session.stdout + inner_session.stderr
    assert "ERROR at teardown of test_swallows_a_refused_connection" in report, report
    assert "this test tried to leave 127.0.0.1: ['a connection to 192.0.2.1:80']" in report


def test_an_exported_key_never_reaches_a_session_fixture(inner_session):
    assert (
        "PASSED test_inner.py::test_session_fixtures_see_no_comet_settings" in inner_session.stdout
    ), inner_session.stdout + inner_session.stderr


def test_the_repository_dotenv_is_never_read():
    # The session's guard answers for the repository's .env whether or not one exists.
    with pytest.warns(UserWarning, match="refused to read"):
        assert dotenv.dotenv_values(ROOT / ".env") == {}


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


def _repository_like(tmp_path):
    """A folder holding a .env with a real-looking key and a base URL where nothing listens."""
    (tmp_path / ".env").write_text(
        f"COMET_API_KEY=sk-real\nCOMET_BASE_URL=http://127.0.0.1:{free_port()}\n"
    )
    return tmp_path


def _generate(cwd, env):
    args = ["-m", "comet", "generate", "a test", "--out", str(cwd / "out")]
    return run_python(args, cwd=cwd, env=env)


def test_a_cli_subprocess_ignores_a_dotenv_in_its_working_directory(tmp_path):
    folder = _repository_like(tmp_path)
    env = clean_env(folder, COMET_DEMO_TIME_SCALE="0", COMET_POLL_INTERVAL="0.05")

    result = _generate(folder, env)

    assert result.returncode == 0, result.stderr
    assert "offline simulator" in result.stdout


def test_without_the_dotenv_switch_the_blank_settings_still_win(tmp_path):
    # python-dotenv before 1.2 ignores PYTHON_DOTENV_DISABLED: the "" values must hold alone.
    folder = _repository_like(tmp_path)
    env = clean_env(folder, COMET_DEMO_TIME_SCALE="0", COMET_POLL_INTERVAL="0.05")
    del env["PYTHON_DOTENV_DISABLED"]

    result = _generate(folder, env)

    assert result.returncode == 0, result.stderr
    assert "offline simulator" in result.stdout


def test_subprocesses_never_run_in_the_repository(tmp_path):
    with pytest.raises(ValueError, match="not in the repository"):
        run_python(["-c", "pass"], cwd=ROOT, env=clean_env(tmp_path))


def test_subprocesses_never_inherit_the_developers_environment(tmp_path):
    with pytest.raises(TypeError, match="clean_env"):
        run_python(["-c", "pass"], cwd=tmp_path, env=dict(os.environ))


def test_clean_env_refuses_a_misspelt_variable(tmp_path):
    with pytest.raises(TypeError, match="COMET_API_KY"):
        clean_env(tmp_path, COMET_API_KY="k")
