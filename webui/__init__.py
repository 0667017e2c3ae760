"""The Gradio web UI: one module per part of the screen, put together by `build_app`.

`comet/` is the API package and knows nothing of Gradio; everything Gradio lives here.
"""

from .builder import TITLE, WebApp, build_app

__all__ = ["TITLE", "WebApp", "build_app"]
