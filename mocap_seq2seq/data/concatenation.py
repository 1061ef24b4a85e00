"""Case (i): a seeded random concatenation of single-action takes.

The recipe (which take, which frames, in which order, with which seed) is
stored with a run instead of the frames, together with the SHA-256 of the data
file, so that ``embed`` and ``evaluate`` rebuild the very same sequence.

Joining raw takes makes the root position jump by tens of units at every
join, which a change-point method would find for free. Each piece's root
position is therefore re-based to continue where the previous piece ended;
``drop_root`` removes the root-position channels altogether (a variant the
benchmarks report).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from mocap_seq2seq.data.store import ACTIONS_FILE, file_digest, read_sequence, take_index
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.motion.features import ROOT_POSITION_COLUMNS
from mocap_seq2seq.paths import resolve_data_dir


@dataclass(frozen=True)
class Piece:
    """Frames ``start..end-1`` of take ``take`` of ``action``."""

    action: str
    take: int
    start: int
    end: int


@dataclass(frozen=True)
class Recipe:
    """Everything needed to rebuild a concatenation, and nothing of its frames.

    ``data_file`` is a file name inside the data folder (the shipped takes) or
    an absolute path (a collection converted by the user, ``--data FILE``).
    """

    pieces: tuple[Piece, ...]
    seed: int
    rebase_root: bool = True
    drop_root: bool = False
    chunk_length: int | None = None
    data_file: str = ACTIONS_FILE
    data_sha256: str = ""
    action_names: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        values = asdict(self)
        values["pieces"] = [asdict(piece) for piece in self.pieces]
        values["action_names"] = list(self.action_names)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> Recipe:
        values = dict(values)
        values["pieces"] = tuple(Piece(**piece) for piece in values["pieces"])
        values["action_names"] = tuple(values.get("action_names", ()))
        return cls(**values)


@dataclass(frozen=True)
class Concatenation:
    """A built case-(i) sequence: frames, per-frame labels and the recipe."""

    frames: np.ndarray
    labels: np.ndarray
    action_names: tuple[str, ...]
    recipe: Recipe

    @property
    def boundaries(self) -> np.ndarray:
        lengths = [piece.end - piece.start for piece in self.recipe.pieces]
        return np.cumsum(lengths)[:-1]


def parse_actions(text: str, available: list[str]) -> list[str]:
    """Split ``"walking,running"`` into actions, refusing empty, unknown and duplicated names.

    Example:
    >>> parse_actions("walking, running", ["running", "walking"])
    ['walking', 'running']
    """
    names = [name.strip() for name in text.split(",")]
    if not text.strip() or any(not name for name in names):
        raise UsageError(
            f"--actions {text!r} names an empty action.",
            "comma-separated action names, e.g. walking,running",
        )
    unknown = [name for name in names if name not in available]
    if unknown:
        raise UsageError(
            f"Unknown action '{unknown[0]}'.",
            f"one of {', '.join(available)}",
            "Run `mocap info` to list the actions (`mocap info --data FILE` for a file of "
            "your own).",
        )
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise UsageError(
            f"--actions names '{duplicated[0]}' twice.",
            "each action once (use --total-num-actions to repeat actions)",
        )
    return names


def make_recipe(
    takes: dict[str, list[tuple[int, int]]],
    *,
    actions: list[str] | None = None,
    n_actions: int | None = None,
    n_pieces: int | None = None,
    seed: int = 0,
    chunk_length: int | None = None,
    rebase_root: bool = True,
    drop_root: bool = False,
    data_sha256: str = "",
) -> Recipe:
    """Choose actions, then takes and their order, all seeded; no two neighbours share an action.

    Args:
        takes: action -> list of ``(take number, n_frames)`` (from the catalogue).
        actions: the distinct actions to use; default ``n_actions`` drawn at random.
        n_actions: how many distinct actions to draw when ``actions`` is not given.
        n_pieces: total pieces (actions may repeat, never back to back);
            default one piece per action.
        seed: the random seed of every choice.
        chunk_length: use a random chunk of this many frames from each take
            instead of the whole take (takes shorter than it are used whole).
        rebase_root: continue each piece's root position from the previous one.
        drop_root: remove the root-position channels.
        data_sha256: hash of the data file the takes come from.

    Example:
    >>> catalogue = {"walking": [(1, 100), (2, 90)], "running": [(1, 50)]}
    >>> recipe = make_recipe(catalogue, actions=["walking", "running"], n_pieces=3, seed=0)
    >>> [piece.action for piece in recipe.pieces]
    ['walking', 'running', 'walking']
    """
    rng = np.random.default_rng(seed)
    available = sorted(takes)
    if actions is None:
        count = len(available) if n_actions is None else n_actions
        if not 1 <= count <= len(available):
            raise UsageError(
                f"--num-actions must be between 1 and {len(available)}. Got {count}.",
            )
        actions = [available[i] for i in rng.permutation(len(available))[:count]]
    n_pieces = len(actions) if n_pieces is None else n_pieces
    if n_pieces < len(actions):
        raise UsageError(
            f"--total-num-actions ({n_pieces}) is smaller than the number of distinct "
            f"actions ({len(actions)}).",
            f"at least {len(actions)} pieces",
        )
    if len(actions) == 1 and n_pieces > 1:
        raise UsageError(
            "One action cannot be repeated without two neighbours sharing it.",
            "at least two distinct actions for several pieces",
        )
    # Every action once in a random order, then each further piece drawn
    # among the actions other than the one just before it.
    order = [actions[i] for i in rng.permutation(len(actions))]
    while len(order) < n_pieces:
        choices = [action for action in actions if action != order[-1]]
        order.append(choices[int(rng.integers(0, len(choices)))])
    pieces = []
    for action in order:
        take, n_frames = takes[action][int(rng.integers(0, len(takes[action])))]
        start, end = 0, n_frames
        if chunk_length is not None and n_frames > chunk_length:
            start = int(rng.integers(0, n_frames - chunk_length + 1))
            end = start + chunk_length
        pieces.append(Piece(action, int(take), start, end))
    names = tuple(dict.fromkeys(piece.action for piece in pieces))
    return Recipe(
        pieces=tuple(pieces),
        seed=seed,
        rebase_root=rebase_root,
        drop_root=drop_root,
        chunk_length=chunk_length,
        data_sha256=data_sha256,
        action_names=names,
    )


def recipe_data_path(recipe: Recipe, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The collection file a recipe's takes come from."""
    path = Path(recipe.data_file)
    return path if path.is_absolute() else Path(resolve_data_dir(data_dir)) / path


