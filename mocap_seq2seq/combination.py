"""Seed ensembles' states made one: combinations, and the members' per-frame agreement.

Plain arrays in, plain arrays out (numpy only, no Keras, no files), so the
command line can list :data:`COMBINATIONS` without loading the model stack;
:func:`mocap_seq2seq.embedding.embed_run` applies them to a trained ensemble.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mocap_seq2seq.errors import UnknownNameError


def scaled_concatenation(member_states: list[np.ndarray]) -> np.ndarray:
    """Each member's states divided by their total standard deviation, side by side.

    Members trained with other seeds have their own units and scales; scaled
    to one total variance each, every member weighs the same in the distances
    between frames (a Gaussian kernel on the result is the product of the
    members' kernels at one common width).

    Args:
        member_states: N arrays ``(n_frames, hidden_size_m)``.

    Returns:
        ``(n_frames, sum of hidden_size_m)`` float32.

    Example:
    >>> a, b = np.array([[0.0], [2.0]]), np.array([[0.0], [20.0]])
    >>> scaled_concatenation([a, b]).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    scaled = []
    for states in member_states:
        centred = np.asarray(states, dtype=np.float64) - np.mean(states, axis=0)
        total = float(np.sqrt(np.sum(np.var(centred, axis=0))))
        scaled.append(centred / total if total > 0 else centred)
    return np.concatenate(scaled, axis=1).astype(np.float32)


@dataclass(frozen=True)
class Combination:
    """A way to make one embedding of the states of N ensemble members."""

    name: str
    help: str
    combine: Callable[[list[np.ndarray]], np.ndarray]


#: Ways to combine an ensemble's states, by name (``mocap embed --combination``).
COMBINATIONS: dict[str, Combination] = {
    item.name: item
    for item in (
        Combination(
            "concat",
            "each member's states scaled to unit total standard deviation, concatenated",
            scaled_concatenation,
        ),
    )
}
#: Chosen on bench/ensembles.py (README "Seed ensembles").
DEFAULT_COMBINATION = "concat"
#: Neighbours per frame compared across members by :func:`member_agreement`.
AGREEMENT_NEIGHBOURS = 10
#: Frames (evenly spaced) searched for those neighbours: bounds the cost on long sequences.
AGREEMENT_CANDIDATES = 2000


def combine_states(
    member_states: list[np.ndarray], combination: str = DEFAULT_COMBINATION
) -> np.ndarray:
    """The :data:`COMBINATIONS` entry ``combination`` applied to N members' states."""
    if combination not in COMBINATIONS:
        raise UnknownNameError(
            f"Unknown combination '{combination}'.", f"one of {', '.join(COMBINATIONS)}"
        )
    return COMBINATIONS[combination].combine(member_states)


def _neighbours(states: np.ndarray, candidates: np.ndarray, k: int, exclude: int) -> np.ndarray:
    """Indices into ``candidates`` of the ``k`` nearest of each frame, beyond ``exclude`` frames."""
    points = np.asarray(states, dtype=np.float32)
    chosen = points[candidates]
    chosen_norms = np.sum(chosen.astype(np.float64) ** 2, axis=1)
    result = np.empty((points.shape[0], k), dtype=np.int64)
    for start in range(0, points.shape[0], 1024):
        block = points[start : start + 1024]
        distances = (
            np.sum(block.astype(np.float64) ** 2, axis=1)[:, None]
            + chosen_norms[None, :]
            - 2.0 * (block @ chosen.T)
        )
        frames = np.arange(start, start + block.shape[0])
        distances[np.abs(frames[:, None] - candidates[None, :]) <= exclude] = np.inf
        result[start : start + block.shape[0]] = np.argpartition(distances, k - 1, axis=1)[:, :k]
    return np.sort(result, axis=1)


def member_agreement(
    member_states: list[np.ndarray],
    *,
    exclude: int = 25,
    n_neighbours: int = AGREEMENT_NEIGHBOURS,
    n_candidates: int = AGREEMENT_CANDIDATES,
) -> np.ndarray:
    """How much N members agree, frame by frame, on which moments look alike: in [0, 1].

    For every frame and member, the ``n_neighbours`` frames closest in that
    member's state space (among ``n_candidates`` evenly spaced frames, not
    counting frames within ``exclude`` of it in time, which every member finds
    close); the agreement is the mean, over pairs of members, of the fraction
    of neighbours they share. 1: every member sees the same other moments as
    this one; near 0: the members disagree (the frame is where a seed's
    lottery shows). Uses no labels.

    Args:
        member_states: N >= 1 arrays ``(n_frames, width_m)``; one member gives all ones.
        exclude: frames either side not counted as neighbours. Defaults to 25.
        n_neighbours: neighbours per frame. Defaults to 10.
        n_candidates: frames searched. Defaults to 2000.

    Returns:
        ``(n_frames,)`` float32.

    Example:
    >>> states = np.random.default_rng(0).normal(size=(200, 4))
    >>> member_agreement([states, 3 * states]).min()
    np.float32(1.0)
    """
    n_frames = member_states[0].shape[0]
    candidates = np.unique(np.linspace(0, n_frames - 1, min(n_frames, n_candidates)).round())
    candidates = candidates.astype(np.int64)
    k = min(n_neighbours, candidates.size - (2 * exclude + 1))
    if len(member_states) < 2 or k < 1:
        return np.ones(n_frames, dtype=np.float32)
    sets = [_neighbours(states, candidates, k, exclude) for states in member_states]
    total = np.zeros(n_frames)
    pairs = 0
    for first in range(len(sets)):
        for second in range(first + 1, len(sets)):
            shared = (sets[first][:, :, None] == sets[second][:, None, :]).sum(axis=(1, 2))
            total += shared / k
            pairs += 1
    return (total / pairs).astype(np.float32)
