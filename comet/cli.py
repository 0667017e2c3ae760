"""The command line: generate, resume, list models and history, run the simulator."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from ._constants import DEFAULT_MODEL
from .client import CometClient
from .durations import seed_from_history
from .errors import CometError, InvalidInputError
from .jobs import JobUpdate, follow_job, start_job
from .settings import AppSettings, read_output_dir

__all__ = ["build_cli_input", "main", "parse_json_input", "parse_settings", "resolve_model"]

DEMO_KEY = "demo-mode-no-key"  # the offline simulator wants a non-empty Bearer token


def _output_dir(args: argparse.Namespace) -> Path:
    """--out, else COMET_OUTPUT_DIR, else ./outputs."""
    return Path(args.out) if args.out else read_output_dir()


def resolve_model(name: str) -> str:
    """A catalogue name ("flux-dev") becomes its full id; any other owner/name is kept as given."""
    from .models import get_model

    spec = get_model(name)
    if spec is not None:
        return spec.id
    if "/" in name:
        return name.strip()  # the client refuses a malformed owner/name before sending it
    raise InvalidInputError(
        f"Unknown model {name!r}: `python -m comet models` lists them; "
        "any other model needs its full owner/name.",
        field="model",
    )


def parse_settings(model: str, pairs: Sequence[str]) -> dict[str, Any]:
    """Turn --set key=value pairs into typed inputs, coerced through the catalogue.

    An image input takes a URL or `@path` (a local file, sent inline as a data: URI, as the
    app sends an upload); a list-of-images input takes one per --set, or a JSON list.
    """
    from .models import coerce_value, get_model

    spec = get_model(model)
    values: dict[str, Any] = {}
    images: dict[str, tuple[Any, list[Any]]] = {}  # name: (field, items of every --set)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInputError(f"--set expects key=value, got {pair!r}")
        field = spec.field(key) if spec else None
        if field is None:
            values[key] = _guess_type(raw)
        elif field.kind == "images":
            images.setdefault(key, (field, []))[1].extend(_image_items(key, raw))
        elif field.kind == "image":
            values[key] = coerce_value(field, _image_ref(key, raw))
        else:
            values[key] = coerce_value(field, raw)
    for key, (field, items) in images.items():
        values[key] = coerce_value(field, items)
    return values


def _image_ref(key: str, raw: Any) -> Any:
    """`@path` becomes the file's data: URI; anything else (a URL) is kept as given."""
    if not isinstance(raw, str) or not raw.startswith("@"):
        return raw
    from .images import image_to_data_uri

    path = Path(raw[1:]).expanduser()
    if not path.is_file():
        raise InvalidInputError(
            f'"{key}": no image file at {str(path)!r} (after @ comes the path of a local '
            "JPEG, PNG, GIF or WebP file).",
            field=key,
        )
    return image_to_data_uri(path, field=key)


def _image_items(key: str, raw: str) -> list[Any]:
    """One --set of a list-of-images input: one URL or @path, or a JSON list of them."""
    if not raw.strip().startswith("["):
        return [_image_ref(key, raw.strip())]
    try:
        items = json.loads(raw)
    except ValueError:
        raise InvalidInputError(
            f'"{key}" must be a URL, @path, or a JSON list of them, got {raw[:60]!r}', field=key
        ) from None
    if not isinstance(items, list):
        raise InvalidInputError(f'"{key}" must be a JSON list of image URLs', field=key)
    return [_image_ref(key, item) for item in items]


def parse_json_input(text: str | None) -> dict[str, Any]:
    """--json: a JSON object merged into the input (it wins), as the app's Extra input box.

    Names the catalogue does not know are sent as they are, for inputs it lacks.
    """
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"--json is not valid JSON: {exc}", field="json") from None
    if not isinstance(value, dict):
        raise InvalidInputError(
            "--json must be a JSON object, e.g. '{\"guidance\": 3.5}'", field="json"
        )
    return value


def build_cli_input(
    model: str, prompt: str, pairs: Sequence[str], json_text: str | None = None
) -> dict[str, Any]:
    """The input `generate` sends: --set values, the prompt, then --json; checked and typed."""
    from .models import get_model, validate_input

    values = parse_settings(model, pairs)
    values["prompt"] = prompt
    extra = parse_json_input(json_text)
    if get_model(model) is None:  # a model the catalogue lacks: sent as given
        return {**values, **extra}
    return validate_input(model, values, omit_defaults=False, extra=extra or None)


def _guess_type(raw: str) -> Any:
    """For a model the catalogue does not know: JSON-ish scalars, else the string."""
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def _make_client(out: TextIO, **options: Any) -> CometClient:
    """A client for CometAPI with COMET_API_KEY, else for the offline simulator."""
    settings = AppSettings.from_env()
    key, base_url = settings.owner_key, settings.base_url
    if settings.demo:
        from .simulator import demo_simulator  # only a demo run pays for starting it

        print(
            "No COMET_API_KEY set: using the built-in offline simulator (demo images only). "
            "Put COMET_API_KEY=... in .env to use CometAPI.",
            file=out,
        )
        key, base_url = DEMO_KEY, demo_simulator(settings.demo_time_scale).base_url
    return CometClient(
        api_key=key,
        base_url=base_url,
        poll_interval=settings.poll_interval,
        timeout=settings.timeout,
        **options,
    )


