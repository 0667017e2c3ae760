"""The command line (comet.cli). Its main() is called in-process with an explicit argv and
environment; `python -m comet` runs as a subprocess only where the process is the point: the
demo run, .env handling, a closed stdout pipe and the simulate server.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest
import requests
from PIL import Image

from comet.cli import main, parse_settings, resolve_model
from comet.errors import InvalidInputError
from comet.history import History
from comet.images import image_to_data_uri
from comet.prediction import Prediction
from comet.simulator import Simulator
from tests.support import DEADLINE, clean_env, creates, free_port, run_python, start_python

KEY = "sk-cli-test-123"
STATUS_LINE = re.compile(r"\[ *\d+\.\ds\] (\S+) (\w+)")


@pytest.fixture
def sim():
    """A simulator that accepts only KEY."""
    with Simulator(time_scale=0, image_size=64, api_key=KEY) as simulator:
        yield simulator


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys, sim):
    """Run main() on a command line in tmp_path (whose .env it may load) against sim, with KEY
    unless the test passes other COMET_* variables; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(command: str, **env: str) -> tuple[int, str, str]:
        env = {"COMET_API_KEY": KEY, "COMET_BASE_URL": sim.base_url, **env}
        env.setdefault("COMET_POLL_INTERVAL", "0.02")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out = io.StringIO()
        code = main(shlex.split(command), out=out)
        return code, out.getvalue(), capsys.readouterr().err

    return run


def test_generate_sends_the_typed_input_and_prints_each_change_then_the_files(cli, sim, tmp_path):
    sim.add_fault("get", status=503, retry_after=0)  # a poll that is retried, and said so
    sim.add_fault("get", status_value="processing", times=2)  # then two polls, one status

    code, out, err = cli(
        "generate 'a boat' --model flux-dev --set num_outputs=2 --set guidance=2.5 "
        "--set go_fast=false --set aspect_ratio=1:1 "
        """--json '{"guidance": 4, "new_option": [1, "a"]}' --out out"""
    )

    assert (code, err) == (0, "")
    [create] = creates(sim)
    assert create.path.endswith("/models/black-forest-labs/flux-dev/predictions")
    assert create.json["input"] == {
        "prompt": "a boat",
        "num_outputs": 2,
        "guidance": 4.0,  # --json is merged last
        "go_fast": False,
        "aspect_ratio": "1:1",  # the model's default, sent all the same when given
        "new_option": [1, "a"],  # a name the catalogue lacks is sent as given
    }
    *said, first_file, second_file = out.splitlines()
    prediction_id = STATUS_LINE.fullmatch(said[0]).group(1)
    texts = [line.split("] ", 1)[1] for line in said]
    assert texts[:1] + texts[2:] == [
        f"{prediction_id} starting",
        f"{prediction_id} processing",
        f"{prediction_id} succeeded",
    ]  # a line per change, not per poll
    assert "503" in texts[1] and texts[1].endswith(" Retrying in 0.0 s.")  # the retry, said
    assert all(float(line[1:6]) < DEADLINE for line in said)  # seconds since the start
    assert first_file == str(Path("out", f"{prediction_id}-0.webp"))
    assert second_file == str(Path("out", f"{prediction_id}-1.webp"))
    with History.in_directory(tmp_path / "out") as history:
        entry = history.get(prediction_id)
    assert (entry.status, entry.source, len(entry.files)) == ("succeeded", "cli", 2)


def test_without_a_key_generate_runs_on_the_offline_simulator_and_says_so(cli, tmp_path):
    code, out, err = cli("generate test --out out", COMET_API_KEY="", COMET_DEMO_TIME_SCALE="0")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "No COMET_API_KEY set: using the built-in offline simulator (demo images only). "
        "Put COMET_API_KEY=... in .env to use CometAPI."
    )
    assert STATUS_LINE.fullmatch(lines[-2]).group(2) == "succeeded"
    with Image.open(tmp_path / lines[-1]) as image:
        image.load()


