"""Shared fixtures: a tiny CMU-layout source folder, converted into a tiny data folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("OMP_NUM_THREADS", "1")

TINY_TRIAL_SEGMENTS = [("walk ", 0), ("punching", 200), ("walking", 420)]
TINY_TRIAL_FRAMES = 600


def _wave(n_frames: int, n_channels: int, frequency: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    time = np.arange(n_frames)[:, None] / 30.0
    phases = rng.uniform(0, 2 * np.pi, n_channels)
    amplitudes = rng.uniform(0.2, 1.0, n_channels)
    frames = amplitudes * np.sin(2 * np.pi * frequency * time + phases)
    return frames + 0.01 * rng.standard_normal((n_frames, n_channels))


def write_cmu_folder(root: Path) -> Path:
    """Write a folder laid out like ../shared/cmu with tiny synthetic takes and trials."""
    from scipy.io import savemat

    for index, action in enumerate(("walking", "running", "jumping")):
        folder = root / "actions" / "train" / action
        folder.mkdir(parents=True)
        for take in (1, 2):
            frames = _wave(150 + 10 * take, 117, 0.5 + index, seed=10 * index + take)
            frames[:, 3:6] = 0.0  # constant channels, as in the real data
            np.savetxt(folder / f"{action}_{take}.txt", frames, delimiter=",", fmt="%.6f")
    expmap = root / "subject86" / "expmap"
    truth = root / "subject86" / "ground_truth"
    expmap.mkdir(parents=True)
    truth.mkdir(parents=True)
    parts = []
    bounds = [start for _, start in TINY_TRIAL_SEGMENTS] + [TINY_TRIAL_FRAMES]
    for index, (start, end) in enumerate(zip(bounds[:-1], bounds[1:])):
        frequency = {0: 0.5, 1: 2.0, 2: 0.5}[index]
        parts.append(_wave(end - start, 96, frequency, seed=100 + (index % 2)))
    savemat(expmap / "01.mat", {"expmapchannels": np.concatenate(parts)})
    lines = [str(len(TINY_TRIAL_SEGMENTS))]
    for index, (name, _) in enumerate(TINY_TRIAL_SEGMENTS):
        lines.append(f"{index + 1} {name}")
        if index + 1 < len(TINY_TRIAL_SEGMENTS):
            best = TINY_TRIAL_SEGMENTS[index + 1][1]
            lines.append(f"{best - 10} {best} {best + 10} ")
    lines.append(str(TINY_TRIAL_FRAMES - 1))  # the annotated total is one off, as in 8 real trials
    (truth / "01_ground_truth.txt").write_text("\r\n".join(lines) + "\r\n")
    # A trial with ground truth but no frames, with an unordered triple.
    content = "2\r\n1 walking\r\n310 300 330\r\n2 drink \r\n700\r\n"
    (truth / "02_ground_truth.txt").write_text(content)
    return root


@pytest.fixture(scope="session")
def cmu_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cmu_folder(tmp_path_factory.mktemp("cmu"))


@pytest.fixture(scope="session")
def data_dir(cmu_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mocap_seq2seq.data.store import convert_cmu

    folder = tmp_path_factory.mktemp("data")
    convert_cmu(cmu_source, folder)
    return folder


@pytest.fixture(autouse=True)
def _fixed_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich wraps at the terminal width: pin it so that messages are predictable.
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