def _report(updates: Iterator[JobUpdate], out: TextIO) -> int:
    started = time.monotonic()
    last_status = None
    final: JobUpdate | None = None
    for update in updates:
        final = update
        prediction = update.prediction
        if update.note:
            print(f"[{time.monotonic() - started:5.1f}s] {update.note}", file=out)
        if prediction.status != last_status:
            last_status = prediction.status
            print(
                f"[{time.monotonic() - started:5.1f}s] {prediction.id} {prediction.status}",
                file=out,
            )
    assert final is not None  # noqa: S101 - a job always yields at least once
    prediction = final.prediction
    if not prediction.succeeded:
        reason = prediction.error or prediction.status
        print(f"error: prediction {prediction.id} {prediction.status}: {reason}", file=sys.stderr)
        return 1
    for path in final.files:
        print(path, file=out)
    if final.save_error:
        print(f"error: {final.save_error}", file=sys.stderr)
        return 1
    return 0


def _cmd_generate(args: argparse.Namespace, out: TextIO) -> int:
    model = resolve_model(args.model)
    values = build_cli_input(model, args.prompt, args.set or [], args.json)
    from .history import History

    out_dir = _output_dir(args)
    # The input is checked above, --json included; the client's own check would refuse
    # the names --json adds that the catalogue does not know.
    with _make_client(out, validator=None) as client:
        history = History.in_directory(out_dir)
        try:
            # Past runs of this model tell the client when to expect this one to finish.
            seed_from_history(client.durations, history, [model])
            job = start_job(
                client, model, values, output_dir=out_dir, history=history, source="cli"
            )
            return _report(job, out)
        finally:
            history.close()


def _cmd_get(args: argparse.Namespace, out: TextIO) -> int:
    from .history import History

    out_dir = _output_dir(args)
    with _make_client(out) as client:
        history = History.in_directory(out_dir)
        try:
            return _report(follow_job(client, args.id, output_dir=out_dir, history=history), out)
        finally:
            history.close()


def _cmd_models(args: argparse.Namespace, out: TextIO) -> int:
    from .models import describe_models

    print(describe_models(), file=out)
    return 0


def _cmd_history(args: argparse.Namespace, out: TextIO) -> int:
    from .history import History

    history = History.in_directory(_output_dir(args))
    try:
        entries = history.unfinished() if args.unfinished else history.list(limit=args.limit)
    finally:
        history.close()
    if not entries:
        print("No predictions yet.", file=out)
        return 0
    for entry in entries:
        when = entry.created_at or "?"
        files = f"{len(entry.files)} file(s)" if entry.files else ""
        prompt = entry.prompt if len(entry.prompt) <= 50 else entry.prompt[:49] + "…"
        line = f"{entry.id}  {entry.status:<10} {when:<24} {entry.model:<36} {prompt!r} {files}"
        print(line.rstrip(), file=out)
    return 0


def _cmd_simulate(args: argparse.Namespace, out: TextIO) -> int:
    from .simulator import main as simulator_main

    argv = ["--port", str(args.port), "--host", "127.0.0.1"]
    if args.time_scale is not None:
        argv += ["--time-scale", str(args.time_scale)]
    return simulator_main(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m comet", description="Generate FLUX images through CometAPI."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="create a prediction, wait, save the images")
    generate.add_argument("prompt")
    generate.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"a name or owner/name, default {DEFAULT_MODEL}"
    )
    generate.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a model input, e.g. num_outputs=2; an image input takes a URL or @path of a "
        "local file",
    )
    generate.add_argument(
        "--json",
        metavar="OBJECT",
        help="more input as a JSON object, merged last, e.g. '{\"guidance\": 3.5}'",
    )
    generate.add_argument("--out", help="output directory (default $COMET_OUTPUT_DIR or ./outputs)")
    generate.set_defaults(handler=_cmd_generate)

    get = commands.add_parser("get", help="resume a prediction by id: wait, save its images")
    get.add_argument("id")
    get.add_argument("--out", help="output directory")
    get.set_defaults(handler=_cmd_get)

    models = commands.add_parser("models", help="list the models and their inputs")
    models.set_defaults(handler=_cmd_models)

    history = commands.add_parser("history", help="list past predictions, newest first")
    history.add_argument("--limit", type=int, default=50)
    history.add_argument("--unfinished", action="store_true", help="only those still running")
    history.add_argument("--out", help="output directory holding history.sqlite3")
    history.set_defaults(handler=_cmd_history)

    simulate = commands.add_parser("simulate", help="run the offline simulator server")
    simulate.add_argument("--port", type=int, default=8765)
    simulate.add_argument("--time-scale", type=float, default=None)
    simulate.set_defaults(handler=_cmd_simulate)
    return parser


def _quiet_stdout() -> None:
    """The reader of our stdout has gone: send what is left to devnull, so exit stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point: loads ./.env, runs one command, turns every CometError into one line."""
    from dotenv import load_dotenv

    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    load_dotenv(Path.cwd() / ".env")  # the working directory's only, as the README says
    try:
        code = args.handler(args, out)
        out.flush()  # inside the try: a closed pipe must fail here, not at interpreter exit
        return code
    except BrokenPipeError:  # `python -m comet history | head -1`
        if out is sys.stdout:
            _quiet_stdout()
        return 1
    except CometError as exc:
        hint = ""
        if exc.prediction_id and args.command != "get":
            hint = f" (resume with: python -m comet get {exc.prediction_id})"
        print(f"error: {exc.message}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