def test_a_model_the_catalogue_lacks_is_sent_as_given_with_guessed_types(cli, sim):
    cli(
        "generate x --model ' someone/new-model ' --set strength=0.5 --set steps=4 "
        """--set fast=TRUE --set slow=false --set 's=a b' --set n=a=b --json '{"steps": 8}'"""
    )

    [create] = creates(sim)
    assert create.path.endswith("/models/someone/new-model/predictions")
    expected = {"prompt": "x", "strength": 0.5, "steps": 8, "fast": True, "slow": False}
    assert create.json["input"] == {**expected, "s": "a b", "n": "a=b"}


def test_an_image_input_takes_local_files_and_urls(cli, sim, tmp_path):
    for name in ("a.png", "my photo.png"):
        Image.new("RGB", (24, 16), (10, 120, 200)).save(tmp_path / name)

    code, _, err = cli(
        "generate x --model flux-2-pro --set input_images=@a.png --set "
        """'input_images=["https://example.com/b.png", "@my photo.png"]'"""
    )

    assert code == 0, err
    [sent] = sim.created_inputs()
    assert sent["input_images"] == [
        image_to_data_uri(tmp_path / "a.png"),  # as the app sends an upload
        "https://example.com/b.png",
        image_to_data_uri(tmp_path / "my photo.png"),
    ]
    single = parse_settings("black-forest-labs/flux-kontext-pro", ["input_image=@a.png"])
    assert single == {"input_image": image_to_data_uri(tmp_path / "a.png")}


