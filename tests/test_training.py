"""The training loop: run folder contents, exact resume, divergence, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mocap_seq2seq.data.synthetic import piecewise_motion
from mocap_seq2seq.errors import BadDataError, OutputExistsError, WindowError
from mocap_seq2seq.model import training

CONFIG = training.TrainConfig(
    hidden_size=16,
    source_length=10,
    target_length=5,
    batch_size=8,
    steps=12,
    checkpoint_every=4,
    learning_rate=3e-3,
)


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return piecewise_motion(n_frames=300, n_channels=6, seed=0).frames


def test_run_folder_holds_everything(frames: np.ndarray, tmp_path: Path) -> None:
    result = training.train(CONFIG, frames, tmp_path / "run", data={"kind": "synthetic"})
    run = result.run_dir
    for name in (
        "config.json",
        "normalization.json",
        "checkpoint.json",
        "history.json",
        "model.weights.h5",
        "model.keras",
        "checkpoint-12.state.h5",
    ):
        assert (run / name).is_file(), name
    history = json.loads((run / "history.json").read_text())
    assert history["step"] == [4, 8, 12]
    assert all(np.isfinite(history["loss"]))
    assert len(history["forecast_ratio"]) == 3
    model, normalization, stored = training.load_run(run)
    assert stored["train"]["hidden_size"] == 16 and normalization.n_channels == 6


def test_resume_gives_the_same_losses_as_one_run(frames: np.ndarray, tmp_path: Path) -> None:
    whole = training.train(CONFIG, frames, tmp_path / "whole")
    training.train(CONFIG.replace(steps=8), frames, tmp_path / "parts")
    resumed = training.train(CONFIG, frames, tmp_path / "parts", resume=True)
    np.testing.assert_allclose(resumed.history["loss"], whole.history["loss"], rtol=1e-4)
    stored = json.loads((tmp_path / "parts" / "config.json").read_text())
    assert stored["train"]["steps"] == 12  # the resume extended the run from 8


def test_best_monitor_is_reported_across_a_resume_without_keep_best(
    frames: np.ndarray, tmp_path: Path
) -> None:
    first = iter([0.3, 0.1])
    training.train(
        CONFIG.replace(steps=8), frames, tmp_path / "run", monitor=lambda m, x: next(first)
    )
    resumed = training.train(
        CONFIG, frames, tmp_path / "run", resume=True, monitor=lambda m, x: 0.6
    )
    assert resumed.history["monitor"] == [0.3, 0.1, 0.6]
    assert (resumed.best_step, resumed.best_monitor) == (12, 0.6)
    assert not (tmp_path / "run" / "best.weights.h5").exists()


def test_monitor_is_logged_and_best_kept(frames: np.ndarray, tmp_path: Path) -> None:
    scores = iter([0.1, 0.5, 0.2])
    result = training.train(
        CONFIG.replace(keep_best=True),
        frames,
        tmp_path / "run",
        monitor=lambda model, normalized: next(scores),
    )
    assert result.history["monitor"] == [0.1, 0.5, 0.2]
    assert (result.best_step, result.best_monitor) == (8, 0.5)
    assert (tmp_path / "run" / "best.weights.h5").is_file()


def test_existing_run_is_refused(frames: np.ndarray, tmp_path: Path) -> None:
    training.train(CONFIG.replace(steps=4), frames, tmp_path / "run")
    with pytest.raises(OutputExistsError, match="--resume"):
        training.train(CONFIG.replace(steps=4), frames, tmp_path / "run")


def test_bad_input_is_refused(frames: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(WindowError, match="does not fit"):
        training.train(CONFIG, frames[:12], tmp_path / "short")
    bad = frames.copy()
    bad[5, 2] = np.nan
    with pytest.raises(BadDataError, match="NaN"):
        training.train(CONFIG, bad, tmp_path / "nan")


def test_a_diverging_loss_stops_with_a_clear_message(frames: np.ndarray, tmp_path: Path) -> None:
    from mocap_seq2seq.errors import TrainingDivergedError

    wild = CONFIG.replace(learning_rate=1e30, clip_norm=1e30, steps=30, checkpoint_every=10)
    with pytest.raises(TrainingDivergedError, match="became (inf|nan) at step"):
        training.train(wild, frames, tmp_path / "run")
