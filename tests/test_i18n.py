"""English and Vietnamese: the one table, the language a request asks for, translated messages.

Handlers are called directly with a request whose Accept-Language asks for Vietnamese (the
browser side is tests/test_browser_i18n.py).
"""

from __future__ import annotations

import io
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
from comet.metadata import with_settings
from comet.models import MODELS, get_model, validate_input
from comet.prediction import Prediction
from comet.settings import AppSettings
from tests.support import drive
from webui import build_app
from webui.compare_tab import plan_comparison
from webui.form import ModelForm
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
from webui.image_settings import settings_from_image
from webui.inputs import build_input, check_extra, parse_extra_json, resolve_image_field
from webui.limits import RunLimiter
from webui.status import friendly_error
from webui.texts import GRADIO_KEYS, TABLE, catalogue
from webui.uploads import check_image_url, image_to_data_uri

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"
VIETNAMESE = "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"


def visitor(accept_language: str = "", session: str = "s1") -> SimpleNamespace:
    """What the handlers read of a gr.Request, with the browser's Accept-Language."""
    headers = {"accept-language": accept_language} if accept_language else {}
    return SimpleNamespace(
        session_hash=session, client=SimpleNamespace(host="127.0.0.1"), headers=headers
    )


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
KEPT_TERMS |= {"FLUX", "CometAPI", "Megapixel", "s", "qua", "cho", "sau"}  # last 3: Vietnamese
KEPT_TERMS |= {"Python", "comet", "CometClient"}  # names of code


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
        _raised(lambda: plan_comparison(" ", [SCHNELL, DEV])),
        _raised(lambda: plan_comparison("x", [SCHNELL])),
        _raised(lambda: plan_comparison("x", [SCHNELL, "flux-9000"])),
        _raised(lambda: plan_comparison("x", {"a": 1})),
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
        drive(app.generate_handlers.generate("một con diều", SCHNELL, request=visitor(VIETNAMESE)))
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
        drive(
            app.generate_handlers.generate(
                "x", SCHNELL, extra_input='{"num_outputs": 9}', request=visitor(VIETNAMESE)
            )
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
    list(drive(app.generate_handlers.generate("một con diều", SCHNELL, request=request)))
    listing = app.history_handlers.refresh(None, request)
    assert listing["history_summary"] == "**1** prediction"
    caption = listing["history_gallery"][0][1]
    assert caption.startswith("thành công · flux-schnell") and "một con diều" in caption
    stopped = app.generate_handlers.stop({"id": "abc123", "done": False}, request=request)
    assert stopped["status"].startswith("**Đã ngừng chờ.** CometAPI không có cách hủy")
    note = app.key_handlers.set_key("sk-visitor-1234", False, request)["key_note"]
    assert note == "Key của bạn chỉ được đặt cho phiên trình duyệt này; nó không được lưu ở đâu cả."
    assert app.key_handlers.restore_key("", request=request)["banner"].startswith("**Chế độ demo**")


def test_switching_model_describes_it_in_the_requests_language(app):
    form = app.generate_handlers.form
    updates = form.switch_model(SCHNELL, "black-forest-labs/flux-dev", visitor(VIETNAMESE))
    assert updates["model_info"].startswith("**FLUX.1 [dev]** · FLUX.1 trọng số mở")
    assert updates["model_info"].endswith(" · nhận tối đa 1 ảnh đầu vào")
    english = form.switch_model(SCHNELL, "black-forest-labs/flux-dev")["model_info"]
    assert english.endswith(" · takes up to 1 input image(s)")


# -- Compare and "Load settings from an image" answer in the request's language ----------------


def _compare(app, models, request=None, **kwargs) -> list[dict]:
    request = request or visitor(VIETNAMESE)
    return list(app.compare_handlers.compare("một con diều", models, request=request, **kwargs))


def _notes(update: dict) -> list[str]:
    return [update[f"note{i}"] for i in range(4) if update.get(f"note{i}")]


def test_a_comparison_with_a_vietnamese_request_says_everything_in_vietnamese(app):
    updates = _compare(app, [SCHNELL, "flux-dev"], seed=7)
    first, final = updates[0], updates[-1]
    assert first["compare_status"] == "**Đang so sánh 2 mô hình…** 0.0 s · seed 7 cho mọi mô hình"
    assert _notes(first) == ["**Đang gửi…** · `flux-schnell`", "**Đang gửi…** · `flux-dev`"]
    assert first["images0"]["value"][0][1] == "Đang tạo…"
    assert final["compare_status"].startswith("**Đã xong sau ")
    assert final["compare_status"].endswith(
        " s** · 2/2 thành công · seed 7 cho mọi mô hình · mỗi lượt chạy đều có trong Lịch sử"
    )
    for note in _notes(final):
        assert note.startswith("**Thành công sau ") and "· 1 ảnh · seed 7 · ảnh minh họa" in note
        assert "\n\nprediction `" in note
    said = [v for u in updates for k, v in u.items() if k.startswith(("note", "compare_status"))]
    english = ("Comparing", "Submitting", "usually", "Succeeded", "Done", "every model", "image")
    assert [s for s in said if any(word in s for word in english)] == []


@pytest.mark.parametrize(
    ("models", "prompt", "expected"),
    [
        ([SCHNELL, DEV], " ", "Hãy nhập prompt: prompt được gửi tới mọi mô hình."),
        ([SCHNELL], "x", "Hãy chọn từ 2 đến 4 mô hình để so sánh (bạn đã chọn 1)."),
        ({"a": 1}, "x", "Danh sách mô hình phải là một danh sách id mô hình."),
        ([SCHNELL, DEV], "x" * 2001, "Prompt dài 2,001 ký tự; giới hạn là 2,000."),
    ],
    ids=["no prompt", "one model", "not a list", "long prompt"],
)
def test_a_comparison_refused_is_explained_in_vietnamese(app, models, prompt, expected):
    [update] = list(app.compare_handlers.compare(prompt, models, request=visitor(VIETNAMESE)))
    assert update == {"compare_status": f"**Hãy kiểm tra đầu vào.** {expected}"}


def test_an_unknown_model_to_compare_is_named_in_the_requests_language(app):
    [update] = list(
        app.compare_handlers.compare("x", [SCHNELL, "flux-9000"], request=visitor(VIETNAMESE))
    )
    assert update["compare_status"].startswith(
        '**Hãy kiểm tra đầu vào.** Không có mô hình "flux-9000". Hãy chọn trong số: flux-schnell,'
    )
    # Without a request (an API caller's without Accept-Language): English, as before.
    [update] = list(app.compare_handlers.compare("x", [SCHNELL, "1", 2, 3, 4, 5, 6] * 3))
    assert "Choose 2 to 4 models to compare (you chose 21)." in update["compare_status"]


def test_a_failed_column_and_a_limit_are_said_in_vietnamese(tmp_path, simulator):
    settings = AppSettings(
        output_dir=tmp_path / "outputs",
        poll_interval=0.02,
        owner_key="sk-owner-i18n-compare-1234",
        base_url=simulator.base_url,
        max_runs_per_hour=2,
        max_concurrent_per_visitor=0,
    )
    built = build_app(settings)
    try:
        simulator.fail_next("NSFW content detected")
        final = _compare(built, [SCHNELL, DEV, "flux-pro"])[-1]
        assert " · 1/3 thành công · seed " in final["compare_status"]
        notes = _notes(final)
        [failed] = [n for n in notes if n.startswith("**Mô hình không tạo được ảnh này.**")]
        assert "NSFW content detected" in failed and re.search(r"\n\n_sau \d+\.\d s_$", failed)
        [refused] = [n for n in notes if n.startswith("**Đã đạt giới hạn.**")]
        assert "Bạn đã dùng hết 2 lượt chạy của ứng dụng trong giờ này" in refused
    finally:
        built.close()


def test_stopping_a_comparison_is_said_in_vietnamese(app):
    state = {"done": False, "runs": [{"id": "abc123", "done": False}, {"id": None}]}
    stopped = app.compare_handlers.stop(state, visitor(VIETNAMESE))
    assert stopped["note0"].startswith("**Đã ngừng chờ.** CometAPI không có cách hủy")
    assert "`abc123`" in stopped["note0"]
    assert stopped["note1"].startswith("Đã dừng trước khi prediction của mô hình này được tạo")
    assert stopped["compare_status"].startswith("**Đã dừng.** Các prediction đã được tạo")
    assert app.compare_handlers.stop(state)["compare_status"].startswith("**Stopped.**")


def _image_with(tmp_path: Path, document: dict | None, name: str = "saved.png") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, "PNG")
    data = buffer.getvalue() if document is None else with_settings(buffer.getvalue(), document)
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_loading_settings_from_an_image_answers_in_vietnamese(tmp_path):
    form, request = ModelForm(), visitor(VIETNAMESE)
    document = {
        "model": SCHNELL,
        "prediction_id": "p42",
        "input": {"prompt": "x", "seed": 5, "aspect_ratio": "99:1"},
    }
    updates = settings_from_image(form, _image_with(tmp_path, document), request)
    assert updates["settings_note"] == (
        "Đã lấy thiết lập của **saved.png**: FLUX.1 [schnell], seed 5 (prediction `p42`). "
        "Được để ở giá trị mặc định (không hợp lệ ở đây): Tỉ lệ khung hình."
    )
    assert updates["model_info"].startswith("**FLUX.1 [schnell]** · ")
    assert updates["model_info"] == text("model.flux-schnell.info", "vi")
    other = {"model": "someone/else", "input": {"prompt": "x"}}
    assert settings_from_image(form, _image_with(tmp_path, other), request)["settings_note"] == (
        "**saved.png** được tạo bằng `someone/else`, mô hình mà ứng dụng này không có, nên "
        "không có gì thay đổi."
    )
    plain = settings_from_image(form, _image_with(tmp_path, None), request)["settings_note"]
    assert plain.startswith("**Ảnh này không chứa thiết lập nào của ứng dụng này.**")
    notes = tmp_path / "notes.txt"
    notes.write_text("just notes")
    assert settings_from_image(form, str(notes), request)["settings_note"] == (
        "**Tệp đó không phải ảnh PNG, JPEG hay WebP**, nên không chứa thiết lập nào để lấy."
    )


