"""The page in Vietnamese and in English, in Debian's Chromium, from the browser's language.

With `vi-VN` every text on the Generate, Compare and History tabs (accordions open, after a
run or a comparison) is walked: none may be an English text of the table, one of Gradio's own
English words, or any other two or more plain English words that is not content (example
prompts, model names, ids).
"""

from __future__ import annotations

import re
import string

import pytest

from comet.settings import AppSettings
from comet.simulator import Simulator
from tests.browser_support import (
    FAST_POLLS,
    GALLERY_LOADED_JS,
    TIMEOUT_MS,
    VIEWPORT,
    quiet_context,
)
from tests.support import free_port
from webui.generate_tab import EXAMPLES
from webui.i18n import text
from webui.texts import TABLE

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

VI_PROMPT = "một con diều đỏ trên bầu trời xanh"
EN_PROMPT = "a red kite in a blue sky"

# Every visible text node (code editors left out), and the placeholders of visible boxes.
VISIBLE_TEXT_JS = """() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const words = node.textContent.replace(/\\s+/g, " ").trim();
        const parent = node.parentElement;
        if (!words || !parent || parent.closest("script, style, .cm-editor")) continue;
        if (!parent.checkVisibility({ visibilityProperty: true })) continue;
        found.push(words);
    }
    for (const box of document.querySelectorAll("input, textarea")) {
        if (box.placeholder && box.checkVisibility()) found.push(box.placeholder.trim());
    }
    return found;
}"""
# Gradio's own English words (its en.json, flattened), read from the page's own module.
GRADIO_ENGLISH_JS = """async () => {
    const core = performance.getEntriesByType("resource").map((e) => e.name)
        .find((name) => /\\/assets\\/core-[^/?]*\\.js/.test(name));
    const flat = [];
    const walk = (value) => typeof value === "string"
        ? flat.push(value) : Object.values(value).forEach(walk);
    walk((await import(core)).p);
    return flat;
}"""
# Gradio's progress text ("processing | 0.2s", "queue: 1/2 |") is English it cannot translate;
# it shows only while an event runs, so the page is walked once no event is running.
IDLE_JS = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const busy = /^\\s*(processing \\||queue: )/.test(node.textContent);
        if (busy && node.parentElement?.checkVisibility()) return false;
    }
    return true;
}"""
OPEN_ACCORDIONS_JS = """() => {
    for (const button of document.querySelectorAll("button.label-wrap")) {
        if (button.checkVisibility() && !button.classList.contains("open")) button.click();
    }
}"""


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """One demo app for the module (each test opens its own browser context)."""
    from webui import build_app

    with Simulator(time_scale=0.05, image_size=160) as sim:
        settings = AppSettings(
            output_dir=tmp_path_factory.mktemp("i18n") / "out", poll_interval=FAST_POLLS
        )
        app = build_app(settings, demo_base_url=sim.base_url)
        port = free_port()
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            app.close()


def _expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def _page(browser, url: str, locale: str):
    context = quiet_context(browser.new_context(viewport=VIEWPORT, locale=locale))
    page = context.new_page()
    page.goto(url)
    return context, page


def _open_everything(page) -> None:
    """Open every accordion of the tab shown (Advanced, Request preview, API key, ...)."""
    page.evaluate(OPEN_ACCORDIONS_JS)
    page.wait_for_function(
        """() => [...document.querySelectorAll("button.label-wrap")]
            .filter((b) => b.checkVisibility()).every((b) => b.classList.contains("open"))"""
    )


def _visible_texts_when_idle(page) -> list[str]:
    page.wait_for_function(IDLE_JS)
    return page.evaluate(VISIBLE_TEXT_JS)


# -- what counts as untranslated ----------------------------------------------------------------


def _plain(template: str) -> str:
    """A table text as the page shows it: values left out, Markdown marks dropped."""
    pieces = [literal for literal, *_ in string.Formatter().parse(template)]
    return re.sub(r"\*\*|`|^# ", "", "\x00".join(pieces), flags=re.MULTILINE)


def _english_texts() -> set[str]:
    """Whole English texts of the table that differ from their Vietnamese."""
    return {
        " ".join(_plain(english).split())
        for english, vietnamese in TABLE.values()
        if english != vietnamese and not set("{}") & set(english)
    }


def _vietnamese_corpus() -> str:
    """Every Vietnamese text of the table, as the page shows it, in one string."""
    return "\n".join(" ".join(_plain(vi).split()) for _, vi in TABLE.values())


def _english_phrases() -> set[str]:
    """Runs of three or more words from English texts, found in no Vietnamese text."""
    vietnamese = _vietnamese_corpus()
    phrases = set()
    for english, vi in TABLE.values():
        if english == vi:
            continue
        for piece in re.split(r"[\x00\n]|[.:;,()·…]\s", _plain(english)):
            piece = " ".join(piece.split()).strip(" .,;:…")
            if len(piece.split()) >= 3 and piece not in vietnamese:
                phrases.add(piece)
    return phrases


def _is_content(words: str) -> bool:
    """Not the UI's words: example prompts, model names and ids, numbers, code, the prompt."""
    prompts = [prompt[:40] for prompt, _ in EXAMPLES]
    return (
        any(words.startswith(prompt) for prompt in prompts)
        or "black-forest-labs/" in words
        or words in (VI_PROMPT, EN_PROMPT)
        or not re.search(r"[A-Za-z]{2}", words)
    )


