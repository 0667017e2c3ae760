"""The model form: one widget per field name, reshaped for the chosen model.

ModelForm's handlers return gr.update dicts by name; these tests read them as the browser
would apply them (label, range, choices, value, visible), with no server and no browser.
"""

from __future__ import annotations

import pytest

from comet.errors import InvalidInputError
from comet.models import MODELS, get_model
from webui.form import IMAGE_INPUTS, ModelForm, field_names, form_fields

SCHNELL = "black-forest-labs/flux-schnell"
DEV = "black-forest-labs/flux-dev"
PRO = "black-forest-labs/flux-pro"
ULTRA = "black-forest-labs/flux-1.1-pro-ultra"
KONTEXT = "black-forest-labs/flux-kontext-pro"
FLUX2 = "black-forest-labs/flux-2-pro"


@pytest.fixture(scope="module")
def form() -> ModelForm:
    return ModelForm()


def _values(form: ModelForm, model: str, **changed) -> dict:
    """The widget values the page holds for `model` at its defaults, with `changed` set."""
    spec = get_model(model)
    values = dict.fromkeys([*form.names, *IMAGE_INPUTS])
    values.update({f.name: f.default for f in form_fields(spec)})
    values.update(changed)
    return values


def _shown(updates: dict) -> dict:
    """The value each visible widget shows after the updates."""
    return {
        name: update["value"]
        for name, update in updates.items()
        if isinstance(update, dict) and update.get("visible") and "value" in update
    }


def _switch(form, memory, previous, model, values):
    updates = form.switch_model(memory, previous, model, **values)
    return updates, updates.get("form_memory", memory)


def test_one_widget_per_distinct_field_name_each_of_one_kind_everywhere():
    kinds: dict[str, set] = {}
    for spec in MODELS.values():
        for field in form_fields(spec):
            kinds.setdefault(field.name, set()).add(field.kind)
    assert sorted(field_names(list(MODELS.values()))) == sorted(kinds)
    assert all(len(k) == 1 for k in kinds.values()), kinds
    # The catalogue's 25 field names: these 19 plus prompt, seed and the 4 image inputs.
    assert len(kinds) == 19
    assert all(sum(f.kind in ("image", "images") for f in s.fields) <= 1 for s in MODELS.values())


def test_switching_shows_the_new_models_fields_with_its_ranges_choices_and_defaults(form):
    updates, _ = _switch(form, {}, SCHNELL, PRO, _values(form, SCHNELL))
    pro = get_model(PRO)
    shown = {name for name, u in updates.items() if isinstance(u, dict) and u.get("visible")}
    assert shown == {f.name for f in form_fields(pro)} | {"image_box"}
    assert updates["num_outputs"] == {"__type__": "update", "visible": False}  # left valid
    steps = updates["steps"]
    assert (steps["minimum"], steps["maximum"], steps["value"]) == (1, 50, 25)
    assert updates["guidance"]["minimum"] == 2 and updates["guidance"]["maximum"] == 5
    assert updates["aspect_ratio"]["choices"] == list(pro.field("aspect_ratio").choices)
    assert updates["current_model"] == PRO


def test_a_range_or_choice_change_always_comes_with_a_value_valid_there(form):
    previous, memory = SCHNELL, {}
    for model in [*list(MODELS)[1:], SCHNELL]:
        values = _values(form, previous)
        updates, memory = _switch(form, memory, previous, model, values)
        spec = get_model(model)
        for field in form_fields(spec):
            update = updates[field.name]
            if "choices" in update:
                assert update["value"] in update["choices"], (model, field.name)
            if "maximum" in update:
                assert update["minimum"] <= update["value"] <= update["maximum"]
        previous = model


def test_a_value_set_survives_switching_away_and_back(form):
    values = _values(form, DEV, guidance=7.5, num_outputs=3, image_urls="https://x.test/a.png")
    _, memory = _switch(form, {}, DEV, SCHNELL, values)
    back, _ = _switch(form, memory, SCHNELL, DEV, _values(form, SCHNELL))
    assert _shown(back)["guidance"] == 7.5
    assert _shown(back)["num_outputs"] == 3
    assert back["image_urls"]["value"] == "https://x.test/a.png"


