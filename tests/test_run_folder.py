"""Run folders under stress, through the real command line: a lock, damaged files read
back, a run stopped before its first checkpoint, values nobody typed.

Rows of docs/RELIABILITY.md ("Run folders"). Every failure is one line on stderr
with the documented exit code, and nothing is left half-written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_seq2seq.atomic import LOCK_FILE, hold_lock
from mocap_seq2seq.errors import BusyError
from mocap_seq2seq.model import training

runner = CliRunner()

TINY = [
    "--hidden-size",
    "8",
    "--source-length",
    "10",
    "--target-length",
    "5",
    "--batch-size",
    "8",
    "--steps",
    "4",
    "--checkpoint-every",
    "2",
]


def run_cli(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr


def one_error_line(stderr: str, *words: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def trained(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny run (4 steps, checkpoints at 2 and 4), monitor off."""
    run = tmp_path_factory.mktemp("runs") / "run"
    code, out, err = run_cli(
        "train", "--trial", "01", "--data-dir", data_dir, "-o", run, "--no-monitor", *TINY
    )
    assert code == 0, out + err
    return run


def copy_run(run: Path, target: Path) -> Path:
    target.mkdir()
    for path in run.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


def test_a_run_folder_being_written_is_refused_at_once(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "dual"
    run.mkdir()
    with hold_lock(run, what="Run folder"):  # as a second `mocap train -o dual` holds it
        code, _, err = run_cli("train", "--trial", "01", "--data-dir", data_dir, "-o", run, *TINY)
        assert code == 1
        one_error_line(err, "being written by another mocap process")
        assert sorted(path.name for path in run.iterdir()) == [LOCK_FILE]
        with pytest.raises(BusyError):
            with hold_lock(run):
                pass
    # The lock goes with its holder: the same command now trains.
    code, out, err = run_cli("train", "--trial", "01", "--data-dir", data_dir, "-o", run, *TINY)
    assert code == 0, out + err


def test_a_run_stopped_before_its_first_checkpoint_resumes_from_step_zero(
    trained: Path, data_dir: Path, tmp_path: Path
) -> None:
    run = copy_run(trained, tmp_path / "early")
    # What a kill before the first checkpoint leaves: config and normalisation only.
    for name in ("checkpoint.json", "history.json", "model.weights.h5", "model.keras"):
        (run / name).unlink()
    for state in run.glob("checkpoint-*.state.h5"):
        state.unlink()
    code, out, err = run_cli("train", "--resume", run, "--data-dir", data_dir)
    assert code == 0, out + err
    assert "from step 0" in out
    assert json.loads((run / "history.json").read_text())["step"] == [2, 4]
    # The restart ends where the uninterrupted run ended, bit for bit.
    import h5py

    with h5py.File(run / "model.weights.h5") as a, h5py.File(trained / "model.weights.h5") as b:
        names: list[str] = []
        a.visit(lambda name: names.append(name) if isinstance(a[name], h5py.Dataset) else None)
        assert names
        for name in names:
            np.testing.assert_array_equal(a[name][()], b[name][()])


def test_a_diverging_loss_before_any_checkpoint_promises_none(tmp_path: Path) -> None:
    frames = np.random.default_rng(0).normal(size=(200, 4))
    wild = training.TrainConfig(
        hidden_size=8,
        source_length=10,
        target_length=5,
        batch_size=8,
        steps=30,
        checkpoint_every=25,
        learning_rate=1e30,
        clip_norm=1e30,
    )
    from mocap_seq2seq.errors import TrainingDivergedError

    with pytest.raises(TrainingDivergedError) as caught:
        training.train(wild, frames, tmp_path / "run")
    message = str(caught.value)
    assert "no checkpoint was written yet" in message and "intact" not in message


def test_a_failed_resume_leaves_config_json_as_it_was(
    trained: Path, data_dir: Path, tmp_path: Path
) -> None:
    run = copy_run(trained, tmp_path / "truncated")
    state = run / json.loads((run / "checkpoint.json").read_text())["file"]
    state.write_bytes(state.read_bytes()[:200])
    before = (run / "config.json").read_bytes()
    code, _, err = run_cli("train", "--resume", run, "--steps", "8", "--data-dir", data_dir)
    assert code == 1
    one_error_line(err, "cannot be loaded")
    assert (run / "config.json").read_bytes() == before


DAMAGED = [
    ("config.json", [1, 2], "holds a list"),
    ("config.json", {"data": "trial 01"}, "field 'data'"),
    ("config.json", {"train": {"hidden_size": "32"}}, "hidden_size"),
    ("config.json", {"train": {"steps": -3}}, "steps"),
    ("config.json", {"train": {"flavour": 1}}, "unknown field 'flavour'"),
    ("checkpoint.json", {}, "no field 'step'"),
    ("checkpoint.json", {"step": "forty", "file": "checkpoint-4.state.h5"}, "field 'step'"),
    ("checkpoint.json", {"step": 4, "file": "../../etc/passwd"}, "field 'file'"),
    ("history.json", [], "holds a list"),
    ("history.json", {"loss": 5}, "field 'loss'"),
    ("normalization.json", {"mean": "x", "std": [], "keep": []}, "field 'mean'"),
]


@pytest.mark.parametrize(("name", "damage", "words"), DAMAGED, ids=[str(d[1]) for d in DAMAGED])
def test_a_damaged_run_file_is_named_and_exits_1(
    trained: Path, data_dir: Path, tmp_path: Path, name: str, damage: object, words: str
) -> None:
    run = copy_run(trained, tmp_path / "damaged")
    if isinstance(damage, dict) and name == "config.json":
        content = json.loads((run / name).read_text())
        for key, value in damage.items():
            if isinstance(value, dict):
                content[key] = {**content[key], **value}
            else:
                content[key] = value
    elif isinstance(damage, dict) and name == "history.json":
        content = {**json.loads((run / name).read_text()), **damage}
    else:
        content = damage
    (run / name).write_text(json.dumps(content))
    before = {path.name: path.read_bytes() for path in run.iterdir() if path.is_file()}
    code, _, err = run_cli("train", "--resume", run, "--steps", "6", "--data-dir", data_dir)
    assert code == 1, err
    one_error_line(err, name, "damaged", words)
    after = {path.name: path.read_bytes() for path in run.iterdir() if path.is_file()}
    assert after == before  # nothing rewritten, nothing added


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_a_seed_out_of_range_is_a_usage_error_and_leaves_no_folder(
    data_dir: Path, tmp_path: Path, seed: str
) -> None:
    run = tmp_path / "run"
    code, _, err = run_cli(
        "train", "--actions", "walking,running", "--seed", seed, "--data-dir", data_dir, "-o", run
    )
    assert code == 2
    one_error_line(err, "'seed'", "4294967295")
    assert not run.exists()


def test_an_existing_file_as_the_run_folder_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    file = tmp_path / "taken"
    file.write_text("not a folder")
    code, _, err = run_cli("train", "--trial", "01", "--data-dir", data_dir, "-o", file, *TINY)
    assert code == 2
    one_error_line(err, "is a file")
    assert file.read_text() == "not a folder"


def test_resuming_a_run_without_the_monitor_keeps_it_off(
    trained: Path, data_dir: Path, tmp_path: Path
) -> None:
    run = copy_run(trained, tmp_path / "quiet")
    code, out, err = run_cli("train", "--resume", run, "--steps", "6", "--data-dir", data_dir)
    assert code == 0, out + err
    history = json.loads((run / "history.json").read_text())
    assert history["step"] == [2, 4, 6] and history["monitor"] == [None, None, None]
    assert json.loads((run / "config.json").read_text())["monitor"] is False


def test_brackets_in_a_run_folder_name_are_printed_literally(
    data_dir: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run[/x][bold]"
    code, out, err = run_cli(
        "train", "--trial", "01", "--data-dir", data_dir, "-o", run, "--no-monitor", *TINY
    )
    assert code == 0, out + err
    assert "run[/x][bold]" in out.replace("\n", "")


def test_the_command_line_choices_are_the_registries() -> None:
    from mocap_cli.train_cmd import ModelType, Preset

    assert [item.value for item in Preset] == list(training.PRESETS)
    assert [item.value for item in ModelType] == list(training.MODEL_TYPES)
    code, out, _ = run_cli("train", "--help")
    assert code == 0
    for name in (*training.PRESETS, *training.MODEL_TYPES):
        assert name in out


def test_configure_ties_the_options_together() -> None:
    from mocap_seq2seq.errors import UsageError

    assert training.configure("tiny", steps=None).steps == training.PRESETS["tiny"].steps
    assert training.configure(model_type="aged-paper-joint").slowness == 0.0
    with pytest.raises(UsageError, match="--slowness applies to --model-type seq2seq only"):
        training.configure(model_type="aged-adversarial", slowness=2.0)
    with pytest.raises(UsageError, match="--keep-best needs the monitor"):
        training.configure(keep_best=True, monitor=False)
    with pytest.raises(UsageError, match="Unknown preset"):
        training.configure("huge")
