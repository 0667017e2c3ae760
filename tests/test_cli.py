"""The command line, run as a user would: a subprocess of `python -m comet`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from comet.cli import parse_settings
from comet.errors import InvalidInputError
from comet.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, env_extra=None, cwd=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMET_")}
    env.update(COMET_DEMO_TIME_SCALE="0.05", PYTHONPATH=str(ROOT))
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "comet", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
    )


def test_generate_without_a_key_uses_the_simulator_and_saves_images(tmp_path):
    result = run_cli("generate", "test", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "simulator" in result.stdout
    assert "succeeded" in result.stdout
    saved = [Path(line) for line in result.stdout.splitlines() if line.endswith(".webp")]
    assert saved and all(p.exists() for p in saved)
    with Image.open(saved[0]) as image:
        assert image.width > 0
    assert (tmp_path / "history.sqlite3").exists()


def test_generate_prints_one_line_per_status_with_elapsed_time(tmp_path):
    result = run_cli(
        "generate",
        "a boat",
        "--model",
        "black-forest-labs/flux-dev",
        "--set",
        "num_outputs=2",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    status_lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    statuses = [line.split()[-1] for line in status_lines]
    assert statuses[0] == "starting" and statuses[-1] == "succeeded"
    assert len(statuses) == len(set(statuses))  # one line per change, not per poll
    assert sum(1 for line in result.stdout.splitlines() if line.endswith(".webp")) == 2


def test_generate_with_a_key_talks_to_comet_base_url(tmp_path):
    with Simulator(time_scale=0, image_size=64, api_key="sk-cli-test-123") as sim:
        result = run_cli(
            "generate",
            "x",
            "--out",
            str(tmp_path),
            env_extra={"COMET_API_KEY": "sk-cli-test-123", "COMET_BASE_URL": sim.base_url},
        )
        assert result.returncode == 0, result.stderr
        assert "simulator" not in result.stdout
        assert sim.created_inputs() == [{"prompt": "x"}]


def test_bad_input_exits_non_zero_with_one_line(tmp_path):
    result = run_cli("generate", "x", "--set", "num_outputs=9", "--out", str(tmp_path))
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert "num_outputs" in result.stderr and "Traceback" not in result.stderr


def test_wrong_key_exits_non_zero_and_names_the_variable(tmp_path):
    with Simulator(time_scale=0, api_key="right-key-000") as sim:
        result = run_cli(
            "generate",
            "x",
            "--out",
            str(tmp_path),
            env_extra={"COMET_API_KEY": "wrong-key-000", "COMET_BASE_URL": sim.base_url},
        )
    assert result.returncode != 0
    assert "COMET_API_KEY" in result.stderr
    assert "wrong-key-000" not in result.stderr + result.stdout


def test_failed_prediction_exits_non_zero_with_its_error(tmp_path):
    with Simulator(time_scale=0, image_size=64) as sim:
        sim.fail_next("Content moderated")
        result = run_cli(
            "generate",
            "x",
            "--out",
            str(tmp_path),
            env_extra={"COMET_API_KEY": "k-123456", "COMET_BASE_URL": sim.base_url},
        )
    assert result.returncode == 1
    assert "Content moderated" in result.stderr


def test_get_resumes_an_existing_prediction_and_history_lists_it(tmp_path):
    env = {"COMET_API_KEY": "k-123456", "COMET_OUTPUT_DIR": str(tmp_path)}
    with Simulator(time_scale=0, image_size=64) as sim:
        env["COMET_BASE_URL"] = sim.base_url
        import requests

        created = requests.post(
            f"{sim.base_url}/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
            json={"input": {"prompt": "made elsewhere"}},
            headers={"Authorization": "Bearer k-123456"},
            timeout=5,
        ).json()
        result = run_cli("get", created["id"], env_extra=env)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / f"{created['id']}-0.webp").exists()
    listing = run_cli("history", env_extra=env)
    assert created["id"] in listing.stdout and "succeeded" in listing.stdout


def test_get_rejects_a_malformed_id(tmp_path):
    result = run_cli("get", "../../etc", "--out", str(tmp_path))
    assert result.returncode != 0
    assert "Invalid prediction id" in result.stderr


def test_models_lists_every_model():
    result = run_cli("models")
    assert result.returncode == 0
    for name in ("flux-schnell", "flux-dev", "flux-kontext-max", "flux-2-flex"):
        assert name in result.stdout


def test_dotenv_is_loaded_by_the_cli(tmp_path):
    with Simulator(time_scale=0, image_size=64, api_key="sk-from-dotenv-1") as sim:
        (tmp_path / ".env").write_text(
            f"COMET_API_KEY=sk-from-dotenv-1\nCOMET_BASE_URL={sim.base_url}\n"
        )
        result = run_cli("generate", "x", "--out", str(tmp_path / "o"), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert len(sim.created_inputs()) == 1


def test_importing_comet_does_not_load_dotenv(tmp_path):
    (tmp_path / ".env").write_text("COMET_API_KEY=should-not-load\n")
    code = "import os, comet; print(os.environ.get('COMET_API_KEY'))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMET_")}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    assert out.stdout.strip() == "None"


def test_set_values_are_typed_through_the_catalogue():
    values = parse_settings(
        "black-forest-labs/flux-dev",
        ["num_outputs=2", "guidance=3.5", "go_fast=false", "aspect_ratio=16:9"],
    )
    assert values == {"num_outputs": 2, "guidance": 3.5, "go_fast": False, "aspect_ratio": "16:9"}


def test_set_without_equals_is_refused():
    with pytest.raises(InvalidInputError):
        parse_settings("black-forest-labs/flux-dev", ["num_outputs"])
