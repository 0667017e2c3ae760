"""CometClient, its transport and its errors: what is sent, what is retried, what is raised, and
that the key shows nowhere. HTTP edge cases use `responses` (no sockets); the rest runs against
the simulator on 127.0.0.1. Every wait is on a FakeClock: nothing sleeps.
"""

from __future__ import annotations

import json
import logging
from http.client import RemoteDisconnected

import pytest
import requests
import responses
import urllib3.util.connection
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from comet import CometClient, Prediction, Transport
from comet.errors import (
    APIStatusError,
    AuthenticationError,
    CometConnectionError,
    CometError,
    CometTimeout,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PredictionFailed,
    RateLimitError,
    ServerError,
)
from comet.simulator import Simulator
from tests.support import FakeClock, creates, load_fixture

BASE = "https://comet.example"
KEY = "sk-unit-SECRET-9f8e7d6c"  # never registered process-wide: each test proves its own hiding
SCHNELL = "black-forest-labs/flux-schnell"
PID = "q4chw5rey9rmt0cww76t4h3ma4"  # the fixtures' id
CREATE = f"{BASE}/replicate/v1/models/{SCHNELL}/predictions"
GET = f"{BASE}/replicate/v1/predictions/{PID}"
NOT_TWICE = "it was not retried so that you do not pay twice."
MAY_HAVE_RUN = f"The prediction may have been created anyway; {NOT_TWICE}"
REFUSED = (
    "CometAPI refused the API key (HTTP 401): {} Check COMET_API_KEY, or the key you entered "
    "(keys are at https://api.cometapi.com/console/token)."
)
BLOCKED = (
    "CometAPI accepted the API key but blocked this request (HTTP 403): {} This model, or one "
    "of the inputs sent, is not enabled for this key: check the key's model access in the "
    "CometAPI console (https://api.cometapi.com/console/token)."
)
HANG = 60.0  # a simulator answer that outlasts any read timeout here


@pytest.fixture
def clock():
    return FakeClock(start=0.0)


