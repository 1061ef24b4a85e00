"""Resampling a motion sequence to another frame rate.

Every format the toolkit reads is stored in one layout (see
:mod:`mocap_seq2seq.data.formats.motion`): the root position in three columns,
then one exponential map (rotation vector, radians) a joint. Euler-angle
formats (BVH, ASF/AMC) are turned into exponential maps on import, so a
stored sequence never holds Euler angles. The shipped subject-86 file stores
no skeleton but has the same layout (columns 0..2 are the root position in
centimetre-scale units; every following triple has norm at most pi), which
:func:`default_layout` assumes for any ``3 + 3k``-column sequence without a
skeleton.

Why not interpolate every column linearly: an exponential map jumps where a
rotation's angle crosses pi (``v`` becomes about ``-v``), so averaging two
neighbouring frames there gives a rotation near the identity, far from both.
Rotations are therefore turned into quaternions made sign-continuous, low-pass
filtered there (a small-angle approximation of filtering on the rotation
group, exact enough for the slow motion of a joint between two frames),
renormalised and interpolated with :class:`scipy.spatial.transform.Slerp`.
Positions and any other column are low-pass filtered and interpolated
linearly. The low-pass (a zero-phase Butterworth filter, cut at 0.8 of the new
Nyquist frequency) runs only when the rate goes down, to keep frequencies the
new rate cannot represent from folding back as slow, false motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt
from scipy.spatial.transform import Rotation, Slerp

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.units import check_frame_rate

#: Cut-off of the anti-alias filter, as a fraction of the new Nyquist frequency.
CUTOFF_FRACTION = 0.8
#: Order of the Butterworth anti-alias filter (applied forward and backward).
FILTER_ORDER = 4


@dataclass(frozen=True)
class ChannelLayout:
    """Which frame columns hold rotations and which hold positions.

    Args:
        expmap_columns: int array ``(n_joints, 3)``: each row one exponential map.
        position_columns: int array of columns interpolated linearly (root
            position and every column not in ``expmap_columns``).
    """

    expmap_columns: np.ndarray
    position_columns: np.ndarray


def default_layout(n_channels: int, expmap_columns: np.ndarray | None = None) -> ChannelLayout:
    """The layout of a sequence: from a skeleton's ``expmap_columns`` when given, else the
    toolkit's layout (root position in 0..2, then exponential maps) when ``n_channels`` is
    ``3 + 3k``, else every column linear.

    Example:
    >>> layout = default_layout(9)
    >>> layout.expmap_columns.tolist(), layout.position_columns.tolist()
    ([[3, 4, 5], [6, 7, 8]], [0, 1, 2])
    """
    if expmap_columns is None:
        if n_channels >= 6 and n_channels % 3 == 0:
            expmap_columns = 3 + np.arange(n_channels - 3).reshape(-1, 3)
        else:
            expmap_columns = np.zeros((0, 3), dtype=np.int64)
    rotations = np.asarray(expmap_columns, dtype=np.int64).reshape(-1, 3)
    linear = np.setdiff1d(np.arange(n_channels), rotations.ravel())
    return ChannelLayout(expmap_columns=rotations, position_columns=linear)


def check_rate(rate: float, name: str = "--resample") -> float:
    """A frame rate as a positive finite float, or a :class:`UsageError` naming ``name``
    (:func:`mocap_seq2seq.units.check_frame_rate`, defaulting to ``--resample``)."""
    return check_frame_rate(rate, name)


def resampled_length(n_frames: int, source_rate: float, target_rate: float) -> int:
    """Frames of the resampled sequence: the new frame times ``k / target_rate`` that fall
    inside the source's ``0 .. (n_frames - 1) / source_rate``."""
    duration = (n_frames - 1) / source_rate
    return int(math.floor(duration * target_rate + 1e-9)) + 1


