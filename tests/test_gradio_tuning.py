"""The shared API schemas: computed once per component class and data model, and unchanged."""

from __future__ import annotations

import gradio as gr
from gradio.components.base import Component

from webui import gradio_tuning
from webui.gradio_tuning import share_api_schemas


def test_galleries_share_one_schema_equal_to_gradios_own(monkeypatch):
    monkeypatch.setattr(Component, "api_info", gradio_tuning._ORIGINAL)
    own = gr.Gallery(render=False).api_info()
    monkeypatch.setattr(gradio_tuning, "_SCHEMAS", {})
    share_api_schemas()
    first, second = gr.Gallery(render=False), gr.Gallery(label="other", render=False)
    assert first.api_info() is second.api_info()  # a fresh instance computes nothing again
    assert first.api_info() == own


def test_components_with_other_data_models_keep_their_own_schemas(monkeypatch):
    monkeypatch.setattr(gradio_tuning, "_SCHEMAS", {})
    share_api_schemas()
    one, many = gr.File(render=False), gr.File(file_count="multiple", render=False)
    assert one.data_model is not many.data_model
    assert one.api_info() != many.api_info()
    assert gr.Number(render=False).api_info() == {"type": "number"}  # its own override
