"""Normalisation, window sampling and the tiling that maps frames to decoder steps."""

from __future__ import annotations

import numpy as np
import pytest

from mocap_seq2seq.errors import BadDataError, WindowError
from mocap_seq2seq.model.windows import (
    fit_normalization,
    sample_windows,
    starts_inside_segments,
    tile_windows,
)


def test_normalization_drops_constant_channels_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    frames = rng.normal(3.0, 2.0, (200, 5))
    frames[:, 2] = 7.0
    norm = fit_normalization(frames)
    assert norm.keep.tolist() == [True, True, False, True, True]
    normalized = norm.transform(frames)
    assert normalized.shape == (200, 4)
    np.testing.assert_allclose(normalized.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(normalized.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(norm.inverse_transform(normalized), frames, atol=1e-5)
    again = type(norm).from_dict(norm.to_dict())
    np.testing.assert_array_equal(again.transform(frames), normalized)


def test_wrong_channel_count_and_nan_are_refused() -> None:
    norm = fit_normalization(np.random.default_rng(0).normal(size=(20, 3)))
    with pytest.raises(BadDataError, match="have 4 channels"):
        norm.transform(np.zeros((5, 4)))
    bad = np.zeros((5, 3))
    bad[2, 0] = np.inf
    with pytest.raises(BadDataError, match="first at frame 2"):
        norm.transform(bad)


def test_sampled_windows_are_contiguous_slices() -> None:
    frames = np.arange(100, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    source, target = sample_windows(frames, 5, 3, 10, np.random.default_rng(1))
    assert source.shape == (10, 5, 2) and target.shape == (10, 3, 2)
    np.testing.assert_array_equal(target[:, 0, 0], source[:, -1, 0] + 1)
    assert np.all(np.diff(np.concatenate([source, target], axis=1)[..., 0], axis=1) == 1)


def test_window_longer_than_sequence_is_refused() -> None:
    with pytest.raises(WindowError, match="does not fit a sequence of 60 frames"):
        tile_windows(60, 50, 25)
    with pytest.raises(WindowError, match="at least 1"):
        tile_windows(60, 0, 25)


@pytest.mark.parametrize(("n_frames", "source", "target"), [(100, 10, 5), (101, 7, 9), (30, 3, 27)])
def test_tiling_predicts_every_frame_once(n_frames: int, source: int, target: int) -> None:
    tiling = tile_windows(n_frames, source, target)
    predicted = ~tiling.filled
    # Every predicted frame is predicted by exactly the step that lands on it.
    frames = tiling.starts[tiling.window_of_frame] + source + tiling.step_of_frame
    assert np.all(frames[predicted] == np.flatnonzero(predicted))
    assert tiling.filled[:source].all() and not tiling.filled[source]
    assert (~tiling.filled).sum() == tiling.n_windows * target
    assert tiling.filled[source:].sum() < target  # only a short tail is filled


def test_paper_protocol_windows_stay_inside_segments() -> None:
    bounds = np.array([[0, 40], [40, 100]])
    starts = starts_inside_segments(bounds, 15)
    assert set(starts) == set(range(0, 26)) | set(range(40, 86))
    tiling = tile_windows(100, 10, 5, segment_bounds=bounds)
    ends = tiling.starts + 15
    assert all((s >= 40) == (e > 40) for s, e in zip(tiling.starts, ends))


def test_velocity_columns_are_differenced_before_scaling() -> None:
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(100, 4))
    frames[:, 0] = np.arange(100) * 2.0 + 50.0  # a root walking at constant speed
    norm = fit_normalization(frames, velocity_columns=(0,))
    assert norm.velocity_columns == (0,)
    # A constant velocity after the first frame: almost no spread, but the
    # first frame's zero keeps the channel; its values are all but one equal.
    normalized = norm.transform(frames)
    assert np.unique(normalized[1:, 0].round(6)).size == 1
    again = type(norm).from_dict(norm.to_dict())
    np.testing.assert_array_equal(again.transform(frames), normalized)
    shifted = frames.copy()
    shifted[:, 0] += 1000.0  # where the person stands no longer matters
    np.testing.assert_allclose(norm.transform(shifted), normalized, atol=1e-6)
