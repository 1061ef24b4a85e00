"""Unsupervised segmentation estimators: frames in, one cluster label per frame out.

The input ``X`` is frames first, ``(n_frames, n_features)``: decoder states of
the seq2seq model or raw normalised poses; every segmenter runs on both.
Segmenters follow scikit-learn: keyword-only parameters stored verbatim in
``__init__``; ``fit(X)`` validates, calls ``_fit`` and returns ``self``;
learned attributes end with an underscore:

* ``frame_labels_``: int64 cluster of every frame, shape ``(n_frames,)``;
* ``n_clusters_``: the number of clusters used (given, or chosen without labels);
* ``boundaries_``: first frames of new segments (where the label changes);
* ``n_segments_``: ``boundaries_.size + 1``;
* ``n_features_in_``: the number of features of ``X`` (scikit-learn's convention).

:data:`SEGMENTERS` names every segmenter for the command line and the
benchmarks. ``n_clusters=None`` lets a segmenter choose the number of clusters
itself, from the data alone (see :func:`choose_n_clusters`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.base import BaseEstimator
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score

from mocap_seq2seq import validation
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.labels import labels_to_boundaries, relabel_by_first_appearance
from mocap_seq2seq.segment import kernel_linear
from mocap_seq2seq.segment.names import AUTOMATIC_K_HELP, SEGMENTER_HELP
from mocap_seq2seq.units import REFERENCE_FRAME_RATE, frames_to_seconds, seconds_to_frames

#: Largest K tried when the number of clusters is chosen automatically.
DEFAULT_MAX_CLUSTERS = 10


def check_frames(X: Any, owner: str, keep_float32: bool = False) -> np.ndarray:
    """Return ``X`` as a finite float64 array of shape ``(n_frames, n_features)``.

    :func:`mocap_seq2seq.validation.check_frames`, with messages that name
    the estimator. Refuses what scikit-learn's estimator checks expect to be
    refused (sparse, complex, no feature, NaN or Inf) with a ``ValueError``
    subclass, and converts object arrays of numbers.

    Args:
        X: frames, shape ``(n_frames, n_features)``.
        owner: name used in error messages (the estimator's class name).
        keep_float32: float32 frames stay float32 (no float64 copy). Defaults to False.

    Example:
    >>> check_frames([[0, 1], [2, 3]], "KMeansFrames").dtype
    dtype('float64')
    """
    return validation.check_frames(
        X,
        name=f"The frames given to {owner}",
        fix="Fill or drop the broken frames before segmenting.",
        keep_float32=keep_float32,
    )


def _check_int(
    value: Any,
    name: str,
    owner: str,
    low: int,
    high: int | None = None,
    high_text: str = "",
    option: str | None = None,
    allow_none: bool = False,
) -> int | None:
    return validation.check_int(
        value,
        name,
        owner=owner,
        low=low,
        high=high,
        high_text=high_text,
        option=option,
        allow_none=allow_none,
    )


def _check_positive(value: Any, name: str, owner: str, allow_none: bool = False) -> float | None:
    fix = f"Pass a positive {name}." + (" Or leave it unset." if allow_none else "")
    return validation.check_number(
        value, name, owner=owner, low=0, low_inclusive=False, allow_none=allow_none, fix=fix
    )


def choose_n_clusters(
    X: np.ndarray,
    cluster: Callable[[int], np.ndarray],
    *,
    max_clusters: int = DEFAULT_MAX_CLUSTERS,
    metric: str = "euclidean",
    sample_size: int | None = 2000,
    random_state: int | None = 0,
) -> int:
    """Pick the number of clusters with the best silhouette, using no labels.

    Tries every K in ``2..max_clusters`` (capped at ``n_samples - 1``), labels
    the samples with ``cluster(K)`` and keeps the K whose labelling has the
    highest mean silhouette: samples closer to their own cluster than to the
    next one. The silhouette is undefined for one cluster, so K = 1 is never
    chosen (unless there are fewer than 3 samples, where 1 is returned).

    Args:
        X: samples, ``(n_samples, n_features)``, or distances ``(n_samples, n_samples)``
            when ``metric="precomputed"``.
        cluster: returns one label per sample for a given K.
        max_clusters: largest K tried. Defaults to 10.
        metric: distance for the silhouette (any scikit-learn metric). Defaults to
            ``"euclidean"``.
        sample_size: score a random subset of this many samples to bound the cost
            (``None``: all). Defaults to 2000.
        random_state: seed of that subset. Defaults to 0.

    Returns:
        The chosen K.

    Example:
    >>> points = np.array([[0.0], [0.1], [5.0], [5.1], [9.0], [9.1]])
    >>> choose_n_clusters(points, lambda k: KMeans(k, n_init=3, random_state=0).fit_predict(points))
    3
    """
    n_samples = X.shape[0]
    top = min(max_clusters, n_samples - 1)
    best_k, best_score = 1, -np.inf
    index = np.arange(n_samples)
    if sample_size is not None and sample_size < n_samples:
        index = np.sort(np.random.default_rng(random_state).choice(n_samples, sample_size, False))
    subset = X[np.ix_(index, index)] if metric == "precomputed" else X[index]
    for k in range(2, top + 1):
        labels = np.asarray(cluster(k))[index]
        # The silhouette needs 2..n-1 clusters among the scored samples (single
        # linkage can leave one big cluster plus a few frames the sample misses).
        if not 2 <= np.unique(labels).size <= index.size - 1:
            continue
        score = silhouette_score(subset, labels, metric=metric)
        if score > best_score:
            best_k, best_score = k, float(score)
    return best_k


class Segmenter(BaseEstimator):
    """Base class: validation, bookkeeping of the learned attributes, ``fit_predict``.

    Subclasses implement ``_fit(X) -> frame_labels`` and may extend
    ``_validate_params(n_frames)``; ``fit`` sets ``frame_labels_`` (renumbered
    by first appearance), ``boundaries_`` and ``n_segments_``, and
    ``n_clusters_`` unless ``_fit`` set it.
    """

    #: Whether ``_fit`` takes float32 frames as they are (reducing them in float64
    #: itself), which spares a float64 copy of all the frames.
    _keeps_float32 = False

    def _validate_params(self, n_frames: int) -> None:
        _check_int(
            getattr(self, "n_clusters", None),
            "n_clusters",
            type(self).__name__,
            1,
            n_frames,
            "the number of frames",
            option="--k",
            allow_none=True,
        )

    def _fit(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> Segmenter:
        """Segment the frames ``X``, shape ``(n_frames, n_features)``; ``y`` is ignored."""
        frames = check_frames(X, type(self).__name__, keep_float32=self._keeps_float32)
        self._validate_params(frames.shape[0])
        self.n_features_in_ = int(frames.shape[1])
        labels = relabel_by_first_appearance(self._fit(frames))
        self.frame_labels_ = labels
        self.n_clusters_ = int(np.unique(labels).size)
        self.boundaries_ = labels_to_boundaries(labels)
        self.n_segments_ = int(self.boundaries_.size + 1)
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return ``frame_labels_``, shape ``(n_frames,)``."""
        return self.fit(X).frame_labels_


def _cut_tree(merges: np.ndarray, n_leaves: int, n_clusters: int) -> np.ndarray:
    """Labels of the ``n_clusters`` clusters left after the first ``n_leaves - n_clusters`` merges.

    ``merges`` is scikit-learn's ``children_``: row ``j`` joins two nodes into
    node ``n_leaves + j`` (leaves are ``0 .. n_leaves - 1``).

    Example:
    >>> _cut_tree(np.array([[0, 1], [2, 3], [4, 5]]), 4, 2).tolist()
    [0, 0, 1, 1]
    """
    n_merges = max(n_leaves - max(n_clusters, 1), 0)
    parent = np.arange(n_leaves + n_merges)
    for j in range(n_merges):
        parent[merges[j]] = n_leaves + j
    roots = np.arange(n_leaves)
    while True:  # follow parents up to the nodes that are not merged any further
        moved = parent[roots]
        if np.array_equal(moved, roots):
            break
        roots = moved
    _, labels = np.unique(roots, return_inverse=True)
    return labels.astype(np.int64)


def _unit_rows(X: np.ndarray) -> np.ndarray:
    # Euclidean distance between unit vectors is a monotone function of the
    # cosine distance (|a - b|^2 = 2 - 2 cos), so single linkage gives the same
    # tree; zero rows stay zero instead of producing NaN.
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


class PaperClustering(Segmenter):
    """The paper's clustering: agglomerative, cosine distance, single linkage, on frames.

    Su & Shlizerman (2020) cluster every frame's decoder state with
    single-linkage agglomerative clustering under the cosine distance, K the
    true number of actions. Single linkage joins the two clusters with the
    closest pair of frames, so a chain of near frames (a transition) can
    merge two actions, and isolated frames can take whole clusters.

    Single linkage here runs on unit-normalised frames with the Euclidean
    distance, which yields the same tree as the cosine distance, in memory
    linear in the number of frames. Above ``max_frames`` frames, an evenly
    spaced subset of ``max_frames`` frames is clustered and every other frame
    takes the label of its nearest (cosine) clustered frame, to bound the
    quadratic time.

    Args:
        n_clusters: K, between 1 and the number of frames; ``None`` chooses it by
            the cosine silhouette (:func:`choose_n_clusters`). Defaults to ``None``.
        max_frames: largest number of frames clustered directly. Defaults to 10000.

    Example:
    >>> X = np.repeat(np.eye(3), 5, axis=0) + 0.01
    >>> PaperClustering(n_clusters=3).fit_predict(X)
    array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
    """

    def __init__(self, *, n_clusters: int | None = None, max_frames: int = 10000):
        self.n_clusters = n_clusters
        self.max_frames = max_frames

    def _validate_params(self, n_frames: int) -> None:
        super()._validate_params(n_frames)
        _check_int(self.max_frames, "max_frames", type(self).__name__, 2)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        unit = _unit_rows(X)
        n_frames = unit.shape[0]
        if n_frames > self.max_frames:
            chosen = np.unique(np.linspace(0, n_frames - 1, self.max_frames).round().astype(int))
        else:
            chosen = np.arange(n_frames)
        sample = unit[chosen]
        # One single-linkage tree serves every K: cutting it into K clusters
        # undoes its last K - 1 merges (automatic K tries nine values).
        merges = (
            AgglomerativeClustering(
                n_clusters=None, distance_threshold=0.0, linkage="single", compute_full_tree=True
            )
            .fit(sample)
            .children_
            if sample.shape[0] > 1
            else np.zeros((0, 2), dtype=np.int64)
        )

        def cluster(k: int) -> np.ndarray:
            return _cut_tree(merges, sample.shape[0], k)

        n_clusters = self.n_clusters
        if n_clusters is None:
            n_clusters = choose_n_clusters(sample, cluster, metric="cosine")
        labels = cluster(min(n_clusters, sample.shape[0]))
        if chosen.size == n_frames:
            return labels
        # Nearest clustered frame by cosine similarity, in blocks to bound memory.
        result = np.empty(n_frames, dtype=np.int64)
        for start in range(0, n_frames, 2048):
            block = unit[start : start + 2048]
            result[start : start + 2048] = labels[np.argmax(block @ sample.T, axis=1)]
        return result


class KMeansFrames(Segmenter):
    """k-means on frames, ignoring time: a baseline.

    Args:
        n_clusters: K, between 1 and the number of frames; ``None`` chooses it by
            the silhouette (:func:`choose_n_clusters`). Defaults to ``None``.
        n_init: k-means restarts; the best inertia is kept. Defaults to 4.
        random_state: seed of the initialisation. Defaults to 0.

    Example:
    >>> X = np.repeat(np.eye(3), 5, axis=0)
    >>> KMeansFrames(n_clusters=3).fit(X).boundaries_
    array([ 5, 10])
    """

    def __init__(
        self, *, n_clusters: int | None = None, n_init: int = 4, random_state: int | None = 0
    ):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.random_state = random_state

    def _validate_params(self, n_frames: int) -> None:
        super()._validate_params(n_frames)
        _check_int(self.n_init, "n_init", type(self).__name__, 1)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        def cluster(k: int) -> np.ndarray:
            model = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)
            return model.fit_predict(X)

        n_clusters = self.n_clusters
        if n_clusters is None:
            n_clusters = choose_n_clusters(X, cluster, random_state=self.random_state)
        return cluster(n_clusters)


