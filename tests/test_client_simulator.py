"""The client against the offline simulator: a real server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import time

import pytest
from PIL import Image

from comet import CometClient, Transport
from comet.errors import (
    AuthenticationError,
    CometTimeout,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PredictionFailed,
    RateLimitError,
)
from comet.jobs import start_job
from comet.outputs import save_outputs
from comet.simulator import Simulator


def _creates(sim):
    return [r for r in sim.received if r.method == "POST"]


def test_run_returns_list_output_for_flux_schnell(simulator, client_for):
    client = client_for(simulator)
    p = client.run("black-forest-labs/flux-schnell", {"prompt": "a boat", "num_outputs": 2})
    assert p.succeeded
    assert len(p.output) == 2 and all(u.startswith("http://127.0.0.1") for u in p.output)
    assert p.seed is not None


def test_run_normalises_string_output_to_a_list(simulator, client_for):
    client = client_for(simulator)
    p = client.run("black-forest-labs/flux-1.1-pro", {"prompt": "a lighthouse"})
    raw = simulator.predictions[p.id]
    assert raw.model == "black-forest-labs/flux-1.1-pro"
    assert isinstance(p.output, list) and len(p.output) == 1


def test_generate_yields_created_then_polls_until_terminal(client_for):
    with Simulator(time_scale=0.3, image_size=128) as sim:
        client = client_for(sim)
        snapshots = list(client.generate("black-forest-labs/flux-schnell", {"prompt": "x"}))
    statuses = [s.status for s in snapshots]
    assert statuses[0] == "starting"
    assert statuses[-1] == "succeeded"
    assert "processing" in statuses
    assert all(not s.done for s in snapshots[:-1])


def test_failed_prediction_raises_with_the_models_error(simulator, client_for):
    simulator.fail_next("NSFW content detected by the safety filter")
    client = client_for(simulator)
    with pytest.raises(PredictionFailed) as info:
        client.run("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert info.value.prediction.status == "failed"
    assert "NSFW content detected" in str(info.value)


def test_canceled_prediction_raises_prediction_failed(simulator, client_for):
    simulator.fail_next("canceled by user", status="canceled")
    client = client_for(simulator)
    with pytest.raises(PredictionFailed) as info:
        client.run("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert info.value.prediction.status == "canceled"


def test_429_on_create_is_retried_once_after_retry_after(simulator):
    simulator.add_fault("create", status=429, retry_after=0.2)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        time.sleep(seconds)

    with CometClient(
        api_key="k-123456", base_url=simulator.base_url, poll_interval=0.02, sleep=sleep
    ) as client:
        p = client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert p.status == "starting"
    assert len(_creates(simulator)) == 2
    assert len(simulator.predictions) == 1  # the refused attempt created nothing
    assert sum(slept) == pytest.approx(0.2, abs=0.11)


def test_persistent_429_on_create_gives_a_rate_limit_error(simulator, client_for):
    simulator.add_fault("create", status=429, retry_after=0, times=5)
    with pytest.raises(RateLimitError):
        client_for(simulator).create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert len(_creates(simulator)) == 3
    assert simulator.predictions == {}


def test_flaky_polls_are_survived(simulator, client_for):
    client = client_for(simulator, backoff_base=0.01)
    p = client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    simulator.add_fault("get", status=502)
    simulator.add_fault("get", status=429, retry_after=0)
    simulator.add_fault("get", malformed=True)
    simulator.add_fault("get", drop=True)
    simulator.add_fault("get", status=503)
    retries = []
    final = list(client.watch(p, on_retry=lambda e, w: retries.append(type(e).__name__)))[-1]
    assert final.succeeded
    assert len(retries) == 5


def test_hanging_poll_times_out_and_is_retried(simulator):
    with CometClient(
        api_key="k-123456",
        base_url=simulator.base_url,
        poll_interval=0.02,
        read_timeout=0.3,
        timeout=20,
    ) as client:
        p = client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
        simulator.add_fault("get", delay=3)
        retries = []
        final = list(client.watch(p, on_retry=lambda e, w: retries.append(e)))[-1]
    assert final.succeeded
    assert isinstance(retries[0], CometTimeout)


def test_a_watch_that_never_finishes_ends_with_a_resumable_timeout(simulator):
    with CometClient(
        api_key="k-123456",
        base_url=simulator.base_url,
        poll_interval=0.02,
        read_timeout=0.3,
        timeout=0.8,
    ) as client:
        p = client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
        simulator.add_fault("get", delay=5, times=10)
        with pytest.raises(CometTimeout) as info:
            list(client.watch(p))
        assert info.value.prediction_id == p.id
        simulator.clear_faults()
        assert list(client.watch(p.id))[-1].succeeded  # resumed by id


def test_bad_model_ids_send_nothing(simulator, client_for):
    client = client_for(simulator)
    for bad in ("flux-schnell", "black-forest-labs/flux schnell", "../../etc/passwd", "a/b/c"):
        with pytest.raises(InvalidInputError):
            client.create_prediction(bad, {"prompt": "x"})
    assert simulator.received == []


def test_catalogue_validation_refuses_before_sending(simulator, client_for):
    client = client_for(simulator)
    with pytest.raises(InvalidInputError) as info:
        client.create_prediction(
            "black-forest-labs/flux-schnell", {"prompt": "x", "num_outputs": 9}
        )
    assert "num_outputs" in str(info.value)
    assert simulator.received == []


def test_unknown_model_ids_are_sent_as_they_are(simulator, client_for):
    with pytest.raises(NotFoundError):
        client_for(simulator).create_prediction("someone/new-model", {"prompt": "x", "odd": 1})
    assert len(_creates(simulator)) == 1


def test_wrong_key_is_an_authentication_error(client_for):
    with Simulator(time_scale=0, api_key="the-right-key") as sim:
        with pytest.raises(AuthenticationError) as info:
            client_for(sim, api_key="the-WRONG-key-123").run(
                "black-forest-labs/flux-schnell", {"prompt": "x"}
            )
    assert "COMET_API_KEY" in str(info.value)
    assert "the-WRONG-key-123" not in str(info.value)


def test_a_500_invalid_request_on_create_is_an_input_error_not_a_possible_charge(
    simulator, client_for
):
    envelope = {"error": {"message": "field seed is not allowed", "code": "invalid_request"}}
    simulator.add_fault("create", status=500, body=json.dumps(envelope))
    with pytest.raises(InvalidInputError) as info:
        client_for(simulator).run("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert "field seed is not allowed" in str(info.value)
    assert "may have been created" not in str(info.value)
    assert len(_creates(simulator)) == 1 and simulator.predictions == {}


def test_a_403_on_create_is_blocked_access_not_a_bad_key(simulator, client_for):
    envelope = {"error": {"message": "", "type": "comet_api_error", "code": "model_disabled"}}
    simulator.add_fault("create", status=403, body=json.dumps(envelope))
    with pytest.raises(PermissionDeniedError) as info:
        client_for(simulator).run("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert "model_disabled" in str(info.value) and "not enabled" in str(info.value)
    assert "refused the API key" not in str(info.value)


def test_a_visitor_key_never_changes_the_owners_client_messages(simulator, client_for):
    visitor = client_for(simulator, api_key="processing")  # a "key" that is a common word
    visitor.run("black-forest-labs/flux-schnell", {"prompt": "x"})
    owner = client_for(simulator, api_key="sk-OWNER-sim-000111", read_timeout=0.3, timeout=0.8)
    p = owner.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    simulator.add_fault("get", status_value="processing", times=1000)
    with pytest.raises(CometTimeout) as info:
        list(owner.watch(p))
    assert "is still processing" in str(info.value)


def test_key_absent_from_repr_errors_and_logs(simulator, client_for, caplog):
    key = "sk-SIMULATOR-secret-0042"
    caplog.set_level(logging.DEBUG)
    client = client_for(simulator, api_key=key)
    simulator.add_fault("get", status=502)
    simulator.fail_next("boom")
    with pytest.raises(PredictionFailed) as info:
        client.run("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert key not in repr(client)
    assert key not in str(info.value) and key not in repr(info.value.prediction)
    assert "Poll of" in caplog.text  # the retry was logged…
    assert key not in caplog.text  # …without the key
    assert any(r.headers.get("Authorization") == f"Bearer {key}" for r in simulator.received)


def test_outputs_saved_and_readable_after_their_url_expired(tmp_path, client_for):
    with Simulator(time_scale=0, image_size=128, url_ttl=0.5) as sim:
        client = client_for(sim)
        p = client.run("black-forest-labs/flux-dev", {"prompt": "x", "num_outputs": 2})
        files = save_outputs(p, tmp_path)
        sim.expire_outputs()
        import requests

        assert requests.get(p.output[0], timeout=5).status_code == 410
    assert [f.name for f in files] == [f"{p.id}-0.webp", f"{p.id}-1.webp"]
    for path in files:
        with Image.open(path) as image:
            assert image.size == (128, 128)
    assert (tmp_path / f"{p.id}.json").exists()


def test_start_job_records_history_before_polling(tmp_path, client_for):
    from comet.history import History

    with Simulator(time_scale=0, image_size=64) as sim:
        client = client_for(sim)
        history = History.in_directory(tmp_path)
        job = start_job(
            client,
            "black-forest-labs/flux-schnell",
            {"prompt": "x"},
            output_dir=tmp_path,
            history=history,
        )
        first = next(job)
        assert first.stage == "created"
        assert history.get(first.prediction.id).status == "starting"
        assert [r for r in sim.received if r.method == "GET"] == []
        final = list(job)[-1]
        entry = history.get(first.prediction.id)
        history.close()
    assert final.stage == "saved" and final.files
    assert entry.status == "succeeded" and entry.files


# -- the environment's proxy settings, read once per client ------------------------------------


def test_a_proxy_from_the_environment_carries_every_request(simulator, monkeypatch):
    # The simulator stands in for the proxy: a proxied request names its real target in full.
    monkeypatch.setenv("HTTP_PROXY", simulator.base_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with CometClient(api_key="k", base_url="http://api.example.invalid") as client:
        for _ in range(2):  # the second request too: read once, kept
            client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    paths = [r.path for r in simulator.received]
    assert len(paths) == 2
    assert all(p.startswith("http://api.example.invalid/replicate/v1/") for p in paths)


def test_no_proxy_for_the_api_host_goes_direct(simulator, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with CometClient(api_key="k", base_url=simulator.base_url) as client:
        created = client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert created.id in simulator.predictions


# -- a transport shared by many clients ----------------------------------------------------------


def test_clients_sharing_a_transport_reuse_one_connection_each_with_its_own_key(simulator):
    """An app makes a client per run: with one Transport, every run's requests go out on the
    connection the previous run left open, and each still carries its own visitor's key."""
    transport = Transport(simulator.base_url)
    keys = ["sk-visitor-one-1234", "sk-visitor-two-5678", "sk-visitor-one-1234"]
    for key in keys:
        with CometClient(api_key=key, base_url=simulator.base_url, transport=transport) as c:
            done = c.run("black-forest-labs/flux-schnell", {"prompt": "x"})
    received = simulator.received
    assert len({r.connection for r in received}) == 1  # one TCP connection for all three runs
    creates = [r for r in received if r.method == "POST"]
    assert [r.headers["Authorization"] for r in creates] == [f"Bearer {k}" for k in keys]
    assert "sk-visitor" not in repr(transport)
    transport.close()
    with CometClient(api_key="k", base_url=simulator.base_url, transport=transport) as c:
        c.get_prediction(done.id)
    assert simulator.received[-1].connection != received[0].connection  # closed: a new one


def test_clients_of_their_own_open_a_connection_each(simulator):
    for _ in range(2):
        with CometClient(api_key="k", base_url=simulator.base_url) as c:
            c.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert len({r.connection for r in simulator.received}) == 2


def test_a_transport_serves_only_its_own_base_url(simulator):
    transport = Transport("http://127.0.0.1:9")
    with pytest.raises(InvalidInputError, match="another base URL"):
        CometClient(api_key="k", base_url=simulator.base_url, transport=transport)
