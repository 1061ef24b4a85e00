"""Sliding windows: the tiling predicts every covered frame exactly once (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mocap_seq2seq.model.windows import sample_windows, starts_inside_segments, tile_windows


@st.composite
def sequences_and_windows(draw: st.DrawFn) -> tuple[int, int, int]:
    source = draw(st.integers(1, 30))
    target = draw(st.integers(1, 30))
    n_frames = draw(st.integers(source + target, source + target + 200))
    return n_frames, source, target


@st.composite
def segmented(draw: st.DrawFn) -> tuple[int, int, int, np.ndarray]:
    source = draw(st.integers(1, 10))
    target = draw(st.integers(1, 10))
    lengths = draw(st.lists(st.integers(1, 60), min_size=1, max_size=6))
    # At least one segment must hold a whole window.
    lengths[draw(st.integers(0, len(lengths) - 1))] += source + target
    ends = np.cumsum(lengths)
    bounds = np.stack([np.concatenate([[0], ends[:-1]]), ends], axis=1)
    return int(ends[-1]), source, target, bounds


def _prediction_counts(tiling, n_frames: int, source: int, target: int) -> np.ndarray:
    counts = np.zeros(n_frames, dtype=np.int64)
    for start in tiling.starts:
        np.add.at(counts, start + source + np.arange(target), 1)
    return counts


@settings(max_examples=150, deadline=None)
@given(case=sequences_and_windows())
def test_tiling_predicts_every_frame_at_most_once_and_all_but_head_and_tail(case) -> None:
    n_frames, source, target = case
    tiling = tile_windows(n_frames, source, target)
    counts = _prediction_counts(tiling, n_frames, source, target)
    assert counts.max() == 1  # no frame predicted twice
    np.testing.assert_array_equal(counts == 0, tiling.filled)
    # Everything from the end of the first source window on is predicted, but a tail < target.
    assert tiling.filled[:source].all()
    last = source + tiling.n_windows * target
    assert not tiling.filled[source:last].any() and tiling.filled[last:].all()
    assert n_frames - last < target
    # The step a frame's embedding comes from predicts that very frame (when not filled).
    predicted_frame = tiling.starts[tiling.window_of_frame] + source + tiling.step_of_frame
    frames = np.arange(n_frames)
    np.testing.assert_array_equal(predicted_frame[~tiling.filled], frames[~tiling.filled])
    # A filled frame borrows the state of its nearest predicted frame.
    nearest = np.abs(frames[:, None] - frames[~tiling.filled][None, :]).min(axis=1)
    np.testing.assert_array_equal(np.abs(predicted_frame - frames), nearest)


@settings(max_examples=100, deadline=None)
@given(case=segmented())
def test_paper_tiling_predicts_once_and_stays_inside_segments(case) -> None:
    n_frames, source, target, bounds = case
    tiling = tile_windows(n_frames, source, target, segment_bounds=bounds)
    counts = _prediction_counts(tiling, n_frames, source, target)
    assert counts.max() == 1
    np.testing.assert_array_equal(counts == 0, tiling.filled)
    segment_of = np.searchsorted(bounds[:, 1], np.arange(n_frames), side="right")
    first, last = tiling.starts, tiling.starts + source + target - 1
    np.testing.assert_array_equal(segment_of[first], segment_of[last])


@settings(max_examples=100, deadline=None)
@given(case=sequences_and_windows(), n_windows=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_sampled_windows_are_seeded_contiguous_slices(case, n_windows: int, seed: int) -> None:
    n_frames, source, target = case
    frames = np.arange(n_frames, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    first = sample_windows(frames, source, target, n_windows, np.random.default_rng(seed))
    again = sample_windows(frames, source, target, n_windows, np.random.default_rng(seed))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    window = np.concatenate(first, axis=1)[..., 0]
    assert window.shape == (n_windows, source + target)
    assert np.all(np.diff(window, axis=1) == 1) and window.min() >= 0
    assert window.max() <= n_frames - 1


@settings(max_examples=100, deadline=None)
@given(case=segmented(), seed=st.integers(0, 2**32 - 1))
def test_windows_drawn_inside_segments_never_straddle_a_boundary(case, seed: int) -> None:
    n_frames, source, target, bounds = case
    allowed = starts_inside_segments(bounds, source + target)
    frames = np.arange(n_frames, dtype=np.float32)[:, None]
    parts = sample_windows(frames, source, target, 8, np.random.default_rng(seed), allowed)
    window = np.concatenate(parts, axis=1)[..., 0].astype(np.int64)
    segment_of = np.searchsorted(bounds[:, 1], np.arange(n_frames), side="right")
    np.testing.assert_array_equal(segment_of[window[:, 0]], segment_of[window[:, -1]])
