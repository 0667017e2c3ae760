"""English and Vietnamese: the one table, the language a request asks for, messages by code.

Handlers are called directly with a request whose Accept-Language asks for Vietnamese (the
browser side is tests/test_browser_i18n.py).
"""

from __future__ import annotations

import io
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
import requests
import responses
from PIL import Image

from comet import CometClient
from comet._redact import Redactor
from comet.errors import CometError, PredictionFailed
from comet.jobs import start_job
from comet.messages import ENGLISH, Message, message
from comet.metadata import with_settings
from comet.models import MODELS, get_model, validate_input
from comet.prediction import Prediction
from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.page_support import Page
from tests.support import FakeClock, drive
from webui.budget import DailyBudget
from webui.compare_tab import plan_comparison
from webui.form import ModelForm
from webui.i18n import (
    browser_texts,
    filled,
    gradio_i18n,
    language,
    msg,
    placeholders,
    text,
    translated,
    ui,
)
from webui.image_settings import settings_from_image
from webui.inputs import build_input, check_extra, parse_extra_json, resolve_image_field
from webui.limits import RunLimiter
from webui.run_loop import follow_run
from webui.status import friendly_error, progress_line
from webui.texts import GRADIO_KEYS, TABLE, catalogue
from webui.uploads import check_image_url, image_to_data_uri

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"
VIETNAMESE = "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"
BASE = "https://comet.example"
CREATE = f"{BASE}/replicate/v1/models/{SCHNELL}/predictions"
GET = f"{BASE}/replicate/v1/predictions/q4chw5rey9rmt0cww76t4h3ma4"


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


def test_every_comet_code_has_vietnamese_with_comets_english_and_its_placeholders():
    for code, english in ENGLISH.items():
        assert f"msg.{code}" in TABLE, f"no Vietnamese for comet's {code!r}"
        table_english, vietnamese = TABLE[f"msg.{code}"]
        assert table_english == english, code  # taken from comet, so it cannot drift
        assert placeholders(vietnamese) == placeholders(english), code


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
    assert "msg.extra.not_object" not in english  # messages are worded on the server
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
        ui("msg.key.bad")  # messages are worded on the server


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


# -- messages worded by their code --------------------------------------------------------------


def _raised(action: Callable[[], object]) -> CometError:
    with pytest.raises(CometError) as caught:
        action()
    return caught.value


def _codes(said: Message) -> Iterator[str]:
    yield said.code
    for value in said.values.values():
        if isinstance(value, Message):
            yield from _codes(value)


def _local_errors(tmp_path: Path) -> list[CometError]:
    """An error of each kind the app refuses before sending anything, as the code raises it."""
    hourly = RunLimiter(max_runs_per_hour=1, max_concurrent=0)
    hourly.acquire(["a"], count_towards_hourly=True)
    at_once = RunLimiter(max_runs_per_hour=0, max_concurrent=1)
    at_once.acquire(["a"], count_towards_hourly=False)
    budget = DailyBudget(1, tmp_path)
    budget.charge()
    not_an_image, bmp, png = tmp_path / "a.png", tmp_path / "b.bmp", tmp_path / "c.png"
    not_an_image.write_bytes(b"not an image")
    Image.new("RGB", (4, 4)).save(bmp, format="BMP")
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    dev, schnell = get_model("flux-dev"), get_model(SCHNELL)
    actions = [
        lambda: hourly.acquire(["a"], count_towards_hourly=True),
        lambda: at_once.acquire(["a"], count_towards_hourly=False),
        budget.charge,
        lambda: validate_input(SCHNELL, {"prompt": "x", "num_outputs": 7}),
        lambda: validate_input(SCHNELL, {"prompt": "x", "num_outputs": "many"}),
        lambda: validate_input(SCHNELL, {"prompt": "x", "aspect_ratio": "7:1"}),
        lambda: validate_input(SCHNELL, {"prompt": "x", "go_fast": "maybe"}),
        lambda: validate_input(SCHNELL, {"prompt": ""}),
        lambda: validate_input(SCHNELL, {"prompt": "x", "guidanse": 3}),
        lambda: validate_input("nobody/nothing", {"prompt": "x"}),
        lambda: build_input(SCHNELL, "x" * 2001, {}),
        lambda: build_input(SCHNELL, "x", {}, extra_json="{oops"),
        lambda: build_input(SCHNELL, "x", {}, extra_json='{"num_outputs": 9}'),
        lambda: build_input("someone/else", "", {}),
        lambda: parse_extra_json('{"a": [[1]]}'),
        lambda: parse_extra_json('{"a": ' + "9" * 50 + "}"),
        lambda: check_extra(schnell, {"bad name": 1}),
        lambda: resolve_image_field(dev, None, "https://a.example/1.png\nhttps://b/2"),
        lambda: check_image_url("ftp://x", field="image"),
        lambda: image_to_data_uri(tmp_path / "gone.png", field="image"),
        lambda: image_to_data_uri(not_an_image, field="image"),
        lambda: image_to_data_uri(bmp, field="image"),
        lambda: image_to_data_uri(png, field="image", max_pixels=10),
        lambda: plan_comparison(" ", [SCHNELL, DEV]),
        lambda: plan_comparison("x", [SCHNELL]),
        lambda: plan_comparison("x", [SCHNELL, "flux-9000"]),
        lambda: plan_comparison("x", {"a": 1}),
    ]
    return [_raised(action) for action in actions]


