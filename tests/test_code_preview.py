"""Copy as code: the preview's command line and Python snippet, run, send what Generate sends.

The app is built (not launched) against a simulator; the preview handler gives the code a
visitor would copy, Generate's handler sends the run, and the copied code is then run as a
user would (the command line through bash, the snippet with python, both with only
COMET_API_KEY and COMET_BASE_URL set) against the same simulator, which records every create.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from comet.outputs import shorten_data_uris
from comet.settings import AppSettings
from tests.support import clean_env, creates, drive, run_python
from webui import build_app
from webui.code_preview import cli_command, python_snippet

KEY = "sk-copy-as-code-test-4321"
# Runs one copied command line in bash, with `python` meaning this test's interpreter.
RUN_IN_BASH = """
import os, subprocess, sys
os.environ["COPIED_PYTHON"] = sys.executable
script = 'python() { "$COPIED_PYTHON" "$@"; }\\n' + sys.argv[1]
sys.exit(subprocess.run(["bash", "-c", script], check=False).returncode)
"""
TRICKY_PROMPT = 'She said "it\'s fine" — café ☕, naïve 東京\nsecond line with $HOME and `id`'

CASES = {
    "flux-dev-non-default-upload-extra-json": {
        "prompt": TRICKY_PROMPT,
        "model": "black-forest-labs/flux-dev",
        "seed": 1234,
        "randomize_seed": False,
        "extra_input": json.dumps(
            {"go_fast": False, "brand_new_option": "on", "weights": [0.5, 1, "x"], "none": None}
        ),
        "flux_dev__num_outputs": 2,
        "flux_dev__guidance": 4.5,
        "flux_dev__aspect_ratio": "3:2",
        "flux_dev__output_format": "png",
        "flux_dev__megapixels": "0.25",
        "flux_dev__image": "my photo.png",
    },
    "flux-1.1-pro-custom-size-rounded": {
        "prompt": "a lighthouse at dusk",
        "model": "black-forest-labs/flux-1.1-pro",
        "seed": 7,
        "randomize_seed": False,
        "extra_input": "",
        "flux_1_1_pro__aspect_ratio": "custom",
        "flux_1_1_pro__width": 1000,  # rounded to the model's grid of 32
        "flux_1_1_pro__height": 768,
        "flux_1_1_pro__prompt_upsampling": True,
        "flux_1_1_pro__safety_tolerance": 5,
        "flux_1_1_pro__output_quality": 95,
    },
    "flux-2-pro-uploads-and-a-url": {
        "prompt": "combine these",
        "model": "black-forest-labs/flux-2-pro",
        "seed": 99,
        "randomize_seed": False,
        "extra_input": "",
        "flux_2_pro__input_images": ["first.png", "zweites bild.jpg"],
        "flux_2_pro__input_images_url": "https://example.com/third.png",
        "flux_2_pro__resolution": "2 MP",
    },
    "unknown-model-extra-json-only": {
        "prompt": "x",
        "model": "someone/new-model",
        "seed": None,
        "randomize_seed": True,
        "extra_input": '{"strength": 0.5, "flag": true, "steps": 3}',
    },
}


def visitor() -> SimpleNamespace:
    """What the handlers read of a gr.Request."""
    return SimpleNamespace(
        session_hash="s1", client=SimpleNamespace(host="127.0.0.1"), headers={}, username=None
    )


def _with_uploads(form: dict, folder: Path) -> dict:
    """The form with each upload named made as a real image in folder (as Gradio's cache would
    hold it), given to the handlers as its path."""
    folder.mkdir(exist_ok=True)
    made = dict(form)
    for name, value in form.items():
        if name.endswith(("__image", "__input_image", "__input_images")):
            names = value if isinstance(value, list) else [value]
            paths = []
            for n, filename in enumerate(names):
                path = folder / filename
                Image.new("RGB", (40 + n, 30), (200, 40 * n, 90)).save(path)
                paths.append(str(path))
            made[name] = paths if isinstance(value, list) else paths[0]
    return made


def _env(home: Path, sim) -> dict:
    return clean_env(
        home, COMET_API_KEY=KEY, COMET_BASE_URL=sim.base_url, COMET_POLL_INTERVAL="0.05"
    )


def run_copied_cli(line: str, cwd: Path, sim) -> subprocess.CompletedProcess:
    """The copied command line, pasted into bash in cwd."""
    return run_python(["-c", RUN_IN_BASH, line], cwd=cwd, env=_env(cwd, sim))


def run_copied_python(snippet: str, cwd: Path, sim) -> subprocess.CompletedProcess:
    """The copied snippet, run as a script in cwd."""
    (cwd / "snippet.py").write_text(snippet, encoding="utf-8")
    return run_python(["snippet.py"], cwd=cwd, env=_env(cwd, sim))


def sent_inputs(sim) -> list[dict]:
    return [request.json["input"] for request in creates(sim)]


@pytest.mark.parametrize("case", list(CASES))
def test_the_copied_command_line_and_python_send_exactly_what_generate_sends(
    app, simulator, tmp_path, case
):
    work = tmp_path / "work"  # where the user runs the copied code, with their image files
    form = _with_uploads(CASES[case], work)
    preview = app.generate_handlers.preview(**form)
    previewed = json.loads(preview["preview_json"])["input"]
    list(drive(app.generate_handlers.generate(**form, request=visitor())))
    [by_generate] = sent_inputs(simulator)

    cli = run_copied_cli(preview["preview_cli"], work, simulator)
    snippet = run_copied_python(preview["preview_python"], work, simulator)

    # The simulator knows only the catalogue's models: a new one is refused (404) after
    # its create request was received, which is what is compared here.
    known = not case.startswith("unknown")
    assert cli.returncode == 0 or not known, cli.stderr
    assert snippet.returncode == 0 or not known, snippet.stderr
    assert len(creates(simulator)) == 3, (cli.stderr, snippet.stderr)
    if known:  # and the snippet saved the images it printed
        saved = [work / line for line in snippet.stdout.split()]
        assert saved and all(path.is_file() for path in saved), snippet.stdout
    _, by_cli, by_python = sent_inputs(simulator)
    if form["randomize_seed"]:  # Generate adds a seed of its own; the preview leaves it out
        by_generate.pop("seed", None)
    assert by_cli == by_generate  # inline images included, byte for byte
    assert by_python == by_generate
    assert shorten_data_uris(by_cli) == previewed  # the JSON preview shortens data: URIs
    if "megapixels" in previewed:  # the case really carries non-default and extra values
        assert previewed["num_outputs"] == 2 and previewed["brand_new_option"] == "on"
        assert by_cli["image"].startswith("data:image/png;base64,")
    if "width" in previewed:
        assert previewed["width"] == 992  # 1000 rounded to 32: and the copy sends it as sent


def test_a_randomized_seed_is_left_out_and_a_dash_prompt_stays_a_prompt(app, simulator, tmp_path):
    form = {
        "prompt": "-- not an option; rm -rf ~ 'quoted'",
        "model": "black-forest-labs/flux-schnell",
        "randomize_seed": True,
        "seed": 5,
        "flux_schnell__num_outputs": 3,
    }
    preview = app.generate_handlers.preview(**form)
    previewed = json.loads(preview["preview_json"])["input"]
    assert "seed" not in previewed
    assert "seed" not in preview["preview_cli"]
    assert '"seed"' not in preview["preview_python"]
    work = tmp_path / "work"
    work.mkdir()

    cli = run_copied_cli(preview["preview_cli"], work, simulator)
    assert cli.returncode == 0, cli.stderr
    [by_cli] = sent_inputs(simulator)
    assert by_cli == previewed == {"prompt": form["prompt"], "num_outputs": 3}


def test_the_code_holds_no_key_and_names_uploads_by_file(tmp_path, simulator):
    owner_key = "sk-OWNER-never-in-code-9f3e"
    app = build_app(
        AppSettings(owner_key=owner_key, base_url=simulator.base_url, output_dir=tmp_path / "o")
    )
    try:
        form = _with_uploads(
            {
                "prompt": "p",
                "model": "black-forest-labs/flux-kontext-pro",
                "flux_kontext_pro__input_image": "cat.png",
            },
            tmp_path / "uploads",
        )
        preview = app.generate_handlers.preview(**form)
    finally:
        app.close()
    for code in (preview["preview_cli"], preview["preview_python"]):
        assert owner_key not in code
        assert "base64" not in code  # the image goes by file name, not inline
    assert "--set input_image=@cat.png" in preview["preview_cli"]
    assert preview["preview_cli"].startswith("# Adjust the image path")
    assert 'image_to_data_uri("cat.png")' in preview["preview_python"]
    assert "adjust the path" in preview["preview_python"]


def test_a_pasted_data_uri_without_an_upload_gets_a_file_name_to_fill_in():
    values = {"prompt": "p", "input_image": "data:image/jpeg;base64,AAAA"}
    line = cli_command("black-forest-labs/flux-kontext-pro", values)
    assert "--set input_image=@image-1.jpg" in line
    assert 'image_to_data_uri("image-1.jpg")' in python_snippet(
        "black-forest-labs/flux-kontext-pro", values
    )


def test_the_command_line_reads_back_as_the_same_arguments():
    values = {"prompt": TRICKY_PROMPT, "guidance": 2.5, "go_fast": False, "odd name": [1, None]}
    line = cli_command("black-forest-labs/flux-dev", values)
    args = shlex.split(line.replace(" \\\n  ", " "))
    assert args[:4] == ["python", "-m", "comet", "generate"]
    assert args[4] == TRICKY_PROMPT
    assert args[5:] == [
        "--model",
        "flux-dev",
        "--set",
        "guidance=2.5",
        "--set",
        "go_fast=false",
        "--json",
        '{"odd name": [1, null]}',
    ]
