"""Scores of a segmentation against ground truth: per frame, and per boundary.

Frame scores are plain functions ``(labels_true, labels_pred) -> float`` that
return a Python float. They compare two labelings of the same frames (one
integer per frame, see :mod:`mocap_seq2seq.labels`); cluster numbers are
arbitrary, so every frame score is invariant to renaming the predicted
clusters. :data:`FRAME_METRICS` lists them under the names that reports and
benchmarks use, and :func:`frame_scores` computes them all.

Boundary scores compare predicted boundaries (0-based first frames of new
segments) with ground-truth tolerance windows ``[earliest, latest]``
(inclusive): a prediction is a hit if it falls inside a window, and each
window accepts at most one prediction (a one-to-one matching, so five
predictions inside one window count once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as _sk

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.labels import (  # noqa: F401 - tolerance_windows is part of this API
    DEFAULT_TOLERANCE,
    relabel_by_first_appearance,
    tolerance_windows,
)

LabelsLike = Sequence[int] | np.ndarray


def _check_labels(labels: LabelsLike, name: str, metric: str) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 1:
        raise UsageError(
            f"The '{name}' of {metric} must be one label per frame. Got shape {array.shape}.",
            "a 1-D array of shape (n_frames,)",
        )
    if array.size == 0:
        raise UsageError(
            f"The '{name}' of {metric} is empty.",
            "at least one frame",
            "Pass the labels of a non-empty sequence.",
        )
    if not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.number) or np.issubdtype(
            array.dtype, np.complexfloating
        ):
            raise UsageError(
                f"The '{name}' of {metric} must be integers. Got values of type {array.dtype}.",
                "one integer label per frame",
            )
        if not np.all(np.isfinite(array)):
            raise UsageError(
                f"The '{name}' of {metric} contain NaN or infinite values.",
                "one integer label per frame",
                "Label every frame before scoring.",
            )
        if not np.all(array == np.round(array)):
            raise UsageError(
                f"The '{name}' of {metric} must be whole numbers. Got fractional values.",
                "one integer label per frame",
            )
    return array.astype(np.int64)


def _check_pair(
    labels_true: LabelsLike, labels_pred: LabelsLike, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    true = _check_labels(labels_true, "labels_true", metric)
    pred = _check_labels(labels_pred, "labels_pred", metric)
    if true.shape != pred.shape:
        raise UsageError(
            f"The labelings given to {metric} cover different numbers of frames "
            f"({true.size} true, {pred.size} predicted).",
            "one true and one predicted label per frame",
            "Score the prediction against the labels of the same sequence.",
        )
    return true, pred


def contingency_matrix(labels_true: LabelsLike, labels_pred: LabelsLike) -> np.ndarray:
    """Count frames per (true cluster, predicted cluster) pair.

    Rows follow the sorted true labels, columns the sorted predicted labels.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Returns:
        int64 array of shape ``(n_true_clusters, n_pred_clusters)``.

    Example:
    >>> contingency_matrix([0, 0, 1, 1], [5, 7, 7, 7])
    array([[1, 1],
           [0, 2]])
    """
    true, pred = _check_pair(labels_true, labels_pred, "contingency_matrix")
    _, true_index = np.unique(true, return_inverse=True)
    _, pred_index = np.unique(pred, return_inverse=True)
    table = np.zeros((true_index.max() + 1, pred_index.max() + 1), dtype=np.int64)
    np.add.at(table, (true_index, pred_index), 1)
    return table


def hungarian_accuracy(labels_true: LabelsLike, labels_pred: LabelsLike) -> float:
    """Fraction of frames right after the best one-to-one renaming of clusters.

    Predicted clusters are matched to true clusters by the Hungarian algorithm
    (``scipy.optimize.linear_sum_assignment``) so that matched pairs share the
    most frames. When the numbers of clusters differ the matching is
    rectangular: the surplus clusters stay unmatched and all their frames
    count as errors, so splitting an action in two costs accuracy.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Returns:
        A float in ``[0, 1]``; 1 exactly when the labelings agree up to renaming.

    Example:
    >>> hungarian_accuracy([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1])
    1.0

    Three predicted clusters for two true ones: the smallest is left unmatched.

    >>> hungarian_accuracy([0, 0, 0, 1, 1, 1], [0, 0, 2, 1, 1, 1])
    0.8333333333333334
    """
    table = contingency_matrix(labels_true, labels_pred)
    rows, columns = linear_sum_assignment(table, maximize=True)
    return float(table[rows, columns].sum() / table.sum())


def match_labels(labels_true: LabelsLike, labels_pred: LabelsLike) -> dict[int, int]:
    """Match each predicted cluster to at most one true action, maximising shared frames.

    The same Hungarian assignment of the contingency table as
    :func:`hungarian_accuracy`, returned as the renaming itself: one cluster
    per action, one action per cluster. Clusters left over when there are
    more clusters than actions are absent. Figures use it to give a cluster
    the colour of its action.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Returns:
        ``{cluster: action}`` for every matched cluster, in cluster order.

    Example:
    >>> match_labels([0, 0, 1, 1, 2], [5, 5, 3, 3, 3])
    {3: 1, 5: 0}
    """
    true, pred = _check_pair(labels_true, labels_pred, "match_labels")
    actions = np.unique(true)
    clusters = np.unique(pred)
    # clusters x actions, so that ties break by cluster order
    overlap = contingency_matrix(true, pred).T
    rows, columns = linear_sum_assignment(overlap, maximize=True)
    return {int(clusters[r]): int(actions[c]) for r, c in sorted(zip(rows, columns))}


def paper_accuracy(labels_true: LabelsLike, labels_pred: LabelsLike) -> float:
    """The paper's accuracy: renumber both labelings by first appearance, compare frames.

    Su & Shlizerman (2020) name clusters 0, 1, 2, ... in the order they first
    appear in time, in both the truth and the prediction, and count equal
    frames. This is not a best matching: a short spurious cluster early in
    the sequence shifts the numbering of every later cluster and can wipe out
    the score, whereas :func:`hungarian_accuracy` leaves that cluster
    unmatched and loses only its frames. First-appearance numbering is one
    particular one-to-one renaming, and Hungarian matching picks the best
    one, so paper accuracy is never above Hungarian accuracy; report it only
    to compare with the paper.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Returns:
        A float in ``[0, 1]``.

    Example:
    >>> paper_accuracy([0, 0, 1, 1], [7, 7, 3, 3])
    1.0

    One stray frame at the start: the paper's accuracy collapses, Hungarian does not.

    >>> paper_accuracy([0, 0, 0, 1, 1, 1], [2, 0, 0, 1, 1, 1])
    0.16666666666666666
    >>> hungarian_accuracy([0, 0, 0, 1, 1, 1], [2, 0, 0, 1, 1, 1])
    0.8333333333333334
    """
    true, pred = _check_pair(labels_true, labels_pred, "paper_accuracy")
    return float(np.mean(relabel_by_first_appearance(true) == relabel_by_first_appearance(pred)))


def adjusted_rand(labels_true: LabelsLike, labels_pred: LabelsLike) -> float:
    """Adjusted Rand index: agreement on pairs of frames, 0 for chance, 1 for equal.

    Counts pairs of frames that both labelings put together or both put apart,
    corrected for the agreement expected by chance (scikit-learn's
    ``adjusted_rand_score``). Can be slightly negative.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Example:
    >>> adjusted_rand([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    >>> round(adjusted_rand([0, 0, 1, 1], [0, 1, 0, 1]), 3)
    -0.5
    """
    true, pred = _check_pair(labels_true, labels_pred, "adjusted_rand")
    return float(_sk.adjusted_rand_score(true, pred))


def adjusted_mutual_info(labels_true: LabelsLike, labels_pred: LabelsLike) -> float:
    """Mutual information adjusted for chance (scikit-learn, arithmetic normalisation).

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Example:
    >>> adjusted_mutual_info([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    true, pred = _check_pair(labels_true, labels_pred, "adjusted_mutual_info")
    return float(_sk.adjusted_mutual_info_score(true, pred))


def normalized_mutual_info(labels_true: LabelsLike, labels_pred: LabelsLike) -> float:
    """Mutual information divided by the mean entropy of the labelings; in ``[0, 1]``.

    Not corrected for chance: many small clusters score above 0 even at random.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Example:
    >>> normalized_mutual_info([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    >>> normalized_mutual_info([0, 0, 1, 1], [0, 1, 0, 1])
    0.0
    """
    true, pred = _check_pair(labels_true, labels_pred, "normalized_mutual_info")
    return float(_sk.normalized_mutual_info_score(true, pred))


def v_measure(labels_true: LabelsLike, labels_pred: LabelsLike) -> float:
    """Harmonic mean of homogeneity and completeness; in ``[0, 1]``.

    Homogeneity: each cluster holds one action; completeness: each action sits
    in one cluster. Equal to NMI with arithmetic normalisation.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Example:
    >>> v_measure([0, 0, 1, 1], [0, 0, 0, 0])
    0.0
    """
    true, pred = _check_pair(labels_true, labels_pred, "v_measure")
    return float(_sk.v_measure_score(true, pred))


#: Every frame score by its report name; drives reports, benchmarks and tests.
FRAME_METRICS: dict[str, Callable[[LabelsLike, LabelsLike], float]] = {
    "accuracy": hungarian_accuracy,
    "paper_accuracy": paper_accuracy,
    "ari": adjusted_rand,
    "ami": adjusted_mutual_info,
    "nmi": normalized_mutual_info,
    "v_measure": v_measure,
}


def frame_scores(labels_true: LabelsLike, labels_pred: LabelsLike) -> dict[str, float]:
    """Every score of :data:`FRAME_METRICS`, by name.

    Args:
        labels_true: ground-truth labels, shape ``(n_frames,)``.
        labels_pred: predicted labels, shape ``(n_frames,)``.

    Example:
    >>> frame_scores([0, 0, 1, 1], [4, 4, 2, 2])["accuracy"]
    1.0
    >>> list(frame_scores([0, 1], [0, 1]))
    ['accuracy', 'paper_accuracy', 'ari', 'ami', 'nmi', 'v_measure']
    """
    true, pred = _check_pair(labels_true, labels_pred, "frame_scores")
    return {name: metric(true, pred) for name, metric in FRAME_METRICS.items()}


# ----------------------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class BoundaryScores:
    """How well predicted boundaries hit the ground-truth tolerance windows.

    Conventions for empty inputs, chosen so that nothing asked and nothing
    claimed is not an error: precision is 1.0 when nothing was predicted,
    recall is 1.0 when there is nothing to find, and F1 is their harmonic
    mean (0.0 when both are 0). So no true and no predicted boundaries score
    1/1/1; predictions on a sequence without boundaries score precision 0,
    recall 1, F1 0; no predictions on a sequence with boundaries score
    precision 1, recall 0, F1 0.
    """

    precision: float
    recall: float
    f1: float
    n_true: int
    n_predicted: int
    n_matched: int


def _check_windows(true_windows: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
    windows = np.asarray(true_windows)
    if windows.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if windows.ndim != 2 or windows.shape[1] != 2:
        raise UsageError(
            f"The 'true_windows' of boundary_scores must have shape (n, 2). Got {windows.shape}.",
            "one [earliest, latest] row per true boundary",
            "Use tolerance_windows(boundaries) when only boundaries are known.",
        )
    if not np.issubdtype(windows.dtype, np.number) or not np.all(np.isfinite(windows)):
        raise UsageError(
            "The 'true_windows' of boundary_scores contain NaN, infinite or non-numeric values.",
            "finite frame indices",
        )
    if np.any(windows[:, 0] > windows[:, 1]):
        row = int(np.flatnonzero(windows[:, 0] > windows[:, 1])[0])
        raise UsageError(
            f"Tolerance window {row} of boundary_scores starts after it ends "
            f"({windows[row, 0]} > {windows[row, 1]}).",
            "earliest <= latest in every row",
            "Sort each row (min, max) of the annotated triple.",
        )
    return windows


def boundary_scores(
    predicted_boundaries: Sequence[int] | np.ndarray,
    true_windows: np.ndarray | Sequence[Sequence[int]],
) -> BoundaryScores:
    """Precision, recall and F1 of predicted boundaries against tolerance windows.

    A predicted boundary is a hit if it lies inside a true window
    ``[earliest, latest]`` (inclusive). Matching is one-to-one: each window
    accepts at most one prediction and each prediction fills at most one
    window, and the matching used is a maximum one (Hungarian algorithm on
    the 0/1 hit matrix), so overlapping windows are shared as well as
    possible. See :class:`BoundaryScores` for the empty-input conventions.

    Args:
        predicted_boundaries: predicted first frames of new segments, shape ``(n_predicted,)``.
        true_windows: inclusive ``[earliest, latest]`` per true boundary, shape ``(n_true, 2)``;
            from annotations, or :func:`tolerance_windows` around known boundaries.

    Example:
    >>> scores = boundary_scores([98, 105, 300], [[90, 110], [190, 210]])
    >>> scores.n_matched, scores.precision, scores.recall
    (1, 0.3333333333333333, 0.5)
    >>> round(scores.f1, 3)
    0.4
    >>> boundary_scores([], []).f1
    1.0
    """
    windows = _check_windows(true_windows)
    predicted = np.asarray(predicted_boundaries)
    if predicted.size == 0:
        predicted = np.zeros(0, dtype=np.int64)
    if predicted.ndim != 1 or not np.issubdtype(predicted.dtype, np.number):
        raise UsageError(
            "The 'predicted_boundaries' of boundary_scores must be a 1-D array of frame indices. "
            f"Got shape {predicted.shape} of {predicted.dtype}.",
            "shape (n_predicted,)",
        )
    if not np.all(np.isfinite(predicted)):
        raise UsageError(
            "The 'predicted_boundaries' of boundary_scores contain NaN or infinite values.",
            "finite frame indices",
        )
    n_true, n_predicted = int(windows.shape[0]), int(predicted.size)
    n_matched = 0
    if n_true and n_predicted:
        hits = (windows[:, :1] <= predicted[None, :]) & (predicted[None, :] <= windows[:, 1:])
        rows, columns = linear_sum_assignment(hits.astype(np.int64), maximize=True)
        n_matched = int(hits[rows, columns].sum())
    precision = n_matched / n_predicted if n_predicted else 1.0
    recall = n_matched / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return BoundaryScores(
        precision=float(precision),
        recall=float(recall),
        f1=float(f1),
        n_true=n_true,
        n_predicted=n_predicted,
        n_matched=n_matched,
    )
