"""English and Vietnamese: one table (webui/texts/), used in the browser and on the server.

Static texts (labels, info, placeholders, buttons, tab and accordion titles, Markdown) are
given to Gradio as `ui("key")` and translated in the browser by `gr.I18n`. Gradio picks its
language only among the ones it ships, and it ships no Vietnamese: webui/gradio_hooks.py
switches Gradio's locale to "vi" when the browser prefers Vietnamese to English.

Text a handler returns (status lines, errors, notes) is chosen on the server with
`text(key, lang, ...)`, the language from the request's Accept-Language (`language(request)`).
Errors (comet's and webui's own) carry what they say as a `Message`: a code and its values.
`translated(error, lang)` words it by its code, with the table's `msg.<code>` template in
`lang` (comet's English comes from comet.messages.ENGLISH); plain text (an API's or a model's
own words) stays as it came. Nothing is recognised by its English wording.
"""

from __future__ import annotations

import hashlib
import json
import string
from typing import Any, Literal

import gradio as gr

from comet.errors import CometError
from comet.messages import Message

from .texts import GRADIO_KEYS, MESSAGE_KEYS, TABLE

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Lang",
    "PREFERS_VIETNAMESE_JS",
    "browser_choice",
    "browser_texts",
    "filled",
    "gradio_i18n",
    "language",
    "msg",
    "placeholders",
    "text",
    "translated",
    "ui",
]

Lang = Literal["en", "vi"]
LANGUAGES: tuple[Lang, ...] = ("en", "vi")
DEFAULT_LANGUAGE: Lang = "en"
_COLUMN = {"en": 0, "vi": 1}
_MESSAGES = frozenset(MESSAGE_KEYS)

# Texts known only when the app is built (e.g. the banner names the base URL): filled in
# both languages and kept under a key derived from the values, so the browser can show them.
_FILLED: dict[str, tuple[str, str]] = {}

# The browser's choice between the table's languages, as a JS expression: the first of "vi"
# and "en" in its preferred languages, which is also what its Accept-Language header ranks
# first (see language()).
PREFERS_VIETNAMESE_JS = """((navigator.languages || [navigator.language])
        .map((tag) => String(tag).toLowerCase().split("-")[0])
        .find((tag) => tag === "vi" || tag === "en") === "vi")"""


def ui(key: str) -> Any:
    """A static text for a Gradio component, translated in the browser (`gr.I18n` key)."""
    if key in _FILLED:
        return gr.I18n()(key)
    if placeholders(TABLE[key][0]) or key in _MESSAGES:
        raise ValueError(f"{key!r} is not a static text: use filled() or text()")
    return gr.I18n()(key)  # the instance's translations do not matter: only the key travels


def browser_choice(key: str) -> str:
    """A JS expression for a static text in the language the page's browser prefers."""
    english, vietnamese = (json.dumps(text(key, lang)) for lang in LANGUAGES)
    return f"({PREFERS_VIETNAMESE_JS} ? {vietnamese} : {english})"


def filled(key: str, **values: Any) -> Any:
    """A static text whose values are known when the app is built, e.g. the base URL."""
    english, vietnamese = (text(key, lang, **values) for lang in LANGUAGES)
    digest = hashlib.sha256(f"{english}\x00{vietnamese}".encode()).hexdigest()[:12]
    derived = f"{key}#{digest}"
    _FILLED[derived] = (english, vietnamese)  # finished texts, no longer templates
    return ui(derived)


def gradio_i18n() -> gr.I18n:
    """The `gr.I18n` passed to launch(): the whole table, plus the texts filled so far."""
    return gr.I18n(**{lang: browser_texts(lang) for lang in LANGUAGES})


def browser_texts(lang: str) -> dict[str, str]:
    """{key: text} as the browser shows it: templates without placeholders, braces undoubled.

    Gradio's own keys go as they are: the browser fills their {placeholders} itself. Error
    messages stay on the server, where they are translated.
    """
    column = _COLUMN[lang]
    texts = {k: v[column] for k, v in _FILLED.items()}
    for key, pair in TABLE.items():
        if key in GRADIO_KEYS:
            texts[key] = pair[column]
        elif key not in _MESSAGES and not placeholders(pair[0]):
            texts[key] = pair[column].format()
    return texts


def text(key: str, lang: str | None = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The table's text for `key` in `lang` (English if unknown), with its {values} filled."""
    return TABLE[key][_COLUMN.get(lang or "", 0)].format(**values)


def language(request: Any) -> Lang:
    """The request's language from Accept-Language (q-values honoured): "vi", else "en"."""
    header = _accept_language(request)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if quality > 0 and primary in _COLUMN:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE  # type: ignore[return-value]


def _accept_language(request: Any) -> str:
    headers = getattr(request, "headers", None) or {}
    try:
        return str(headers.get("accept-language") or "")[:500]
    except AttributeError:
        return ""


def placeholders(template: str) -> set[str]:
    """The {names} a template fills (what both languages of a key must agree on)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()


# -- messages: errors and notes, worded by their code ----------------------------------------


def msg(code: str, **values: Any) -> Message:
    """webui's own message `code`: the table's `msg.<code>`, its template the table's English."""
    return Message(code, TABLE[f"msg.{code}"][0], values)


def translated(said: CometError | Message | str | None, lang: str | None) -> str:
    """What an error, a Message or plain text says, in `lang` when its code has that language.

    A Message is worded with the table's template for `msg.<code>` (its nested messages too);
    its other values go in as they are. English, plain text (an upstream's own words) and a
    code the table lacks come out in English, as they came.
    """
    if isinstance(said, CometError):
        english, message = said.message, said.msg
    else:
        english, message = str(said or ""), said if isinstance(said, Message) else None
    column = _COLUMN.get(lang or "", 0)
    if message is None or column == _COLUMN[DEFAULT_LANGUAGE]:
        return english
    try:
        return message.render(lambda part: _template(part, column))
    except (KeyError, IndexError, ValueError):  # a table entry at odds with its code's values
        return english


def _template(message: Message, column: int) -> str:
    entry = TABLE.get(f"msg.{message.code}")
    return entry[column] if entry is not None else message.template
