"""Bad input through the command line: one line, the right exit code, nothing left behind.

One test per row of the table in docs/RELIABILITY.md. Exit codes: 2 for what
the arguments and the catalogue of the data decide, 1 for what needs a data or
model file opened. Killed and interrupted processes are in tests/test_kill.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_seq2seq.data.store import ACTIONS_FILE, SUBJECT86_FILE
from mocap_seq2seq.errors import UnknownNameError

runner = CliRunner()

#: A tiny, fast training on the 96-channel tiny trial.
TINY = [
    "--source-length",
    "10",
    "--target-length",
    "5",
    "--batch-size",
    "8",
    "--steps",
    "2",
    "--checkpoint-every",
    "2",
    "--no-monitor",
]


def fails(args: list[object], code: int, *words: str) -> str:
    """Run `mocap ARGS`; check the exit code and ONE error line holding ``words``."""
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def no_leftovers(folder: Path, *outputs: Path) -> None:
    """None of ``outputs`` exists and no temporary file is anywhere under ``folder``."""
    for output in outputs:
        assert not output.exists(), output
    assert not [path for path in folder.rglob("*") if ".partial" in path.name]


@pytest.fixture(scope="module")
def runs(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny runs on trial 01 (GRU 8 and GRU 16) and an embedding of the first."""
    folder = tmp_path_factory.mktemp("runs")
    made = {}
    for hidden in ("8", "16"):
        run = folder / f"hidden{hidden}"
        result = runner.invoke(
            app,
            ["train", "--trial", "01", "--hidden-size", hidden, *TINY, "-o", str(run)]
            + ["--data-dir", str(data_dir)],
        )
        assert result.exit_code == 0, result.output
        made[f"hidden{hidden}"] = run
    result = runner.invoke(app, ["embed", str(made["hidden8"]), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    made["embedding"] = made["hidden8"] / "embedding.h5"
    return made


def data_folder_with(tmp_path: Path, data_dir: Path, content: bytes | None) -> Path:
    """A data folder with the real actions file and ``content`` as the subject-86 file."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(data_dir / ACTIONS_FILE, folder / ACTIONS_FILE)
    if content is not None:
        (folder / SUBJECT86_FILE).write_bytes(content)
    return folder


# ----------------------------------------------------------------------------- data files


def test_missing_data_file(data_dir: Path, tmp_path: Path) -> None:
    folder = data_folder_with(tmp_path, data_dir, None)
    out = tmp_path / "run"
    fails(["train", "--trial", "01", "--data-dir", folder, "-o", out], 1, "does not exist")
    fails(["info", "--data-dir", tmp_path / "nowhere"], 1, "No data folder", "--data-dir")
    fails(["cluster", tmp_path / "missing.h5"], 1, "does not exist", "mocap embed")
    fails(["embed", tmp_path / "no-run", "-o", tmp_path / "e.h5"], 1, "not a complete run")
    fails(["evaluate", tmp_path / "no-clustering"], 1, "not a complete clustering")
    no_leftovers(tmp_path, out, tmp_path / "e.h5")


def test_file_that_is_not_hdf5(data_dir: Path, tmp_path: Path) -> None:
    folder = data_folder_with(tmp_path, data_dir, b"trial,frames\n1,2\n")
    out = tmp_path / "run"
    fails(["train", "--trial", "01", "--data-dir", folder, "-o", out], 1, "not a readable HDF5")
    fails(["info", "--data-dir", folder], 1, "not a readable HDF5", "mocap convert")
    no_leftovers(tmp_path, out)


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_truncated_hdf5(data_dir: Path, tmp_path: Path, keep: float) -> None:
    content = (data_dir / SUBJECT86_FILE).read_bytes()
    folder = data_folder_with(tmp_path, data_dir, content[: int(len(content) * keep)])
    out = tmp_path / "run"
    fails(["train", "--trial", "01", "--data-dir", folder, "-o", out], 1, "truncated")
    no_leftovers(tmp_path, out)


def test_hdf5_of_the_wrong_layout(data_dir: Path, tmp_path: Path) -> None:
    folder = data_folder_with(tmp_path, data_dir, None)
    with h5py.File(folder / SUBJECT86_FILE, "w") as handle:
        handle.create_dataset("frames", data=np.zeros((10, 96)))
    out = tmp_path / "run"
    fails(["train", "--trial", "01", "--data-dir", folder, "-o", out], 1, "not in the toolkit's")
    fails(["info", "--data-dir", folder], 1, "layout")
    no_leftovers(tmp_path, out)


def test_wrong_channel_count_for_a_model(runs: dict[str, Path], data_dir: Path) -> None:
    # The run learned the 96-channel trial; the case-(i) takes have 117 channels.
    out = runs["hidden8"] / "actions.h5"
    line = fails(
        ["embed", runs["hidden8"], "--actions", "walking,running", "--data-dir", data_dir]
        + ["-o", out],
        1,
        "117 channels",
        "96 channels",
    )
    assert "same format" in line
    no_leftovers(runs["hidden8"], out)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_frames(data_dir: Path, tmp_path: Path, value: float) -> None:
    folder = data_folder_with(tmp_path, data_dir, (data_dir / SUBJECT86_FILE).read_bytes())
    with h5py.File(folder / SUBJECT86_FILE, "r+") as handle:
        handle["sequences/01/frames"][7, 3] = value
    out = tmp_path / "run"
    fails(["train", "--trial", "01", "--data-dir", folder, "-o", out], 1, "NaN", "frame 7")
    no_leftovers(tmp_path, out)


# ----------------------------------------------------------------------------- arguments


def test_sequence_shorter_than_one_window(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    fails(
        ["train", "--trial", "01", "--source-length", "590", "--target-length", "25"]
        + ["--data-dir", data_dir, "-o", out],
        2,
        "does not fit a sequence of 600 frames",
        "--source-length",
    )
    no_leftovers(tmp_path, out)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--trial", "77", ("Unknown subject-86 trial '77'", "one of 01, 02")),
        ("--actions", "walking,flying", ("Unknown action 'flying'", "mocap info")),
    ],
)
def test_unknown_action_or_trial(
    data_dir: Path, tmp_path: Path, option: str, value: str, words: tuple[str, ...]
) -> None:
    out = tmp_path / "run"
    fails(["train", option, value, "--data-dir", data_dir, "-o", out], 2, *words)
    no_leftovers(tmp_path, out)


def test_trial_without_frames(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    fails(
        ["train", "--trial", "02", "--data-dir", data_dir, "-o", out],
        2,
        "No frames are available for '02'",
        "mocap info",
    )
    no_leftovers(tmp_path, out)


def test_k_below_one_or_above_the_number_of_frames(runs: dict[str, Path], tmp_path: Path) -> None:
    embedding = runs["embedding"]
    fails(["cluster", embedding, "--k", "0", "-o", tmp_path / "a"], 2, "at least 1")
    fails(["cluster", embedding, "--k", "-3", "-o", tmp_path / "b"], 2, "at least 1")
    fails(["cluster", embedding, "--k", "many", "-o", tmp_path / "c"], 2, "an integer")
    # Above the frame count: only the embedding file knows it, so exit code 1.
    fails(["cluster", embedding, "--k", "601", "-o", tmp_path / "d"], 1, "between 1 and 600")
    # Within the frames but above one cluster a block (of 10 frames, or 100 for
    # a sequence this short): refused before any search (it used to run minutes).
    fails(["cluster", embedding, "--k", "101", "-o", tmp_path / "e"], 2, "one per block")
    no_leftovers(tmp_path, *(tmp_path / name for name in "abcde"))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", ("empty action",)),
        ("walking,,running", ("empty action",)),
        ("running,running", ("twice",)),
    ],
)
def test_empty_or_duplicated_actions(
    data_dir: Path, tmp_path: Path, value: str, words: tuple[str, ...]
) -> None:
    out = tmp_path / "run"
    fails(["train", "--actions", value, "--data-dir", data_dir, "-o", out], 2, *words)
    no_leftovers(tmp_path, out)


# ----------------------------------------------------------------------------- outputs


def test_output_folder_not_writable(runs: dict[str, Path], data_dir: Path, tmp_path: Path) -> None:
    # Tests run as root, whom chmod does not stop: a regular file in the way does.
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    fails(
        ["train", "--trial", "01", "--hidden-size", "8", *TINY, "--data-dir", data_dir]
        + ["-o", blocker / "run"],
        1,
        "Cannot create run folder",
        "Pass another --output",
    )
    fails(
        ["embed", runs["hidden8"], "--data-dir", data_dir, "-o", blocker / "e.h5"],
        1,
        "Cannot write to",
        "a file is in the way",
        "Choose another output folder",
    )
    fails(["cluster", runs["embedding"], "--k", "2", "-o", blocker / "c"], 1, "Cannot write to")
    assert blocker.read_text() == "in the way"
    no_leftovers(tmp_path)
    no_leftovers(runs["hidden8"])


def test_existing_output_is_refused_unless_overwrite(
    runs: dict[str, Path], data_dir: Path, cmu_source: Path, tmp_path: Path
) -> None:
    run = runs["hidden8"]
    before = sorted(path.name for path in run.iterdir())
    fails(
        ["train", "--trial", "01", *TINY, "--data-dir", data_dir, "-o", run],
        2,
        "already exists",
        "--resume",
        "--overwrite",
    )
    fails(["embed", run, "--data-dir", data_dir], 2, "already exists", "--overwrite")
    clustering = tmp_path / "clustering"
    assert (
        runner.invoke(app, ["cluster", str(runs["embedding"]), "-o", str(clustering)]).exit_code
        == 0
    )
    fails(["cluster", runs["embedding"], "-o", clustering], 2, "already holds", "--overwrite")
    converted = tmp_path / "converted"
    converted.mkdir()
    (converted / SUBJECT86_FILE).write_bytes(b"mine")
    fails(["convert", cmu_source, "-o", converted], 2, "already exists", "--overwrite")
    assert (converted / SUBJECT86_FILE).read_bytes() == b"mine"
    assert not (converted / ACTIONS_FILE).exists()  # refused before any work
    assert sorted(path.name for path in run.iterdir()) == before
    # --overwrite replaces, whole.
    again = tmp_path / "again.h5"
    shutil.copy(runs["embedding"], again)
    result = runner.invoke(
        app, ["embed", str(run), "--data-dir", str(data_dir), "-o", str(again), "--overwrite"]
    )
    assert result.exit_code == 0, result.output
    no_leftovers(tmp_path)


def test_unknown_keras_backend(
    runs: dict[str, Path], data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    out = tmp_path / "run"
    words = ("Unknown KERAS_BACKEND 'theano'", "tensorflow, jax, torch", "unset it")
    fails(["train", "--trial", "01", "--data-dir", data_dir, "-o", out], 2, *words)
    fails(["embed", runs["hidden8"], "--data-dir", data_dir, "-o", tmp_path / "e.h5"], 2, *words)
    no_leftovers(tmp_path, out, tmp_path / "e.h5")


def test_weights_from_an_incompatible_config(
    runs: dict[str, Path], data_dir: Path, tmp_path: Path
) -> None:
    run = tmp_path / "mixed"
    shutil.copytree(runs["hidden16"], run)
    shutil.copy(runs["hidden8"] / "model.weights.h5", run / "model.weights.h5")
    out = tmp_path / "e.h5"
    fails(
        ["embed", run, "--data-dir", data_dir, "-o", out],
        1,
        "do not fit the run's model config",
        "train it again",
    )
    no_leftovers(tmp_path, out)
    # The same for a checkpoint, on --resume.
    state = "checkpoint-2.state.h5"
    shutil.copy(runs["hidden8"] / state, run / state)
    fails(
        ["train", "--resume", run, "--steps", "4", "--data-dir", data_dir],
        1,
        "cannot be loaded",
        "Start a new run",
    )
    assert json.loads((run / "checkpoint.json").read_text())["step"] == 2


# ----------------------------------------------------------------------------- --debug


def test_debug_lets_the_exception_through(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCAP_DEBUG", "0")  # --debug sets it; monkeypatch restores it
    args = ["train", "--trial", "77", "--data-dir", str(data_dir), "-o", str(tmp_path / "r")]
    result = runner.invoke(app, ["--debug", *args])
    assert isinstance(result.exception, UnknownNameError)
    monkeypatch.setenv("MOCAP_DEBUG", "0")
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)


def test_traceback_only_with_debug(tmp_path: Path) -> None:
    # A real process (no Keras import: `info` does not need it).
    env = {key: value for key, value in os.environ.items() if key != "MOCAP_DEBUG"}
    command = [sys.executable, "-m", "mocap_cli.app"]
    args = ["info", "--data-dir", str(tmp_path / "nowhere")]
    plain = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert plain.returncode == 1 and plain.stdout == ""
    assert plain.stderr.splitlines() == [plain.stderr.strip()]
    assert plain.stderr.startswith("Error: No data folder") and "Traceback" not in plain.stderr
    debug = subprocess.run(
        [*command, "--debug", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "DataFileError" in debug.stderr


def _embedded_run(data_dir: Path, tmp_path: Path) -> Path:
    """A tiny trained and embedded run, made through the CLI; returns the run folder."""
    from typer.testing import CliRunner

    from mocap_cli.app import app

    run = tmp_path / "run"
    runner = CliRunner()
    tiny = "--steps 4 --hidden-size 8 --source-length 20 --target-length 10 --batch-size 4"
    result = runner.invoke(
        app,
        [
            "train",
            "--trial",
            "01",
            *tiny.split(),
            "--checkpoint-every",
            "4",
            "--no-monitor",
            "-o",
            str(run),
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["embed", str(run), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return run


def test_write_failure_inside_an_output_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    # A folder where a file should go: the OSError during the write becomes one line.
    from typer.testing import CliRunner

    from mocap_cli.app import app

    run = _embedded_run(data_dir, tmp_path)
    blocked = tmp_path / "clustering"
    (blocked / "frame_labels.csv").mkdir(parents=True)
    result = CliRunner().invoke(app, ["cluster", str(run / "embedding.h5"), "-o", str(blocked)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: Cannot write") and result.output.count("\n") == 1


def test_cluster_with_given_segments_is_not_called_automatic(
    data_dir: Path, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from mocap_cli.app import app

    run = _embedded_run(data_dir, tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        app, ["cluster", str(run / "embedding.h5"), "--segments", "3", "-o", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "c" / "clustering.json").read_text())["k_mode"] == "given"
    # The clustering still finds its embedding after the whole folder moves.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "run").rename(elsewhere / "run")
    (tmp_path / "c").rename(elsewhere / "c")
    result = runner.invoke(app, ["evaluate", str(elsewhere / "c"), "--no-figure"])
    assert result.exit_code == 0, result.output
