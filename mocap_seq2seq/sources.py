"""Which sequence a command works on, described as JSON and rebuilt from it.

A run stores the description of what it learned (a subject-86 trial, or a
case-(i) recipe) together with the SHA-256 of the data file, so that ``embed``
and ``evaluate`` rebuild the very same frames later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from mocap_seq2seq.concatenation import Recipe, build_concatenation, concatenate_actions
from mocap_seq2seq.errors import DataFileError, UsageError
from mocap_seq2seq.features import ROOT_ORIENTATION_COLUMNS, unwrap_expmap
from mocap_seq2seq.labels import labels_to_boundaries, labels_to_segments
from mocap_seq2seq.paths import resolve_data_dir
from mocap_seq2seq.store import SUBJECT86_FILE, file_digest, load_trial

#: Root-position channels of both CMU formats (117-channel takes, 96-channel trials).
ROOT_POSITION_COLUMNS = (0, 1, 2)
#: Tolerance, in frames, for a detected boundary in case (i), where no
#: annotated window exists: the truth plus or minus this many frames.
CASE_I_TOLERANCE = 25


@dataclass(frozen=True)
class SequenceSource:
    """Frames plus what is known about them, and how to find them again.

    ``labels``, ``segment_bounds`` and ``tolerance_windows`` are the ground
    truth: only ``evaluate`` and the explicit paper protocol may look at them.
    """

    name: str
    description: dict[str, Any]
    frames: np.ndarray
    frame_rate: float | None
    labels: np.ndarray | None
    action_names: tuple[str, ...]
    tolerance_windows: np.ndarray | None
    root_columns: tuple[int, ...] = ()

    @property
    def segment_bounds(self) -> np.ndarray | None:
        if self.labels is None:
            return None
        return np.array([(start, end) for start, end, _ in labels_to_segments(self.labels)])


def trial_source(
    trial: str | int, data_dir: str | os.PathLike[str] | None = None
) -> SequenceSource:
    """A subject-86 trial."""
    sequence = load_trial(trial, data_dir)
    frames, segments = sequence.frames, sequence.segments
    if frames is None or segments is None:  # load_trial refuses these; narrows the types
        raise DataFileError(f"Trial {sequence.name} has no frames or no segments.")
    path = resolve_data_dir(data_dir) / SUBJECT86_FILE
    return SequenceSource(
        name=f"trial {sequence.name}",
        description={
            "kind": "trial",
            "trial": sequence.name,
            "data_file": SUBJECT86_FILE,
            "data_sha256": file_digest(path),
        },
        frames=unwrap_expmap(frames, ROOT_ORIENTATION_COLUMNS).astype(np.float32),
        frame_rate=sequence.frame_rate,
        labels=sequence.labels,
        action_names=sequence.action_names,
        tolerance_windows=segments.tolerance_windows(),
        root_columns=ROOT_POSITION_COLUMNS,
    )


def concatenation_source(
    *,
    actions: list[str] | None = None,
    n_actions: int | None = None,
    n_pieces: int | None = None,
    seed: int = 0,
    chunk_length: int | None = None,
    drop_root: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
) -> SequenceSource:
    """A seeded case-(i) concatenation (see :mod:`mocap_seq2seq.concatenation`)."""
    built = concatenate_actions(
        actions=actions,
        n_actions=n_actions,
        n_pieces=n_pieces,
        seed=seed,
        chunk_length=chunk_length,
        drop_root=drop_root,
        data_dir=data_dir,
    )
    return _from_concatenation(built)


def _from_concatenation(built: Any) -> SequenceSource:
    boundaries = labels_to_boundaries(built.labels)
    windows = np.stack([boundaries - CASE_I_TOLERANCE, boundaries + CASE_I_TOLERANCE], axis=1)
    pieces = "+".join(piece.action for piece in built.recipe.pieces)
    return SequenceSource(
        name=f"actions {pieces}",
        description={"kind": "concatenation", "recipe": built.recipe.to_dict()},
        frames=built.frames,
        frame_rate=None,
        labels=built.labels,
        action_names=built.action_names,
        tolerance_windows=windows.reshape(-1, 2),
        root_columns=() if built.recipe.drop_root else ROOT_POSITION_COLUMNS,
    )


def source_from_description(
    description: dict[str, Any], data_dir: str | os.PathLike[str] | None = None
) -> SequenceSource:
    """Rebuild the sequence a run was trained on, checking the data did not change."""
    kind = description.get("kind")
    if kind == "trial" and "trial" in description:
        source = trial_source(description["trial"], data_dir)
        stored = description.get("data_sha256")
    elif kind == "concatenation":
        try:
            recipe = Recipe.from_dict(description["recipe"])
        except (KeyError, TypeError) as error:
            raise DataFileError(
                f"The run's case-(i) recipe is damaged or from another version ({error}).",
                "a recipe written by `mocap train --actions`",
                "Pass --actions explicitly, or train again.",
            ) from None
        source = _from_concatenation(build_concatenation(recipe, data_dir))
        stored = recipe.data_sha256
        path = resolve_data_dir(data_dir) / recipe.data_file
        if stored and file_digest(path) != stored:
            raise DataFileError(
                f"'{path}' differs from the data the run was trained on.",
                "the data file with the stored SHA-256",
                "Use the data folder the run was trained with.",
            )
        return source
    else:
        raise UsageError(
            f"The run does not say which sequence it learned (kind {kind!r}).",
            "a run trained on a trial or on --actions",
            "Pass --trial or --actions explicitly.",
        )
    if stored and source.description["data_sha256"] != stored:
        raise DataFileError(
            f"The data file of {source.name} differs from the one the run was trained on.",
            "the data file with the stored SHA-256",
            "Use the data folder the run was trained with.",
        )
    return source
