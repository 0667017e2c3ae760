"""The command line, run as a user would: `python -m comet` in a folder of its own."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests
from PIL import Image

from comet.cli import parse_settings, resolve_model
from comet.errors import InvalidInputError
from comet.history import History
from comet.images import image_to_data_uri
from comet.prediction import Prediction
from comet.simulator import Simulator
from tests.support import DEADLINE, clean_env, creates, free_port, run_python, start_python


def cli(cwd: Path, *args: str, **comet: str) -> subprocess.CompletedProcess:
    """`python -m comet <args>` in cwd with exactly these COMET_* variables.

    Demo runs finish at once and polls are fast unless a test says otherwise.
    """
    comet.setdefault("COMET_DEMO_TIME_SCALE", "0")
    comet.setdefault("COMET_POLL_INTERVAL", "0.05")
    return run_python(["-m", "comet", *args], cwd=cwd, env=clean_env(cwd, **comet))


def saved_files(result: subprocess.CompletedProcess) -> list[Path]:
    return [Path(line) for line in result.stdout.splitlines() if line.endswith(".webp")]


@pytest.fixture
def keyed_sim():
    """A simulator that accepts only the key `sk-cli-test-123`."""
    with Simulator(time_scale=0, image_size=64, api_key="sk-cli-test-123") as sim:
        yield sim


def with_key(sim: Simulator) -> dict[str, str]:
    return {"COMET_API_KEY": "sk-cli-test-123", "COMET_BASE_URL": sim.base_url}


# -- generate ----------------------------------------------------------------------------------


def test_generate_without_a_key_uses_the_simulator_and_saves_images(tmp_path):
    result = cli(tmp_path, "generate", "test", "--out", str(tmp_path / "out"))

    assert result.returncode == 0, result.stderr
    assert "offline simulator" in result.stdout
    assert "succeeded" in result.stdout
    saved = saved_files(result)
    assert saved
    with Image.open(saved[0]) as image:
        assert image.width > 0
    assert (tmp_path / "out" / "history.sqlite3").exists()


def test_generate_prints_one_line_per_status_with_elapsed_time(tmp_path):
    result = cli(
        tmp_path,
        "generate",
        "a boat",
        "--model",
        "black-forest-labs/flux-dev",
        "--set",
        "num_outputs=2",
        "--out",
        str(tmp_path / "out"),
        COMET_DEMO_TIME_SCALE="0.05",  # a run of several polls that see the same status
    )

    assert result.returncode == 0, result.stderr
    status_lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert all(re.fullmatch(r"\[ *\d+\.\ds\] \w+ \w+", line) for line in status_lines)
    statuses = [line.split()[-1] for line in status_lines]
    assert statuses[0] == "starting" and statuses[-1] == "succeeded"
    assert len(statuses) == len(set(statuses))  # one line per change, not per poll
    assert len(saved_files(result)) == 2


def test_generate_with_a_key_talks_to_comet_base_url(tmp_path, keyed_sim):
    result = cli(tmp_path, "generate", "x", "--out", str(tmp_path / "out"), **with_key(keyed_sim))

    assert result.returncode == 0, result.stderr
    assert "simulator" not in result.stdout
    assert keyed_sim.created_inputs() == [{"prompt": "x"}]


def test_generate_accepts_a_short_model_name(tmp_path, keyed_sim):
    args = ["generate", "x", "--model", "flux-dev", "--set", "guidance=2.5"]
    result = cli(tmp_path, *args, "--out", str(tmp_path / "out"), **with_key(keyed_sim))

    assert result.returncode == 0, result.stderr
    [create] = creates(keyed_sim)
    assert create.path.endswith("/models/black-forest-labs/flux-dev/predictions")
    assert create.json["input"] == {"prompt": "x", "guidance": 2.5}


def test_generate_passes_an_unknown_owner_name_through(tmp_path, keyed_sim):
    args = ["generate", "x", "--model", "someone/new-model", "--set", "strength=0.5"]
    result = cli(tmp_path, *args, "--out", str(tmp_path / "out"), **with_key(keyed_sim))

    assert "Traceback" not in result.stderr
    [create] = creates(keyed_sim)
    assert create.path.endswith("/models/someone/new-model/predictions")
    assert create.json["input"] == {"prompt": "x", "strength": 0.5}


def test_generate_refuses_an_unknown_short_name_before_sending(tmp_path, keyed_sim):
    args = ["generate", "x", "--model", "flux-9000", "--out", str(tmp_path / "out")]
    result = cli(tmp_path, *args, **with_key(keyed_sim))

    assert result.returncode == 2
    assert result.stderr.startswith("error: Unknown model 'flux-9000'")
    assert "Traceback" not in result.stderr
    assert keyed_sim.received == []


def test_an_image_input_takes_a_local_file_as_the_app_sends_an_upload(tmp_path, keyed_sim):
    Image.new("RGB", (24, 16), (10, 120, 200)).save(tmp_path / "my photo.png")
    args = ["generate", "x", "--model", "flux-kontext-pro", "--set", "input_image=@my photo.png"]
    result = cli(tmp_path, *args, "--out", str(tmp_path / "out"), **with_key(keyed_sim))

    assert result.returncode == 0, result.stderr
    [sent] = keyed_sim.created_inputs()
    assert sent["input_image"] == image_to_data_uri(tmp_path / "my photo.png")


def test_a_list_of_images_takes_one_per_set_urls_and_files_alike(tmp_path, keyed_sim):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    args = ["generate", "x", "--model", "flux-2-pro", "--set", "input_images=@a.png"]
    args += ["--set", "input_images=https://example.com/b.png"]
    result = cli(tmp_path, *args, "--out", str(tmp_path / "out"), **with_key(keyed_sim))

    assert result.returncode == 0, result.stderr
    [sent] = keyed_sim.created_inputs()
    assert sent["input_images"] == [
        image_to_data_uri(tmp_path / "a.png"),
        "https://example.com/b.png",
    ]


def test_json_input_is_merged_last_and_may_name_inputs_the_catalogue_lacks(tmp_path, keyed_sim):
    args = ["generate", "x", "--model", "flux-dev", "--set", "guidance=2.5"]
    args += ["--json", '{"guidance": 4, "new_option": [1, "a"], "go_fast": false}']
    result = cli(tmp_path, *args, "--out", str(tmp_path / "out"), **with_key(keyed_sim))

    assert result.returncode == 0, result.stderr
    [create] = creates(keyed_sim)
    assert create.json["input"] == {
        "prompt": "x",
        "go_fast": False,
        "guidance": 4.0,
        "new_option": [1, "a"],
    }


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--model", "flux-kontext-pro", "--set", "input_image=@missing.png"], "input_image"),
        (["--json", "[1, 2]"], "--json must be a JSON object"),
        (["--json", "{oops"], "--json is not valid JSON"),
        (["--model", "flux-dev", "--json", '{"guidance": "lots"}'], "guidance"),
    ],
    ids=["missing-file", "json-list", "json-broken", "json-bad-value"],
)
def test_bad_images_or_json_exit_2_with_one_line_and_send_nothing(tmp_path, keyed_sim, args, named):
    result = cli(tmp_path, "generate", "x", *args, "--out", str(tmp_path), **with_key(keyed_sim))

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and named in result.stderr
    assert "Traceback" not in result.stderr
    assert creates(keyed_sim) == []


def test_bad_input_exits_non_zero_with_one_line(tmp_path):
    result = cli(tmp_path, "generate", "x", "--set", "num_outputs=9", "--out", str(tmp_path))
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert "num_outputs" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("COMET_TIMEOUT", "soon"), ("COMET_POLL_INTERVAL", "-1"), ("COMET_DEMO_TIME_SCALE", "x")],
)
def test_a_bad_setting_exits_2_naming_the_variable(tmp_path, name, value):
    result = cli(tmp_path, "generate", "x", "--out", str(tmp_path / "out"), **{name: value})

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {name} must be")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_wrong_key_exits_non_zero_and_names_the_variable(tmp_path, keyed_sim):
    env = {**with_key(keyed_sim), "COMET_API_KEY": "wrong-key-000"}
    result = cli(tmp_path, "generate", "x", "--out", str(tmp_path / "out"), **env)

    assert result.returncode != 0
    assert "COMET_API_KEY" in result.stderr
    assert "wrong-key-000" not in result.stderr + result.stdout


def test_failed_prediction_exits_non_zero_with_its_error(tmp_path, keyed_sim):
    keyed_sim.fail_next("Content moderated")
    result = cli(tmp_path, "generate", "x", "--out", str(tmp_path / "out"), **with_key(keyed_sim))

    assert result.returncode == 1
    assert "Content moderated" in result.stderr


# -- get and history ---------------------------------------------------------------------------


def test_get_resumes_an_existing_prediction(tmp_path, keyed_sim):
    created = requests.post(
        f"{keyed_sim.base_url}/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
        json={"input": {"prompt": "made elsewhere"}},
        headers={"Authorization": "Bearer sk-cli-test-123"},
        timeout=DEADLINE,
    ).json()

    result = cli(
        tmp_path,
        "get",
        created["id"],
        COMET_OUTPUT_DIR=str(tmp_path / "out"),
        **with_key(keyed_sim),
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / f"{created['id']}-0.webp").exists()
    with History.in_directory(tmp_path / "out") as history:
        assert history.get(created["id"]).status == "succeeded"


def test_history_lists_predictions_from_comet_output_dir(tmp_path):
    with History.in_directory(tmp_path / "out") as history:
        history.record_created(
            Prediction(id="abc123", model="black-forest-labs/flux-dev", input={"prompt": "a fox"})
        )
        history.record_update(Prediction(id="abc123", status="succeeded"))

    listing = cli(tmp_path, "history", COMET_OUTPUT_DIR=str(tmp_path / "out"))

    assert listing.returncode == 0, listing.stderr
    [line] = listing.stdout.splitlines()
    assert line.startswith("abc123  succeeded")
    assert "black-forest-labs/flux-dev" in line and "'a fox'" in line


def test_get_rejects_a_malformed_id(tmp_path):
    result = cli(tmp_path, "get", "../../etc", "--out", str(tmp_path))
    assert result.returncode != 0
    assert "Invalid prediction id" in result.stderr


def test_models_lists_every_model(tmp_path):
    result = cli(tmp_path, "models")
    assert result.returncode == 0
    for name in ("flux-schnell", "flux-dev", "flux-kontext-max", "flux-2-flex"):
        assert name in result.stdout


# -- piping into a reader that stops early -----------------------------------------------------


def _into_closed_pipe(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run the CLI writing into a pipe whose reader has already gone (`| head -0`, at worst)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # before the CLI starts: its first write surely finds no reader
    try:
        process = start_python(
            ["-m", "comet", *args],
            cwd=tmp_path,
            env=clean_env(tmp_path, COMET_OUTPUT_DIR=str(tmp_path / "out")),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)
    _, stderr = process.communicate(timeout=DEADLINE)
    return process.returncode, stderr


@pytest.mark.parametrize("command", ["history", "models"])
def test_piping_into_a_reader_that_stops_early_ends_quietly(tmp_path, command):
    returncode, stderr = _into_closed_pipe(tmp_path, command)

    assert stderr == ""
    assert returncode == 1  # what Python's documentation recommends for EPIPE


# -- .env --------------------------------------------------------------------------------------


def test_dotenv_of_the_working_directory_is_loaded(tmp_path, keyed_sim):
    (tmp_path / ".env").write_text(
        f"COMET_API_KEY=sk-cli-test-123\nCOMET_BASE_URL={keyed_sim.base_url}\n"
    )
    env = clean_env(tmp_path, from_dotenv=("COMET_API_KEY", "COMET_BASE_URL"))
    args = ["-m", "comet", "generate", "x", "--out", str(tmp_path / "out")]

    result = run_python(args, cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    assert len(keyed_sim.created_inputs()) == 1


def test_dotenv_of_a_parent_folder_is_not_loaded(tmp_path):
    (tmp_path / ".env").write_text(
        f"COMET_API_KEY=sk-parent\nCOMET_BASE_URL=http://127.0.0.1:{free_port()}\n"
    )
    below = tmp_path / "below"
    below.mkdir()
    env = clean_env(
        below,
        from_dotenv=("COMET_API_KEY", "COMET_BASE_URL"),
        COMET_DEMO_TIME_SCALE="0",
        COMET_POLL_INTERVAL="0.05",
    )
    args = ["-m", "comet", "generate", "x", "--out", str(below / "out")]

    result = run_python(args, cwd=below, env=env)

    assert result.returncode == 0, result.stderr
    assert "offline simulator" in result.stdout


def test_importing_comet_does_not_load_dotenv(tmp_path):
    (tmp_path / ".env").write_text("COMET_API_KEY=should-not-load\n")
    code = "import os, comet; print(os.environ.get('COMET_API_KEY'))"
    env = clean_env(tmp_path, from_dotenv=("COMET_API_KEY",))

    result = run_python(["-c", code], cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


# -- in-process helpers ------------------------------------------------------------------------


def test_set_values_are_typed_through_the_catalogue():
    values = parse_settings(
        "black-forest-labs/flux-dev",
        ["num_outputs=2", "guidance=3.5", "go_fast=false", "aspect_ratio=16:9"],
    )
    assert values == {"num_outputs": 2, "guidance": 3.5, "go_fast": False, "aspect_ratio": "16:9"}


def test_set_without_equals_is_refused():
    with pytest.raises(InvalidInputError):
        parse_settings("black-forest-labs/flux-dev", ["num_outputs"])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("flux-dev", "black-forest-labs/flux-dev"),
        (" Flux-2-Pro ", "black-forest-labs/flux-2-pro"),
        ("black-forest-labs/flux-schnell", "black-forest-labs/flux-schnell"),
        ("someone/new-model", "someone/new-model"),
    ],
    ids=["short", "padded", "full", "other-owner"],
)
def test_resolve_model_expands_catalogue_names_and_keeps_other_ids(given, expected):
    assert resolve_model(given) == expected


def test_resolve_model_refuses_an_unknown_name_without_an_owner():
    with pytest.raises(InvalidInputError, match="flux-9000"):
        resolve_model("flux-9000")
