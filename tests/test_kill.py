"""Real processes, really killed: a training resumes exactly, an embedding is whole or absent.

Each test starts `python -m mocap_cli.app` as a subprocess and stops it at a
chosen point, made deterministic by the fault-injection hooks of
docs/RELIABILITY.md: ``MOCAP_TEST_PAUSE_IN_CHECKPOINT`` holds the trainer
after a checkpoint's state file is written and before it is renamed into
place; ``MOCAP_TEST_PAUSE_IN_EMBEDDING_WRITE`` holds ``embed`` with its
temporary file open.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mocap_cli.app import app

runner = CliRunner()

#: 20 steps, a checkpoint every 5: kills land between checkpoints 5 and 10.
TRAIN = [
    "train",
    "--trial",
    "01",
    "--hidden-size",
    "8",
    "--source-length",
    "10",
    "--target-length",
    "5",
    "--batch-size",
    "8",
    "--steps",
    "20",
    "--checkpoint-every",
    "5",
    "--no-monitor",
]
#: Seconds the hooks hold the process: long enough to be caught on a loaded machine.
PAUSE = "2.5"


#: Every process the tests start, so that teardown can stop any a failed test left behind.
STARTED: list[subprocess.Popen] = []


def _default_sigint() -> None:
    # A shell that runs pytest in the background (`pytest &`, nohup) starts it with
    # SIGINT ignored, children inherit that, and Python then never raises
    # KeyboardInterrupt: give the child the handling a terminal user's process has.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(args: list[str], log: Path, **hooks: str) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", COLUMNS="200", **hooks)
    env.pop("MOCAP_DEBUG", None)
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mocap_cli.app", *args],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            preexec_fn=_default_sigint,
        )
    STARTED.append(process)
    return process


@pytest.fixture(autouse=True)
def _stop_leftover_processes() -> Iterator[None]:
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the process ended ({process.returncode}) first: {log.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("timed out waiting for the process")
        time.sleep(0.01)


def partials(folder: Path, name: str = "") -> list[Path]:
    return [path for path in folder.glob(".*") if ".partial" in path.name and name in path.name]


def checkpoint_step(run: Path) -> int:
    return json.loads((run / "checkpoint.json").read_text())["step"]


@pytest.fixture(scope="module")
def uninterrupted(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    run = tmp_path_factory.mktemp("whole") / "run"
    result = runner.invoke(app, [*TRAIN, "-o", str(run), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return json.loads((run / "history.json").read_text())


def resume_and_compare(run: Path, data_dir: Path, uninterrupted: dict) -> None:
    result = runner.invoke(app, ["train", "--resume", str(run), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    history = json.loads((run / "history.json").read_text())
    assert history["step"] == [5, 10, 15, 20]
    # Windows are seeded by (seed, step) and the optimizer state is restored: the
    # losses are those of a run that was never interrupted.
    np.testing.assert_allclose(history["loss"], uninterrupted["loss"], rtol=1e-4)
    assert checkpoint_step(run) == 20
    assert sorted(path.name for path in run.glob("checkpoint-*")) == ["checkpoint-20.state.h5"]
    assert not partials(run)
    assert (run / "model.weights.h5").is_file()


def test_sigkill_right_after_a_checkpoint(
    data_dir: Path, tmp_path: Path, uninterrupted: dict
) -> None:
    run, log = tmp_path / "run", tmp_path / "stderr.txt"
    process = start(
        [*TRAIN, "-o", str(run), "--data-dir", str(data_dir)],
        log,
        MOCAP_TEST_PAUSE_IN_CHECKPOINT=PAUSE,
    )
    wait_for(lambda: (run / "checkpoint.json").is_file(), process, log)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert checkpoint_step(run) == 5 and (run / "checkpoint-5.state.h5").is_file()
    assert not (run / "model.weights.h5").exists()
    resume_and_compare(run, data_dir, uninterrupted)


def test_sigkill_in_the_middle_of_writing_a_checkpoint(
    data_dir: Path, tmp_path: Path, uninterrupted: dict
) -> None:
    run, log = tmp_path / "run", tmp_path / "stderr.txt"
    process = start(
        [*TRAIN, "-o", str(run), "--data-dir", str(data_dir)],
        log,
        MOCAP_TEST_PAUSE_IN_CHECKPOINT=PAUSE,
    )
    # The second checkpoint's temporary file: its state is being written, not yet renamed.
    wait_for(lambda: bool(partials(run, "checkpoint-10.state.h5")), process, log)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert partials(run, "checkpoint-10")  # the half-written state is left over ...
    assert not (run / "checkpoint-10.state.h5").exists()
    assert checkpoint_step(run) == 5  # ... and the pointer still names the whole one
    assert json.loads((run / "history.json").read_text())["step"] == [5]
    resume_and_compare(run, data_dir, uninterrupted)


def test_ctrl_c_during_embed_leaves_no_partial_file(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = runner.invoke(
        app,
        [*TRAIN, "--steps", "2", "--checkpoint-every", "2", "-o", str(run)]
        + ["--data-dir", str(data_dir)],
    )
    assert result.exit_code == 0, result.output
    target, log = tmp_path / "out" / "embedding.h5", tmp_path / "stderr.txt"
    marker = tmp_path / "paused"
    process = start(
        ["embed", str(run), "--data-dir", str(data_dir), "-o", str(target)],
        log,
        MOCAP_TEST_PAUSE_IN_EMBEDDING_WRITE="60",
        MOCAP_TEST_PAUSE_MARKER=str(marker),
    )
    # Interrupt inside the pause, not while h5py is still writing the datasets.
    wait_for(marker.is_file, process, log)
    assert partials(target.parent)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Interrupted."), lines
    assert not target.exists() and not partials(target.parent)
