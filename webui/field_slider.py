"""A form slider whose range guides the person, while the catalogue decides.

Gradio's Slider refuses a value outside its range before any handler runs: a toast ("Value 50
is greater than maximum value 4"), "Error" badges on the event's outputs, no handler called and
no word naming the field. A form that reshapes itself meets such values legitimately: a number
typed past the end of the range, or an event whose values were taken while a model switch or a
restored run was reconfiguring the widgets (Gradio checks them against the range just set).
Here the handlers get the value as it was sent; the catalogue refuses it with a message naming
the field and its range (Generate), or the form falls back to the model's default (a switch).

Gradio writes a typing stub (field_slider.pyi) next to the module of every component class it
sees defined; the stub is committed, so importing this module changes no file.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

__all__ = ["FieldSlider"]


class FieldSlider(gr.Slider):
    """gr.Slider on the page (a template of it, as gr.Text is of gr.Textbox), unchecked here."""

    is_template = True  # Gradio's own Slider in the browser and in the config

    def preprocess(self, payload: Any) -> Any:
        """The value as sent, rounded as the slider's precision says; the range not enforced."""
        if not isinstance(payload, (int, float)) or isinstance(payload, bool):
            return payload  # the catalogue names the field and what it takes
        return gr.Number.round_to_precision(payload, self.precision)
