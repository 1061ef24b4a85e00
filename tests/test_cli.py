"""The `mocap` command line, exercised as a user would: exit codes, messages, files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from mocap_cli.app import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_help_lists_every_command() -> None:
    code, output = invoke("--help")
    assert code == 0
    for command in ("train", "embed", "cluster", "evaluate", "demo", "convert", "info"):
        assert command in output


def test_info_shows_takes_and_trials(data_dir: Path) -> None:
    code, output = invoke("info", "--data-dir", str(data_dir))
    assert code == 0
    assert "walking" in output and "running" in output
    assert "not available" in output  # trial 02 has ground truth only


def test_missing_data_folder_is_one_line(tmp_path: Path) -> None:
    code, output = invoke("info", "--data-dir", str(tmp_path / "nope"))
    assert code == 1
    assert output.count("\n") == 1 and output.startswith("Error: No data folder")


def test_convert_writes_files_and_refuses_to_overwrite(cmu_source: Path, tmp_path: Path) -> None:
    code, output = invoke("convert", str(cmu_source), "--output-dir", str(tmp_path))
    assert code == 0, output
    assert (tmp_path / "cmu_actions.h5").is_file() and (tmp_path / "cmu_subject86.h5").is_file()
    code, output = invoke("convert", str(cmu_source), "--output-dir", str(tmp_path))
    assert code == 2 and "--overwrite" in output


def test_convert_of_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, output = invoke("convert", str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in output


def test_train_then_resume(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    common = [
        "--data-dir",
        str(data_dir),
        "--hidden-size",
        "16",
        "--source-length",
        "20",
        "--target-length",
        "10",
        "--batch-size",
        "8",
        "--checkpoint-every",
        "5",
    ]
    code, output = invoke("train", "--trial", "01", "--steps", "5", "-o", str(run), *common)
    assert code == 0, output
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["kind"] == "trial" and config["data"]["trial"] == "01"
    assert json.loads((run / "checkpoint.json").read_text())["step"] == 5
    code, output = invoke(
        "train", "--resume", str(run), "--steps", "10", "--data-dir", str(data_dir)
    )
    assert code == 0, output
    assert json.loads((run / "history.json").read_text())["step"] == [5, 10]
    code, output = invoke("train", "--trial", "01", "--steps", "5", "-o", str(run), *common)
    assert code == 2 and "already exists" in output


def test_train_on_actions_stores_the_recipe(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    code, output = invoke(
        "train",
        "--actions",
        "walking,running",
        "--steps",
        "2",
        "--no-monitor",
        "--hidden-size",
        "8",
        "--source-length",
        "10",
        "--target-length",
        "5",
        "-o",
        str(run),
        "--data-dir",
        str(data_dir),
    )
    assert code == 0, output
    recipe = json.loads((run / "config.json").read_text())["data"]["recipe"]
    assert sorted(recipe["action_names"]) == ["running", "walking"]
    assert len(recipe["data_sha256"]) == 64


def test_train_usage_errors(data_dir: Path) -> None:
    code, output = invoke("train", "--actions", "walking,flying", "--data-dir", str(data_dir))
    assert code == 2 and "Unknown action 'flying'" in output
    code, output = invoke("train", "--trial", "02", "--data-dir", str(data_dir))
    assert code == 2 and "No frames are available for '02'" in output
    code, output = invoke("train", "--trial", "77", "--data-dir", str(data_dir))
    assert code == 2 and "Expected one of 01, 02" in output
    code, output = invoke("train", "--data-dir", str(data_dir))
    assert code == 2 and "exactly one of --trial" in output
    code, output = invoke(
        "train", "--trial", "01", "--source-length", "590", "--data-dir", str(data_dir)
    )
    assert code == 2 and "does not fit a sequence of 600 frames" in output
    code, output = invoke("train", "--trial", "01", "--slowness", "-1", "--data-dir", str(data_dir))
    assert code == 2 and "'slowness' must be 0 or more" in output


def test_installed_console_script_starts() -> None:
    env = dict(os.environ, COLUMNS="120")
    result = subprocess.run(
        [sys.executable, "-m", "mocap_cli.app", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "train" in result.stdout
