"""The three uses of Gradio's inside (webui/gradio_hooks.py): found on the tested Gradio, and
skipped, with one log line each, on any other, where the app still starts and works."""

from __future__ import annotations

import logging

import gradio as gr
import pytest
from gradio_client import Client

from comet.settings import AppSettings
from tests.support import free_port
from webui.gradio_hooks import (
    ASSETS,
    HookReport,
    inner_css,
    launch_blocks,
    vietnamese_head,
)
from webui.gradio_hooks import tested_gradio as is_tested_gradio  # not a test: no test_ prefix
from webui.texts.gradio_builtin import STRINGS as GRADIO_WORDS


def test_the_installed_gradio_is_the_tested_one_and_every_hook_is_found(caplog):
    assert is_tested_gradio(gr.__version__), f"requirements.txt pins 6.31.x, found {gr.__version__}"
    report = HookReport()
    assert "changeLocale" in vietnamese_head(report)
    assert "thumbnail-item" in inner_css(report)
    assert report.skipped == [] and caplog.records == []


def test_gradios_own_words_we_translate_are_still_gradios_words():
    """Each copied key still names the same English text in Gradio's bundled locale."""
    bundled = "".join(p.read_text(errors="replace") for p in ASSETS.glob("core-*.js"))
    missing = [
        key
        for key, (english, _) in GRADIO_WORDS.items()
        if f"{key.split('.')[1]}:`{english}`" not in bundled
    ]
    assert missing == []


def test_on_an_untested_gradio_each_hook_is_skipped_with_one_log_line(caplog):
    caplog.set_level(logging.WARNING, logger="webui.hooks")
    report = HookReport(version="6.40.1")
    assert vietnamese_head(report) == "" and inner_css(report) == ""
    attempts = []

    class Blocks:
        def launch(self, **options):
            attempts.append(options)
            raise ValueError("localhost is not accessible")

        def close(self):
            pass

    with pytest.raises(ValueError):
        launch_blocks(Blocks(), {}, report)
    assert len(attempts) == 1  # no retry: the error's words may mean something else there
    assert len(caplog.records) == 3
    assert all("outside the tested 6.31.x" in r.getMessage() for r in caplog.records)


def test_a_hook_missing_from_gradios_files_is_skipped(tmp_path, caplog):
    report = HookReport(assets=tmp_path)  # a Gradio whose bundle has none of them
    assert vietnamese_head(report) == "" and inner_css(report) == ""
    assert "not found in Gradio" in caplog.text


def test_on_the_tested_gradio_a_slow_self_check_starts_the_server_again():
    attempts = []

    class Blocks:
        def launch(self, **options):
            attempts.append(options)
            if len(attempts) < 3:
                raise ValueError("When localhost is not accessible, a shareable link ...")
            return "launched"

        def close(self):
            pass

    assert launch_blocks(Blocks(), {}, HookReport()) == "launched" and len(attempts) == 3


def test_the_app_starts_and_generates_in_english_without_the_hooks(simulator, tmp_path):
    from webui import build_app

    settings = AppSettings(output_dir=tmp_path, poll_interval=0.02)
    app = build_app(settings, demo_base_url=simulator.base_url, hooks=HookReport("7.0.0"))
    port = free_port()
    try:
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port)
        config = app.blocks.config
        assert "changeLocale" not in (config.get("head") or "")
        assert "thumbnail-item" not in (config.get("css") or "")
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        status, *_ = client.predict(prompt="a boat", api_name="/generate")
        client.close()
        assert status.startswith("Succeeded")
    finally:
        app.close()
