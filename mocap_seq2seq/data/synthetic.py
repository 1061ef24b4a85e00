"""Seeded piecewise motion with known actions and boundaries, for tests and demos.

Each *action* is an oscillation pattern: a few sinusoids with periods that no
other action uses, mixed into the channels by an action-specific matrix and
added to an action-specific mean pose. A sequence is a run of segments, each
performing one action, with no two neighbouring segments sharing an action,
so every boundary is a true change. Both a segmenter (which sees distinct
distributions) and a seq2seq model (which can learn to continue each
oscillation) can recover the actions, and the answer is known exactly.

:func:`unlike_takes_motion` is built to trip a segmenter told the true
numbers: a short action performed twice in two takes whose postures differ
more than two long different actions do (what the CMU concatenations show).

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


def _check_count(value: object, name: str, minimum: int, owner: str = "piecewise_motion") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise UsageError(
            f"The '{name}' of {owner} must be a whole number >= {minimum}. Got {value!r}.",
            fix=f"Pass an integer {name} of at least {minimum}.",
        )
    return int(value)


def _check_level(value: object, name: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise UsageError(f"The '{name}' of {owner} must be a number >= 0. Got {value!r}.")
    if not np.isfinite(value) or value < 0:
        raise UsageError(f"The '{name}' of {owner} must be a finite number >= 0. Got {value!r}.")
    return float(value)


@dataclass(frozen=True)
class _ActionPatterns:
    """Every action's own periods (no two actions share one), channel mixture and mean pose."""

    periods: np.ndarray  # (n_actions, COMPONENTS_PER_ACTION)
    phases: np.ndarray  # (n_actions, COMPONENTS_PER_ACTION)
    mixtures: np.ndarray  # (n_actions, COMPONENTS_PER_ACTION, n_channels)
    means: np.ndarray  # (n_actions, n_channels)

    @classmethod
    def draw(cls, rng: np.random.Generator, n_actions: int, n_channels: int) -> _ActionPatterns:
        n_components = COMPONENTS_PER_ACTION
        periods = rng.permutation(np.geomspace(*PERIOD_RANGE, n_components * n_actions))
        return cls(
            periods=periods.reshape(n_actions, n_components),
            phases=rng.uniform(0, 2 * np.pi, size=(n_actions, n_components)),
            mixtures=rng.normal(size=(n_actions, n_components, n_channels)) / np.sqrt(n_components),
            means=rng.normal(scale=0.5, size=(n_actions, n_channels)),
        )

    def render(self, labels: np.ndarray) -> np.ndarray:
        """float64 frames ``(n_frames, n_channels)``, each its action's pattern at that time."""
        time = np.arange(labels.size, dtype=np.float64)[:, None]
        frames = np.empty((labels.size, self.means.shape[1]), dtype=np.float64)
        for action in range(self.means.shape[0]):
            rows = labels == action
            waves = np.sin(2 * np.pi * time[rows] / self.periods[action] + self.phases[action])
            frames[rows] = waves @ self.mixtures[action] + self.means[action]
        return frames


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

    patterns = _ActionPatterns.draw(rng, n_actions, n_channels)
    frames = patterns.render(labels)
    frames += rng.normal(scale=noise, size=frames.shape) if noise > 0 else 0.0
    return SyntheticMotion(
        frames=frames.astype(np.float32),
        labels=labels,
        boundaries=labels_to_boundaries(labels),
        segment_actions=segment_actions,
    )


#: Share of the frames of each of the two short segments of :func:`unlike_takes_motion`.
UNLIKE_TAKES_SHORT_SHARE = 0.04
#: Spread of the posture difference between the two long actions of
#: :func:`unlike_takes_motion` (the mean poses of its other actions spread 0.5).
UNLIKE_TAKES_LONG_SPREAD = 0.6


def unlike_takes_motion(
    *,
    n_frames: int = 3000,
    n_channels: int = 12,
    take_offset: float = 3.0,
    noise: float = 0.1,
    seed: int = 0,
) -> SyntheticMotion:
    """Five segments A B C B A: B short and performed in two unlike takes, A and C long and alike.

    Made to trip a segmenter told the true numbers (3 actions, 5 segments),
    as CMU concatenation washwindow, walking, directing_traffic, walking,
    washwindow does: the two walks, two takes of about 300 frames each, differ
    in pose more than washwindow and directing_traffic do. Here action B's
    second take is its first shifted by ``take_offset`` along a random
    direction of the channels (another performer's posture), and C's mean
    pose is A's moved by a little (:data:`UNLIKE_TAKES_LONG_SPREAD` a channel),
    so that by distance alone the two long actions are the closest pair of
    different segments. Each B is :data:`UNLIKE_TAKES_SHORT_SHARE` of the
    frames; A, C and the second A share the rest equally. Both A segments are
    one take. Patterns as in :func:`piecewise_motion`.

    Args:
        n_frames: total frames, at least 500. Defaults to 3000.
        n_channels: channels per frame. Defaults to 12.
        take_offset: length of the posture shift between B's two takes, ``>= 0``
            (the frames are about unit scale per channel). Defaults to 3.
        noise: standard deviation of the added Gaussian noise, ``>= 0``. Defaults to 0.1.
        seed: seed of every random choice. Defaults to 0.

    Returns:
        A :class:`SyntheticMotion` with actions A = 0, B = 1, C = 2.

    Example:
    >>> motion = unlike_takes_motion(seed=1)
    >>> motion.segment_actions.tolist(), motion.n_frames
    ([0, 1, 2, 1, 0], 3000)
    >>> np.diff(np.concatenate([[0], motion.boundaries, [3000]])).tolist()
    [920, 120, 920, 120, 920]
    """
    owner = "unlike_takes_motion"
    n_frames = _check_count(n_frames, "n_frames", 500, owner)
    n_channels = _check_count(n_channels, "n_channels", 1, owner)
    take_offset = _check_level(take_offset, "take_offset", owner)
    noise = _check_level(noise, "noise", owner)
    rng = np.random.default_rng(seed)
    segment_actions = np.array([0, 1, 2, 1, 0], dtype=np.int64)
    short = int(round(UNLIKE_TAKES_SHORT_SHARE * n_frames))
    long = (n_frames - 2 * short) // 3
    lengths = np.array([long, short, long, short, n_frames - 2 * long - 2 * short])
    labels = np.repeat(segment_actions, lengths)
    patterns = _ActionPatterns.draw(rng, 3, n_channels)
    patterns.means[2] = patterns.means[0] + rng.normal(
        scale=UNLIKE_TAKES_LONG_SPREAD, size=n_channels
    )
    frames = patterns.render(labels)
    direction = rng.normal(size=n_channels)
    second_take = np.repeat([False, False, False, True, False], lengths)
    frames[second_take] += take_offset * direction / np.linalg.norm(direction)
    frames += rng.normal(scale=noise, size=frames.shape) if noise > 0 else 0.0
    return SyntheticMotion(
        frames=frames.astype(np.float32),
        labels=labels,
        boundaries=labels_to_boundaries(labels),
        segment_actions=segment_actions,
    )
