"""Messages as data: a code, its English template and the values it fills.

An error says what went wrong as a `Message`, so that a user interface can word it in another
language by its code (webui/i18n.py) instead of recognising English sentences. `str(message)`
is the English, exactly as the CLI and the logs show it. A value may itself be a Message (a
phrase worded in the same language, e.g. the rule in '"{name}" must be {rule}, got {value}');
any other value (a name, a number, the API's own words) goes in as it is.

ENGLISH holds every template of this package by code; a code's wording may change without
losing a translation, which is keyed by the code alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ENGLISH", "Message", "message"]

_NOT_TWICE = "it was not retried so that you do not pay twice."
_SMALLER = "Use a smaller image or a public https URL."

ENGLISH: dict[str, str] = {
    # -- validation against the catalogue (comet/validation.py) --------------------------------
    "value.must_be": '"{name}" must be {rule}, got {value}',
    "rule.whole": "a whole number",
    "rule.number": "a number",
    "rule.whole_between": "a whole number between {low} and {high}",
    "rule.whole_at_least": "a whole number at least {low}",
    "rule.whole_at_most": "a whole number at most {high}",
    "rule.number_between": "a number between {low} and {high}",
    "rule.number_at_least": "a number at least {low}",
    "rule.number_at_most": "a number at most {high}",
    "rule.between": "between {low} and {high}",
    "rule.at_least": "at least {low}",
    "rule.at_most": "at most {high}",
    "rule.multiple": "a multiple of {step}",
    "rule.and": "{rule}, {more}",  # a range, then its grid
    "rule.of_kind": "{kind} {rule}",  # a kind of number on a grid, without a range
    "rule.bool": "true or false",
    "rule.one_of": "one of {choices}",
    "rule.text": "text",
    "rule.url": "an https:// or http:// URL or a data:image/...;base64,... URI",
    "rule.url_list": "a list of image URLs",
    "rule.url_or_data_list": "a list of image URLs or data: URIs",
    "value.too_many_images": '"{name}" takes at most {limit} images, got {count}',
    "value.unknown_close": (
        'Unknown input "{name}" for {model}. Did you mean "{close}"? Valid inputs: {names}.'
    ),
    "value.unknown_list": 'Unknown input "{name}" for {model}. Valid inputs: {names}.',
    "value.only_with": (
        '"{name}" is only used when "{other}" is "{wanted}", but "{other}" is {actual}; set '
        '"{other}" to "{wanted}" or leave "{name}" empty'
    ),
    "value.needs": '"{other}" "{wanted}" needs {needed}; "{name}" is missing',
    "value.safety_cap": (
        '"safety_tolerance" can be at most {cap} when an "{field}" is given, got {value}'
    ),
    "value.unknown_model": 'Unknown model "{model}". Known models: {known}.',
    "value.prompt_empty": 'Prompt is empty: "prompt" must describe the image you want.',
    "value.required": '"{name}" is required.',
    # -- the API's refusals (comet/errors.py) --------------------------------------------------
    "api.blocked": (
        "CometAPI accepted the API key but blocked this request (HTTP 403): {detail} This "
        "model, or one of the inputs sent, is not enabled for this key: check the key's model "
        "access in the CometAPI console ({url})."
    ),
    "api.not_found": "Not found ({what}): {detail}",
    "api.what_prediction": "prediction",
    "api.what_route": "model or route",
    "api.rejected": "CometAPI rejected the request ({why}): {detail}",
    # {cause}: "" or, for Cloudflare's own codes, a space and what the code means (English).
    "api.server": "CometAPI had a server error ({inner}).{cause}",
    "api.server_creating": (
        "CometAPI had a server error ({inner}).{cause} The prediction may have been created "
        f"anyway; {_NOT_TWICE}"
    ),
    "api.redirect": "Unexpected redirect (HTTP {status}) to {location}: check COMET_BASE_URL.",
    "api.status": "CometAPI answered HTTP {status}: {detail}",
    # -- the network (comet/_transport.py, comet/client.py) ------------------------------------
    "net.connect": "Could not connect to {url} within {seconds} s.",
    "net.create_timeout": (
        "{url} did not answer the create request within {seconds} s. The prediction may have "
        f"been created (and billed) anyway; {_NOT_TWICE} Check your CometAPI dashboard before "
        "trying again."
    ),
    "net.timeout": "{url} did not answer within {seconds} s.",
    "net.dropped": (
        "The connection to {url} dropped after the create request was sent. The prediction "
        f"may have been created (and billed); {_NOT_TWICE}"
    ),
    "net.unreachable": "Could not reach {url}: {reason}",
    "net.failed": "Request to {url} failed: {reason}",
    "net.not_json": "{url} sent a response that is not valid JSON (HTTP {status}, {snippet}).",
    "net.bad_prediction": "{url} sent a prediction without an id or in an unknown shape: {snippet}",
    # -- waiting and saving (comet/client.py, comet/jobs.py, comet/saving.py) ------------------
    "wait.deadline": (
        "Prediction {id} is still {status} after {seconds} s. It may still finish: resume it "
        "with `python -m comet get {id}`."
    ),
    "wait.retrying": "{message} Retrying in {seconds} s.",
    "save.one": "{failed} of {total} image could not be saved: {details}",
    "save.many": "{failed} of {total} images could not be saved: {details}",
    # -- local images (comet/images.py: the app's uploads, the CLI's @path) --------------------
    "upload.not_image": '"{name}": the upload is not an image; use JPEG, PNG, GIF or WebP.',
    "upload.unreadable": '"{name}": the image could not be read ({reason}).',
    "upload.gone": '"{name}": the uploaded file is gone; upload it again.',
    "upload.too_big": (
        f'"{{name}}": the upload is {{size}} MB; the limit is {{limit}} MB. {_SMALLER}'
    ),
    "upload.format": '"{name}": {kind} is not accepted; use JPEG, PNG, GIF or WebP.',
    "upload.this_file": "this file",
    "upload.pixels": f'"{{name}}": {{what}}; the limit is {{limit}} megapixels. {_SMALLER}',
    "upload.far_too_many": "the image has far too many pixels",
    "upload.size": "the image is {width} x {height} pixels ({megapixels} MP)",
}


@dataclass(frozen=True)
class Message:
    """What a message says: its code, its English template and the values that fill it."""

    code: str
    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", dict(self.values))  # its own copy (and picklable)

    def __str__(self) -> str:
        return self.render(lambda message: message.template)

    def render(self, template_of: Callable[[Message], str]) -> str:
        """The message in the words `template_of` gives each code (nested messages too)."""
        values = {
            name: value.render(template_of) if isinstance(value, Message) else value
            for name, value in self.values.items()
        }
        return template_of(self).format(**values)

    def map_text(self, function: Callable[[str], str]) -> Message:
        """A copy with `function` applied to every text value, nested ones too (redaction)."""

        def mapped(value: Any) -> Any:
            if isinstance(value, Message):
                return value.map_text(function)
            return function(value) if isinstance(value, str) else value

        values = {name: mapped(value) for name, value in self.values.items()}
        return Message(self.code, self.template, values)


def message(code: str, **values: Any) -> Message:
    """This package's message `code` (a key of ENGLISH) with its values."""
    return Message(code, ENGLISH[code], values)