def _untranslated(found: list[str], gradio_english: set[str]) -> list[str]:
    """Texts on a Vietnamese page that are English (of the table, of Gradio, or at all)."""
    whole, phrases, vietnamese = _english_texts(), _english_phrases(), _vietnamese_corpus()
    page_text = " ".join(found)
    bad = [words for words in found if words in whole or words in gradio_english]
    bad += [f"phrase: {phrase}" for phrase in phrases if phrase in page_text]
    for words in found:
        english_run = re.search(r"\b[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,})+\b", words)
        unaccented = words.isascii() and words not in vietnamese  # e.g. "FLUX qua CometAPI"
        if english_run and unaccented and not _is_content(words):
            bad.append(f"plain English: {words}")
    return bad


# -- the tests --------------------------------------------------------------------------------


def test_a_vietnamese_browser_gets_every_tab_and_a_comparison_in_vietnamese(browser, url):
    expect = _expect()
    context, page = _page(browser, url, "vi-VN")
    try:
        page.get_by_label(text("gen.prompt", "vi"), exact=True).fill(VI_PROMPT)
        page.get_by_role("button", name=text("gen.generate", "vi"), exact=True).click()
        expect(page.locator("#status")).to_contain_text("Thành công sau")
        assert page.title() == text("page.title", "vi")
        status = page.locator("#status").inner_text()
        assert "· 1 ảnh · seed " in status and "Succeeded" not in status
        gradio_english = set(page.evaluate(GRADIO_ENGLISH_JS))
        _open_everything(page)
        expect(page.locator("#preview-curl")).to_contain_text("curl")
        generate_texts = _visible_texts_when_idle(page)
        assert text("gen.examples", "vi") in generate_texts  # the walk sees the whole tab
        assert _untranslated(generate_texts, gradio_english) == []
        # A model with an image input: its upload area (Gradio's words) and URL box.
        page.get_by_label(text("gen.model", "vi"), exact=True).click()
        page.get_by_role("option", name="FLUX.1 [dev] · black-forest-labs/flux-dev").click()
        expect(page.locator("#model-info")).to_contain_text("FLUX.1 trọng số mở")
        _open_everything(page)
        # Two drop zones in Gradio's words: "Load settings from an image" and the model's.
        expect(page.get_by_text(text("upload_text.drop_file", "vi"))).to_have_count(2)
        assert _untranslated(_visible_texts_when_idle(page), gradio_english) == []

        page.get_by_role("tab", name=text("tab.history", "vi"), exact=True).click()
        page.locator("#history-gallery .thumbnail-item").first.click()
        expect(page.locator("#history-detail")).to_contain_text("Tạo lúc")
        _open_everything(page)
        expect(page.locator("#resume-id")).to_be_visible()
        history_texts = _visible_texts_when_idle(page)
        assert text("hist.use_settings", "vi") in history_texts
        assert _untranslated(history_texts, gradio_english) == []

        # The Compare tab, refused with one model, then a comparison of two.
        page.get_by_role("tab", name=text("tab.compare", "vi"), exact=True).click()
        expect(page.locator("#compare-status")).to_contain_text("rồi bấm So sánh")
        before = _visible_texts_when_idle(page)
        assert text("cmp.models_help", "vi") in before  # the walk sees the whole tab
        assert _untranslated(before, gradio_english) == []

        page.get_by_label(text("cmp.prompt", "vi"), exact=True).fill(VI_PROMPT)
        page.get_by_label("FLUX.1 [schnell]", exact=True).check()
        compare = page.get_by_role("button", name=text("cmp.compare", "vi"), exact=True)
        compare.click()  # one model only: refused, in Vietnamese
        expect(page.locator("#compare-status")).to_contain_text(
            "Hãy kiểm tra đầu vào. Hãy chọn từ 2 đến 4 mô hình để so sánh (bạn đã chọn 1)."
        )
        page.get_by_label("FLUX.1 [dev]", exact=True).check()
        compare.click()
        expect(page.locator("#compare-status")).to_contain_text("2/2 thành công")
        placeholder = text("gen.placeholder_caption", "vi")
        for i in range(2):
            expect(page.locator(f"#compare-note-{i}")).to_contain_text("Thành công sau")
            page.wait_for_function(GALLERY_LOADED_JS, arg=[f"#compare-images-{i} img", placeholder])
        after = _visible_texts_when_idle(page)
        status = page.locator("#compare-status").inner_text()
        assert status.startswith("Đã xong sau") and " cho mọi mô hình · " in status, status
        notes = [page.locator(f"#compare-note-{i}").inner_text() for i in range(2)]
        assert all("· 1 ảnh · seed " in note and "prediction " in note for note in notes), notes
        assert sum(words.startswith("Thành công sau") for words in after) == 2  # walked too
        assert _untranslated(after, gradio_english) == []
    finally:
        context.close()
