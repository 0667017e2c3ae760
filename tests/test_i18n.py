"""English and Vietnamese: the one table, the language a request asks for, translated messages.

Handlers are called directly with a request whose Accept-Language asks for Vietnamese (the
browser side is tests/test_browser_i18n.py).
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from comet.errors import (
    CometConnectionError,
    CometError,
    InvalidInputError,
    PredictionFailed,
    RateLimitError,
)
from comet.models import MODELS, get_model, validate_input
from comet.prediction import Prediction
from comet.settings import AppSettings
from webui import build_app
from webui.i18n import (
    browser_texts,
    filled,
    gradio_i18n,
    language,
    placeholders,
    text,
    translate_message,
    ui,
)
from webui.inputs import build_input, check_extra, parse_extra_json, resolve_image_field
from webui.limits import RunLimiter
from webui.status import friendly_error
from webui.texts import GRADIO_KEYS, TABLE, catalogue
from webui.uploads import check_image_url, image_to_data_uri

SCHNELL = "black-forest-labs/flux-schnell"
VIETNAMESE = "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"


def visitor(accept_language: str = "", session: str = "s1") -> SimpleNamespace:
    """What the handlers read of a gr.Request, with the browser's Accept-Language."""
    headers = {"accept-language": accept_language} if accept_language else {}
    return SimpleNamespace(
        session_hash=session, client=SimpleNamespace(host="127.0.0.1"), headers=headers
    )


@pytest.fixture
def app(tmp_path, simulator):
    built = build_app(
        AppSettings(output_dir=tmp_path / "outputs", poll_interval=0.02),
        demo_base_url=simulator.base_url,
    )
    yield built
    built.close()


# -- the table ----------------------------------------------------------------------------------


def test_both_languages_have_the_same_keys_and_the_same_placeholders():
    translations = gradio_i18n().translations_dict
    assert set(translations) == {"en", "vi"}
    assert translations["en"].keys() == translations["vi"].keys()
    for key, (english, vietnamese) in TABLE.items():
        assert english.strip() and vietnamese.strip(), key
        assert placeholders(english) == placeholders(vietnamese), key
        for template in (english, vietnamese):
            list(string.Formatter().parse(template))  # a stray brace raises ValueError


# Words a Vietnamese text may share with English: names and the terms Vietnamese UIs keep.
KEPT_TERMS = {"API", "key", "Seed", "seed", "curl", "prediction", "demo", "Guidance"}
KEPT_TERMS |= {"FLUX", "CometAPI", "Megapixel", "s", "qua", "cho"}  # the last two: Vietnamese


def test_no_vietnamese_text_is_english_left_in_place():
    """A Vietnamese text without a Vietnamese letter may only hold names and kept terms."""
    for key, (_, vietnamese) in TABLE.items():
        if not vietnamese.isascii():
            continue
        literal = "".join(piece for piece, *_ in string.Formatter().parse(vietnamese))
        words = set(re.findall(r"[A-Za-z]+", literal))
        assert words <= KEPT_TERMS, f"{key}: {vietnamese!r} looks untranslated"


def test_the_browser_gets_finished_texts_and_gradio_keys_as_gradio_writes_them():
    english, vietnamese = browser_texts("en"), browser_texts("vi")
    assert english["gen.extra_input_help"].endswith('`{"guidance": 3.5}`.')  # braces undoubled
    assert vietnamese["tab.history"] == "Lịch sử"
    assert vietnamese["status.queue_position"] == "Đang xếp hàng: {position}/{size}"
    assert "gen.succeeded" not in english  # a template with values is the server's to fill
    assert GRADIO_KEYS <= english.keys()


def test_every_catalogue_text_has_vietnamese_and_none_is_left_over():
    used = set()
    for spec in MODELS.values():
        used.add(spec.description)
        for field in spec.fields:
            used |= {field.label, field.help}
    assert used == set(catalogue.VIETNAMESE)
    assert TABLE["model.flux-dev.guidance.label"] == ("Guidance", "Guidance")
    assert TABLE["model.flux-2-pro.upload_label"] == (
        "Reference images (up to 8)",
        "Ảnh tham chiếu (tối đa 8)",
    )


def test_ui_gives_gradio_a_key_and_refuses_unknown_keys_and_templates():
    assert ui("tab.history").key == "tab.history"
    with pytest.raises(KeyError):
        ui("no.such.key")
    with pytest.raises(ValueError, match="not a static text"):
        ui("gen.succeeded")
    with pytest.raises(ValueError, match="not a static text"):
        ui("msg.demo_gone")  # error messages are translated on the server


