"""Parameter types of the public API that Gradio's own components do not describe.

`inputs` of /generate is a JSON object of the model's fields. gr.JSON takes any JSON but
describes itself with `{"type": {}}`, which is not a valid JSON Schema: MCP clients then refuse
the whole tool. `ObjectInput` is gr.JSON (the same component in the browser: `is_template`)
describing itself as an object, the way Gradio's custom components describe their types.

Gradio writes a typing stub (api_types.pyi) next to the module of every component class it
sees defined; the stub is committed, so importing this module changes no file.
"""

from typing import Any

import gradio as gr

__all__ = ["ObjectInput"]


class ObjectInput(gr.JSON):
    """A JSON object parameter: {"name": value, ...}."""

    is_template = True  # rendered (never, here) as Gradio's own gr.JSON

    def api_info(self) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": True,
            "description": "The model's other fields by their API names (list_models shows "
            'them), e.g. {"num_outputs": 2, "output_format": "png"}.',
        }

    def example_payload(self) -> Any:
        return {}

    def example_value(self) -> Any:
        return {}
