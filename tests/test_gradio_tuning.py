"""Gradio workarounds: API schemas shared per class, plain conversions run in place, untouched
outputs skipped, blocked paths resolved once.

Each must leave Gradio's behaviour as it was; only the cost changes.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import gradio as gr
import pytest
from gradio.components.base import Component

from comet.settings import AppSettings
from webui import gradio_tuning
from webui.gradio_tuning import (
    check_blocked_paths_once,
    run_plain_conversions_inline,
    share_api_schemas,
    skip_untouched_outputs,
)


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


# -- outputs a yield leaves alone ------------------------------------------------------------


def _two_apps_alike():
    """The same outputs, twice: one for Gradio's own postprocessing, one for the patched."""

    def build() -> tuple[gr.Blocks, list]:
        with gr.Blocks() as blocks:
            outputs = [gr.Markdown(), gr.Gallery(), gr.Number(), gr.State()]
            gr.Button().click(lambda: None, None, outputs, api_name="run")
        return blocks, outputs

    return build(), build()


def _postprocess(blocks: gr.Blocks, outputs: list, returned: dict, state) -> list:
    [fn] = [f for f in blocks.fns.values() if f.api_name == "run"]
    named = {outputs[i]: value for i, value in returned.items()}
    return asyncio.run(blocks.postprocess_data(fn, named, state))


@pytest.mark.parametrize(
    "returned",
    [
        {0: "status only", 3: {"id": 1}},
        {0: "status and images", 1: ["IMAGE"], 3: {"id": 1}},
        {0: "a skip said outright", 1: gr.skip(), 2: gr.skip(), 3: {"id": 2}},
        {0: "every output", 1: ["IMAGE"], 2: 7, 3: {"id": 3}},
        {0: "a prop update", 1: gr.update(label="new"), 3: {"id": 4}},
        {0: "one output only"},
        {0: "state left alone", 2: 5},
    ],
)
def test_outputs_left_alone_get_the_same_answer_and_state_as_gradios_own(
    returned, monkeypatch, tmp_path
):
    from gradio.state_holder import SessionState

    image = tmp_path / "image.png"
    from PIL import Image

    Image.new("RGB", (8, 8)).save(image)
    returned = {i: [str(image)] if v == ["IMAGE"] else v for i, v in returned.items()}
    (own_blocks, own_outputs), (new_blocks, new_outputs) = _two_apps_alike()
    own_state, new_state = SessionState(own_blocks), SessionState(new_blocks)
    monkeypatch.setattr(gr.Blocks, "postprocess_data", gradio_tuning._ORIGINAL_POSTPROCESS)
    own = _postprocess(own_blocks, own_outputs, returned, own_state)
    skip_untouched_outputs()
    new = _postprocess(new_blocks, new_outputs, returned, new_state)
    assert _without_cache_paths(new) == _without_cache_paths(own)
    own_values = [own_state[b._id] for b in own_outputs if b.stateful]
    assert [new_state[b._id] for b in new_outputs if b.stateful] == own_values


def _without_cache_paths(values: list) -> list:
    """Gradio's cached copies of a file differ only in where the cache is."""
    return [
        [{**item, "image": {"orig_name": item["image"]["orig_name"]}} for item in v]
        if isinstance(v, list)
        else v
        for v in values
    ]


def test_an_output_left_alone_builds_no_component(monkeypatch):
    from gradio.state_holder import SessionState

    skip_untouched_outputs()
    (blocks, outputs), _ = _two_apps_alike()
    built: list[str] = []
    real_init = gr.Gallery.__init__

    def counting_init(self, *args, **kwargs):
        built.append("Gallery")
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(gr.Gallery, "__init__", counting_init)
    answer = _postprocess(blocks, outputs, {0: "Generating…", 3: {"id": 1}}, SessionState(blocks))
    assert answer == ["Generating…", {"__type__": "update"}, {"__type__": "update"}, None]
    assert built == []  # Gradio's own path built a Gallery (and a Number) for this line


def test_a_component_that_is_not_an_output_is_refused_as_before():
    from gradio.state_holder import SessionState

    skip_untouched_outputs()
    (blocks, outputs), _ = _two_apps_alike()
    stranger = gr.Textbox(render=False)
    [fn] = [f for f in blocks.fns.values() if f.api_name == "run"]
    returned = {outputs[0]: "a", outputs[3]: {}, stranger: "b"}
    with pytest.raises(ValueError, match="not specified as output"):
        asyncio.run(blocks.postprocess_data(fn, returned, SessionState(blocks)))


# -- blocked paths --------------------------------------------------------------------------------


def test_files_are_judged_against_blocked_paths_exactly_as_gradio_judges_them(tmp_path):
    outputs, cache, elsewhere = tmp_path / "outputs", tmp_path / "cache", tmp_path / "elsewhere"
    for folder in (outputs, cache, elsewhere, outputs / "private"):
        folder.mkdir()
    db = outputs / "history.sqlite3"
    for file in (db, outputs / "history.sqlite3-backup", outputs / "a-0.webp", cache / "c.webp"):
        file.write_bytes(b"x")
    (elsewhere / "innocent.webp").symlink_to(db)  # a link to the database is the database
    blocked = [str(db), str(outputs / "private"), str(tmp_path / "gone" / "x")]
    cases = [
        (db, blocked),
        (Path(str(db).upper()), blocked),  # Gradio compares lowercased
        (elsewhere / "innocent.webp", blocked),
        (outputs / "private" / "p.webp", blocked),  # inside a blocked folder
        (outputs / "history.sqlite3-backup", blocked),  # a name that only starts the same
        (outputs / "a-0.webp", blocked),  # allowed
        (cache / "c.webp", blocked),  # created
        (tmp_path / "nowhere.webp", blocked),  # neither
        (outputs / "a-0.webp", []),
        (outputs / "a-0.webp", ["/"]),  # everything is inside the root
    ]
    allowed, created = [str(outputs)], [str(cache)]
    for path, blocked_paths in cases:
        ours = gradio_tuning._is_allowed_file(path, blocked_paths, allowed, created)
        gradios = gradio_tuning._ORIGINAL_IS_ALLOWED_FILE(path, blocked_paths, allowed, created)
        assert ours == gradios, path
    verdicts = [gradio_tuning._is_allowed_file(p, b, allowed, created)[1] for p, b in cases]
    assert verdicts == ["in_blocklist"] * 4 + ["allowed", "allowed", "created"] + [
        "not_created_or_allowed",
        "allowed",
        "in_blocklist",
    ]


def test_gradio_checks_files_through_the_blocked_paths_check(monkeypatch):
    import gradio.processing_utils
    import gradio.route_utils
    import gradio.utils

    monkeypatch.setattr(gradio.utils, "is_allowed_file", gradio_tuning._ORIGINAL_IS_ALLOWED_FILE)
    check_blocked_paths_once()
    assert gradio.utils.is_allowed_file is gradio_tuning._is_allowed_file
    # Both callers (caching a file shown, serving a file) look it up on gradio.utils.
    for caller in (gradio.processing_utils._check_allowed, gradio.route_utils.file_fetch):
        assert "utils.is_allowed_file(" in inspect.getsource(caller)
