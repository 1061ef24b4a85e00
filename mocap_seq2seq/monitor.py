"""The label-free training-optimality monitor.

The paper claims that how well the decoder states cluster tells how well the
predictor is trained, without any labels. The score used here:

1. embed the training sequence (one decoder state per frame);
2. subsample ``n_samples`` frames evenly in time (the silhouette is quadratic
   in the number of points);
3. for every K in ``2..max_k``, cluster the sample with k-means and compute
   the silhouette coefficient with cosine distance;
4. the score is the best silhouette over K (in -1..1, higher = tighter,
   better separated clusters).

Cosine distance because the paper clusters the states with cosine distance.
This module sits downstream of training (it needs the embedding); training
receives :func:`make_monitor`'s result as a plain callable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mocap_seq2seq.embedding import embed_frames


def clustering_score(
    states: np.ndarray, *, max_k: int = 8, n_samples: int = 1500, seed: int = 0
) -> float:
    """Best cosine silhouette of k-means over K = 2..max_k on a time-even subsample.

    Example:
    >>> rng = np.random.default_rng(0)
    >>> blobs = np.concatenate([rng.normal(c, 0.05, (50, 3)) for c in np.eye(3)])
    >>> clustering_score(blobs) > 0.8
    True
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    states = np.asarray(states, dtype=np.float64)
    index = np.linspace(0, states.shape[0] - 1, min(n_samples, states.shape[0])).astype(int)
    sample = states[index]
    best = -1.0
    for k in range(2, min(max_k, sample.shape[0] - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(sample)
        if np.unique(labels).size < 2:
            continue
        best = max(best, float(silhouette_score(sample, labels, metric="cosine")))
    return best


def make_monitor(*, max_k: int = 8, n_samples: int = 1500) -> Callable[[Any, np.ndarray], float]:
    """A ``monitor(model, normalized_frames) -> float`` for training.

    Passed to :func:`mocap_seq2seq.model.training.train` as a plain callable.
    """

    def monitor(model: Any, normalized: np.ndarray) -> float:
        states, _ = embed_frames(model, normalized)
        return clustering_score(states, max_k=max_k, n_samples=n_samples)

    return monitor