def _lowpass(values: np.ndarray, source_rate: float, target_rate: float) -> np.ndarray:
    """Zero-phase low-pass of ``values`` (frames first) before going down to ``target_rate``."""
    if target_rate >= source_rate or values.shape[0] < 4 * FILTER_ORDER + 4:
        return values
    cutoff = CUTOFF_FRACTION * (target_rate / 2.0) / (source_rate / 2.0)
    sos = butter(FILTER_ORDER, cutoff, output="sos")
    padlen = min(values.shape[0] - 1, 3 * (2 * len(sos) + 1))
    return sosfiltfilt(sos, values, axis=0, padlen=padlen)


def resample_frames(
    frames: np.ndarray,
    source_rate: float,
    target_rate: float,
    *,
    layout: ChannelLayout | None = None,
) -> np.ndarray:
    """Resample ``(n_frames, n_channels)`` frames from ``source_rate`` to ``target_rate``.

    Frame ``k`` of the result is the motion at time ``k / target_rate``; see the
    module docstring for how rotations and positions are treated.

    Args:
        frames: float array ``(n_frames, n_channels)``.
        source_rate: frames per second of ``frames``.
        target_rate: frames per second wanted.
        layout: rotation and position columns; defaults to :func:`default_layout`.

    Returns:
        float32 array ``(resampled_length(n_frames, ...), n_channels)``.
    """
    source_rate = check_rate(source_rate, "source frame rate")
    target_rate = check_rate(target_rate)
    data = np.asarray(frames, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] < 2:
        raise UsageError(
            f"Frames of shape {data.shape} cannot be resampled.", "(n_frames >= 2, n_channels)"
        )
    n_frames, n_channels = data.shape
    layout = layout if layout is not None else default_layout(n_channels)
    n_out = resampled_length(n_frames, source_rate, target_rate)
    source_times = np.arange(n_frames) / source_rate
    target_times = np.minimum(np.arange(n_out) / target_rate, source_times[-1])
    out = np.empty((n_out, n_channels), dtype=np.float64)

    linear = layout.position_columns
    if linear.size:
        smooth = _lowpass(data[:, linear], source_rate, target_rate)
        for j, column in enumerate(linear):
            out[:, column] = np.interp(target_times, source_times, smooth[:, j])

    for columns in layout.expmap_columns:
        quaternions = Rotation.from_rotvec(data[:, columns]).as_quat()
        # q and -q are one rotation: choose signs so that neighbours agree.
        flips = np.sum(quaternions[1:] * quaternions[:-1], axis=1) < 0
        signs = np.concatenate([[1.0], np.where(np.cumsum(flips) % 2 == 1, -1.0, 1.0)])
        quaternions = _lowpass(quaternions * signs[:, None], source_rate, target_rate)
        norms = np.linalg.norm(quaternions, axis=1, keepdims=True)
        rotations = Rotation.from_quat(quaternions / np.maximum(norms, 1e-12))
        out[:, columns] = Slerp(source_times, rotations)(target_times).as_rotvec()
    return out.astype(np.float32)


def resample_labels(labels: np.ndarray, source_rate: float, target_rate: float) -> np.ndarray:
    """Per-frame labels at the new rate: each new frame takes its nearest source frame's."""
    labels = np.asarray(labels)
    n_out = resampled_length(labels.shape[0], source_rate, target_rate)
    nearest = resample_index(np.arange(n_out), target_rate, source_rate, labels.shape[0] - 1)
    return labels[nearest]


def resample_index(
    frames: np.ndarray, source_rate: float, target_rate: float, n_target: int
) -> np.ndarray:
    """Frame indices at ``source_rate`` mapped to the nearest frame at ``target_rate``,
    clipped into ``0 .. n_target - 1`` (a boundary at ``n_target`` stays there)."""
    scaled = np.rint(np.asarray(frames, dtype=np.float64) * (target_rate / source_rate))
    return np.clip(scaled, 0, n_target).astype(np.int64)
