"""The synthetic sequences: seeded, known answers, and validated arguments."""

from __future__ import annotations

import numpy as np
import pytest

from mocap_seq2seq.data.synthetic import piecewise_motion, unlike_takes_motion
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.labels import boundaries_to_labels, labels_to_boundaries


def test_shapes_types_and_known_answer():
    motion = piecewise_motion(n_segments=5, n_actions=3, n_channels=7, n_frames=500, seed=3)
    assert motion.frames.shape == (500, 7)
    assert motion.frames.dtype == np.float32
    assert motion.labels.shape == (500,)
    assert motion.boundaries.shape == (4,)
    assert motion.n_segments == 5 and motion.n_actions == 3 and motion.n_frames == 500
    np.testing.assert_array_equal(labels_to_boundaries(motion.labels), motion.boundaries)
    rebuilt = boundaries_to_labels(motion.boundaries, 500, motion.segment_actions)
    np.testing.assert_array_equal(rebuilt, motion.labels)
    assert np.all(np.isfinite(motion.frames))


def test_neighbours_differ_and_every_action_appears():
    for seed in range(20):
        motion = piecewise_motion(n_segments=9, n_actions=4, seed=seed)
        assert np.all(motion.segment_actions[1:] != motion.segment_actions[:-1])
        assert set(motion.segment_actions.tolist()) == {0, 1, 2, 3}
        # Segments are at least half the average length.
        lengths = np.diff(np.concatenate([[0], motion.boundaries, [600]]))
        assert lengths.min() >= 600 // 18


def test_seeded():
    first, again = piecewise_motion(seed=5), piecewise_motion(seed=5)
    np.testing.assert_array_equal(first.frames, again.frames)
    assert not np.array_equal(first.frames, piecewise_motion(seed=6).frames)


def test_actions_are_distinct_patterns():
    motion = piecewise_motion(n_segments=2, n_actions=2, noise=0.0, n_frames=400, seed=0)
    first, second = (motion.frames[motion.labels == a] for a in (0, 1))
    # Different mean poses and different spectra.
    assert np.linalg.norm(first.mean(0) - second.mean(0)) > 0.5
    spectrum = [
        np.abs(np.fft.rfft(part[:150, 0] - part[:150, 0].mean())) for part in (first, second)
    ]
    assert np.argmax(spectrum[0]) != np.argmax(spectrum[1])


def test_noise_zero_is_clean():
    clean = piecewise_motion(noise=0.0, seed=1)
    noisy = piecewise_motion(noise=0.5, seed=1)
    assert np.std(noisy.frames - clean.frames) == pytest.approx(0.5, rel=0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_actions": 4, "n_segments": 3}, "cannot show 4 actions in 3 segments"),
        ({"n_actions": 1, "n_segments": 3}, "at least 2 actions"),
        ({"n_frames": 50, "n_segments": 6}, "at least 10 per segment"),
        ({"noise": -1.0}, "noise"),
        ({"n_channels": 0}, "n_channels"),
        ({"n_segments": 2.5}, "n_segments"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(UsageError, match=message):
        piecewise_motion(**kwargs)


def test_single_segment():
    motion = piecewise_motion(n_segments=1, n_actions=1, n_frames=30)
    assert motion.boundaries.size == 0 and np.all(motion.labels == 0)


def test_unlike_takes_layout_and_seed():
    motion = unlike_takes_motion(n_frames=2000, n_channels=5, seed=2)
    assert motion.frames.shape == (2000, 5) and motion.frames.dtype == np.float32
    np.testing.assert_array_equal(motion.segment_actions, [0, 1, 2, 1, 0])
    lengths = np.diff(np.concatenate([[0], motion.boundaries, [2000]]))
    assert lengths[1] == lengths[3] == 80 and lengths.sum() == 2000
    np.testing.assert_array_equal(
        motion.frames, unlike_takes_motion(n_frames=2000, n_channels=5, seed=2).frames
    )


def test_unlike_takes_are_what_they_say():
    # The two takes of B differ by take_offset in mean posture (their patterns
    # are the same), the two As by noise only, and A and C by less than the takes.
    motion = unlike_takes_motion(noise=0.0, seed=0)
    starts = np.concatenate([[0], motion.boundaries])
    ends = np.concatenate([motion.boundaries, [motion.n_frames]])
    means = [motion.frames[a:b].mean(axis=0) for a, b in zip(starts, ends)]
    assert np.linalg.norm(means[3] - means[1]) == pytest.approx(3.0, abs=0.3)
    assert np.linalg.norm(means[4] - means[0]) < 0.1
    assert np.linalg.norm(means[2] - means[0]) < np.linalg.norm(means[3] - means[1])
    same = unlike_takes_motion(noise=0.0, take_offset=0.0, seed=0)
    np.testing.assert_allclose(
        same.frames[: motion.boundaries[2]], motion.frames[: motion.boundaries[2]]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_frames": 400}, "'n_frames' of unlike_takes_motion"),
        ({"take_offset": -1.0}, "'take_offset'"),
        ({"noise": float("nan")}, "'noise'"),
        ({"n_channels": True}, "'n_channels'"),
    ],
)
def test_unlike_takes_invalid_arguments(kwargs, message):
    with pytest.raises(UsageError, match=message):
        unlike_takes_motion(**kwargs)
