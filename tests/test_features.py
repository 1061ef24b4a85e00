"""--features states|poses|both: the feature sets a segmentation runs on."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from mocap_cli.app import app
from mocap_seq2seq.data.synthetic import piecewise_motion
from mocap_seq2seq.embedding import Embedding, read_embedding, write_embedding
from mocap_seq2seq.errors import MismatchError, UsageError
from mocap_seq2seq.labels import GroundTruth
from mocap_seq2seq.pipeline import FEATURE_SETS, feature_matrix, segment_embedding
from mocap_seq2seq.segment.metrics import adjusted_rand
from mocap_seq2seq.segment.names import FEATURE_HELP

runner = CliRunner()


def _embedding(states: np.ndarray, poses: np.ndarray | None, labels: np.ndarray) -> Embedding:
    n_frames = states.shape[0]
    return Embedding(
        states=states.astype(np.float32),
        filled=np.zeros(n_frames, bool),
        pca=np.zeros((n_frames, 3), np.float32),
        truth=GroundTruth.around_boundaries(labels, ("a", "b", "c"), frame_rate=120.0),
        metadata={"frame_rate": 120.0},
        poses=None if poses is None else poses.astype(np.float32),
    )


@pytest.fixture(scope="module")
def uninformative_states() -> Embedding:
    """States that are noise; the poses carry the actions (a known answer)."""
    motion = piecewise_motion(n_segments=6, n_actions=3, n_frames=1800, n_channels=12, seed=3)
    # Noise on a scale 50 times the poses': one kernel on the plain concatenation
    # would see only the noise.
    noise = 50 * np.random.default_rng(0).normal(size=(1800, 32))
    return _embedding(noise, motion.frames, motion.labels)


def test_the_registries_agree() -> None:
    assert set(FEATURE_SETS) == set(FEATURE_HELP) == {"states", "poses", "both"}


def test_both_is_states_and_poses_side_by_side_with_their_widths(
    uninformative_states: Embedding,
) -> None:
    matrix, groups = feature_matrix(uninformative_states, "both")
    assert matrix.shape == (1800, 44) and groups == (32, 12)
    np.testing.assert_array_equal(matrix[:, 32:], uninformative_states.poses)
    assert feature_matrix(uninformative_states, "states")[1] is None
    assert feature_matrix(uninformative_states, "poses")[0].shape == (1800, 12)


def test_poses_are_refused_when_the_embedding_has_none(uninformative_states: Embedding) -> None:
    from dataclasses import replace

    bare = replace(uninformative_states, poses=None)
    for features in ("poses", "both"):
        with pytest.raises(MismatchError, match="mocap embed"):
            feature_matrix(bare, features)
    with pytest.raises(UsageError, match="states, poses or both"):
        feature_matrix(bare, "velocities")


def test_both_recovers_actions_that_only_the_poses_show(uninformative_states: Embedding) -> None:
    """Averaged kernels let the informative set speak: 'both' must beat the
    noise-only states by a wide margin and chance clearly."""
    labels = uninformative_states.labels
    scores = {
        features: adjusted_rand(
            labels,
            segment_embedding(uninformative_states, oracle=True, feature_set=features).frame_labels,
        )
        for features in FEATURE_SETS
    }
    assert scores["poses"] > 0.8, scores
    assert scores["both"] > 0.6, scores
    assert scores["both"] > scores["states"] + 0.4, scores
    # The control: one kernel on the concatenation (no groups) loses the actions.
    from mocap_seq2seq.pipeline import oracle_parameters
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    matrix, _ = feature_matrix(uninformative_states, "both")
    plain = KernelSegmenter(**oracle_parameters(labels, "kernel")).fit(matrix).frame_labels_
    assert adjusted_rand(labels, plain) < scores["both"] - 0.4


def test_segmenters_without_kernel_groups_take_each_set_scaled(
    uninformative_states: Embedding,
) -> None:
    found = segment_embedding(
        uninformative_states,
        method="kmeans",
        k_mode="given",
        parameters={"n_clusters": 3},
        feature_set="both",
    )
    assert found.frame_labels.shape == (1800,) and found.n_clusters == 3
    # Each set scaled: the poses count although the states are 50 times larger.
    assert adjusted_rand(uninformative_states.labels, found.frame_labels) > 0.1
    assert found.evaluation is not None and found.evaluation.features == "states + poses"


def test_the_embedding_file_keeps_the_poses(uninformative_states: Embedding, tmp_path) -> None:
    path = write_embedding(tmp_path / "e.h5", uninformative_states)
    read = read_embedding(path)
    np.testing.assert_array_equal(read.poses, uninformative_states.poses)
    with h5py.File(path, "a") as handle:
        del handle["poses"]
        handle.create_dataset("poses", data=np.zeros((5, 12), np.float32))
    result = runner.invoke(app, ["cluster", str(path), "--features", "both"])
    assert result.exit_code == 1, result.output
    assert "holds poses of shape (5, 12) for 1,800 frames" in result.output
    with h5py.File(path, "a") as handle:
        del handle["poses"]
        handle.create_dataset("poses", data=np.full((1800, 12), np.nan, np.float32))
    result = runner.invoke(app, ["cluster", str(path), "--features", "both"])
    assert result.exit_code == 1 and "not finite numbers" in result.output, result.output


def test_cli_cluster_and_demo_take_features(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    common = ["--data-dir", str(data_dir)]
    result = runner.invoke(
        app,
        ["train", "--trial", "01", "--steps", "4", "--hidden-size", "8", "--source-length"]
        + ["20", "--target-length", "10", "--batch-size", "4", "--no-monitor", "-o", str(run)]
        + common,
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["embed", str(run), *common])
    assert result.exit_code == 0, result.output
    with h5py.File(run / "embedding.h5", "r") as handle:
        assert handle["poses"].shape == (600, handle["poses"].shape[1])
    out = tmp_path / "both"
    result = runner.invoke(
        app,
        ["cluster", str(run / "embedding.h5"), "--features", "both", "--k", "oracle", "-o"]
        + [str(out)],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "clustering.json").read_text())["features"] == "both"
    result = runner.invoke(app, ["evaluate", str(out)])
    assert result.exit_code == 0, result.output
    assert "states + poses" in result.output.replace("\n", "")
    result = runner.invoke(app, ["cluster", str(run / "embedding.h5"), "--features", "legs"])
    assert result.exit_code == 2


def test_segment_frames_takes_the_same_groups_as_the_embedding_path(
    uninformative_states: Embedding,
) -> None:
    """The benchmarks' entry (``segment_frames``) segments 'both' as `cluster` does."""
    from mocap_seq2seq.pipeline import segment_frames

    matrix, groups = feature_matrix(uninformative_states, "both")
    labels = uninformative_states.labels
    assert groups is not None
    for method in ("kernel", "kmeans"):
        through_embedding = segment_embedding(
            uninformative_states, method=method, oracle=True, feature_set="both"
        ).frame_labels
        direct = segment_frames(
            matrix, method, labels=labels, oracle=True, random_state=0, groups=groups
        )
        assert adjusted_rand(through_embedding, direct) == pytest.approx(1.0)
    grouped = segment_frames(matrix, "kernel", labels=labels, oracle=True, groups=groups)
    plain = segment_frames(matrix, "kernel", labels=labels, oracle=True)
    assert adjusted_rand(labels, grouped) > adjusted_rand(labels, plain) + 0.4
