"""The synthetic sequences: seeded, known answers, and validated arguments."""

from __future__ import annotations

import numpy as np
import pytest

from mocap_seq2seq.data.synthetic import piecewise_motion
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