def test_a_text_filled_at_build_time_reaches_the_browser_in_both_languages():
    data = filled("banner.owner", base_url="https://api.example")
    translations = gradio_i18n().translations_dict
    assert "`https://api.example`" in translations["vi"][data.key]
    assert translations["vi"][data.key].startswith("**CometAPI** · yêu cầu được gửi tới")
    assert translations["en"][data.key] == "**CometAPI** · requests go to `https://api.example`."


def test_text_fills_values_and_falls_back_to_english():
    assert text("gen.saving", "vi", saved=1, total=2, seconds="0.5").startswith("**Đang lưu")
    assert text("gen.submitting", "fr") == text("gen.submitting") == "Submitting…"
    assert text("gen.submitting", None) == "Submitting…"


# -- the language a request asks for ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"),
        ("vi", "vi"),
        ("VI-vn", "vi"),
        ("en-US,en;q=0.9,vi;q=0.8", "en"),
        ("en;q=0.5, vi;q=0.9", "vi"),  # the higher q wins, not the first
        ("fr-FR,fr;q=0.9,vi;q=0.5", "vi"),  # French first, but of ours Vietnamese
        ("fr-FR,de", "en"),  # neither: English
        ("vi;q=0, en", "en"),  # q=0 means "not this"
        ("vi;q=abc, en;q=0.1", "en"),  # a broken q counts as 0
        ("", "en"),
        ("*", "en"),
    ],
)
def test_language_reads_accept_language_with_its_q_values(header, expected):
    assert language(visitor(header)) == expected


def test_language_without_a_request_is_english():
    assert language(None) == "en"
    assert language(SimpleNamespace(headers=None)) == "en"


# -- messages translated at the UI edge ---------------------------------------------------------


def test_friendly_errors_are_translated_and_english_stays_as_it_was():
    error = InvalidInputError('"num_outputs" must be a whole number between 1 and 4, got 7')
    english = friendly_error(error)
    assert english == (
        '**Please check the input.** "num_outputs" must be a whole number between 1 and 4, got 7'
    )
    assert friendly_error(error, "vi") == (
        '**Hãy kiểm tra đầu vào.** "num_outputs" phải là một số nguyên từ 1 đến 4, '
        "nhưng nhận được 7"
    )
    assert "Hãy chờ 7 s rồi thử lại." in friendly_error(RateLimitError("429", retry_after=7), "vi")
    down = friendly_error(CometConnectionError("down", prediction_id="p9"), "vi")
    assert "Không kết nối được CometAPI" in down and "`p9`" in down and "Lịch sử" in down


def test_upstream_words_stay_as_they_came_inside_a_translated_sentence():
    failed = Prediction(id="p1", status="failed", error="NSFW content detected <b>")
    message = friendly_error(PredictionFailed(failed), "vi")
    assert message.startswith("**Mô hình không tạo được ảnh này.** NSFW content detected &lt;b&gt;")
    assert "(prediction `p1`)" in message


def _raised(action) -> str:
    with pytest.raises(CometError) as caught:
        action()
    return caught.value.message


def _limit_message() -> str:
    limiter = RunLimiter(max_runs_per_hour=1, max_concurrent=5)
    limiter.acquire(["a"], count_towards_hourly=True)
    return _raised(lambda: limiter.acquire(["a"], count_towards_hourly=True))


def _upload_message(tmp_path: Path, name: str, make) -> str:
    path = tmp_path / name
    make(path)
    return _raised(lambda: image_to_data_uri(path, field="image"))


def _messages(tmp_path: Path) -> list[str]:
    """Messages as the real code words them: each must be one the table knows."""
    dev = get_model("flux-dev")
    return [
        _limit_message(),
        _raised(lambda: validate_input(SCHNELL, {"prompt": "x", "num_outputs": 7})),
        _raised(lambda: validate_input(SCHNELL, {"prompt": "x", "num_outputs": "many"})),
        _raised(lambda: validate_input(SCHNELL, {"prompt": "x", "aspect_ratio": "7:1"})),
        _raised(lambda: validate_input(SCHNELL, {"prompt": "x", "go_fast": "maybe"})),
        _raised(lambda: validate_input(SCHNELL, {"prompt": ""})),
        _raised(lambda: validate_input(SCHNELL, {"prompt": "x", "guidanse": 3})),
        _raised(lambda: build_input(SCHNELL, "", {})),
        _raised(lambda: build_input(SCHNELL, "x" * 2001, {})),
        _raised(lambda: build_input(SCHNELL, "x", {}, extra_json="{oops")),
        _raised(lambda: build_input(SCHNELL, "x", {}, extra_json="[1]")),
        _raised(lambda: build_input(SCHNELL, "x", {}, extra_json='{"num_outputs": 9}')),
        _raised(lambda: parse_extra_json('{"a": [[1]]}')),
        _raised(lambda: parse_extra_json('{"a": {"b": 1}}')),
        _raised(lambda: parse_extra_json('{"a": NaN}')),
        _raised(lambda: check_extra(get_model(SCHNELL), {"bad name": 1})),
        _raised(lambda: resolve_image_field(dev, None, "https://a.example/1.png\nhttps://b/2")),
        _raised(lambda: check_image_url("ftp://x", field="image")),
        _raised(lambda: parse_extra_json('{"a": [' + ",".join(["1"] * 20) + "]}")),
        _raised(lambda: parse_extra_json('{"a": ' + "9" * 50 + "}")),
        _raised(lambda: check_extra(get_model(SCHNELL), {"num_outputs": [1]})),
        _raised(lambda: check_extra(get_model(SCHNELL), {"x": 2**70})),
        _raised(
            lambda: build_input(SCHNELL, "x", {}, extra_json='{"prompt": "' + "y" * 2001 + '"}')
        ),
        _raised(lambda: image_to_data_uri(tmp_path / "gone.png", field="image")),
        _upload_message(tmp_path, "a.png", lambda p: p.write_bytes(b"not an image")),
        _upload_message(
            tmp_path, "b.bmp", lambda p: Image.new("RGB", (4, 4)).save(p, format="BMP")
        ),
    ]


