"""Launching survives Gradio's own start-up check answering slowly on a loaded machine."""

from __future__ import annotations

import gradio as gr
import pytest
import requests

from tests.support import free_port
from webui.launch import LAUNCH_ATTEMPTS, launch_blocks


def _options(port: int) -> dict:
    return {
        "prevent_thread_lock": True,
        "server_name": "127.0.0.1",
        "server_port": port,
        "quiet": True,
        "ssr_mode": False,
    }


def test_a_slow_self_check_starts_the_server_again(monkeypatch):
    from gradio import networking

    answers = iter([False, True])
    monkeypatch.setattr(networking, "url_ok", lambda url: next(answers, True))
    with gr.Blocks() as blocks:
        gr.Markdown("hello")
    port = free_port()
    try:
        launch_blocks(blocks, _options(port))
        assert requests.get(f"http://127.0.0.1:{port}/config", timeout=10).ok
    finally:
        blocks.close()


def test_a_server_that_never_answers_still_fails_after_the_last_attempt(monkeypatch):
    from gradio import networking

    checks = []
    monkeypatch.setattr(networking, "url_ok", lambda url: checks.append(url) and False)
    with gr.Blocks() as blocks:
        gr.Markdown("hello")
    with pytest.raises(ValueError, match="localhost is not accessible"):
        launch_blocks(blocks, _options(free_port()))
    blocks.close()
    assert len(checks) == LAUNCH_ATTEMPTS
