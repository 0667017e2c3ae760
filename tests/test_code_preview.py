"""Copy as code (webui/code_preview.py) and the request preview (GenerateHandlers.preview).

The preview is exactly what Generate sends: its JSON body, and the command line and Python
snippet a visitor copies, which are run here as a user would (the line through bash, the snippet
with python, both with only COMET_API_KEY and COMET_BASE_URL set) against the simulator that
also received Generate's run. The page arrives with the preview of its first values.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from comet.outputs import shorten_data_uris
from tests.page_support import KONTEXT, open_page, sent
from tests.support import clean_env, run_python
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
    "flux-dev-non-defaults-upload-extra-json": {
        "prompt": TRICKY_PROMPT,
        "model": "black-forest-labs/flux-dev",
        "seed": 1234,
        "randomize_seed": False,
        "extra_input": json.dumps(
            {"go_fast": False, "brand_new_option": "on", "weights": [0.5, 1, "x"], "none": None}
        ),
        "num_outputs": 2,
        "guidance": 4.5,
        "aspect_ratio": "3:2",
        "output_format": "png",
        "megapixels": "0.25",
        "upload": "my photo.png",
    },
    "flux-2-pro-dash-prompt-random-seed-uploads-and-a-url": {
        "prompt": "-- not an option; rm -rf ~ 'quoted'",
        "model": "black-forest-labs/flux-2-pro",
        "seed": 5,
        "randomize_seed": True,  # Generate draws a seed; the preview and the copies send none
        "extra_input": "",
        "upload": ["first.png", "zweites bild.jpg"],
        "image_urls": "https://example.com/third.png",
        "resolution": "2 MP",
        "aspect_ratio": "custom",
        "width": 1024,
        "height": 768,
    },
    "unknown-model-extra-json-only": {
        "prompt": "x",
        "model": "someone/new-model",
        "seed": None,
        "randomize_seed": True,
        "extra_input": '{"strength": 0.5, "flag": true, "steps": 3}',
    },
}


def with_uploads(form: dict, folder: Path) -> dict:
    """The form with each upload named made as a real image in folder (as Gradio's cache
    would hold it), given to the handlers as its path."""
    folder.mkdir(exist_ok=True)
    names = form.get("upload") or []
    paths = []
    for n, filename in enumerate(names if isinstance(names, list) else [names]):
        path = folder / filename
        Image.new("RGB", (40 + n, 30), (200, 40 * n, 90)).save(path)
        paths.append(str(path))
    if not paths:
        return dict(form)
    return form | {"upload": paths if isinstance(names, list) else paths[0]}


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


@pytest.mark.parametrize("case", list(CASES))
def test_the_preview_and_the_copied_code_send_exactly_what_generate_sends(
    page, sim, tmp_path, case
):
    work = tmp_path / "work"  # where the user runs the copied code, with their image files
    form = with_uploads(CASES[case], work)
    new = sent(sim)
    preview = page.generate.preview(**form)
    previewed = json.loads(preview["preview_json"])["input"]
    page.run(**form)

    cli = run_copied_cli(preview["preview_cli"], work, sim)
    snippet = run_copied_python(preview["preview_python"], work, sim)

    # The simulator knows only the catalogue's models: a new one is refused (404) after its
    # create request was received, which is what is compared here.
    known = not case.startswith("unknown")
    assert cli.returncode == 0 or not known, cli.stderr
    assert snippet.returncode == 0 or not known, snippet.stderr
    by_generate, by_cli, by_python = (create.json["input"] for create in new())
    if known:  # and the snippet saved the images it printed
        saved = [work / line for line in snippet.stdout.split()]
        assert saved and all(path.is_file() for path in saved), snippet.stdout
    if form["randomize_seed"]:
        assert "seed" not in previewed and "seed" not in preview["preview_cli"]
        by_generate.pop("seed", None)
    assert by_cli == by_generate  # inline images included, byte for byte
    assert by_python == by_generate
    assert shorten_data_uris(by_generate) == previewed  # the JSON shortens data: URIs
    assert shlex.split(preview["preview_curl"].replace("\\\n", " "))[-1] == json.dumps(
        {"input": previewed}
    )
    assert f"/models/{form['model']}/predictions" in preview["preview_curl"]
    assert "Bearer $COMET_API_KEY" in preview["preview_curl"]


def test_the_preview_of_a_bad_field_names_it_instead_of_a_body(page):
    preview = page.generate.preview("x", "black-forest-labs/flux-dev", num_inference_steps=99)
    assert preview["preview_json"].startswith('// "num_inference_steps" must be between 1 and 50')
    assert preview["preview_curl"] == preview["preview_cli"] == preview["preview_python"] == ""


def test_the_code_holds_no_key_and_names_uploads_by_file(tmp_path, sim):
    owner_key = "sk-OWNER-never-in-code-9f3e"
    form = with_uploads(
        {"prompt": "p", "model": KONTEXT, "upload": "cat.png"}, tmp_path / "uploads"
    )
    with open_page(tmp_path / "o", owner_key=owner_key, base_url=sim.base_url) as page:
        preview = page.generate.preview(**form)
    for code in preview.values():
        assert owner_key not in code
    for code in (preview["preview_cli"], preview["preview_python"]):
        assert "base64" not in code  # the image goes by file name, not inline
    assert "--set input_image=@cat.png" in preview["preview_cli"]
    assert preview["preview_cli"].startswith("# Adjust the image path")
    assert 'image_to_data_uri("cat.png"),  # adjust the path' in preview["preview_python"]


def test_a_pasted_data_uri_without_an_upload_gets_a_file_name_to_fill_in():
    values = {"prompt": "p", "input_image": "data:image/jpeg;base64,AAAA"}
    assert "--set input_image=@image-1.jpg" in cli_command(KONTEXT, values)
    assert 'image_to_data_uri("image-1.jpg")' in python_snippet(KONTEXT, values)


def test_the_command_line_reads_back_as_the_same_arguments():
    values = {"prompt": TRICKY_PROMPT, "guidance": 2.5, "go_fast": False, "odd name": [1, None]}
    line = cli_command("black-forest-labs/flux-dev", values)
    args = shlex.split(line.replace(" \\\n  ", " "))
    assert args == [
        "python", "-m", "comet", "generate", TRICKY_PROMPT, "--model", "flux-dev",
        "--set", "guidance=2.5", "--set", "go_fast=false", "--json", '{"odd name": [1, null]}',
    ]  # fmt: skip


def test_the_page_arrives_with_the_preview_of_its_first_values(app):
    """Part of the page itself, so no event after load has to reach the closed accordion."""
    shown = {
        block["props"]["elem_id"]: block["props"]["value"]
        for block in app.blocks.get_config_file()["components"]
        if str(block.get("props", {}).get("elem_id", "")).startswith("preview-")
    }
    first = app.generate_handlers.preview("", "black-forest-labs/flux-schnell")
    assert shown == {f"preview-{name}": first[f"preview_{name}"] for name in
                     ("json", "curl", "cli", "python")}  # fmt: skip
    assert json.loads(shown["preview-json"]) == {"input": {"prompt": "…"}}
    assert shown["preview-curl"].startswith(
        "curl -s -X POST https://api.cometapi.com/replicate/v1/models/"
        "black-forest-labs/flux-schnell/predictions"
    )