def test_an_uploaded_input_image_is_asked_for_again_in_vietnamese(tmp_path):
    document = {
        "model": "black-forest-labs/flux-kontext-pro",
        "input": {"prompt": "x", "input_image": "data:image/png;base64,AAAA"},
    }
    path = _image_with(tmp_path, document)
    note = settings_from_image(ModelForm(), path, visitor(VIETNAMESE))["settings_note"]
    assert note.startswith("Đã lấy thiết lập của **saved.png**: FLUX.1 Kontext [pro].")
    assert note.endswith(
        " Ảnh đầu vào là một ảnh tải lên, mà tệp này không lưu giữ: hãy thêm lại ảnh đó."
    )


def test_tab_titles_and_example_headers_are_set_on_page_load_in_the_visitors_language():
    from webui.builder import first_rendered_words

    *tabs, examples = first_rendered_words(visitor("vi-VN,vi;q=0.9"))
    assert [u["label"] for u in tabs] == [
        text(key, "vi") for key in ("tab.generate", "tab.compare", "tab.history")
    ]
    assert examples["headers"] == [text("gen.prompt", "vi"), text("gen.model", "vi")]
    *tabs, examples = first_rendered_words(None)
    assert [u["label"] for u in tabs] == ["Generate", "Compare", "History"]
    assert examples["headers"] == ["Prompt", "Model"]
