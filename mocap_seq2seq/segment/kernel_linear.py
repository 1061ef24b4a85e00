"""Kernel change points in time and memory linear in the number of frames.

The exact search of :class:`~mocap_seq2seq.segment.segmentation.KernelSegmenter`
holds the Gram matrix of all blocks and a dynamic programme over every pair of
them: quadratic in time and memory (60,000 frames: 70 s, 1.9 GB). This module
keeps its cost and its read-outs, and bounds everything quadratic:

1. **Bandwidth** on a sample: the median squared distance between a seeded
   sample of at most :data:`BANDWIDTH_SAMPLE` blocks (the exact median of all
   pairs when there are fewer blocks than that).
2. **An explicit feature map** ``z`` of the Gaussian kernel (Nystroem, on a
   seeded sample of :data:`N_LANDMARKS` blocks), so ``k(x, y) ~ z(x) . z(y)``.
   Every sum of kernel values over two runs of blocks then comes from prefix
   sums of ``z``: the cost of segment ``[a, b)`` is
   ``(b - a) - |Z[b] - Z[a]|^2 / (b - a)`` (``Z`` the cumulative sum; the
   kernel's diagonal is 1) and the MMD between two segments is the distance
   between their mean features. Memory: ``n_blocks x rank`` floats.
3. **Candidate change points**, linear in the blocks: the local maxima of a
   sliding two-window MMD (the kernel distance between the ``window`` blocks
   before and after each block) at four window lengths, at most
   :data:`MAX_CANDIDATES` of the highest.
4. **The exact dynamic programme restricted to those candidates**: the least
   cost for every number of segments up to the cap (which automatic K reads)
   and the optimal change points for exactly the number asked (oracle mode),
   ``O(max_segments x n_candidates^2)`` whatever the length.
5. **Refinement** at block resolution: each change point in turn moves to the
   best block within ``window`` of it, its neighbours fixed (the exact cost
   of the two segments it separates), which never raises the total cost.

:func:`linear_change_points` runs 1-5 on the block means and returns the
segments and their MMD matrix, as the exact path of ``KernelSegmenter`` does.
Everything random is seeded: the same input gives the same segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

#: Most blocks whose pairwise distances give the median-heuristic bandwidth
#: (2,000 blocks: 2 million pairs, 30 ms; the median of a sample that size is
#: within about 1 % of the full median).
BANDWIDTH_SAMPLE = 2000
#: Landmark blocks of the Nystroem feature map. Rule: 300 landmarks bring the
#: feature-map kernel within about 0.01 (mean absolute error) of the exact
#: Gaussian kernel on the subject-86 poses, and the map costs
#: ``n_blocks x 300`` floats; fewer blocks than that are all landmarks (exact).
N_LANDMARKS = 300
#: Most candidate change points of the restricted dynamic programme: the
#: programme costs ``max_segments x MAX_CANDIDATES^2`` operations.
MAX_CANDIDATES = 1500
#: Segment ends the dynamic programme handles at a time (a block of the
#: transposed cost matrix, 64 x 3,000 candidates: 1.5 MB, in cache).
COLUMN_BLOCK = 64
#: A candidate is the highest two-window score within this many points either side.
CANDIDATE_RADIUS = 2
#: Blocks above which ``search="auto"`` switches from the exact search to this
#: one: 2,500 blocks (25,000 frames at the default step) take about 3 s and
#: 0.5 GB exactly; beyond that the exact search grows as the cube of the length.
AUTO_LINEAR_ABOVE = 2500
#: Ways of searching for change points, for ``KernelSegmenter(search=...)``.
SEARCHES = ("auto", "exact", "linear")


def _log_blocks(costs: np.ndarray, n_points: int) -> float:
    return float(np.log(max(n_points, 2)))


def _mean_gain(costs: np.ndarray, n_points: int) -> float:
    finite = costs[np.isfinite(costs)]
    if finite.size < 2:
        return 1.0
    return max(float(finite[0] - finite[-1]) / (finite.size - 1), 1e-12)


#: The unit of ``KernelSegmenter(penalty=...)``, the price of one more
#: segment (``penalty_unit``): ``"log_blocks"`` ``log(n_blocks)`` (BIC-like,
#: the default) or ``"mean_gain"`` the mean fall in kernel cost per added
#: segment over the whole curve up to the cap (a price in units of what splits
#: of this sequence typically gain: issue 16 item 3,
#: ``bench/automatic_k_transfer.py``). Each maps ``(costs, n_points)`` to the unit.
PENALTY_UNITS = {"log_blocks": _log_blocks, "mean_gain": _mean_gain}


def penalised_count(
    costs: np.ndarray, n_points: int, penalty: float, penalty_unit: str, min_segments: int = 1
) -> int:
    """The number of segments minimising ``cost + penalty x unit x n_segments``.

    Args:
        costs: least kernel cost with 1, 2, ... segments, ``(max_segments,)``
            (``inf`` where a count is out of reach).
        n_points: blocks searched.
        penalty: price of a segment, in ``penalty_unit``.
        penalty_unit: one of :data:`PENALTY_UNITS`.
        min_segments: fewest segments allowed. Defaults to 1.

    Returns:
        The count; ``min_segments`` when no allowed count is within reach.

    Example:
    >>> costs = np.array([10.0, 4.0, 3.5, 3.0])  # gains 6, 0.5, 0.5: mean 5/3
    >>> penalised_count(costs, 100, 1.0, "mean_gain")
    2
    """
    unit = PENALTY_UNITS[penalty_unit](costs, n_points)
    counts = np.arange(1, costs.size + 1)
    penalised = costs + penalty * unit * counts
    penalised[: min_segments - 1] = np.inf
    if not np.isfinite(penalised).any():
        return min_segments
    return int(np.argmin(penalised)) + 1


def use_linear_search(search: str, n_points: int) -> bool:
    """Whether ``search`` means the linear search for ``n_points`` blocks.

    Example:
    >>> use_linear_search("auto", 1000), use_linear_search("auto", 10000)
    (False, True)
    """
    return search == "linear" or (search == "auto" and n_points > AUTO_LINEAR_ABOVE)


def sampled_median_sq_distance(
    points: np.ndarray, sample_size: int = BANDWIDTH_SAMPLE, random_state: int = 0
) -> float:
    """Median squared distance between distinct points, on a seeded sample.

    With at most ``sample_size`` points it is the exact median of all pairs
    (that of :func:`~mocap_seq2seq.segment.segmentation.rbf_gram`). A zero
    median (mostly repeated points) falls back to the mean, then to 1.

    Example:
    >>> sampled_median_sq_distance(np.array([[0.0], [1.0], [3.0]]))
    4.0
    """
    n_points = points.shape[0]
    if n_points > sample_size:
        rng = np.random.default_rng(random_state)
        points = points[np.sort(rng.choice(n_points, sample_size, replace=False))]
    squared = np.sum(points**2, axis=1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * points @ points.T, 0.0)
    upper = distances[np.triu_indices_from(distances, k=1)]
    if upper.size == 0:
        return 1.0
    median = float(np.median(upper))
    if median <= 0:
        mean = float(upper.mean())
        median = mean if mean > 0 else 1.0
    return median


def _gaussian(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    squared = np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2 * a @ b.T
    return np.exp(-np.maximum(squared, 0.0) / scale)


def nystroem_features(
    points: np.ndarray,
    scale: float,
    n_landmarks: int = N_LANDMARKS,
    random_state: int = 0,
    chunk: int = 8192,
) -> np.ndarray:
    """Explicit features ``z`` with ``z(x) . z(y) ~ exp(-|x - y|^2 / scale)``.

    Nystroem: ``z(x) = k(x, L) V diag(w)^(-1/2)`` for landmarks ``L`` (a seeded
    sample of the points) and the eigenpairs ``(w, V)`` of ``k(L, L)``; exact
    on the landmarks' span, so exact for every point when all are landmarks.
    Eigenvalues below ``1e-10`` of the largest are dropped (the rank).

    Args:
        points: shape ``(n_points, n_features)``.
        scale: ``bandwidth^2 x median squared distance``.
        n_landmarks: landmarks sampled. Defaults to :data:`N_LANDMARKS`.
        random_state: seed of the sample. Defaults to 0.
        chunk: points mapped at a time, to bound the temporary memory.

    Returns:
        ``(n_points, rank)`` features, ``rank <= n_landmarks``.

    Example:
    >>> points = np.array([[0.0], [1.0], [2.0]])
    >>> z = nystroem_features(points, 1.0)
    >>> np.allclose(z @ z.T, np.exp(-(points - points.T) ** 2))
    True
    """
    n_points = points.shape[0]
    if n_points <= n_landmarks:
        landmarks = points
    else:
        rng = np.random.default_rng(random_state)
        landmarks = points[np.sort(rng.choice(n_points, n_landmarks, replace=False))]
    eigenvalues, eigenvectors = np.linalg.eigh(_gaussian(landmarks, landmarks, scale))
    keep = eigenvalues > 1e-10 * eigenvalues.max()
    projection = eigenvectors[:, keep] / np.sqrt(eigenvalues[keep])
    features = np.empty((n_points, projection.shape[1]))
    for start in range(0, n_points, chunk):
        stop = start + chunk
        features[start:stop] = _gaussian(points[start:stop], landmarks, scale) @ projection
    return features


class FeatureSums:
    """Kernel sums over runs of points from prefix sums of their features.

    ``prefix[i]`` is the sum of the features of points ``0 .. i - 1``;
    ``norms[i]`` the sum of their squared norms (the feature map's own
    diagonal ``k(x, x)``, so costs are exact for the map, never negative).
    """

    def __init__(self, features: np.ndarray):
        n_points, rank = features.shape
        self.n_points = n_points
        self.prefix = np.zeros((n_points + 1, rank))
        np.cumsum(features, axis=0, out=self.prefix[1:])
        self.norms = np.concatenate([[0.0], np.cumsum(np.sum(features**2, axis=1))])

    def costs(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Kernel cost of segments ``[starts, ends)``, elementwise (``ends > starts``)."""
        sums = self.prefix[ends] - self.prefix[starts]
        return (self.norms[ends] - self.norms[starts]) - np.sum(sums**2, axis=-1) / (ends - starts)

    def cost_matrix(self, positions: np.ndarray, min_size: int) -> np.ndarray:
        """Cost of every segment between two of ``positions`` (sorted), ``inf`` if too short.

        ``result[i, j]`` is the cost of ``[positions[i], positions[j])``.
        """
        rows = self.prefix[positions]
        squared = np.sum(rows**2, axis=1)
        within = squared[:, None] + squared[None, :] - 2 * rows @ rows.T
        length = (positions[None, :] - positions[:, None]).astype(np.float64)
        norms = self.norms[positions]
        with np.errstate(divide="ignore", invalid="ignore"):
            costs = (norms[None, :] - norms[:, None]) - within / length
        costs[length < min_size] = np.inf
        return costs

    def two_window_scores(self, window: int, chunk: int = 8192) -> np.ndarray:
        """Squared MMD between the ``window`` points before and after every point.

        ``scores[t]`` compares ``[t - window, t)`` with ``[t, t + window)``
        (the windows shrink at the ends; 0 where one would be empty). Computed
        ``chunk`` points at a time, to bound the temporary memory.
        """
        n = self.n_points
        scores = np.zeros(n + 1)
        for first in range(1, n, chunk):
            t = np.arange(first, min(first + chunk, n))
            left, right = np.maximum(t - window, 0), np.minimum(t + window, n)
            before = (self.prefix[t] - self.prefix[left]) / (t - left)[:, None]
            after = (self.prefix[right] - self.prefix[t]) / (right - t)[:, None]
            scores[t] = np.sum((before - after) ** 2, axis=1)
        return scores

    def distances(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """MMD between segments: the distance between their mean features.

        ``mean k(A, A) + mean k(B, B) - 2 mean k(A, B)`` with the map's kernel,
        as :func:`~mocap_seq2seq.segment.segmentation.segment_distances` computes
        it with the exact one.
        """
        means = (self.prefix[ends] - self.prefix[starts]) / (ends - starts)[:, None]
        inner = means @ means.T
        own = np.diag(inner)
        squared = np.maximum(own[:, None] + own[None, :] - 2 * inner, 0.0)
        np.fill_diagonal(squared, 0.0)
        return np.sqrt(squared)


def candidate_change_points(
    sums: FeatureSums, window: int, max_candidates: int = MAX_CANDIDATES
) -> np.ndarray:
    """Likely change points: local maxima of the two-window MMD at four scales.

    The scales are ``window / 2, window, 2 window, 4 window`` points: short
    windows place sharp changes, long ones find slow changes between similar
    actions. At each scale a point is a candidate if its score is the largest
    within 2 points on either side; each scale keeps at most a quarter of
    ``max_candidates``, its highest scores. Linear in the number of points.
    (Tuned on the subject-86 poses: one scale left the restricted costs up to
    7 above the exact ones at 20 segments, which shifted the automatic K.)

    Returns:
        Sorted, distinct candidate positions in ``1 .. n_points - 1``.
    """
    scales = sorted({max(window // 2, 2), window, 2 * window, 4 * window})
    per_scale = max(max_candidates // len(scales), 1)
    chosen = []
    for scale in scales:
        scores = sums.two_window_scores(scale)
        peaks = (scores >= maximum_filter1d(scores, 2 * CANDIDATE_RADIUS + 1, mode="constant")) & (
            scores > 0
        )
        positions = np.flatnonzero(peaks)
        if positions.size > per_scale:
            positions = positions[np.argsort(-scores[positions], kind="stable")[:per_scale]]
        chosen.append(positions)
    return np.unique(np.concatenate(chosen)).astype(np.int64)


def restricted_change_points(
    sums: FeatureSums, candidates: np.ndarray, max_segments: int, min_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact dynamic programme over change points drawn from ``candidates``.

    Each level reads the cost matrix once, in blocks of
    :data:`COLUMN_BLOCK` segment ends: a contiguous slice of its transpose,
    only the starts before the block (a segment ends after it starts), added
    into one reused buffer. A level is then a streaming pass over half the
    matrix, with no new temporary the size of the matrix; the same sums and
    the same first minimum as a whole-matrix ``argmin``, six times faster
    (2,800 candidates: 13 ms a level instead of 79 ms).

    Returns:
        ``(costs, parents)``: ``costs[k - 1]`` the least total cost with k
        segments (``inf`` if impossible); ``parents`` the back-pointers that
        :func:`backtrack` turns into the change points of any k.
    """
    positions = np.concatenate([[0], candidates, [sums.n_points]]).astype(np.int64)
    size = positions.size
    # ending[j, i]: the cost of the segment [positions[i], positions[j]).
    ending = np.ascontiguousarray(sums.cost_matrix(positions, min_size).T)
    end = size - 1
    best = ending[:, 0].copy()  # best[j]: least cost of [0, positions[j]) in k segments
    totals = [best[end]]
    parents = np.zeros((max(max_segments - 1, 0), size), dtype=np.int32)
    buffer = np.empty((COLUMN_BLOCK, size))
    for level in range(max_segments - 1):
        following = np.empty(size)
        for first in range(0, size, COLUMN_BLOCK):
            last = min(first + COLUMN_BLOCK, size)
            # Ends first .. last - 1 start before last - 1 (the rows after are inf).
            starts = max(last - 1, 1)
            block = buffer[: last - first, :starts]
            np.add(ending[first:last, :starts], best[:starts], out=block)
            parent = np.argmin(block, axis=1)
            parents[level, first:last] = parent
            following[first:last] = block[np.arange(last - first), parent]
        best = following
        totals.append(best[end])
    return np.asarray(totals), np.stack([positions, *parents]) if parents.size else positions[None]


def backtrack(parents: np.ndarray, n_segments: int) -> np.ndarray:
    """Change points of the best ``n_segments`` found by :func:`restricted_change_points`."""
    positions = parents[0]
    index, points = positions.size - 1, []
    for level in range(n_segments - 2, -1, -1):
        index = int(parents[level + 1][index])
        points.append(int(positions[index]))
    return np.array(points[::-1], dtype=np.int64)


def refine_change_points(
    sums: FeatureSums, change: np.ndarray, min_size: int, radius: int, n_passes: int = 2
) -> np.ndarray:
    """Move each change point to the best block within ``radius``, its neighbours fixed.

    Coordinate descent on the exact cost of the map: every move lowers (or
    keeps) the total cost, and segments keep at least ``min_size`` points.
    """
    change = change.copy()
    n = sums.n_points
    for _ in range(n_passes):
        moved = False
        for i in range(change.size):
            low = (change[i - 1] if i > 0 else 0) + min_size
            high = (change[i + 1] if i + 1 < change.size else n) - min_size
            trial = np.arange(max(low, change[i] - radius), min(high, change[i] + radius) + 1)
            if trial.size < 2:
                continue
            left = change[i - 1] if i > 0 else 0
            right = change[i + 1] if i + 1 < change.size else n
            total = sums.costs(np.full_like(trial, left), trial) + sums.costs(
                trial, np.full_like(trial, right)
            )
            best = int(trial[np.argmin(total)])
            moved |= best != change[i]
            change[i] = best
        if not moved:
            break
    return change


def most_segments(candidates: np.ndarray, n_points: int, min_size: int) -> int:
    """Most segments of at least ``min_size`` points with change points among ``candidates``.

    Greedy (take each candidate that leaves room on both sides), which is
    optimal for this packing: the restricted programme's cost of that many
    segments is finite, and of one more is ``inf``.

    Example:
    >>> most_segments(np.array([2, 3, 5, 8]), 10, 2)
    4
    """
    count, last = 1, 0
    for position in candidates:
        if position - last >= min_size and n_points - position >= min_size:
            count, last = count + 1, int(position)
    return count


def _with_grid(candidates: np.ndarray, n_points: int, min_size: int, n_segments: int) -> np.ndarray:
    """``candidates`` and an even grid, for more segments of ``min_size`` than they allow.

    The grid has at most about :data:`MAX_CANDIDATES` points, unless that
    cannot hold ``n_segments``: then it is as fine as they need (a grid of
    spacing ``s`` holds ``n_points // s`` segments; ``n_segments`` is at most
    ``n_points // min_size``), and the programme's time grows as their square.
    """
    spacing = max(min_size, -(-n_points // MAX_CANDIDATES))
    if n_points // spacing < n_segments:
        spacing = max(min_size, n_points // n_segments)
    return np.union1d(candidates, np.arange(spacing, n_points, spacing))


@dataclass(frozen=True)
class LinearSegments:
    """The change-point segments of :func:`linear_change_points`, in points (blocks).

    ``costs[k - 1]`` is the least cost with k segments over the candidates
    (before refinement), what a penalty reads to choose the number of segments.
    """

    starts: np.ndarray
    ends: np.ndarray
    distances: np.ndarray
    costs: np.ndarray
    n_candidates: int


def linear_change_points(
    points: np.ndarray,
    *,
    bandwidth: float,
    max_segments: int,
    min_size: int,
    n_segments: int | None,
    penalty: float,
    min_segments: int = 1,
    random_state: int = 0,
    feature_groups: list[slice] | None = None,
    penalty_unit: str = "log_blocks",
) -> LinearSegments:
    """Segments of ``points`` by the kernel cost, linear in time and memory.

    Args:
        points: block means, ``(n_points, n_features)``.
        bandwidth: kernel width relative to the median distance.
        max_segments: the cap of the search.
        min_size: fewest points per segment.
        n_segments: exactly this many segments (``<= max_segments``), or ``None``
            to choose it by ``cost + penalty * log(n_points) * n_segments``.
        penalty: see ``n_segments``.
        min_segments: fewest segments the penalty may choose.
        random_state: seed of the samples (bandwidth and landmarks).
        feature_groups: column groups of ``points``; the kernel is then the mean
            of one Gaussian kernel per group, each with its own median width
            (its feature maps side by side, each scaled by ``1 / sqrt(groups)``).
        penalty_unit: the unit of ``penalty``, one of :data:`PENALTY_UNITS`.
    """
    n_points = points.shape[0]
    maps = []
    for group in feature_groups or [slice(None)]:
        part = points[:, group]
        scale = bandwidth**2 * sampled_median_sq_distance(part, random_state=random_state)
        maps.append(nystroem_features(part, scale, random_state=random_state))
    features = maps[0] if len(maps) == 1 else np.hstack(maps) / np.sqrt(len(maps))
    sums = FeatureSums(features)
    window = max(min_size, 3)
    candidates = candidate_change_points(sums, window)
    if n_segments is not None and most_segments(candidates, n_points, min_size) < n_segments:
        # Known before the programme runs: no need to run it on too few candidates.
        candidates = _with_grid(candidates, n_points, min_size, n_segments)
    costs, parents = restricted_change_points(sums, candidates, max_segments, min_size)
    if n_segments is None:
        # Every count from min_segments on may be out of the candidates' reach
        # (many clusters asked of few points): then take the fewest allowed,
        # and the grid below makes it reachable.
        chosen = penalised_count(costs, n_points, penalty, penalty_unit, min_segments)
    else:
        chosen = n_segments
    if not np.isfinite(costs[chosen - 1]):
        candidates = _with_grid(candidates, n_points, min_size, chosen)
        costs, parents = restricted_change_points(sums, candidates, max_segments, min_size)
    change = backtrack(parents, chosen)
    change = refine_change_points(sums, change, min_size, radius=window)
    starts = np.concatenate([[0], change]).astype(np.int64)
    ends = np.concatenate([change, [n_points]]).astype(np.int64)
    return LinearSegments(starts, ends, sums.distances(starts, ends), costs, int(candidates.size))
