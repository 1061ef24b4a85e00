"""Normalisation statistics, channel dropping, and windows cut from a sequence.

Conventions (see also :mod:`mocap_seq2seq.labels`): a sequence is
``(n_frames, n_channels)``; a window is ``source_length`` frames the model
reads followed by ``target_length`` frames it predicts; batches of windows are
``(n_windows, window_length, n_channels)``.

For the embedding, target windows *tile* the sequence: window ``k`` reads
frames ``k*T .. k*T+S-1`` and predicts ``k*T+S .. k*T+S+T-1`` (``S``, ``T`` the
source and target lengths), so every frame from ``S`` on is predicted exactly
once, up to a tail shorter than ``T``. The frames no window predicts (the head
and that tail) take the state of the nearest predicted frame and are marked in
a ``filled`` mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mocap_seq2seq.errors import BadDataError, UsageError, WindowError
from mocap_seq2seq.validation import check_frames

#: Channels whose standard deviation is below this are dropped (they carry no motion).
MIN_STD = 1e-4


@dataclass(frozen=True)
class Normalization:
    """Per-channel z-scoring of the channels that move.

    Args:
        mean: ``(n_channels,)`` mean of every input channel.
        std: ``(n_channels,)`` standard deviation of every input channel.
        keep: ``(n_channels,)`` bool, the channels the model sees (std >= min_std).
        velocity_columns: input channels replaced by their frame-to-frame
            change before scaling (the root position: where a person stands
            is not what they do, and an absolute position drifts over a take).
    """

    mean: np.ndarray
    std: np.ndarray
    keep: np.ndarray
    velocity_columns: tuple[int, ...] = ()

    @property
    def n_input_channels(self) -> int:
        return int(self.keep.size)

    @property
    def n_channels(self) -> int:
        """Channels after dropping the constant ones: the model's width."""
        return int(self.keep.sum())

    def transform(self, frames: np.ndarray) -> np.ndarray:
        """Raw ``(n_frames, n_input_channels)`` -> normalised ``(n_frames, n_channels)`` float32."""
        frames = _as_velocities(
            check_frames(frames, n_channels=self.n_input_channels), self.velocity_columns
        )
        kept = self.keep
        return ((frames[:, kept] - self.mean[kept]) / self.std[kept]).astype(np.float32)

    def inverse_transform(self, normalized: np.ndarray) -> np.ndarray:
        """Normalised frames back to all input channels (dropped ones at their mean).

        Velocity columns come back as velocities: the starting point is not kept.
        """
        normalized = np.asarray(normalized, dtype=np.float64)
        frames = np.tile(self.mean, (normalized.shape[0], 1))
        frames[:, self.keep] = normalized * self.std[self.keep] + self.mean[self.keep]
        return frames.astype(np.float32)

    def to_dict(self) -> dict[str, list[float] | list[bool]]:
        return {
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "keep": self.keep.astype(bool).tolist(),
            "velocity_columns": list(self.velocity_columns),
        }

    @classmethod
    def from_dict(cls, values: dict[str, list]) -> Normalization:
        return cls(
            mean=np.asarray(values["mean"], dtype=np.float64),
            std=np.asarray(values["std"], dtype=np.float64),
            keep=np.asarray(values["keep"], dtype=bool),
            velocity_columns=tuple(int(c) for c in values.get("velocity_columns", ())),
        )


def _as_velocities(frames: np.ndarray, columns: tuple[int, ...]) -> np.ndarray:
    """``frames`` with ``columns`` replaced by their change from the previous frame (0 first)."""
    if not columns:
        return frames
    result = np.array(frames, dtype=np.float64, copy=True)
    columns_list = list(columns)
    result[:, columns_list] = np.diff(
        frames[:, columns_list], axis=0, prepend=frames[:1, columns_list]
    )
    return result


def fit_normalization(
    frames: np.ndarray, min_std: float = MIN_STD, velocity_columns: tuple[int, ...] = ()
) -> Normalization:
    """Mean and std of every channel; channels with std below ``min_std`` are dropped.

    ``velocity_columns`` are first turned into frame-to-frame changes.

    Example:
    >>> frames = np.array([[0.0, 1.0], [2.0, 1.0]])
    >>> norm = fit_normalization(frames)
    >>> norm.keep.tolist(), norm.transform(frames).ravel().tolist()
    ([True, False], [-1.0, 1.0])
    """
    frames = check_frames(frames)
    velocity_columns = tuple(int(c) for c in velocity_columns)
    if any(not 0 <= c < frames.shape[1] for c in velocity_columns):
        raise UsageError(
            f"Velocity columns {list(velocity_columns)} do not fit {frames.shape[1]} channels."
        )
    frames = _as_velocities(frames, velocity_columns)
    mean = frames.mean(axis=0)
    std = frames.std(axis=0)
    keep = std >= min_std
    if not keep.any():
        raise BadDataError(
            "Every channel is constant: there is no motion to learn.",
            f"at least one channel with std >= {min_std}",
        )
    return Normalization(
        mean=mean, std=np.where(keep, std, 1.0), keep=keep, velocity_columns=velocity_columns
    )


def check_window(
    n_frames: int, source_length: int, target_length: int, *, n_windows: int = 1
) -> None:
    """Refuse window lengths that do not fit a sequence of ``n_frames``."""
    for name, value in (("source_length", source_length), ("target_length", target_length)):
        if int(value) < 1:
            raise WindowError(
                f"The '{name}' must be at least 1. Got {value}.",
                fix=f"Pass a positive --{name.replace('_', '-')}.",
            )
    needed = source_length + target_length * n_windows
    if needed > n_frames:
        raise WindowError(
            f"A window of {source_length} + {target_length} frames does not fit a sequence of "
            f"{n_frames} frames.",
            f"source_length + target_length at most {n_frames}",
            "Pass a shorter --source-length / --target-length or a longer sequence.",
        )