@responses.activate
def _api_errors() -> list[CometError]:
    """An error of each kind the API and the network cause, as the client raises it."""
    failures = [
        ("post", {"status": 403, "json": {"detail": "flux-schnell is not enabled"}}),
        ("post", {"status": 404, "json": {"detail": "no such model"}}),
        ("post", {"status": 422, "json": {"detail": "bad seed"}}),
        ("post", {"status": 502, "body": "<html>Bad gateway</html>"}),
        ("post", {"status": 302, "headers": {"Location": "https://elsewhere.example/"}}),
        ("post", {"status": 418, "json": {"detail": "I'm a teapot"}}),
        ("post", {"status": 201, "body": "not json"}),
        ("post", {"status": 201, "json": {"no": "id"}}),
        ("post", {"body": requests.exceptions.ConnectTimeout("slow")}),
        ("post", {"body": requests.exceptions.ReadTimeout("slow")}),
        ("get", {"status": 404, "json": {"detail": "gone"}}),
    ]
    errors = []
    with CometClient(api_key="sk-i18n-unit-1234", base_url=BASE) as client:
        for method, answer in failures:
            responses.reset()
            getattr(responses, method)(GET if method == "get" else CREATE, **answer)
            if method == "get":
                errors.append(_raised(lambda: client.get_prediction(GET.rsplit("/", 1)[1])))
            else:
                errors.append(_raised(lambda: client.create_prediction(SCHNELL, {"prompt": "x"})))
    return errors


def test_every_message_the_code_raises_is_worded_in_vietnamese_by_its_code(tmp_path):
    for error in [*_local_errors(tmp_path), *_api_errors()]:
        assert error.msg is not None, f"raised as plain text: {error.message}"
        assert str(error.msg) == error.message == str(error)  # the English, as it always was
        assert translated(error, "en") == error.message
        for code in _codes(error.msg):
            assert f"msg.{code}" in TABLE, f"no Vietnamese for {code!r}: {error.message}"
        assert translated(error, "vi") != error.message, error.message


def test_a_message_inside_a_message_is_worded_in_the_same_language():
    reached = message("net.unreachable", url="http://h", reason="connection refused")
    retrying = message("wait.retrying", message=reached, seconds="1.5")
    assert str(retrying) == "Could not reach http://h: connection refused Retrying in 1.5 s."
    assert translated(retrying, "vi") == (
        "Không kết nối được tới http://h: connection refused Thử lại sau 1.5 s."
    )


def test_rewording_the_english_of_a_code_keeps_its_vietnamese():
    reworded = Message(
        "value.must_be",
        '"{name}" has to be {rule} (you gave {value})',
        {"name": "steps", "rule": message("rule.whole"), "value": "7.5"},
    )
    assert str(reworded) == '"steps" has to be a whole number (you gave 7.5)'
    assert translated(reworded, "vi") == '"steps" phải là một số nguyên, nhưng nhận được 7.5'


