"""Properties every frame metric must hold, for any labelling (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mocap_seq2seq.labels import relabel_by_first_appearance
from mocap_seq2seq.segment.metrics import FRAME_METRICS, hungarian_accuracy, paper_accuracy

labelings = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
    )
)
permutations = st.permutations(list(range(5)))


@pytest.mark.parametrize("name", sorted(FRAME_METRICS))
@settings(max_examples=60, deadline=None)
@given(pair=labelings, permutation=permutations)
def test_invariant_to_permuting_predicted_labels(name, pair, permutation):
    true, pred = (np.array(x) for x in pair)
    renamed = np.array(permutation)[pred]
    metric = FRAME_METRICS[name]
    assert metric(true, renamed) == pytest.approx(metric(true, pred), abs=1e-12)


@pytest.mark.parametrize("name", sorted(FRAME_METRICS))
@settings(max_examples=60, deadline=None)
@given(pair=labelings)
def test_bounded_and_python_float(name, pair):
    value = FRAME_METRICS[name](*pair)
    assert type(value) is float
    lower = -1.0 if name in ("ari", "ami") else 0.0
    assert lower - 1e-12 <= value <= 1.0 + 1e-12


@settings(max_examples=100, deadline=None)
@given(pair=labelings)
def test_hungarian_is_one_exactly_for_equal_partitions(pair):
    true, pred = (np.array(x) for x in pair)
    same_partition = np.array_equal(
        relabel_by_first_appearance(true), relabel_by_first_appearance(pred)
    )
    assert (hungarian_accuracy(true, pred) == 1.0) == same_partition


@settings(max_examples=100, deadline=None)
@given(pair=labelings)
def test_paper_accuracy_never_exceeds_hungarian(pair):
    assert paper_accuracy(*pair) <= hungarian_accuracy(*pair) + 1e-12


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.integers(0, 4), min_size=1, max_size=40), permutation=permutations)
def test_permuted_self_scores_one(labels, permutation):
    renamed = np.array(permutation)[np.array(labels)]
    for name in ("accuracy", "paper_accuracy", "v_measure"):
        assert FRAME_METRICS[name](labels, renamed) == pytest.approx(1.0)
