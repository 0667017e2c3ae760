"""Every documented response body parses into the right Prediction, whatever its fields hold."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from comet.prediction import Prediction, normalise_output, normalise_status, parse_time
from tests.support import load_fixture

DELIVERY = "https://replicate.delivery/xezq/example"
MODERATED = "Content moderated: the request was flagged by the provider's safety filter."
# fmt: off
DOCUMENTED = [  # (fixture, status, output, seed, error)
    ("create_flux_schnell.json", "starting", [], None, None),
    ("query_processing.json", "processing", [], 29889, None),
    ("query_succeeded_list_output.json", "succeeded", [f"{DELIVERY}/out-0.jpg"], 29889, None),
    ("query_succeeded_string_output.json", "succeeded", [f"{DELIVERY}/tmpabc.jpg"], 29889, None),
    ("query_failed.json", "failed", [], None, MODERATED),
]
OUTPUTS = [  # (the API's output, as a list of URLs)
    (None, []), ("", []), (7, []), ({"other": "https://x/a.png"}, []),
    ("https://x/a.png", ["https://x/a.png"]),
    (["https://x/a.png", "https://x/b.png"], ["https://x/a.png", "https://x/b.png"]),
    ("data:image/png;base64,AAAA", ["data:image/png;base64,AAAA"]),
    ({"images": ["https://x/a.png"]}, ["https://x/a.png"]),  # a proxy's wrapping
    ({"url": "https://x/a.png"}, ["https://x/a.png"]),
    ([None, 3, ("https://x/a.png",)], ["https://x/a.png"]),
]
# fmt: on


@pytest.mark.parametrize(("fixture", "status", "output", "seed", "error"), DOCUMENTED)
def test_every_documented_body_parses(fixture, status, output, seed, error):
    body = load_fixture(fixture)
    prediction = Prediction.from_json(body)
    assert (prediction.id, prediction.model) == (body["id"], body["model"])
    assert (prediction.status, prediction.output, prediction.seed) == (status, output, seed)
    assert prediction.error == error
    assert prediction.done is (status in ("succeeded", "failed"))
    assert prediction.succeeded is (status == "succeeded")
    assert prediction.input == body["input"] and prediction.urls == body["urls"]
    assert (prediction.created_at, prediction.completed_at) == (
        body["created_at"],
        body.get("completed_at"),
    )
    assert prediction.to_dict()["output"] == output


def test_odd_or_missing_fields_are_tolerated_and_a_body_without_an_id_refused():
    odd = Prediction.from_json(
        {
            "id": 42,
            "status": None,
            "input": "not a dict",
            "logs": ["not", "text"],
            "metrics": [],
            "urls": None,
            "error": {"message": "boom"},
            "surprise": {"x": 1},
        }
    )
    assert (odd.id, odd.model, odd.status, odd.error) == ("42", "", "starting", "boom")
    assert (odd.input, odd.output, odd.logs, odd.metrics, odd.urls) == ({}, [], "", {}, {})
    assert Prediction.from_json({"id": "a", "error": ["x"]}).error == "['x']"
    assert Prediction.from_json({"id": "a", "error": ""}).error is None
    for body in ({"status": "starting"}, {"id": ""}, ["id"], None):
        with pytest.raises(ValueError):
            Prediction.from_json(body)


@pytest.mark.parametrize(("raw", "expected"), OUTPUTS)
def test_output_is_always_a_list_of_strings(raw, expected):
    assert normalise_output(raw) == expected


def test_status_is_one_of_the_five_and_an_unknown_one_counts_as_running(caplog):
    cases = {
        "succeeded": "succeeded",
        " SUCCEEDED ": "succeeded",
        "cancelled": "canceled",
        "queued": "starting",
        "in_progress": "processing",
        "completed": "succeeded",
        "error": "failed",
        None: "starting",
    }
    assert {raw: normalise_status(raw) for raw in cases} == cases
    caplog.set_level(logging.WARNING)
    assert normalise_status("weird-new-state") == "processing"
    assert "Unknown prediction status 'weird-new-state'" in caplog.text


def test_timestamps_parse_with_any_fraction_and_no_zone_means_utc():
    utc = timezone.utc
    assert parse_time("2026-03-12T11:27:18.258Z") == datetime(2026, 3, 12, 11, 27, 18, 258000, utc)
    assert parse_time("2026-03-12T11:27:18.123456789z") == datetime(
        2026, 3, 12, 11, 27, 18, 123456, utc
    )
    assert parse_time("2026-03-12T11:27:18") == datetime(2026, 3, 12, 11, 27, 18, tzinfo=utc)
    assert parse_time("2026-03-12T13:27:18+02:00").utcoffset() == timedelta(hours=2)
    for unreadable in (None, "", "yesterday", 1700000000):
        assert parse_time(unreadable) is None


def test_the_seed_comes_from_the_input_else_from_the_logs():
    both = Prediction.from_json({"id": "a", "input": {"seed": 7}, "logs": "Using seed: 9\n"})
    assert both.seed == 7
    logged = Prediction.from_json({"id": "a", "input": {"seed": True}, "logs": "using SEED: -9\n"})
    assert logged.seed == -9
    assert Prediction(id="a").seed is None
    assert Prediction(id="a", logs="one\n  two  \n\n").last_log_line == "two"
    assert Prediction(id="a").last_log_line == ""
