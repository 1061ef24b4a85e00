"""Run a trained predictor over a whole sequence: one decoder state per frame.

This is the only bridge from the network to the rest of the pipeline: what
comes out is plain arrays, which segmentation and metrics take without
knowing about Keras.

Convention (see :func:`mocap_seq2seq.model.windows.tile_windows`): target windows
tile the sequence with a stride of ``target_length``; a frame's embedding is
the decoder state of the step whose projection predicts it. The head (the
first ``source_length`` frames) and a tail shorter than one target window are
predicted by no window; they take the nearest predicted frame's state and are
flagged in ``filled``. Metrics run on all frames.

Embedding files (HDF5, written atomically)::

    /states     float32 (n_frames, hidden_size)
    /filled     bool (n_frames,)
    /pca        float32 (n_frames, 3), the first three principal components
    /agreement  float32 (n_frames,), optional: how much the members of a seed
                ensemble agree at each frame, in [0, 1] (:func:`member_agreement`)
    /poses      float32 (n_frames, n_channels), optional: the frames normalised as
                in training, for segmentations of the poses or of states and
                poses together (``--features``)
    /labels     int32 (n_frames,), optional ground truth (for evaluate only)
    /action_names, /tolerance_windows   names of the labels; earliest..latest
                frames of each true boundary (for evaluate only)
    attrs       source (JSON: which sequence), paper_protocol, source_length,
                target_length, run (the model it came from); an ensemble's
                metadata says ``ensemble``: members, member width, combination

Seed ensembles (:mod:`mocap_seq2seq.model.ensemble`): :func:`embed_run` embeds
the sequence with every member and combines their states by a
:data:`COMBINATIONS` entry (default :data:`DEFAULT_COMBINATION`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from mocap_seq2seq.atomic import atomic_hdf5, is_locked_by_a_writer, pause_for_tests
from mocap_seq2seq.combination import (
    COMBINATIONS,
    DEFAULT_COMBINATION,
    combine_states,
    member_agreement,
)
from mocap_seq2seq.errors import BusyError, DataFileError, OutputExistsError, WindowError
from mocap_seq2seq.labels import GroundTruth, WithGroundTruth
from mocap_seq2seq.model.windows import tile_windows, windows_at
from mocap_seq2seq.segment.projection import principal_components

EMBEDDING_LAYOUT = "mocap_seq2seq/embedding/1"

#: Windows made and predicted at a time by :func:`embed_frames` (rounded to whole batches).
_BLOCK_WINDOWS = 4096


@dataclass(frozen=True)
class Embedding(WithGroundTruth):
    """Frame-level decoder states of one sequence.

    Args:
        states: ``(n_frames, hidden_size)`` float32.
        filled: ``(n_frames,)`` bool, frames that borrowed a neighbour's state.
        pca: ``(n_frames, 3)`` projection for figures.
        agreement: ``(n_frames,)`` in [0, 1], the members' agreement at each
            frame (seed ensembles only; :func:`member_agreement`).
        poses: ``(n_frames, n_channels)`` float32, the frames normalised as in
            training (the first member's normalisation for an ensemble).
        metadata: JSON-able description (sequence, run, protocol).
        truth: the sequence's ground truth when known (never used to embed),
            for evaluation; ``labels``, ``action_names`` and
            ``tolerance_windows`` are its views.
    """

    states: np.ndarray
    filled: np.ndarray
    pca: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)
    truth: GroundTruth | None = None
    agreement: np.ndarray | None = None
    poses: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return int(self.states.shape[0])


def embed_frames(
    model: Any,
    normalized: np.ndarray,
    *,
    batch_size: int = 256,
    segment_bounds: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decoder state of every frame of a normalised sequence.

    Args:
        model: a seq2seq model (:func:`mocap_seq2seq.model.seq2seq.build_seq2seq`).
        normalized: ``(n_frames, n_channels)`` frames, normalised as in training.
        batch_size: windows per forward pass.
        segment_bounds: ``(n_segments, 2)``; tiles windows inside each
            ground-truth segment (the paper's protocol only).
        progress: called as ``progress(done, total)`` windows.

    Returns:
        ``states`` ``(n_frames, hidden_size)`` and ``filled`` ``(n_frames,)``.
    """
    from mocap_seq2seq.model.seq2seq import model_config, predict_poses_and_states

    config = model_config(model)
    source_length, target_length = config["source_length"], config["target_length"]
    n_frames = normalized.shape[0]
    if source_length + target_length > n_frames:
        # The model's window was fixed when it was trained: say so, not "pass a shorter one".
        raise WindowError(
            f"This model reads {source_length} + {target_length} frames a window; the "
            f"sequence has only {n_frames}.",
            f"a sequence of at least {source_length + target_length} frames",
            "Embed a longer sequence, or train a model with a shorter --source-length / "
            "--target-length.",
        )
    tiling = tile_windows(n_frames, source_length, target_length, segment_bounds)
    # Windows are made and predicted a block at a time, and each block's states go
    # straight to their frames: memory holds the frames and the states, not every
    # window's source and poses at once. A block is a whole number of batches, so
    # each forward pass sees the same batch as one call over all windows would.
    hidden_size = int(config["hidden_size"])
    states = np.empty((n_frames, hidden_size), dtype=np.float32)
    frames_by_window = np.argsort(tiling.window_of_frame, kind="stable")
    first_frame = np.searchsorted(
        tiling.window_of_frame[frames_by_window], np.arange(tiling.n_windows + 1)
    )
    n_windows = tiling.n_windows
    valid_batch = isinstance(batch_size, int) and batch_size > 0  # else predict's own error
    block = batch_size * max(1, _BLOCK_WINDOWS // batch_size) if valid_batch else n_windows
    for start in range(0, n_windows, block):
        stop = min(start + block, n_windows)
        starts = tiling.starts[start:stop]
        if n_windows > batch_size and stop - start < batch_size:
            # As predict_poses_and_states pads a short last batch (one traced shape).
            starts = np.concatenate([starts, np.repeat(starts[-1:], batch_size - starts.size)])
        source = windows_at(normalized, starts, source_length)

        def block_progress(done: int, _total: int, offset: int = start, end: int = stop) -> None:
            if progress is not None:
                progress(min(offset + done, end), n_windows)

        _, window_states = predict_poses_and_states(
            model, source, batch_size=batch_size, progress=block_progress
        )
        frames = frames_by_window[first_frame[start] : first_frame[stop]]
        states[frames] = window_states[
            tiling.window_of_frame[frames] - start, tiling.step_of_frame[frames]
        ]
    return states, tiling.filled


def write_embedding(
    path: str | os.PathLike[str], embedding: Embedding, *, overwrite: bool = False
) -> Path:
    """Write an embedding file atomically."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"'{path}' already exists.", fix="Pass --overwrite to replace it.")
    with atomic_hdf5(path) as handle:
        handle.attrs["layout"] = EMBEDDING_LAYOUT
        handle.attrs["metadata"] = json.dumps(embedding.metadata, sort_keys=True)
        handle.create_dataset("states", data=embedding.states, compression="gzip", shuffle=True)
        handle.create_dataset("filled", data=embedding.filled.astype(bool))
        handle.create_dataset("pca", data=embedding.pca.astype(np.float32))
        if embedding.agreement is not None:
            handle.create_dataset("agreement", data=embedding.agreement.astype(np.float32))
        if embedding.poses is not None:
            poses = np.asarray(embedding.poses, dtype=np.float32)
            handle.create_dataset("poses", data=poses, compression="gzip", shuffle=True)
        if embedding.labels is not None:
            handle.create_dataset("labels", data=embedding.labels.astype(np.int32))
            names = np.array(embedding.action_names, dtype=h5py.string_dtype("utf-8"))
            handle.create_dataset("action_names", data=names)
        if embedding.tolerance_windows is not None:
            windows = np.asarray(embedding.tolerance_windows, dtype=np.int64).reshape(-1, 2)
            handle.create_dataset("tolerance_windows", data=windows)
        # Test hook: hold the process with the temporary file open, before the rename.
        pause_for_tests("MOCAP_TEST_PAUSE_IN_EMBEDDING_WRITE")
    return path


def read_embedding(path: str | os.PathLike[str]) -> Embedding:
    """Read an embedding file, with one clear error for each way it can be bad."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(
            f"Embedding file '{path}' does not exist.",
            "a file written by `mocap embed`",
            "Run `mocap embed` first.",
        )
    try:
        with h5py.File(path, "r") as handle:
            if handle.attrs.get("layout") != EMBEDDING_LAYOUT:
                raise DataFileError(
                    f"'{path}' is HDF5 but not an embedding file.",
                    f"layout '{EMBEDDING_LAYOUT}'",
                    "Pass a file written by `mocap embed`.",
                )
            labels = handle["labels"][()].astype(np.int64) if "labels" in handle else None
            names = tuple(
                v.decode() if isinstance(v, bytes) else str(v)
                for v in (handle["action_names"][()] if "action_names" in handle else ())
            )
            embedding = Embedding(
                states=handle["states"][()],
                filled=handle["filled"][()].astype(bool),
                pca=handle["pca"][()],
                metadata=json.loads(handle.attrs.get("metadata", "{}")),
                agreement=handle["agreement"][()] if "agreement" in handle else None,
                poses=handle["poses"][()] if "poses" in handle else None,
                truth=None
                if labels is None
                else GroundTruth(
                    labels,
                    names,
                    handle["tolerance_windows"][()] if "tolerance_windows" in handle else None,
                ),
            )
    except DataFileError:
        raise
    except (OSError, KeyError, ValueError, TypeError, AttributeError) as error:
        if isinstance(error, OSError) and is_locked_by_a_writer(error):
            raise BusyError(
                f"'{path}' is open for writing in another process.",
                "an embedding file no other process is writing",
                "Wait for that process to finish (or close it), then try again.",
            ) from error
        raise DataFileError(
            f"'{path}' is not a readable embedding file (it may be truncated).",
            "a file written by `mocap embed`",
            "Run `mocap embed` again.",
        ) from error
    if not np.all(np.isfinite(embedding.states)):
        raise DataFileError(f"'{path}' holds NaN or infinite states.", fix="Embed again.")
    poses = embedding.poses
    if poses is not None:
        if poses.ndim != 2 or poses.shape[0] != embedding.n_frames:
            raise DataFileError(
                f"'{path}' holds poses of shape {poses.shape} for {embedding.n_frames:,} frames.",
                fix="Embed again.",
            )
        if not np.issubdtype(poses.dtype, np.floating) or not np.all(np.isfinite(poses)):
            raise DataFileError(
                f"'{path}' holds poses that are not finite numbers.", fix="Embed again."
            )
    return embedding


def embed_sequence(
    model: Any,
    normalization: Any,
    frames: np.ndarray,
    *,
    batch_size: int = 256,
    segment_bounds: np.ndarray | None = None,
    metadata: dict[str, Any] | None = None,
    truth: GroundTruth | None = None,
    progress: Callable[[int, int], None] | None = None,
    normalized: np.ndarray | None = None,
) -> Embedding:
    """Normalise raw frames as in training, embed them, and add the PCA projection.

    Args:
        model: the trained predictor.
        normalization: the run's :class:`~mocap_seq2seq.model.windows.Normalization`.
        frames: ``(n_frames, n_input_channels)`` raw frames.
        batch_size: windows per forward pass.
        segment_bounds: ground-truth segments, only for the paper's protocol.
        metadata: stored with the embedding (sequence, run, protocol).
        truth: ground truth carried along for ``evaluate``; never used here.
        progress: called as ``progress(done, total)`` windows.
        normalized: ``normalization.transform(frames)`` when the caller has
            it already (the pipeline reuses it for the raw-pose rows), so
            that the frames are normalised once.
    """
    normalized = normalization.transform(frames) if normalized is None else normalized
    states, filled = embed_frames(
        model,
        normalized,
        batch_size=batch_size,
        segment_bounds=segment_bounds,
        progress=progress,
    )
    return Embedding(
        states=states,
        filled=filled,
        pca=principal_components(states),
        metadata=dict(metadata or {}),
        truth=truth,
        poses=np.asarray(normalized, dtype=np.float32),
    )


def embed_run(
    run: str | os.PathLike[str],
    frames: np.ndarray,
    *,
    best: bool = False,
    combination: str = DEFAULT_COMBINATION,
    batch_size: int = 256,
    segment_bounds: np.ndarray | None = None,
    metadata: dict[str, Any] | None = None,
    truth: GroundTruth | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Embedding:
    """Embed raw frames with a run folder's model, or with every member of an ensemble.

    A plain run gives :func:`embed_sequence`'s embedding. An ensemble
    (:mod:`mocap_seq2seq.model.ensemble`) embeds the frames with each member,
    combines the states by ``combination`` and adds the members' per-frame
    :func:`member_agreement`; its metadata says ``ensemble`` (members, seeds,
    member width, combination) and ``train`` is the first member's config.
    """
    from mocap_seq2seq.model.ensemble import load_members

    if combination not in COMBINATIONS:
        combine_states([], combination)  # raises the one message for an unknown name
    return embed_members(
        load_members(run, best=best),
        frames,
        combination=combination,
        batch_size=batch_size,
        segment_bounds=segment_bounds,
        metadata=metadata,
        truth=truth,
        progress=progress,
    )


def embed_members(
    members: list[Any],
    frames: np.ndarray,
    *,
    combination: str = DEFAULT_COMBINATION,
    batch_size: int = 256,
    segment_bounds: np.ndarray | None = None,
    metadata: dict[str, Any] | None = None,
    truth: GroundTruth | None = None,
    progress: Callable[[int, int], None] | None = None,
    normalized: np.ndarray | None = None,
) -> Embedding:
    """:func:`embed_run` on members loaded already (by ``ensemble.load_members``).

    One member is a plain run (no agreement, no ``ensemble`` metadata);
    ``normalized`` may pass the frames normalised by a single member.
    """
    metadata = dict(metadata or {})
    metadata.setdefault("train", members[0].stored.get("train", {}))
    if len(members) == 1:
        member = members[0]
        return embed_sequence(
            member.model,
            member.normalization,
            frames,
            batch_size=batch_size,
            segment_bounds=segment_bounds,
            metadata=metadata,
            truth=truth,
            progress=progress,
            normalized=normalized,
        )
    member_states, filled, poses = [], None, None
    for index, member in enumerate(members):

        def member_progress(done: int, total: int, offset: int = index) -> None:
            if progress is not None:
                progress(offset * total + done, len(members) * total)

        # The caller's normalised frames are the first member's (compare_collection).
        member_normalized = (
            normalized
            if index == 0 and normalized is not None
            else member.normalization.transform(frames)
        )
        if poses is None:
            poses = np.asarray(member_normalized, dtype=np.float32)
        states, filled = embed_frames(
            member.model,
            member_normalized,
            batch_size=batch_size,
            segment_bounds=segment_bounds,
            progress=member_progress,
        )
        member_states.append(states)
    combined = combine_states(member_states, combination)
    target_length = int(members[0].stored.get("model", {}).get("target_length", 25))
    metadata["ensemble"] = {
        "n_members": len(members),
        "seeds": [int(member.stored.get("train", {}).get("seed", -1)) for member in members],
        "member_width": [int(states.shape[1]) for states in member_states],
        "combination": combination,
    }
    return Embedding(
        states=combined,
        filled=filled,
        pca=principal_components(combined),
        metadata=metadata,
        truth=truth,
        agreement=member_agreement(member_states, exclude=target_length),
        poses=poses,
    )
