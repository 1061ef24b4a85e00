"""The whole chain for one sequence: embed, segment, and (with ground truth) evaluate.

Used by ``mocap demo`` and the benchmarks, so that they run exactly what the
individual commands run. Plain data in and out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mocap_seq2seq.embedding import Embedding, embed_sequence
from mocap_seq2seq.labels import labels_to_boundaries
from mocap_seq2seq.segment.evaluation import Evaluation, evaluate_labels
from mocap_seq2seq.segment.segmentation import SEGMENTERS


@dataclass(frozen=True)
class SegmentationResult:
    """Frame labels of one sequence, with the embedding and the scores when known."""

    embedding: Embedding
    frame_labels: np.ndarray
    method: str
    k_mode: str
    n_clusters: int
    n_segments: int
    evaluation: Evaluation | None


def segment_embedding(
    embedding: Embedding,
    *,
    method: str = "kernel",
    oracle: bool = False,
    sequence: str = "",
    paper_protocol: bool = False,
) -> SegmentationResult:
    """Cluster an embedding's states; evaluate when it carries ground truth.

    Args:
        embedding: frame-level decoder states (:mod:`mocap_seq2seq.embedding`).
        method: a key of :data:`~mocap_seq2seq.segment.segmentation.SEGMENTERS`.
        oracle: tell the segmenter the true number of actions (and of
            segments, for ``kernel``); otherwise it chooses both itself.
        sequence: name for the report.
        paper_protocol: the embedding was made with the paper's protocol.
    """
    parameters: dict[str, Any] = {}
    if oracle:
        if embedding.labels is None:
            from mocap_seq2seq.errors import UsageError

            raise UsageError("Oracle K needs ground truth, and this sequence has none.")
        parameters["n_clusters"] = int(np.unique(embedding.labels).size)
        if method == "kernel":
            parameters["n_segments"] = int(labels_to_boundaries(embedding.labels).size + 1)
    segmenter = SEGMENTERS[method](**parameters).fit(embedding.states)
    k_mode = "oracle" if oracle else "automatic"
    evaluation = None
    if embedding.labels is not None and embedding.tolerance_windows is not None:
        evaluation = evaluate_labels(
            embedding.labels,
            segmenter.frame_labels_,
            embedding.tolerance_windows,
            sequence=sequence,
            method=method,
            k_mode=k_mode,
            protocol="paper" if paper_protocol else "leakage-free",
        )
    return SegmentationResult(
        embedding=embedding,
        frame_labels=segmenter.frame_labels_,
        method=method,
        k_mode=k_mode,
        n_clusters=int(segmenter.n_clusters_),
        n_segments=int(segmenter.n_segments_),
        evaluation=evaluation,
    )


def embed_and_segment(
    model: Any,
    normalization: Any,
    source: Any,
    *,
    method: str = "kernel",
    oracle: bool = False,
    batch_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> SegmentationResult:
    """Embed a :class:`~mocap_seq2seq.data.sources.SequenceSource` and segment it."""
    embedding = embed_sequence(
        model,
        normalization,
        source.frames,
        batch_size=batch_size,
        metadata={
            "sequence": source.description,
            "name": source.name,
            "frame_rate": source.frame_rate,
        },
        labels=source.labels,
        action_names=source.action_names,
        tolerance_windows=source.tolerance_windows,
        progress=progress,
    )
    return segment_embedding(embedding, method=method, oracle=oracle, sequence=source.name)
