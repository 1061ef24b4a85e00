"""Principal components of frame features: the 3-D view of decoder states.

One projection for the whole toolkit: the embedding stores it (``pca``) and
the figures draw it. It lives beside the segmenters because both take plain
``(n_frames, n_features)`` arrays and neither needs Keras, so that
:mod:`mocap_seq2seq.embedding` and :mod:`mocap_seq2seq.report` can import it
without importing each other.
"""

from __future__ import annotations

import numpy as np

from mocap_seq2seq.errors import BadDataError, UsageError


def principal_components(points: np.ndarray, n_components: int = 3) -> np.ndarray:
    """Project points onto their first principal components, for 3-D embedding plots.

    Decoder states have hundreds of dimensions; the paper shows them through
    their first three principal components. scikit-learn's PCA (centred, signs
    fixed by its ``svd_flip``, seeded), so that a projection is reproducible.

    Args:
        points: float array ``(n_frames, n_features)``.
        n_components: how many components to keep. Defaults to 3.

    Returns:
        ``(n_frames, n_components)`` in the dtype of ``points`` (float64 for
        integers); missing components (fewer features or frames than asked,
        or constant points) are zero.

    Example:
    >>> line = np.outer(np.arange(5.0), [1.0, 2.0, 2.0])
    >>> np.round(np.abs(principal_components(line, 2)[:, 0]), 6).tolist()
    [6.0, 3.0, 0.0, 3.0, 6.0]
    """
    from sklearn.decomposition import PCA

    array = np.asarray(points)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise UsageError(
            f"Points to project have shape {array.shape}.", "shape (n_frames, n_features)"
        )
    if not np.all(np.isfinite(array)):
        raise BadDataError(
            "The 'points' hold NaN or infinite values.", "finite numbers", "Clean them first."
        )
    n = min(n_components, array.shape[0], array.shape[1])
    projection = np.zeros((array.shape[0], n_components), dtype=array.dtype)
    if n > 0 and np.ptp(array, axis=0).max() > 0:
        projection[:, :n] = PCA(n_components=n, random_state=0).fit_transform(array)
    return projection