def build_concatenation(
    recipe: Recipe, data_dir: str | os.PathLike[str] | None = None
) -> Concatenation:
    """Rebuild the frames and labels a recipe describes."""
    path = recipe_data_path(recipe, data_dir)
    index = take_index(path)
    parts, labels = [], []
    previous_end: np.ndarray | None = None
    for piece in recipe.pieces:
        name = index.get((piece.action, piece.take))
        if name is None:
            raise UsageError(
                f"The recipe's take {piece.take} of '{piece.action}' is not in '{path}'."
            )
        frames = read_sequence(path, name).frames[piece.start : piece.end].astype(np.float64)
        columns = list(ROOT_POSITION_COLUMNS)
        if recipe.rebase_root:
            if previous_end is not None:
                frames[:, columns] += previous_end - frames[0, columns]
            previous_end = frames[-1, columns].copy()
        parts.append(frames)
        labels.append(np.full(len(frames), recipe.action_names.index(piece.action)))
    frames = np.concatenate(parts).astype(np.float32)
    if recipe.drop_root:
        frames = np.delete(frames, list(ROOT_POSITION_COLUMNS), axis=1)
    return Concatenation(
        frames, np.concatenate(labels).astype(np.int64), recipe.action_names, recipe
    )


def concatenate_actions(
    *,
    actions: list[str] | None = None,
    n_actions: int | None = None,
    n_pieces: int | None = None,
    seed: int = 0,
    chunk_length: int | None = None,
    rebase_root: bool = True,
    drop_root: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    data_file: str | os.PathLike[str] | None = None,
) -> Concatenation:
    """Draw a recipe and build it (see :func:`make_recipe`).

    The takes come from the shipped CMU collection, or from ``data_file``, any
    collection with single-action takes (a converted Human3.6M folder, say).
    """
    from mocap_seq2seq.data.store import takes_catalogue

    if data_file is not None:
        path = Path(data_file).resolve()
        stored_name = str(path)
    else:
        path = Path(resolve_data_dir(data_dir)) / ACTIONS_FILE
        stored_name = ACTIONS_FILE
    takes = takes_catalogue(path)
    if not takes:
        raise UsageError(
            f"'{path}' holds no single-action takes to concatenate.",
            "sequences with an action and a take number",
            "Convert a Human3.6M folder, or convert files with --action.",
        )
    recipe = make_recipe(
        takes,
        actions=actions,
        n_actions=n_actions,
        n_pieces=n_pieces,
        seed=seed,
        chunk_length=chunk_length,
        rebase_root=rebase_root,
        drop_root=drop_root,
        data_sha256=file_digest(path),
    )
    return build_concatenation(replace(recipe, data_file=stored_name), data_dir)
