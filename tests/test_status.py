"""Status words (webui/status.py): progress while waiting, failures a person can act on."""

from __future__ import annotations

import pytest

from comet.errors import (
    AuthenticationError,
    CometConnectionError,
    CometTimeout,
    InvalidInputError,
    PermissionDeniedError,
    PredictionFailed,
    RateLimitError,
)
from comet.prediction import Prediction
from webui.status import friendly_error, progress_line


def test_progress_states_the_real_state_and_time_against_the_typical_time():
    starting = progress_line(Prediction(id="a", status="starting"), 0.4, 6.0)
    assert starting == "**Starting (waiting for a worker)…** 0.4 s · usually about 6 s\n\n" + (
        "prediction `a`"
    )
    overdue = progress_line(Prediction(id="a", status="processing"), 30.0, 6.0)
    assert "Generating" in overdue and "longer than the usual 6 s" in overdue
    assert "%" not in starting + overdue  # no guessed percentage to disagree with the log


def test_the_models_last_log_line_is_shown_as_text_never_as_html():
    logs = 'Using seed: 1\n<img src="http://x/beacon"> step `1`  of\t4\n'
    line = progress_line(Prediction(id="abc123", status="processing", logs=logs), 1.25, 2.0)
    assert line.endswith("Log: `<img src=\"http://x/beacon\"> step '1' of 4`")  # a code span
    failed = Prediction(id="b", status="failed", error='<img src="http://x/beacon">')
    assert "<img" not in friendly_error(PredictionFailed(failed))


def test_a_failed_prediction_says_the_models_error_and_its_id():
    failed = Prediction(id="p1", status="failed", error="Content moderated")
    text = friendly_error(PredictionFailed(failed))
    assert "Content moderated" in text and "`p1`" in text


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (AuthenticationError("401"), "COMET_API_KEY"),
        (PermissionDeniedError("model not enabled", status_code=403), "blocked"),
        (RateLimitError("429", retry_after=7), "Wait 7 s"),
        (InvalidInputError('"num_outputs" must be between 1 and 4, got 7'), '"num_outputs"'),
        (CometTimeout("slow", prediction_id="p9"), "`p9`"),
        (CometConnectionError("down", prediction_id="p9"), "History"),
    ],
)
def test_each_kind_of_failure_says_what_to_do(error, said):
    assert said in friendly_error(error)


def test_a_403_does_not_say_the_key_is_bad():
    assert "refused the API key" not in friendly_error(PermissionDeniedError("no", status_code=403))


def test_unexpected_errors_show_no_details():
    text = friendly_error(RuntimeError("secret internals"))
    assert "secret internals" not in text and "Traceback" not in text
