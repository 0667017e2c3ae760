"""Contract tests: every documented response body parses into the right Prediction."""

from __future__ import annotations

import pytest

from comet.prediction import Prediction, normalise_output, normalise_status
from tests.support import load_fixture


def test_create_response_is_starting_with_no_output():
    p = Prediction.from_json(load_fixture("create_flux_schnell.json"))
    assert p.id == "q4chw5rey9rmt0cww76t4h3ma4"
    assert p.model == "black-forest-labs/flux-schnell"
    assert p.status == "starting"
    assert p.output == []
    assert not p.done and not p.succeeded
    assert p.input["aspect_ratio"] == "1:1"
    assert p.urls["get"].endswith("/q4chw5rey9rmt0cww76t4h3ma4")


def test_processing_response_keeps_logs_and_seed():
    p = Prediction.from_json(load_fixture("query_processing.json"))
    assert p.status == "processing"
    assert p.seed == 29889
    assert p.last_log_line == "Using seed: 29889"
    assert p.started_at == "2026-03-12T11:27:18.902Z"
    assert p.completed_at is None


def test_list_output_is_kept_as_list():
    p = Prediction.from_json(load_fixture("query_succeeded_list_output.json"))
    assert p.succeeded and p.done
    assert p.output == ["https://replicate.delivery/xezq/example/out-0.jpg"]
    assert p.metrics == {"image_count": 1, "predict_time": 0.83}


def test_string_output_becomes_a_one_item_list():
    p = Prediction.from_json(load_fixture("query_succeeded_string_output.json"))
    assert p.succeeded
    assert p.output == ["https://replicate.delivery/xezq/example/tmpabc.jpg"]
    assert p.seed == 29889


def test_failed_response_keeps_error_text():
    p = Prediction.from_json(load_fixture("query_failed.json"))
    assert p.status == "failed" and p.done and not p.succeeded
    assert "Content moderated" in p.error
    assert p.output == []


def test_unknown_fields_ignored_and_missing_ones_tolerated():
    p = Prediction.from_json({"id": "abc", "surprise": {"x": 1}})
    assert p.status == "starting"
    assert p.input == {} and p.output == [] and p.logs == "" and p.metrics == {}


def test_body_without_id_is_refused():
    with pytest.raises(ValueError):
        Prediction.from_json({"status": "starting"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, []),
        ("", []),
        ("https://x/a.png", ["https://x/a.png"]),
        (["https://x/a.png", "https://x/b.png"], ["https://x/a.png", "https://x/b.png"]),
        ("data:image/png;base64,AAAA", ["data:image/png;base64,AAAA"]),
        ({"images": ["https://x/a.png"]}, ["https://x/a.png"]),
        ([None, 3, "https://x/a.png"], ["https://x/a.png"]),
    ],
)
def test_output_is_always_a_list_of_strings(raw, expected):
    assert normalise_output(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("succeeded", "succeeded"),
        ("SUCCEEDED", "succeeded"),
        ("cancelled", "canceled"),
        ("queued", "starting"),
        ("weird-new-state", "processing"),
        (None, "starting"),
    ],
)
def test_status_is_one_of_the_five(raw, expected):
    assert normalise_status(raw) == expected


def test_error_object_becomes_text():
    p = Prediction.from_json({"id": "a", "status": "failed", "error": {"message": "boom"}})
    assert p.error == "boom"


def test_seed_from_input_wins_over_logs():
    p = Prediction.from_json({"id": "a", "input": {"seed": 7}, "logs": "Using seed: 9\n"})
    assert p.seed == 7
