"""The simulator and the catalogue agree: every model the catalogue lists is served, and each of
its fields is checked the way comet.models describes it (type, range, enum, list length)."""

from __future__ import annotations

import base64
import time

import pytest
import requests

from comet.models import MODELS, Field, ModelSpec, validate_input
from comet.simulator import Simulator

KEY = "test-key-123456"
DATA_URI = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
SAMPLE = {"str": "text", "int": 1, "float": 0.5, "bool": True, "image": DATA_URI}


@pytest.fixture(scope="module")
def sim():
    with Simulator(time_scale=0.0, image_size=32) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {KEY}"
        yield session


def post(http, sim: Simulator, model_id: str, **inputs) -> requests.Response:
    inputs.setdefault("prompt", "a lighthouse")
    url = f"{sim.base_url}/replicate/v1/models/{model_id}/predictions"
    return http.post(url, json={"input": inputs}, timeout=10)


def refused_fields(response: requests.Response) -> list[str]:
    """The field each problem line of a 422 names."""
    assert response.status_code == 422, response.text
    lines = response.json()["detail"].splitlines()
    assert all(line.startswith("- input.") for line in lines), lines
    return [line.removeprefix("- input.").split(":", 1)[0] for line in lines]


def fields_of(kind: str) -> list[tuple[str, Field]]:
    return [(m, f) for m, spec in MODELS.items() for f in spec.fields if f.kind == kind]


def bounded_fields() -> list[tuple[str, Field, float]]:
    """Each numeric field with a value just outside each of its bounds."""
    cases = []
    for model_id, spec in MODELS.items():
        for f in spec.fields:
            step = 1 if f.kind == "int" else 0.5
            if f.kind in ("int", "float") and f.minimum is not None:
                cases.append((model_id, f, f.minimum - step))
            if f.kind in ("int", "float") and f.maximum is not None:
                cases.append((model_id, f, f.maximum + step))
    return cases


def case_id(case) -> str:
    return f"{case[0].rsplit('/', 1)[-1]}-{case[1].name}" + (f"-{case[2]}" if len(case) > 2 else "")


# --- what the app's own validation sends is accepted ----------------------------------------


@pytest.mark.parametrize("model_id", list(MODELS))
def test_defaults_validate_and_the_simulator_runs_them(model_id, simulator, client_for):
    spec = MODELS[model_id]
    values = validate_input(model_id, {"prompt": "a lighthouse", **spec.defaults(), "seed": 5})
    assert values == {"prompt": "a lighthouse", "seed": 5}  # defaults left to the API
    prediction = client_for(simulator).run(model_id, values)
    assert prediction.succeeded
    expected = 1 if spec.output == "string" else spec.defaults().get("num_outputs", 1)
    assert len(prediction.output) == expected
    assert simulator.created_inputs()[-1] == values


@pytest.mark.parametrize("model_id", list(MODELS))
def test_every_default_sent_explicitly_is_accepted_too(model_id, simulator, client_for):
    spec = MODELS[model_id]
    values = {"prompt": "x", **spec.defaults()}
    assert client_for(simulator).run(model_id, values).succeeded


# --- served models, output shapes and durations ---------------------------------------------


@pytest.mark.parametrize("model_id", list(MODELS))
def test_the_output_shape_and_count_follow_the_catalogue(model_id, sim, http):
    spec = MODELS[model_id]
    counts = [1]
    if spec.output == "list":
        counts = range(1, int(spec.field("num_outputs").maximum) + 1)
    for count in counts:
        inputs = {"num_outputs": count} if spec.output == "list" else {}
        created = post(http, sim, model_id, **inputs)
        assert created.status_code == 201, created.text
        done = http.get(created.json()["urls"]["get"], timeout=10).json()
        assert done["model"] == model_id
        if spec.output == "list":
            assert isinstance(done["output"], list) and len(done["output"]) == count
        else:
            assert isinstance(done["output"], str)


