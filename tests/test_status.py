"""Status words: progress while waiting and failures a person can act on."""

from __future__ import annotations

from comet.errors import (
    AuthenticationError,
    CometConnectionError,
    CometTimeout,
    InvalidInputError,
    PredictionFailed,
    RateLimitError,
)
from comet.prediction import Prediction
from webui.status import friendly_error, progress_line


def test_progress_states_the_real_state_and_time_against_the_typical_time():
    starting = progress_line(Prediction(id="a", status="starting"), 0.4, 6.0)
    assert "Starting" in starting and "0.4 s" in starting and "about 6 s" in starting
    overdue = progress_line(Prediction(id="a", status="processing"), 30.0, 6.0)
    assert "Generating" in overdue and "longer than the usual 6 s" in overdue
    assert "%" not in starting + overdue  # no guessed percentage to disagree with the log


def test_upstream_text_in_status_cannot_become_html():
    p = Prediction(id="a", status="processing", logs='<img src="http://x/beacon"> step `1`')
    line = progress_line(p, 1.0, 2.0)
    assert "<img" not in line and "&lt;img" in line
    failed = Prediction(id="b", status="failed", error='<img src="http://x/beacon">')
    assert "<img" not in friendly_error(PredictionFailed(failed))


def test_progress_line_shows_status_elapsed_id_and_last_log():
    p = Prediction(id="abc123", status="processing", logs="Using seed: 1\n 50%|█ | 2/4\n")
    line = progress_line(p, 1.25, 2.0)
    assert "Generating" in line and "1.2 s" in line and "abc123" in line and "2/4" in line


def test_failed_prediction_message_carries_the_models_error():
    p = Prediction(id="p1", status="failed", error="Content moderated")
    text = friendly_error(PredictionFailed(p))
    assert "Content moderated" in text and "p1" in text


def test_auth_message_says_to_check_the_key():
    assert "COMET_API_KEY" in friendly_error(AuthenticationError("401"))


def test_rate_limit_message_says_how_long_to_wait():
    assert "Wait 7 s" in friendly_error(RateLimitError("429", retry_after=7))


def test_errors_with_a_prediction_id_point_to_history():
    text = friendly_error(CometTimeout("slow", prediction_id="p9"))
    assert "p9" in text and "History" in text
    assert "History" in friendly_error(CometConnectionError("down", prediction_id="p9"))


def test_input_errors_show_the_message():
    text = friendly_error(InvalidInputError('"num_outputs" must be between 1 and 4, got 7'))
    assert "num_outputs" in text


def test_unexpected_errors_show_no_details():
    text = friendly_error(RuntimeError("secret internals"))
    assert "secret internals" not in text and "Traceback" not in text


def test_a_403_says_access_is_blocked_not_that_the_key_is_bad():
    from comet.errors import PermissionDeniedError

    text = friendly_error(PermissionDeniedError("model not enabled", status_code=403))
    assert "blocked" in text and "refused the API key" not in text
