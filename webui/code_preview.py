"""Copy as code: the request Generate would send, as a CLI line and as a Python snippet.

Both send exactly the input of the JSON preview: the CLI's `--set` values are typed through the
same catalogue, and names the catalogue lacks go in `--json` as they are. Neither holds the
key: the CLI and `CometClient.from_env()` read COMET_API_KEY. An uploaded image cannot travel
in a command line (it is megabytes of data: URI), so it appears as the uploaded file's name
(`@photo.png`, `image_to_data_uri("photo.png")`), which the reader points at their own copy;
the same file gives the same data: URI the app sends.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from comet.models import ModelSpec, get_model

__all__ = ["cli_command", "code_preview", "python_snippet"]

ADJUST_NOTE = "Adjust the image path(s) to where the file is on your machine."
_MIME_EXT = re.compile(r"data:image/([\w.+-]+)", re.IGNORECASE)


class _Split:
    """One input split as the CLI takes it: prompt, --set pairs, images by file, --json."""

    def __init__(self, model: str, values: Mapping[str, Any], upload_names: Sequence[str]):
        self.spec: ModelSpec | None = get_model(model)
        self.model = self.spec.name if self.spec else model
        self.prompt = str(values.get("prompt", ""))
        self.fields: dict[str, Any] = {}  # catalogue fields, other than the prompt
        self.extra: dict[str, Any] = {}  # everything else: sent as given
        self.image_names = list(upload_names)
        self.files_used = 0
        for name, value in values.items():
            if name == "prompt":
                continue
            if self.spec is not None and self.spec.field(name) is not None:
                self.fields[name] = value
            else:
                self.extra[name] = value

    def file_for(self, data_uri: str) -> str:
        """The file an inline image came from: the k-th upload, else a name to fill in."""
        index = self.files_used
        self.files_used += 1
        if index < len(self.image_names):
            return self.image_names[index]
        match = _MIME_EXT.match(data_uri)
        ext = (match.group(1) if match else "png").lower().replace("jpeg", "jpg")
        return f"image-{index + 1}.{ext}"

    def is_image(self, name: str) -> bool:
        field = self.spec.field(name) if self.spec else None
        return field is not None and field.kind in ("image", "images")


def _is_inline(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("data:")


def _set_text(value: Any) -> str:
    """A value as `--set` takes it back (the catalogue coerces it to the same value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    return str(value)


def cli_command(model: str, values: Mapping[str, Any], upload_names: Sequence[str] = ()) -> str:
    """`python -m comet generate …` that sends exactly `values` (uploads as @file)."""
    split = _Split(model, values, upload_names)
    options = [f"--model {shlex.quote(split.model)}"]
    for name, value in split.fields.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if split.is_image(name) and _is_inline(item):
                text = "@" + split.file_for(item)
            else:
                text = _set_text(item)
            options.append(f"--set {shlex.quote(f'{name}={text}')}")
    if split.extra:
        options.append(f"--json {shlex.quote(json.dumps(split.extra, ensure_ascii=False))}")
    prompt = shlex.quote(split.prompt)
    if split.prompt.startswith("-"):  # after `--`, so that it is not read as an option
        parts = ["python -m comet generate", *options, f"-- {prompt}"]
    else:
        parts = [f"python -m comet generate {prompt}", *options]
    command = " \\\n  ".join(parts)
    return f"# {ADJUST_NOTE}\n{command}" if split.files_used else command


def _py(value: Any) -> str:
    """A Python literal of a JSON value: strings in double quotes, as the JSON preview shows."""
    if isinstance(value, list):
        return "[" + ", ".join(_py(item) for item in value) + "]"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only repr() writes it safely
            return repr(value)
        return json.dumps(value, ensure_ascii=False)  # its escapes are Python's too
    return repr(value)  # int, float, bool, None


def python_snippet(model: str, values: Mapping[str, Any], upload_names: Sequence[str] = ()) -> str:
    """A short script with comet.CometClient that sends exactly `values`; the key from env."""
    split = _Split(model, values, upload_names)
    spec_id = split.spec.id if split.spec else model
    lines = [f"        {_py('prompt')}: {_py(split.prompt)},"]
    for name, value in split.fields.items():
        lines.extend(_python_item(split, name, value))
    lines.extend(f"        {_py(name)}: {_py(value)}," for name, value in split.extra.items())
    imports = ["from comet import CometClient"]
    if split.files_used:
        imports.append("from comet.images import image_to_data_uri")
    imports.append("from comet.outputs import save_outputs")
    header = ["# The key comes from COMET_API_KEY (and the server from COMET_BASE_URL, if set)."]
    client = "CometClient.from_env()"
    if split.extra and split.spec is not None:
        unknown = ", ".join(split.extra)
        header.append(f"# validator=None sends inputs the catalogue lacks ({unknown}) as given.")
        client = "CometClient.from_env(validator=None)"
    return "\n".join(
        [
            *imports,
            "",
            *header,
            f"with {client} as client:",
            "    prediction = client.run(",
            f"        {_py(spec_id)},",
            "        {",
            *[f"    {line}" for line in lines],
            "        },",
            "    )",
            'for path in save_outputs(prediction, "outputs"):  # now: delivery URLs expire',
            "    print(path)",
        ]
    )


def _python_item(split: _Split, name: str, value: Any) -> list[str]:
    if not split.is_image(name) or not any(
        _is_inline(v) for v in (value if isinstance(value, list) else [value])
    ):
        return [f"        {_py(name)}: {_py(value)},"]
    if not isinstance(value, list):
        path = split.file_for(value)
        return [f"        {_py(name)}: image_to_data_uri({_py(path)}),  # adjust the path"]
    items = [
        f"image_to_data_uri({_py(split.file_for(v))})" if _is_inline(v) else _py(v) for v in value
    ]
    return [
        f"        {_py(name)}: [  # adjust the path(s)",
        *[f"            {item}," for item in items],
        "        ],",
    ]


def code_preview(model: str, values: Mapping[str, Any], uploads: Sequence[str]) -> tuple[str, str]:
    """(CLI line, Python snippet) for the preview; uploads are the form's file paths."""
    names = [PurePath(path).name for path in uploads]
    return cli_command(model, values, names), python_snippet(model, values, names)
