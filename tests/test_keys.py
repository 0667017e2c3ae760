"""A visitor's own API key (webui/keys.py) and its sealed copy in the browser (webui/keyseal.py).

The key panel's handlers are called directly; the key is never sent back to the page, and only
the server that sealed a remembered key (the same COMET_BROWSER_SECRET) can open it again.
"""

from __future__ import annotations

import gradio as gr
import pytest

from comet.simulator import Simulator
from tests.page_support import open_page, visitor
from webui.keyseal import open_key, seal_key

KEY = "sk-visitor-LEAKTEST-42ab7e"
SECRET = b"server secret"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with open_page(tmp_path_factory.mktemp("keys"), base_url="https://api.example.test") as opened:
        yield opened


def test_a_set_key_is_kept_in_the_session_and_never_shown(page):
    result = page.keys.set_key(f"  {KEY} ", remember=False)
    assert result["visitor_key"] == KEY  # a gr.State: it stays on the server
    assert result["key_box"] == "" and result["remembered_key"] == "none"
    assert result["key_note"] == (
        "Your key is set for this browser session only; it is not stored anywhere."
    )
    assert "`https://api.example.test` with **your own key**" in result["banner"]
    assert KEY not in result["key_note"] + result["banner"]


@pytest.mark.parametrize(
    ("typed", "note"),
    [
        ("", "Enter a key first."),
        ("sk-with a space", "That does not look like an API key."),
        ("sk-" + "x" * 198, "That does not look like an API key."),  # over 200 characters
    ],
)
def test_a_missing_or_malformed_key_is_not_set_nor_echoed(page, typed, note):
    assert page.keys.set_key(typed, remember=True) == {"key_box": "", "key_note": note}
    assert page.keys.set_key("sk-" + "x" * 197, remember=False)["visitor_key"]  # 200: a key


def test_a_typed_key_that_cannot_be_a_key_stops_a_run_without_echoing_it(tmp_path):
    with Simulator(time_scale=0.0, image_size=64) as sim, open_page(tmp_path / "o", sim) as page:
        status = page.run(typed_key="sk-with a space")[-1]["status"]
    assert "not a CometAPI key" in status and "with a space" not in status
    assert sim.received == []


def test_a_remembered_key_is_sealed_and_opened_by_this_server_only(page, tmp_path):
    sealed = page.keys.set_key(KEY, remember=True)["remembered_key"]
    assert KEY not in sealed
    restored = page.keys.restore_key(sealed, None, visitor())
    assert restored["visitor_key"] == KEY
    assert restored["key_note"] == "Using the key remembered in this browser."
    assert "with **your own key**" in restored["banner"]
    with open_page(tmp_path / "other") as other:  # another server: a secret of its own
        refused = other.keys.restore_key(sealed)
    assert refused["visitor_key"] is None and "with **your own key**" not in refused["banner"]
    assert refused["key_note"] == (
        "The key remembered in this browser can no longer be read: enter it again."
    )


def test_servers_with_the_same_browser_secret_open_each_others_remembered_keys(tmp_path):
    with open_page(tmp_path / "a", browser_secret="shared-secret-1") as first:
        sealed = first.keys.set_key(KEY, remember=True)["remembered_key"]
    with open_page(tmp_path / "b", browser_secret="shared-secret-1") as restarted:
        assert restarted.keys.restore_key(sealed)["visitor_key"] == KEY


def test_a_key_entered_while_the_page_loads_is_not_undone_by_the_load(page):
    entered = page.keys.set_key(KEY, remember=False)["visitor_key"]  # before the restore step
    for remembered in ("", "none", seal_key("sk-older-key-123", page.services.key_secret)):
        kept = page.keys.restore_key(remembered, entered)
        assert kept == {"visitor_key": gr.skip(), "key_note": gr.skip(), "banner": gr.skip()}
    for nothing in ("", " none "):  # nothing remembered: the owner's key or the demo, silently
        restored = page.keys.restore_key(nothing, None)
        assert set(restored) == {"visitor_key", "banner"} and restored["visitor_key"] is None
        assert "with **your own key**" not in restored["banner"]


def test_forget_clears_the_session_and_the_browser(page):
    result = page.keys.forget_key()
    assert result["visitor_key"] is None and result["remembered_key"] == "none"
    assert result["key_box"] == ""
    assert result["key_note"] == "Key forgotten: this session and this browser no longer hold it."
    assert "with **your own key**" not in result["banner"]


def test_a_vietnamese_visitor_reads_every_key_note_and_banner_in_vietnamese(page, tmp_path):
    vi = visitor()
    vi.headers = {"accept-language": "vi"}
    own, nobody = page.services.banner(KEY, "vi"), page.services.banner(None, "vi")
    assert own != nobody and page.services.banner(None) != nobody
    refused = page.keys.set_key("sk-with a space", remember=False, request=vi)
    assert refused["key_note"] == "Đó có vẻ không phải là API key."
    assert page.keys.set_key("", remember=False, request=vi)["key_note"] == "Hãy nhập key trước."
    kept = page.keys.set_key(KEY, remember=False, request=vi)
    assert kept["key_note"].startswith("Key của bạn chỉ được đặt cho phiên trình duyệt này")
    assert kept["banner"] == own
    sealed = page.keys.set_key(KEY, remember=True, request=vi)["remembered_key"]
    restored = page.keys.restore_key(sealed, None, vi)
    assert restored["key_note"] == "Đang dùng key đã ghi nhớ trên trình duyệt này."
    assert restored["banner"] == own
    assert page.keys.restore_key("none", None, vi)["banner"] == nobody
    with open_page(tmp_path / "other") as other:
        unreadable = other.keys.restore_key(sealed, None, vi)
        assert unreadable["key_note"].startswith("Không còn đọc được key đã ghi nhớ")
        assert unreadable["banner"] == other.services.banner(None, "vi")
    forgotten = page.keys.forget_key(vi)
    assert forgotten["key_note"].startswith("Đã quên key")
    assert forgotten["banner"] == nobody and forgotten["key_box"] == ""


def test_a_seal_opens_only_with_its_secret_and_intact():
    sealed = seal_key(KEY, SECRET)
    assert KEY not in sealed and sealed.startswith("sealed:")
    assert sealed != seal_key(KEY, SECRET)  # a fresh nonce each time
    assert open_key(sealed, SECRET) == KEY
    assert open_key(sealed, b"another secret") is None
    tampered = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    for junk in (tampered, sealed[:-8], "", KEY, "sealed:", "sealed:!!!", "sealed:AAAA"):
        assert open_key(junk, SECRET) is None, junk
    assert open_key(OLD_FORMAT_TOKEN, SECRET) is None  # the earlier format: entered again


OLD_FORMAT_TOKEN = (
    "sealed:U8XdkfHisCw8lXXlN4uMOp8NAmRR-z6-0kP_xticUKrln9JSJMEK08-PSwTI3B6Y"
    "704lLDn6RRJR3YwOxlXs_qMILAmuPh9Q5Qk="
)
