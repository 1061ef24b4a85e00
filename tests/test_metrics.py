"""Metrics against hand-computed answers, and their refusals."""

from __future__ import annotations

import numpy as np
import pytest

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.segment.metrics import (
    FRAME_METRICS,
    BoundaryScores,
    boundary_scores,
    contingency_matrix,
    frame_scores,
    hungarian_accuracy,
    paper_accuracy,
    tolerance_windows,
)


def test_permuted_perfect_labels_score_one_everywhere():
    true = np.array([0, 0, 1, 1, 1, 2, 2, 0])
    pred = np.array([5, 5, 9, 9, 9, 1, 1, 5])
    scores = frame_scores(true, pred)
    assert scores == pytest.approx(dict.fromkeys(FRAME_METRICS, 1.0))
    assert all(type(value) is float for value in scores.values())


def test_paper_accuracy_differs_from_hungarian_on_a_stray_first_frame():
    true = [0, 0, 0, 0, 1, 1, 1, 1]
    pred = [3, 0, 0, 0, 1, 1, 1, 1]
    # Hungarian: 0->0 (3 frames), 1->1 (4 frames), cluster 3 unmatched.
    assert hungarian_accuracy(true, pred) == pytest.approx(7 / 8)
    # Paper: pred renumbered [0, 1, 1, 1, 2, 2, 2, 2] against [0, 0, 0, 0, 1, 1, 1, 1].
    assert paper_accuracy(true, pred) == pytest.approx(1 / 8)


def test_rectangular_hungarian_counts_unmatched_frames_as_errors():
    true = [0, 0, 0, 1, 1, 1]
    # More predicted clusters than true ones: the smallest stays unmatched.
    assert hungarian_accuracy(true, [0, 0, 1, 2, 2, 3]) == pytest.approx(4 / 6)
    # Fewer predicted clusters: one true action gets no cluster.
    assert hungarian_accuracy([0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 1, 1]) == pytest.approx(4 / 6)
    assert hungarian_accuracy(true, [7] * 6) == pytest.approx(0.5)


def test_contingency_matrix_counts_pairs():
    table = contingency_matrix([0, 0, 1, 1, 1], [2, 1, 1, 1, 2])
    np.testing.assert_array_equal(table, [[1, 1], [2, 1]])


@pytest.mark.parametrize("name", sorted(FRAME_METRICS))
def test_metrics_refuse_nan_and_mismatched_lengths(name):
    metric = FRAME_METRICS[name]
    with pytest.raises(UsageError, match="NaN"):
        metric([0, 1, 1], [0, np.nan, 1])
    with pytest.raises(UsageError, match="different numbers of frames .3 true, 2 predicted"):
        metric([0, 1, 1], [0, 1])
    with pytest.raises(UsageError, match="empty"):
        metric([], [])
    with pytest.raises(UsageError, match="one label per frame"):
        metric([[0, 1]], [[0, 1]])


def test_float_labels_with_whole_values_are_accepted():
    assert hungarian_accuracy([0.0, 1.0], [1, 0]) == 1.0
    with pytest.raises(UsageError, match="whole numbers"):
        hungarian_accuracy([0.5, 1.0], [1, 0])


def test_boundary_scores_toy_case():
    windows = [[90, 110], [190, 210], [390, 420]]
    # 100 and 105 fall in the first window (counted once), 200 in the second, 300 in none.
    scores = boundary_scores([100, 105, 200, 300], windows)
    assert scores == BoundaryScores(
        precision=0.5, recall=2 / 3, f1=pytest.approx(4 / 7), n_true=3, n_predicted=4, n_matched=2
    )


def test_boundary_matching_is_a_maximum_matching():
    # Greedy would give 15 to the first window and leave 25 nowhere to go.
    windows = [[10, 20], [15, 30]]
    scores = boundary_scores([15, 25], windows)
    assert scores.n_matched == 2
    assert scores.f1 == 1.0


def test_boundary_window_edges_are_inclusive():
    assert boundary_scores([90], [[90, 110]]).n_matched == 1
    assert boundary_scores([110], [[90, 110]]).n_matched == 1
    assert boundary_scores([111], [[90, 110]]).n_matched == 0


def test_boundary_scores_degenerate_conventions():
    nothing = boundary_scores([], np.zeros((0, 2)))
    assert (nothing.precision, nothing.recall, nothing.f1) == (1.0, 1.0, 1.0)
    spurious = boundary_scores([50], [])
    assert (spurious.precision, spurious.recall, spurious.f1) == (0.0, 1.0, 0.0)
    missed = boundary_scores([], [[10, 20]])
    assert (missed.precision, missed.recall, missed.f1) == (1.0, 0.0, 0.0)


def test_boundary_scores_refuse_bad_windows():
    with pytest.raises(UsageError, match="starts after it ends"):
        boundary_scores([5], [[20, 10]])
    with pytest.raises(UsageError, match=r"shape \(n, 2\)"):
        boundary_scores([5], [1, 2, 3])
    with pytest.raises(UsageError, match="NaN"):
        boundary_scores([np.nan], [[1, 2]])


def test_tolerance_windows_default_and_validation():
    windows = tolerance_windows([100])
    np.testing.assert_array_equal(windows, [[75, 125]])
    assert tolerance_windows([]).shape == (0, 2)
    with pytest.raises(UsageError, match="tolerance"):
        tolerance_windows([100], tolerance=-1)
    f1 = boundary_scores([120, 240], tolerance_windows([100, 250], tolerance=20)).f1
    assert f1 == 1.0
