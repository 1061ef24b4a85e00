"""Every segmenter passes scikit-learn's own estimator checks (the installed version)."""

from __future__ import annotations

import warnings

import pytest
from sklearn.utils.estimator_checks import check_estimator

from mocap_seq2seq.segment.segmentation import SEGMENTERS

#: Checks that do not apply, with the reason; every other check must pass.
NOT_APPLICABLE = {
    # scikit-learn runs it only with SCIPY_ARRAY_API=1 set before scipy is imported;
    # the segmenters take numpy arrays only (frames are converted to float64).
    "check_array_api_input": "needs SCIPY_ARRAY_API=1; the segmenters are numpy-only",
}


@pytest.mark.parametrize("name", sorted(SEGMENTERS))
def test_segmenter_passes_check_estimator(name: str) -> None:
    with warnings.catch_warnings():
        # The checks fit tiny random data; convergence and similar warnings are theirs.
        warnings.simplefilter("ignore")
        results = check_estimator(SEGMENTERS[name](), on_fail=None)
    failed = {r["check_name"]: repr(r["exception"]) for r in results if r["status"] == "failed"}
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= set(NOT_APPLICABLE)
    assert len(results) >= 40  # the checks really ran


def test_n_features_in_is_set_by_fit_only() -> None:
    import numpy as np

    for cls in SEGMENTERS.values():
        model = cls(n_clusters=2)
        assert not hasattr(model, "n_features_in_")
        model.fit(np.random.default_rng(0).normal(size=(60, 5)))
        assert model.n_features_in_ == 5