def test_exactly_the_catalogue_models_are_served(sim, http):
    for model_id in MODELS:
        assert post(http, sim, model_id).status_code == 201
    owner = next(iter(MODELS)).split("/")[0]
    for unknown in (f"{owner}/flux-3-imaginary", "someone-else/flux-schnell"):
        assert post(http, sim, unknown).status_code == 404


@pytest.mark.parametrize("model_id", list(MODELS))
def test_a_prediction_takes_the_catalogue_time_at_time_scale_1(model_id, http):
    spec: ModelSpec = MODELS[model_id]
    with Simulator(time_scale=1, image_size=32) as slow:
        before = time.monotonic()
        created = post(http, slow, model_id)
        after = time.monotonic()
        done_at = slow.completion_time(created.json()["id"])
    assert before + spec.typical_seconds <= done_at <= after + spec.typical_seconds


# --- every field is checked the way the catalogue describes it ------------------------------


@pytest.mark.parametrize("case", fields_of("enum"), ids=case_id)
def test_every_enum_choice_is_accepted_and_others_refused(case, sim, http):
    model_id, f = case
    for choice in f.choices:
        response = post(http, sim, model_id, **{f.name: choice})
        assert response.status_code == 201, (choice, response.text)
    assert refused_fields(post(http, sim, model_id, **{f.name: "not-a-choice"})) == [f.name]
    assert refused_fields(post(http, sim, model_id, **{f.name: 1})) == [f.name]


@pytest.mark.parametrize("case", bounded_fields(), ids=case_id)
def test_a_value_out_of_range_is_refused(case, sim, http):
    model_id, f, value = case
    assert refused_fields(post(http, sim, model_id, **{f.name: value})) == [f.name]


@pytest.mark.parametrize("case", bounded_fields(), ids=case_id)
def test_the_bounds_themselves_are_accepted(case, sim, http):
    model_id, f, _ = case
    for bound in (f.minimum, f.maximum):
        if bound is not None:
            value = int(bound) if f.kind == "int" else bound
            response = post(http, sim, model_id, **{f.name: value})
            assert response.status_code == 201, (value, response.text)


@pytest.mark.parametrize("model_id", list(MODELS))
def test_every_field_refuses_a_value_of_the_wrong_type(model_id, sim, http):
    spec = MODELS[model_id]
    wrong = {"str": 5, "int": "2", "float": "0.5", "bool": "true", "enum": 1, "image": 7}
    wrong["images"] = DATA_URI  # a string where a list belongs
    for f in spec.fields:
        response = post(http, sim, model_id, **{f.name: wrong[f.kind]})
        assert refused_fields(response) == [f.name]
        assert "Invalid type" in response.json()["detail"]


@pytest.mark.parametrize("model_id", list(MODELS))
def test_every_field_accepts_a_value_of_its_type(model_id, sim, http):
    spec = MODELS[model_id]
    for f in spec.fields:
        if f.kind == "images":
            value = [DATA_URI] * (f.max_items or 1)
        elif f.kind == "enum":
            value = f.choices[0]
        elif f.kind in ("int", "float") and f.minimum is not None:
            value = int(f.minimum) if f.kind == "int" else f.minimum
        else:
            value = SAMPLE[f.kind]
        response = post(http, sim, model_id, **{f.name: value})
        assert response.status_code == 201, (f.name, value, response.text)


@pytest.mark.parametrize("case", fields_of("images"), ids=case_id)
def test_an_image_list_longer_than_max_items_is_refused(case, sim, http):
    model_id, f = case
    too_many = [DATA_URI] * (f.max_items + 1)
    assert refused_fields(post(http, sim, model_id, **{f.name: too_many})) == [f.name]
    assert refused_fields(post(http, sim, model_id, **{f.name: ["not-a-uri"]})) == [f.name]


@pytest.mark.parametrize("model_id", list(MODELS))
def test_unknown_fields_are_ignored_as_the_real_api_does(model_id, sim, http):
    response = post(http, sim, model_id, not_a_field="2", another={"nested": True})
    assert response.status_code == 201
    assert response.json()["input"]["not_a_field"] == "2"