def test_a_value_set_carries_over_where_the_new_model_has_the_field_and_takes_it(form):
    values = _values(form, DEV, aspect_ratio="16:9", guidance=4.0, num_inference_steps=40)
    updates, _ = _switch(form, {}, DEV, PRO, values)
    shown = _shown(updates)
    assert shown["aspect_ratio"] == "16:9"  # PRO has 16:9
    assert shown["guidance"] == 4.0  # within PRO's 2-5
    assert shown["steps"] == 25  # another field name: PRO's default
    # Out of range or not a choice there: the new model's own default.
    updates, _ = _switch(form, {}, DEV, PRO, _values(form, DEV, guidance=9.0))
    assert _shown(updates)["guidance"] == 3.0
    updates, _ = _switch(form, {}, SCHNELL, ULTRA, _values(form, SCHNELL, output_format="webp"))
    assert _shown(updates)["output_format"] == "jpg"


def test_an_image_input_carries_over_between_image_models_when_it_fits(form):
    one = _values(form, DEV, image_urls="https://x.test/a.png")
    updates, _ = _switch(form, {}, DEV, KONTEXT, one)
    assert updates["image_urls"]["value"] == "https://x.test/a.png"
    assert updates["upload"]["file_count"] == "single"
    two = _values(form, FLUX2, image_urls="https://x.test/a.png\nhttps://x.test/b.png")
    updates, _ = _switch(form, {}, FLUX2, KONTEXT, two)
    assert updates["image_urls"]["value"] == ""  # Kontext takes one
    updates, _ = _switch(form, {}, DEV, SCHNELL, one)
    assert updates["image_box"]["visible"] is False
    assert updates["image_urls"]["value"] == ""


def test_an_upload_takes_the_shape_of_the_new_models_image_input(form, tmp_path):
    picture = str(tmp_path / "one.png")
    updates, _ = _switch(form, {}, DEV, FLUX2, _values(form, DEV, upload=picture))
    assert updates["upload"]["file_count"] == "multiple"
    assert updates["upload"]["value"] == [picture]  # a multiple upload holds a list (locked up)
    back, _ = _switch(form, {}, FLUX2, KONTEXT, _values(form, FLUX2, upload=[picture]))
    assert (back["upload"]["file_count"], back["upload"]["value"]) == ("single", picture)


def test_a_slider_takes_a_value_past_its_range_so_the_catalogue_names_the_field(form):
    import gradio as gr

    with gr.Blocks():
        built = ModelForm()
        built.build_top()
        built.build_fields()
    slider = built.inputs["num_inference_steps"]
    # Gradio's own Slider in the page (a template of it), refusing nothing itself: a value
    # typed past the end, or sent while a switch set a new range, would be a toast there.
    assert slider.get_config()["name"] == "slider" and slider.get_block_name() == "slider"
    assert slider.preprocess(50) == 50 and slider.preprocess(None) is None
    values = _values(form, SCHNELL, num_inference_steps=50)
    with pytest.raises(InvalidInputError, match="num_inference_steps"):
        form.collect_input("a boat", SCHNELL, 1, False, "", values)


def test_collect_input_reads_only_the_chosen_models_fields(form):
    values = _values(form, DEV, guidance=4.5, aspect_ratio="16:9", width=999)
    sent = form.collect_input("a boat", DEV, 7, False, "", values)
    assert sent == {"prompt": "a boat", "aspect_ratio": "16:9", "seed": 7, "guidance": 4.5}


def test_width_and_height_are_sent_only_with_a_custom_aspect_ratio(form):
    square = form.collect_input("x", PRO, None, False, "", _values(form, PRO, width=512))
    assert "width" not in square
    custom = _values(form, PRO, aspect_ratio="custom", width=513, height=768)
    sent = form.collect_input("x", PRO, None, False, "", custom)
    assert (sent["width"], sent["height"]) == (512, 768)  # rounded to 32, as the model does


def test_restore_settings_reshapes_for_the_runs_model_with_its_values(form):
    recorded = {"prompt": "a fox", "seed": 42, "guidance": 3.5, "image": "https://x.test/a.png"}
    updates = form.restore_settings(DEV, recorded)
    assert updates["model"]["value"] == DEV and updates["prompt"] == "a fox"
    assert (updates["seed"], updates["randomize_seed"]) == (42, False)
    assert _shown(updates)["guidance"] == 3.5
    assert updates["image_urls"]["value"] == "https://x.test/a.png"
    assert updates["upload"]["value"] is None  # an upload was sent inline; not kept


def test_an_example_sets_the_dropdown_in_the_same_step_as_the_form(form):
    values = _values(form, DEV)
    updates = form.switch_to({}, DEV, SCHNELL, **values)
    assert updates["model"]["value"] == SCHNELL and updates["current_model"] == SCHNELL
    steps = updates["num_inference_steps"]  # 28 on FLUX.1 [dev]
    assert (steps["maximum"], steps["value"]) == (4, 4)
    assert "model" not in form.switch_to({}, DEV, "no/such-model", **values)
