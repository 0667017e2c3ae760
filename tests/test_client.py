"""Client unit tests at the HTTP edge, with the `responses` library (no sockets)."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from comet import CometClient
from comet._redact import PARTIAL_LEN, Redactor, redact
from comet.errors import (
    APIStatusError,
    AuthenticationError,
    CometConnectionError,
    CometTimeout,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PredictionFailed,
    RateLimitError,
    ServerError,
)
from comet.settings import SettingsError
from tests.support import FakeClock, load_fixture

BASE = "https://comet.example"
KEY = "sk-unit-SECRET-9f8e7d6c"  # never registered process-wide: each test proves its own hiding
OWNER_KEY = "sk-unit-OWNER-4e5f6a7b"  # from_env registers this one process-wide
CREATE = f"{BASE}/replicate/v1/models/black-forest-labs/flux-schnell/predictions"
GET = f"{BASE}/replicate/v1/predictions/q4chw5rey9rmt0cww76t4h3ma4"


@pytest.fixture
def clock():
    return FakeClock(start=0.0)


@pytest.fixture
def client(clock):
    c = CometClient(
        api_key=KEY, base_url=BASE, poll_interval=0.5, timeout=60, sleep=clock.sleep, clock=clock
    )
    yield c
    c.close()


def _done_body():
    body = load_fixture("query_succeeded_list_output.json")
    body["id"] = "q4chw5rey9rmt0cww76t4h3ma4"
    return body


@responses.activate
def test_create_sends_input_and_bearer_key(client):
    responses.post(CREATE, json=load_fixture("create_flux_schnell.json"), status=201)
    p = client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "a boat"})
    assert p.status == "starting"
    call = responses.calls[0]
    assert call.request.headers["Authorization"] == f"Bearer {KEY}"
    assert b'"input"' in call.request.body and b'"a boat"' in call.request.body


@responses.activate
@pytest.mark.parametrize(
    "bad", ["flux-schnell", "a/b/c", "owner/na me", "../etc", "owner/<x>", "", "ow ner/x", "./.."]
)
def test_bad_model_ids_rejected_with_no_request_sent(client, bad):
    with pytest.raises(InvalidInputError):
        client.create_prediction(bad, {"prompt": "x"})
    assert len(responses.calls) == 0


@responses.activate
@pytest.mark.parametrize("bad", ["", "abc/def", "../x", "a b", "id?x=1"])
def test_bad_prediction_ids_rejected_with_no_request_sent(client, bad):
    with pytest.raises(InvalidInputError):
        client.get_prediction(bad)
    assert len(responses.calls) == 0


@responses.activate
def test_input_must_be_a_dict(client):
    with pytest.raises(InvalidInputError):
        client.create_prediction("black-forest-labs/flux-schnell", ["prompt"])
    assert len(responses.calls) == 0


@responses.activate
def test_create_retries_429_after_retry_after_then_succeeds(client, clock):
    responses.post(
        CREATE,
        json=load_fixture("error_replicate_429.json"),
        status=429,
        headers={"Retry-After": "3"},
    )
    responses.post(CREATE, json=load_fixture("create_flux_schnell.json"), status=201)
    p = client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert p.id == "q4chw5rey9rmt0cww76t4h3ma4"
    assert len(responses.calls) == 2
    assert sum(clock.slept) == pytest.approx(3.0)


@responses.activate
def test_create_gives_up_after_three_429s(client):
    for _ in range(4):
        responses.post(CREATE, json=load_fixture("error_replicate_429.json"), status=429)
    with pytest.raises(RateLimitError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert len(responses.calls) == 3
    assert info.value.retry_after == 5  # from the body's retry_after


@responses.activate
@pytest.mark.parametrize(
    ("status", "page"),
    [
        (502, "<html><h1>502 Bad Gateway</h1></html>"),
        # Cloudflare's "a timeout occurred": the origin had the create and may have run it.
        (524, "<html><title>api.cometapi.com | 524: A timeout occurred</title></html>"),
    ],
)
def test_create_is_not_retried_after_a_5xx(client, status, page):
    responses.post(CREATE, body=page, status=status, content_type="text/html")
    with pytest.raises(ServerError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert len(responses.calls) == 1
    assert "may have been created" in str(info.value) and "pay twice" in str(info.value)


@responses.activate
def test_create_is_not_retried_after_a_read_timeout(client):
    responses.post(CREATE, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(CometTimeout) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert len(responses.calls) == 1
    assert "may have been created" in str(info.value)


@responses.activate
def test_create_connection_never_established_is_a_connection_error(client):
    never = requests.exceptions.ConnectionError(
        MaxRetryError(None, CREATE, NewConnectionError(None, "Connection refused"))
    )
    responses.post(CREATE, body=never)
    with pytest.raises(CometConnectionError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert "pay twice" not in str(info.value)


@responses.activate
def test_create_dropped_after_sending_warns_of_possible_charge(client):
    responses.post(CREATE, body=requests.exceptions.ConnectionError("Connection aborted."))
    with pytest.raises(CometConnectionError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert len(responses.calls) == 1
    assert "pay twice" in str(info.value)


@responses.activate
@pytest.mark.parametrize(
    ("status", "fixture", "error", "text"),
    [
        (401, "error_cometapi_401.json", AuthenticationError, "Invalid token"),
        (401, "error_replicate_401.json", AuthenticationError, "valid authentication token"),
        (400, "error_cometapi_400.json", InvalidInputError, "input is required"),
        (429, "error_replicate_429.json", RateLimitError, "throttled"),
    ],
)
def test_documented_error_bodies_map_to_errors(client, status, fixture, error, text):
    responses.post(CREATE, json=load_fixture(fixture), status=status)
    responses.post(CREATE, json=load_fixture(fixture), status=status)
    responses.post(CREATE, json=load_fixture(fixture), status=status)
    with pytest.raises(error) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert text in str(info.value)
    assert info.value.status_code == status


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, AuthenticationError),
        (404, NotFoundError),
        (422, InvalidInputError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_non_json_error_pages_map_by_status(client, status, error):
    responses.get(GET, body="<html>nope</html>", status=status, content_type="text/html")
    with pytest.raises(error):
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")


# --- CometAPI's error guide --------------------------------------------------------------------


@responses.activate
def test_a_500_saying_invalid_request_is_a_malformed_request_not_a_server_fault(client):
    # The documented invalid_request envelope, sent with the 500 CometAPI uses for it.
    responses.post(CREATE, json=load_fixture("error_cometapi_400.json"), status=500)
    with pytest.raises(InvalidInputError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert len(responses.calls) == 1
    assert info.value.status_code == 500 and info.value.code == "invalid_request"
    assert "input is required" in str(info.value)
    assert "may have been created" not in str(info.value)
    assert "pay twice" not in str(info.value)


@responses.activate
def test_a_poll_answered_invalid_request_is_not_retried(client):
    responses.get(GET, json=load_fixture("error_cometapi_400.json"), status=500)
    responses.get(GET, json=_done_body())
    retries = []
    with pytest.raises(InvalidInputError):
        list(client.watch("q4chw5rey9rmt0cww76t4h3ma4", on_retry=lambda e, w: retries.append(e)))
    assert len(responses.calls) == 1 and retries == []


@responses.activate
def test_a_plain_500_is_still_a_server_error(client):
    body = {"error": {"message": "upstream failed", "type": "comet_api_error", "code": "500"}}
    responses.post(CREATE, json=body, status=500)
    with pytest.raises(ServerError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert not isinstance(info.value, InvalidInputError)
    assert "may have been created" in str(info.value)


@responses.activate
def test_403_means_the_key_was_accepted_but_access_is_blocked(client):
    body = {"error": {"message": "model flux-2-pro is not allowed for this token", "code": ""}}
    responses.post(CREATE, json=body, status=403)
    with pytest.raises(PermissionDeniedError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    message = str(info.value)
    assert isinstance(info.value, AuthenticationError)  # callers catching that still catch it
    assert "refused the API key" not in message
    assert "accepted" in message and "not enabled" in message and "console" in message
    assert "not allowed for this token" in message


@responses.activate
def test_401_still_says_the_key_was_refused(client):
    responses.post(CREATE, json=load_fixture("error_cometapi_401.json"), status=401)
    with pytest.raises(AuthenticationError) as info:
        client.create_prediction("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert not isinstance(info.value, PermissionDeniedError)
    assert "refused the API key" in str(info.value)


@responses.activate
def test_an_envelope_with_an_empty_message_shows_its_code(client):
    body = {"error": {"message": "", "type": "comet_api_error", "code": "model_not_found"}}
    responses.get(GET, json=body, status=404)
    with pytest.raises(NotFoundError) as info:
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")
    assert "model_not_found" in str(info.value)
    assert info.value.code == "model_not_found"


@responses.activate
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, load_fixture("error_replicate_429.json")),
        (401, load_fixture("error_cometapi_401.json")),
        (400, load_fixture("error_cometapi_400.json")),
        (500, load_fixture("error_cometapi_400.json")),
        (403, {"error": {"message": "Forbidden.", "code": ""}}),
        (404, {"detail": "Not found."}),
        (502, {"error": {"message": "Bad gateway...", "code": ""}}),
        (503, {"error": {"message": "", "code": ""}}),
        (418, {"error": {"message": "I am a teapot.", "code": ""}}),
        (422, {"error": {"message": "Is the prompt empty?", "code": ""}}),
    ],
)
def test_no_message_has_a_doubled_full_stop(client, status, body):
    responses.get(GET, json=body, status=status)
    with pytest.raises(APIStatusError) as info:
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")
    message = str(info.value)
    assert not any(stop in message for stop in ("..", "?.", "!.", "…."))
    assert message.rstrip().endswith((".", "…", "?"))


@responses.activate
def test_errors_parse_themselves_from_a_response():
    responses.get(GET, json=load_fixture("error_replicate_429.json"), status=429)
    response = requests.get(GET, timeout=5)
    error = APIStatusError.from_response(response, prediction_id="abc")
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 5 and error.prediction_id == "abc"
    assert error.body == load_fixture("error_replicate_429.json")


@responses.activate
def test_a_503_with_retry_after_is_waited_out_exactly(client, clock):
    responses.get(GET, body="busy", status=503, headers={"Retry-After": "6"})
    responses.get(GET, json=_done_body())
    list(client.watch("q4chw5rey9rmt0cww76t4h3ma4"))
    assert sum(clock.slept) == pytest.approx(6.0, abs=1e-9)


@responses.activate
def test_authentication_error_names_the_variable(client):
    responses.get(GET, json=load_fixture("error_cometapi_401.json"), status=401)
    with pytest.raises(AuthenticationError) as info:
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")
    assert "COMET_API_KEY" in str(info.value)


@responses.activate
def test_redirect_is_reported_not_followed(client):
    responses.get(GET, status=302, headers={"Location": "https://elsewhere.example/login"})
    with pytest.raises(ServerError) as info:
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")
    assert "COMET_BASE_URL" in str(info.value)


@responses.activate
def test_watch_survives_flaky_polls(client):
    responses.get(GET, body="<html>502</html>", status=502, content_type="text/html")
    responses.get(GET, json=load_fixture("error_replicate_429.json"), status=429)
    responses.get(GET, body=requests.exceptions.ReadTimeout("slow"))
    responses.get(GET, body="{not json", status=200)
    responses.get(GET, body=requests.exceptions.ConnectionError("reset"))
    responses.get(GET, json=load_fixture("query_processing.json"))
    responses.get(GET, json=_done_body())
    retries = []
    snapshots = list(
        client.watch("q4chw5rey9rmt0cww76t4h3ma4", on_retry=lambda e, w: retries.append(e))
    )
    assert [s.status for s in snapshots] == ["processing", "succeeded"]
    assert len(retries) == 5
    assert isinstance(retries[1], RateLimitError)


@responses.activate
def test_watch_honours_retry_after_on_polls(client, clock):
    responses.get(GET, json={"detail": "slow down"}, status=429, headers={"Retry-After": "4"})
    responses.get(GET, json=_done_body())
    list(client.watch("q4chw5rey9rmt0cww76t4h3ma4"))
    assert sum(clock.slept) == pytest.approx(4.0)


@responses.activate
def test_watch_deadline_raises_timeout_naming_the_id(client):
    responses.get(GET, json=load_fixture("query_processing.json"))
    with pytest.raises(CometTimeout) as info:
        for _ in client.watch("q4chw5rey9rmt0cww76t4h3ma4", timeout=5):
            pass
    assert info.value.prediction_id == "q4chw5rey9rmt0cww76t4h3ma4"
    assert "q4chw5rey9rmt0cww76t4h3ma4" in str(info.value)
    assert "python -m comet get" in str(info.value)


@responses.activate
def test_watch_sleeps_in_short_steps(client, clock):
    responses.get(GET, json=load_fixture("query_processing.json"))
    responses.get(GET, json=_done_body())
    list(client.watch("q4chw5rey9rmt0cww76t4h3ma4"))
    assert clock.slept and max(clock.slept) <= 0.1 + 1e-9


@responses.activate
def test_watch_stops_on_authentication_error(client):
    responses.get(GET, json=load_fixture("error_cometapi_401.json"), status=401)
    with pytest.raises(AuthenticationError):
        list(client.watch("q4chw5rey9rmt0cww76t4h3ma4"))
    assert len(responses.calls) == 1


@responses.activate
def test_run_raises_prediction_failed_with_the_api_error(client):
    created = load_fixture("create_flux_schnell.json")
    failed = load_fixture("query_failed.json")
    failed["id"] = created["id"]
    responses.post(CREATE, json=created, status=201)
    responses.get(GET, json=failed)
    with pytest.raises(PredictionFailed) as info:
        client.run("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert info.value.prediction.status == "failed"
    assert "Content moderated" in str(info.value)
    assert sum(1 for c in responses.calls if c.request.method == "POST") == 1


@responses.activate
def test_key_absent_from_repr_errors_and_the_clients_own_logs(client, caplog):
    echo = {"error": {"message": f"Invalid token {KEY}"}}
    responses.get(GET, json=echo, status=401)
    responses.get(GET, body=f"<html>bad gateway for {KEY}</html>", status=502)
    responses.get(GET, json=_done_body())
    caplog.set_level(logging.DEBUG)
    assert KEY not in repr(client)
    with pytest.raises(AuthenticationError) as info:
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert KEY not in json.dumps(info.value.body)
    list(client.watch("q4chw5rey9rmt0cww76t4h3ma4"))  # the 502 is logged, then retried
    assert "Poll of" in caplog.text
    assert KEY not in caplog.text


def test_a_clients_key_is_not_hidden_process_wide():
    with CometClient(api_key="num_outputs", base_url=BASE):
        assert redact("num_outputs must be between 1 and 4") == (
            "num_outputs must be between 1 and 4"
        )


@responses.activate
def test_a_visitor_key_that_is_a_common_word_leaves_other_clients_messages_alone(caplog):
    caplog.set_level(logging.DEBUG)
    refusal = {"detail": [{"msg": "num_outputs must be between 1 and 4"}]}
    responses.post(CREATE, json=refusal, status=422)
    responses.post(CREATE, json=refusal, status=422)
    with (
        CometClient(api_key="num_outputs", base_url=BASE, validator=None) as visitor,
        CometClient(api_key=KEY, base_url=BASE, validator=None) as other,
    ):
        with pytest.raises(InvalidInputError) as theirs:
            visitor.create_prediction("black-forest-labs/flux-schnell", {"num_outputs": 9})
        with pytest.raises(InvalidInputError) as mine:
            other.create_prediction("black-forest-labs/flux-schnell", {"num_outputs": 9})
        logging.getLogger("comet.client").warning("num_outputs is fine here")
    assert "num_outputs must be between 1 and 4" in str(mine.value)
    assert "num_outputs" not in str(theirs.value)  # its own key is hidden in its own errors
    assert "num_outputs is fine here" in caplog.text


@responses.activate
@pytest.mark.parametrize("cut_at", range(4, len(KEY)))
def test_a_key_echoed_in_a_body_never_survives_a_cut(client, cut_at):
    # Not JSON, so the message quotes the body cut to 80 characters: the cut falls in the key.
    page = "x" * (80 - cut_at) + KEY + " and more of the page" * 5
    responses.get(GET, body=page, status=418, content_type="text/html")
    with pytest.raises(APIStatusError) as info:
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")
    assert KEY[:cut_at] not in str(info.value)
    assert "***" in str(info.value)


@responses.activate
def test_a_key_echoed_in_a_failed_predictions_error_is_hidden(client):
    created = load_fixture("create_flux_schnell.json")
    failed = load_fixture("query_failed.json")
    failed.update(id=created["id"], error=f"upstream refused token {KEY}")
    responses.post(CREATE, json=created, status=201)
    responses.get(GET, json=failed)
    with pytest.raises(PredictionFailed) as info:
        client.run("black-forest-labs/flux-schnell", {"prompt": "x"})
    assert KEY not in str(info.value) and "upstream refused token ***" in str(info.value)


def test_a_key_in_a_locally_refused_input_is_hidden(clock):
    def validator(model, values):
        raise InvalidInputError(f"unknown field {next(iter(values))!r}", field="input")

    with CometClient(api_key=KEY, base_url=BASE, validator=validator) as client:
        with pytest.raises(InvalidInputError) as info:
            client.create_prediction("black-forest-labs/flux-schnell", {KEY: 1})
    assert KEY not in str(info.value) and "unknown field" in str(info.value)


@responses.activate
def test_a_key_the_server_cut_short_is_hidden_too(client):
    echo = {"error": {"message": f"Invalid token {KEY[:11]}… (request id: 42)", "code": ""}}
    responses.get(GET, json=echo, status=401)
    with pytest.raises(AuthenticationError) as info:
        client.get_prediction("q4chw5rey9rmt0cww76t4h3ma4")
    assert KEY[:PARTIAL_LEN] not in str(info.value)
    assert "request id: 42" in str(info.value)


def test_a_different_key_that_starts_alike_is_left_alone():
    redactor = Redactor(KEY)
    assert redactor.text(f"key {KEY[:12]}… refused") == "key ***… refused"
    other = KEY[:12] + "ZZZZ-another-key"
    assert redactor.text(f"key {other} refused") == f"key {other} refused"


def test_from_env_hides_the_owners_key_everywhere(monkeypatch, caplog):
    owner = "sk-OWNER-from-env-7c1d2e"
    monkeypatch.setenv("COMET_API_KEY", owner)
    caplog.set_level(logging.DEBUG)
    with CometClient.from_env():
        logging.getLogger("anything.else").warning("leaking %s on purpose", owner)
    assert "leaking" in caplog.text
    assert owner not in caplog.text


def test_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("COMET_API_KEY", raising=False)
    with pytest.raises(AuthenticationError) as info:
        CometClient(base_url=BASE)
    assert "COMET_API_KEY" in str(info.value)


def test_plain_arguments_need_no_environment(monkeypatch):
    monkeypatch.setenv("COMET_API_KEY", "sk-env-should-not-be-used")
    monkeypatch.setenv("COMET_BASE_URL", "http://127.0.0.1:9")
    client = CometClient(api_key=KEY, base_url=BASE, poll_interval=0.3, timeout=9)
    assert client.base_url == BASE and client._api_key == KEY
    assert (client.poll_interval, client.timeout) == (0.3, 9)


def test_a_missing_argument_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("COMET_API_KEY", KEY)
    monkeypatch.setenv("COMET_BASE_URL", "http://127.0.0.1:9/")
    client = CometClient()
    assert client._api_key == KEY and client.base_url == "http://127.0.0.1:9"


def test_from_env_reads_all_four_settings(monkeypatch):
    monkeypatch.setenv("COMET_API_KEY", OWNER_KEY)
    monkeypatch.setenv("COMET_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("COMET_POLL_INTERVAL", "0.25")
    monkeypatch.setenv("COMET_TIMEOUT", "30")
    client = CometClient.from_env()
    assert client.base_url == "http://127.0.0.1:9"
    assert client.poll_interval == 0.25 and client.timeout == 30
    assert OWNER_KEY not in repr(client)
    assert CometClient.from_env(timeout=5).timeout == 5  # arguments override


def test_from_env_rejects_a_non_numeric_timeout(monkeypatch):
    monkeypatch.setenv("COMET_API_KEY", OWNER_KEY)
    monkeypatch.setenv("COMET_TIMEOUT", "ten")
    with pytest.raises(SettingsError) as info:
        CometClient.from_env()
    assert "COMET_TIMEOUT" in str(info.value)


def test_every_request_has_connect_and_read_timeouts(client, monkeypatch):
    seen = {}

    def fake_request(method, url, **kwargs):
        seen.update(kwargs)
        raise requests.exceptions.ConnectTimeout("nope")

    monkeypatch.setattr(client._session, "request", fake_request)
    with pytest.raises(CometConnectionError):
        client.get_prediction("abc")
    connect, read = seen["timeout"]
    assert 0 < connect <= 10 and 0 < read <= 20


@responses.activate
def test_a_models_error_or_log_echoing_the_key_is_redacted_before_anyone_sees_it():
    key = "sk-visitor-echoed-123456"
    responses.get(
        "http://127.0.0.1:9/replicate/v1/predictions/abc",
        json={
            "id": "abc",
            "status": "failed",
            "error": f"bad auth header Bearer {key[:12]}… for this model",
            "logs": f"using key {key}\nstep 1",
        },
    )
    with CometClient(api_key=key, base_url="http://127.0.0.1:9") as client:
        prediction = client.get_prediction("abc")
    assert key not in prediction.logs and key[:12] not in prediction.error
    assert "step 1" in prediction.logs and "for this model" in prediction.error