def test_upstream_words_and_unknown_codes_stay_as_they_came():
    plain = CometError("Nobody wrote this sentence.")
    assert plain.msg is None and translated(plain, "vi") == "Nobody wrote this sentence."
    unknown = Message("nobody.knows", "Only {who} says this.", {"who": "upstream"})
    assert translated(unknown, "vi") == "Only upstream says this."
    failed = Prediction(id="p1", status="failed", error="NSFW content detected <b>")
    said = friendly_error(PredictionFailed(failed), "vi")
    assert said.startswith("**Mô hình không tạo được ảnh này.** NSFW content detected &lt;b&gt;")


def test_a_key_hidden_in_an_error_stays_hidden_in_every_language():
    key = "sk-visitor-SECRET-5678"
    error = CometError(message("net.unreachable", url=BASE, reason=f"proxy said {key}"))
    error.hide_secrets(Redactor(key))
    for lang in ("en", "vi"):
        assert key not in translated(error, lang)
    assert translated(error, "vi").endswith("proxy said ***")


def test_a_retried_poll_is_noted_in_vietnamese_while_the_cli_keeps_english(tmp_path):
    clock = FakeClock()  # the run takes simulated seconds, and no real time passes
    with Simulator(time_scale=1.0, image_size=64, clock=clock) as sim:
        client = CometClient(
            api_key="test-key-123456", base_url=sim.base_url, clock=clock, sleep=clock.sleep
        )
        sim.add_fault("get", status=503, retry_after=0)
        with client:
            updates = list(start_job(client, SCHNELL, {"prompt": "x"}, output_dir=tmp_path))
    [noted] = [u for u in updates if u.note_message]
    assert noted.note == str(noted.note_message) and noted.note.endswith(" Retrying in 0.0 s.")
    line = progress_line(noted.prediction, 1.0, 2.0, noted.note_message, "vi")
    assert line.endswith(" Thử lại sau 0.0 s._") and "CometAPI gặp lỗi máy chủ (HTTP 503" in line


def test_images_that_could_not_be_saved_are_said_in_vietnamese(simulator, client_for, tmp_path):
    job = start_job(client_for(simulator), SCHNELL, {"prompt": "x"}, output_dir=tmp_path)
    next(job)  # created
    simulator.expire_outputs()
    views = list(follow_run(job, describe_success=lambda *_: "ok", lang="vi"))
    assert "1/1 ảnh không lưu được: output 0: " in views[-1].status


# -- handlers answer in the request's language --------------------------------------------------


@pytest.fixture
def app(tmp_path, simulator):
    """The page's handlers on the fast simulator, as build_app makes them (no Blocks needed)."""
    from webui.api import ApiHandlers

    page = Page(
        AppSettings(output_dir=tmp_path / "outputs", poll_interval=0.02),
        demo_base_url=simulator.base_url,
    )
    yield SimpleNamespace(
        generate_handlers=page.generate,
        history_handlers=page.history,
        key_handlers=page.keys,
        compare_handlers=page.compare,
        api_handlers=ApiHandlers(page.services, page.compare, page.history),
    )
    page.close()


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
    preview = app.generate_handlers.preview(
        "x", SCHNELL, request=visitor(VIETNAMESE), num_outputs=9
    )
    assert (
        preview["preview_json"]
        == '// "num_outputs" phải là một giá trị từ 1 đến 4, nhưng nhận được 9'
    )


def test_history_resume_stop_and_keys_answer_in_vietnamese(app):
    request = visitor(VIETNAMESE)
    assert app.history_handlers.refresh(None, request)["history_summary"] == (
        "Chưa có prediction nào."
    )
    list(drive(app.generate_handlers.generate("một con diều", SCHNELL, request=request)))
    listing = app.history_handlers.refresh(None, request)
    assert listing["history_summary"] == "**1** prediction"
    caption = listing["history_gallery"][0][1]
    assert caption.startswith("thành công · flux-schnell") and "một con diều" in caption
    refused = list(app.history_handlers.resume(" ", request=request))[-1]["status"]
    assert refused.endswith("Hãy nhập id của prediction cần tiếp tục.")
    stopped = app.generate_handlers.stop({"id": "abc123", "done": False}, request=request)
    assert stopped["status"].startswith("**Đã ngừng chờ.** CometAPI không có cách hủy")
    note = app.key_handlers.set_key("sk-visitor-1234", False, request)["key_note"]
    assert note == "Key của bạn chỉ được đặt cho phiên trình duyệt này; nó không được lưu ở đâu cả."
    assert app.key_handlers.restore_key("", request=request)["banner"].startswith("**Chế độ demo**")


