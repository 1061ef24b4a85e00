"""Which sequence a command works on, described as JSON and rebuilt from it.

A run stores the description of what it learned (a subject-86 trial, or a
case-(i) recipe) together with the SHA-256 of the data file, so that ``embed``
and ``evaluate`` rebuild the very same frames later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.data.concatenation import (
    Recipe,
    build_concatenation,
    concatenate_actions,
    recipe_data_path,
)
from mocap_seq2seq.data.store import (
    SUBJECT86_FILE,
    collection_frame_rate,
    file_digest,
    load_trial,
    read_sequence,
    read_skeleton,
    sequence_names,
)
from mocap_seq2seq.errors import DataFileError, UnknownNameError, UsageError
from mocap_seq2seq.labels import GroundTruth, WithGroundTruth
from mocap_seq2seq.motion.features import (
    ROOT_ORIENTATION_COLUMNS,
    ROOT_POSITION_COLUMNS,
    unwrap_expmap,
)
from mocap_seq2seq.motion.skeleton import Skeleton
from mocap_seq2seq.paths import resolve_data_dir
from mocap_seq2seq.units import check_frame_rate


@dataclass(frozen=True)
class SequenceSource(WithGroundTruth):
    """Frames plus what is known about them, and how to find them again.

    ``truth`` (and its views ``labels``, ``action_names``, ``tolerance_windows``
    and ``segment_bounds``) is the ground truth: only ``evaluate`` and the
    explicit paper protocol may look at it.
    """

    name: str
    description: dict[str, Any]
    frames: np.ndarray
    frame_rate: float | None
    truth: GroundTruth | None
    root_columns: tuple[int, ...] = ()
    skeleton: Skeleton | None = None


def _override(
    description: dict[str, Any], stored: float | None, frame_rate: float | None
) -> float | None:
    """The rate of a source: ``frame_rate`` (``--frame-rate``) over the stored one.

    An override is written into the ``description``, so that a run trained
    with it rebuilds its sequence at the same rate.
    """
    if frame_rate is None:
        return stored
    description["frame_rate"] = check_frame_rate(frame_rate)
    return description["frame_rate"]


def trial_source(
    trial: str | int,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    frame_rate: float | None = None,
) -> SequenceSource:
    """A subject-86 trial (``frame_rate`` overrides its stored 120 fps)."""
    sequence = load_trial(trial, data_dir)
    frames, segments = sequence.frames, sequence.segments
    if frames is None or segments is None:  # load_trial refuses these; narrows the types
        raise DataFileError(f"Trial {sequence.name} has no frames or no segments.")
    path = resolve_data_dir(data_dir) / SUBJECT86_FILE
    description = {
        "kind": "trial",
        "trial": sequence.name,
        "data_file": SUBJECT86_FILE,
        "data_sha256": file_digest(path),
    }
    return SequenceSource(
        name=f"trial {sequence.name}",
        description=description,
        frames=unwrap_expmap(frames, ROOT_ORIENTATION_COLUMNS).astype(np.float32),
        frame_rate=_override(description, sequence.frame_rate, frame_rate),
        truth=GroundTruth(sequence.labels, sequence.action_names, segments.tolerance_windows()),
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
    data_file: str | os.PathLike[str] | None = None,
    frame_rate: float | None = None,
) -> SequenceSource:
    """A seeded case-(i) concatenation (see :mod:`mocap_seq2seq.data.concatenation`).

    The takes come from the shipped CMU data, or from ``data_file`` (any
    collection of single-action takes, e.g. a converted Human3.6M folder).
    ``frame_rate`` overrides the takes' stored rate.
    """
    built = concatenate_actions(
        actions=actions,
        n_actions=n_actions,
        n_pieces=n_pieces,
        seed=seed,
        chunk_length=chunk_length,
        drop_root=drop_root,
        data_dir=data_dir,
        data_file=data_file,
    )
    return _from_concatenation(built, data_dir, frame_rate)


def _from_concatenation(
    built: Any, data_dir: str | os.PathLike[str] | None, frame_rate: float | None = None
) -> SequenceSource:
    path = recipe_data_path(built.recipe, data_dir)
    description = {"kind": "concatenation", "recipe": built.recipe.to_dict()}
    rate = _override(description, collection_frame_rate(path), frame_rate)
    pieces = "+".join(piece.action for piece in built.recipe.pieces)
    return SequenceSource(
        name=f"actions {pieces}",
        description=description,
        frames=built.frames,
        frame_rate=rate,
        truth=GroundTruth.around_boundaries(built.labels, built.action_names, frame_rate=rate),
        root_columns=() if built.recipe.drop_root else ROOT_POSITION_COLUMNS,
        skeleton=None if built.recipe.drop_root else read_skeleton(path),
    )


def file_source(
    path: str | os.PathLike[str],
    sequence: str | None = None,
    *,
    frame_rate: float | None = None,
) -> SequenceSource:
    """One sequence of any collection file written by ``mocap convert`` (``--data FILE``).

    Every converted format uses the layout of the shipped data: root position
    in columns 0-2, root orientation as an exp map in 3-5 (unwrapped here, as
    for the subject-86 trials). Without ``sequence`` the file must hold one
    sequence with frames. Labels, when the file has them, are the ground truth;
    boundary tolerance windows come from the file, else plus or minus
    :data:`~mocap_seq2seq.labels.TOLERANCE_SECONDS` at the sequence's rate
    (``frame_rate``, the ``--frame-rate`` override, else the stored one).
    """
    path = Path(path).resolve()
    names = sequence_names(path)
    if sequence is None:
        with_frames = sequence_names(path, with_frames=True)
        if len(with_frames) != 1:
            raise UsageError(
                f"'{path.name}' holds {len(with_frames)} sequences with frames; say which one.",
                f"--sequence NAME, one of {', '.join(with_frames[:20])}"
                + (" ..." if len(with_frames) > 20 else ""),
            )
        sequence = with_frames[0]
    if sequence not in names:
        raise UnknownNameError(
            f"Unknown sequence '{sequence}' in '{path.name}'.",
            f"one of {', '.join(names[:20])}" + (" ..." if len(names) > 20 else ""),
            f"Run `mocap info --data {path.name}` to list them.",
        )
    found = read_sequence(path, sequence)
    frames = found.frames
    if frames is None:  # read_sequence refuses it; narrows the type
        raise DataFileError(f"'{sequence}' has no frames.")
    skeleton = read_skeleton(path)
    description = {
        "kind": "file",
        "data_file": str(path),
        "sequence": sequence,
        "data_sha256": file_digest(path),
    }
    rate = _override(description, found.frame_rate, frame_rate)
    if frames.shape[1] >= 6:
        frames = unwrap_expmap(frames, ROOT_ORIENTATION_COLUMNS)
    truth = None
    if found.labels is not None:
        if found.segments is not None and np.all(found.segments.earliest[:-1] >= 0):
            truth = GroundTruth(
                found.labels, found.action_names, found.segments.tolerance_windows()
            )
        else:
            truth = GroundTruth.around_boundaries(found.labels, found.action_names, frame_rate=rate)
    return SequenceSource(
        name=sequence,
        description=description,
        frames=np.asarray(frames, dtype=np.float32),
        frame_rate=rate,
        truth=truth,
        root_columns=ROOT_POSITION_COLUMNS if frames.shape[1] >= 3 else (),
        skeleton=skeleton,
    )


def source_from_description(
    description: dict[str, Any],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    frame_rate: float | None = None,
) -> SequenceSource:
    """Rebuild the sequence a run was trained on, checking the data did not change.

    Its rate is ``frame_rate`` if given, else the one the run was given
    (``--frame-rate`` at training), else the stored one.
    """
    kind = description.get("kind")
    rate = frame_rate if frame_rate is not None else description.get("frame_rate")
    if kind == "trial" and "trial" in description:
        source = trial_source(description["trial"], data_dir, frame_rate=rate)
        stored = description.get("data_sha256")
    elif kind == "file" and "data_file" in description:
        source = file_source(description["data_file"], description.get("sequence"), frame_rate=rate)
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
        source = _from_concatenation(build_concatenation(recipe, data_dir), data_dir, rate)
        stored = recipe.data_sha256
        path = recipe_data_path(recipe, data_dir)
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
