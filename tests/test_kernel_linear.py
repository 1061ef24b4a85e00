"""The linear-time kernel search keeps the exact search's cost, counts and boundaries."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from mocap_seq2seq.data.synthetic import piecewise_motion
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.segment import kernel_linear
from mocap_seq2seq.segment.metrics import adjusted_rand
from mocap_seq2seq.segment.segmentation import (
    KernelSegmenter,
    block_means,
    kernel_change_points,
    rbf_gram,
)


def test_feature_map_cost_matches_the_exact_kernel_cost():
    points = block_means(piecewise_motion(n_frames=3000, seed=0).frames, 10)
    scale = kernel_linear.sampled_median_sq_distance(points)
    sums = kernel_linear.FeatureSums(kernel_linear.nystroem_features(points, scale))
    gram = rbf_gram(points)
    starts, ends = np.array([0, 40, 100, 7]), np.array([40, 100, 300, 250])
    exact = np.array(
        [
            end - start - gram[start:end, start:end].sum() / (end - start)
            for start, end in zip(starts, ends)
        ]
    )
    # 300 points, 300 landmarks: the map is exact up to rounding.
    np.testing.assert_allclose(sums.costs(starts, ends), exact, atol=1e-6)


def test_sampled_bandwidth_is_close_to_the_full_median():
    points = np.random.default_rng(0).normal(size=(4000, 4))
    full = float(np.median(pdist(points, "sqeuclidean")))
    sampled = kernel_linear.sampled_median_sq_distance(points)  # 2,000 of the 4,000
    assert sampled != full and abs(sampled / full - 1) < 0.03
    assert kernel_linear.sampled_median_sq_distance(points[:500]) == pytest.approx(
        float(np.median(pdist(points[:500], "sqeuclidean")))
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_linear_search_matches_the_exact_search(seed):
    motion = piecewise_motion(n_frames=6000, seed=seed)
    exact = KernelSegmenter(n_clusters=3, n_segments=6, search="exact").fit(motion.frames)
    linear = KernelSegmenter(n_clusters=3, n_segments=6, search="linear").fit(motion.frames)
    assert linear.segment_frames_.shape[0] == 6
    assert np.max(np.abs(linear.boundaries_ - exact.boundaries_)) <= 20  # two blocks
    assert adjusted_rand(motion.labels, linear.frame_labels_) > 0.9
    assert not linear.cap_reached_


def test_linear_search_returns_exactly_the_segments_asked():
    motion = piecewise_motion(n_frames=4000, seed=2)
    for n_segments in (1, 4, 9, 25):
        model = KernelSegmenter(n_segments=n_segments, search="linear").fit(motion.frames)
        assert model.segment_frames_.shape[0] == n_segments


def test_linear_search_gives_every_cluster_asked_even_one_per_block():
    # 300 clusters of 300 blocks: no count the candidates reach is allowed, and
    # the search used to fall back to a single segment.
    frames = np.cumsum(np.random.default_rng(0).normal(size=(3000, 5)), axis=0)
    for n_clusters in (150, 300):
        model = KernelSegmenter(n_clusters=n_clusters, search="linear").fit(frames)
        assert model.n_clusters_ == n_clusters
        assert model.segment_frames_.shape[0] == n_clusters


def test_more_clusters_or_segments_than_blocks_are_refused_at_once():
    frames = np.zeros((3000, 2))
    for option in ({"n_clusters": 301}, {"n_segments": 301}):
        with pytest.raises(UsageError, match="one per block of 10 frames"):
            KernelSegmenter(**option).fit(frames)
    # A short sequence still takes up to 100 (its blocks shrink).
    assert KernelSegmenter(n_clusters=40).fit(np.arange(200.0)[:, None]).n_clusters_ == 40


def test_restricted_programme_equals_the_full_one_with_every_candidate():
    points = block_means(piecewise_motion(n_frames=800, seed=0).frames, 10)
    scale = kernel_linear.sampled_median_sq_distance(points)
    sums = kernel_linear.FeatureSums(kernel_linear.nystroem_features(points, scale))
    every = np.arange(1, points.shape[0])
    costs, parents = kernel_linear.restricted_change_points(sums, every, 5, 3)
    exact_costs, exact_boundaries = kernel_change_points(rbf_gram(points), 5, 3)
    np.testing.assert_allclose(costs, exact_costs, atol=1e-6)
    np.testing.assert_array_equal(kernel_linear.backtrack(parents, 4), exact_boundaries[3])


def test_most_segments_is_where_the_restricted_costs_become_infinite():
    points = block_means(piecewise_motion(n_frames=3000, seed=1).frames, 10)
    scale = kernel_linear.sampled_median_sq_distance(points)
    sums = kernel_linear.FeatureSums(kernel_linear.nystroem_features(points, scale))
    candidates = np.sort(np.random.default_rng(0).choice(np.arange(1, 300), 40, replace=False))
    for min_size in (1, 6, 15):
        most = kernel_linear.most_segments(candidates, points.shape[0], min_size)
        costs, _ = kernel_linear.restricted_change_points(sums, candidates, most + 1, min_size)
        assert np.all(np.isfinite(costs[:most])) and np.isinf(costs[most])


def test_more_segments_than_the_usual_grid_holds_are_still_all_of_min_size(monkeypatch):
    # The fallback grid has about MAX_CANDIDATES points; asked for more segments
    # than that holds, it was left as it was and returned empty segments.
    monkeypatch.setattr(kernel_linear, "MAX_CANDIDATES", 40)
    points = block_means(piecewise_motion(n_frames=6000, seed=0).frames, 10)
    found = kernel_linear.linear_change_points(
        points, bandwidth=1.0, max_segments=190, min_size=3, n_segments=190, penalty=1.0
    )
    assert found.starts.size == 190 and np.all(found.ends - found.starts >= 3)


def test_automatic_cap_grows_with_the_length_and_says_when_it_binds():
    motion = piecewise_motion(n_frames=3000, seed=0)
    # 3000 frames at 1 fps are 50 minutes: 0.02 segments a minute allow 50 (the floor);
    # a penalty this small wants every segment it may have.
    tight = KernelSegmenter(
        penalty=1e-9, frame_rate=1.0, segments_per_minute=0.02, min_segment_length=20
    ).fit(motion.frames)
    assert tight.segment_frames_.shape[0] == 50 and tight.cap_reached_
    loose = KernelSegmenter(
        penalty=1e-9, frame_rate=1.0, segments_per_minute=1.4, min_segment_length=20
    ).fit(motion.frames)
    assert loose.segment_frames_.shape[0] == 70 and loose.cap_reached_
    assert not KernelSegmenter().fit(motion.frames).cap_reached_


def test_unknown_search_is_refused():
    with pytest.raises(UsageError, match="'search' of KernelSegmenter must be one of auto"):
        KernelSegmenter(search="fast").fit(np.zeros((100, 2)))
