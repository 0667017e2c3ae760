"""Every catalogue model's defaults make a request the simulator accepts and runs."""

from __future__ import annotations

import pytest

from comet.form import build_input
from comet.models import MODELS


@pytest.mark.parametrize("model_id", list(MODELS))
def test_defaults_validate_and_the_simulator_runs_them(model_id, simulator, client_for):
    spec = MODELS[model_id]
    values = build_input(model_id, "a lighthouse", spec.defaults(), seed=5, randomize_seed=False)
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
