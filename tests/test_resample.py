"""Resampling to another frame rate: rotations as rotations, labels, `convert --resample`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_seq2seq.data.resample import default_layout, resample_frames, resampled_length
from mocap_seq2seq.data.store import (
    SegmentTable,
    Sequence,
    read_sequence,
    resample_collection,
    resample_sequence,
    write_collection,
)
from mocap_seq2seq.errors import UsageError

runner = CliRunner()


def _smooth_motion(n_frames: int, rate: float, n_joints: int = 4) -> np.ndarray:
    """Root position and joint rotations (exp maps) slowly turning, all below 3 Hz."""
    time = np.arange(n_frames)[:, None] / rate
    root = np.hstack([50 * np.sin(0.4 * time), 10 * np.cos(0.7 * time), 2.0 * time])
    columns = [root]
    for joint in range(n_joints):
        axis = np.array([np.cos(joint), np.sin(joint), 0.5])
        axis /= np.linalg.norm(axis)
        angle = 1.2 * np.sin(2 * np.pi * (0.5 + 0.6 * joint) * time + joint)
        columns.append(angle * axis)
    return np.hstack(columns).astype(np.float32)


def _rotation_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest angle (radians) between the exp-map rotations of two frame arrays."""
    layout = default_layout(a.shape[1])
    worst = 0.0
    for columns in layout.expmap_columns:
        delta = Rotation.from_rotvec(a[:, columns]).inv() * Rotation.from_rotvec(b[:, columns])
        worst = max(worst, float(np.max(delta.magnitude())))
    return worst


def test_round_trip_120_60_120_is_close_on_smooth_motion() -> None:
    frames = _smooth_motion(601, 120.0)
    half = resample_frames(frames, 120.0, 60.0)
    assert half.shape == (301, frames.shape[1])
    back = resample_frames(half, 60.0, 120.0)
    assert back.shape == frames.shape
    # Away from the ends (where the zero-phase filter pads), within 0.02 rad and 0.05 units.
    inner = slice(20, -20)
    assert _rotation_error(back[inner], frames[inner]) < 0.02
    assert np.max(np.abs(back[inner, :3] - frames[inner, :3])) < 0.05


def test_rotations_are_not_averaged_across_the_pi_wrap() -> None:
    # A rotation about z turning steadily through pi: its exp map jumps from
    # about (0, 0, +pi) to (0, 0, -pi). Halfway between frames 0.98 pi and
    # -0.98 pi (i.e. 1.02 pi) the answer is the rotation by pi, not the identity.
    angles = np.array([0.94, 0.98, 1.02, 1.06]) * np.pi
    frames = np.zeros((4, 6), dtype=np.float32)
    frames[:, 5] = Rotation.from_euler("z", angles[:, None]).as_rotvec()[:, 2]
    assert frames[1, 5] > 3 and frames[2, 5] < -3  # the wrap really is there
    doubled = resample_frames(frames, 1.0, 2.0)
    assert doubled.shape == (7, 6)
    middle = Rotation.from_rotvec(doubled[3, 3:])
    expected = Rotation.from_euler("z", np.pi)
    assert (middle.inv() * expected).magnitude() < 1e-4
    # Linear interpolation of the column would have given nearly zero.
    assert abs(float(np.linalg.norm(doubled[3, 3:])) - np.pi) < 1e-3


def test_downsampling_filters_what_the_new_rate_cannot_hold() -> None:
    # 50 Hz wobble on a root channel at 120 fps folds to 10 Hz at 60 fps if taken by
    # nearest frame; the anti-alias filter removes it instead.
    time = np.arange(1200) / 120.0
    frames = np.zeros((1200, 3), dtype=np.float32)
    frames[:, 0] = np.sin(2 * np.pi * 50 * time)
    down = resample_frames(frames, 120.0, 60.0)
    assert np.max(np.abs(down[100:-100, 0])) < 0.05
    assert np.max(np.abs(frames[::2][100:-100, 0])) > 0.5  # naive decimation keeps it


def _labelled_sequence() -> Sequence:
    frames = _smooth_motion(1200, 120.0)
    table = SegmentTable(
        start=np.array([0, 400, 900]),
        end=np.array([400, 900, 1200]),
        earliest=np.array([380, 880, -1]),
        latest=np.array([420, 930, -1]),
        label=np.array([0, 1, 0]),
    )
    labels = np.repeat(table.label, table.end - table.start)
    return Sequence(
        name="t",
        kind="trial",
        n_frames=1200,
        frames=frames,
        frame_rate=120.0,
        labels=labels,
        action_names=("walk", "run"),
        segments=table,
    )


