"""Gradio workarounds: API schemas shared per class, plain conversions run in place.

Both must leave Gradio's behaviour as it was; only the cost changes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import gradio as gr
import pytest
from gradio.components.base import Component

from comet.settings import AppSettings
from webui import gradio_tuning
from webui.gradio_tuning import run_plain_conversions_inline, share_api_schemas


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


# -- plain value conversions run in place --------------------------------------------------------


def _preprocess(blocks: gr.Blocks, api_name: str, inputs: list) -> list:
    from gradio.state_holder import SessionState

    [fn] = [f for f in blocks.fns.values() if f.api_name == api_name]
    return asyncio.run(blocks.preprocess_data(fn, inputs, SessionState(blocks)))


def _counting_thread_hops(monkeypatch) -> list[str]:
    """Every conversion that still goes to a worker thread, by component class."""
    import anyio

    hops: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        hops.append(type(getattr(func, "__self__", None)).__name__)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return hops


def test_plain_conversions_run_in_place_and_files_still_go_to_a_thread(monkeypatch, tmp_path):
    run_plain_conversions_inline()
    hops = _counting_thread_hops(monkeypatch)
    upload = tmp_path / "photo.txt"
    upload.write_text("x")
    with gr.Blocks() as blocks:
        inputs = [
            gr.Textbox(),
            gr.Number(precision=0),
            gr.Slider(0, 10),
            gr.Dropdown(["a", "b"]),
            gr.Checkbox(),
            gr.File(),
            gr.File(),
        ]
        out = gr.Textbox()
        gr.Button().click(lambda *values: str(values), inputs, out, api_name="go")
    file_value = {"path": str(upload), "meta": {"_type": "gradio.FileData"}}
    values = _preprocess(blocks, "go", ["text", 2.0, 3, "b", True, None, file_value])
    assert values[:6] == ["text", 2, 3, "b", True, None]  # Gradio's own conversions
    assert isinstance(values[1], int)  # precision=0 still makes an int
    assert Path(values[6]).name == "photo.txt"
    assert hops == ["File"]  # only the file that is there went to a thread


def test_a_refused_value_is_refused_as_before(monkeypatch):
    from gradio.exceptions import Error

    run_plain_conversions_inline()
    with gr.Blocks() as blocks:
        choice = gr.Dropdown(["a", "b"])
        gr.Button().click(lambda value: value, [choice], [gr.Textbox()], api_name="pick")
    with pytest.raises(Error, match="not in the list of choices"):
        _preprocess(blocks, "pick", ["z"])


def test_the_apps_generate_event_makes_no_thread_hop_without_uploads(monkeypatch, tmp_path):
    from webui import build_app

    app = build_app(AppSettings(output_dir=tmp_path / "out"), demo_base_url="http://127.0.0.1:9")
    try:
        hops = _counting_thread_hops(monkeypatch)
        [fn] = [f for f in app.blocks.fns.values() if f.api_name == "generate"]
        assert len(fn.inputs) > 60  # every model's fields
        values = [None if isinstance(i, gr.State) else i.value for i in fn.inputs]
        _preprocess(app.blocks, "generate", values)
        assert hops == []  # was one per input (97): ≈ 12 ms of the event loop per click
    finally:
        app.close()
