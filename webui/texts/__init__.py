"""The one translation table: every UI text in English and Vietnamese, under a key.

Each part of the UI keeps its texts in its own module here as `{key: (english, vietnamese)}`;
`TABLE` is all of them (a key may appear once). To add a text: add a key to the part's module,
both languages, the same {placeholders} in each; tests/test_i18n.py checks all of that.
"""

from __future__ import annotations

from . import (
    api,
    catalogue,
    compare,
    generate,
    gradio_builtin,
    history,
    image_settings,
    messages,
    page,
    status,
)

__all__ = ["GRADIO_KEYS", "MESSAGE_KEYS", "TABLE"]


def _merged(*parts: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for part in parts:
        clash = table.keys() & part.keys()
        if clash:
            raise ValueError(f"translation keys defined twice: {sorted(clash)}")
        table.update(part)
    return table


TABLE: dict[str, tuple[str, str]] = _merged(
    api.STRINGS,
    page.STRINGS,
    generate.STRINGS,
    image_settings.STRINGS,
    compare.STRINGS,
    history.STRINGS,
    status.STRINGS,
    messages.STRINGS,
    compare.MESSAGES,
    catalogue.strings(),
    gradio_builtin.STRINGS,
)
# Messages by code (`msg.<code>`): worded on the server by i18n.translated, not in the browser.
MESSAGE_KEYS: tuple[str, ...] = (*messages.STRINGS, *compare.MESSAGES)
# Gradio's own keys: sent to the browser as they are (Gradio formats them, not str.format).
GRADIO_KEYS: frozenset[str] = frozenset(gradio_builtin.STRINGS)