def test_the_messages_the_code_raises_are_all_known_to_the_table(tmp_path):
    for message in _messages(tmp_path):
        translated = translate_message(message, "vi")
        assert translated != message, f"not in the table: {message}"
        assert translate_message(message, "en") == message


def test_a_message_inside_a_message_is_translated_too():
    retry = "Could not reach http://h: connection refused Retrying in 1.5 s."
    assert translate_message(retry, "vi") == (
        "Không kết nối được tới http://h: connection refused Thử lại sau 1.5 s."
    )
    assert translate_message("Nobody wrote this sentence.", "vi") == "Nobody wrote this sentence."


# -- handlers answer in the request's language --------------------------------------------------


def test_generate_with_a_vietnamese_request_says_everything_in_vietnamese(app):
    updates = list(
        app.generate_handlers.generate("một con diều", SCHNELL, request=visitor(VIETNAMESE))
    )
    assert updates[0]["status"] == "Đang gửi…"
    assert updates[0]["gallery"][0][1] == "Đang tạo…"
    final = updates[-1]["status"]
    assert final.startswith("**Thành công sau ") and "· 1 ảnh · seed " in final
    assert final.endswith(" · ảnh minh họa demo")
    waiting = [u["status"] for u in updates[1:-1] if "prediction `" in u["status"]]
    assert waiting and all("Succeeded" not in s and "usually" not in s for s in waiting)


def test_a_refused_input_is_explained_in_vietnamese(app):
    updates = list(
        app.generate_handlers.generate(
            "x", SCHNELL, extra_input='{"num_outputs": 9}', request=visitor(VIETNAMESE)
        )
    )
    assert updates[-1]["status"] == (
        '**Hãy kiểm tra đầu vào.** Đầu vào bổ sung (JSON): "num_outputs" phải là một giá trị '
        "từ 1 đến 4, nhưng nhận được 9"
    )


def test_history_stop_and_keys_answer_in_vietnamese(app):
    request = visitor(VIETNAMESE)
    assert app.history_handlers.refresh(None, request)["history_summary"] == (
        "Chưa có prediction nào."
    )
    list(app.generate_handlers.generate("một con diều", SCHNELL, request=request))
    listing = app.history_handlers.refresh(None, request)
    assert listing["history_summary"] == "**1** prediction"
    caption = listing["history_gallery"][0][1]
    assert caption.startswith("thành công · flux-schnell") and "một con diều" in caption
    stopped = app.generate_handlers.stop({"id": "abc123", "done": False}, request)
    assert stopped["status"].startswith("**Đã ngừng chờ.** CometAPI không có cách hủy")
    note = app.key_handlers.set_key("sk-visitor-1234", False, request)["key_note"]
    assert note == "Key của bạn chỉ được đặt cho phiên trình duyệt này; nó không được lưu ở đâu cả."
    assert app.key_handlers.restore_key("", request)["banner"].startswith("**Chế độ demo**")


def test_switching_model_describes_it_in_the_requests_language(app):
    form = app.generate_handlers.form
    updates = form.switch_model(SCHNELL, "black-forest-labs/flux-dev", visitor(VIETNAMESE))
    assert updates["model_info"].startswith("**FLUX.1 [dev]** · FLUX.1 trọng số mở")
    assert updates["model_info"].endswith(" · nhận tối đa 1 ảnh đầu vào")
    english = form.switch_model(SCHNELL, "black-forest-labs/flux-dev")["model_info"]
    assert english.endswith(" · takes up to 1 input image(s)")