# ----------------------------------------------------------------------------- kernel change points


def block_means(X: np.ndarray, step: int) -> np.ndarray:
    """Average consecutive blocks of ``step`` frames (the last block may be shorter).

    Downsampling by block means also smooths: it removes motion faster than
    ``step`` frames, e.g. the within-cycle variation of a gait at 120 fps.

    Args:
        X: frames, shape ``(n_frames, n_features)``.
        step: frames per block, ``>= 1``.

    Returns:
        Array of shape ``(ceil(n_frames / step), n_features)``.

    Example:
    >>> block_means(np.arange(5.0)[:, None], 2)[:, 0]
    array([0.5, 2.5, 4. ])
    """
    n_frames = X.shape[0]
    starts = np.arange(0, n_frames, step)
    # Summed in float64 whatever the input's float type, a few thousand blocks
    # at a time: reduceat casts all it is given, so float32 frames cost one
    # chunk's float64 copy, not one of the whole sequence, and give the same
    # block means as that copy would.
    sums = np.empty((starts.size, X.shape[1]))
    chunk = 4096
    for first in range(0, starts.size, chunk):
        begin = starts[first]
        end = starts[first + chunk] if first + chunk < starts.size else n_frames
        sums[first : first + chunk] = np.add.reduceat(
            X[begin:end], starts[first : first + chunk] - begin, axis=0, dtype=np.float64
        )
    counts = np.diff(np.append(starts, n_frames))
    return sums / counts[:, None]


