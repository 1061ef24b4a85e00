"""The segments of many takes clustered together: the same action, one label across takes.

Each take is segmented on its own (its change points come from whatever
features segment it best: its model's decoder states, or its poses). What a
segment *is* must then be compared across takes, and two takes' features are
comparable only when they live in one space:

* **Poses** share a space when the takes share a skeleton and channel layout:
  they are normalised with one normalisation fitted on all takes (the caller
  passes them so), and one Gaussian kernel, its width the median heuristic over
  a sample of every take's blocks, compares them.
* **Decoder states** of per-take models do not: every model has its own
  coordinates (a unit of one GRU means nothing in another), so states cannot
  be pooled as they are. :func:`collection_segments` therefore takes two
  feature sets per take: ``within`` (what finds the change points: the
  states, say) and ``across`` (what compares segments between takes: the
  poses, or states made comparable by the caller).

Every segment becomes the mean of an explicit kernel feature map over its
blocks (Nystroem, fitted once on all takes: :mod:`kernel_linear`), so the
distance between two segments is their kernel distance (MMD), as within one
take, and the segments of all takes are clustered by the rule
:class:`~mocap_seq2seq.segment.segmentation.KernelSegmenter` uses within one
(:func:`~mocap_seq2seq.segment.segmentation.cluster_segments`: merges under
the MMD threshold; given a number of actions, the rest by kernel cost).
Memory and time are linear in the frames (the segments' distance matrix is
quadratic in the segments, a few thousand at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.segment import kernel_linear
from mocap_seq2seq.segment.segmentation import (
    KernelSegmenter,
    block_means,
    cluster_segments,
)
from mocap_seq2seq.validation import check_frames

#: Blocks of every take pooled for the kernel's width and landmarks (seeded).
POOLED_SAMPLE = 4000


@dataclass(frozen=True)
class CollectionSegments:
    """Every take's segments and their collection-wide labels.

    Attributes:
        take: take index of every segment, ``(n_segments,)``.
        starts: first frame of every segment within its take.
        ends: one past its last frame.
        labels: collection-wide cluster of every segment, ``0 .. n_clusters - 1``.
        distances: MMD between all segments, ``(n_segments, n_segments)``.
        frame_labels: collection-wide label of every frame, one array per take.
    """

    take: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray
    distances: np.ndarray
    frame_labels: list[np.ndarray]

    @property
    def n_clusters(self) -> int:
        return int(np.unique(self.labels).size)


def take_segments(within: np.ndarray, *, segmenter: KernelSegmenter | None = None) -> np.ndarray:
    """Change points of one take: ``(n_segments, 2)`` first and one-past-last frames.

    Args:
        within: the take's frame features, ``(n_frames, n_features)``.
        segmenter: a :class:`KernelSegmenter` (cloned, then fitted); defaults
            to one with its defaults (automatic K).
    """
    from sklearn.base import clone

    model = clone(segmenter) if segmenter is not None else KernelSegmenter()
    return np.asarray(model.fit(within).segment_frames_, dtype=np.int64)


def collection_segments(
    across: Sequence[np.ndarray],
    segments: Sequence[np.ndarray],
    *,
    n_clusters: int | None = None,
    step: int | Sequence[int] = 10,
    bandwidth: float = 1.0,
    distance_threshold: float = 0.5,
    random_state: int = 0,
) -> CollectionSegments:
    """Cluster the segments of all takes in one kernel space.

    Args:
        across: every take's features in one shared space (same width),
            ``(n_frames_t, n_features)`` each.
        segments: every take's segments, ``(n_segments_t, 2)`` frame spans
            covering it (:func:`take_segments`).
        n_clusters: the number of actions in the collection, or ``None`` to
            cut at ``distance_threshold``.
        step: frames per block (as the segmenter's), one for all takes or one a take
            (the same seconds at each take's rate).
        bandwidth: kernel width relative to the pooled median distance.
        distance_threshold: MMD under which segments merge (automatic K).
        random_state: seed of the pooled sample and the landmarks.

    Returns:
        The segments, their collection-wide labels and every frame's label.

    Example:
    Two takes of the same two actions, in opposite order, get the same labels:

    >>> a, b = np.zeros((60, 1)), np.full((60, 1), 5.0)
    >>> spans = np.array([[0, 60], [60, 120]])
    >>> found = collection_segments(
    ...     [np.vstack([a, b]), np.vstack([b, a])], [spans, spans], step=10
    ... )
    >>> found.labels.tolist()
    [0, 1, 1, 0]
    """
    if len(across) == 0 or len(across) != len(segments):
        raise UsageError(
            f"collection_segments needs one segmentation per take; got {len(across)} takes "
            f"and {len(segments)} segmentations.",
        )
    takes = [check_frames(frames, name=f"take {index}") for index, frames in enumerate(across)]
    widths = {frames.shape[1] for frames in takes}
    if len(widths) != 1:
        raise UsageError(
            f"The takes' features differ in width ({', '.join(map(str, sorted(widths)))}): "
            "they are not in one space.",
            "the same channels for every take",
            "Pass features of one layout (e.g. poses of one skeleton).",
        )
    spans = [np.asarray(span, dtype=np.int64).reshape(-1, 2) for span in segments]
    for index, (frames, span) in enumerate(zip(takes, spans, strict=True)):
        covered = span.size and span[0, 0] == 0 and span[-1, 1] == frames.shape[0]
        if not covered or np.any(span[1:, 0] != span[:-1, 1]) or np.any(span[:, 1] <= span[:, 0]):
            raise UsageError(
                f"The segments of take {index} do not cover its {frames.shape[0]} frames in order.",
            )

    # One feature map for all takes: blocks pooled, a seeded sample for the width.
    steps = [int(step)] * len(takes) if isinstance(step, (int, np.integer)) else list(step)
    if len(steps) != len(takes) or any(value < 1 for value in steps):
        raise UsageError(
            f"collection_segments needs one block length (>= 1 frame) or one a take; got {step!r} "
            f"for {len(takes)} takes.",
        )
    blocks = [block_means(frames, size) for frames, size in zip(takes, steps, strict=True)]
    pooled = np.concatenate(blocks)
    rng = np.random.default_rng(random_state)
    sample = pooled
    if pooled.shape[0] > POOLED_SAMPLE:
        sample = pooled[np.sort(rng.choice(pooled.shape[0], POOLED_SAMPLE, replace=False))]
    scale = bandwidth**2 * kernel_linear.sampled_median_sq_distance(
        sample, random_state=random_state
    )
    features = kernel_linear.nystroem_features(pooled, scale, random_state=random_state)
    offsets = np.concatenate([[0], np.cumsum([block.shape[0] for block in blocks])])

    means, weights, take_of, starts, ends = [], [], [], [], []
    for index, span in enumerate(spans):
        size = steps[index]
        for start, end in span:
            first = offsets[index] + start // size
            last = offsets[index] + max(start // size + 1, -(-end // size))
            means.append(features[first:last].mean(axis=0))
            weights.append(last - first)
            take_of.append(index)
            starts.append(start)
            ends.append(end)
    mean = np.asarray(means)
    # MMD between segments = distance between their mean features; the diagonal
    # of the approximated kernel is close to, not exactly, 1, which cancels here.
    squared = np.sum(mean**2, axis=1)
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * mean @ mean.T, 0.0))
    np.fill_diagonal(distances, 0.0)
    labels = cluster_segments(
        distances,
        np.asarray(weights, dtype=float),
        n_clusters,
        distance_threshold=distance_threshold,
    )
    take_index = np.asarray(take_of, dtype=np.int64)
    frame_labels = []
    for index, span in enumerate(spans):
        frame_labels.append(np.repeat(labels[take_index == index], span[:, 1] - span[:, 0]))
    return CollectionSegments(
        take=take_index,
        starts=np.asarray(starts, dtype=np.int64),
        ends=np.asarray(ends, dtype=np.int64),
        labels=np.asarray(labels, dtype=np.int64),
        distances=distances,
        frame_labels=frame_labels,
    )
