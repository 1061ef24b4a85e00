"""Frame features for segmenting raw poses: exp-map unwrapping, velocities, smoothing.

Arrays are frames first, ``(n_frames, n_channels)``, as everywhere in the
toolkit. numpy only, so segmentation benchmarks on raw poses need no model.

An exponential map ``r`` encodes a rotation by the angle ``|r|`` about the axis
``r / |r|``; the same rotation is also encoded by ``r + 2*pi*k * r / |r|`` for
every integer ``k``. Mocap exporters keep ``|r| <= pi``, so a root that turns
past half a turn jumps from ``|r| = pi`` to ``-pi``: a change of about 6 rad
that is not motion, and that a change-point method would take for a boundary.
:func:`unwrap_expmap` picks, frame by frame, the encoding closest to the
previous frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.validation import check_frames

#: Root-position channels of every layout the toolkit stores (CMU 117-channel takes,
#: 96-channel trials, converted BVH/ASF-AMC/Human3.6M).
ROOT_POSITION_COLUMNS = (0, 1, 2)
#: Columns of the root orientation exp-map in the CMU subject-86 layout.
ROOT_ORIENTATION_COLUMNS = (3, 4, 5)


def _check_frames(frames: np.ndarray, function: str) -> np.ndarray:
    return check_frames(frames, name=f"The 'frames' of {function}")


def unwrap_expmap(
    frames: np.ndarray, columns: Sequence[int] = ROOT_ORIENTATION_COLUMNS
) -> np.ndarray:
    """Remove the +-pi jumps of one exp-map rotation channel triple.

    For every frame after the first, replaces ``r`` by the equivalent
    ``r + 2*pi*k * r / |r|`` closest (Euclidean) to the previous, already
    unwrapped, frame. The rotation each frame encodes is unchanged.

    Args:
        frames: array of shape ``(n_frames, n_channels)``; not modified.
        columns: the three columns of the exp-map to unwrap. Defaults to
            ``(3, 4, 5)``, the root orientation of the subject-86 files.

    Returns:
        A float64 copy of ``frames`` with those columns unwrapped.

    Example:
    >>> angles = np.array([3.0, 3.1, 3.2 - 2 * np.pi, 3.3 - 2 * np.pi])
    >>> frames = np.zeros((4, 3)); frames[:, 2] = angles
    >>> unwrap_expmap(frames, columns=(0, 1, 2))[:, 2].round(2)
    array([3. , 3.1, 3.2, 3.3])
    """
    array = _check_frames(frames, "unwrap_expmap")
    columns = list(columns)
    if len(columns) != 3 or not all(-array.shape[1] <= c < array.shape[1] for c in columns):
        raise UsageError(
            f"The 'columns' of unwrap_expmap must be 3 column indices below {array.shape[1]}. "
            f"Got {columns}.",
            "the x, y, z columns of one exp-map",
        )
    result = array.astype(np.float64, copy=True)
    rotations = result[:, columns]
    norms = np.linalg.norm(rotations, axis=1)
    for t in range(1, rotations.shape[0]):
        if norms[t] < 1e-12:
            continue
        axis = rotations[t] / norms[t]
        previous = rotations[t - 1]
        # The candidates lie on the axis line; the nearest to `previous` has the
        # multiple of 2*pi closest to the projection of `previous` on the axis.
        k = np.round((previous @ axis - norms[t]) / (2 * np.pi))
        rotations[t] = rotations[t] + 2 * np.pi * k * axis
    result[:, columns] = rotations
    return result


def velocities(frames: np.ndarray, step: int = 1) -> np.ndarray:
    """Central differences over ``step`` frames, same shape as the input.

    ``v[t] = (x[t + step] - x[t - step]) / (2 * step)``, with one-sided
    differences at the ends; a larger ``step`` is less sensitive to noise.

    Args:
        frames: array of shape ``(n_frames, n_channels)``.
        step: half width of the difference in frames, ``>= 1``. Defaults to 1.

    Returns:
        float64 array of shape ``(n_frames, n_channels)``.

    Example:
    >>> velocities(np.array([[0.0], [1.0], [2.0], [3.0]]))[:, 0]
    array([1., 1., 1., 1.])
    """
    array = _check_frames(frames, "velocities").astype(np.float64)
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise UsageError(f"The 'step' of velocities must be a whole number >= 1. Got {step!r}.")
    n_frames = array.shape[0]
    if n_frames < 2:
        return np.zeros_like(array)
    index = np.arange(n_frames)
    ahead = np.minimum(index + step, n_frames - 1)
    behind = np.maximum(index - step, 0)
    return (array[ahead] - array[behind]) / (ahead - behind)[:, None]


def smooth_frames(frames: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` frames (centred, shrinking at the ends).

    Args:
        frames: array of shape ``(n_frames, n_channels)``.
        window: frames averaged, ``>= 1``; 1 returns a copy.

    Returns:
        float64 array of shape ``(n_frames, n_channels)``.

    Example:
    >>> smooth_frames(np.array([[0.0], [3.0], [0.0], [3.0]]), 2)[:, 0]
    array([1.5, 1.5, 1.5, 1.5])
    """
    array = _check_frames(frames, "smooth_frames").astype(np.float64)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise UsageError(
            f"The 'window' of smooth_frames must be a whole number >= 1. Got {window!r}."
        )
    n_frames = array.shape[0]
    if window == 1 or n_frames == 0:
        return array.copy()
    cumulative = np.concatenate([np.zeros((1, array.shape[1])), np.cumsum(array, axis=0)])
    index = np.arange(n_frames)
    start = np.maximum(index - window // 2, 0)
    end = np.minimum(start + window, n_frames)
    start = np.maximum(end - window, 0)
    return (cumulative[end] - cumulative[start]) / (end - start)[:, None]