@pytest.mark.parametrize("rate", [60.0, 50.0, 30.0])
def test_labels_and_segments_keep_their_times(rate: float) -> None:
    sequence = _labelled_sequence()
    resampled = resample_sequence(sequence, rate)
    ratio = rate / 120.0
    assert resampled.frame_rate == rate
    assert resampled.n_frames == resampled_length(1200, 120.0, rate)
    assert resampled.labels is not None and resampled.segments is not None
    assert resampled.labels.shape == (resampled.n_frames,)
    table = resampled.segments
    assert table.start.tolist() == [0, round(400 * ratio), round(900 * ratio)]
    assert table.end[-1] == resampled.n_frames
    assert table.earliest.tolist() == [round(380 * ratio), round(880 * ratio), -1]
    assert table.latest.tolist() == [round(420 * ratio), round(930 * ratio), -1]
    # Each label's share of the time is kept to within a frame of the new rate.
    for label in (0, 1):
        seconds_before = np.sum(sequence.labels == label) / 120.0
        seconds_after = np.sum(resampled.labels == label) / rate
        assert abs(seconds_before - seconds_after) <= 2.0 / rate
    # Nearest-frame labels agree with the segments.
    index = np.minimum(np.rint(np.arange(resampled.n_frames) / ratio), 1199).astype(int)
    nearest = sequence.labels[index]
    assert np.mean(nearest.astype(int) == resampled.labels) > 0.99


def test_a_sequence_without_rate_is_refused_naming_the_option() -> None:
    sequence = _labelled_sequence()
    unknown = Sequence(name="u", kind="take", n_frames=10, frames=sequence.frames[:10])
    with pytest.raises(UsageError, match="--frame-rate"):
        resample_sequence(unknown, 60.0)
    assert resample_sequence(unknown, 60.0, source_rate=120.0).n_frames == 5


@pytest.mark.parametrize("bad", [0.0, -30.0, float("nan"), float("inf")])
def test_bad_rates_are_usage_errors(bad: float) -> None:
    with pytest.raises(UsageError, match="frame rate"):
        resample_frames(np.zeros((10, 6)), 120.0, bad)


def test_collection_round_trips_through_hdf5(tmp_path: Path) -> None:
    source = write_collection(tmp_path / "a.h5", [_labelled_sequence()], collection="test")
    output = resample_collection(source, tmp_path / "b.h5", 60.0)
    stored = read_sequence(output, "t")
    assert stored.frame_rate == 60.0 and stored.n_frames == 600
    assert stored.segments is not None and stored.segments.start.tolist() == [0, 200, 450]
    assert stored.frames is not None
    original = read_sequence(source, "t").frames
    assert original is not None
    assert _rotation_error(stored.frames[10:-10], original[::2][10:-10]) < 0.02


def test_convert_resample_writes_the_new_rate(cmu_source: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "convert",
            str(cmu_source),
            "-o",
            str(tmp_path),
            "--resample",
            "60",
            "--frame-rate",
            "120",
        ],
    )
    assert result.exit_code == 0, result.output
    trial = read_sequence(tmp_path / "cmu_subject86.h5", "01")
    assert trial.frame_rate == 60.0
    assert trial.n_frames == resampled_length(600, 120.0, 60.0)
    assert trial.labels is not None and trial.labels.shape == (trial.n_frames,)
    take = read_sequence(tmp_path / "cmu_actions.h5", "walking_1")
    assert take.frame_rate == 60.0


def test_convert_resample_needs_a_rate_for_the_cmu_takes(cmu_source: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["convert", str(cmu_source), "-o", str(tmp_path), "--resample", "60"]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "--frame-rate" in result.output
    assert not (tmp_path / "cmu_actions.h5").exists()


@pytest.mark.parametrize("bad", ["0", "-5", "nan"])
def test_convert_refuses_a_bad_fps_in_one_line(cmu_source: Path, tmp_path: Path, bad: str) -> None:
    result = runner.invoke(
        app, ["convert", str(cmu_source), "-o", str(tmp_path), "--resample", bad]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "--resample" in result.output
    assert not list(tmp_path.iterdir())
