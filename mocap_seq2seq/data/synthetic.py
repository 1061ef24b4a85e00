"""Seeded piecewise motion with known actions and boundaries, for tests and demos.

Each *action* is an oscillation pattern: a few sinusoids with periods that no
other action uses, mixed into the channels by an action-specific matrix and
added to an action-specific mean pose. A sequence is a run of segments, each
performing one action, with no two neighbouring segments sharing an action,
so every boundary is a true change. Both a segmenter (which sees distinct
distributions) and a seq2seq model (which can learn to continue each
oscillation) can recover the actions, and the answer is known exactly.

Conventions as in :mod:`mocap_seq2seq.labels`: frames first, one integer label
per frame (actions are numbered 0..n_actions-1), a boundary is the 0-based
first frame of a new segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.labels import labels_to_boundaries

#: Number of sinusoids that make up one action's pattern.
COMPONENTS_PER_ACTION = 3
#: Shortest and longest oscillation period, in frames.
PERIOD_RANGE = (12.0, 90.0)


@dataclass(frozen=True)
class SyntheticMotion:
    """A synthetic sequence and its answer.

    Attributes:
        frames: float32 array of shape ``(n_frames, n_channels)``.
        labels: int64 action of every frame, shape ``(n_frames,)``.
        boundaries: int64 first frames of segments 1..n_segments-1, shape ``(n_segments - 1,)``.
        segment_actions: int64 action of every segment, shape ``(n_segments,)``.
    """

    frames: np.ndarray
    labels: np.ndarray
    boundaries: np.ndarray
    segment_actions: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def n_segments(self) -> int:
        return int(self.segment_actions.size)

    @property
    def n_actions(self) -> int:
        return int(np.unique(self.labels).size)


def _check_count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise UsageError(
            f"The '{name}' of piecewise_motion must be a whole number >= {minimum}. Got {value!r}.",
            fix=f"Pass an integer {name} of at least {minimum}.",
        )
    return int(value)


def piecewise_motion(
    *,
    n_segments: int = 6,
    n_actions: int = 3,
    n_channels: int = 12,
    n_frames: int = 600,
    noise: float = 0.1,
    seed: int = 0,
) -> SyntheticMotion:
    """Make a seeded sequence of segments, each one of ``n_actions`` oscillation patterns.

    Every action appears at least once (the first ``n_actions`` segments are
    a random order of all actions) and neighbouring segments always differ.
    Segment lengths vary randomly around ``n_frames / n_segments``, the
    shortest being at least half the average. The frames are roughly unit
    scale, so ``noise`` is a noise-to-signal ratio.

    Args:
        n_segments: number of segments, ``>= n_actions``. Defaults to 6.
        n_actions: number of distinct actions, ``>= 2`` when there is more than one segment.
            Defaults to 3.
        n_channels: channels per frame. Defaults to 12.
        n_frames: total frames, at least 10 per segment. Defaults to 600.
        noise: standard deviation of the added Gaussian noise, ``>= 0``. Defaults to 0.1.
        seed: seed of every random choice; equal seeds give equal sequences. Defaults to 0.

    Returns:
        A :class:`SyntheticMotion`.

    Example:
    >>> motion = piecewise_motion(n_segments=4, n_actions=2, n_frames=200, seed=1)
    >>> motion.frames.shape, motion.frames.dtype, motion.boundaries.size
    ((200, 12), dtype('float32'), 3)
    >>> bool(np.all(motion.segment_actions[1:] != motion.segment_actions[:-1]))
    True
    """
    n_segments = _check_count(n_segments, "n_segments", 1)
    n_actions = _check_count(n_actions, "n_actions", 1)
    n_channels = _check_count(n_channels, "n_channels", 1)
    n_frames = _check_count(n_frames, "n_frames", 1)
    if n_actions > n_segments:
        raise UsageError(
            f"piecewise_motion cannot show {n_actions} actions in {n_segments} segments.",
            "n_actions <= n_segments",
            "Pass more segments or fewer actions.",
        )
    if n_segments > 1 and n_actions < 2:
        raise UsageError(
            f"piecewise_motion needs at least 2 actions for {n_segments} segments, "
            "because neighbouring segments must differ. Got 1.",
            fix="Pass n_actions=2 or more, or n_segments=1.",
        )
    if n_frames < 10 * n_segments:
        raise UsageError(
            f"The 'n_frames' of piecewise_motion must be at least 10 per segment "
            f"({10 * n_segments}). Got {n_frames}.",
            fix="Pass more frames or fewer segments.",
        )
    if not np.isfinite(noise) or noise < 0:
        raise UsageError(
            f"The 'noise' of piecewise_motion must be a finite number >= 0. Got {noise!r}.",
        )
    rng = np.random.default_rng(seed)

    # Actions: the first n_actions segments show every action once, the rest
    # are drawn among the actions that differ from the previous segment.
    actions = list(rng.permutation(n_actions))
    for _ in range(n_segments - n_actions):
        choices = [a for a in range(n_actions) if a != actions[-1]]
        actions.append(int(rng.choice(choices)))
    segment_actions = np.asarray(actions, dtype=np.int64)

    # Lengths: half of the frames shared equally, half by random weights.
    base = n_frames // (2 * n_segments)
    extra = rng.multinomial(n_frames - base * n_segments, rng.dirichlet(np.full(n_segments, 4.0)))
    lengths = base + extra
    labels = np.repeat(segment_actions, lengths)

    # Patterns: every action gets its own periods (no two actions share one),
    # its own channel mixture and its own mean pose.
    n_components = COMPONENTS_PER_ACTION
    periods = rng.permutation(np.geomspace(*PERIOD_RANGE, n_components * n_actions))
    periods = periods.reshape(n_actions, n_components)
    phases = rng.uniform(0, 2 * np.pi, size=(n_actions, n_components))
    mixtures = rng.normal(size=(n_actions, n_components, n_channels)) / np.sqrt(n_components)
    means = rng.normal(scale=0.5, size=(n_actions, n_channels))

    time = np.arange(n_frames, dtype=np.float64)[:, None]
    frames = np.empty((n_frames, n_channels), dtype=np.float64)
    for action in range(n_actions):
        rows = labels == action
        waves = np.sin(2 * np.pi * time[rows] / periods[action] + phases[action])
        frames[rows] = waves @ mixtures[action] + means[action]
    frames += rng.normal(scale=noise, size=frames.shape) if noise > 0 else 0.0
    return SyntheticMotion(
        frames=frames.astype(np.float32),
        labels=labels,
        boundaries=labels_to_boundaries(labels),
        segment_actions=segment_actions,
    )