@pytest.fixture
def api():
    """The `responses` mock: registered answers are given in order, the last one repeated."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client(clock):
    with CometClient(
        api_key=KEY, base_url=BASE, poll_interval=0.5, timeout=60, sleep=clock.sleep, clock=clock
    ) as made:
        yield made


@pytest.fixture
def sim_client(simulator, client_for, clock):
    """A client of the simulator that waits on the fake clock (the simulator is instant)."""
    return client_for(simulator, clock=clock, sleep=clock.sleep)


def raised(error, call, *args):
    """The error that call(*args) raises, which must be of class error."""
    with pytest.raises(error) as info:
        call(*args)
    return info.value


def done_body():
    return {**load_fixture("query_succeeded_list_output.json"), "id": PID}


def refuse_connections(monkeypatch, first: int = 1000) -> list:
    """Refuse the first `first` new connections (they never reach the server); count them."""
    real, attempts = urllib3.util.connection.create_connection, []

    def connect(*args, **kwargs):
        attempts.append(args[0])
        if len(attempts) <= first:
            raise ConnectionRefusedError(111, "Connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect)
    return attempts


# -- construction ------------------------------------------------------------------------------


def test_a_missing_key_a_bad_base_url_or_wait_is_refused_saying_what_to_do():
    for key in (None, "", "   "):
        assert str(raised(AuthenticationError, CometClient, key, BASE)) == (
            "No CometAPI key: set COMET_API_KEY in the environment or in .env (get one at "
            "https://api.cometapi.com/console/token), or pass api_key=..."
        )
    for bad in ("api.cometapi.com", "ftp://api.cometapi.com", "https://", " "):
        assert "expected http(s)://host" in str(raised(InvalidInputError, CometClient, KEY, bad))
    leaky = raised(InvalidInputError, CometClient, KEY, f"api.example/?key={KEY}")
    assert str(leaky) == "Invalid base URL 'api.example/?key=***': expected http(s)://host"
    for interval, timeout in ((0, 5), (0.5, -1)):
        assert str(raised(InvalidInputError, CometClient, KEY, BASE, interval, timeout)) == (
            "poll_interval and timeout must be positive numbers"
        )


def test_arguments_win_over_the_environment_and_missing_ones_come_from_it(api, monkeypatch):
    monkeypatch.setenv("COMET_API_KEY", "sk-from-the-environment")
    monkeypatch.setenv("COMET_BASE_URL", "http://127.0.0.1:9/")
    local = f"http://127.0.0.1:9/replicate/v1/predictions/{PID}"
    api.get(GET, json=done_body())
    api.get(local, json=done_body())
    with CometClient(api_key=KEY, base_url=BASE) as given, CometClient() as from_env:
        given.get_prediction(PID)
        from_env.get_prediction(PID)
    assert [(c.request.url, c.request.headers["Authorization"]) for c in api.calls] == [
        (GET, f"Bearer {KEY}"),
        (local, "Bearer sk-from-the-environment"),
    ]


def test_from_env_reads_its_settings_and_hides_the_owners_key_in_every_log_and_error(
    monkeypatch, caplog
):
    owner = "sk-OWNER-from-env-7c1d2e"
    for name, value in (("API_KEY", owner), ("BASE_URL", "http://127.0.0.1:9/")):
        monkeypatch.setenv(f"COMET_{name}", value)
    monkeypatch.setenv("COMET_POLL_INTERVAL", "0.25")
    monkeypatch.setenv("COMET_TIMEOUT", "30")
    caplog.set_level(logging.DEBUG)
    with CometClient.from_env() as client, CometClient.from_env(timeout=5) as overridden:
        settings = (client.base_url, client.poll_interval, client.timeout, overridden.timeout)
    assert settings == ("http://127.0.0.1:9", 0.25, 30, 5)
    logging.getLogger("anything.else").warning("leaking %s on purpose", owner)
    try:
        raise RuntimeError(f"upstream echoed {owner}")
    except RuntimeError:
        logging.getLogger("another").exception("failed")
    assert "leaking *** on purpose" in caplog.text and "upstream echoed ***" in caplog.text
    assert owner not in caplog.text
    assert str(CometError(f"key {owner[:12]}… refused")) == "key ***… refused"
    for key in ("short", "sk-six"):  # shorter than 6: too short to hide, it would hide words
        monkeypatch.setenv("COMET_API_KEY", key)
        CometClient.from_env().close()
    assert str(CometError("a short word, sk-six")) == "a short word, ***"


# -- the create: sent once, retried only when it surely did not arrive --------------------------


def test_create_posts_the_validated_input_with_the_key_and_returns_the_prediction(client, api):
    api.post(CREATE, json=load_fixture("create_flux_schnell.json"), status=201)
    new_model = f"{BASE}/replicate/v1/models/someone/new-model/predictions"
    api.post(new_model, json=load_fixture("create_flux_schnell.json"), status=201)
    created = client.create_prediction(SCHNELL, {"prompt": "boat", "num_outputs": "1", "seed": ""})
    client.create_prediction("someone/new-model", {"odd": ["kept", 1]})
    assert (created.id, created.status) == (PID, "starting")
    catalogued, unknown = (json.loads(call.request.body) for call in api.calls)
    assert catalogued == {"input": {"prompt": "boat", "num_outputs": 1}}
    assert unknown == {"input": {"odd": ["kept", 1]}}  # a model the catalogue does not know
    headers = api.calls[0].request.headers
    assert (headers["Authorization"], headers["Content-Type"]) == (
        f"Bearer {KEY}",
        "application/json",
    )


def test_bad_ids_and_inputs_are_refused_before_anything_is_sent(client, api):
    create, get = client.create_prediction, client.get_prediction
    for call, args, message in [
        (
            create,
            ("flux-schnell", {}),
            "Invalid model id 'flux-schnell': expected owner/name, e.g. black-forest-labs/flux-"
            "schnell, using letters, digits, '.', '_' and '-' only.",
        ),
        (create, ("owner/..", {}), "Invalid model id 'owner/..'."),
        (create, ("a/b/c", {}), "Invalid model id 'a/b/c': expected"),
        (create, ("own er/x", {}), "Invalid model id 'own er/x': expected"),
        (get, ("abc/../d",), "Invalid prediction id 'abc/../d': expected letters and digits only."),
        (lambda pid: list(client.watch(pid)), ("id?x=1",), "Invalid prediction id 'id?x=1'"),
        (create, (SCHNELL, ["prompt"]), "input must be a dict of model inputs, got list"),
        (create, (SCHNELL, {"prompt": "x", "num_outputs": 9}), '"num_outputs" must be between'),
    ]:
        assert str(raised(InvalidInputError, call, *args)).startswith(message)
    assert len(api.calls) == 0


def test_a_throttled_create_waits_retry_after_and_gives_up_after_three_tries(client, api, clock):
    throttled = load_fixture("error_replicate_429.json")  # retry_after 5 in the body
    api.post(CREATE, json=throttled, status=429, headers={"Retry-After": "3"})
    api.post(CREATE, json=throttled, status=429)
    error = raised(RateLimitError, client.create_prediction, SCHNELL, {"prompt": "x"})
    assert len(api.calls) == 3
    assert sum(clock.slept) == pytest.approx(3 + 5)  # between the tries, none after the last
    assert error.retry_after == 5
    assert str(error) == (
        "Rate limited by CometAPI: Request was throttled. Your rate limit resets in ~30s. "
        "Try again in 5 s."
    )


def test_a_throttled_create_then_accepted_creates_one_prediction(simulator, sim_client, clock):
    simulator.add_fault("create", status=429, retry_after=0.2)
    created = sim_client.create_prediction(SCHNELL, {"prompt": "x"})
    assert len(creates(simulator)) == 2 and list(simulator.predictions) == [created.id]
    assert sum(clock.slept) == pytest.approx(0.2)


# fmt: off
MAY_HAVE_ARRIVED = [  # (the create's answer, the error it raises, its message)
    ({"status": 502, "body": "<html><h1>502 Bad Gateway</h1></html>"}, ServerError,
     f"CometAPI had a server error (HTTP 502 (<html><h1>502 Bad Gateway</h1></html>)). "
     f"{MAY_HAVE_RUN}"),
    ({"status": 524, "body": "<title>524: A timeout occurred</title>"}, ServerError,
     "CometAPI had a server error (HTTP 524 (<title>524: A timeout occurred</title>)). "
     f"Cloudflare, in front of CometAPI, gave up waiting for its answer (a timeout). "
     f"{MAY_HAVE_RUN}"),
    ({"status": 500, "json": {"error": {"message": "upstream failed", "code": "500"}}},
     ServerError, f"CometAPI had a server error (HTTP 500: upstream failed). {MAY_HAVE_RUN}"),
    ({"body": requests.exceptions.ReadTimeout("read timed out")}, CometTimeout,
     f"{BASE} did not answer the create request within 20 s. The prediction may have been "
     f"created (and billed) anyway; {NOT_TWICE} Check your CometAPI dashboard before trying "
     "again."),
    ({"body": requests.exceptions.ConnectionError("Connection aborted.")}, CometConnectionError,
     f"The connection to {BASE} dropped after the create request was sent. The prediction may "
     f"have been created (and billed); {NOT_TWICE}"),
    ({"status": 201, "body": '{"id": "abc", "status": '}, ServerError,
     f'{BASE} sent a response that is not valid JSON (HTTP 201, {{"id": "abc", "status":).'),
    ({"status": 201, "body": ""}, ServerError,
     f"{BASE} sent a response that is not valid JSON (HTTP 201, empty body)."),
    ({"status": 201, "json": {"status": "starting"}}, ServerError,
     f"{BASE} sent a prediction without an id or in an unknown shape: {{'status': 'starting'}}"),
]
# fmt: on


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    MAY_HAVE_ARRIVED,
    ids=[
        "502",
        "524-cloudflare",
        "500-json",
        "read-timeout",
        "dropped",
        "not-json",
        "empty",
        "no-id",
    ],
)
def test_a_create_that_may_have_reached_the_server_is_never_resent(
    client, api, answer, error, message
):
    api.post(CREATE, **answer)
    api.post(CREATE, json=load_fixture("create_flux_schnell.json"), status=201)
    raised_error = raised(error, client.create_prediction, SCHNELL, {"prompt": "x"})
    assert type(raised_error) is error and str(raised_error) == message
    assert len(api.calls) == 1


def test_a_create_whose_connection_never_got_through_is_retried(simulator, sim_client, monkeypatch):
    attempts = refuse_connections(monkeypatch, first=1)
    created = sim_client.create_prediction(SCHNELL, {"prompt": "x"})
    assert len(attempts) == 2
    assert len(creates(simulator)) == 1 and list(simulator.predictions) == [created.id]
    attempts = refuse_connections(monkeypatch)
    with CometClient(api_key=KEY, base_url=simulator.base_url) as unreachable:
        error = raised(
            CometConnectionError, unreachable.create_prediction, SCHNELL, {"prompt": "x"}
        )
    assert len(attempts) == 3  # the first try and two more: it never reached the server
    assert str(error) == (
        f"Could not reach {simulator.base_url}: connection refused (is the server running?)"
    )


def test_a_failed_connection_names_the_likely_cause_without_the_key(client, api):
    refused = NewConnectionError(None, "[Errno 111] Connection refused")
    unknown_host = NewConnectionError(None, "[Errno -2] Name or service not known")
    for failure, message in [
        (
            MaxRetryError(None, GET, refused),
            "Could not reach {}: connection refused (is the server running?)",
        ),
        (
            MaxRetryError(None, GET, unknown_host),
            "Could not reach {}: the host name could not be "
            "resolved (check COMET_BASE_URL and your network)",
        ),
        (
            ProtocolError("Connection aborted.", RemoteDisconnected("closed")),
            "Could not reach {}: the server closed the connection without answering",
        ),
        (f"an odd failure with {KEY}", "Could not reach {}: an odd failure with ***"),
    ]:
        api.get(GET, body=requests.exceptions.ConnectionError(failure))
        assert str(raised(CometConnectionError, client.get_prediction, PID)) == message.format(BASE)
    api.get(GET, body=requests.exceptions.ChunkedEncodingError(f"broken for {KEY}"))
    error = raised(CometConnectionError, client.get_prediction, PID)
    assert str(error) == f"Request to {BASE} failed: broken for ***"


def test_requests_time_out_on_connect_and_on_read(client, api, simulator, client_for):
    api.get(GET, body=requests.exceptions.ConnectTimeout("connect timed out"))
    error = raised(CometConnectionError, client.get_prediction, PID)
    assert str(error) == f"Could not connect to {BASE} within 5 s."
    api.add_passthru(simulator.base_url)
    slow = client_for(simulator, read_timeout=0.3)
    created = slow.create_prediction(SCHNELL, {"prompt": "x"})
    simulator.add_fault("get", delay=HANG)
    error = raised(CometTimeout, slow.get_prediction, created.id)
    assert str(error) == f"{simulator.base_url} did not answer within 0.3 s."
    assert error.prediction_id == created.id


# -- what an error answer means ------------------------------------------------------------------

ID_401 = "(request id: 20260312112718123456789abcdef)"
ID_400 = "(request id: 20260312112719123456789abcdef)"


# fmt: off
ERROR_ANSWERS = [  # (status, body, the error it raises, its message)
    (401, load_fixture("error_cometapi_401.json"), AuthenticationError,
     REFUSED.format(f"Invalid token {ID_401}.")),
    (401, load_fixture("error_replicate_401.json"), AuthenticationError,
     REFUSED.format("Unauthenticated: You did not pass a valid authentication token.")),
    (403, {"error": {"message": "model flux-2-pro is not allowed.", "code": ""}},
     PermissionDeniedError, BLOCKED.format("model flux-2-pro is not allowed.")),
    (404, {"detail": "Not found."}, NotFoundError, "Not found (prediction): Not found."),
    (404, {"error": {"message": "", "code": "model_not_found"}}, NotFoundError,
     "Not found (prediction): error code model_not_found."),
    (400, load_fixture("error_cometapi_400.json"), InvalidInputError,
     f"CometAPI rejected the request (HTTP 400, invalid_request): input is required {ID_400}."),
    (422, {"detail": [{"msg": "prompt is required"}, {"loc": 1}, "seed is too large!"]},
     InvalidInputError,
     "CometAPI rejected the request (HTTP 422): prompt is required; {'loc': 1}; seed is too "
     "large!"),
    (429, load_fixture("error_replicate_429.json"), RateLimitError,
     "Rate limited by CometAPI: Request was throttled. Your rate limit resets in ~30s. Try again "
     "in 5 s."),
    (500, {"error": {"message": "no seed", "code": "invalid_request"}}, InvalidInputError,
     "CometAPI rejected the request (HTTP 500, invalid_request): no seed."),
    (503, {"title": "Unavailable", "detail": "Unavailable: try later…"}, ServerError,
     "CometAPI had a server error (HTTP 503: Unavailable: try later…)."),
    (502, {"error": {"message": "  Bad gateway ... "}}, ServerError,
     "CometAPI had a server error (HTTP 502: Bad gateway)."),  # its own full stops dropped
    (503, {"message": "Try again later"}, ServerError,
     "CometAPI had a server error (HTTP 503: Try again later)."),
    (404, {"title": "Gone", "detail": "wait…."}, NotFoundError,
     "Not found (prediction): Gone: wait…"),
    (410, {"title": "Gone"}, APIStatusError, "CometAPI answered HTTP 410: Gone."),
    (429, {"detail": "slow down"}, RateLimitError, "Rate limited by CometAPI: slow down."),
    (500, {"odd": 1}, ServerError, "CometAPI had a server error (HTTP 500: no details given)."),
    (500, [1, 2], ServerError, "CometAPI had a server error (HTTP 500 ([1, 2]))."),
    (418, {"error": "Tea?"}, APIStatusError, "CometAPI answered HTTP 418: Tea?"),
]
# fmt: on


@pytest.mark.parametrize(("status", "body", "error", "message"), ERROR_ANSWERS)
def test_an_error_answer_raises_its_class_with_a_message_that_says_what_to_do(
    client, api, status, body, error, message
):
    api.get(GET, json=body, status=status)
    raised_error = raised(APIStatusError, client.get_prediction, PID)
    assert type(raised_error) is error and str(raised_error) == message
    assert (raised_error.status_code, raised_error.prediction_id) == (status, PID)
    assert raised_error.body == body


def test_retry_after_and_the_error_code_are_read_from_the_answer(api):
    cases = [
        ({"Retry-After": "7"}, {"retry_after": 3}, 7.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, {"retry_after": 3}, 3.0),
        ({}, {"error": {"message": "slow down", "retry_after": "2.5"}}, 2.5),
        ({}, {"retry_after": True}, None),
        ({"Retry-After": "-4"}, {}, 0.0),
        ({}, {"detail": "slow down"}, None),
    ]
    for headers, body, _ in cases:
        api.get(GET, json=body, status=429, headers=headers)
    for *_, seconds in cases:
        assert APIStatusError.from_response(requests.get(GET, timeout=5)).retry_after == seconds
    api.get(BASE, json={"error": {"message": "", "code": {"nested": 1}}}, status=404)
    assert APIStatusError.from_response(requests.get(BASE, timeout=5)).code is None
    api.get(BASE, json=load_fixture("error_cometapi_400.json"), status=400)
    assert APIStatusError.from_response(requests.get(BASE, timeout=5)).code == "invalid_request"
    api.get(BASE, json={"detail": "busy", "retry_after": 7}, status=503)
    assert APIStatusError.from_response(requests.get(BASE, timeout=5)).retry_after == 7.0
    api.get(CREATE, body="<h1>Bad Gateway</h1>", status=502)
    page = APIStatusError.from_response(requests.get(CREATE, timeout=5))  # not creating
    assert str(page) == "CometAPI had a server error (HTTP 502 (<h1>Bad Gateway</h1>))."
    assert page.body == {}


def test_a_redirect_is_reported_not_followed(client, api):
    api.get(GET, status=302, headers={"Location": f"https://elsewhere.example/login?k={KEY}"})
    api.get(GET, status=307)
    assert str(raised(ServerError, client.get_prediction, PID)) == (
        "Unexpected redirect (HTTP 302) to https://elsewhere.example/login?k=***: check "
        "COMET_BASE_URL."
    )
    error = raised(ServerError, client.get_prediction, PID)
    assert str(error) == "Unexpected redirect (HTTP 307) to ?: check COMET_BASE_URL."
    assert error.status_code == 307 and len(api.calls) == 2


def test_a_create_on_an_unknown_model_says_model_or_route(simulator, sim_client):
    error = raised(NotFoundError, sim_client.create_prediction, "someone/new", {"prompt": "x"})
    assert str(error) == "Not found (model or route): model someone/new not found."


# -- waiting: polls survive, the deadline ends the wait -----------------------------------------


def test_polls_survive_every_transient_failure_with_capped_backoff_or_retry_after(client, api):
    throttled = load_fixture("error_replicate_429.json")
    api.get(GET, body="<html>502</html>", status=502, content_type="text/html")
    api.get(GET, json=throttled, status=429, headers={"Retry-After": "4"})
    api.get(GET, body=requests.exceptions.ReadTimeout("slow"))
    api.get(GET, body="{not json", status=200)
    api.get(GET, body=requests.exceptions.ConnectionError("reset"))
    api.get(GET, json={"status": "processing"})  # no id: not a prediction
    api.get(GET, json=load_fixture("query_processing.json"))
    api.get(GET, json=done_body())
    retries = []
    seen = list(client.watch(PID, on_retry=lambda error, wait: retries.append((error, wait))))
    assert [p.status for p in seen] == ["processing", "succeeded"]
    kinds = [ServerError, RateLimitError, CometTimeout, ServerError, CometConnectionError]
    assert [type(error) for error, _ in retries] == [*kinds, ServerError]
    waits = [wait for _, wait in retries]
    assert waits[1] == 4.0  # the server's Retry-After, exactly
    for n, wait in enumerate(waits, start=1):  # else between half and all of 0.5·2ⁿ⁻¹, up to 8
        ceiling = min(8.0, 0.5 * 2 ** (n - 1))
        assert n == 2 or ceiling / 2 <= wait <= ceiling, (n, wait)


def test_waits_are_capped_and_cut_at_the_deadline(client, api, clock):
    api.get(GET, json={"detail": "busy"}, status=429, headers={"Retry-After": "0"})
    api.get(GET, json={"detail": "busy"}, status=429, headers={"Retry-After": "500"})
    api.get(GET, json=done_body())
    waits = []
    list(client.watch(PID, timeout=600, on_retry=lambda error, wait: waits.append(wait)))
    assert waits == [0.0, 60.0]  # a Retry-After is honoured, from at once up to a minute
    slow = f"{BASE}/replicate/v1/predictions/slow"
    api.get(slow, json={"detail": "busy"}, status=429, headers={"Retry-After": "50"})
    start = clock.now
    raised(CometTimeout, list, client.watch("slow", timeout=20))
    assert clock.now - start == pytest.approx(20.0, abs=1e-9)


def test_the_deadline_raises_a_timeout_naming_the_prediction_and_how_to_resume(client, api, clock):
    api.get(GET, json=load_fixture("query_processing.json"))
    error = raised(CometTimeout, list, client.watch(PID, timeout=5))
    assert str(error) == (
        f"Prediction {PID} is still processing after 5 s. It may still finish: resume it with "
        f"`python -m comet get {PID}`."
    )
    assert error.prediction_id == PID
    assert clock.now == pytest.approx(5.0, abs=1e-9)  # never past the deadline


def test_a_poll_refused_for_good_ends_the_wait_at_once(client, api):
    refusals = [
        (401, load_fixture("error_cometapi_401.json"), AuthenticationError),
        (404, {"detail": "Not found."}, NotFoundError),
        (500, load_fixture("error_cometapi_400.json"), InvalidInputError),
    ]
    retries = []
    for status, body, error in refusals:
        api.get(GET, json=body, status=status)
        api.get(GET, json=done_body())
        raised(error, list, client.watch(PID, on_retry=lambda e, w: retries.append(e)))
        assert len(api.calls) == 1 and retries == []
        api.reset()
    done = Prediction.from_json(done_body())
    assert list(client.watch(done)) == [done]  # finished already: no poll at all
    assert len(api.calls) == 0


def test_generate_yields_the_created_prediction_then_each_poll_until_it_ends(client_for, clock):
    with Simulator(time_scale=1, image_size=16, clock=clock) as sim:
        client = client_for(sim, clock=clock, sleep=clock.sleep, poll_interval=0.5)
        seen = list(client.generate(SCHNELL, {"prompt": "x"}))
        assert len(creates(sim)) == 1
    statuses = [p.status for p in seen]
    assert statuses[0] == "starting" and statuses[-1] == "succeeded" and "processing" in statuses
    assert not any(p.done for p in seen[:-1]) and len({p.id for p in seen}) == 1


def test_run_returns_a_list_of_outputs_whether_the_model_answers_a_list_or_one_url(
    simulator, sim_client
):
    listed = sim_client.run(SCHNELL, {"prompt": "a boat", "num_outputs": 2})
    single = sim_client.run("black-forest-labs/flux-1.1-pro", {"prompt": "a lighthouse"})
    for prediction, count in ((listed, 2), (single, 1)):
        assert prediction.succeeded and len(prediction.output) == count
        assert all(url.startswith(f"{simulator.base_url}/delivery/") for url in prediction.output)


def test_run_raises_prediction_failed_keeping_the_whole_prediction(simulator, sim_client):
    simulator.fail_next("NSFW content detected")
    failed = raised(PredictionFailed, sim_client.run, SCHNELL, {"prompt": "x"})
    simulator.fail_next("stopped", status="canceled")
    canceled = raised(PredictionFailed, sim_client.run, SCHNELL, {"prompt": "y"})
    first, second = failed.prediction, canceled.prediction
    assert str(failed) == f"Prediction {first.id} failed: NSFW content detected"
    assert str(canceled) == f"Prediction {second.id} was canceled."
    assert (first.status, second.status, failed.prediction_id) == ("failed", "canceled", first.id)
    assert len(creates(simulator)) == 2
    no_reason = Prediction(id="abc", status="failed")
    assert str(PredictionFailed(no_reason)) == "Prediction abc failed: no reason given"


# -- the key, nowhere ----------------------------------------------------------------------------


def test_the_key_is_absent_from_reprs_errors_bodies_and_the_clients_logs(client, api, caplog):
    caplog.set_level(logging.DEBUG)
    api.get(GET, json={"error": {"message": f"Invalid token {KEY}"}}, status=401)
    api.get(GET, body=f"<html>50% bad gateway for {KEY}</html>", status=502)
    api.get(GET, json=done_body())
    assert repr(client) == f"CometClient(base_url='{BASE}', api_key='***')"
    error = raised(AuthenticationError, client.get_prediction, PID)
    assert str(error) == REFUSED.format("Invalid token ***.")
    assert KEY not in repr(error) + json.dumps(error.body) + repr(error.args)
    list(client.watch(PID))  # the 502 is logged, then retried
    assert "Poll of" in caplog.text and "50% bad gateway for ***" in caplog.text
    assert KEY not in caplog.text


def test_a_key_the_answer_quotes_cut_short_is_hidden_wherever_the_cut_falls(client, api):
    # Not JSON, so the message quotes the page cut to 80 characters: the cut falls in the key.
    cuts = range(4, len(KEY))
    for cut in cuts:
        api.get(GET, body="x" * (80 - cut) + KEY + " and more" * 9, status=418)
    for _ in cuts:
        quoted = str(raised(APIStatusError, client.get_prediction, PID))
        assert "***" in quoted and quoted.endswith("…") and KEY[:4] not in quoted, quoted
    api.get(GET, body="x" * 200, status=418)
    assert str(raised(APIStatusError, client.get_prediction, PID)) == (
        "CometAPI answered HTTP 418: " + "x" * 80 + "…"  # a page is quoted, cut short
    )
    cut_by_server = {"error": {"message": f"Invalid token {KEY[:11]}… (request id: 42)"}}
    api.get(f"{BASE}/replicate/v1/predictions/abc", json=cut_by_server, status=401)
    error = raised(AuthenticationError, client.get_prediction, "abc")
    assert str(error) == REFUSED.format("Invalid token ***… (request id: 42).")


def test_another_key_sharing_its_start_or_a_key_too_short_to_hide_is_left_alone(client, api):
    other = KEY[:12] + "ZZZZ-another-key"
    body = {"error": {"message": f"{other} is not {KEY[:12]}…"}, "echo": [{KEY: (KEY, 1)}]}
    api.get(GET, json=body, status=401)
    error = raised(AuthenticationError, client.get_prediction, PID)
    assert str(error) == REFUSED.format(f"{other} is not ***…")
    assert error.body == {
        "error": {"message": f"{other} is not ***…"},
        "echo": [{"***": ["***", 1]}],
    }
    api.get(f"{BASE}/replicate/v1/predictions/abc", json={"detail": "a short word"}, status=401)
    with CometClient(api_key="short", base_url=BASE) as short:  # hiding it would hide words
        error = raised(AuthenticationError, short.get_prediction, "abc")
    assert str(error) == REFUSED.format("a short word.")


def test_a_key_the_model_echoes_or_a_refused_input_holds_is_hidden(client, api):
    failed = load_fixture("query_failed.json")
    failed.update(id=PID, error=f"bad header Bearer {KEY[:12]}… here", logs=f"key {KEY}\nstep 1")
    api.get(GET, json=failed)
    prediction = client.get_prediction(PID)
    assert (prediction.error, prediction.logs) == ("bad header Bearer ***… here", "key ***\nstep 1")

    def validator(model, values):
        raise InvalidInputError(f"unknown field {next(iter(values))!r}", field="input")

    with CometClient(api_key=KEY, base_url=BASE, validator=validator) as strict:
        error = raised(InvalidInputError, strict.create_prediction, SCHNELL, {KEY: 1})
    assert str(error) == "unknown field '***'"


def test_a_visitors_key_is_hidden_only_in_that_visitors_own_messages(api, caplog):
    caplog.set_level(logging.DEBUG)
    api.post(CREATE, json={"detail": [{"msg": "num_outputs must be at most 4"}]}, status=422)
    with (
        CometClient(api_key="num_outputs", base_url=BASE, validator=None) as visitor,
        CometClient(api_key=KEY, base_url=BASE, validator=None) as other,
    ):
        theirs = raised(InvalidInputError, visitor.create_prediction, SCHNELL, {"num_outputs": 9})
        mine = raised(InvalidInputError, other.create_prediction, SCHNELL, {"num_outputs": 9})
        logging.getLogger("comet.client").warning("num_outputs is fine here")
    rejected = "CometAPI rejected the request (HTTP 422): {} must be at most 4."
    assert (str(theirs), str(mine)) == (rejected.format("***"), rejected.format("num_outputs"))
    assert "num_outputs is fine here" in caplog.text
    assert str(CometError("num_outputs")) == "num_outputs"  # nor in anyone else's


# -- the transport: kept connections, proxies ----------------------------------------------------


def test_clients_sharing_a_transport_reuse_its_connection_each_with_its_own_key(simulator, clock):
    transport = Transport(simulator.base_url)
    keys = ["sk-visitor-one-1234", "sk-visitor-two-5678", "sk-visitor-one-1234"]
    for key in keys:
        with CometClient(
            api_key=key,
            base_url=simulator.base_url,
            transport=transport,
            clock=clock,
            sleep=clock.sleep,
        ) as client:
            done = client.run(SCHNELL, {"prompt": "x"})
    received = list(simulator.received)
    assert len({r.connection for r in received}) == 1  # one TCP connection for all three runs
    assert [r.headers["Authorization"] for r in creates(simulator)] == [f"Bearer {k}" for k in keys]
    assert repr(transport) == f"Transport('{simulator.base_url}')"
    transport.close()
    with CometClient(api_key="k", base_url=simulator.base_url, transport=transport) as client:
        client.get_prediction(done.id)
    with CometClient(api_key="k", base_url=simulator.base_url) as own:
        own.get_prediction(done.id)
    first, closed, own_one = (
        received[0].connection,
        *(r.connection for r in simulator.received[-2:]),
    )
    assert len({first, closed, own_one}) == 3  # closed: a new one; a client of its own: its own
    with pytest.raises(InvalidInputError, match="transport is for another base URL"):
        CometClient(api_key="k", base_url=BASE, transport=transport)


def test_a_proxy_from_the_environment_carries_every_request_unless_no_proxy_says(
    simulator, monkeypatch
):
    # The simulator stands in for the proxy: a proxied request names its real target in full.
    monkeypatch.setenv("HTTP_PROXY", simulator.base_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with CometClient(api_key="k", base_url="http://api.example.invalid") as client:
        for _ in range(2):
            client.create_prediction(SCHNELL, {"prompt": "x"})
    target = f"http://api.example.invalid/replicate/v1/models/{SCHNELL}/predictions"
    assert [r.path for r in simulator.received] == [target, target]
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with CometClient(api_key="k", base_url=simulator.base_url) as client:
        assert client.create_prediction(SCHNELL, {"prompt": "x"}).id in simulator.predictions