def rbf_gram(points: np.ndarray, bandwidth: float = 1.0) -> np.ndarray:
    """Gaussian kernel matrix with the median heuristic for the width.

    ``k(x, y) = exp(-|x - y|^2 / (bandwidth^2 * median))`` where ``median`` is
    the median squared distance between distinct points, so ``bandwidth=1``
    adapts to any feature scale.

    Args:
        points: shape ``(n_points, n_features)``.
        bandwidth: width relative to the median distance. Defaults to 1.

    Returns:
        Symmetric array ``(n_points, n_points)`` with ones on the diagonal.

    Example:
    >>> rbf_gram(np.array([[0.0], [1.0]])).round(3)
    array([[1.   , 0.368],
           [0.368, 1.   ]])
    """
    squared = np.sum(points**2, axis=1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * points @ points.T, 0.0)
    np.fill_diagonal(distances, 0.0)
    upper = distances[np.triu_indices_from(distances, k=1)]
    median = float(np.median(upper)) if upper.size else 1.0
    if median <= 0:
        median = float(upper.mean()) if upper.size and upper.mean() > 0 else 1.0
    return np.exp(-distances / (bandwidth**2 * median))


def mean_rbf_gram(
    points: np.ndarray, groups: list[slice] | None, bandwidth: float = 1.0
) -> np.ndarray:
    """The mean of one :func:`rbf_gram` per column group, each with its own median width.

    For feature sets of different kinds or origins (the members of a seed
    ensemble, decoder states and poses): each gets the width that suits it
    and an equal say, where one kernel on the concatenation would multiply
    their kernels at one common width.

    Example:
    >>> points = np.array([[0.0, 0.0], [1.0, 10.0]])
    >>> mean_rbf_gram(points, [slice(0, 1), slice(1, 2)]).round(3)
    array([[1.   , 0.368],
           [0.368, 1.   ]])
    """
    if not groups:
        return rbf_gram(points, bandwidth)
    return np.mean([rbf_gram(points[:, group], bandwidth) for group in groups], axis=0)


def group_slices(widths: Any, n_features: int, owner: str) -> list[slice] | None:
    """Consecutive column slices of ``widths`` (which must add up to ``n_features``)."""
    if widths is None:
        return None
    widths = [int(width) for width in widths]
    if not widths or min(widths) < 1 or sum(widths) != n_features:
        raise UsageError(
            f"The 'feature_groups' of {owner} must be positive widths adding up to the "
            f"{n_features} features. Got {widths}.",
            fix="Pass the widths of the feature sets side by side in the frames, or None.",
        )
    edges = np.cumsum([0, *widths])
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


