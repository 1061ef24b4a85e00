"""Collections: the segments of many takes clustered together (segment/collection.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mocap_seq2seq.data.synthetic import piecewise_motion
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.segment.collection import collection_segments, take_segments
from mocap_seq2seq.segment.metrics import adjusted_rand
from mocap_seq2seq.segment.segmentation import KernelSegmenter


def _takes(seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One synthetic performance of 3 actions cut into 3 takes at segment boundaries.

    The takes share the actions' patterns, so an action keeps one label across takes.
    """
    motion = piecewise_motion(n_segments=12, n_actions=3, n_frames=2400, noise=0.1, seed=seed)
    cuts = motion.boundaries[[3, 7]]
    return np.split(motion.frames, cuts), np.split(motion.labels, cuts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_same_action_gets_the_same_label_in_every_take(seed: int) -> None:
    frames, labels = _takes(seed)
    # Each take cut where it changes (told its count): what is tested is the across step.
    spans = [
        take_segments(take, segmenter=KernelSegmenter(n_segments=1 + np.count_nonzero(np.diff(y))))
        for take, y in zip(frames, labels, strict=True)
    ]
    truth = np.concatenate(labels)
    together = collection_segments(frames, spans, n_clusters=3)
    automatic = collection_segments(frames, spans)
    # Each take alone: its clusters never meet another take's.
    alone, offset = [], 0
    for span in spans:
        alone.append(np.repeat(np.arange(len(span)) + offset, span[:, 1] - span[:, 0]))
        offset += len(span)
    assert together.n_clusters == 3
    assert adjusted_rand(truth, np.concatenate(together.frame_labels)) > 0.9
    assert adjusted_rand(truth, np.concatenate(automatic.frame_labels)) > 0.8
    assert adjusted_rand(truth, np.concatenate(alone)) < 0.6
    # Segments and frame labels agree, take by take.
    for index, take in enumerate(frames):
        assert together.frame_labels[index].shape == (take.shape[0],)
        mine = together.take == index
        np.testing.assert_array_equal(together.starts[mine], spans[index][:, 0])


def test_takes_that_are_not_in_one_space_are_refused() -> None:
    frames, _ = _takes(0)
    spans = [take_segments(take) for take in frames]
    with pytest.raises(UsageError, match="differ in width"):
        collection_segments([frames[0], frames[1][:, :5]], spans[:2])
    with pytest.raises(UsageError, match="one segmentation per take"):
        collection_segments(frames, spans[:2])
    with pytest.raises(UsageError, match="one segmentation per take"):
        collection_segments([], [])
    gap = spans[0].copy()
    gap[-1, 1] -= 1
    with pytest.raises(UsageError, match="do not cover"):
        collection_segments(frames[:1], [gap])
