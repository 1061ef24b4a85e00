"""Score a segmentation against the ground truth: one record, plain data.

Every evaluation says how it was obtained, since numbers are only comparable
within the same conditions:

* ``k_mode``: ``"oracle"`` when the segmenter was told the true number of
  actions K (and, where it uses one, the true number of segments);
  ``"automatic"`` when it was told neither; ``"given"`` when the user chose
  a number (``--k 5``, ``--segments 8``);
* ``protocol``: ``"leakage-free"`` (the default: nothing looked at the labels
  before evaluation) or ``"paper"`` (training and embedding windows cut inside
  ground-truth segments, as the paper's code; it uses the answer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mocap_seq2seq.labels import labels_to_boundaries
from mocap_seq2seq.segment.metrics import boundary_scores, frame_scores

K_MODES = ("oracle", "automatic", "given")
PROTOCOLS = ("leakage-free", "paper")


@dataclass(frozen=True)
class Evaluation:
    """Scores of one predicted labelling of one sequence."""

    sequence: str
    method: str
    features: str
    k_mode: str
    protocol: str
    n_frames: int
    n_actions_true: int
    n_clusters_pred: int
    n_segments_true: int
    n_segments_pred: int
    scores: dict[str, float]
    boundary_precision: float
    boundary_recall: float
    boundary_f1: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_labels(
    labels_true: np.ndarray,
    labels_pred: np.ndarray,
    tolerance_windows: np.ndarray,
    *,
    sequence: str,
    method: str,
    features: str = "decoder states",
    k_mode: str = "automatic",
    protocol: str = "leakage-free",
) -> Evaluation:
    """All frame scores and boundary precision/recall/F1 of one labelling.

    Args:
        labels_true: ``(n_frames,)`` ground truth.
        labels_pred: ``(n_frames,)`` prediction.
        tolerance_windows: ``(n_true_boundaries, 2)`` inclusive earliest..latest.
        sequence: what was segmented (for the report).
        method: which segmenter.
        features: what it ran on (decoder states, raw poses, ...).
        k_mode: ``"oracle"`` or ``"automatic"``.
        protocol: ``"leakage-free"`` or ``"paper"``.
    """
    boundaries = boundary_scores(labels_to_boundaries(labels_pred), tolerance_windows)
    return Evaluation(
        sequence=sequence,
        method=method,
        features=features,
        k_mode=k_mode,
        protocol=protocol,
        n_frames=int(labels_true.size),
        n_actions_true=int(np.unique(labels_true).size),
        n_clusters_pred=int(np.unique(labels_pred).size),
        n_segments_true=int(labels_to_boundaries(labels_true).size + 1),
        n_segments_pred=int(labels_to_boundaries(labels_pred).size + 1),
        scores=frame_scores(labels_true, labels_pred),
        boundary_precision=boundaries.precision,
        boundary_recall=boundaries.recall,
        boundary_f1=boundaries.f1,
    )