NO_FILE = "no image file at {!r} (after @ comes the path of a local JPEG, PNG, GIF or WebP file)."
LONG = "[" + "x" * 80


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            "--model flux-kontext-pro --set input_image=@missing.png",
            '"input_image": ' + NO_FILE.format("missing.png"),
        ),
        (
            """--model flux-2-pro --set 'input_images=["@gone.png"]'""",
            '"input_images": ' + NO_FILE.format("gone.png"),
        ),
        (
            f"--model flux-2-pro --set 'input_images={LONG}'",
            f'"input_images" must be a URL, @path, or a JSON list of them, got {LONG[:60]!r}',
        ),
        (
            "--model flux-kontext-pro --set input_image=@notes.png",
            '"input_image": the upload is not an image; use JPEG, PNG, GIF or WebP.',
        ),
        ("--json '[1, 2]'", """--json must be a JSON object, e.g. '{"guidance": 3.5}'"""),
        ("--json '{oops'", "--json is not valid JSON: "),
        (
            """--model flux-dev --json '{"guidance": "lots"}'""",
            '"guidance" must be a number between 0 and 10, got "lots"',
        ),
        ("--set num_outputs=9", '"num_outputs" must be between 1 and 4, got "9"'),
        ("--set num_outputs", "--set expects key=value, got 'num_outputs'"),
        (
            "--model flux-9000",
            "Unknown model 'flux-9000': `python -m comet models` lists them; any other model "
            "needs its full owner/name.",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_sends_nothing(cli, sim, tmp_path, args, said):
    (tmp_path / "notes.png").write_text("not an image")

    code, out, err = cli(f"generate x {args}")

    assert code == 2
    assert err.startswith(f"error: {said}") and err.count("\n") == 1
    assert "resume with" not in err
    assert sim.received == []


def test_a_bad_setting_exits_2_naming_the_variable(cli, sim):
    code, _, err = cli("generate x", COMET_TIMEOUT="soon")

    assert (code, err) == (2, "error: COMET_TIMEOUT must be a number of seconds, got 'soon'\n")
    assert sim.received == []


def test_a_wrong_key_exits_2_naming_the_variable_and_never_the_key(cli):
    code, out, err = cli("generate x", COMET_API_KEY="wrong-key-000")

    assert code == 2 and err.startswith("error: ") and "COMET_API_KEY" in err
    assert "wrong-key-000" not in out + err


def test_a_failed_prediction_exits_1_with_its_error(cli, sim):
    sim.fail_next("Content moderated")

    code, out, err = cli("generate x")

    prediction_id = STATUS_LINE.fullmatch(out.splitlines()[0]).group(1)
    assert (code, err) == (1, f"error: prediction {prediction_id} failed: Content moderated\n")


def test_images_that_could_not_be_saved_exit_1_after_the_ones_that_were(cli, sim, tmp_path):
    sim.add_fault("file", status=500)

    code, out, err = cli("generate x --set num_outputs=2")

    assert code == 1
    [saved] = [line for line in out.splitlines() if line.endswith(".webp")]
    assert Path(saved).is_file()
    assert err.startswith("error: 1 of 2 images could not be saved: output ")


def test_an_error_after_the_create_says_how_to_resume(cli, sim):
    sim.add_fault("get", status=404)

    code, out, err = cli("generate x")

    prediction_id = STATUS_LINE.fullmatch(out.splitlines()[0]).group(1)
    assert code == 2
    assert err.endswith(f" (resume with: python -m comet get {prediction_id})\n")


def test_get_resumes_a_prediction_made_elsewhere_into_comet_output_dir(cli, sim, tmp_path):
    created = requests.post(
        f"{sim.base_url}/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
        json={"input": {"prompt": "made elsewhere"}},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=DEADLINE,
    ).json()

    code, out, err = cli(f"get {created['id']}", COMET_OUTPUT_DIR=str(tmp_path / "o"))

    saved = tmp_path / "o" / f"{created['id']}-0.webp"
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == str(saved) and saved.is_file()
    with History.in_directory(tmp_path / "o") as history:
        assert history.get(created["id"]).status == "succeeded"
    code, _, err = cli("get ../../etc")
    assert code == 2 and "Invalid prediction id" in err and "resume with" not in err
    code, _, err = cli("get unknownid123")  # an error that names the prediction: no hint
    assert code == 2 and err.startswith("error: ") and "resume with" not in err


def test_history_lists_newest_first_or_only_the_unfinished(cli, tmp_path):
    code, out, _ = cli("history --out out")
    assert (code, out) == (0, "No predictions yet.\n")
    fox = "a fox" + "." * 45  # 50 characters: shown whole
    with History.in_directory(tmp_path / "out") as history:
        history.record_created(
            Prediction(id="abc123", model="black-forest-labs/flux-dev", input={"prompt": fox})
        )
        history.record_update(
            Prediction(id="abc123", status="succeeded", created_at="2025-01-15T09:54:55Z")
        )
        history.record_files("abc123", [tmp_path / "out" / "abc123-0.webp"])
        history.record_created(Prediction(id="def456", input={"prompt": "p" * 51}))

    code, listed, _ = cli("history --out out")
    _, unfinished, _ = cli("history --unfinished --out out")
    _, limited, _ = cli("history --limit 1 --out out")

    first = f"def456  starting   {'?':<24} {'':<36} '{'p' * 49}…'"
    second = (
        f"abc123  succeeded  {'2025-01-15T09:54:55Z':<24} {'black-forest-labs/flux-dev':<36} "
        f"{fox!r} 1 file(s)"
    )
    assert (code, listed.splitlines()) == (0, [first, second])
    assert unfinished.splitlines() == limited.splitlines() == [first]


def test_models_lists_the_catalogue(cli):
    code, out, _ = cli("models")
    assert code == 0
    for name in ("flux-schnell", "flux-dev", "flux-kontext-max", "flux-2-flex"):
        assert name in out


def test_no_command_prints_the_usage_and_exits_2(cli, capsys):
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert capsys.readouterr().err.startswith("usage: python -m comet ")


def test_resolve_model_expands_catalogue_names_and_keeps_other_ids():
    assert resolve_model(" Flux-2-Pro ") == "black-forest-labs/flux-2-pro"
    assert resolve_model("black-forest-labs/flux-schnell") == "black-forest-labs/flux-schnell"
    with pytest.raises(InvalidInputError) as caught:
        resolve_model("flux-9000")
    assert caught.value.field == "model"


# -- as a process -----------------------------------------------------------------------------


def test_the_working_directorys_dotenv_is_loaded_and_a_parent_folders_is_not(tmp_path, sim):
    kept = tmp_path / "kept"
    (tmp_path / ".env").write_text(
        f"COMET_API_KEY={KEY}\nCOMET_BASE_URL={sim.base_url}\nCOMET_OUTPUT_DIR={kept}\n"
    )
    below = tmp_path / "below"
    below.mkdir()
    from_dotenv = ("COMET_API_KEY", "COMET_BASE_URL", "COMET_OUTPUT_DIR")

    def python_m_comet_in(cwd: Path, *args: str) -> subprocess.CompletedProcess:
        env = clean_env(cwd, from_dotenv=from_dotenv, COMET_POLL_INTERVAL="0.05")
        return run_python(["-m", "comet", *args], cwd=cwd, env=env)

    generated = python_m_comet_in(tmp_path, "generate", "x")
    listed_below = python_m_comet_in(below, "history")

    assert generated.returncode == 0, generated.stderr
    assert len(sim.created_inputs()) == 1 and len(list(kept.glob("*.webp"))) == 1
    assert listed_below.stdout == "No predictions yet.\n"  # ./outputs, not the parent's kept/


def test_importing_comet_does_not_load_dotenv(tmp_path):
    (tmp_path / ".env").write_text("COMET_API_KEY=should-not-load\n")
    code = "import os, comet; print(os.environ.get('COMET_API_KEY'))"
    env = clean_env(tmp_path, from_dotenv=("COMET_API_KEY",))

    result = run_python(["-c", code], cwd=tmp_path, env=env)

    assert (result.returncode, result.stdout) == (0, "None\n"), result.stderr


def test_a_reader_that_stops_early_ends_the_output_quietly(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # before the CLI starts: its first write surely finds no reader
    try:
        process = start_python(
            ["-m", "comet", "models"],
            cwd=tmp_path,
            env=clean_env(tmp_path),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)
    _, stderr = process.communicate(timeout=DEADLINE)

    assert (process.returncode, stderr) == (1, "")  # 1: what Python's documentation advises


def test_ctrl_c_while_waiting_exits_130_after_printing_the_id_to_resume(tmp_path):
    with Simulator(time_scale=1, api_key=KEY, durations={"flux-schnell": (600, 600)}) as slow:
        env = clean_env(tmp_path, COMET_API_KEY=KEY, COMET_BASE_URL=slow.base_url)
        process = start_python(
            ["-m", "comet", "generate", "x", "--model", "flux-schnell"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = process.stdout.readline()  # the run is created: now it waits
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=DEADLINE)

    assert STATUS_LINE.fullmatch(first.strip()).group(2) == "starting"
    assert (process.returncode, stderr) == (130, "interrupted\n")


def test_simulate_serves_the_api_on_loopback_until_interrupted(tmp_path):
    port = free_port()
    process = start_python(
        ["-m", "comet", "simulate", "--port", str(port), "--time-scale", "0"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url == f"http://127.0.0.1:{port}"
        auth = {"Authorization": "Bearer any"}
        created = requests.post(
            f"{base_url}/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
            json={"input": {"prompt": "x"}},
            headers=auth,
            timeout=DEADLINE,
        ).json()
        polled = requests.get(created["urls"]["get"], headers=auth, timeout=DEADLINE).json()
        assert polled["status"] == "succeeded"  # --time-scale 0 reached the simulator
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=DEADLINE)
    assert process.returncode == 0