def test_the_apis_status_line_and_refusals_are_in_the_callers_language(app):
    line, *_ = app.api_handlers.generate_image("một con diều", request=visitor(VIETNAMESE))
    assert line.startswith("Thành công (ảnh minh họa demo, không tính phí): flux-schnell, seed ")
    with pytest.raises(gr.Error) as refused:
        app.api_handlers.generate_image(
            "x", x_comet_api_key="not a key", request=visitor(VIETNAMESE)
        )
    assert "Header X-Comet-Api-Key chứa thứ không phải CometAPI key" in refused.value.message
    with pytest.raises(gr.Error) as english:
        app.api_handlers.generate_image("x", x_comet_api_key="not a key")
    assert "The X-Comet-Api-Key header holds something" in english.value.message


# -- Compare and "Load settings from an image" answer in the request's language ----------------


def _compare(app, models, request=None, **kwargs) -> list[dict]:
    request = request or visitor(VIETNAMESE)
    return list(app.compare_handlers.compare("một con diều", models, request=request, **kwargs))


def _notes(update: dict) -> list[str]:
    return [update[f"note{i}"] for i in range(4) if update.get(f"note{i}")]


def test_a_comparison_with_a_vietnamese_request_says_everything_in_vietnamese(app):
    updates = _compare(app, [SCHNELL, "flux-dev"], seed=7)
    first, final = updates[0], updates[-1]
    assert re.fullmatch(
        r"\*\*Đang so sánh 2 mô hình…\*\* \d+\.\d s · seed 7 cho mọi mô hình",
        first["compare_status"],
    )
    assert _notes(first) == ["**Đang gửi…** · `flux-schnell`", "**Đang gửi…** · `flux-dev`"]
    assert final["compare_status"].endswith(
        " s** · 2/2 thành công · seed 7 cho mọi mô hình · mỗi lượt chạy đều có trong Lịch sử"
    )
    said = [v for u in updates for k, v in u.items() if k.startswith(("note", "compare_status"))]
    english = ("Comparing", "Submitting", "usually", "Succeeded", "Done", "every model", "image")
    assert [s for s in said if any(word in s for word in english)] == []


def test_a_comparison_refused_is_explained_in_vietnamese(app):
    [update] = list(
        app.compare_handlers.compare("x", [SCHNELL, "flux-9000"], request=visitor(VIETNAMESE))
    )
    assert update["compare_status"].startswith(
        '**Hãy kiểm tra đầu vào.** Không có mô hình "flux-9000". Hãy chọn trong số: flux-schnell,'
    )
    [update] = list(app.compare_handlers.compare("x", [SCHNELL], request=visitor(VIETNAMESE)))
    assert update["compare_status"] == (
        "**Hãy kiểm tra đầu vào.** Hãy chọn từ 2 đến 4 mô hình để so sánh (bạn đã chọn 1)."
    )
    [update] = list(app.compare_handlers.compare("x", [SCHNELL]))  # no Accept-Language
    assert "Choose 2 to 4 models to compare (you chose 1)." in update["compare_status"]


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
    assert updates["model_info"] == text("model.flux-schnell.info", "vi")
    notes = tmp_path / "notes.txt"
    notes.write_text("just notes")
    assert settings_from_image(form, str(notes), request)["settings_note"] == (
        "**Tệp đó không phải ảnh PNG, JPEG hay WebP**, nên không chứa thiết lập nào để lấy."
    )


def test_webuis_own_message_takes_its_english_from_the_table():
    limit = msg("limit.images", limit=4)
    assert (limit.code, str(limit)) == ("limit.images", "This app allows at most 4 images per run.")
    assert translated(limit, "vi") == "Ứng dụng này cho phép tối đa 4 ảnh mỗi lượt chạy."