def sample_windows(
    frames: np.ndarray,
    source_length: int,
    target_length: int,
    n_windows: int,
    rng: np.random.Generator,
    allowed_starts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``n_windows`` random windows; returns ``(source, target)``.

    Args:
        frames: ``(n_frames, n_channels)`` normalised frames.
        source_length: frames the model reads.
        target_length: frames it predicts.
        n_windows: how many windows.
        rng: the random generator (seeded by the caller for reproducible runs).
        allowed_starts: the first frames a window may start at; default every
            start at which the whole window fits.

    Returns:
        ``source`` ``(n_windows, source_length, n_channels)`` and ``target``
        ``(n_windows, target_length, n_channels)``, float32.
    """
    length = source_length + target_length
    check_window(frames.shape[0], source_length, target_length)
    if allowed_starts is None:
        starts = rng.integers(0, frames.shape[0] - length + 1, size=n_windows)
    else:
        if allowed_starts.size == 0:
            raise WindowError(
                f"No window of {length} frames fits inside any segment.",
                fix="Pass shorter window lengths.",
            )
        starts = rng.choice(allowed_starts, size=n_windows)
    index = starts[:, None] + np.arange(length)[None, :]
    windows = np.asarray(frames, dtype=np.float32)[index]
    return windows[:, :source_length], windows[:, source_length:]


def starts_inside_segments(segment_bounds: np.ndarray, window_length: int) -> np.ndarray:
    """Window starts whose whole window lies inside one segment.

    This is the paper's protocol: it uses the ground truth to place windows,
    so it must only run behind an explicit flag.

    Args:
        segment_bounds: ``(n_segments, 2)`` start and (exclusive) end of each segment.
        window_length: source plus target length.

    Example:
    >>> starts_inside_segments(np.array([[0, 5], [5, 7]]), 3).tolist()
    [0, 1, 2]
    """
    starts = [
        np.arange(start, end - window_length + 1)
        for start, end in np.asarray(segment_bounds)
        if end - start >= window_length
    ]
    return np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Tiling:
    """How tiled target windows cover a sequence.

    ``starts[k]`` is the first (source) frame of window ``k``;
    ``window_of_frame[i]`` and ``step_of_frame[i]`` locate the decoder step
    whose state is frame ``i``'s embedding; ``filled[i]`` is True for frames no
    window predicts, which borrow the nearest predicted frame's state.
    """

    starts: np.ndarray
    window_of_frame: np.ndarray
    step_of_frame: np.ndarray
    filled: np.ndarray

    @property
    def n_windows(self) -> int:
        return int(self.starts.size)


def tile_windows(
    n_frames: int,
    source_length: int,
    target_length: int,
    segment_bounds: np.ndarray | None = None,
) -> Tiling:
    """Tile target windows over a sequence and map every frame to a decoder step.

    Args:
        n_frames: sequence length.
        source_length: frames read before each target window.
        target_length: frames predicted per window (the stride).
        segment_bounds: optional ``(n_segments, 2)`` bounds; when given (the
            paper's protocol) windows are tiled inside each segment separately.

    Example:
    >>> tiling = tile_windows(10, 3, 2)
    >>> tiling.starts.tolist(), tiling.filled.astype(int).tolist()
    ([0, 2, 4], [1, 1, 1, 0, 0, 0, 0, 0, 0, 1])
    >>> tiling.window_of_frame.tolist()
    [0, 0, 0, 0, 0, 1, 1, 2, 2, 2]
    """
    check_window(n_frames, source_length, target_length)
    if segment_bounds is None:
        segment_bounds = np.array([[0, n_frames]])
    starts_list = []
    for start, end in np.asarray(segment_bounds):
        n = (end - start - source_length) // target_length
        if n > 0:
            starts_list.append(start + target_length * np.arange(n))
    if not starts_list:
        raise WindowError(
            f"No window of {source_length} + {target_length} frames fits the sequence.",
            fix="Pass shorter window lengths.",
        )
    starts = np.concatenate(starts_list).astype(np.int64)
    predicted_window = np.full(n_frames, -1, dtype=np.int64)
    predicted_step = np.full(n_frames, -1, dtype=np.int64)
    for k, start in enumerate(starts):
        frames = start + source_length + np.arange(target_length)
        predicted_window[frames] = k
        predicted_step[frames] = np.arange(target_length)
    filled = predicted_window < 0
    predicted = np.flatnonzero(~filled)
    # Nearest predicted frame for every frame (ties go to the earlier one).
    position = np.clip(np.searchsorted(predicted, np.arange(n_frames)), 0, predicted.size - 1)
    before = np.clip(position - 1, 0, predicted.size - 1)
    nearer_before = np.abs(predicted[before] - np.arange(n_frames)) <= np.abs(
        predicted[position] - np.arange(n_frames)
    )
    nearest = np.where(nearer_before, predicted[before], predicted[position])
    return Tiling(
        starts=starts,
        window_of_frame=predicted_window[nearest],
        step_of_frame=predicted_step[nearest],
        filled=filled,
    )


def windows_at(frames: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """``(n_windows, length, n_channels)`` windows of ``frames`` beginning at ``starts``."""
    if length < 1:
        raise UsageError(f"Window length must be at least 1. Got {length}.")
    index = np.asarray(starts)[:, None] + np.arange(length)[None, :]
    return np.asarray(frames, dtype=np.float32)[index]