class _KernelSums:
    """Constant-time sums of rectangular blocks of a Gram matrix (2-D prefix sums)."""

    def __init__(self, gram: np.ndarray):
        n = gram.shape[0]
        self.prefix = np.zeros((n + 1, n + 1))
        self.prefix[1:, 1:] = gram.cumsum(axis=0).cumsum(axis=1)
        self.diagonal = np.concatenate([[0.0], np.cumsum(np.diag(gram))])

    def block(self, a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        p = self.prefix
        return p[b1, b2] - p[a1, b2] - p[b1, a2] + p[a1, a2]

    def segment_costs(self, min_size: int) -> np.ndarray:
        """Kernel cost of every segment ``[a, b)``: within-segment scatter in feature space."""
        n = self.prefix.shape[0] - 1
        index = np.arange(n + 1)
        inner = np.diag(self.prefix)
        within = inner[None, :] - self.prefix - self.prefix.T + inner[:, None]
        length = index[None, :] - index[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            costs = (self.diagonal[None, :] - self.diagonal[:, None]) - within / length
        costs[length < min_size] = np.inf
        return costs


def kernel_change_points(
    gram: np.ndarray, max_segments: int, min_size: int = 1
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Optimal kernel change points for every number of segments up to ``max_segments``.

    Dynamic programming over the kernel cost (Harchaoui & Cappe 2007; the
    ``KernelCPD`` cost of ruptures): the cost of a segment is the scatter of
    its points around their mean in the kernel's feature space.

    Args:
        gram: kernel matrix of the points, ``(n_points, n_points)``.
        max_segments: largest number of segments.
        min_size: fewest points per segment. Defaults to 1.

    Returns:
        ``(costs, boundaries)``: ``costs[k - 1]`` is the least total cost with k
        segments (``inf`` if impossible) and ``boundaries[k - 1]`` its change
        points (first points of segments 2..k).

    Example:
    >>> points = np.array([[0.0]] * 4 + [[3.0]] * 4)
    >>> costs, boundaries = kernel_change_points(rbf_gram(points), 3)
    >>> boundaries[1]
    array([4])
    """
    n = gram.shape[0]
    costs = _KernelSums(gram).segment_costs(min_size)
    best = costs[0].copy()  # best[b]: least cost of [0, b) in k segments
    totals = [best[n]]
    parents: list[np.ndarray] = []
    for _ in range(1, max_segments):
        candidates = best[:, None] + costs
        parent = np.argmin(candidates, axis=0)
        best = candidates[parent, np.arange(n + 1)]
        parents.append(parent)
        totals.append(best[n])
    boundaries = []
    for k in range(1, max_segments + 1):
        points, end = [], n
        for level in range(k - 2, -1, -1):
            end = int(parents[level][end])
            points.append(end)
        boundaries.append(np.array(points[::-1], dtype=np.int64))
    return np.asarray(totals), boundaries


def segment_distances(gram: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Kernel distance (MMD) between the point distributions of segments.

    ``MMD^2(A, B) = mean k(A, A) + mean k(B, B) - 2 mean k(A, B)``: zero when
    two segments hold the same distribution of points, so two takes of one
    action that visit the same poses in a different order are close, which
    comparing segment means alone would miss for cyclic motions.

    Args:
        gram: kernel matrix, ``(n_points, n_points)``.
        starts: first point of every segment, ``(n_segments,)``.
        ends: one past the last point, ``(n_segments,)``.

    Returns:
        Symmetric ``(n_segments, n_segments)`` distances (the square root of MMD^2).

    Example:
    >>> gram = rbf_gram(np.array([[0.0], [0.0], [5.0], [0.0]]))
    >>> segment_distances(gram, np.array([0, 2, 3]), np.array([2, 3, 4])).round(2)
    array([[0.  , 1.32, 0.  ],
           [1.32, 0.  , 1.32],
           [0.  , 1.32, 0.  ]])
    """
    sums = _KernelSums(gram)
    a1, b1 = starts[:, None], ends[:, None]
    a2, b2 = starts[None, :], ends[None, :]
    cross = sums.block(a1, b1, a2, b2) / ((b1 - a1) * (b2 - a2))
    own = np.diag(cross)
    squared = np.maximum(own[:, None] + own[None, :] - (cross + cross.T), 0.0)
    np.fill_diagonal(squared, 0.0)
    return np.sqrt(squared)


def kernel_ward_merges(
    distances: np.ndarray, weights: np.ndarray, labels: np.ndarray, n_clusters: int
) -> np.ndarray:
    """Merge clusters of segments down to ``n_clusters``, each time the pair that costs least.

    The cost of merging clusters A and B is Ward's: how much the merge raises
    the total within-cluster scatter in the kernel's feature space,
    ``W_A W_B / (W_A + W_B) * |m_A - m_B|^2``, with ``W`` the number of points
    of a cluster and ``m`` its mean feature, i.e. the kernel cost that the
    change points minimise, over clusters instead of segments. Unlike a
    linkage that sees only distances, it weighs a merge by what it moves:
    two short segments that look unlike cost little, two long unlike actions
    a lot.

    Args:
        distances: MMD between segments (:func:`segment_distances`), ``(n_segments, n_segments)``.
        weights: points in every segment, ``(n_segments,)``.
        labels: the clusters to start from, one per segment (``0 .. n - 1``).
        n_clusters: how many clusters to end with.

    Returns:
        ``(n_segments,)`` cluster of every segment, ``0 .. n_clusters - 1`` (or the
        starting clusters when there are no more than ``n_clusters``).

    Example:
    Two long segments 0.6 apart, two short ones 0.8 apart: merging the short
    ones costs 5 x 0.64 = 3.2, the long ones 50 x 0.36 = 18.

    >>> distances = np.array([[0.0, 0.6, 0.9, 0.9], [0.6, 0.0, 0.9, 0.9],
    ...                       [0.9, 0.9, 0.0, 0.8], [0.9, 0.9, 0.8, 0.0]])
    >>> kernel_ward_merges(distances, np.array([100, 100, 10, 10]), np.arange(4), 3).tolist()
    [0, 1, 2, 2]
    """
    _, labels = np.unique(labels, return_inverse=True)
    n_start = int(labels.max()) + 1
    if n_start <= n_clusters:
        return labels.astype(np.int64)
    # Squared distances between the clusters' mean features, from those of the
    # segments: |m_A - m_B|^2 = E_AB - E_AA / 2 - E_BB / 2, E the weighted mean
    # squared distance between the segments of two clusters.
    member = np.zeros((labels.size, n_start))
    member[np.arange(labels.size), labels] = weights
    mass = member.sum(axis=0)
    mean_squared = member.T @ (distances.astype(np.float64) ** 2) @ member / np.outer(mass, mass)
    own = np.diag(mean_squared).copy()
    squared = np.maximum(mean_squared - own[:, None] / 2 - own[None, :] / 2, 0.0)
    np.fill_diagonal(squared, 0.0)
    parent = np.arange(n_start)
    active = np.ones(n_start, dtype=bool)
    for _ in range(n_start - n_clusters):
        index = np.flatnonzero(active)
        sub_mass = mass[index]
        cost = np.outer(sub_mass, sub_mass) / np.add.outer(sub_mass, sub_mass)
        cost = cost * squared[np.ix_(index, index)]
        cost[np.tril_indices_from(cost)] = np.inf
        row, column = np.unravel_index(int(np.argmin(cost)), cost.shape)
        a, b = int(index[row]), int(index[column])
        total = mass[a] + mass[b]
        # Lance-Williams for Ward: exact for weighted means.
        merged = (mass[a] * squared[a] + mass[b] * squared[b]) / total - (
            mass[a] * mass[b] * squared[a, b] / total**2
        )
        squared[a], squared[:, a] = merged, merged
        squared[a, a] = 0.0
        mass[a] = total
        active[b] = False
        parent[parent == b] = a
    _, result = np.unique(parent[labels], return_inverse=True)
    return result.astype(np.int64)


def cluster_segments(
    distances: np.ndarray,
    weights: np.ndarray,
    n_clusters: int | None,
    *,
    linkage_method: str = "average",
    distance_threshold: float = 0.5,
    forced_merges: str = "ward",
) -> np.ndarray:
    """Cluster of every segment, as :class:`KernelSegmenter` merges them (its steps 4 and 5).

    Agglomerative clustering of the segments by their MMD; without
    ``n_clusters`` the tree is cut at ``distance_threshold``. With it, the
    merges below the threshold come first; if they leave more than
    ``n_clusters`` clusters the rest are forced by ``forced_merges``:
    ``"ward"`` by the least rise in kernel cost (:func:`kernel_ward_merges`),
    ``"linkage"`` by cutting the same tree at ``n_clusters``. If they leave
    fewer, the tree is cut at ``n_clusters``.

    Args:
        distances: MMD between segments, ``(n_segments, n_segments)``.
        weights: points (or frames) in every segment, ``(n_segments,)``.
        n_clusters: how many clusters, or ``None`` for the threshold alone.
        linkage_method: one of :data:`SEGMENT_LINKAGES`. Defaults to ``"average"``.
        distance_threshold: MMD under which merges are supported. Defaults to 0.5.
        forced_merges: one of :data:`FORCED_MERGES`. Defaults to ``"ward"``.

    Returns:
        ``(n_segments,)`` cluster of every segment.

    Example:
    >>> distances = np.array([[0.0, 0.6, 0.9, 0.9], [0.6, 0.0, 0.9, 0.9],
    ...                       [0.9, 0.9, 0.0, 0.8], [0.9, 0.9, 0.8, 0.0]])
    >>> weights = np.array([100, 100, 10, 10])
    >>> cluster_segments(distances, weights, None).tolist()
    [0, 1, 2, 3]
    >>> cluster_segments(distances, weights, 3).tolist()
    [0, 1, 2, 2]
    >>> cluster_segments(distances, weights, 3, forced_merges="linkage").tolist()
    [0, 0, 1, 2]
    """
    n = distances.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    if n_clusters is not None and n_clusters >= n:
        return np.arange(n)
    tree = linkage(squareform(distances, checks=False), method=linkage_method)
    supported = fcluster(tree, t=distance_threshold, criterion="distance") - 1
    if n_clusters is None:
        return supported
    if forced_merges == "ward" and np.unique(supported).size > n_clusters:
        return kernel_ward_merges(distances, weights, supported, n_clusters)
    return fcluster(tree, t=n_clusters, criterion="maxclust") - 1


#: Linkages for clustering segments by their kernel distance (scipy names).
SEGMENT_LINKAGES = ("average", "complete", "single", "weighted")
#: How a given K makes the merges that the distance threshold does not
#: support (``KernelSegmenter(forced_merges=...)``): ``"ward"`` by the least
#: rise in kernel cost (:func:`kernel_ward_merges`), ``"linkage"`` by the
#: linkage all the way (the toolkit before issue 16).
FORCED_MERGES = ("ward", "linkage")


def _median_distance(distances: np.ndarray) -> float:
    pairs = squareform(distances, checks=False)
    return float(np.median(pairs)) if pairs.size else 1.0


#: What ``KernelSegmenter(distance_threshold=...)`` is measured in
#: (``threshold_scale``): ``"mmd"`` an MMD (the default), ``"median"`` a
#: fraction of the median MMD between the sequence's own segments, a cut that
#: follows the spread of the features (issue 16 item 3,
#: ``bench/automatic_k_transfer.py``). Each maps the MMD matrix of the
#: segments to the unit of the threshold.
THRESHOLD_SCALES: dict[str, Callable[[np.ndarray], float]] = {
    "mmd": lambda distances: 1.0,
    "median": _median_distance,
}
#: The automatic K chosen on the subject-86 poses by
#: ``bench/automatic_k_transfer.py`` and scored held out there (an option; the
#: default stays ``penalty=1.2``, ``distance_threshold=0.5`` in MMD):
#: ``KernelSegmenter(**TRANSFER_AUTOMATIC_K)``.
TRANSFER_AUTOMATIC_K = {"penalty": 1.5, "distance_threshold": 0.7, "threshold_scale": "median"}
#: Named automatic-K rules of the kernel segmenter (``mocap cluster --auto-k``):
#: the parameters each sets (names and help in ``names.AUTOMATIC_K_HELP``).
AUTOMATIC_K_RULES: dict[str, dict[str, Any]] = {
    "default": {},
    "transfer": TRANSFER_AUTOMATIC_K,
}
#: Fewest segments the penalty may choose from (the cap of short sequences); a
#: sequence longer than MAX_AUTO_SEGMENTS / segments_per_minute minutes (5 at the
#: defaults) allows segments_per_minute a minute instead (``cap_reached_`` says if it binds).
MAX_AUTO_SEGMENTS = 50


#: The kernel segmenter's block length and shortest segment, in seconds: 10 and
#: 60 frames at the 120 fps they were tuned at (``bench/explore_segmentation.py``).
BLOCK_SECONDS = 10 / REFERENCE_FRAME_RATE
MIN_SEGMENT_SECONDS = 0.5

#: Most segments any sequence may be cut into, even one shorter than that many
#: blocks (see KernelSegmenter's parameter checks).
SHORT_SEQUENCE_SEGMENTS = 100


class KernelSegmenter(Segmenter):
    """Kernel change points, then clustering of the segments' distributions (the default).

    1. Block means of ``block_seconds`` (1/12 s: 10 frames at 120 fps)
       downsample and smooth in one go, averaging out the fastest
       within-cycle motion.
    2. A Gaussian kernel between blocks, its width the median distance times
       ``bandwidth``; the optimal change points for the kernel cost (that of
       ruptures' ``KernelCPD``) by dynamic programming, every segment at least
       ``min_segment_seconds`` long.
    3. The number of segments is ``n_segments`` if given; otherwise the one
       that minimises ``cost + penalty * log(n_blocks) * n_segments`` (a
       BIC-like penalty; the kernel cost is scale-free, so one default serves
       decoder states and poses), at most 50 segments or ``segments_per_minute``
       per minute at ``frame_rate``, whichever is more.
    4. Segments are compared by the kernel distance between their block
       distributions (MMD, :func:`segment_distances`), which sees two takes of
       a cyclic action as close even when their mean poses differ, and merged
       by agglomerative clustering (``linkage``).
       ``n_clusters=None`` cuts the tree at the MMD ``distance_threshold``:
       segments closer than that are one action. With the median
       heuristic, MMD lies in ``[0, sqrt(2)]`` whatever the feature scale; on
       the subject-86 poses, segments of one action lie below about 0.45
       and of different actions mostly above 0.5.
    5. A given ``n_clusters`` starts from that same cut. If it left more
       clusters than ``n_clusters``, the merges the distances do not
       support, made only because K says so, go by the least rise in kernel
       cost (``forced_merges="ward"``, :func:`kernel_ward_merges`): a merge
       is weighed by the points it moves, so joining two long unlike actions
       costs more than joining two short segments as far apart. If it left
       fewer, the tree is cut at ``n_clusters``.
       (Why: told K = 3 on a concatenation washwindow, walking,
       directing_traffic, walking, washwindow, the average linkage kept the
       two 300-frame walks apart (two takes whose poses differ more than
       washwindow's from directing_traffic's) and merged 6,000 frames of
       washwindow and directing_traffic: ARI 0.21 with the change points
       exactly right, against 0.68 automatic; the least-cost merge joins the
       walks: 1.00. Chosen on the ten case-(i) concatenations; held out, no
       subject-86 trial moves on the raw poses, and on the pretrained
       models' decoder states one sequence gains 0.06 and one loses 0.13:
       ``bench/oracle_vs_automatic.py``.)

    ``search`` picks the change-point search: ``"exact"`` as above (time and
    memory quadratic in the frames), ``"linear"`` the linear-time search of
    :mod:`~mocap_seq2seq.segment.kernel_linear` (a feature map of the kernel,
    the dynamic programme restricted to candidate change points, then refined),
    ``"auto"`` the exact one up to
    :data:`~mocap_seq2seq.segment.kernel_linear.AUTO_LINEAR_ABOVE` blocks.

    On the raw poses of the ten subject-86 trials this gives a mean accuracy
    of 0.91 and ARI 0.85 with the oracle numbers of actions and segments, and
    about 0.83 / 0.75 with neither (``bench/explore_segmentation.py``).

    Args:
        n_clusters: K, the number of actions; ``None`` cuts at ``distance_threshold``.
            Defaults to ``None``.
        n_segments: number of segments; ``None`` chooses it by the penalty. Defaults to ``None``.
        block_seconds: length of a block, in seconds. Defaults to 1/12 (10 frames at 120 fps).
        min_segment_seconds: shortest segment, in seconds. Defaults to 0.5 (60 frames at 120 fps).
        frame_rate: frames per second of ``X``: turns the seconds into frames
            (:func:`~mocap_seq2seq.units.seconds_to_frames`) and the segment cap
            into a rate. Defaults to 120.
        step: frames per block; when given it wins over ``block_seconds``
            (for frame-exact experiments). Defaults to ``None``.
        min_segment_length: fewest frames per segment; when given it wins over
            ``min_segment_seconds``. Defaults to ``None``.
        bandwidth: kernel width relative to the median distance between blocks. Defaults to 1.
        penalty: cost of one more segment, in ``penalty_unit`` (``log(n_blocks)``
            by default), when ``n_segments`` is ``None``. Defaults to 1.2.
        distance_threshold: MMD below which segments share a cluster (step 4; with a
            given ``n_clusters``, the merges it supports come first, step 5). Defaults to 0.5.
        linkage: how segment clusters are merged, one of :data:`SEGMENT_LINKAGES`.
            Defaults to ``"average"``.
        forced_merges: how a given ``n_clusters`` makes the merges beyond
            ``distance_threshold``, one of :data:`FORCED_MERGES` (step 5). Defaults to ``"ward"``.
        threshold_scale: the unit of ``distance_threshold``, one of
            :data:`THRESHOLD_SCALES`: ``"mmd"`` (an MMD) or ``"median"`` (a fraction
            of the median MMD between the sequence's segments; with ``penalty=1.5``
            and ``distance_threshold=0.7`` it is :data:`TRANSFER_AUTOMATIC_K`).
            Defaults to ``"mmd"``.
        penalty_unit: the unit of ``penalty``, one of
            :data:`~mocap_seq2seq.segment.kernel_linear.PENALTY_UNITS`:
            ``"log_blocks"`` (``log(n_blocks)``) or ``"mean_gain"`` (the mean fall in
            kernel cost per added segment up to the cap). Defaults to ``"log_blocks"``.
        search: ``"auto"``, ``"exact"`` or ``"linear"`` (above). Defaults to ``"auto"``.
        feature_groups: widths of column groups of ``X`` (e.g. ``(256, 256, 256)``
            for a three-member seed ensemble); the kernel is then the mean of one
            Gaussian kernel per group, each with its own median width
            (:func:`mean_rbf_gram`). ``None``: one kernel on all columns. Defaults to ``None``.
        segments_per_minute: the cap on automatic segments as a rate: at most
            ``max(50, segments_per_minute x minutes)``. Defaults to 10.

    Besides those of :class:`Segmenter`, ``fit`` sets ``step_`` and
    ``min_segment_length_`` (the block and shortest segment in frames, before
    the shrinking of short sequences), ``segment_frames_``
    (``(n_segments, 2)`` first and one-past-last frame of each change-point
    segment, before clustering), ``segment_distances_`` (their MMD matrix),
    ``segment_costs_`` (``(max_segments,)`` least kernel cost with 1, 2, ...
    segments, the curve the penalty reads), ``n_points_`` (blocks searched) and
    ``cap_reached_`` (the penalty chose the most segments allowed: there may be more).

    Example:
    >>> from mocap_seq2seq.data.synthetic import piecewise_motion
    >>> from mocap_seq2seq.segment.metrics import adjusted_rand
    >>> motion = piecewise_motion(n_frames=600, seed=0)
    >>> model = KernelSegmenter(n_clusters=3, n_segments=6, step=5, min_segment_length=20)
    >>> adjusted_rand(motion.labels, model.fit_predict(motion.frames)) > 0.9
    True
    """

    _keeps_float32 = True  # it only reads block means, summed in float64

    def __init__(
        self,
        *,
        n_clusters: int | None = None,
        n_segments: int | None = None,
        block_seconds: float = BLOCK_SECONDS,
        min_segment_seconds: float = MIN_SEGMENT_SECONDS,
        frame_rate: float = REFERENCE_FRAME_RATE,
        step: int | None = None,
        min_segment_length: int | None = None,
        bandwidth: float = 1.0,
        penalty: float = 1.2,
        distance_threshold: float = 0.5,
        linkage: str = "average",
        forced_merges: str = "ward",
        search: str = "auto",
        segments_per_minute: float = 10.0,
        feature_groups: tuple[int, ...] | None = None,
        threshold_scale: str = "mmd",
        penalty_unit: str = "log_blocks",
    ):
        self.n_clusters = n_clusters
        self.n_segments = n_segments
        self.block_seconds = block_seconds
        self.min_segment_seconds = min_segment_seconds
        self.frame_rate = frame_rate
        self.step = step
        self.min_segment_length = min_segment_length
        self.bandwidth = bandwidth
        self.penalty = penalty
        self.distance_threshold = distance_threshold
        self.linkage = linkage
        self.forced_merges = forced_merges
        self.search = search
        self.segments_per_minute = segments_per_minute
        self.feature_groups = feature_groups
        self.threshold_scale = threshold_scale
        self.penalty_unit = penalty_unit

    def _validate_params(self, n_frames: int) -> None:
        super()._validate_params(n_frames)
        owner = type(self).__name__
        _check_int(self.step, "step", owner, 1, allow_none=True)
        _check_int(self.min_segment_length, "min_segment_length", owner, 1, allow_none=True)
        _check_positive(self.block_seconds, "block_seconds", owner)
        _check_positive(self.min_segment_seconds, "min_segment_seconds", owner)
        _check_positive(self.bandwidth, "bandwidth", owner)
        _check_positive(self.penalty, "penalty", owner)
        _check_positive(self.distance_threshold, "distance_threshold", owner)
        _check_positive(self.frame_rate, "frame_rate", owner)
        _check_positive(self.segments_per_minute, "segments_per_minute", owner)
        if self.search not in kernel_linear.SEARCHES:
            raise UsageError(
                f"The 'search' of {owner} must be one of {', '.join(kernel_linear.SEARCHES)}. "
                f"Got {self.search!r}.",
            )
        # One segment (and so one cluster) per block of `step` frames is the
        # finest the search resolves; more is refused at once, since the
        # programme's time grows with the square of the segments asked (e.g.
        # --k 4000 of 4,579 frames: 80 s, for 4,000 one-frame clusters). A
        # short sequence may still ask up to SHORT_SEQUENCE_SEGMENTS: _fit
        # shrinks its blocks, which costs nothing at that size.
        step = self.frame_lengths()[0]
        blocks = max(n_frames // step, min(n_frames, SHORT_SEQUENCE_SEGMENTS))
        blocks_text = f"one per block of {step} frames"
        _check_int(self.n_clusters, "n_clusters", owner, 1, blocks, blocks_text, "--k", True)
        _check_int(self.n_segments, "n_segments", owner, 1, blocks, blocks_text, None, True)
        if self.n_clusters is not None and self.n_segments is not None:
            if self.n_clusters > self.n_segments:
                raise UsageError(
                    f"The 'n_clusters' of {owner} ({self.n_clusters}) cannot exceed its "
                    f"'n_segments' ({self.n_segments}).",
                    "at least one segment per cluster",
                    "Pass fewer clusters or more segments.",
                )
        if self.linkage not in SEGMENT_LINKAGES:
            raise UsageError(
                f"The 'linkage' of {owner} must be one of {', '.join(SEGMENT_LINKAGES)}. "
                f"Got {self.linkage!r}.",
            )
        if self.penalty_unit not in kernel_linear.PENALTY_UNITS:
            raise UsageError(
                f"The 'penalty_unit' of {owner} must be one of "
                f"{', '.join(kernel_linear.PENALTY_UNITS)}. Got {self.penalty_unit!r}.",
            )
        if self.threshold_scale not in THRESHOLD_SCALES:
            raise UsageError(
                f"The 'threshold_scale' of {owner} must be one of "
                f"{', '.join(THRESHOLD_SCALES)}. Got {self.threshold_scale!r}.",
            )
        if self.forced_merges not in FORCED_MERGES:
            raise UsageError(
                f"The 'forced_merges' of {owner} must be one of {', '.join(FORCED_MERGES)}. "
                f"Got {self.forced_merges!r}.",
            )

    def frame_lengths(self) -> tuple[int, int]:
        """The block and the shortest segment in frames: a frame parameter wins over seconds."""
        step = self.step or seconds_to_frames(self.block_seconds, self.frame_rate)
        shortest = self.min_segment_length or seconds_to_frames(
            self.min_segment_seconds, self.frame_rate
        )
        return int(step), int(shortest)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        n_frames = X.shape[0]
        groups = group_slices(self.feature_groups, X.shape[1], type(self).__name__)
        self.step_, self.min_segment_length_ = self.frame_lengths()
        # Short sequences: keep at least two blocks and one block per cluster.
        step = max(1, min(self.step_, n_frames // max(2, self.n_clusters or 2)))
        points = block_means(X, step)
        n_points = points.shape[0]
        min_size = max(1, min(self.min_segment_length_ // step, n_points))
        # Segments of min_size blocks cannot outnumber n_points // min_size;
        # clusters need at least as many segments (ask for shorter segments if not).
        low = self.n_clusters or 1
        if low * min_size > n_points:
            min_size = max(1, n_points // low)
        largest = max(n_points // min_size, 1)
        if self.n_segments is not None:
            max_segments = max(min(self.n_segments, largest), low)
        else:
            minutes = frames_to_seconds(n_frames, self.frame_rate) / 60.0
            cap = max(MAX_AUTO_SEGMENTS, int(np.ceil(self.segments_per_minute * minutes)))
            max_segments = max(min(largest, cap), low)
        if kernel_linear.use_linear_search(self.search, n_points):
            found = kernel_linear.linear_change_points(
                points,
                bandwidth=self.bandwidth,
                max_segments=max_segments,
                min_size=min_size,
                n_segments=max_segments if self.n_segments is not None else None,
                penalty=self.penalty,
                min_segments=low,
                feature_groups=groups,
                penalty_unit=self.penalty_unit,
            )
            starts, ends, distances = found.starts, found.ends, found.distances
            costs = found.costs
        else:
            gram = mean_rbf_gram(points, groups, self.bandwidth)
            costs, all_boundaries = kernel_change_points(gram, max_segments, min_size)
            if self.n_segments is not None:
                n_segments = max_segments
            else:
                n_segments = kernel_linear.penalised_count(
                    costs, n_points, self.penalty, self.penalty_unit, low
                )
            change = all_boundaries[n_segments - 1]
            starts = np.concatenate([[0], change]).astype(np.int64)
            ends = np.concatenate([change, [n_points]]).astype(np.int64)
            distances = segment_distances(gram, starts, ends)
        self.cap_reached_ = bool(
            self.n_segments is None and starts.size == max_segments and max_segments < largest
        )
        segment_labels = cluster_segments(
            distances,
            ends - starts,
            self.n_clusters,
            linkage_method=self.linkage,
            distance_threshold=self.distance_threshold
            * THRESHOLD_SCALES[self.threshold_scale](distances),
            forced_merges=self.forced_merges,
        )
        # Kept for inspection and for other read-outs of the same segments
        # (bench/automatic_k.py compares ways of choosing K on them).
        self.segment_frames_ = np.stack(
            [starts * step, np.minimum(ends * step, n_frames)], axis=1
        ).astype(np.int64)
        self.segment_distances_ = distances
        self.segment_costs_ = np.asarray(costs, dtype=np.float64)
        self.n_points_ = int(n_points)
        point_labels = np.repeat(segment_labels, ends - starts)
        return np.repeat(point_labels, step)[:n_frames]


#: Every segmenter by its command-line and benchmark name (described in
#: :data:`mocap_seq2seq.segment.names.SEGMENTER_HELP`).
SEGMENTERS: dict[str, type[Segmenter]] = {
    "kernel": KernelSegmenter,
    "paper": PaperClustering,
    "kmeans": KMeansFrames,
}
if list(AUTOMATIC_K_RULES) != list(AUTOMATIC_K_HELP):  # pragma: no cover - a programming error
    raise ImportError("AUTOMATIC_K_RULES and segment.names.AUTOMATIC_K_HELP must agree.")
if list(SEGMENTERS) != list(SEGMENTER_HELP):  # pragma: no cover - a programming error
    raise ImportError("SEGMENTERS and segment.names.SEGMENTER_HELP must name the same segmenters.")
