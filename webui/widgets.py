"""Form widgets whose values are checked by the catalogue, not by Gradio's preprocessing.

Gradio refuses an out-of-range slider value or an unknown dropdown choice sent through the API
with a generic error that names no field. These widgets pass the raw value on, and the
catalogue's validation refuses it with a message naming the field. In the browser they are
Gradio's own components, unchanged. (Not subclasses: Gradio writes a .pyi stub next to the
module of every component subclass at import time.)
"""

from typing import Any

import gradio as gr

from .gradio_tuning import plain_conversion

__all__ = ["checked_checkbox_group", "checked_dropdown", "checked_slider"]


@plain_conversion
def _raw(payload: Any) -> Any:
    return payload


def checked_slider(**kwargs: Any) -> gr.Slider:
    """A gr.Slider whose range is checked by the catalogue."""
    slider = gr.Slider(**kwargs)
    slider.preprocess = _raw  # type: ignore[method-assign]
    return slider


def checked_dropdown(**kwargs: Any) -> gr.Dropdown:
    """A gr.Dropdown whose choices are checked by the catalogue."""
    dropdown = gr.Dropdown(**kwargs)
    dropdown.preprocess = _raw  # type: ignore[method-assign]
    return dropdown


def checked_checkbox_group(**kwargs: Any) -> gr.CheckboxGroup:
    """A gr.CheckboxGroup whose choices are checked by the handler (short names welcome)."""
    group = gr.CheckboxGroup(**kwargs)
    group.preprocess = _raw  # type: ignore[method-assign]
    return group
